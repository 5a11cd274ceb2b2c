//! `__consumer_offsets`: where committed offsets and group snapshots live.
//!
//! The topic is created on first use (one partition, `cleanup.policy=compact`,
//! `flush=always`) and replayed when the coordinator loads. Writes go through
//! one task that appends everything queued so far as one batch (one fsync
//! for many writers) on a blocking thread, in the order they were queued.

pub(crate) mod format;

use std::collections::BTreeMap;
use std::sync::Arc;

use herald_log::{BatchBuilder, Batches, Log, LogError, Partition, Record, decode_records};
use tokio::sync::{mpsc, oneshot};

use crate::groups::error::GroupError;
use crate::groups::state::registry::StoreRecord;

/// The internal topic's name (Kafka's).
pub(crate) const TOPIC: &str = "__consumer_offsets";

/// Largest record accepted by the topic: a big group's snapshot must fit.
const MAX_MESSAGE_BYTES: &str = "16777216";

/// Bytes of records gathered into one appended batch before the rest waits
/// for the next one.
const BATCH_BYTES: usize = 1 << 20;

/// How much is read per step when replaying.
const READ_BYTES: usize = 1 << 20;

type Encoded = (Vec<u8>, Option<Vec<u8>>);

struct Write {
    records: Vec<Encoded>,
    done: Option<oneshot::Sender<Result<(), GroupError>>>,
}

/// The write side of `__consumer_offsets`.
#[derive(Debug, Clone)]
pub(crate) struct Store {
    tx: mpsc::UnboundedSender<Write>,
}

fn storage(e: &LogError) -> GroupError {
    GroupError::Storage(e.to_string())
}

/// Opens `__consumer_offsets`, creating it if needed, and reads every record
/// back in log order. Blocks on I/O: call from a blocking thread.
pub(crate) fn open(log: &Log) -> Result<(Arc<Partition>, Vec<StoreRecord>), GroupError> {
    if log.topic(TOPIC).is_none() {
        let overrides = BTreeMap::from([
            ("cleanup.policy".to_owned(), "compact".to_owned()),
            ("flush".to_owned(), "always".to_owned()),
            ("max.message.bytes".to_owned(), MAX_MESSAGE_BYTES.to_owned()),
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

/// Every decodable record of the partition, oldest first. Records (and
/// batches) that do not decode are logged and skipped: one bad record must
/// not keep every group from loading.
fn replay(partition: &Partition) -> Result<Vec<StoreRecord>, GroupError> {
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
                    tracing::error!(
                        error = %e,
                        offset = batch.base_offset(),
                        "skipping an unreadable batch of {TOPIC}"
                    );
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
                            tracing::error!(error = %e, "skipping unreadable record of {TOPIC}")
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
        let mut batch = BatchBuilder::new(log.clock().now_ms());
        for w in &writes {
            for (key, value) in &w.records {
                batch.push(Record::new(Some(key.clone()), value.clone()));
            }
        }
        let result = if batch.is_empty() {
            Ok(())
        } else {
            let partition = partition.clone();
            match tokio::task::spawn_blocking(move || {
                let bytes = batch
                    .try_build()
                    .map_err(|e| GroupError::Storage(e.to_string()))?;
                partition
                    .append(&bytes)
                    .map(|_| ())
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
    use herald_log::LogOptions;

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
