//! One client connection: frames in, requests handled one at a time in the
//! order they arrived, responses out in the same order.
//!
//! Kafka processes a connection's requests sequentially (its socket server
//! mutes a channel until the response is sent); idempotent producers with
//! several requests in flight rely on it, so this does the same.

use std::net::SocketAddr;
use std::sync::Arc;

use kafka_protocol::messages::{ApiKey, ResponseKind};
use tokio::io::{AsyncWriteExt, BufWriter};
use tokio::net::TcpStream;
use tokio::sync::watch;

use crate::Broker;
use crate::codec::{Decoded, decode_request, encode_response};
use crate::frame::{FrameError, read_frame, write_frame};
use crate::handlers::{Outcome, dispatch, newer_version_response};

/// Why a connection ended other than by the peer closing it.
#[derive(Debug, thiserror::Error)]
pub(crate) enum ConnectionError {
    #[error(transparent)]
    Frame(#[from] FrameError),
    #[error(transparent)]
    Codec(#[from] crate::codec::CodecError),
    #[error("{0}")]
    Refused(String),
}

/// Serves `stream` until the peer closes it, it sends something we cannot
/// parse, or `shutdown` fires (between requests, so no response is cut short).
pub(crate) async fn serve(
    broker: Arc<Broker>,
    stream: TcpStream,
    peer: SocketAddr,
    mut shutdown: watch::Receiver<bool>,
) {
    if let Err(e) = serve_inner(&broker, stream, &mut shutdown).await {
        tracing::warn!(%peer, error = %e, "closing connection");
    } else {
        tracing::debug!(%peer, "connection closed");
    }
}

async fn serve_inner(
    broker: &Broker,
    stream: TcpStream,
    shutdown: &mut watch::Receiver<bool>,
) -> Result<(), ConnectionError> {
    let _ = stream.set_nodelay(true);
    let (mut reader, writer) = stream.into_split();
    let mut writer = BufWriter::new(writer);
    let limit = broker.config().max_request_bytes;
    loop {
        let frame = tokio::select! {
            frame = read_frame(&mut reader, limit) => frame?,
            _ = shutdown.wait_for(|stop| *stop) => return Ok(()),
        };
        let Some(frame) = frame else {
            return Ok(());
        };
        let response = match decode_request(frame)? {
            Decoded::NewerApiVersions {
                correlation_id,
                version,
            } => {
                tracing::debug!(version, "ApiVersions newer than known; answering at v0");
                Some(encode_response(
                    ApiKey::ApiVersions,
                    0,
                    correlation_id,
                    &ResponseKind::ApiVersions(newer_version_response()),
                )?)
            }
            Decoded::Request(request) => {
                let api_key = request.api_key;
                let version = request.header.request_api_version;
                let correlation_id = request.header.correlation_id;
                match dispatch(broker, *request).await {
                    Outcome::Respond(body) => {
                        Some(encode_response(api_key, version, correlation_id, &body)?)
                    }
                    Outcome::NoResponse => None,
                    Outcome::Close(reason) => return Err(ConnectionError::Refused(reason)),
                }
            }
        };
        if let Some(bytes) = response {
            write_frame(&mut writer, &bytes).await?;
            writer.flush().await.map_err(FrameError::from)?;
        }
    }
}
