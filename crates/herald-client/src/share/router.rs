//! Which broker to fetch each assigned partition from: the assignment
//! (topic ids and partitions) joined with Metadata's leaders. Metadata is
//! read again when the assignment names a topic id or leader it does not
//! know, when a fetch loop reports NOT_LEADER / UNKNOWN_TOPIC_ID, and
//! every [`MAX_AGE`] otherwise.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::{Notify, watch};

use super::acks::Tp;
use super::cluster::Cluster;

/// Node id → the assigned partitions it leads.
pub(crate) type Routes = BTreeMap<i32, BTreeSet<Tp>>;

/// Metadata older than this is read again (Kafka's `metadata.max.age.ms`
/// is 5 min; share consumers gain from noticing new leaders sooner).
const MAX_AGE: Duration = Duration::from_secs(60);
/// The wait before asking again while some partition has no known leader.
const RETRY: Duration = Duration::from_millis(200);

/// Routes the assignment; calls `spawn` once for every broker that first
/// leads an assigned partition.
pub(crate) struct Router {
    pub(crate) cluster: Arc<Cluster>,
    pub(crate) topics: Vec<String>,
    pub(crate) assignment: watch::Receiver<BTreeSet<Tp>>,
    pub(crate) refresh: Arc<Notify>,
    pub(crate) routes: watch::Sender<Routes>,
    pub(crate) spawn: Box<dyn FnMut(i32) + Send>,
}

impl std::fmt::Debug for Router {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Router")
            .field("topics", &self.topics)
            .finish_non_exhaustive()
    }
}

impl Router {
    pub(crate) async fn run(mut self, mut stop: watch::Receiver<bool>) {
        let mut spawned = BTreeSet::new();
        let mut stale = true;
        while !*stop.borrow() {
            if stale && let Err(e) = self.cluster.refresh(&self.topics).await {
                tracing::debug!(error = %e, "metadata refresh failed");
            }
            let assigned = self.assignment.borrow_and_update().clone();
            let (routes, unroutable) = self.cluster.read(|s| {
                let mut routes = Routes::new();
                let mut unroutable = 0;
                for tp in &assigned {
                    let leader = s
                        .topics
                        .get(&tp.0)
                        .and_then(|t| t.leaders.get(&tp.1))
                        .copied();
                    match leader {
                        Some(node) if s.brokers.contains_key(&node) => {
                            routes.entry(node).or_default().insert(*tp);
                        }
                        _ => unroutable += 1,
                    }
                }
                (routes, unroutable)
            });
            for node in routes.keys() {
                if spawned.insert(*node) {
                    (self.spawn)(*node);
                }
            }
            self.routes.send_if_modified(|now| {
                let changed = *now != routes;
                *now = routes;
                changed
            });
            let wait = if unroutable > 0 { RETRY } else { MAX_AGE };
            stale = tokio::select! {
                _ = tokio::time::sleep(wait) => true,
                _ = self.refresh.notified() => true,
                r = self.assignment.changed() => {
                    if r.is_err() { break; }
                    true
                }
                _ = stop.changed() => false,
            };
        }
    }
}
