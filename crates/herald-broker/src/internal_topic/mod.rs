//! The mechanics the coordinators' internal topics share
//! (`__consumer_offsets`, `__share_group_state`): a one-partition compacted
//! topic created on first use, read back record by record when its
//! coordinator loads, and appended to in batches.
//!
//! What the records mean and how writes are queued and acknowledged stay
//! with each coordinator's store: this module moves keyed records between a
//! store and the log, and [`fields`] reads and writes the field encoding
//! both record formats are written in.

pub(crate) mod fields;

use std::collections::BTreeMap;
use std::fmt::Display;
use std::sync::Arc;

use herald_log::{
    BatchBuilder, BatchError, Batches, Log, LogError, Partition, Record, decode_records,
};

/// How much is read per step when replaying.
const READ_BYTES: usize = 1 << 20;

/// A record as stored: its key, and its value (`None`: a tombstone).
pub(crate) type Encoded = (Vec<u8>, Option<Vec<u8>>);

/// Why an internal topic could not be opened, read or written.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub(crate) enum InternalTopicError {
    /// The log refused.
    #[error(transparent)]
    Log(#[from] LogError),
    /// The records do not make a valid batch.
    #[error(transparent)]
    Batch(#[from] BatchError),
}

/// One internal topic: its name and the configuration it is created with
/// (besides `cleanup.policy=compact` and `flush=always`, which every
/// internal topic has: each key's latest record is what counts, and a write
/// is acknowledged only once it is on disk).
#[derive(Debug, Clone, Copy)]
pub(crate) struct InternalTopic {
    /// The topic's name.
    pub name: &'static str,
    /// Further topic configuration, by Kafka config name.
    pub overrides: &'static [(&'static str, &'static str)],
}

impl InternalTopic {
    /// Its only partition, creating the topic if it does not exist (another
    /// caller creating it at the same time is fine). Blocks on I/O.
    pub(crate) fn open(&self, log: &Log) -> Result<Arc<Partition>, LogError> {
        if log.topic(self.name).is_none() {
            let mut config = BTreeMap::from([
                ("cleanup.policy".to_owned(), "compact".to_owned()),
                ("flush".to_owned(), "always".to_owned()),
            ]);
            for (key, value) in self.overrides {
                config.insert((*key).to_owned(), (*value).to_owned());
            }
            match log.create_topic(self.name, 1, &config) {
                Ok(_) | Err(LogError::TopicExists { .. }) => {}
                Err(e) => return Err(e),
            }
        }
        log.partition(self.name, 0)
    }

    /// Every record of `partition` that `decode` accepts, oldest first.
    /// Records without a key, and batches or records that do not decode,
    /// are logged and skipped: one bad record must not keep every group
    /// from loading. Blocks on I/O.
    pub(crate) fn replay<R, E: Display>(
        &self,
        partition: &Partition,
        mut decode: impl FnMut(&[u8], Option<&[u8]>) -> Result<R, E>,
    ) -> Result<Vec<R>, LogError> {
        let topic = self.name;
        let mut out = Vec::new();
        let mut offset = partition.log_start_offset();
        let end = partition.high_watermark();
        while offset < end {
            let read = partition.read(offset, READ_BYTES)?;
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
                            "skipping an unreadable batch of {topic}"
                        );
                        Vec::new()
                    });
                    for r in records {
                        // A read may start inside a batch (compaction).
                        if batch.base_offset() + i64::from(r.offset_delta) < offset {
                            continue;
                        }
                        let Some(key) = r.key.as_deref() else {
                            continue;
                        };
                        match decode(key, r.value.as_deref()) {
                            Ok(record) => out.push(record),
                            Err(e) => {
                                tracing::error!(error = %e, "skipping an unreadable record of {topic}")
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
}

/// Appends `records` to `partition` in order, starting a new batch once one
/// holds `batch_bytes` of keys and values (`usize::MAX`: all in one batch,
/// so the write lands whole or not at all). Blocks on I/O (and on the fsync
/// of `flush=always`).
pub(crate) fn append(
    partition: &Partition,
    now_ms: i64,
    records: impl IntoIterator<Item = Encoded>,
    batch_bytes: usize,
) -> Result<(), InternalTopicError> {
    let mut batch = BatchBuilder::new(now_ms);
    let mut bytes = 0usize;
    for (key, value) in records {
        bytes = bytes.saturating_add(key.len() + value.as_ref().map_or(0, Vec::len));
        batch.push(Record::new(Some(key), value));
        if bytes >= batch_bytes {
            partition.append(&batch.try_build()?)?;
            batch = BatchBuilder::new(now_ms);
            bytes = 0;
        }
    }
    if !batch.is_empty() {
        partition.append(&batch.try_build()?)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use herald_log::LogOptions;

    use super::*;

    const TOPIC: InternalTopic = InternalTopic {
        name: "__test_state",
        overrides: &[("segment.bytes", "1048576")],
    };

    fn decode(key: &[u8], value: Option<&[u8]>) -> Result<(u8, Option<u8>), String> {
        match (key, value) {
            ([k], None) => Ok((*k, None)),
            ([k], Some([v])) => Ok((*k, Some(*v))),
            _ => Err("not one byte".to_owned()),
        }
    }

    fn record(k: u8, v: Option<u8>) -> Encoded {
        (vec![k], v.map(|v| vec![v]))
    }

    #[test]
    fn creates_a_compacted_topic_and_replays_what_was_appended_in_order() {
        let dir = tempfile::tempdir().expect("tempdir");
        let log = Log::open(dir.path(), LogOptions::default()).expect("log");
        let partition = TOPIC.open(&log).expect("open");
        let info = log.topic(TOPIC.name).expect("created");
        assert!(info.config.cleanup_policy.compact);
        assert_eq!(info.partitions, 1);
        assert!(TOPIC.replay(&partition, decode).expect("replay").is_empty());

        // A batch is cut once it holds 4 bytes of keys and values: r1 and r2
        // (2 + 2), then r3 to r5 (1 + 2 + 2).
        let records = [
            record(1, Some(10)),
            record(2, Some(20)),
            record(1, None),
            record(3, Some(30)),
            record(4, Some(40)),
        ];
        append(&partition, 0, records.clone(), 4).expect("append");
        assert_eq!(partition.high_watermark(), 5);
        assert_eq!(partition.batch_headers(0).count(), 2, "cut after 4 bytes");
        let mut garbage = BatchBuilder::new(0);
        garbage.push(Record::new(Some(vec![7, 7]), Some(vec![1])));
        partition.append(&garbage.build()).expect("append garbage");
        append(&partition, 0, [record(5, Some(50))], usize::MAX).expect("append");
        log.shutdown().expect("shutdown");

        let log = Log::open(dir.path(), LogOptions::default()).expect("reopen");
        let partition = TOPIC.open(&log).expect("reopen the topic");
        let replayed = TOPIC.replay(&partition, decode).expect("replay");
        assert_eq!(
            replayed,
            vec![
                (1, Some(10)),
                (2, Some(20)),
                (1, None),
                (3, Some(30)),
                (4, Some(40)),
                (5, Some(50))
            ],
            "the unreadable record skipped, the rest in order"
        );
    }
}
