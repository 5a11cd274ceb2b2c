//! Log compaction (`cleanup.policy=compact`): keep the latest record per key.
//!
//! A pass builds a map key → latest offset over the cleanable segments (every
//! sealed segment whose newest record is older than `min.compaction.lag.ms`),
//! then rewrites each of them without superseded records and without
//! tombstones older than `delete.retention.ms`. Offsets never change: a
//! rewritten batch keeps its base offset, last offset delta, producer fields
//! and each record's offset delta, and gets a fresh CRC. The active segment
//! is never touched, so appends continue during a pass; readers keep the old
//! segment's file open until they finish.
//!
//! Crash safety: a segment's replacement is written to `<base>.log.cleaned`
//! and synced, its old indexes are deleted, then the file is renamed over
//! `<base>.log` (atomic) and the directory synced. On open, a `.cleaned` file
//! is an unfinished rewrite and is deleted; missing indexes are rebuilt.
//! Either the old or the new segment is present, never a mix.
//!
//! Tombstone expiry uses each record's timestamp (a tombstone is dropped once
//! it is older than `delete.retention.ms`), not Kafka's delete-horizon batch
//! attribute: simpler, and equal for producers with sane clocks.

use std::collections::HashMap;
use std::fs;
use std::io::Write;
use std::sync::Arc;

use super::Partition;
use super::open::{CLEANED_SUFFIX, seal_time_index};
use crate::batch::{BATCH_HEADER_LEN, BatchHeader, TimestampType};
use crate::builder::{HeaderFields, raw_batch};
use crate::error::{LogError, Result};
use crate::fsutil;
use crate::index::Indexes;
use crate::records::{Record, decode_records};
use crate::segment::Segment;

/// What a compaction pass did.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct CompactionReport {
    /// Segments rewritten.
    pub segments_rewritten: usize,
    /// Records dropped (superseded values and expired tombstones).
    pub records_removed: u64,
    /// Bytes of the rewritten segments before the pass.
    pub bytes_before: u64,
    /// Bytes of the rewritten segments after the pass.
    pub bytes_after: u64,
}

/// Memo of the last pass, to skip passes that cannot change anything.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub(crate) struct LastPass {
    bases: Vec<i64>,
    tombstones_left: bool,
}

impl Partition {
    /// Runs one compaction pass if the topic's `cleanup.policy` includes
    /// `compact` (otherwise does nothing). Never changes an offset, never loses
    /// the latest value of a key, never touches the active segment. Uses the
    /// partition's clock. Blocks on I/O (reads and rewrites sealed segments).
    pub fn compact(&self) -> Result<CompactionReport> {
        let config = self.config();
        let mut report = CompactionReport::default();
        if !config.cleanup_policy.compact {
            return Ok(report);
        }
        let _guard = self.maintenance.lock();
        let now = self.clock.now_ms();
        let segments = self.snapshot();
        let lag_limit = now.saturating_sub(config.min_compaction_lag_ms);
        let cleanable: Vec<Arc<Segment>> = segments[..segments.len().saturating_sub(1)]
            .iter()
            .take_while(|s| s.max_timestamp() <= lag_limit)
            .cloned()
            .collect();
        let bases: Vec<i64> = cleanable.iter().map(|s| s.base_offset).collect();
        {
            let last = self.last_compaction.lock();
            if last
                .as_ref()
                .is_some_and(|l| l.bases == bases && !l.tombstones_left)
            {
                return Ok(report);
            }
        }
        // Pass 1: latest offset of every key.
        let mut latest: HashMap<Vec<u8>, i64> = HashMap::new();
        for segment in &cleanable {
            for_each_batch(segment, |batch, header| {
                if header.is_control() {
                    return Ok(());
                }
                for r in decode(segment, batch)? {
                    if let Some(key) = r.key {
                        latest.insert(key, header.base_offset() + i64::from(r.offset_delta));
                    }
                }
                Ok(())
            })?;
        }
        // Pass 2: rewrite.
        let horizon = now.saturating_sub(config.delete_retention_ms);
        let mut tombstones_left = false;
        for segment in &cleanable {
            let mut out = Vec::new();
            let mut removed = 0u64;
            for_each_batch(segment, |batch, header| {
                if header.is_control() {
                    out.extend_from_slice(batch);
                    return Ok(());
                }
                let records = decode(segment, batch)?;
                let total = records.len();
                let log_append = header.timestamp_type() == TimestampType::LogAppendTime;
                let kept: Vec<Record> = records
                    .into_iter()
                    .filter(|r| {
                        let offset = header.base_offset() + i64::from(r.offset_delta);
                        let is_latest = r
                            .key
                            .as_ref()
                            .is_some_and(|k| latest.get(k) == Some(&offset));
                        let ts = if log_append {
                            header.max_timestamp()
                        } else {
                            header.base_timestamp().saturating_add(r.timestamp_delta)
                        };
                        let expired_tombstone = r.value.is_none() && ts < horizon;
                        if is_latest && r.value.is_none() && !expired_tombstone {
                            tombstones_left = true;
                        }
                        is_latest && !expired_tombstone
                    })
                    .collect();
                removed += (total - kept.len()) as u64;
                if kept.len() == total {
                    out.extend_from_slice(batch);
                } else if !kept.is_empty() {
                    out.extend_from_slice(&rebuild(segment, &header, &kept)?);
                }
                Ok(())
            })?;
            if removed == 0 {
                continue;
            }
            report.segments_rewritten += 1;
            report.records_removed += removed;
            report.bytes_before += segment.size();
            report.bytes_after += out.len() as u64;
            self.swap_segment(segment, &out, config.index_interval_bytes)?;
        }
        *self.last_compaction.lock() = Some(LastPass {
            bases,
            tombstones_left,
        });
        if report.segments_rewritten > 0 {
            tracing::info!(partition = %self.name, ?report, "compacted");
            self.notify();
        }
        Ok(report)
    }

    /// Replaces `old` by a segment holding `bytes`, crash-safely (see module doc).
    fn swap_segment(&self, old: &Arc<Segment>, bytes: &[u8], interval: u32) -> Result<()> {
        let base = old.base_offset;
        let new = match (&self.dir, old.paths()) {
            (Some(dir), Some(paths)) => {
                let mut cleaned_name = paths.log.as_os_str().to_os_string();
                cleaned_name.push(CLEANED_SUFFIX);
                let cleaned = std::path::PathBuf::from(cleaned_name);
                let mut f =
                    fs::File::create(&cleaned).map_err(|e| LogError::io("create", &cleaned, e))?;
                f.write_all(bytes)
                    .map_err(|e| LogError::io("write", &cleaned, e))?;
                f.sync_all()
                    .map_err(|e| LogError::io("fsync", &cleaned, e))?;
                drop(f);
                // Indexes go first: a crash after the rename must find them
                // missing (and rebuild), never stale.
                fsutil::remove_if_exists(&paths.index)?;
                fsutil::remove_if_exists(&paths.time_index)?;
                fsutil::sync_dir(dir)?;
                fs::rename(&cleaned, &paths.log)
                    .map_err(|e| LogError::io("rename", &cleaned, e))?;
                fsutil::sync_dir(dir)?;
                Segment::open(dir, base, Indexes::default())?
            }
            _ => {
                let s = Segment::memory(base);
                s.append(&[bytes])
                    .map_err(|e| LogError::io("write", s.describe(), e))?;
                s
            }
        };
        let mut idx = Indexes::default();
        let outcome = new
            .scan(0, base, interval, &mut idx)
            .map_err(|e| LogError::io("read", new.describe(), e))?;
        if let Some(reason) = outcome.stop {
            return Err(LogError::Corrupt {
                path: new.describe(),
                detail: format!("compacted segment does not validate: {reason}"),
            });
        }
        let next = outcome
            .next_offset
            .max(old_next_offset(old, &self.segments.read()));
        seal_time_index(
            &mut idx,
            old.max_timestamp().max(outcome.max_timestamp),
            next,
            base,
        );
        new.set_indexes(idx);
        new.publish(new.size());
        new.write_index_files()?;
        let new = Arc::new(new);
        let mut segments = self.segments.write();
        let mut list = Vec::clone(&segments);
        if let Some(slot) = list.iter_mut().find(|s| Arc::ptr_eq(s, old)) {
            *slot = new;
        }
        *segments = Arc::new(list);
        Ok(())
    }
}

/// The offset where the segment after `old` starts (its offsets end before it).
fn old_next_offset(old: &Arc<Segment>, segments: &Arc<Vec<Arc<Segment>>>) -> i64 {
    segments
        .iter()
        .position(|s| Arc::ptr_eq(s, old))
        .and_then(|i| segments.get(i + 1))
        .map_or(old.base_offset, |s| s.base_offset)
}

fn decode(segment: &Segment, batch: &[u8]) -> Result<Vec<Record>> {
    decode_records(batch).map_err(|e| LogError::Corrupt {
        path: segment.describe(),
        detail: format!("a stored batch does not decode: {e}"),
    })
}

fn rebuild(segment: &Segment, header: &BatchHeader<'_>, kept: &[Record]) -> Result<Vec<u8>> {
    let mut section = Vec::new();
    for r in kept {
        r.encode(&mut section);
    }
    let fields = HeaderFields {
        base_offset: header.base_offset(),
        leader_epoch: header.partition_leader_epoch(),
        attributes: header.attributes(),
        last_offset_delta: header.last_offset_delta(),
        base_timestamp: header.base_timestamp(),
        max_timestamp: header.max_timestamp(),
        producer_id: header.producer_id(),
        producer_epoch: header.producer_epoch(),
        base_sequence: header.base_sequence(),
        record_count: kept.len() as i32,
    };
    let codec = header
        .compression()
        .unwrap_or(crate::batch::Compression::None);
    raw_batch(&fields, codec, &section).map_err(|e| LogError::Corrupt {
        path: segment.describe(),
        detail: format!("cannot re-encode a compacted batch: {e}"),
    })
}

/// Calls `f` with every batch of a sealed segment, in order.
fn for_each_batch(
    segment: &Segment,
    mut f: impl FnMut(&[u8], BatchHeader<'_>) -> Result<()>,
) -> Result<()> {
    let limit = segment.visible();
    let io = |e| LogError::io("read", segment.describe(), e);
    let mut pos = 0u64;
    let mut buf = Vec::new();
    while let Some(h) = segment.header_at(pos, limit).map_err(io)? {
        let len = BatchHeader::new(&h)
            .and_then(|v| v.total_len())
            .filter(|l| *l >= BATCH_HEADER_LEN && pos + *l as u64 <= limit)
            .ok_or_else(|| LogError::Corrupt {
                path: segment.describe(),
                detail: format!("bad batch length at byte {pos}"),
            })?;
        buf.resize(len, 0);
        segment.read_exact_at(pos, &mut buf).map_err(io)?;
        let header = BatchHeader::new(&buf).ok_or_else(|| LogError::Corrupt {
            path: segment.describe(),
            detail: format!("short batch at byte {pos}"),
        })?;
        f(&buf, header)?;
        pos += len as u64;
    }
    Ok(())
}
