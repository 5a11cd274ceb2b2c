//! Frames whose lengths claim more than they hold: each closes (or is
//! answered on) its own connection, the broker process lives on, and other
//! connections keep being served.

use std::time::Duration;

use crate::common::TestBroker;
use crate::common::raw::RawClient;
use bytes::BytesMut;
use herald_broker::frame::{read_frame, write_frame};
use kafka_protocol::messages::{
    ApiKey, DescribeClientQuotasResponse, MetadataRequest, RequestHeader, ResponseHeader,
    ResponseKind,
};
use kafka_protocol::protocol::{Decodable, StrBytes, encode_request_header_into_buffer};
use tokio::net::TcpStream;

/// A frame with a real header for `key` at `version` and `body` as given.
fn frame(key: ApiKey, version: i16, body: &[u8]) -> Vec<u8> {
    let mut buf = BytesMut::new();
    let header = RequestHeader::default()
        .with_request_api_key(key as i16)
        .with_request_api_version(version)
        .with_correlation_id(5)
        .with_client_id(Some(StrBytes::from_static_str("hostile")));
    encode_request_header_into_buffer(&mut buf, &header).unwrap();
    buf.extend_from_slice(body);
    buf.to_vec()
}

/// Sends `frame` on a new connection and waits (5 s at most) for the
/// broker to close it without an answer.
async fn closes_its_connection(broker: &TestBroker, frame: &[u8]) -> bool {
    let mut stream = TcpStream::connect(broker.addr).await.unwrap();
    write_frame(&mut stream, frame).await.unwrap();
    matches!(
        tokio::time::timeout(Duration::from_secs(5), read_frame(&mut stream, 1 << 20)).await,
        Ok(Ok(None)) | Ok(Err(_))
    )
}

async fn still_answers(good: &mut RawClient) {
    let ResponseKind::Metadata(m) = good
        .call(ApiKey::Metadata, 12, &MetadataRequest::default())
        .await
    else {
        panic!("metadata");
    };
    assert_eq!(m.brokers.len(), 1);
}

#[tokio::test]
async fn huge_claimed_lengths_close_only_their_own_connection() {
    let broker = TestBroker::start().await;
    let mut good = RawClient::connect(broker.addr).await;
    still_answers(&mut good).await;

    let mut hostile: Vec<(&str, Vec<u8>)> = Vec::new();
    // Metadata v1: 2^31 - 1 topics in four bytes.
    hostile.push((
        "top-level array",
        frame(ApiKey::Metadata, 1, &[0x7f, 0xff, 0xff, 0xff]),
    ));
    // CreateTopics v7: one topic whose Configs claims 2^28 entries.
    let mut body = vec![
        2, 2, b't', 0, 0, 0, 1, 0, 1, 1, 0x80, 0x80, 0x80, 0x80, 0x01,
    ];
    body.extend_from_slice(&[0; 16]);
    hostile.push(("nested array", frame(ApiKey::CreateTopics, 7, &body)));
    // Produce v9: a record set claiming 2^32 - 2 bytes.
    let mut body = vec![0, 0xff, 0xff, 0, 0, 0x03, 0xe8, 2, 2, b't', 2, 0, 0, 0, 0];
    body.extend_from_slice(&[0xff, 0xff, 0xff, 0xff, 0x0f]);
    body.extend_from_slice(&[0; 32]);
    hostile.push(("record set length", frame(ApiKey::Produce, 9, &body)));
    // ShareAcknowledge v1: AcknowledgeTypes four levels down claims 2^32 - 2.
    let mut body = vec![0, 0, 0, 0, 0, 0, 2];
    body.extend_from_slice(&[9; 16]);
    body.extend_from_slice(&[2, 0, 0, 0, 0, 2]);
    body.extend_from_slice(&[0; 16]);
    body.extend_from_slice(&[0xff, 0xff, 0xff, 0xff, 0x0f]);
    hostile.push(("deep array", frame(ApiKey::ShareAcknowledge, 1, &body)));
    // JoinGroup v9: a tagged field claiming 1 GiB.
    let mut body = vec![2, b'g', 0, 0, 0x75, 0x30, 0, 0, 0x75, 0x30, 1, 0, 1, 1, 0];
    body.extend_from_slice(&[1, 7, 0x80, 0x80, 0x80, 0x80, 0x04]);
    hostile.push(("tagged field", frame(ApiKey::JoinGroup, 9, &body)));

    for (what, frame) in &hostile {
        assert!(closes_its_connection(&broker, frame).await, "{what}");
        still_answers(&mut good).await;
    }
}

#[tokio::test]
async fn the_fuzz_frame_gets_an_error_answer_not_an_abort() {
    let broker = TestBroker::start().await;
    let mut good = RawClient::connect(broker.addr).await;
    // base64 ADAAAAAAAAAAADv/AAA=: DescribeClientQuotas v0 claiming about
    // 10^9 components. The API is not served, so its body is not decoded.
    let mut stream = TcpStream::connect(broker.addr).await.unwrap();
    let fuzz = [0, 0x30, 0, 0, 0, 0, 0, 0, 0, 0, 0x3b, 0xff, 0, 0];
    write_frame(&mut stream, &fuzz).await.unwrap();
    let mut response =
        tokio::time::timeout(Duration::from_secs(5), read_frame(&mut stream, 1 << 20))
            .await
            .expect("an answer within 5 s")
            .unwrap()
            .expect("an answer, not a close");
    let header = ResponseHeader::decode(&mut response, 0).unwrap();
    assert_eq!(header.correlation_id, 0);
    let body = DescribeClientQuotasResponse::decode(&mut response, 0).unwrap();
    assert_eq!(body.error_code, 35, "UNSUPPORTED_VERSION");
    still_answers(&mut good).await;
}
