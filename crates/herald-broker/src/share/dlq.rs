//! Dead letters (KIP-1191): records a share group rejected, or archived
//! after too many deliveries, are appended to the group's
//! `errors.deadletterqueue.topic.name` — the record itself when
//! `errors.deadletterqueue.copy.record.enable` is set, otherwise only its
//! context — with headers naming where it came from and why.
//!
//! Until its copy is written a dead letter holds its share-partition's
//! start offset, so a crash before the copy redelivers the record rather
//! than losing it; a copy may therefore be written twice, never zero times
//! (unless the topic cannot be created or written at all: then the record
//! is archived without a copy and the failure is logged).

use std::collections::BTreeMap;
use std::sync::{Arc, Weak};
use std::time::Duration;

use herald_log::{BatchBuilder, Batches, Log, LogError, Record, RecordHeader, decode_records};
use tokio::sync::mpsc;
use uuid::Uuid;

use super::coordinator::Loaded;
use super::state::DeadLetterJob;

/// Header names, as Kafka's share-group dead-letter queue writes them.
pub(crate) const HEADER_TOPIC: &str = "__dlq.errors.topic";
pub(crate) const HEADER_PARTITION: &str = "__dlq.errors.partition";
pub(crate) const HEADER_OFFSET: &str = "__dlq.errors.offset";
pub(crate) const HEADER_GROUP: &str = "__dlq.errors.group";
pub(crate) const HEADER_DELIVERY_COUNT: &str = "__dlq.errors.delivery.count";
pub(crate) const HEADER_MESSAGE: &str = "__dlq.errors.message";

/// Jobs handled per round.
const ROUND: usize = 1_000;
/// Bytes read to find a source record.
const READ_BYTES: usize = 1 << 20;
/// Attempts to append before a dead letter is given up.
const ATTEMPTS: u32 = 3;

/// Offsets whose dead-letter handling finished, per share-partition.
type Done = BTreeMap<(String, Uuid, i32), Vec<i64>>;

/// Writes dead letters until the coordinator is dropped.
pub(crate) async fn run(
    loaded: Weak<Loaded>,
    log: Arc<Log>,
    mut rx: mpsc::UnboundedReceiver<DeadLetterJob>,
    auto_create: bool,
    default_partitions: i32,
) {
    while let Some(first) = rx.recv().await {
        let mut jobs = vec![first];
        while jobs.len() < ROUND {
            match rx.try_recv() {
                Ok(j) => jobs.push(j),
                Err(_) => break,
            }
        }
        let log = log.clone();
        let done = match tokio::task::spawn_blocking(move || {
            write_all(&log, jobs, auto_create, default_partitions)
        })
        .await
        {
            Ok(done) => done,
            Err(e) => {
                tracing::error!(error = %e, "the dead-letter writer thread failed");
                return;
            }
        };
        let Some(l) = loaded.upgrade() else {
            return;
        };
        l.run(|s, _| {
            for ((group, topic, partition), offsets) in &done {
                s.dead_letters_written(group, (*topic, *partition), offsets);
            }
        });
    }
}

/// Appends the jobs' records, one batch per dead-letter partition. Blocks on I/O.
fn write_all(log: &Log, jobs: Vec<DeadLetterJob>, auto_create: bool, partitions: i32) -> Done {
    let mut done = Done::new();
    let mut by_target: BTreeMap<(String, i32), Vec<Record>> = BTreeMap::new();
    let now = log.clock().now_ms();
    for job in jobs {
        done.entry((job.group.clone(), job.topic, job.partition))
            .or_default()
            .push(job.letter.offset);
        let target = match ensure_topic(log, &job.dlq_topic, auto_create, partitions) {
            Ok(count) => job.partition.rem_euclid(count.max(1)),
            Err(e) => {
                tracing::error!(topic = %job.dlq_topic, group = %job.group, error = %e, "dead-letter topic unavailable; the record is archived without a copy");
                continue;
            }
        };
        by_target
            .entry((job.dlq_topic.clone(), target))
            .or_default()
            .push(dead_letter_record(log, &job));
    }
    for ((topic, partition), records) in by_target {
        let mut batch = BatchBuilder::new(now);
        for r in records {
            batch.push(r);
        }
        let mut attempt = 0;
        loop {
            attempt += 1;
            let result = batch
                .try_build()
                .map_err(|e| e.to_string())
                .and_then(|bytes| {
                    log.partition(&topic, partition)
                        .and_then(|p| p.append(&bytes))
                        .map_err(|e| e.to_string())
                });
            match result {
                Ok(_) => break,
                Err(e) if attempt < ATTEMPTS => {
                    tracing::warn!(%topic, partition, error = %e, "appending dead letters failed; retrying");
                    std::thread::sleep(Duration::from_millis(100));
                }
                Err(e) => {
                    tracing::error!(%topic, partition, error = %e, count = batch.len(), "dead letters could not be written; the records stay archived without a copy");
                    break;
                }
            }
        }
    }
    done
}

/// The partition count of `topic`, creating it if allowed.
fn ensure_topic(
    log: &Log,
    topic: &str,
    auto_create: bool,
    partitions: i32,
) -> Result<i32, LogError> {
    if let Some(info) = log.topic(topic) {
        return Ok(info.partitions);
    }
    if !auto_create {
        return Err(LogError::UnknownTopic {
            topic: topic.to_owned(),
        });
    }
    match log.create_topic(topic, partitions.max(1), &BTreeMap::new()) {
        Ok(info) => {
            tracing::info!(%topic, "created dead-letter topic");
            Ok(info.partitions)
        }
        Err(LogError::TopicExists { .. }) => {
            log.topic(topic)
                .map(|t| t.partitions)
                .ok_or_else(|| LogError::UnknownTopic {
                    topic: topic.to_owned(),
                })
        }
        Err(e) => Err(e),
    }
}

/// The dead-letter record of `job`: the source record's key, value and
/// headers when copying (and it can still be read), then the context headers.
fn dead_letter_record(log: &Log, job: &DeadLetterJob) -> Record {
    let source = log.topic_by_id(job.topic);
    let topic_name = source
        .as_ref()
        .map_or_else(|| job.topic.to_string(), |t| t.name.clone());
    let mut record = Record::new(None, None);
    if job.copy_record
        && let Some(t) = &source
        && let Some(original) = read_record(log, &t.name, job.partition, job.letter.offset)
    {
        record.key = original.key;
        record.value = original.value;
        record.headers = original.headers;
    }
    let header = |key: &str, value: String| RecordHeader {
        key: key.as_bytes().to_vec(),
        value: Some(value.into_bytes()),
    };
    record.headers.extend([
        header(HEADER_TOPIC, topic_name),
        header(HEADER_PARTITION, job.partition.to_string()),
        header(HEADER_OFFSET, job.letter.offset.to_string()),
        header(HEADER_GROUP, job.group.clone()),
        header(HEADER_DELIVERY_COUNT, job.letter.delivery_count.to_string()),
        header(HEADER_MESSAGE, job.letter.reason.message().to_owned()),
    ]);
    record
}

/// The record at `offset`, if the log still has it.
fn read_record(log: &Log, topic: &str, partition: i32, offset: i64) -> Option<Record> {
    let p = log.partition(topic, partition).ok()?;
    let read = p.read(offset, READ_BYTES).ok()?;
    let batch = Batches::new(&read.records).find(|b| b.last_offset() >= offset)?;
    if batch.base_offset() > offset {
        return None;
    }
    decode_records(batch.bytes())
        .ok()?
        .into_iter()
        .find(|r| batch.base_offset() + i64::from(r.offset_delta) == offset)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::share::state::partition::{ArchiveReason, DeadLetter};

    fn job(copy: bool, offset: i64, topic: Uuid) -> DeadLetterJob {
        DeadLetterJob {
            group: "g".into(),
            topic,
            partition: 1,
            letter: DeadLetter {
                offset,
                delivery_count: 5,
                reason: ArchiveReason::DeliveryLimit,
            },
            dlq_topic: "dead".into(),
            copy_record: copy,
        }
    }

    fn header<'a>(r: &'a Record, key: &str) -> Option<&'a str> {
        r.headers
            .iter()
            .rev()
            .find(|h| h.key == key.as_bytes())
            .and_then(|h| h.value.as_deref())
            .and_then(|v| std::str::from_utf8(v).ok())
    }

    #[test]
    fn copies_records_with_context_headers_into_a_created_topic() {
        let dir = tempfile::tempdir().expect("tempdir");
        let log = Log::open(dir.path(), Default::default()).expect("log");
        let src = log
            .create_topic("orders", 2, &BTreeMap::new())
            .expect("topic");
        let mut b = BatchBuilder::new(0);
        for i in 0..3u8 {
            let mut r = Record::new(Some(vec![i]), Some(vec![b'v', i]));
            r.headers.push(RecordHeader {
                key: b"trace".to_vec(),
                value: Some(vec![i]),
            });
            b.push(r);
        }
        log.partition("orders", 1)
            .unwrap()
            .append(&b.build())
            .unwrap();
        let done = write_all(
            &log,
            vec![job(true, 2, src.id), job(false, 0, src.id)],
            true,
            3,
        );
        assert_eq!(done[&("g".to_owned(), src.id, 1)], vec![2, 0]);
        assert_eq!(log.topic("dead").expect("created").partitions, 3);
        let p = log.partition("dead", 1).expect("source partition 1 % 3");
        let read = p.read(0, 1 << 20).unwrap();
        let batch = Batches::new(&read.records).next().expect("a batch");
        let records = decode_records(batch.bytes()).unwrap();
        assert_eq!(records.len(), 2);
        let copied = &records[0];
        assert_eq!(copied.key.as_deref(), Some(&[2u8][..]));
        assert_eq!(copied.value.as_deref(), Some(&[b'v', 2][..]));
        assert_eq!(
            header(copied, "trace"),
            Some("\u{2}"),
            "original headers kept"
        );
        assert_eq!(header(copied, HEADER_TOPIC), Some("orders"));
        assert_eq!(header(copied, HEADER_PARTITION), Some("1"));
        assert_eq!(header(copied, HEADER_OFFSET), Some("2"));
        assert_eq!(header(copied, HEADER_GROUP), Some("g"));
        assert_eq!(header(copied, HEADER_DELIVERY_COUNT), Some("5"));
        assert_eq!(
            header(copied, HEADER_MESSAGE),
            Some("delivery count limit reached")
        );
        let context = &records[1];
        assert_eq!((context.key.as_ref(), context.value.as_ref()), (None, None));
        assert_eq!(header(context, HEADER_OFFSET), Some("0"));
    }

    #[test]
    fn without_auto_creation_the_letter_is_given_up_not_retried_forever() {
        let dir = tempfile::tempdir().expect("tempdir");
        let log = Log::open(dir.path(), Default::default()).expect("log");
        let done = write_all(&log, vec![job(false, 7, Uuid::from_u128(1))], false, 1);
        assert_eq!(done.values().next(), Some(&vec![7]));
        assert!(log.topic("dead").is_none());
    }
}
