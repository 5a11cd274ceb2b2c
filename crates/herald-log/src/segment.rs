//! One segment: a `.log` file (or memory buffer) of batches plus its indexes.
//!
//! A segment is shared (`Arc`) between the writer and readers. Readers only
//! look at bytes below `visible`, which the writer raises after the data is
//! written (and, for `flush=always`, synced), so they never see a torn batch.
//! A reader that holds an `Arc<Segment>` keeps reading the same bytes even if
//! retention deletes or compaction replaces the segment meanwhile: the open
//! file descriptor keeps the old inode alive.

use std::fs::{File, OpenOptions};
use std::io::{IoSlice, Write};
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};

use parking_lot::RwLock;

use crate::batch::{BATCH_HEADER_LEN, BatchHeader, validate_batch};
use crate::error::{LogError, Result};
use crate::fsutil;
use crate::index::{Indexes, OffsetEntry};

/// File name of a segment's log file (20-digit zero-padded base offset).
pub(crate) fn log_file_name(base_offset: i64) -> String {
    format!("{base_offset:020}.log")
}

/// Paths of the files that make up an on-disk segment.
#[derive(Clone, Debug)]
pub(crate) struct SegmentPaths {
    pub log: PathBuf,
    pub index: PathBuf,
    pub time_index: PathBuf,
}

impl SegmentPaths {
    pub fn new(dir: &Path, base_offset: i64) -> Self {
        Self {
            log: dir.join(log_file_name(base_offset)),
            index: dir.join(format!("{base_offset:020}.index")),
            time_index: dir.join(format!("{base_offset:020}.timeindex")),
        }
    }
}

#[derive(Debug)]
enum Store {
    File { file: File, paths: SegmentPaths },
    Memory(RwLock<Vec<u8>>),
}

/// A segment of the log.
#[derive(Debug)]
pub(crate) struct Segment {
    pub base_offset: i64,
    store: Store,
    /// Bytes written by the writer.
    size: AtomicU64,
    /// Bytes readers may see (≤ size).
    visible: AtomicU64,
    pub index: RwLock<Indexes>,
    /// Largest batch max timestamp in the segment, −1 if none.
    max_timestamp: AtomicI64,
    /// When the segment got its first batch (wall clock or first batch time), −1 if empty.
    first_batch_ms: AtomicI64,
}

/// What scanning a segment's bytes found.
#[derive(Debug)]
pub(crate) struct ScanOutcome {
    /// Bytes up to the end of the last valid batch.
    pub valid_len: u64,
    /// Offset after the last valid batch (`expected_next` if none).
    pub next_offset: i64,
    /// Largest max timestamp seen, −1 if none.
    pub max_timestamp: i64,
    /// Max timestamp of the first valid batch scanned, −1 if none.
    pub first_batch_timestamp: i64,
    /// Why the scan stopped before the end of the data, if it did.
    pub stop: Option<String>,
}

impl Segment {
    /// Creates an empty on-disk segment, replacing any leftover files with that name.
    pub fn create(dir: &Path, base_offset: i64) -> Result<Self> {
        let paths = SegmentPaths::new(dir, base_offset);
        for p in [&paths.log, &paths.index, &paths.time_index] {
            fsutil::remove_if_exists(p)?;
        }
        let file = open_log(&paths.log, true)?;
        Ok(Self::with_store(
            base_offset,
            Store::File { file, paths },
            0,
            Indexes::default(),
        ))
    }

    /// Creates an empty in-memory segment.
    pub fn memory(base_offset: i64) -> Self {
        Self::with_store(
            base_offset,
            Store::Memory(RwLock::new(Vec::new())),
            0,
            Indexes::default(),
        )
    }

    /// Opens an existing on-disk segment with the given indexes.
    pub fn open(dir: &Path, base_offset: i64, indexes: Indexes) -> Result<Self> {
        let paths = SegmentPaths::new(dir, base_offset);
        let file = open_log(&paths.log, false)?;
        let len = file
            .metadata()
            .map_err(|e| LogError::io("stat", &paths.log, e))?
            .len();
        Ok(Self::with_store(
            base_offset,
            Store::File { file, paths },
            len,
            indexes,
        ))
    }

    fn with_store(base_offset: i64, store: Store, len: u64, indexes: Indexes) -> Self {
        let max_ts = indexes.max_timestamp().unwrap_or(-1);
        Self {
            base_offset,
            store,
            size: AtomicU64::new(len),
            visible: AtomicU64::new(len),
            index: RwLock::new(indexes),
            max_timestamp: AtomicI64::new(max_ts),
            first_batch_ms: AtomicI64::new(-1),
        }
    }

    /// Installs indexes (loaded or rebuilt) and folds their max timestamp in.
    pub fn set_indexes(&self, idx: Indexes) {
        if let Some(ts) = idx.max_timestamp() {
            self.note_timestamp(ts);
        }
        *self.index.write() = idx;
    }

    pub fn paths(&self) -> Option<&SegmentPaths> {
        match &self.store {
            Store::File { paths, .. } => Some(paths),
            Store::Memory(_) => None,
        }
    }

    /// Human-readable location for logs and errors.
    pub fn describe(&self) -> PathBuf {
        self.paths().map_or_else(
            || PathBuf::from(format!("<memory>/{}", log_file_name(self.base_offset))),
            |p| p.log.clone(),
        )
    }

    pub fn size(&self) -> u64 {
        self.size.load(Ordering::SeqCst)
    }

    pub fn visible(&self) -> u64 {
        self.visible.load(Ordering::SeqCst)
    }

    pub fn publish(&self, up_to: u64) {
        self.visible.fetch_max(up_to, Ordering::SeqCst);
    }

    pub fn max_timestamp(&self) -> i64 {
        self.max_timestamp.load(Ordering::SeqCst)
    }

    pub fn note_timestamp(&self, ts: i64) {
        self.max_timestamp.fetch_max(ts, Ordering::SeqCst);
    }

    pub fn first_batch_ms(&self) -> i64 {
        self.first_batch_ms.load(Ordering::SeqCst)
    }

    pub fn set_first_batch_ms(&self, ms: i64) {
        self.first_batch_ms.store(ms, Ordering::SeqCst);
    }

    /// Appends `parts` as one contiguous write at the end. On error the caller
    /// must truncate back to the previous size.
    pub fn append(&self, parts: &[&[u8]]) -> std::io::Result<()> {
        let total: usize = parts.iter().map(|p| p.len()).sum();
        match &self.store {
            Store::Memory(buf) => {
                let mut buf = buf.write();
                buf.reserve(total);
                for p in parts {
                    buf.extend_from_slice(p);
                }
            }
            Store::File { file, .. } => {
                let mut slices: Vec<IoSlice<'_>> = parts.iter().map(|p| IoSlice::new(p)).collect();
                let mut slices = &mut slices[..];
                let mut f = file;
                while !slices.is_empty() {
                    let n = f.write_vectored(slices)?;
                    if n == 0 {
                        return Err(std::io::ErrorKind::WriteZero.into());
                    }
                    IoSlice::advance_slices(&mut slices, n);
                }
            }
        }
        self.size.fetch_add(total as u64, Ordering::SeqCst);
        Ok(())
    }

    /// Reads exactly `buf.len()` bytes at `pos`.
    pub fn read_exact_at(&self, pos: u64, buf: &mut [u8]) -> std::io::Result<()> {
        match &self.store {
            Store::File { file, .. } => file.read_exact_at(buf, pos),
            Store::Memory(data) => {
                let data = data.read();
                let start = usize::try_from(pos).map_err(|_| std::io::ErrorKind::UnexpectedEof)?;
                let src = data
                    .get(start..start + buf.len())
                    .ok_or(std::io::ErrorKind::UnexpectedEof)?;
                buf.copy_from_slice(src);
                Ok(())
            }
        }
    }

    /// Reads the batch header at `pos`, if `limit` leaves room for one.
    pub fn header_at(
        &self,
        pos: u64,
        limit: u64,
    ) -> std::io::Result<Option<[u8; BATCH_HEADER_LEN]>> {
        if pos + BATCH_HEADER_LEN as u64 > limit {
            return Ok(None);
        }
        let mut h = [0u8; BATCH_HEADER_LEN];
        self.read_exact_at(pos, &mut h)?;
        Ok(Some(h))
    }

    /// Makes written data durable (no-op in memory).
    pub fn sync(&self) -> std::io::Result<()> {
        #[cfg(test)]
        if fault::take_sync_failure() {
            return Err(std::io::Error::other("injected fsync failure"));
        }
        match &self.store {
            Store::File { file, .. } => file.sync_data(),
            Store::Memory(_) => Ok(()),
        }
    }

    /// Cuts the segment to `len` bytes (torn tail or failed append).
    pub fn truncate(&self, len: u64) -> std::io::Result<()> {
        match &self.store {
            Store::File { file, .. } => {
                file.set_len(len)?;
                file.sync_all()?;
            }
            Store::Memory(buf) => buf
                .write()
                .truncate(usize::try_from(len).unwrap_or(usize::MAX)),
        }
        self.size.store(len, Ordering::SeqCst);
        self.visible.store(len, Ordering::SeqCst);
        Ok(())
    }

    /// Writes the in-memory indexes to their files and syncs them.
    pub fn write_index_files(&self) -> Result<()> {
        if let Some(paths) = self.paths() {
            let (offsets, times) = {
                let idx = self.index.read();
                (idx.encode_offsets(), idx.encode_times())
            };
            fsutil::write_synced(&paths.index, &offsets)?;
            fsutil::write_synced(&paths.time_index, &times)?;
        }
        Ok(())
    }

    /// Removes the segment's files (the log first, so a crash in between
    /// leaves only orphan indexes, which open removes).
    pub fn delete_files(&self) -> Result<()> {
        if let Some(p) = self.paths() {
            fsutil::remove_if_exists(&p.log)?;
            fsutil::remove_if_exists(&p.index)?;
            fsutil::remove_if_exists(&p.time_index)?;
        }
        Ok(())
    }

    /// Relative offset of `offset` in this segment, if representable.
    pub fn relative(&self, offset: i64) -> Option<u32> {
        u32::try_from(offset.checked_sub(self.base_offset)?).ok()
    }

    /// Position of the first batch whose last offset is ≥ `offset`, scanning
    /// headers forward from the index hint, below `limit`. Returns the position
    /// and that batch's header.
    pub fn find_batch(
        &self,
        offset: i64,
        limit: u64,
    ) -> std::io::Result<Option<(u64, [u8; BATCH_HEADER_LEN])>> {
        let rel = self
            .relative(offset.max(self.base_offset))
            .unwrap_or(u32::MAX);
        let entry = self.index.read().entry_for(rel);
        let mut pos = 0;
        if let Some(e) = entry {
            // Index files carry no checksum: trust an entry only if the batch
            // it points at has the offset it claims, else scan from the start.
            let expected = self.base_offset + i64::from(e.relative_offset);
            let header = self.header_at(u64::from(e.position), limit)?;
            if header
                .as_ref()
                .and_then(|h| BatchHeader::new(h))
                .is_some_and(|h| h.base_offset() == expected)
            {
                pos = u64::from(e.position);
            } else {
                tracing::warn!(segment = %self.describe().display(), "offset index entry does not match the log; scanning");
            }
        }
        while let Some(h) = self.header_at(pos, limit)? {
            let Some(view) = BatchHeader::new(&h) else {
                break;
            };
            let Some(len) = view.total_len().filter(|l| *l >= BATCH_HEADER_LEN) else {
                break;
            };
            if view.last_offset() >= offset {
                return Ok(Some((pos, h)));
            }
            pos += len as u64;
        }
        Ok(None)
    }

    /// Validates batches from `from_pos` to the end of the data, extending
    /// `indexes` for each batch found (an index entry every `interval` bytes).
    /// Stops at the first torn or corrupt batch or offset regression.
    pub fn scan(
        &self,
        from_pos: u64,
        expected_next: i64,
        interval: u32,
        indexes: &mut Indexes,
    ) -> std::io::Result<ScanOutcome> {
        let end = self.size();
        let mut pos = from_pos;
        let mut next = expected_next;
        let mut out = ScanOutcome {
            valid_len: from_pos,
            next_offset: expected_next,
            max_timestamp: -1,
            first_batch_timestamp: -1,
            stop: None,
        };
        // Callers start at the segment start or at an indexed batch, so the
        // count of bytes since the last index entry starts at zero.
        let mut since_index: u64 = 0;
        let mut running_max = indexes.max_timestamp().unwrap_or(-1);
        let mut buf = Vec::new();
        while pos < end {
            let Some(h) = self.header_at(pos, end)? else {
                out.stop = Some(format!(
                    "{} trailing bytes are shorter than a batch header",
                    end - pos
                ));
                break;
            };
            let view = BatchHeader::new(&h).ok_or(std::io::ErrorKind::InvalidData)?;
            let Some(len) = view
                .total_len()
                .filter(|l| *l >= BATCH_HEADER_LEN && pos + *l as u64 <= end)
            else {
                out.stop = Some(format!(
                    "batch length {} runs past the end of the file",
                    view.batch_length()
                ));
                break;
            };
            buf.resize(len, 0);
            self.read_exact_at(pos, &mut buf)?;
            if let Err(e) = validate_batch(&buf) {
                out.stop = Some(e.to_string());
                break;
            }
            let base = view.base_offset();
            let Some(rel) = self
                .relative(base)
                .filter(|_| base >= next && view.last_offset() >= base)
            else {
                out.stop = Some(format!(
                    "batch base offset {base} does not follow offset {next}"
                ));
                break;
            };
            if self.relative(view.last_offset()).is_none() {
                out.stop = Some(format!(
                    "batch last offset {} overflows the segment",
                    view.last_offset()
                ));
                break;
            }
            let fresh = indexes
                .offsets
                .last()
                .is_none_or(|l| l.relative_offset < rel);
            if since_index >= u64::from(interval) && pos > 0 && fresh {
                indexes.offsets.push(OffsetEntry {
                    relative_offset: rel,
                    position: u32::try_from(pos).map_err(|_| std::io::ErrorKind::InvalidData)?,
                });
                indexes.maybe_append_time(running_max, rel);
                since_index = 0;
            }
            since_index = since_index.saturating_add(len as u64);
            running_max = running_max.max(view.max_timestamp());
            if out.first_batch_timestamp < 0 {
                out.first_batch_timestamp = view.max_timestamp();
            }
            out.max_timestamp = out.max_timestamp.max(view.max_timestamp());
            next = view.next_offset();
            pos += len as u64;
            out.valid_len = pos;
            out.next_offset = next;
        }
        self.note_timestamp(out.max_timestamp);
        Ok(out)
    }
}

fn open_log(path: &Path, create: bool) -> Result<File> {
    OpenOptions::new()
        .read(true)
        .append(true)
        .create(create)
        .open(path)
        .map_err(|e| LogError::io(if create { "create" } else { "open" }, path, e))
}

/// Fault injection for unit tests: make the calling thread's next sync fail.
#[cfg(test)]
pub(crate) mod fault {
    use std::cell::Cell;

    thread_local! {
        static FAIL_NEXT_SYNC: Cell<bool> = const { Cell::new(false) };
    }

    pub fn fail_next_sync() {
        FAIL_NEXT_SYNC.with(|f| f.set(true));
    }

    pub(super) fn take_sync_failure() -> bool {
        FAIL_NEXT_SYNC.with(|f| f.replace(false))
    }
}
