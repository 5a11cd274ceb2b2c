//! One partition: an ordered list of segments, one writer, many readers.
//!
//! Concurrency: appends serialize on a writer mutex held only for validation
//! and the `write` call; fsyncs happen outside it (group commit, see
//! `write.rs`). Readers take a snapshot of the segment list (an `Arc` clone
//! under a briefly held lock) and read with positional reads, so they never
//! wait for an append or an fsync. Retention, compaction and DeleteRecords
//! serialize on a maintenance mutex and swap the segment list copy-on-write.

mod compact;
mod open;
mod read;
mod retention;
mod write;

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicI64, AtomicU64, Ordering};

use event_listener::Event;
use parking_lot::{Condvar, Mutex, RwLock};

use crate::clock::Clock;
use crate::config::{StorageKind, TopicConfig};
use crate::error::{LogError, Result};
use crate::notify::AppendListener;
use crate::segment::Segment;

pub use compact::CompactionReport;
pub use read::{HeaderIter, ReadResult, TimestampOffset};
pub use retention::RetentionReport;
pub use write::{AppendInfo, LEADER_EPOCH};

/// File in a partition directory holding the log start offset (DeleteRecords).
pub(crate) const LOG_START_FILE: &str = "log-start-offset";
/// File whose presence means the partition was closed cleanly.
pub(crate) const CLEAN_SHUTDOWN_FILE: &str = ".clean-shutdown";

/// Writer-side state of the active segment, guarded by `Partition::writer`.
#[derive(Debug)]
pub(crate) struct Writer {
    active: Arc<Segment>,
    next_offset: i64,
    /// Bytes appended since the last offset-index entry.
    since_index: u64,
    /// Largest timestamp of batches before the next one in the active segment.
    running_max_ts: i64,
    /// Reused buffer for batches that must be rewritten inside the CRC.
    scratch: Vec<u8>,
}

/// Group-commit bookkeeping (flush=always).
#[derive(Debug, Default)]
struct SyncState {
    /// Every offset below this is durable.
    durable: i64,
    /// A thread is inside fdatasync for the partition.
    in_progress: bool,
}

/// One partition of a topic: append record batches, read them back, find
/// offsets, enforce retention and compaction. Share it as `Arc<Partition>`.
///
/// Blocking: every method except the offset getters, [`listen`](Self::listen),
/// [`config`](Self::config) and [`is_poisoned`](Self::is_poisoned) may perform
/// file I/O; call them from a dedicated thread or `spawn_blocking`, not from
/// an async worker thread. `append` with `flush=always` also waits for an
/// fdatasync.
#[derive(Debug)]
pub struct Partition {
    name: String,
    dir: Option<PathBuf>,
    config: RwLock<Arc<TopicConfig>>,
    clock: Arc<dyn Clock>,
    segments: RwLock<Arc<Vec<Arc<Segment>>>>,
    writer: Mutex<Writer>,
    sync: Mutex<SyncState>,
    synced: Condvar,
    high_watermark: AtomicI64,
    log_end: AtomicI64,
    log_start: AtomicI64,
    poison: Mutex<Option<String>>,
    poisoned: AtomicBool,
    closed: AtomicBool,
    /// Clock reading of the first append not yet synced (`interval` flush); −1 if none.
    dirty_since: AtomicI64,
    /// fdatasync calls made for appends and flushes (group-commit efficiency).
    syncs: AtomicU64,
    /// Bumped on every change readers may care about.
    version: AtomicU64,
    event: Event,
    maintenance: Mutex<()>,
    last_compaction: Mutex<Option<compact::LastPass>>,
}

impl Partition {
    /// Opens (or creates) the on-disk partition in `dir`, recovering after an
    /// unclean stop: the active segment's torn or corrupt tail is truncated,
    /// missing or inconsistent indexes are rebuilt, leftovers of interrupted
    /// compaction are resolved. Sealed segments that fail validation are an
    /// error (only a torn tail is tolerated). Blocks on I/O.
    pub fn open(
        dir: impl AsRef<Path>,
        name: impl Into<String>,
        config: TopicConfig,
        clock: Arc<dyn Clock>,
    ) -> Result<Self> {
        open::open_disk(dir.as_ref(), name.into(), config, clock)
    }

    /// A partition that lives in memory only (`storage=memory`): same API,
    /// nothing on disk, bounded by `retention.bytes` (enforced on append).
    pub fn open_memory(
        name: impl Into<String>,
        config: TopicConfig,
        clock: Arc<dyn Clock>,
    ) -> Self {
        let mut config = config;
        config.storage = StorageKind::Memory;
        let active = Arc::new(Segment::memory(0));
        Self::assemble(name.into(), None, config, clock, vec![active], 0, 0)
    }

    pub(crate) fn assemble(
        name: String,
        dir: Option<PathBuf>,
        config: TopicConfig,
        clock: Arc<dyn Clock>,
        segments: Vec<Arc<Segment>>,
        next_offset: i64,
        log_start: i64,
    ) -> Self {
        let mut segments = segments;
        if segments.is_empty() {
            segments.push(Arc::new(Segment::memory(next_offset)));
        }
        let active = segments[segments.len() - 1].clone();
        let running_max_ts = active.max_timestamp();
        Self {
            name,
            dir,
            config: RwLock::new(Arc::new(config)),
            clock,
            segments: RwLock::new(Arc::new(segments)),
            writer: Mutex::new(Writer {
                active,
                next_offset,
                since_index: 0,
                running_max_ts,
                scratch: Vec::new(),
            }),
            sync: Mutex::new(SyncState {
                durable: next_offset,
                in_progress: false,
            }),
            synced: Condvar::new(),
            high_watermark: AtomicI64::new(next_offset),
            log_end: AtomicI64::new(next_offset),
            log_start: AtomicI64::new(log_start),
            poison: Mutex::new(None),
            poisoned: AtomicBool::new(false),
            closed: AtomicBool::new(false),
            dirty_since: AtomicI64::new(-1),
            syncs: AtomicU64::new(0),
            version: AtomicU64::new(0),
            event: Event::new(),
            maintenance: Mutex::new(()),
            last_compaction: Mutex::new(None),
        }
    }

    /// The name given at open (`topic-partition` when opened through [`crate::Log`]).
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The partition directory, `None` for memory partitions.
    pub fn dir(&self) -> Option<&Path> {
        self.dir.as_deref()
    }

    /// The current configuration.
    pub fn config(&self) -> Arc<TopicConfig> {
        self.config.read().clone()
    }

    /// Replaces the configuration (AlterConfigs). `storage` cannot change and
    /// is kept as it was.
    pub fn set_config(&self, mut config: TopicConfig) {
        let mut current = self.config.write();
        config.storage = current.storage;
        *current = Arc::new(config);
    }

    /// First offset that can be read (Kafka's log start offset / low watermark).
    pub fn log_start_offset(&self) -> i64 {
        self.log_start.load(Ordering::SeqCst)
    }

    /// Offset the next appended record will get.
    pub fn log_end_offset(&self) -> i64 {
        self.log_end.load(Ordering::SeqCst)
    }

    /// One past the last offset readers may see: on a single node Kafka's high
    /// watermark. With `flush=always` it only covers data that is synced, so a
    /// consumer never sees a record a crash could take back.
    pub fn high_watermark(&self) -> i64 {
        self.high_watermark.load(Ordering::SeqCst)
    }

    /// A counter that changes whenever readable data, the log start or the
    /// partition state changes (cheap polling alternative to [`listen`](Self::listen)).
    pub fn version(&self) -> u64 {
        self.version.load(Ordering::SeqCst)
    }

    /// A future / blocking waiter completing at the next change of the high
    /// watermark or log start offset. Create it before checking the offsets.
    pub fn listen(&self) -> AppendListener {
        AppendListener::new(self.event.listen())
    }

    /// True once a storage failure made the partition refuse writes.
    pub fn is_poisoned(&self) -> bool {
        self.poisoned.load(Ordering::SeqCst)
    }

    /// Number of fdatasync calls made so far by appends and flushes (with
    /// group commit, fewer than the number of `flush=always` appends under
    /// concurrency). For metrics.
    pub fn sync_count(&self) -> u64 {
        self.syncs.load(Ordering::SeqCst)
    }

    /// Total bytes of all segments.
    pub fn size_bytes(&self) -> u64 {
        self.segments.read().iter().map(|s| s.size()).sum()
    }

    /// Number of segments (including the active one).
    pub fn segment_count(&self) -> usize {
        self.segments.read().len()
    }

    /// Base offsets of the segments, oldest first.
    pub fn segment_base_offsets(&self) -> Vec<i64> {
        self.segments.read().iter().map(|s| s.base_offset).collect()
    }

    fn snapshot(&self) -> Arc<Vec<Arc<Segment>>> {
        self.segments.read().clone()
    }

    fn notify(&self) {
        self.version.fetch_add(1, Ordering::SeqCst);
        self.event.notify(usize::MAX);
    }

    /// Makes data up to `size` bytes of `segment` and offsets below `offset` readable.
    fn publish(&self, segment: &Segment, size: u64, offset: i64) {
        segment.publish(size);
        self.high_watermark.fetch_max(offset, Ordering::SeqCst);
        self.notify();
    }

    fn poison_with(&self, cause: String) -> LogError {
        tracing::error!(partition = %self.name, %cause, "partition poisoned: refusing further writes");
        let mut p = self.poison.lock();
        if p.is_none() {
            *p = Some(cause.clone());
        }
        self.poisoned.store(true, Ordering::SeqCst);
        drop(p);
        self.notify();
        LogError::Poisoned {
            partition: self.name.clone(),
            cause,
        }
    }

    fn check_writable(&self) -> Result<()> {
        if self.poisoned.load(Ordering::SeqCst) {
            let cause = self.poison.lock().clone().unwrap_or_default();
            return Err(LogError::Poisoned {
                partition: self.name.clone(),
                cause,
            });
        }
        if self.closed.load(Ordering::SeqCst) {
            return Err(LogError::Closed {
                partition: self.name.clone(),
            });
        }
        Ok(())
    }

    /// Effective segment size: memory partitions roll at a quarter of
    /// `retention.bytes` so that retention can keep them near their bound.
    fn segment_bytes(&self, config: &TopicConfig) -> u64 {
        match (config.storage, config.retention_bytes) {
            (StorageKind::Memory, Some(limit)) => config.segment_bytes.min((limit / 4).max(4096)),
            _ => config.segment_bytes,
        }
    }
}
