//! A raw Kafka connection for tests that hand-build requests: encode any
//! request at any version, read back the decoded response.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use std::net::SocketAddr;
use std::time::Duration;

use bytes::BytesMut;
use herald_broker::frame::{read_frame, write_frame};
use kafka_protocol::messages::{ApiKey, RequestHeader, ResponseHeader, ResponseKind};
use kafka_protocol::protocol::{Decodable, Encodable, StrBytes, encode_request_header_into_buffer};
use tokio::net::TcpStream;

/// One client connection speaking raw Kafka frames.
pub struct RawClient {
    stream: TcpStream,
    correlation_id: i32,
}

impl RawClient {
    /// Connects to `addr`.
    pub async fn connect(addr: SocketAddr) -> Self {
        RawClient {
            stream: TcpStream::connect(addr).await.expect("connect"),
            correlation_id: 0,
        }
    }

    /// The client's end of the connection (what the broker sees as its peer).
    pub fn local_addr(&self) -> SocketAddr {
        self.stream.local_addr().expect("local address")
    }

    /// Sends `body` as `key` at `version` without waiting for an answer.
    pub async fn send(&mut self, key: ApiKey, version: i16, body: &impl Encodable) -> i32 {
        self.correlation_id += 1;
        let mut buf = BytesMut::new();
        let header = RequestHeader::default()
            .with_request_api_key(key as i16)
            .with_request_api_version(version)
            .with_correlation_id(self.correlation_id)
            .with_client_id(Some(StrBytes::from_static_str("raw-test")));
        encode_request_header_into_buffer(&mut buf, &header).unwrap();
        body.encode(&mut buf, version).unwrap();
        write_frame(&mut self.stream, &buf).await.unwrap();
        self.correlation_id
    }

    /// Reads the next response to a request of `key` at `version`
    /// (10 s timeout); `None` if the broker closed the connection.
    pub async fn receive(&mut self, key: ApiKey, version: i16) -> Option<(i32, ResponseKind)> {
        let frame = tokio::time::timeout(
            Duration::from_secs(10),
            read_frame(&mut self.stream, 64 << 20),
        )
        .await
        .expect("response within 10 s")
        .ok()??;
        let mut frame = frame;
        let header = ResponseHeader::decode(&mut frame, key.response_header_version(version))
            .expect("response header");
        let body = ResponseKind::decode(key, &mut frame, version).expect("response body");
        assert!(
            frame.is_empty(),
            "{key:?} v{version}: trailing bytes in response"
        );
        Some((header.correlation_id, body))
    }

    /// Sends a request and returns its response, checking the correlation id.
    pub async fn call(&mut self, key: ApiKey, version: i16, body: &impl Encodable) -> ResponseKind {
        let cid = self.send(key, version, body).await;
        let (got, resp) = self
            .receive(key, version)
            .await
            .unwrap_or_else(|| panic!("{key:?} v{version}: connection closed"));
        assert_eq!(got, cid, "correlation id");
        resp
    }

    /// True if the broker closes the connection within 5 s without answering.
    pub async fn is_closed(&mut self) -> bool {
        matches!(
            tokio::time::timeout(
                Duration::from_secs(5),
                read_frame(&mut self.stream, 64 << 20)
            )
            .await,
            Ok(Ok(None)) | Ok(Err(_))
        )
    }
}
