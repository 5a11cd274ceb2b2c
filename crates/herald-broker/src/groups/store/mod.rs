//! `__consumer_offsets`: where committed offsets and group snapshots live.
//!
//! The topic is created on first use (one partition, `cleanup.policy=compact`,
//! `flush=always`) and replayed when the coordinator loads (both through
//! [`crate::internal_topic`]). Writes go through one task that appends
//! everything queued so far as one batch (one fsync for many writers) on a
//! blocking thread, in the order they were queued.

pub(crate) mod format;

use std::sync::Arc;

use herald_log::{Log, Partition};
use tokio::sync::{mpsc, oneshot};

use crate::groups::error::GroupError;
use crate::groups::state::registry::StoreRecord;
use crate::internal_topic::{self, Encoded, InternalTopic};

/// The internal topic's name (Kafka's).
pub(crate) const TOPIC: &str = "__consumer_offsets";

/// The topic, with the largest record it accepts: a big group's snapshot
/// must fit.
const OFFSETS: InternalTopic = InternalTopic {
    name: TOPIC,
    overrides: &[("max.message.bytes", "16777216")],
};

/// Bytes of records gathered into one appended batch before the rest waits
/// for the next one.
const BATCH_BYTES: usize = 1 << 20;

struct Write {
    records: Vec<Encoded>,
    done: Option<oneshot::Sender<Result<(), GroupError>>>,
}

/// The write side of `__consumer_offsets`.
#[derive(Debug, Clone)]
pub(crate) struct Store {
    tx: mpsc::UnboundedSender<Write>,
}

fn storage(e: &impl std::fmt::Display) -> GroupError {
    GroupError::Storage(e.to_string())
}

/// Opens `__consumer_offsets`, creating it if needed, and reads every record
/// back in log order (unreadable ones are logged and skipped). Blocks on
/// I/O: call from a blocking thread.
pub(crate) fn open(log: &Log) -> Result<(Arc<Partition>, Vec<StoreRecord>), GroupError> {
    let partition = OFFSETS.open(log).map_err(|e| storage(&e))?;
    let records = OFFSETS
        .replay(&partition, format::decode)
        .map_err(|e| storage(&e))?;
    Ok((partition, records))
}

impl Store {
    /// Starts the writer task for `partition`. The task ends when every
    /// [`Store`] handle is dropped, after writing what was queued.
    pub(crate) fn spawn(log: Arc<Log>, partition: Arc<Partition>) -> Store {
        let (tx, rx) = mpsc::unbounded_channel();
        tokio::spawn(writer(log, partition, rx));
        Store { tx }
    }

    /// Queues `records`; the returned receiver (when `ack` is set) resolves
    /// once they are durable. Call while holding the state lock, so records
    /// reach the log in the order the state changed.
    pub(crate) fn send(
        &self,
        records: Vec<StoreRecord>,
        ack: bool,
    ) -> Option<oneshot::Receiver<Result<(), GroupError>>> {
        if records.is_empty() {
            return None;
        }
        let mut encoded = Vec::with_capacity(records.len());
        for record in &records {
            match format::encode(record) {
                Ok(e) => encoded.push(e),
                Err(e) => {
                    tracing::error!(error = %e, "cannot persist a group record; it is kept in memory only")
                }
            }
        }
        let (done, rx) = if ack {
            let (tx, rx) = oneshot::channel();
            (Some(tx), Some(rx))
        } else {
            (None, None)
        };
        let write = Write {
            records: encoded,
            done,
        };
        if self.tx.send(write).is_err() {
            tracing::error!("the {TOPIC} writer has stopped; records are lost");
        }
        rx
    }
}

async fn writer(log: Arc<Log>, partition: Arc<Partition>, mut rx: mpsc::UnboundedReceiver<Write>) {
    while let Some(first) = rx.recv().await {
        let mut writes = vec![first];
        let mut bytes = 0;
        while bytes < BATCH_BYTES {
            match rx.try_recv() {
                Ok(w) => {
                    bytes += w
                        .records
                        .iter()
                        .map(|(k, v)| k.len() + v.as_ref().map_or(0, Vec::len))
                        .sum::<usize>();
                    writes.push(w);
                }
                Err(_) => break,
            }
        }
        let records: Vec<Encoded> = writes
            .iter_mut()
            .flat_map(|w| std::mem::take(&mut w.records))
            .collect();
        let result = if records.is_empty() {
            Ok(())
        } else {
            let partition = partition.clone();
            let now = log.clock().now_ms();
            // One batch: what was queued together lands whole or not at all.
            match tokio::task::spawn_blocking(move || {
                internal_topic::append(&partition, now, records, usize::MAX)
                    .map_err(|e| storage(&e))
            })
            .await
            {
                Ok(r) => r,
                Err(e) => Err(GroupError::Storage(format!("writer thread failed: {e}"))),
            }
        };
        if let Err(e) = &result {
            tracing::error!(error = %e, "writing {TOPIC} failed");
        }
        for w in writes {
            if let Some(done) = w.done {
                let _ = done.send(result.clone());
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use herald_log::{BatchBuilder, LogOptions, Record};

    use super::*;
    use crate::groups::state::offsets::CommittedOffset;

    fn offset(group: &str, partition: i32, value: Option<i64>) -> StoreRecord {
        StoreRecord::Offset {
            group: group.to_owned(),
            topic: "t".to_owned(),
            partition,
            value: value.map(|o| CommittedOffset {
                offset: o,
                leader_epoch: -1,
                metadata: String::new(),
                commit_timestamp: 1,
                expire_timestamp: None,
            }),
        }
    }

    #[test]
    fn unreadable_records_are_skipped_not_fatal() {
        let dir = tempfile::tempdir().expect("tempdir");
        let log = Log::open(dir.path(), LogOptions::default()).expect("log");
        let (partition, _) = open(&log).expect("open");
        let mut batch = BatchBuilder::new(0);
        batch.push(Record::new(Some(vec![0, 99, 1]), Some(vec![1, 2])));
        let (key, value) = format::encode(&offset("g", 4, Some(9))).expect("encode");
        batch.push(Record::new(Some(key), value));
        partition.append(&batch.build()).expect("append");
        let (_, replayed) = open(&log).expect("replay");
        assert_eq!(replayed, vec![offset("g", 4, Some(9))]);
    }

    #[tokio::test]
    async fn writes_are_durable_ordered_and_replayed() {
        let dir = tempfile::tempdir().expect("tempdir");
        let log = Arc::new(Log::open(dir.path(), LogOptions::default()).expect("log"));
        let (partition, existing) = open(&log).expect("open");
        assert!(existing.is_empty());
        let topic = log.topic(TOPIC).expect("created");
        assert!(topic.config.cleanup_policy.compact);
        let store = Store::spawn(log.clone(), partition.clone());
        let first = store.send(vec![offset("g", 0, Some(1)), offset("g", 1, Some(2))], true);
        let second = store.send(vec![offset("g", 0, None)], true);
        assert!(store.send(Vec::new(), true).is_none(), "nothing to write");
        first.expect("ack").await.expect("sent").expect("durable");
        second.expect("ack").await.expect("sent").expect("durable");
        drop(store);

        let (_, replayed) = open(&log).expect("reopen");
        assert_eq!(
            replayed,
            vec![
                offset("g", 0, Some(1)),
                offset("g", 1, Some(2)),
                offset("g", 0, None)
            ]
        );
        log.shutdown().expect("shutdown");
        let log = Log::open(dir.path(), LogOptions::default()).expect("reopen log");
        let (_, after_restart) = open(&log).expect("replay");
        assert_eq!(after_restart.len(), 3, "survives a restart of the log");
    }
}
