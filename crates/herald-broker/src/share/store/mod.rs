//! `__share_group_state`: where share-partition states, share-group
//! membership and group configurations live.
//!
//! The topic is created on first use (one partition, `cleanup.policy=compact`,
//! `flush=always`) and replayed when the coordinator loads (both through
//! [`crate::internal_topic`]). One writer
//! appends snapshots of whatever changed since its last write as one batch
//! (one fsync covers many requests); requests wait until the change
//! sequence they produced is durable ([`Durability`]).

pub(crate) mod format;

use std::sync::Arc;

use herald_log::{Log, Partition};
use tokio::sync::{Notify, watch};

use crate::internal_topic::{self, InternalTopic};
use crate::share::error::ShareError;
use crate::share::state::StoreRecord;

/// The internal topic's name (Kafka's).
pub(crate) const TOPIC: &str = "__share_group_state";

/// The topic: segments small enough that compaction keeps replay short,
/// and the largest batch it accepts.
const STATE: InternalTopic = InternalTopic {
    name: TOPIC,
    overrides: &[
        ("segment.bytes", "16777216"),
        ("max.message.bytes", "16777216"),
    ],
};

/// Records gathered into one appended batch.
const BATCH_BYTES: usize = 1 << 20;

fn storage(e: &impl std::fmt::Display) -> ShareError {
    ShareError::Storage(e.to_string())
}

/// Opens `__share_group_state`, creating it if needed, and reads every
/// record back in log order (unreadable ones are logged and skipped).
/// Blocks on I/O: call from a blocking thread.
pub(crate) fn open(log: &Log) -> Result<(Arc<Partition>, Vec<StoreRecord>), ShareError> {
    let partition = STATE.open(log).map_err(|e| storage(&e))?;
    let records = STATE
        .replay(&partition, format::decode)
        .map_err(|e| storage(&e))?;
    Ok((partition, records))
}

/// Appends `records` (in batches of about [`BATCH_BYTES`]). Blocks on I/O.
pub(crate) fn append(
    partition: &Partition,
    now_ms: i64,
    records: &[StoreRecord],
) -> Result<(), ShareError> {
    let encoded = records.iter().filter_map(|record| match format::encode(record) {
        Ok(kv) => Some(kv),
        Err(e) => {
            tracing::error!(error = %e, "cannot persist a share-group record; it is kept in memory only");
            None
        }
    });
    internal_topic::append(partition, now_ms, encoded, BATCH_BYTES).map_err(|e| storage(&e))
}

/// How far the writer got, in change sequence numbers.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Progress {
    /// Every change up to this one is durable.
    pub written: u64,
    /// A write covering up to this one failed (retried by the next write).
    pub failed: u64,
    /// Why it failed.
    pub error: Option<String>,
}

/// The meeting point of requests and the writer.
#[derive(Debug)]
pub(crate) struct Durability {
    wake: Notify,
    progress: watch::Sender<Progress>,
}

impl Default for Durability {
    fn default() -> Self {
        Durability {
            wake: Notify::new(),
            progress: watch::Sender::new(Progress::default()),
        }
    }
}

impl Durability {
    /// Tells the writer there is something to write.
    pub(crate) fn wake(&self) {
        self.wake.notify_one();
    }

    /// Waits until the writer is told to write.
    pub(crate) async fn woken(&self) {
        self.wake.notified().await;
    }

    /// Publishes the writer's progress.
    pub(crate) fn report(&self, f: impl FnOnce(&mut Progress)) {
        self.progress.send_modify(f);
    }

    /// Waits until every change up to `seq` is durable, or a write
    /// covering it failed.
    pub(crate) async fn wait(&self, seq: u64) -> Result<(), ShareError> {
        let mut rx = self.progress.subscribe();
        let progress = rx
            .wait_for(|p| p.written >= seq || p.failed >= seq)
            .await
            .map_err(|_| ShareError::Storage(format!("the {TOPIC} writer stopped")))?
            .clone();
        if progress.written >= seq {
            Ok(())
        } else {
            Err(ShareError::Storage(
                progress
                    .error
                    .unwrap_or_else(|| format!("writing {TOPIC} failed")),
            ))
        }
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use herald_log::{BatchBuilder, LogOptions, Record};

    use super::*;

    fn config(group: &str) -> StoreRecord {
        StoreRecord::Config {
            group: group.to_owned(),
            value: Some(BTreeMap::from([("k".to_owned(), "v".to_owned())])),
        }
    }

    #[test]
    fn records_are_appended_and_replayed_across_restarts() {
        let dir = tempfile::tempdir().expect("tempdir");
        let log = Log::open(dir.path(), LogOptions::default()).expect("log");
        let (partition, existing) = open(&log).expect("open");
        assert!(existing.is_empty());
        let info = log.topic(TOPIC).expect("created");
        assert!(info.config.cleanup_policy.compact);
        append(&partition, 0, &[config("a"), config("b")]).expect("append");
        let mut bad = BatchBuilder::new(0);
        bad.push(Record::new(Some(vec![0, 77]), Some(vec![1])));
        partition.append(&bad.build()).expect("append garbage");
        log.shutdown().expect("shutdown");
        let log = Log::open(dir.path(), LogOptions::default()).expect("reopen");
        let (_, replayed) = open(&log).expect("replay");
        assert_eq!(replayed, vec![config("a"), config("b")], "garbage skipped");
    }

    #[tokio::test]
    async fn waiters_learn_of_success_and_failure() {
        let d = Durability::default();
        assert!(d.wait(0).await.is_ok(), "nothing to wait for");
        d.report(|p| p.written = 3);
        assert!(d.wait(2).await.is_ok());
        d.report(|p| {
            p.failed = 5;
            p.error = Some("disk full".into());
        });
        let err = d.wait(4).await.unwrap_err();
        assert!(err.to_string().contains("disk full"), "{err}");
    }
}
