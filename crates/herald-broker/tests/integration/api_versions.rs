//! ApiVersions over a real socket, including KIP-511's fallback for versions
//! newer than the broker knows.

use crate::common;

use bytes::{Buf, BytesMut};
use herald_broker::frame::{read_frame, write_frame};
use kafka_protocol::messages::{
    ApiKey, ApiVersionsRequest, ApiVersionsResponse, RequestHeader, ResponseHeader,
};
use kafka_protocol::protocol::{Decodable, Encodable, StrBytes, encode_request_header_into_buffer};
use tokio::net::TcpStream;

async fn api_versions(stream: &mut TcpStream, version: i16) -> (i32, ApiVersionsResponse) {
    let mut buf = BytesMut::new();
    let header = RequestHeader::default()
        .with_request_api_key(ApiKey::ApiVersions as i16)
        .with_request_api_version(version.min(4))
        .with_correlation_id(42)
        .with_client_id(Some(StrBytes::from_static_str("test")));
    encode_request_header_into_buffer(&mut buf, &header).unwrap();
    ApiVersionsRequest::default()
        .with_client_software_name(StrBytes::from_static_str("herald-test"))
        .with_client_software_version(StrBytes::from_static_str("1"))
        .encode(&mut buf, version.min(4))
        .unwrap();
    // Pretend to be a newer client: patch the version in the header.
    buf[2..4].copy_from_slice(&version.to_be_bytes());
    write_frame(stream, &buf).await.unwrap();
    let mut frame = read_frame(stream, 1 << 20).await.unwrap().unwrap();
    // ApiVersions responses always use header v0, whatever the body version.
    let header = ResponseHeader::decode(&mut frame, 0).unwrap();
    let body_version = if version > 4 { 0 } else { version };
    let body = ApiVersionsResponse::decode(&mut frame, body_version).unwrap();
    assert_eq!(frame.remaining(), 0, "response has trailing bytes");
    (header.correlation_id, body)
}

#[tokio::test]
async fn answers_every_known_version_and_falls_back_for_newer_ones() {
    let broker = common::TestBroker::start().await;
    let mut stream = TcpStream::connect(broker.addr).await.unwrap();
    for version in 0..=4 {
        let (cid, resp) = api_versions(&mut stream, version).await;
        assert_eq!(cid, 42);
        assert_eq!(resp.error_code, 0, "v{version}");
        let own = resp
            .api_keys
            .iter()
            .find(|k| k.api_key == ApiKey::ApiVersions as i16)
            .expect("ApiVersions advertises itself");
        assert_eq!((own.min_version, own.max_version), (0, 4));
    }
    let (cid, resp) = api_versions(&mut stream, 9).await;
    assert_eq!(cid, 42);
    assert_eq!(resp.error_code, 35, "UNSUPPORTED_VERSION");
    assert!(
        resp.api_keys
            .iter()
            .any(|k| k.api_key == ApiKey::ApiVersions as i16)
    );
}

#[tokio::test]
async fn a_malformed_frame_closes_only_its_own_connection() {
    let broker = common::TestBroker::start().await;
    let mut good = TcpStream::connect(broker.addr).await.unwrap();
    let mut bad = TcpStream::connect(broker.addr).await.unwrap();
    write_frame(&mut bad, &[0x7f, 0x7f, 0, 0, 0, 0, 0, 1])
        .await
        .unwrap();
    assert!(
        read_frame(&mut bad, 1 << 20).await.unwrap().is_none(),
        "bad connection closed"
    );
    let (_, resp) = api_versions(&mut good, 3).await;
    assert_eq!(resp.error_code, 0);
}
