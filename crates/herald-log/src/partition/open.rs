//! Opening an on-disk partition: resolve leftovers, load or rebuild indexes,
//! recover the active segment's tail after an unclean stop.

use std::collections::BTreeSet;
use std::fs;
use std::path::Path;
use std::sync::Arc;

use super::{CLEAN_SHUTDOWN_FILE, LOG_START_FILE, Partition};
use crate::batch::BatchHeader;
use crate::clock::Clock;
use crate::config::TopicConfig;
use crate::error::{LogError, Result};
use crate::fsutil;
use crate::index::Indexes;
use crate::segment::{Segment, SegmentPaths};

/// Suffix of a compacted segment being written; never valid on open.
pub(crate) const CLEANED_SUFFIX: &str = ".cleaned";

pub(super) fn open_disk(
    dir: &Path,
    name: String,
    config: TopicConfig,
    clock: Arc<dyn Clock>,
) -> Result<Partition> {
    fs::create_dir_all(dir).map_err(|e| LogError::io("create directory", dir, e))?;
    let bases = resolve_files(dir)?;
    let clean_marker = dir.join(CLEAN_SHUTDOWN_FILE);
    let clean = clean_marker.exists();
    let checkpoint = read_log_start(dir)?;
    let interval = config.index_interval_bytes;

    let mut segments = Vec::with_capacity(bases.len().max(1));
    let mut next_offset = 0;
    if bases.is_empty() {
        let base = checkpoint.unwrap_or(0).max(0);
        segments.push(Arc::new(Segment::create(dir, base)?));
        fsutil::sync_dir(dir)?;
        next_offset = base;
    }
    let count = bases.len();
    for (i, base) in bases.into_iter().enumerate() {
        if i + 1 < count {
            segments.push(Arc::new(open_sealed(dir, base, interval)?));
        } else {
            let (segment, next) = open_active(dir, base, interval, clean, &name)?;
            next_offset = next;
            segments.push(Arc::new(segment));
        }
    }
    if clean {
        // From now on a crash must be detected: the marker goes before any write.
        fsutil::remove_if_exists(&clean_marker)?;
        fsutil::sync_dir(dir)?;
    }
    let first_base = segments.first().map_or(next_offset, |s| s.base_offset);
    let log_start = checkpoint
        .unwrap_or(first_base)
        .max(first_base)
        .min(next_offset);
    Ok(Partition::assemble(
        name,
        Some(dir.to_path_buf()),
        config,
        clock,
        segments,
        next_offset,
        log_start,
    ))
}

/// Deletes temp files and orphan indexes; returns the base offsets of the
/// segments present.
fn resolve_files(dir: &Path) -> Result<BTreeSet<i64>> {
    let entries = fs::read_dir(dir).map_err(|e| LogError::io("list directory", dir, e))?;
    let mut bases = BTreeSet::new();
    let mut indexes = Vec::new();
    for entry in entries {
        let entry = entry.map_err(|e| LogError::io("list directory", dir, e))?;
        let file_name = entry.file_name();
        let Some(fname) = file_name.to_str() else {
            continue;
        };
        let path = entry.path();
        if fname.ends_with(CLEANED_SUFFIX) || fname.ends_with(".tmp") {
            tracing::info!(file = %path.display(), "removing leftover of an interrupted compaction or write");
            fsutil::remove_if_exists(&path)?;
            continue;
        }
        let parse = |stem: &str| {
            (stem.len() == 20)
                .then(|| stem.parse::<i64>().ok())
                .flatten()
        };
        if let Some(base) = fname.strip_suffix(".log").and_then(parse) {
            bases.insert(base);
        } else if let Some(base) = fname
            .strip_suffix(".index")
            .or_else(|| fname.strip_suffix(".timeindex"))
            .and_then(parse)
        {
            indexes.push((base, path));
        }
    }
    for (base, path) in indexes {
        if !bases.contains(&base) {
            fsutil::remove_if_exists(&path)?;
        }
    }
    Ok(bases)
}

fn read_log_start(dir: &Path) -> Result<Option<i64>> {
    let path = dir.join(LOG_START_FILE);
    match fs::read_to_string(&path) {
        Ok(s) => s
            .trim()
            .parse::<i64>()
            .map(Some)
            .map_err(|_| LogError::Corrupt {
                path,
                detail: format!("log start offset checkpoint `{}` is not a number", s.trim()),
            }),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(LogError::io("read", path, e)),
    }
}

fn read_optional(path: &Path) -> Result<Option<Vec<u8>>> {
    match fs::read(path) {
        Ok(b) => Ok(Some(b)),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(LogError::io("read", path, e)),
    }
}

/// Loads a segment's index files if they exist and agree with the log.
fn load_indexes(dir: &Path, base: i64) -> Result<Option<(Segment, Indexes)>> {
    let paths = SegmentPaths::new(dir, base);
    let (Some(offsets), Some(times)) = (
        read_optional(&paths.index)?,
        read_optional(&paths.time_index)?,
    ) else {
        return Ok(None);
    };
    let segment = Segment::open(dir, base, Indexes::default())?;
    let Some(idx) = Indexes::decode(&offsets, &times, segment.size()) else {
        return Ok(None);
    };
    // The last entry must point at a batch header with the offset it claims.
    if let Some(last) = idx.offsets.last() {
        let header = segment
            .header_at(u64::from(last.position), segment.size())
            .map_err(|e| LogError::io("read", &paths.log, e))?;
        let matches = header
            .as_ref()
            .and_then(|h| BatchHeader::new(h))
            .is_some_and(|h| h.base_offset() == base + i64::from(last.relative_offset));
        if !matches {
            return Ok(None);
        }
    }
    Ok(Some((segment, idx)))
}

fn open_sealed(dir: &Path, base: i64, interval: u32) -> Result<Segment> {
    if let Some((segment, idx)) = load_indexes(dir, base)? {
        segment.set_indexes(idx);
        return Ok(segment);
    }
    let segment = Segment::open(dir, base, Indexes::default())?;
    let mut idx = Indexes::default();
    let outcome = segment
        .scan(0, base, interval, &mut idx)
        .map_err(|e| LogError::io("read", segment.describe(), e))?;
    if let Some(reason) = outcome.stop {
        return Err(LogError::Corrupt {
            path: segment.describe(),
            detail: format!(
                "sealed segment is damaged at byte {} of {}: {reason}; refusing to drop data that is not a torn tail",
                outcome.valid_len,
                segment.size()
            ),
        });
    }
    seal_time_index(&mut idx, outcome.max_timestamp, outcome.next_offset, base);
    segment.set_indexes(idx);
    segment.write_index_files()?;
    tracing::info!(segment = %segment.describe().display(), "rebuilt missing or inconsistent index");
    Ok(segment)
}

/// Adds the final time-index entry of a sealed segment: every record below
/// `next_offset` has a timestamp ≤ `max_timestamp`.
pub(crate) fn seal_time_index(idx: &mut Indexes, max_timestamp: i64, next_offset: i64, base: i64) {
    if let Ok(rel) = u32::try_from(next_offset - base) {
        idx.maybe_append_time(max_timestamp, rel);
    }
}

fn open_active(
    dir: &Path,
    base: i64,
    interval: u32,
    clean: bool,
    name: &str,
) -> Result<(Segment, i64)> {
    if clean && let Some((segment, idx)) = load_indexes(dir, base)? {
        let (from_pos, from_offset) = idx.offsets.last().map_or((0, base), |e| {
            (u64::from(e.position), base + i64::from(e.relative_offset))
        });
        let mut idx = idx;
        let outcome = segment
            .scan(from_pos, from_offset, interval, &mut idx)
            .map_err(|e| LogError::io("read", segment.describe(), e))?;
        if outcome.stop.is_none() {
            segment.set_indexes(idx);
            set_first_batch_time(&segment)?;
            return Ok((segment, outcome.next_offset));
        }
        tracing::warn!(
            partition = name,
            "clean-shutdown marker present but the tail does not validate; recovering"
        );
    }
    let segment = Segment::open(dir, base, Indexes::default())?;
    let mut idx = Indexes::default();
    let outcome = segment
        .scan(0, base, interval, &mut idx)
        .map_err(|e| LogError::io("read", segment.describe(), e))?;
    if let Some(reason) = &outcome.stop {
        let size = segment.size();
        tracing::warn!(
            partition = name,
            segment = %segment.describe().display(),
            valid_bytes = outcome.valid_len,
            truncated_bytes = size - outcome.valid_len,
            reason = %reason,
            "truncating torn or corrupt tail of the active segment"
        );
        segment
            .truncate(outcome.valid_len)
            .map_err(|e| LogError::io("truncate", segment.describe(), e))?;
    }
    segment.set_indexes(idx);
    set_first_batch_time(&segment)?;
    Ok((segment, outcome.next_offset))
}

/// `segment.ms` counts from the first batch's timestamp for a reopened segment.
fn set_first_batch_time(segment: &Segment) -> Result<()> {
    let header = segment
        .header_at(0, segment.size())
        .map_err(|e| LogError::io("read", segment.describe(), e))?;
    if let Some(h) = header.as_ref().and_then(|h| BatchHeader::new(h)) {
        segment.set_first_batch_ms(h.max_timestamp());
    }
    Ok(())
}
