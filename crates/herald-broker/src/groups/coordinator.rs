//! The async shell around the pure group state: loads `__consumer_offsets`
//! on first use, serialises access to the state, sends the records each
//! operation produces to the store (waiting until they are durable before
//! the caller answers), and drives timeouts from a background ticker. When
//! the broker stops, [`GroupCoordinator::unload`] answers the requests that
//! wait for their group, so connections drain at once.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Weak};
use std::time::Duration;

use herald_log::Log;
use parking_lot::Mutex;
use tokio::sync::{OnceCell, oneshot};

use super::GroupConfig;
use super::error::GroupError;
use super::state::Reply;
use super::state::registry::Groups;
use super::state::topics::TopicsView;
use super::store::{self, Store};

/// How often timeouts (sessions, rebalances, offset retention) are checked.
const TICK: Duration = Duration::from_millis(50);

/// Milliseconds on the wall clock, advanced by `tokio::time` so tests can
/// pause and move time.
#[derive(Debug)]
struct Clock {
    start: tokio::time::Instant,
    wall_at_start: i64,
}

impl Clock {
    fn now(&self) -> i64 {
        let elapsed = i64::try_from(self.start.elapsed().as_millis()).unwrap_or(i64::MAX);
        self.wall_at_start.saturating_add(elapsed)
    }
}

/// The loaded coordinator: the state and where its records go.
#[derive(Debug)]
pub(crate) struct Loaded {
    groups: Mutex<Groups>,
    store: Store,
    clock: Clock,
    /// The coordinator's [`Shared::stopping`].
    stopping: Arc<AtomicBool>,
}

impl Loaded {
    /// Runs `f` on the state at the current time and waits until the records
    /// it produced are durable.
    pub(crate) async fn run<R>(
        &self,
        f: impl FnOnce(&mut Groups, i64) -> R,
    ) -> Result<R, GroupError> {
        let (result, durable) = self.run_and_keep(f).await;
        durable.map(|()| result)
    }

    /// Like [`Loaded::run`], but hands back `f`'s result even when its
    /// records could not be made durable.
    pub(crate) async fn run_and_keep<R>(
        &self,
        f: impl FnOnce(&mut Groups, i64) -> R,
    ) -> (R, Result<(), GroupError>) {
        let (result, ack) = self.apply(f, true);
        let durable = match ack {
            None => Ok(()),
            Some(ack) => ack.await.unwrap_or_else(|_| {
                Err(GroupError::Storage("the offsets writer stopped".to_owned()))
            }),
        };
        (result, durable)
    }

    fn apply<R>(
        &self,
        f: impl FnOnce(&mut Groups, i64) -> R,
        ack: bool,
    ) -> (R, Option<oneshot::Receiver<Result<(), GroupError>>>) {
        let mut groups = self.groups.lock();
        // Checked under the lock, so no request parks after `unload` (even
        // one that was on its way in while the state was still loading).
        if self.stopping.load(Ordering::SeqCst) {
            groups.shutdown();
        }
        let result = f(&mut groups, self.clock.now());
        // Sent under the lock: records reach the log in state order.
        let ack = self.store.send(groups.take_records(), ack);
        (result, ack)
    }

    /// Runs `f` on the state without waiting for the records it produces.
    pub(crate) fn update<R>(&self, f: impl FnOnce(&mut Groups, i64) -> R) -> R {
        self.apply(f, false).0
    }

    /// Reads the state without changing it.
    pub(crate) fn read<R>(&self, f: impl FnOnce(&Groups) -> R) -> R {
        f(&self.groups.lock())
    }

    fn tick(&self) {
        let _ = self.apply(|groups, now| groups.tick(now), false);
    }
}

/// Waits for a parked JoinGroup or SyncGroup.
pub(crate) async fn settle<T>(reply: Reply<Result<T, GroupError>>) -> Result<T, GroupError> {
    match reply {
        Reply::Ready(r) => r,
        Reply::Pending(rx) => rx.await.unwrap_or_else(|_| {
            Err(GroupError::Storage(
                "the group coordinator stopped".to_owned(),
            ))
        }),
    }
}

/// The group coordinator of this broker (a single node coordinates every
/// group). Clones share one coordinator.
#[derive(Debug, Clone)]
pub(crate) struct GroupCoordinator {
    shared: Arc<Shared>,
}

#[derive(Debug)]
struct Shared {
    log: Arc<Log>,
    config: GroupConfig,
    loaded: OnceCell<Arc<Loaded>>,
    /// Set by [`GroupCoordinator::unload`].
    stopping: Arc<AtomicBool>,
}

impl GroupCoordinator {
    /// A coordinator over `log`. If `__consumer_offsets` exists, replaying
    /// it starts at once in the background (when called inside a tokio
    /// runtime); otherwise the topic is created by the first group request.
    pub(crate) fn new(log: Arc<Log>, config: GroupConfig) -> Self {
        let shared = Arc::new(Shared {
            log,
            config,
            loaded: OnceCell::new(),
            stopping: Arc::new(AtomicBool::new(false)),
        });
        if shared.log.topic(store::TOPIC).is_some()
            && let Ok(runtime) = tokio::runtime::Handle::try_current()
        {
            let eager = shared.clone();
            runtime.spawn(async move {
                if let Err(e) = eager.loaded().await {
                    tracing::warn!(error = %e, "loading {} at start failed; retrying on the first group request", store::TOPIC);
                }
            });
        }
        GroupCoordinator { shared }
    }

    /// Gives up the groups as the broker stops, as Kafka's coordinator does
    /// when it unloads them: every JoinGroup and SyncGroup waiting for the
    /// rest of its group is answered NOT_COORDINATOR now, and later ones at
    /// once, instead of holding its connection until the rebalance timeout.
    /// Other requests are still served while connections drain.
    pub(crate) fn unload(&self) {
        self.shared.stopping.store(true, Ordering::SeqCst);
        if let Some(loaded) = self.shared.loaded.get() {
            loaded.update(|_, _| ());
        }
    }

    /// The topics as the log has them now.
    pub(crate) fn topics(&self) -> TopicsView {
        TopicsView::of(&self.shared.log)
    }

    /// The loaded coordinator: on first use creates or replays
    /// `__consumer_offsets` and starts the writer and the ticker. A failure
    /// is reported (COORDINATOR_NOT_AVAILABLE) and retried by the next request.
    pub(crate) async fn loaded(&self) -> Result<&Arc<Loaded>, GroupError> {
        self.shared.loaded().await
    }

    /// The lowest committed offset of a partition over the groups with
    /// interest in it (see `Groups::consumed_up_to`); `Ok(None)` if no
    /// group cares, `Err` if the coordinator cannot load.
    pub(crate) async fn consumed_up_to(
        &self,
        topic: &str,
        partition: i32,
    ) -> Result<Option<i64>, GroupError> {
        let loaded = self.loaded().await?;
        Ok(loaded.read(|g| g.consumed_up_to(topic, partition)))
    }

    /// The type of the consumer group `group_id` (`classic`, `consumer`),
    /// if one exists; `Err` if the coordinator cannot load.
    pub(crate) async fn group_type(
        &self,
        group_id: &str,
    ) -> Result<Option<&'static str>, GroupError> {
        let loaded = self.loaded().await?;
        Ok(loaded.read(|g| g.group_type(group_id)))
    }

    #[cfg(test)]
    fn is_loaded(&self) -> bool {
        self.shared.loaded.initialized()
    }
}

impl Shared {
    async fn loaded(&self) -> Result<&Arc<Loaded>, GroupError> {
        self.loaded
            .get_or_try_init(|| async {
                let log = self.log.clone();
                let (partition, records) = tokio::task::spawn_blocking(move || store::open(&log))
                    .await
                    .map_err(|e| GroupError::Storage(format!("loading {}: {e}", store::TOPIC)))??;
                let clock = Clock {
                    start: tokio::time::Instant::now(),
                    wall_at_start: self.log.clock().now_ms(),
                };
                let mut groups = Groups::new(self.config.clone());
                let now = clock.now();
                let count = records.len();
                for record in records {
                    groups.replay(record, now);
                }
                tracing::info!(
                    records = count,
                    groups = groups.groups.len(),
                    "loaded {}",
                    store::TOPIC
                );
                let loaded = Arc::new(Loaded {
                    groups: Mutex::new(groups),
                    store: Store::spawn(self.log.clone(), partition),
                    clock,
                    stopping: self.stopping.clone(),
                });
                tokio::spawn(ticker(Arc::downgrade(&loaded)));
                Ok(loaded)
            })
            .await
    }
}

impl Drop for Shared {
    fn drop(&mut self) {
        if let Some(loaded) = self.loaded.get() {
            loaded.groups.lock().shutdown();
        }
    }
}

async fn ticker(loaded: Weak<Loaded>) {
    let mut interval = tokio::time::interval(TICK);
    interval.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        interval.tick().await;
        let Some(loaded) = loaded.upgrade() else {
            return;
        };
        loaded.tick();
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use crate::groups::handlers::testing::{Fixture, stable_member};

    #[tokio::test]
    async fn an_existing_offsets_topic_is_replayed_at_start() {
        let f = Fixture::new();
        assert!(
            !f.coordinator.is_loaded(),
            "nothing to replay: created on first use"
        );
        stable_member(&f, "g").await;
        let again =
            super::GroupCoordinator::new(f.log.clone(), crate::groups::GroupConfig::default());
        for _ in 0..500 {
            if again.is_loaded() {
                break;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        assert!(again.is_loaded(), "replayed without any group request");
        let groups = again
            .loaded()
            .await
            .expect("loaded")
            .read(|g| g.list(&[], &[]));
        assert_eq!(groups[0].group_id, "g");
    }

    #[tokio::test]
    async fn unload_answers_a_parked_join_at_once_and_refuses_to_park_again() {
        use crate::groups::handlers::join_group::handle;
        use crate::groups::handlers::testing::{PEER, header, join_request};
        use kafka_protocol::error::ResponseError;

        let f = Fixture::new();
        stable_member(&f, "g").await;
        let coordinator = f.coordinator.clone();
        // A second member: its join waits up to 10 s for the first to rejoin.
        let parked = tokio::spawn(async move {
            handle(&coordinator, &header(3), PEER, join_request("g", ""), 3).await
        });
        let loaded = f.coordinator.loaded().await.expect("loaded");
        let state = |l: &super::Loaded| l.read(|g| g.list(&[], &[])[0].state);
        for _ in 0..500 {
            if state(loaded) == "PreparingRebalance" {
                break;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        assert_eq!(state(loaded), "PreparingRebalance", "the join is parked");
        assert!(!parked.is_finished());

        f.coordinator.unload();
        let answered = tokio::time::timeout(Duration::from_secs(2), parked)
            .await
            .expect("answered without waiting for the rebalance timeout")
            .expect("join task");
        assert_eq!(answered.error_code, ResponseError::NotCoordinator.code());
        let again = tokio::time::timeout(
            Duration::from_secs(2),
            handle(&f.coordinator, &header(3), PEER, join_request("g", ""), 3),
        )
        .await
        .expect("a join after unload does not park");
        assert_eq!(again.error_code, ResponseError::NotCoordinator.code());
    }

    #[tokio::test(start_paused = true)]
    async fn sessions_expire_as_tokio_time_passes() {
        let f = Fixture::new();
        stable_member(&f, "g").await;
        let loaded = f.coordinator.loaded().await.expect("loaded");
        let state = |l: &super::Loaded| l.read(|g| g.list(&[], &[])[0].state);
        assert_eq!(state(loaded), "Stable");
        tokio::time::sleep(Duration::from_secs(5)).await;
        assert_eq!(state(loaded), "Stable", "the 10 s session is still alive");
        tokio::time::sleep(Duration::from_secs(6)).await;
        assert_eq!(
            state(loaded),
            "Empty",
            "the silent member was removed by the ticker"
        );
    }
}
