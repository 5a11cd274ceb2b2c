//! Retention (whole segments by age or total size) and DeleteRecords.

use std::sync::Arc;
use std::sync::atomic::Ordering;

use super::{LOG_START_FILE, Partition};
use crate::config::TopicConfig;
use crate::error::{LogError, Result};
use crate::fsutil;
use crate::segment::Segment;

/// What a retention pass removed.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct RetentionReport {
    /// Segments deleted.
    pub segments_deleted: usize,
    /// Bytes those segments held.
    pub bytes_deleted: u64,
    /// Log start offset after the pass.
    pub log_start_offset: i64,
}

impl Partition {
    /// Applies `retention.ms` (a segment expires when its newest batch
    /// timestamp is older) and `retention.bytes` (oldest segments go while the
    /// partition stays at or above the limit without them) for topics with
    /// `cleanup.policy` containing `delete`, and, for every topic, drops
    /// segments wholly below the log start offset. Deletes whole segments,
    /// oldest first; the active segment is rolled first if time retention
    /// expired all of it, and is otherwise never deleted. Uses the partition's
    /// clock. Blocks on I/O.
    pub fn enforce_retention(&self) -> Result<RetentionReport> {
        let _guard = self.maintenance.lock();
        let config = self.config();
        let now = self.clock.now_ms();
        let mut victims = 0;
        let segments = self.snapshot();
        let log_start = self.log_start_offset();
        // Below the log start offset (DeleteRecords): any policy.
        while victims + 1 < segments.len() && segments[victims + 1].base_offset <= log_start {
            victims += 1;
        }
        if config.cleanup_policy.delete {
            if let Some(ms) = config.retention_ms {
                let expired =
                    |s: &Segment| s.size() > 0 && s.max_timestamp() < now.saturating_sub(ms);
                let mut n = victims;
                while n < segments.len() && expired(&segments[n]) {
                    n += 1;
                }
                if n == segments.len() {
                    // Everything, including the active segment, is past retention:
                    // roll so the old data can go (as Kafka does).
                    self.roll()?;
                    n = segments.len();
                } else {
                    n = n.min(segments.len() - 1);
                }
                victims = victims.max(n);
            }
            if let Some(limit) = config.retention_bytes {
                let mut size: u64 = segments.iter().map(|s| s.size()).sum();
                size -= segments[..victims].iter().map(|s| s.size()).sum::<u64>();
                let mut n = victims;
                while n + 1 < segments.len() && size.saturating_sub(segments[n].size()) >= limit {
                    size -= segments[n].size();
                    n += 1;
                }
                victims = victims.max(n);
            }
        }
        self.delete_oldest(victims)
    }

    /// Size retention only, after appends to memory partitions.
    pub(super) fn enforce_size_retention(&self, config: &TopicConfig) -> Result<()> {
        let Some(limit) = config.retention_bytes else {
            return Ok(());
        };
        let _guard = self.maintenance.lock();
        let segments = self.snapshot();
        let mut size: u64 = segments.iter().map(|s| s.size()).sum();
        let mut n = 0;
        while n + 1 < segments.len() && size > limit {
            size -= segments[n].size();
            n += 1;
        }
        self.delete_oldest(n).map(|_| ())
    }

    /// Removes the `count` oldest segments (never the active one) and moves
    /// the log start offset to the new first segment. Caller holds `maintenance`.
    fn delete_oldest(&self, count: usize) -> Result<RetentionReport> {
        let mut report = RetentionReport {
            log_start_offset: self.log_start_offset(),
            ..RetentionReport::default()
        };
        if count == 0 {
            return Ok(report);
        }
        let removed: Vec<Arc<Segment>> = {
            let mut segments = self.segments.write();
            let count = count.min(segments.len().saturating_sub(1));
            let mut list = Vec::clone(&segments);
            let removed = list.drain(..count).collect();
            *segments = Arc::new(list);
            removed
        };
        if let Some(first) = self.segments.read().first() {
            self.log_start
                .fetch_max(first.base_offset, Ordering::SeqCst);
        }
        for segment in &removed {
            report.segments_deleted += 1;
            report.bytes_deleted += segment.size();
            segment.delete_files()?;
            tracing::info!(partition = %self.name, segment = %segment.describe().display(), "deleted segment by retention");
        }
        if let Some(dir) = &self.dir {
            fsutil::sync_dir(dir)?;
        }
        report.log_start_offset = self.log_start_offset();
        self.notify();
        Ok(report)
    }

    /// Kafka DeleteRecords: moves the log start offset up to `offset`
    /// (`-1` = the high watermark), persists it so it survives restart, and
    /// deletes segments wholly below it. Returns the new log start offset
    /// (Kafka's low watermark). An offset above the high watermark is
    /// [`LogError::OffsetOutOfRange`]. Blocks on I/O.
    pub fn delete_records(&self, offset: i64) -> Result<i64> {
        let _guard = self.maintenance.lock();
        let hw = self.high_watermark();
        let target = if offset == -1 { hw } else { offset };
        if target < 0 || target > hw {
            return Err(LogError::OffsetOutOfRange {
                offset,
                log_start_offset: self.log_start_offset(),
                high_watermark: hw,
            });
        }
        if target <= self.log_start_offset() {
            return Ok(self.log_start_offset());
        }
        if let Some(dir) = &self.dir {
            fsutil::write_atomic(&dir.join(LOG_START_FILE), target.to_string().as_bytes())?;
        }
        self.log_start.fetch_max(target, Ordering::SeqCst);
        let segments = self.snapshot();
        let mut victims = 0;
        while victims + 1 < segments.len() && segments[victims + 1].base_offset <= target {
            victims += 1;
        }
        self.delete_oldest(victims)?;
        self.notify();
        Ok(self.log_start_offset())
    }
}
