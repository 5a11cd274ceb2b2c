//! Idempotent producers: ids that survive restarts, and per partition the
//! sequence state that turns a retried batch into its original offsets
//! instead of a second copy.
//!
//! Rules follow Kafka's `ProducerStateManager` (KIP-98, KIP-360):
//! - the last [`RETAINED_BATCHES`] batches of each producer are remembered,
//!   so a retry of any of them is answered with its original offsets;
//! - within an epoch, a batch must start right after the last sequence
//!   (wrapping at `i32::MAX`), else OUT_OF_ORDER_SEQUENCE_NUMBER;
//! - a newer epoch must start at sequence 0; an older epoch is
//!   INVALID_PRODUCER_EPOCH;
//! - a producer the partition has no state for (never seen, or all its
//!   batches removed by retention or DeleteRecords) may start at any
//!   sequence — Kafka's behaviour since KIP-360, which makes
//!   UNKNOWN_PRODUCER_ID unnecessary on produce.
//!
//! The state of a partition is rebuilt from the batch headers of its last
//! segments the first time a produce touches it, so it survives restarts
//! without a snapshot file.

mod ids;

use std::collections::{HashMap, VecDeque};
use std::sync::Arc;

use herald_log::{BatchHeader, LogError, Partition};
use uuid::Uuid;

pub(crate) use ids::ProducerIds;

/// Batches remembered per producer per partition (Kafka's `NUM_BATCHES_TO_RETAIN`).
pub(crate) const RETAINED_BATCHES: usize = 5;

/// Segments (from the newest) scanned to rebuild a partition's state.
const REBUILD_SEGMENTS: usize = 2;

/// Where one appended batch landed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct BatchMeta {
    pub first_seq: i32,
    pub last_seq: i32,
    pub first_offset: i64,
    pub last_offset: i64,
}

#[derive(Debug, Clone, Default)]
struct Entry {
    epoch: i16,
    batches: VecDeque<BatchMeta>,
}

impl Entry {
    fn last_offset(&self) -> i64 {
        self.batches.back().map_or(-1, |b| b.last_offset)
    }
}

/// What to do with an idempotent batch.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Verdict {
    /// New data: append it, then [`PartitionProducers::record`] it.
    Append,
    /// A retry of a batch already stored: answer with its offsets, write nothing.
    Duplicate(BatchMeta),
    /// The epoch is older than the producer's current one.
    StaleEpoch,
    /// The sequence does not follow the last one.
    OutOfOrder {
        /// The sequence the partition expected.
        expected: i32,
    },
}

/// Sequence state of every idempotent producer of one partition.
#[derive(Debug, Default)]
pub(crate) struct PartitionProducers {
    entries: HashMap<i64, Entry>,
}

fn next_seq(seq: i32) -> i32 {
    if seq == i32::MAX { 0 } else { seq + 1 }
}

impl PartitionProducers {
    /// Rebuilds the state from the batch headers of the partition's newest
    /// segments. Blocks on I/O.
    pub(crate) fn rebuild(partition: &Partition) -> Result<Self, LogError> {
        let bases = partition.segment_base_offsets();
        let from = bases
            .len()
            .checked_sub(REBUILD_SEGMENTS)
            .and_then(|i| bases.get(i))
            .copied()
            .unwrap_or(0);
        let mut state = PartitionProducers::default();
        for header in partition.batch_headers(from) {
            let header = header?;
            let view = header.view();
            if view.producer_id() < 0 || view.is_control() || view.base_sequence() < 0 {
                continue;
            }
            state.record(
                view.producer_id(),
                view.producer_epoch(),
                BatchMeta {
                    first_seq: view.base_sequence(),
                    last_seq: view.last_sequence(),
                    first_offset: view.base_offset(),
                    last_offset: view.last_offset(),
                },
            );
        }
        Ok(state)
    }

    /// Decides what to do with `batch` (from a producer with an id).
    /// `log_start` is the partition's log start offset: state whose batches
    /// all lie below it is forgotten, as Kafka does.
    pub(crate) fn check(&mut self, batch: &BatchHeader<'_>, log_start: i64) -> Verdict {
        let pid = batch.producer_id();
        let epoch = batch.producer_epoch();
        let first_seq = batch.base_sequence();
        let last_seq = batch.last_sequence();
        if self
            .entries
            .get(&pid)
            .is_some_and(|e| e.last_offset() < log_start)
        {
            self.entries.remove(&pid);
        }
        let Some(entry) = self.entries.get(&pid) else {
            return Verdict::Append;
        };
        if epoch < entry.epoch {
            return Verdict::StaleEpoch;
        }
        if epoch > entry.epoch {
            return if first_seq == 0 {
                Verdict::Append
            } else {
                Verdict::OutOfOrder { expected: 0 }
            };
        }
        if let Some(dup) = entry
            .batches
            .iter()
            .find(|b| b.first_seq == first_seq && b.last_seq == last_seq)
        {
            return Verdict::Duplicate(*dup);
        }
        let expected = entry.batches.back().map_or(0, |b| next_seq(b.last_seq));
        if first_seq == expected {
            Verdict::Append
        } else {
            Verdict::OutOfOrder { expected }
        }
    }

    /// Remembers an appended batch.
    pub(crate) fn record(&mut self, pid: i64, epoch: i16, meta: BatchMeta) {
        let entry = self.entries.entry(pid).or_default();
        if epoch != entry.epoch {
            entry.epoch = epoch;
            entry.batches.clear();
        }
        entry.batches.push_back(meta);
        while entry.batches.len() > RETAINED_BATCHES {
            entry.batches.pop_front();
        }
    }
}

/// The sequence state of one partition, locked across check and append so
/// that the two are atomic. `None` until rebuilt from the log.
pub(crate) type PartitionLock = Arc<tokio::sync::Mutex<Option<PartitionProducers>>>;

/// Producer ids and the per-partition sequence state of the broker.
#[derive(Debug)]
pub(crate) struct Producers {
    ids: Arc<ProducerIds>,
    partitions: parking_lot::Mutex<HashMap<(Uuid, i32), PartitionLock>>,
}

impl Producers {
    pub(crate) fn new(data_dir: &std::path::Path) -> Self {
        Producers {
            ids: Arc::new(ProducerIds::new(data_dir)),
            partitions: parking_lot::Mutex::new(HashMap::new()),
        }
    }

    /// The id allocator.
    pub(crate) fn ids(&self) -> Arc<ProducerIds> {
        self.ids.clone()
    }

    /// The lock guarding partition `index` of the topic with id `topic`.
    /// Keyed by topic id, so a re-created topic starts with fresh state.
    pub(crate) fn partition(&self, topic: Uuid, index: i32) -> PartitionLock {
        self.partitions
            .lock()
            .entry((topic, index))
            .or_default()
            .clone()
    }

    /// Forgets the state of a deleted topic.
    pub(crate) fn forget_topic(&self, topic: Uuid) {
        self.partitions.lock().retain(|(t, _), _| *t != topic);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use herald_log::{BatchBuilder, Record};

    fn batch(pid: i64, epoch: i16, seq: i32, records: usize) -> Vec<u8> {
        let mut b = BatchBuilder::new(0).producer(pid, epoch, seq);
        for _ in 0..records {
            b.push(Record::new(None, Some(b"v".to_vec())));
        }
        b.build()
    }

    fn check(state: &mut PartitionProducers, bytes: &[u8], log_start: i64) -> Verdict {
        state.check(&BatchHeader::new(bytes).unwrap(), log_start)
    }

    fn meta(first_seq: i32, last_seq: i32, first_offset: i64) -> BatchMeta {
        BatchMeta {
            first_seq,
            last_seq,
            first_offset,
            last_offset: first_offset + i64::from(last_seq - first_seq),
        }
    }

    #[test]
    fn sequences_duplicates_gaps_and_epochs() {
        let mut s = PartitionProducers::default();
        // Unknown producer: any sequence is accepted (KIP-360).
        assert_eq!(check(&mut s, &batch(7, 0, 5, 2), 0), Verdict::Append);
        s.record(7, 0, meta(5, 6, 100));
        assert_eq!(check(&mut s, &batch(7, 0, 7, 3), 0), Verdict::Append);
        s.record(7, 0, meta(7, 9, 102));
        // A retry of either batch gets its original offsets.
        assert_eq!(
            check(&mut s, &batch(7, 0, 5, 2), 0),
            Verdict::Duplicate(meta(5, 6, 100))
        );
        assert_eq!(
            check(&mut s, &batch(7, 0, 7, 3), 0),
            Verdict::Duplicate(meta(7, 9, 102))
        );
        // A gap, or a partial overlap, is out of order.
        assert_eq!(
            check(&mut s, &batch(7, 0, 12, 1), 0),
            Verdict::OutOfOrder { expected: 10 }
        );
        assert_eq!(
            check(&mut s, &batch(7, 0, 8, 2), 0),
            Verdict::OutOfOrder { expected: 10 }
        );
        // Epochs: older is stale, newer must restart at 0.
        assert_eq!(check(&mut s, &batch(7, -1, 10, 1), 0), Verdict::StaleEpoch);
        assert_eq!(
            check(&mut s, &batch(7, 1, 10, 1), 0),
            Verdict::OutOfOrder { expected: 0 }
        );
        assert_eq!(check(&mut s, &batch(7, 1, 0, 1), 0), Verdict::Append);
        s.record(7, 1, meta(0, 0, 105));
        assert_eq!(check(&mut s, &batch(7, 0, 10, 1), 0), Verdict::StaleEpoch);
        // Other producers are independent.
        assert_eq!(check(&mut s, &batch(8, 0, 3, 1), 0), Verdict::Append);
        // State whose batches all lie below the log start is forgotten.
        assert_eq!(check(&mut s, &batch(7, 1, 9, 1), 106), Verdict::Append);
    }

    #[test]
    fn only_the_last_five_batches_are_remembered_and_sequences_wrap() {
        let mut s = PartitionProducers::default();
        for i in 0..7 {
            s.record(1, 0, meta(i, i, i64::from(i)));
        }
        assert_eq!(
            check(&mut s, &batch(1, 0, 1, 1), 0),
            Verdict::OutOfOrder { expected: 7 }
        );
        assert_eq!(
            check(&mut s, &batch(1, 0, 2, 1), 0),
            Verdict::Duplicate(meta(2, 2, 2))
        );
        let mut s = PartitionProducers::default();
        s.record(2, 0, meta(i32::MAX - 1, i32::MAX, 0));
        assert_eq!(check(&mut s, &batch(2, 0, 0, 1), 0), Verdict::Append);
    }

    #[test]
    fn rebuilds_from_the_log() {
        let p =
            Partition::open_memory("t-0", Default::default(), Arc::new(herald_log::SystemClock));
        p.append(&batch(3, 2, 0, 4)).unwrap();
        p.append(&BatchBuilder::new(0).build_one_plain()).unwrap();
        p.append(&batch(3, 2, 4, 1)).unwrap();
        let mut s = PartitionProducers::rebuild(&p).unwrap();
        assert_eq!(
            check(&mut s, &batch(3, 2, 0, 4), 0),
            Verdict::Duplicate(meta(0, 3, 0))
        );
        assert_eq!(
            check(&mut s, &batch(3, 2, 4, 1), 0),
            Verdict::Duplicate(meta(4, 4, 5))
        );
        assert_eq!(check(&mut s, &batch(3, 2, 5, 1), 0), Verdict::Append);
        assert_eq!(check(&mut s, &batch(3, 1, 5, 1), 0), Verdict::StaleEpoch);
    }

    trait Plain {
        fn build_one_plain(self) -> Vec<u8>;
    }
    impl Plain for BatchBuilder {
        fn build_one_plain(mut self) -> Vec<u8> {
            self.push(Record::new(None, Some(b"x".to_vec())));
            self.build()
        }
    }
}
