//! Herald's storage engine: topics → partitions → segments of Kafka v2
//! record batches, stored exactly as producers sent them.
//!
//! A [`Log`] manages a data directory of topics; a [`Partition`] is one
//! ordered, append-only log of record batches with:
//!
//! - **append** of one or more batches as raw bytes (magic, length and
//!   CRC-32C checked; offsets assigned by rewriting the base offset, which the
//!   CRC does not cover, so nothing is re-encoded);
//! - **read** of whole stored batches from any offset, offset lookups by
//!   position and by timestamp, and a zero-copy [`BatchHeader`] view for the
//!   broker's idempotent-producer logic;
//! - **durability** per topic ([`FlushPolicy`]: `always` with group commit,
//!   `interval:<ms>`, `never`), poisoning after a failed fsync;
//! - **recovery** that truncates only a torn or corrupt tail, rebuilds
//!   indexes, and skips the scan after a clean shutdown;
//! - **retention** by time and size, DeleteRecords, **compaction** by key,
//!   and in-memory partitions (`storage=memory`).
//!
//! # How the broker uses this
//!
//! ```
//! use std::collections::BTreeMap;
//! use herald_log::{BatchBuilder, Batches, Log, LogOptions, Record};
//!
//! # fn main() -> Result<(), herald_log::LogError> {
//! # let tmp = tempfile::tempdir().unwrap();
//! # let data_dir = tmp.path();
//! let log = Log::open(data_dir, LogOptions::default())?;
//! let info = log.create_topic("orders", 3, &BTreeMap::new())?;
//! assert!(!info.id.is_nil()); // Metadata v10+ and share RPCs need it
//!
//! // Produce: the request's `records` bytes go in as they are
//! // (from a dedicated thread or `spawn_blocking`: append blocks on fsync).
//! let mut batch = BatchBuilder::new(1_700_000_000_000);
//! batch.push(Record::new(Some(b"id-1".to_vec()), Some(b"{...}".to_vec())));
//! let partition = log.partition("orders", 0)?;
//! let appended = partition.append(&batch.build())?;
//! assert_eq!(appended.base_offset, 0); // ProduceResponse base_offset
//!
//! // Fetch: whole stored batches from the one holding the fetch offset.
//! let fetched = partition.read(0, 1024 * 1024)?;
//! assert_eq!(fetched.high_watermark, 1);
//! assert_eq!(Batches::new(&fetched.records).count(), 1);
//!
//! // Long poll: create the listener, re-check, then await it (it is a Future).
//! let listener = partition.listen();
//! if partition.high_watermark() <= 1 {
//!     drop(listener); // `listener.await` with a timeout in the broker
//! }
//!
//! // ListOffsets: earliest / latest / by timestamp.
//! assert_eq!(partition.log_start_offset(), 0);
//! assert_eq!(partition.offset_for_timestamp(0)?.map(|t| t.offset), Some(0));
//!
//! log.shutdown()?; // clean stop: the next open skips recovery
//! # Ok(()) }
//! ```
//!
//! # Blocking
//!
//! Everything is synchronous `std::fs`. Offset getters, [`Partition::listen`],
//! [`Partition::version`] and [`Partition::config`] never block; every other
//! call may do file I/O, and `append` on a `flush=always` topic waits for an
//! fdatasync. Call them from dedicated threads or `spawn_blocking`.
//!
//! # Non-goals
//!
//! No sockets, no async runtime, no Kafka protocol framing; no transactions
//! index (aborted transactions are not tracked); no replication. Only v2
//! (magic 2) batches are accepted.
//!
//! # Invariants
//!
//! - Offsets are assigned once and never change, compaction included.
//! - A batch is returned by `read` byte-for-byte as appended (base offset and
//!   leader epoch stamped) until retention or compaction removes it.
//! - With `flush=always`, an acknowledged append survives a crash, and
//!   readers never see data a crash could take back.
//! - Recovery only ever removes a torn or corrupt suffix of the active
//!   segment; damage elsewhere is reported as [`LogError::Corrupt`].
//! - No input bytes, appended or found on disk, make the crate panic.
#![deny(missing_docs)]

mod batch;
pub mod builder;
mod clock;
pub mod compression;
mod config;
mod error;
mod fsutil;
mod index;
mod log;
mod notify;
mod partition;
mod records;
mod segment;
mod topic;

pub use batch::{
    BATCH_HEADER_LEN, BatchHeader, Batches, Compression, LOG_OVERHEAD, MAGIC_V2, OwnedBatchHeader,
    TimestampType, validate_batch,
};
pub use builder::BatchBuilder;
pub use clock::{Clock, ManualClock, SystemClock};
pub use config::{CONFIG_KEYS, CleanupPolicy, FlushPolicy, StorageKind, TopicConfig};
pub use error::{BatchError, ConfigError, LogError, Result};
pub use log::{Log, LogOptions};
pub use notify::AppendListener;
pub use partition::{
    AppendInfo, CompactionReport, HeaderIter, LEADER_EPOCH, Partition, ReadResult, RetentionReport,
    TimestampOffset,
};
pub use records::{Record, RecordHeader, decode_records};
pub use topic::TopicInfo;
pub use uuid::Uuid;
