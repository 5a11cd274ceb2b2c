//! One connection to one broker: Kafka's size-prefixed framing, request
//! headers with correlation ids, the ApiVersions handshake that picks the
//! version of every later request, and SASL when the security settings ask
//! for it. The stream itself (TCP or TLS) comes from [`crate::net`].
//!
//! Written by hand because the `kafka-protocol` crate has codecs only and
//! the workspace's Kafka client (`confluent-kafka`) offers no share
//! consumer; framing is four bytes of length, too little for a codec crate.

use std::collections::HashMap;
use std::time::Duration;

use bytes::{Bytes, BytesMut};
use kafka_protocol::messages::{
    ApiKey, ApiVersionsRequest, ApiVersionsResponse, RequestHeader, ResponseHeader,
};
use kafka_protocol::protocol::{
    Decodable, Encodable, Message, Request, StrBytes, encode_request_header_into_buffer,
};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use super::ShareError;
use crate::net::{Security, Stream};

/// The largest response accepted (a ShareFetch asks for at most
/// `fetch.max.bytes`, 50 MiB by default, plus headers).
const MAX_FRAME: usize = 100 << 20;

/// A connection whose requests are answered in order, one at a time.
#[derive(Debug)]
pub(crate) struct Connection {
    stream: Stream,
    broker: String,
    client_id: StrBytes,
    correlation_id: i32,
    /// The broker's version range per API key.
    versions: HashMap<i16, (i16, i16)>,
}

impl Connection {
    /// Connects to `broker` (`host:port`) as `security` says (TCP or TLS),
    /// negotiates API versions, then authenticates when `security` has
    /// SASL settings. A connection is returned only once all of it passed.
    pub(crate) async fn open(
        broker: &str,
        client_id: &str,
        security: &Security,
    ) -> Result<Connection, ShareError> {
        let stream = crate::net::connect(broker, security).await?;
        let mut conn = Connection {
            stream,
            broker: broker.to_owned(),
            client_id: StrBytes::from_string(client_id.to_owned()),
            correlation_id: 0,
            versions: HashMap::new(),
        };
        timed("ApiVersions", REQUEST_TIMEOUT, conn.negotiate()).await?;
        if let Some(sasl) = security.sasl() {
            crate::net::sasl::authenticate(&mut conn, sasl).await?;
        }
        Ok(conn)
    }

    /// The `host:port` this connection goes to.
    pub(crate) fn broker(&self) -> &str {
        &self.broker
    }

    /// ApiVersions v3 (KIP-511); a broker that does not know v3 answers
    /// with a v0 body listing what it knows (the KIP-511 fallback).
    async fn negotiate(&mut self) -> Result<(), ShareError> {
        let request = ApiVersionsRequest::default()
            .with_client_software_name(StrBytes::from_static_str("herald-client"))
            .with_client_software_version(StrBytes::from_static_str(env!("CARGO_PKG_VERSION")));
        let mut frame = self.exchange(ApiKey::ApiVersions, 3, &request).await?;
        let response = ApiVersionsResponse::decode(&mut frame.clone(), 3)
            .or_else(|_| ApiVersionsResponse::decode(&mut frame, 0))
            .map_err(|e| ShareError::protocol(&self.broker, format!("ApiVersions: {e}")))?;
        if response.error_code != 0 && response.api_keys.is_empty() {
            return Err(ShareError::broker(
                format!("ApiVersions with {}", self.broker),
                response.error_code,
                None,
            ));
        }
        self.versions = response
            .api_keys
            .iter()
            .map(|k| (k.api_key, (k.min_version, k.max_version)))
            .collect();
        Ok(())
    }

    /// The highest version of `R` both this client's codec and the broker
    /// speak.
    pub(crate) fn version_of<R: Request>(&self) -> Result<i16, ShareError> {
        let ours = R::VERSIONS.intersect(&<R::Response as Message>::VERSIONS);
        let name = ApiKey::try_from(R::KEY)
            .map_or_else(|_| format!("API {}", R::KEY), |k| format!("{k:?}"));
        let Some(&(min, max)) = self.versions.get(&R::KEY) else {
            return Err(ShareError::protocol(
                &self.broker,
                if name.starts_with("Share") {
                    format!(
                        "the broker does not serve {name} (Kafka 4.2+ with share groups enabled does)"
                    )
                } else {
                    format!("the broker does not serve {name}")
                },
            ));
        };
        let version = max.min(ours.max);
        if version < min.max(ours.min) {
            return Err(ShareError::protocol(
                &self.broker,
                format!(
                    "no common version of {name}: the broker speaks {min}..={max}, this client {}..={}",
                    ours.min, ours.max
                ),
            ));
        }
        Ok(version)
    }

    /// Sends `request` at the negotiated version and reads its response.
    pub(crate) async fn call<R: Request>(
        &mut self,
        request: &R,
    ) -> Result<R::Response, ShareError> {
        let version = self.version_of::<R>()?;
        self.call_at(request, version).await
    }

    /// Sends `request` at `version`, whatever ApiVersions said, and reads
    /// its response.
    pub(crate) async fn call_at<R: Request>(
        &mut self,
        request: &R,
        version: i16,
    ) -> Result<R::Response, ShareError> {
        let key = ApiKey::try_from(R::KEY).map_err(|_| {
            ShareError::protocol(&self.broker, format!("unknown API key {}", R::KEY))
        })?;
        let mut frame = self.exchange(key, version, request).await?;
        let response = R::Response::decode(&mut frame, version).map_err(|e| {
            ShareError::protocol(&self.broker, format!("{key:?} v{version} response: {e}"))
        })?;
        Ok(response)
    }

    /// Writes one request frame and reads the matching response body.
    async fn exchange(
        &mut self,
        key: ApiKey,
        version: i16,
        body: &impl Encodable,
    ) -> Result<Bytes, ShareError> {
        self.correlation_id = self.correlation_id.wrapping_add(1);
        let header = RequestHeader::default()
            .with_request_api_key(key as i16)
            .with_request_api_version(version)
            .with_correlation_id(self.correlation_id)
            .with_client_id(Some(self.client_id.clone()));
        let encode = |e: String| {
            ShareError::protocol(
                &self.broker,
                format!("cannot encode {key:?} v{version}: {e}"),
            )
        };
        let mut buf = BytesMut::with_capacity(256);
        buf.extend_from_slice(&[0; 4]);
        encode_request_header_into_buffer(&mut buf, &header).map_err(|e| encode(e.to_string()))?;
        body.encode(&mut buf, version)
            .map_err(|e| encode(e.to_string()))?;
        let len = u32::try_from(buf.len() - 4)
            .map_err(|_| ShareError::protocol(&self.broker, "request larger than 4 GiB"))?;
        buf[..4].copy_from_slice(&len.to_be_bytes());
        let io = |operation: &'static str| {
            let broker = self.broker.clone();
            move |source| crate::net::io_error(&broker, format!("{operation} {key:?}"), source)
        };
        self.stream.write_all(&buf).await.map_err(io("send"))?;
        // TLS may hold the last records back when the socket was full;
        // they must be out before the answer is awaited.
        self.stream.flush().await.map_err(io("send"))?;
        let mut len = [0u8; 4];
        self.stream
            .read_exact(&mut len)
            .await
            .map_err(io("read the response to"))?;
        let len = usize::try_from(u32::from_be_bytes(len)).unwrap_or(usize::MAX);
        if len > MAX_FRAME {
            return Err(ShareError::protocol(
                &self.broker,
                format!("{key:?} response of {len} bytes exceeds the {MAX_FRAME}-byte limit"),
            ));
        }
        let mut frame = BytesMut::zeroed(len);
        self.stream
            .read_exact(&mut frame)
            .await
            .map_err(io("read the response to"))?;
        let mut frame = frame.freeze();
        let header = ResponseHeader::decode(&mut frame, key.response_header_version(version))
            .map_err(|e| {
                ShareError::protocol(&self.broker, format!("{key:?} response header: {e}"))
            })?;
        if header.correlation_id != self.correlation_id {
            return Err(ShareError::protocol(
                &self.broker,
                format!(
                    "{key:?}: response for request {} while waiting for {}",
                    header.correlation_id, self.correlation_id
                ),
            ));
        }
        Ok(frame)
    }
}

/// Every request waits at most this long past its own long-poll time.
pub(crate) const REQUEST_TIMEOUT: Duration = Duration::from_secs(30);

/// Runs `call` on `conn` with a deadline; a timed-out connection is
/// unusable (its answer may still come) and must be dropped.
pub(crate) async fn timed<T>(
    operation: &str,
    limit: Duration,
    call: impl Future<Output = Result<T, ShareError>>,
) -> Result<T, ShareError> {
    tokio::time::timeout(limit, call)
        .await
        .map_err(|_| ShareError::Timeout {
            operation: operation.to_owned(),
            millis: limit.as_millis(),
        })?
}
