//! The async shell around the pure share state: loads
//! `__share_group_state` on first use, serialises access to the state,
//! runs the writer (requests wait until their changes are durable), the
//! dead-letter writer, the queue-topic cleaner and a ticker for lock and
//! session timeouts, and wakes waiting fetches when records come back.

use std::collections::HashMap;
use std::sync::{Arc, Weak};
use std::time::Duration;

use herald_log::{Log, Partition};
use parking_lot::Mutex;
use tokio::sync::{Notify, OnceCell, mpsc};
use uuid::Uuid;

use super::ShareConfig;
use super::error::ShareError;
use super::state::{DeadLetterJob, ShareState};
use super::store::{self, Durability};
use crate::groups::GroupCoordinator;

/// How often lock and session timeouts are checked.
const TICK: Duration = Duration::from_millis(50);

/// How often share-partitions of deleted topics are dropped.
const FORGET_EVERY_TICKS: u32 = 200;

/// Milliseconds on the wall clock, advanced by `tokio::time` so tests can
/// pause and move time.
#[derive(Debug)]
pub(crate) struct Clock {
    start: tokio::time::Instant,
    wall_at_start: i64,
}

impl Clock {
    pub(crate) fn now(&self) -> i64 {
        let elapsed = i64::try_from(self.start.elapsed().as_millis()).unwrap_or(i64::MAX);
        self.wall_at_start.saturating_add(elapsed)
    }
}

/// Serialises ShareFetch reads of one share-partition, so what a fetch
/// planned to acquire is still there when it acquires.
type FetchLock = Arc<tokio::sync::Mutex<()>>;

/// The loaded coordinator.
#[derive(Debug)]
pub(crate) struct Loaded {
    state: Mutex<ShareState>,
    clock: Clock,
    durability: Arc<Durability>,
    /// Woken when records become available again (release, lock expiry).
    available: Notify,
    dead_letters: mpsc::UnboundedSender<DeadLetterJob>,
    fetch_locks: Mutex<HashMap<(String, Uuid, i32), FetchLock>>,
    pub(crate) log: Arc<Log>,
}

impl Loaded {
    /// Now, in ms.
    pub(crate) fn now(&self) -> i64 {
        self.clock.now()
    }

    /// Runs `f` on the state at the current time; returns its result and
    /// the change sequence to wait for (see [`Loaded::durable`]).
    pub(crate) fn run<R>(&self, f: impl FnOnce(&mut ShareState, i64) -> R) -> (R, u64) {
        let mut state = self.state.lock();
        let result = f(&mut state, self.clock.now());
        let seq = state.seq();
        if state.has_dirty() {
            self.durability.wake();
        }
        for job in state.take_dead_letters() {
            if self.dead_letters.send(job).is_err() {
                tracing::error!("the dead-letter writer has stopped");
            }
        }
        if state.take_released() {
            self.available.notify_waiters();
        }
        (result, seq)
    }

    /// Reads the state without changing it.
    pub(crate) fn read<R>(&self, f: impl FnOnce(&ShareState) -> R) -> R {
        f(&self.state.lock())
    }

    /// Waits until every change up to `seq` is on disk.
    pub(crate) async fn durable(&self, seq: u64) -> Result<(), ShareError> {
        self.durability.wait(seq).await
    }

    /// Resolves when records become available again (create it before
    /// looking, then await it).
    pub(crate) fn available(&self) -> tokio::sync::futures::Notified<'_> {
        self.available.notified()
    }

    /// The fetch lock of one share-partition.
    pub(crate) fn fetch_lock(&self, group: &str, topic: Uuid, partition: i32) -> FetchLock {
        self.fetch_locks
            .lock()
            .entry((group.to_owned(), topic, partition))
            .or_default()
            .clone()
    }

    fn tick(&self, forget: bool) {
        let log = self.log.clone();
        self.run(|s, now| {
            s.tick(now);
            if forget {
                s.forget_deleted_topics(|id| log.topic_by_id(id).is_some());
            }
        });
    }
}

/// The share coordinator of this broker.
#[derive(Debug)]
pub(crate) struct ShareCoordinator {
    shared: Arc<Shared>,
}

/// What the coordinator's tasks share.
#[derive(Debug)]
pub(crate) struct Shared {
    pub(crate) log: Arc<Log>,
    pub(crate) config: ShareConfig,
    pub(crate) groups: GroupCoordinator,
    /// Dead-letter topics may be created (`auto.create.topics.enable`).
    pub(crate) auto_create_topics: bool,
    /// Partitions of created dead-letter topics.
    pub(crate) default_partitions: i32,
    loaded: OnceCell<Arc<Loaded>>,
}

impl ShareCoordinator {
    /// A coordinator over `log`. Inside a tokio runtime it starts the
    /// queue-topic cleaner, and replays `__share_group_state` at once if it
    /// exists; otherwise the topic is created by the first share request.
    pub(crate) fn new(
        log: Arc<Log>,
        config: ShareConfig,
        groups: GroupCoordinator,
        auto_create_topics: bool,
        default_partitions: i32,
    ) -> Self {
        let shared = Arc::new(Shared {
            log,
            config,
            groups,
            auto_create_topics,
            default_partitions,
            loaded: OnceCell::new(),
        });
        if let Ok(runtime) = tokio::runtime::Handle::try_current() {
            if shared.log.topic(store::TOPIC).is_some() {
                let eager = shared.clone();
                runtime.spawn(async move {
                    if let Err(e) = eager.loaded().await {
                        tracing::warn!(error = %e, "loading {} at start failed; retrying on the first share request", store::TOPIC);
                    }
                });
            }
            runtime.spawn(super::queue::run(Arc::downgrade(&shared)));
        }
        ShareCoordinator { shared }
    }

    /// The loaded coordinator (see [`Shared::loaded`]).
    pub(crate) async fn loaded(&self) -> Result<&Arc<Loaded>, ShareError> {
        self.shared.loaded().await
    }

    /// The consumer-group coordinator (share and consumer groups share ids).
    pub(crate) fn groups(&self) -> &GroupCoordinator {
        &self.shared.groups
    }

    /// The log.
    pub(crate) fn log(&self) -> &Arc<Log> {
        &self.shared.log
    }

    /// The broker-level settings.
    pub(crate) fn config(&self) -> &ShareConfig {
        &self.shared.config
    }

    #[cfg(test)]
    pub(crate) fn is_loaded(&self) -> bool {
        self.shared.loaded.initialized()
    }
}

impl Shared {
    /// On first use creates or replays `__share_group_state` and starts the
    /// writer, the dead-letter writer and the ticker. A failure is reported
    /// (COORDINATOR_NOT_AVAILABLE) and retried by the next request.
    pub(crate) async fn loaded(&self) -> Result<&Arc<Loaded>, ShareError> {
        self.loaded
            .get_or_try_init(|| async {
                let log = self.log.clone();
                let (partition, records) = tokio::task::spawn_blocking(move || store::open(&log))
                    .await
                    .map_err(|e| ShareError::Storage(format!("loading {}: {e}", store::TOPIC)))??;
                let clock = Clock {
                    start: tokio::time::Instant::now(),
                    wall_at_start: self.log.clock().now_ms(),
                };
                let mut state = ShareState::new(self.config.clone());
                let now = clock.now();
                let count = records.len();
                for record in records {
                    state.replay(record, now);
                }
                tracing::info!(
                    records = count,
                    groups = state.groups.len(),
                    "loaded {}",
                    store::TOPIC
                );
                let (tx, rx) = mpsc::unbounded_channel();
                let durability = Arc::new(Durability::default());
                let loaded = Arc::new(Loaded {
                    state: Mutex::new(state),
                    clock,
                    durability: durability.clone(),
                    available: Notify::new(),
                    dead_letters: tx,
                    fetch_locks: Mutex::new(HashMap::new()),
                    log: self.log.clone(),
                });
                let weak = Arc::downgrade(&loaded);
                tokio::spawn(writer(weak.clone(), durability, partition));
                tokio::spawn(ticker(weak.clone()));
                tokio::spawn(super::dlq::run(
                    weak,
                    self.log.clone(),
                    rx,
                    self.auto_create_topics,
                    self.default_partitions,
                ));
                Ok(loaded)
            })
            .await
    }
}

/// Writes snapshots of what changed, one batch per round, until the
/// coordinator is dropped.
async fn writer(loaded: Weak<Loaded>, durability: Arc<Durability>, partition: Arc<Partition>) {
    loop {
        // Wait without keeping the coordinator alive; look every second
        // whether it is gone.
        if tokio::time::timeout(Duration::from_secs(1), durability.woken())
            .await
            .is_err()
        {
            if loaded.strong_count() == 0 {
                return;
            }
            continue;
        }
        loop {
            let Some(l) = loaded.upgrade() else {
                return;
            };
            let (records, seq) = l.state.lock().take_dirty();
            if records.is_empty() {
                l.durability.report(|p| p.written = p.written.max(seq));
                break;
            }
            let now = l.now();
            drop(l);
            let p = partition.clone();
            let (records, result) = match tokio::task::spawn_blocking(move || {
                let result = store::append(&p, now, &records);
                (records, result)
            })
            .await
            {
                Ok(r) => r,
                Err(e) => {
                    tracing::error!(error = %e, "the {} writer thread failed", store::TOPIC);
                    return;
                }
            };
            let Some(l) = loaded.upgrade() else {
                return;
            };
            match result {
                Ok(()) => {
                    l.state.lock().written(&records);
                    l.durability.report(|p| p.written = p.written.max(seq));
                }
                Err(e) => {
                    tracing::error!(error = %e, "writing {} failed; retrying", store::TOPIC);
                    l.state.lock().redo(&records);
                    l.durability.report(|p| {
                        p.failed = p.failed.max(seq);
                        p.error = Some(e.to_string());
                    });
                    drop(l);
                    tokio::time::sleep(Duration::from_millis(200)).await;
                }
            }
        }
    }
}

async fn ticker(loaded: Weak<Loaded>) {
    let mut interval = tokio::time::interval(TICK);
    interval.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut n: u32 = 0;
    loop {
        interval.tick().await;
        let Some(loaded) = loaded.upgrade() else {
            return;
        };
        n = n.wrapping_add(1);
        loaded.tick(n.is_multiple_of(FORGET_EVERY_TICKS));
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;
    use crate::groups::GroupConfig;
    use crate::share::handlers::testing::Fixture;

    #[tokio::test]
    async fn an_existing_state_topic_is_replayed_at_start() {
        let f = Fixture::new();
        let id = f.topic("q", 1);
        assert!(
            !f.share.is_loaded(),
            "nothing to replay: created on first use"
        );
        let loaded = f.share.loaded().await.expect("loaded");
        let ((), seq) = loaded.run(|s, _| s.initialize("g", (id, 0), 7));
        loaded.durable(seq).await.expect("durable");
        let groups = GroupCoordinator::new(f.log.clone(), GroupConfig::default());
        let again = ShareCoordinator::new(f.log.clone(), ShareConfig::default(), groups, true, 1);
        for _ in 0..500 {
            if again.is_loaded() {
                break;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        assert!(again.is_loaded(), "replayed without any share request");
        let starts = again
            .loaded()
            .await
            .expect("loaded")
            .read(|s| s.start_offsets("g", None).expect("group"));
        assert_eq!(starts[&id], vec![(0, Some(7))]);
    }
}
