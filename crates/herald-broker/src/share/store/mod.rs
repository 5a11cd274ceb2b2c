//! `__share_group_state`: where share-partition states, share-group
//! membership and group configurations live.
//!
//! The topic is created on first use (one partition, `cleanup.policy=compact`,
//! `flush=always`) and replayed when the coordinator loads. One writer
//! appends snapshots of whatever changed since its last write as one batch
//! (one fsync covers many requests); requests wait until the change
//! sequence they produced is durable ([`Durability`]).

pub(crate) mod format;

use std::collections::BTreeMap;
use std::sync::Arc;

use herald_log::{BatchBuilder, Batches, Log, LogError, Partition, Record, decode_records};
use tokio::sync::{Notify, watch};

use crate::share::error::ShareError;
use crate::share::state::StoreRecord;

/// The internal topic's name (Kafka's).
pub(crate) const TOPIC: &str = "__share_group_state";

/// Largest batch the topic accepts.
const MAX_MESSAGE_BYTES: usize = 16 << 20;

/// Segment size: small enough that compaction keeps replay short.
const SEGMENT_BYTES: &str = "16777216";

/// Records gathered into one appended batch.
const BATCH_BYTES: usize = 1 << 20;

/// How much is read per step when replaying.
const READ_BYTES: usize = 1 << 20;

fn storage(e: &LogError) -> ShareError {
    ShareError::Storage(e.to_string())
}

/// Opens `__share_group_state`, creating it if needed, and reads every
/// record back in log order. Blocks on I/O: call from a blocking thread.
pub(crate) fn open(log: &Log) -> Result<(Arc<Partition>, Vec<StoreRecord>), ShareError> {
    if log.topic(TOPIC).is_none() {
        let overrides = BTreeMap::from([
            ("cleanup.policy".to_owned(), "compact".to_owned()),
            ("flush".to_owned(), "always".to_owned()),
            ("segment.bytes".to_owned(), SEGMENT_BYTES.to_owned()),
            (
                "max.message.bytes".to_owned(),
                MAX_MESSAGE_BYTES.to_string(),
            ),
        ]);
        match log.create_topic(TOPIC, 1, &overrides) {
            Ok(_) | Err(LogError::TopicExists { .. }) => {}
            Err(e) => return Err(storage(&e)),
        }
    }
    let partition = log.partition(TOPIC, 0).map_err(|e| storage(&e))?;
    let records = replay(&partition)?;
    Ok((partition, records))
}

/// Every decodable record, oldest first. Unreadable records are logged and
/// skipped: one bad record must not keep every share group from loading.
fn replay(partition: &Partition) -> Result<Vec<StoreRecord>, ShareError> {
    let mut out = Vec::new();
    let mut offset = partition.log_start_offset();
    let end = partition.high_watermark();
    while offset < end {
        let read = partition
            .read(offset, READ_BYTES)
            .map_err(|e| storage(&e))?;
        let mut progressed = false;
        for batch in Batches::new(&read.records) {
            let next = batch.next_offset();
            if next <= offset {
                continue;
            }
            if !batch.is_control() {
                let records = decode_records(batch.bytes()).unwrap_or_else(|e| {
                    tracing::error!(error = %e, offset = batch.base_offset(), "skipping an unreadable batch of {TOPIC}");
                    Vec::new()
                });
                for r in records {
                    if batch.base_offset() + i64::from(r.offset_delta) < offset {
                        continue;
                    }
                    let Some(key) = r.key.as_deref() else {
                        continue;
                    };
                    match format::decode(key, r.value.as_deref()) {
                        Ok(record) => out.push(record),
                        Err(e) => {
                            tracing::error!(error = %e, "skipping an unreadable record of {TOPIC}")
                        }
                    }
                }
            }
            offset = next;
            progressed = true;
        }
        if !progressed {
            break;
        }
    }
    Ok(out)
}

/// Appends `records` (in batches of about [`BATCH_BYTES`]). Blocks on I/O.
pub(crate) fn append(
    partition: &Partition,
    now_ms: i64,
    records: &[StoreRecord],
) -> Result<(), ShareError> {
    let mut batch = BatchBuilder::new(now_ms);
    let mut bytes = 0;
    for record in records {
        let (key, value) = match format::encode(record) {
            Ok(kv) => kv,
            Err(e) => {
                tracing::error!(error = %e, "cannot persist a share-group record; it is kept in memory only");
                continue;
            }
        };
        bytes += key.len() + value.as_ref().map_or(0, Vec::len);
        batch.push(Record::new(Some(key), value));
        if bytes >= BATCH_BYTES {
            flush(partition, &batch)?;
            batch = BatchBuilder::new(now_ms);
            bytes = 0;
        }
    }
    if !batch.is_empty() {
        flush(partition, &batch)?;
    }
    Ok(())
}

fn flush(partition: &Partition, batch: &BatchBuilder) -> Result<(), ShareError> {
    let bytes = batch
        .try_build()
        .map_err(|e| ShareError::Storage(e.to_string()))?;
    partition
        .append(&bytes)
        .map(|_| ())
        .map_err(|e| storage(&e))
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
    use herald_log::LogOptions;

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
