//! The I/O half of ShareFetch: initialise a share-partition from the log,
//! read stored batches and acquire records from them for a member, and
//! return exactly the batches that hold what was acquired (whole, as
//! stored: the client hands out only the acquired offsets).

use std::sync::Arc;

use bytes::{Bytes, BytesMut};
use herald_log::{Batches, LogError, Partition};
use uuid::Uuid;

use super::config::AutoOffsetReset;
use super::coordinator::Loaded;
use super::error::ShareError;
use super::state::partition::{AcquiredRange, BatchSpan, Effects, MemberId};
use crate::handlers::errors::blocking;

/// Bytes read from the log per step.
const CHUNK: usize = 256 * 1024;
/// Reads per share-partition and fetch.
const MAX_STEPS: usize = 16;

/// What one share-partition gave a fetch.
#[derive(Debug, Default, Clone)]
pub(crate) struct Fetched {
    pub records: Bytes,
    pub acquired: Vec<AcquiredRange>,
}

impl Fetched {
    /// Records acquired.
    pub(crate) fn count(&self) -> usize {
        self.acquired
            .iter()
            .map(|r| usize::try_from(r.last - r.first + 1).unwrap_or(0))
            .sum()
    }
}

/// Where a share-partition starts the first time its group uses it.
/// Blocks on I/O (a timestamp lookup for `by_duration`).
pub(crate) fn initial_offset(p: &Partition, reset: AutoOffsetReset, now: i64) -> i64 {
    match reset {
        AutoOffsetReset::Latest => p.high_watermark(),
        AutoOffsetReset::Earliest => p.log_start_offset(),
        AutoOffsetReset::ByDuration(ms) => p
            .offset_for_timestamp(now.saturating_sub(ms))
            .ok()
            .flatten()
            .map_or_else(|| p.high_watermark(), |t| t.offset),
    }
}

/// Gives `group`'s share-partition its initial start offset unless it has
/// state already.
pub(crate) async fn ensure_initialized(
    loaded: &Loaded,
    group: &str,
    topic: Uuid,
    index: i32,
    partition: &Arc<Partition>,
) -> Result<(), ShareError> {
    if loaded.read(|s| s.has_partition(group, (topic, index))) {
        return Ok(());
    }
    let reset = loaded.read(|s| s.settings(group).auto_offset_reset);
    let p = partition.clone();
    let now = loaded.now();
    let start = blocking(move || Ok(initial_offset(&p, reset, now)))
        .await
        .map_err(|e| ShareError::Storage(e.to_string()))?;
    loaded.run(|s, _| s.initialize(group, (topic, index), start));
    Ok(())
}

/// Acquires up to `max_records` records (and about `budget` bytes) of one
/// share-partition for `member`.
pub(crate) async fn acquire(
    loaded: &Loaded,
    group: &str,
    (topic, index): (Uuid, i32),
    partition: &Arc<Partition>,
    member: &MemberId,
    max_records: usize,
    budget: usize,
) -> Result<Fetched, ShareError> {
    let tp = (topic, index);
    let lock = loaded.fetch_lock(group, topic, index);
    let _serialised = lock.lock().await;
    let mut out = Fetched::default();
    let mut parts: Vec<Bytes> = Vec::new();
    let mut remaining = max_records;
    let mut budget = budget;
    let mut cursor = i64::MIN;
    for _ in 0..MAX_STEPS {
        if remaining == 0 {
            break;
        }
        let log_start = partition.log_start_offset();
        let high_watermark = partition.high_watermark();
        let (from, _) = loaded.run(|s, now| {
            s.with_partition(group, tp, now, |p, limits| {
                let moved = p.advance_to_log_start(log_start);
                let fx = Effects {
                    dirty: moved,
                    ..Effects::default()
                };
                (p.fetch_offset(cursor, limits), fx)
            })
            .flatten()
        });
        let Some(from) = from else {
            break;
        };
        if from >= high_watermark {
            break;
        }
        let p = partition.clone();
        let want = budget.clamp(1, CHUNK);
        let read = match blocking(move || p.read(from, want)).await {
            Ok(r) => r.records,
            // Retention moved the log start meanwhile: look again.
            Err(LogError::OffsetOutOfRange { .. }) => continue,
            Err(e) => return Err(ShareError::Storage(e.to_string())),
        };
        let spans: Vec<BatchSpan> = Batches::new(&read)
            .map(|b| BatchSpan {
                base: b.base_offset(),
                last: b.last_offset(),
                control: b.is_control(),
            })
            .collect();
        let Some(last) = spans.last().map(|s| s.last) else {
            break;
        };
        let (acquired, _) = loaded.run(|s, now| {
            s.with_partition(group, tp, now, |p, limits| {
                p.acquire(&spans, member, now, remaining, limits)
            })
            .unwrap_or_default()
        });
        let taken = Fetched {
            records: Bytes::new(),
            acquired: acquired.clone(),
        }
        .count();
        remaining = remaining.saturating_sub(taken);
        let chosen = batches_holding(&read, &acquired);
        budget = budget.saturating_sub(chosen.iter().map(Bytes::len).sum());
        parts.extend(chosen);
        out.acquired.extend(acquired);
        cursor = last + 1;
        if budget == 0 {
            break;
        }
    }
    out.records = match parts.len() {
        0 => Bytes::new(),
        1 => parts.remove(0),
        _ => {
            let mut all = BytesMut::with_capacity(parts.iter().map(Bytes::len).sum());
            for p in parts {
                all.extend_from_slice(&p);
            }
            all.freeze()
        }
    };
    Ok(out)
}

/// The stored batches of `read` that hold an acquired offset, adjacent
/// ones as one slice.
fn batches_holding(read: &Bytes, acquired: &[AcquiredRange]) -> Vec<Bytes> {
    let mut out: Vec<Bytes> = Vec::new();
    let mut run: Option<(usize, usize)> = None;
    let mut pos = 0usize;
    for b in Batches::new(read) {
        let len = b.bytes().len();
        let holds = acquired
            .iter()
            .any(|r| r.first <= b.last_offset() && r.last >= b.base_offset());
        run = match (run, holds) {
            (Some((start, end)), true) if end == pos => Some((start, pos + len)),
            (Some((start, end)), true) => {
                out.push(read.slice(start..end));
                Some((pos, pos + len))
            }
            (None, true) => Some((pos, pos + len)),
            (r, false) => r,
        };
        pos += len;
    }
    if let Some((start, end)) = run {
        out.push(read.slice(start..end));
    }
    out
}

#[cfg(test)]
mod tests {
    use herald_log::{BatchBuilder, Log, Record};

    use super::*;

    fn batch(n: usize) -> Vec<u8> {
        let mut b = BatchBuilder::new(0);
        for _ in 0..n {
            b.push(Record::new(None, Some(b"x".to_vec())));
        }
        b.build()
    }

    #[test]
    fn only_batches_with_acquired_offsets_are_returned() {
        let dir = tempfile::tempdir().expect("tempdir");
        let log = Log::open(dir.path(), Default::default()).expect("log");
        log.create_topic("t", 1, &Default::default())
            .expect("topic");
        let p = log.partition("t", 0).expect("partition");
        for _ in 0..4 {
            p.append(&batch(3)).expect("append"); // 0-2, 3-5, 6-8, 9-11
        }
        let read = p.read(0, 1 << 20).expect("read").records;
        let range = |first, last| AcquiredRange {
            first,
            last,
            delivery_count: 1,
        };
        let got = batches_holding(&read, &[range(1, 1), range(4, 4), range(10, 10)]);
        assert_eq!(got.len(), 2, "0-2 and 3-5 are adjacent: one slice");
        let offsets: Vec<i64> = got
            .iter()
            .flat_map(|b| Batches::new(b).map(|h| h.base_offset()).collect::<Vec<_>>())
            .collect();
        assert_eq!(offsets, vec![0, 3, 9]);
        assert!(batches_holding(&read, &[]).is_empty());
    }

    #[test]
    fn initial_offsets_follow_the_reset_policy() {
        let dir = tempfile::tempdir().expect("tempdir");
        let log = Log::open(dir.path(), Default::default()).expect("log");
        log.create_topic("t", 1, &Default::default())
            .expect("topic");
        let p = log.partition("t", 0).expect("partition");
        for ts in [1_000, 2_000, 3_000] {
            let mut b = BatchBuilder::new(ts);
            b.push(Record::new(None, Some(b"x".to_vec())));
            p.append(&b.build()).expect("append");
        }
        p.delete_records(1).expect("delete");
        assert_eq!(initial_offset(&p, AutoOffsetReset::Latest, 5_000), 3);
        assert_eq!(initial_offset(&p, AutoOffsetReset::Earliest, 5_000), 1);
        assert_eq!(
            initial_offset(&p, AutoOffsetReset::ByDuration(3_500), 5_000),
            1
        );
        assert_eq!(
            initial_offset(&p, AutoOffsetReset::ByDuration(2_500), 5_000),
            2
        );
        assert_eq!(
            initial_offset(&p, AutoOffsetReset::ByDuration(10), 5_000),
            3
        );
    }
}
