//! One client connection: frames in, requests handled one at a time in the
//! order they arrived, responses out in the same order.
//!
//! Kafka processes a connection's requests sequentially; idempotent
//! producers with several requests in flight rely on it, so this does the
//! same: a request is handled only after the previous one was. A produce is
//! "handled" once its batches are written in order; waiting for their fsync
//! (acks=all on `flush=always`) continues in the background while the next
//! requests are read, so a producer's pipeline of requests shares one
//! group-commit fsync instead of paying one each. A writer task sends the
//! responses in request order.

use std::future::Future;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::Arc;

use bytes::Bytes;
use kafka_protocol::messages::{ApiKey, ResponseKind};
use tokio::io::{AsyncWriteExt, BufWriter};
use tokio::net::TcpStream;
use tokio::net::tcp::{OwnedReadHalf, OwnedWriteHalf};
use tokio::sync::{mpsc, watch};

use crate::Broker;
use crate::codec::{Decoded, decode_request, encode_response};
use crate::frame::{FrameError, read_frame, write_frame};
use crate::handlers::{Outcome, dispatch, newer_version_response, not_served};

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
    if let Err(e) = serve_inner(&broker, stream, peer, &mut shutdown).await {
        tracing::warn!(%peer, error = %e, "closing connection");
    } else {
        tracing::debug!(%peer, "connection closed");
    }
}

/// A response on its way out, in request order: `None` when the request
/// gets no response (acks=0), an error when the connection must close.
type Reply = Pin<Box<dyn Future<Output = Result<Option<Bytes>, ConnectionError>> + Send>>;

/// Responses a connection may have in flight (requests handled, answers not
/// yet written): enough for a producer's pipeline of requests to share one
/// group-commit fsync, bounded so a client that does not read its responses
/// stops being read from.
const IN_FLIGHT: usize = 32;

async fn serve_inner(
    broker: &Broker,
    stream: TcpStream,
    peer: SocketAddr,
    shutdown: &mut watch::Receiver<bool>,
) -> Result<(), ConnectionError> {
    let _ = stream.set_nodelay(true);
    let (reader, writer) = stream.into_split();
    let (tx, rx) = mpsc::channel::<Reply>(IN_FLIGHT);
    let read = read_requests(broker, reader, peer, tx, shutdown);
    let write = write_responses(BufWriter::new(writer), rx);
    tokio::try_join!(read, write).map(|_| ())
}

/// Reads requests and handles them one at a time, in arrival order (a
/// produce returns once its batches are written; its fsync and response
/// complete in the background, see [`Outcome::Deferred`]).
async fn read_requests(
    broker: &Broker,
    mut reader: OwnedReadHalf,
    peer: SocketAddr,
    tx: mpsc::Sender<Reply>,
    shutdown: &mut watch::Receiver<bool>,
) -> Result<(), ConnectionError> {
    let limit = broker.config().max_request_bytes;
    loop {
        let frame = tokio::select! {
            frame = read_frame(&mut reader, limit) => frame?,
            _ = shutdown.wait_for(|stop| *stop) => return Ok(()),
        };
        let Some(frame) = frame else {
            return Ok(());
        };
        let (api_key, version, correlation_id, outcome) = match decode_request(frame, limit)? {
            Decoded::NewerApiVersions {
                correlation_id,
                version,
            } => {
                tracing::debug!(version, "ApiVersions newer than known; answering at v0");
                let bytes = encode_response(
                    ApiKey::ApiVersions,
                    0,
                    correlation_id,
                    &ResponseKind::ApiVersions(newer_version_response()),
                )?;
                if tx
                    .send(Box::pin(std::future::ready(Ok(Some(bytes)))))
                    .await
                    .is_err()
                {
                    return Ok(());
                }
                continue;
            }
            Decoded::NotServed { api_key, header } => {
                let version = header.request_api_version;
                let outcome = not_served(api_key, version);
                (api_key, version, header.correlation_id, outcome)
            }
            Decoded::Request(request) => {
                let api_key = request.api_key;
                let version = request.header.request_api_version;
                let correlation_id = request.header.correlation_id;
                let outcome = dispatch(broker, *request, peer).await;
                (api_key, version, correlation_id, outcome)
            }
        };
        let close = matches!(outcome, Outcome::Close(_));
        let reply: Reply = Box::pin(async move {
            let outcome = match outcome {
                Outcome::Deferred(rest) => rest.await,
                other => other,
            };
            match outcome {
                Outcome::Respond(body) => Ok(Some(encode_response(
                    api_key,
                    version,
                    correlation_id,
                    &body,
                )?)),
                Outcome::NoResponse => Ok(None),
                Outcome::Close(reason) => Err(ConnectionError::Refused(reason)),
                Outcome::Deferred(_) => Err(ConnectionError::Refused(format!(
                    "{api_key:?} handler deferred twice"
                ))),
            }
        });
        if close {
            // Earlier responses still go out; then the connection ends.
            let _ = tx.send(reply).await;
            return Ok(());
        }
        if tx.send(reply).await.is_err() {
            // The writer stopped (the peer went away); it reports why.
            return Ok(());
        }
    }
}

/// Writes responses in request order as each completes.
async fn write_responses(
    mut writer: BufWriter<OwnedWriteHalf>,
    mut rx: mpsc::Receiver<Reply>,
) -> Result<(), ConnectionError> {
    while let Some(reply) = rx.recv().await {
        if let Some(bytes) = reply.await? {
            write_frame(&mut writer, &bytes).await?;
        }
        if rx.is_empty() {
            writer.flush().await.map_err(FrameError::from)?;
        }
    }
    writer.flush().await.map_err(FrameError::from)?;
    Ok(())
}
