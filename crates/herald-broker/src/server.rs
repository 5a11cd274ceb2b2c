//! Accepting connections, and shutting down cleanly.

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use tokio::net::TcpListener;
use tokio::sync::{Semaphore, watch};
use tokio::task::JoinSet;

use crate::Broker;
use crate::connection;

/// How long shutdown waits for open connections to finish their current request.
const DRAIN_TIMEOUT: Duration = Duration::from_secs(10);

/// Serves Kafka clients on `listener` until `shutdown` completes, then stops
/// accepting, lets every connection finish the request it is handling, and
/// returns.
///
/// A connection permit is taken before `accept`, so at most
/// `max_connections` clients are served at once; the rest wait in the backlog.
pub async fn run(listener: TcpListener, broker: Arc<Broker>, shutdown: impl Future<Output = ()>) {
    let permits = Arc::new(Semaphore::new(broker.config().max_connections));
    let (stop_tx, stop_rx) = watch::channel(false);
    let mut connections = JoinSet::new();
    tokio::pin!(shutdown);
    loop {
        let permit = tokio::select! {
            p = permits.clone().acquire_owned() => match p {
                Ok(p) => p,
                Err(_) => break,
            },
            _ = &mut shutdown => break,
        };
        let (stream, peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(a) => a,
                Err(e) => {
                    // Out of file descriptors and the like: back off instead of spinning.
                    tracing::error!(error = %e, "accept failed");
                    tokio::time::sleep(Duration::from_millis(100)).await;
                    continue;
                }
            },
            _ = &mut shutdown => break,
        };
        tracing::debug!(%peer, "accepted connection");
        let broker = broker.clone();
        let stop = stop_rx.clone();
        connections.spawn(async move {
            connection::serve(broker, stream, peer, stop).await;
            drop(permit);
        });
        // Reap finished connections so the set does not grow without bound.
        while connections.try_join_next().is_some() {}
    }
    drop(listener);
    let _ = stop_tx.send(true);
    // A JoinGroup/SyncGroup parked until its group rebalances would hold its
    // connection until the rebalance timeout: answer those now.
    broker.groups().unload();
    let drained = tokio::time::timeout(DRAIN_TIMEOUT, async {
        while connections.join_next().await.is_some() {}
    })
    .await;
    if drained.is_err() {
        tracing::warn!(
            left = connections.len(),
            "connections still busy at shutdown; aborting them"
        );
        connections.abort_all();
    }
}
