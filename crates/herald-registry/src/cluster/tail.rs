//! Tailing `_schemas`: the reader that replayed the topic at start keeps
//! reading, so an instance applies what the leader writes; on request it
//! reads to the end offset of the moment (a new leader's catch-up, a
//! follower's read-your-writes after forwarding).

use std::sync::Arc;
use std::time::{Duration, Instant};

use herald_client::transport::PartitionReader;
use tokio::sync::{mpsc, oneshot, watch};

use crate::{Registry, RegistryError};

/// How long one poll waits for records: also how late a catch-up request
/// is noticed at worst.
const POLL: Duration = Duration::from_millis(100);

/// A request to read to the end offset; answered once every record
/// before that offset is applied.
pub(crate) type CatchUp = oneshot::Sender<Result<(), String>>;

/// Reads until `stop` turns true, then closes the reader.
pub(crate) async fn run(
    registry: Arc<Registry>,
    mut reader: PartitionReader,
    mut requests: mpsc::UnboundedReceiver<CatchUp>,
    stop: watch::Receiver<bool>,
) {
    let mut failing = false;
    while !*stop.borrow() {
        let mut pending = Vec::new();
        while let Ok(request) = requests.try_recv() {
            pending.push(request);
        }
        if !pending.is_empty() {
            let result = catch_up(&registry, &mut reader)
                .await
                .map_err(|e| e.to_string());
            for request in pending {
                let _ = request.send(result.clone());
            }
        }
        match reader.poll(POLL).await {
            Ok(batch) => {
                failing = false;
                registry.apply_log(&batch);
            }
            Err(e) => {
                if !failing {
                    tracing::warn!(error = %e, "tailing _schemas failed; retrying");
                }
                failing = true;
                tokio::time::sleep(Duration::from_millis(500)).await;
            }
        }
    }
    if let Err(e) = reader.close().await {
        tracing::debug!(error = %e, "closing the _schemas tail");
    }
}

/// Reads and applies every record before the end offset as it is now.
async fn catch_up(registry: &Registry, reader: &mut PartitionReader) -> Result<(), RegistryError> {
    let store = |e: herald_client::ClientError| RegistryError::Store {
        reason: e.to_string(),
    };
    let end = reader.end_offset().await.map_err(store)?;
    let limit = registry.config().init_timeout;
    let mut last_progress = Instant::now();
    while reader.position().await.map_err(store)? < end {
        let batch = reader.poll(POLL).await.map_err(store)?;
        if batch.is_empty() {
            if last_progress.elapsed() > limit {
                return Err(RegistryError::Timeout {
                    reason: format!("reading _schemas to offset {end} stalled"),
                });
            }
            continue;
        }
        last_progress = Instant::now();
        registry.apply_log(&batch);
    }
    Ok(())
}
