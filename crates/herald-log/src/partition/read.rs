//! Reads: whole batches from an offset, timestamp lookups, header scans.

use std::sync::Arc;

use bytes::Bytes;

use super::Partition;
use crate::batch::{BatchHeader, Batches, OwnedBatchHeader, TimestampType};
use crate::error::{LogError, Result};
use crate::records::decode_records;
use crate::segment::Segment;

/// Batches returned by [`Partition::read`], as stored.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ReadResult {
    /// Whole v2 batches, byte-identical to what was appended (with the offsets
    /// the log assigned). Empty when there is nothing at or after the offset yet.
    pub records: Bytes,
    /// High watermark when the read finished.
    pub high_watermark: i64,
    /// Log start offset when the read finished.
    pub log_start_offset: i64,
}

/// A record found by timestamp (Kafka ListOffsets with a timestamp).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TimestampOffset {
    /// Offset of the first record whose timestamp is ≥ the target.
    pub offset: i64,
    /// That record's timestamp.
    pub timestamp: i64,
}

impl Partition {
    /// Reads whole batches starting with the batch that holds `offset` (which
    /// may begin before it: Kafka clients skip the earlier records), adding
    /// following batches of the same segment while the total stays within
    /// `max_bytes`. The first batch is returned whole even if larger than
    /// `max_bytes` (KIP-74). Records are not decoded. Only data below the high
    /// watermark is returned.
    ///
    /// `offset` must lie in `[log_start_offset, high_watermark]`, else
    /// [`LogError::OffsetOutOfRange`]. Never waits for appends. Blocks on I/O
    /// (page-cache reads).
    pub fn read(&self, offset: i64, max_bytes: usize) -> Result<ReadResult> {
        let hw = self.high_watermark();
        let start = self.log_start_offset();
        if offset < start || offset > hw {
            return Err(LogError::OffsetOutOfRange {
                offset,
                log_start_offset: start,
                high_watermark: hw,
            });
        }
        let mut records = Bytes::new();
        if offset < hw {
            let segments = self.snapshot();
            let first = segments
                .partition_point(|s| s.base_offset <= offset)
                .saturating_sub(1);
            for segment in &segments[first..] {
                if let Some(found) = read_segment(segment, offset, max_bytes)? {
                    records = found;
                    break;
                }
            }
        }
        Ok(ReadResult {
            records,
            high_watermark: self.high_watermark(),
            log_start_offset: self.log_start_offset(),
        })
    }

    /// The first record with a timestamp ≥ `timestamp` at or after the log
    /// start, or `None` if every readable record is older. Uses the time index
    /// to skip, then decodes the one batch that holds the answer. Blocks on I/O.
    pub fn offset_for_timestamp(&self, timestamp: i64) -> Result<Option<TimestampOffset>> {
        let log_start = self.log_start_offset();
        for segment in self.snapshot().iter() {
            if segment.max_timestamp() < timestamp {
                continue;
            }
            let limit = segment.visible();
            let hint = segment.index.read().relative_offset_before(timestamp);
            let from = hint.map_or(segment.base_offset, |rel| {
                segment.base_offset + i64::from(rel)
            });
            let io = |e| LogError::io("read", segment.describe(), e);
            let Some((mut pos, _)) = segment.find_batch(from.max(log_start), limit).map_err(io)?
            else {
                continue;
            };
            while let Some(h) = segment.header_at(pos, limit).map_err(io)? {
                let Some(view) = BatchHeader::new(&h) else {
                    break;
                };
                let Some(len) = view.total_len() else { break };
                if view.max_timestamp() >= timestamp
                    && view.last_offset() >= log_start
                    && let Some(found) = find_in_batch(segment, pos, len, timestamp, log_start)?
                {
                    return Ok(Some(found));
                }
                pos += len as u64;
            }
        }
        Ok(None)
    }

    /// The record with the largest timestamp (Kafka ListOffsets
    /// `MAX_TIMESTAMP`, −3): the first such record in offset order, or `None`
    /// for an empty log. Blocks on I/O.
    pub fn max_timestamp_offset(&self) -> Result<Option<TimestampOffset>> {
        let log_start = self.log_start_offset();
        let segments = self.snapshot();
        let Some(max) = segments
            .iter()
            .map(|s| s.max_timestamp())
            .max()
            .filter(|m| *m >= 0)
        else {
            return Ok(None);
        };
        for segment in segments.iter().filter(|s| s.max_timestamp() == max) {
            let limit = segment.visible();
            let io = |e| LogError::io("read", segment.describe(), e);
            let Some((mut pos, _)) = segment.find_batch(log_start, limit).map_err(io)? else {
                continue;
            };
            while let Some(h) = segment.header_at(pos, limit).map_err(io)? {
                let Some(view) = BatchHeader::new(&h) else {
                    break;
                };
                let Some(len) = view.total_len() else { break };
                if view.max_timestamp() == max
                    && let Some(found) = find_in_batch(segment, pos, len, max, log_start)?
                {
                    return Ok(Some(found));
                }
                pos += len as u64;
            }
        }
        Ok(None)
    }

    /// Iterates over the headers of readable batches from the one holding
    /// `from_offset` (or the first after it) to the high watermark, without
    /// reading records. The broker uses it at startup to rebuild idempotent
    /// producer state from the tail of the log. Each step may block on I/O.
    pub fn batch_headers(&self, from_offset: i64) -> HeaderIter {
        let segments = self.snapshot();
        let from = from_offset.max(self.log_start_offset());
        let index = segments
            .partition_point(|s| s.base_offset <= from)
            .saturating_sub(1);
        HeaderIter {
            segments,
            index,
            pos: None,
            from,
        }
    }
}

/// Reads from one segment; `None` if no batch in it reaches `offset`.
fn read_segment(segment: &Segment, offset: i64, max_bytes: usize) -> Result<Option<Bytes>> {
    let limit = segment.visible();
    let io = |e| LogError::io("read", segment.describe(), e);
    let Some((pos, header)) = segment.find_batch(offset, limit).map_err(io)? else {
        return Ok(None);
    };
    let first_len = BatchHeader::new(&header)
        .and_then(|h| h.total_len())
        .unwrap_or(0);
    let len = (max_bytes.max(first_len) as u64).min(limit - pos);
    let mut buf = vec![0u8; usize::try_from(len).unwrap_or(0)];
    segment.read_exact_at(pos, &mut buf).map_err(io)?;
    let whole: usize = Batches::new(&buf).map(|b| b.bytes().len()).sum();
    buf.truncate(whole);
    Ok(Some(Bytes::from(buf)))
}

fn find_in_batch(
    segment: &Segment,
    pos: u64,
    len: usize,
    timestamp: i64,
    log_start: i64,
) -> Result<Option<TimestampOffset>> {
    let mut buf = vec![0u8; len];
    segment
        .read_exact_at(pos, &mut buf)
        .map_err(|e| LogError::io("read", segment.describe(), e))?;
    let Some(view) = BatchHeader::new(&buf) else {
        return Ok(None);
    };
    if view.timestamp_type() == TimestampType::LogAppendTime {
        return Ok(Some(TimestampOffset {
            offset: view.base_offset().max(log_start),
            timestamp: view.max_timestamp(),
        }));
    }
    let records = decode_records(&buf).map_err(|e| LogError::Corrupt {
        path: segment.describe(),
        detail: format!("batch at byte {pos} does not decode: {e}"),
    })?;
    Ok(records.iter().find_map(|r| {
        let offset = view.base_offset() + i64::from(r.offset_delta);
        let ts = view.base_timestamp().saturating_add(r.timestamp_delta);
        (offset >= log_start && ts >= timestamp).then_some(TimestampOffset {
            offset,
            timestamp: ts,
        })
    }))
}

/// Iterator over batch headers; see [`Partition::batch_headers`].
#[derive(Debug)]
pub struct HeaderIter {
    segments: Arc<Vec<Arc<Segment>>>,
    index: usize,
    pos: Option<u64>,
    from: i64,
}

impl Iterator for HeaderIter {
    type Item = Result<OwnedBatchHeader>;

    fn next(&mut self) -> Option<Self::Item> {
        loop {
            let segment = self.segments.get(self.index)?;
            let limit = segment.visible();
            let io = |e| LogError::io("read", segment.describe(), e);
            let pos = match self.pos {
                Some(p) => p,
                None => match segment.find_batch(self.from, limit) {
                    Ok(Some((p, _))) => p,
                    Ok(None) => {
                        self.index += 1;
                        continue;
                    }
                    Err(e) => return Some(Err(io(e))),
                },
            };
            match segment.header_at(pos, limit) {
                Err(e) => return Some(Err(io(e))),
                Ok(None) => {
                    self.index += 1;
                    self.pos = None;
                }
                Ok(Some(h)) => {
                    let header = OwnedBatchHeader(h);
                    let len = header.view().total_len().unwrap_or(usize::MAX);
                    self.pos = pos.checked_add(len as u64);
                    if self.pos.is_none() {
                        self.index += 1;
                    }
                    return Some(Ok(header));
                }
            }
        }
    }
}
