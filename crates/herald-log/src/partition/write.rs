//! Appending, rolling, flushing (group commit) and clean close.

use std::sync::Arc;
use std::sync::atomic::Ordering;

use super::open::seal_time_index;
use super::{CLEAN_SHUTDOWN_FILE, Partition, Writer};
use crate::batch::{
    BatchHeader, TimestampType, set_base_offset, set_leader_epoch, stamp_log_append_time,
    validate_batch, validate_producer_batch,
};
use crate::config::{FlushPolicy, StorageKind, TopicConfig};
use crate::error::{LogError, Result};
use crate::fsutil;
use crate::index::OffsetEntry;
use crate::records::decode_records;
use crate::segment::Segment;

/// The partition leader epoch herald stamps into every batch: a single node
/// never changes leader, so the epoch is constant (Kafka clients accept 0).
pub const LEADER_EPOCH: i32 = 0;

/// What a successful append did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct AppendInfo {
    /// Offset assigned to the first record of the first batch.
    pub base_offset: i64,
    /// Offset of the last record of the last batch.
    pub last_offset: i64,
    /// The broker time stamped into the batches for `LogAppendTime` topics
    /// (Kafka's `log_append_time_ms`), `None` for `CreateTime` topics (−1 on the wire).
    pub log_append_time: Option<i64>,
    /// The log start offset after the append.
    pub log_start_offset: i64,
}

/// A batch of the request, validated: where it is and how many offsets it takes.
struct Span {
    start: usize,
    len: usize,
    offsets: i64,
    max_timestamp: i64,
}

impl Partition {
    /// Appends one or more concatenated record batches exactly as a producer
    /// sent them, atomically: either all are stored or none is.
    ///
    /// Each batch must be magic 2 with a correct length and CRC-32C, at least
    /// one record, `count = lastOffsetDelta + 1`, and fit `max.message.bytes`;
    /// on a compacted topic every record needs a key. The log rewrites only the
    /// base offset and leader epoch (outside the CRC), plus, for
    /// `LogAppendTime` topics, the timestamp type and max timestamp (CRC
    /// recomputed). Returns once the data is as durable as the topic's
    /// [`FlushPolicy`] promises. Blocks on I/O.
    pub fn append(&self, batches: &[u8]) -> Result<AppendInfo> {
        self.append_inner(batches, false)
    }

    /// [`append`](Self::append) without waiting for durability: the batches
    /// are written and have their offsets, but on a `flush=always` topic they
    /// are neither durable nor visible to readers until
    /// [`wait_durable`](Self::wait_durable) (or a concurrent sync) covers
    /// them. Lets a caller issue appends in order and wait for their fsyncs
    /// together (one group commit for a pipeline of requests). Blocks on I/O
    /// (the write, not the fsync).
    pub fn append_deferred(&self, batches: &[u8]) -> Result<AppendInfo> {
        self.append_inner(batches, true)
    }

    /// Waits until every offset below `end_offset` is durable, for data
    /// appended with [`append_deferred`](Self::append_deferred) to a
    /// `flush=always` disk topic (sharing one fdatasync with concurrent
    /// waiters). Returns at once for other flush policies and for memory
    /// partitions, whose appends promise no more than the write. Blocks on I/O.
    pub fn wait_durable(&self, end_offset: i64) -> Result<()> {
        let config = self.config();
        match (config.storage, config.flush) {
            (StorageKind::Disk, FlushPolicy::Always) => self.sync_to(end_offset),
            _ => Ok(()),
        }
    }

    fn append_inner(&self, batches: &[u8], defer_sync: bool) -> Result<AppendInfo> {
        self.check_writable()?;
        let config = self.config();
        let spans = validate_request(batches, &config)?;
        let append_bytes: usize = spans.iter().map(|s| s.len).sum();
        let offsets: i64 = spans.iter().map(|s| s.offsets).sum();

        let mut w = self.writer.lock();
        self.check_writable()?;
        let now = self.clock.now_ms();
        let seg_bytes = self.segment_bytes(&config);
        let active_size = w.active.size();
        let too_big = active_size + append_bytes as u64 > seg_bytes;
        let too_old = w.active.first_batch_ms() >= 0
            && now.saturating_sub(w.active.first_batch_ms()) >= config.segment_ms;
        let last = w.next_offset + offsets - 1;
        let overflow = w.active.relative(last).is_none()
            || u32::try_from(active_size + append_bytes as u64).is_err();
        if active_size > 0 && (too_big || too_old || overflow) {
            self.roll_locked(&mut w)?;
        }

        let base_offset = w.next_offset;
        let log_append_time =
            (config.message_timestamp_type == TimestampType::LogAppendTime).then_some(now);
        let start_size = w.active.size();
        let write_result = if let Some(now) = log_append_time {
            let Writer {
                scratch,
                next_offset,
                active,
                ..
            } = &mut *w;
            scratch.clear();
            scratch.extend_from_slice(batches);
            let mut next = *next_offset;
            for s in &spans {
                let b = &mut scratch[s.start..s.start + s.len];
                set_base_offset(b, next);
                set_leader_epoch(b, LEADER_EPOCH);
                stamp_log_append_time(b, now);
                next += s.offsets;
            }
            active.append(&[&scratch[..]])
        } else {
            // Rewrite only the 16 bytes before the CRC-covered part, so the
            // request bytes are written as they are, with no copy.
            let mut next = w.next_offset;
            let prefixes: Vec<[u8; 16]> = spans
                .iter()
                .map(|s| {
                    let mut p = [0u8; 16];
                    p.copy_from_slice(&batches[s.start..s.start + 16]);
                    set_base_offset(&mut p, next);
                    set_leader_epoch(&mut p, LEADER_EPOCH);
                    next += s.offsets;
                    p
                })
                .collect();
            let mut parts: Vec<&[u8]> = Vec::with_capacity(spans.len() * 2);
            for (s, p) in spans.iter().zip(&prefixes) {
                parts.push(p);
                parts.push(&batches[s.start + 16..s.start + s.len]);
            }
            w.active.append(&parts)
        };
        if let Err(e) = write_result {
            let path = w.active.describe();
            if let Err(t) = w.active.truncate(start_size) {
                return Err(self.poison_with(format!(
                    "append to {} failed ({e}) and could not be undone ({t})",
                    path.display()
                )));
            }
            return Err(LogError::io("write", path, e));
        }

        self.index_appended(&mut w, &spans, start_size, log_append_time, &config);
        if w.active.first_batch_ms() < 0 {
            w.active.set_first_batch_ms(now);
        }
        let next = base_offset + offsets;
        w.next_offset = next;
        self.log_end.store(next, Ordering::SeqCst);
        let segment = w.active.clone();
        let end_size = segment.size();
        let info = |p: &Partition| AppendInfo {
            base_offset,
            last_offset: next - 1,
            log_append_time,
            log_start_offset: p.log_start_offset(),
        };
        match (config.storage, config.flush) {
            (StorageKind::Disk, FlushPolicy::Always) => {
                drop(w);
                if !defer_sync {
                    self.sync_to(next)?;
                }
            }
            (StorageKind::Disk, FlushPolicy::Interval(_)) => {
                self.publish(&segment, end_size, next);
                let _ =
                    self.dirty_since
                        .compare_exchange(-1, now, Ordering::SeqCst, Ordering::SeqCst);
            }
            (StorageKind::Memory, _) => {
                self.publish(&segment, end_size, next);
                drop(w);
                if config.retention_bytes.is_some() {
                    self.enforce_size_retention(&config)?;
                }
            }
            (StorageKind::Disk, FlushPolicy::Never) => self.publish(&segment, end_size, next),
        }
        Ok(info(self))
    }

    /// Extends the active segment's in-memory indexes for the batches just written.
    fn index_appended(
        &self,
        w: &mut Writer,
        spans: &[Span],
        start_size: u64,
        log_append_time: Option<i64>,
        config: &TopicConfig,
    ) {
        let mut pos = start_size;
        let mut offset = w.next_offset;
        let mut idx = w.active.index.write();
        for s in spans {
            if w.since_index >= u64::from(config.index_interval_bytes) && pos > 0 {
                if let (Some(rel), Ok(position)) = (w.active.relative(offset), u32::try_from(pos)) {
                    idx.offsets.push(OffsetEntry {
                        relative_offset: rel,
                        position,
                    });
                    idx.maybe_append_time(w.running_max_ts, rel);
                }
                w.since_index = 0;
            }
            w.since_index += s.len as u64;
            let ts = log_append_time.unwrap_or(s.max_timestamp);
            w.running_max_ts = w.running_max_ts.max(ts);
            pos += s.len as u64;
            offset += s.offsets;
        }
        drop(idx);
        w.active.note_timestamp(w.running_max_ts);
    }

    /// Group commit: returns once every offset below `target` is durable.
    /// One caller runs fdatasync while the others wait; its sync covers all
    /// data written before it started, so N concurrent appends cost about one
    /// or two syncs, not N.
    fn sync_to(&self, target: i64) -> Result<()> {
        let mut st = self.sync.lock();
        loop {
            self.check_poisoned()?;
            if st.durable >= target {
                return Ok(());
            }
            if st.in_progress {
                self.synced.wait(&mut st);
                continue;
            }
            st.in_progress = true;
            drop(st);
            let (segment, size, offset) = {
                let w = self.writer.lock();
                (w.active.clone(), w.active.size(), w.next_offset)
            };
            let result = segment.sync();
            self.syncs.fetch_add(1, Ordering::SeqCst);
            st = self.sync.lock();
            st.in_progress = false;
            match result {
                Ok(()) => {
                    st.durable = st.durable.max(offset);
                    self.publish(&segment, size, offset);
                    self.synced.notify_all();
                }
                Err(e) => {
                    let err = self.poison_with(format!(
                        "fdatasync of {} failed: {e}",
                        segment.describe().display()
                    ));
                    self.synced.notify_all();
                    return Err(err);
                }
            }
        }
    }

    fn check_poisoned(&self) -> Result<()> {
        if self.poisoned.load(Ordering::SeqCst) {
            let cause = self.poison.lock().clone().unwrap_or_default();
            return Err(LogError::Poisoned {
                partition: self.name.clone(),
                cause,
            });
        }
        Ok(())
    }

    /// Syncs everything written so far (any flush policy). A failure poisons
    /// the partition. Blocks on I/O.
    pub fn flush(&self) -> Result<()> {
        self.check_poisoned()?;
        let (segment, size, offset) = {
            let w = self.writer.lock();
            (w.active.clone(), w.active.size(), w.next_offset)
        };
        self.dirty_since.store(-1, Ordering::SeqCst);
        self.syncs.fetch_add(1, Ordering::SeqCst);
        if let Err(e) = segment.sync() {
            return Err(self.poison_with(format!(
                "fdatasync of {} failed: {e}",
                segment.describe().display()
            )));
        }
        let mut st = self.sync.lock();
        st.durable = st.durable.max(offset);
        drop(st);
        self.publish(&segment, size, offset);
        Ok(())
    }

    /// For `flush=interval:<ms>`: syncs if the oldest unsynced append is at
    /// least the interval old. Returns whether it synced. The owner (or
    /// [`crate::Log`]'s background thread) calls this periodically.
    pub fn flush_if_due(&self) -> Result<bool> {
        let FlushPolicy::Interval(every) = self.config().flush else {
            return Ok(false);
        };
        let since = self.dirty_since.load(Ordering::SeqCst);
        let due = since >= 0
            && self.clock.now_ms().saturating_sub(since)
                >= i64::try_from(every.as_millis()).unwrap_or(i64::MAX);
        if due {
            self.flush()?;
        }
        Ok(due)
    }

    /// Seals the active segment (if it holds data) and starts a new one.
    /// Blocks on I/O.
    pub fn roll(&self) -> Result<()> {
        self.check_writable()?;
        let mut w = self.writer.lock();
        if w.active.size() == 0 {
            return Ok(());
        }
        self.roll_locked(&mut w)
    }

    /// Seal: sync the data, finish and write its indexes, publish it; then
    /// create the next segment. Any failure poisons the partition.
    pub(super) fn roll_locked(&self, w: &mut Writer) -> Result<()> {
        let old = w.active.clone();
        if let Err(e) = old.sync() {
            return Err(self.poison_with(format!(
                "fdatasync of {} failed: {e}",
                old.describe().display()
            )));
        }
        seal_time_index(
            &mut old.index.write(),
            old.max_timestamp(),
            w.next_offset,
            old.base_offset,
        );
        if let Err(e) = old.write_index_files() {
            return Err(self.poison_with(format!("writing indexes at roll failed: {e}")));
        }
        self.publish(&old, old.size(), w.next_offset);
        let new = match &self.dir {
            None => Segment::memory(w.next_offset),
            Some(dir) => match Segment::create(dir, w.next_offset)
                .and_then(|s| fsutil::sync_dir(dir).map(|()| s))
            {
                Ok(s) => s,
                Err(e) => {
                    return Err(self.poison_with(format!("creating a new segment failed: {e}")));
                }
            },
        };
        let new = Arc::new(new);
        {
            let mut segments = self.segments.write();
            let mut list = Vec::clone(&segments);
            list.push(new.clone());
            *segments = Arc::new(list);
        }
        tracing::debug!(partition = %self.name, base_offset = w.next_offset, "rolled to a new segment");
        w.active = new;
        w.since_index = 0;
        w.running_max_ts = -1;
        Ok(())
    }

    /// Clean shutdown: syncs the data, writes the active segment's indexes and
    /// the clean-shutdown marker, so the next open skips the recovery scan.
    /// Further appends fail with [`LogError::Closed`]; reads keep working.
    /// A poisoned partition is closed without the marker. Blocks on I/O.
    pub fn close(&self) -> Result<()> {
        let w = self.writer.lock();
        if self.closed.swap(true, Ordering::SeqCst) {
            return Ok(());
        }
        self.notify();
        let Some(dir) = &self.dir else { return Ok(()) };
        if self.is_poisoned() {
            return Ok(());
        }
        w.active
            .sync()
            .map_err(|e| LogError::io("fsync", w.active.describe(), e))?;
        w.active.write_index_files()?;
        fsutil::write_synced(&dir.join(CLEAN_SHUTDOWN_FILE), b"")?;
        fsutil::sync_dir(dir)
    }
}

/// Validates every batch of an append request before anything is written.
fn validate_request(batches: &[u8], config: &TopicConfig) -> Result<Vec<Span>> {
    if batches.is_empty() {
        return Err(LogError::EmptyAppend);
    }
    let mut spans = Vec::new();
    let mut pos = 0;
    while pos < batches.len() {
        let rest = &batches[pos..];
        let invalid = |source| LogError::InvalidBatch {
            position: pos,
            source,
        };
        let len = validate_batch(rest).map_err(invalid)?;
        let batch = &rest[..len];
        let header = BatchHeader::new(batch).ok_or(LogError::EmptyAppend)?;
        validate_producer_batch(&header).map_err(invalid)?;
        if len > config.max_message_bytes as usize {
            return Err(LogError::RecordTooLarge {
                size: len,
                max: config.max_message_bytes as usize,
            });
        }
        if config.cleanup_policy.compact {
            let records = decode_records(batch).map_err(invalid)?;
            if let Some(r) = records.iter().find(|r| r.key.is_none()) {
                return Err(LogError::KeylessRecordOnCompactedTopic {
                    offset_delta: r.offset_delta,
                });
            }
        }
        spans.push(Span {
            start: pos,
            len,
            offsets: i64::from(header.last_offset_delta()) + 1,
            max_timestamp: header.max_timestamp(),
        });
        pos += len;
    }
    Ok(spans)
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use crate::builder::{BatchBuilder, Record};
    use crate::clock::{Clock, ManualClock};
    use crate::config::TopicConfig;
    use crate::error::LogError;
    use crate::partition::Partition;
    use crate::segment::fault;

    fn batch() -> Vec<u8> {
        let mut b = BatchBuilder::new(0);
        b.push(Record::new(Some(b"k".to_vec()), Some(b"v".to_vec())));
        b.build()
    }

    #[test]
    fn failed_fsync_poisons_the_partition() {
        let dir = tempfile::tempdir().unwrap();
        let clock: Arc<dyn Clock> = Arc::new(ManualClock::new(0));
        let p = Partition::open(dir.path(), "p-0", TopicConfig::default(), clock.clone()).unwrap();
        p.append(&batch()).unwrap();
        fault::fail_next_sync();
        let err = p.append(&batch()).unwrap_err();
        assert!(matches!(err, LogError::Poisoned { .. }), "{err}");
        assert!(p.is_poisoned());
        // The unsynced append is not acknowledged, not readable, and nothing more is accepted.
        assert_eq!(p.high_watermark(), 1);
        assert!(matches!(p.append(&batch()), Err(LogError::Poisoned { .. })));
        assert!(matches!(p.flush(), Err(LogError::Poisoned { .. })));
        // Reads of durable data still work; a reopen recovers and accepts writes again.
        assert_eq!(p.read(0, 100).unwrap().high_watermark, 1);
        p.close().unwrap();
        assert!(
            !dir.path().join(super::CLEAN_SHUTDOWN_FILE).exists(),
            "no clean marker after poison"
        );
        drop(p);
        let p = Partition::open(dir.path(), "p-0", TopicConfig::default(), clock).unwrap();
        assert!(!p.is_poisoned());
        assert!(p.append(&batch()).is_ok());
    }

    #[test]
    fn deferred_appends_become_visible_once_durable() {
        let dir = tempfile::tempdir().unwrap();
        let clock: Arc<dyn Clock> = Arc::new(ManualClock::new(0));
        let p = Partition::open(dir.path(), "p-0", TopicConfig::default(), clock).unwrap();
        let first = p.append_deferred(&batch()).unwrap();
        let second = p.append_deferred(&batch()).unwrap();
        assert_eq!((first.base_offset, second.base_offset), (0, 1));
        // Written but not yet synced: readers do not see it.
        assert_eq!(p.high_watermark(), 0);
        let syncs = p.sync_count();
        p.wait_durable(second.last_offset + 1).unwrap();
        assert_eq!(p.high_watermark(), 2);
        // One fsync covered both; waiting again for covered data costs none.
        assert_eq!(p.sync_count(), syncs + 1);
        p.wait_durable(first.last_offset + 1).unwrap();
        assert_eq!(p.sync_count(), syncs + 1);
        assert_eq!(p.read(0, 1 << 20).unwrap().high_watermark, 2);
    }

    #[test]
    fn segment_ms_rolls_by_age() {
        let dir = tempfile::tempdir().unwrap();
        let manual = Arc::new(ManualClock::new(1_000));
        let clock: Arc<dyn Clock> = manual.clone();
        let config = TopicConfig::from_pairs([("segment.ms", "5000")]).unwrap();
        let p = Partition::open(dir.path(), "p-0", config, clock).unwrap();
        p.append(&batch()).unwrap();
        manual.advance(4_000);
        p.append(&batch()).unwrap();
        assert_eq!(p.segment_count(), 1);
        manual.advance(1_000);
        p.append(&batch()).unwrap();
        assert_eq!(p.segment_base_offsets(), vec![0, 2]);
    }
}
