//! The crate's error types.

use std::path::PathBuf;

use crate::batch::Compression;

/// Why a record batch was refused (maps to Kafka `CORRUPT_MESSAGE` /
/// `INVALID_RECORD` / `UNSUPPORTED_COMPRESSION_TYPE` at the broker).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum BatchError {
    /// Fewer bytes than a batch header.
    #[error("record batch too short: {available} bytes, a v2 header needs 61")]
    TooShort {
        /// Bytes that were available.
        available: usize,
    },
    /// Not a v2 batch.
    #[error("record batch has magic {magic}; only magic 2 (Kafka 0.11+) batches are accepted")]
    UnsupportedMagic {
        /// The magic byte found.
        magic: i8,
    },
    /// `batchLength` is negative or smaller than a header.
    #[error("record batch length field {length} is invalid")]
    InvalidLength {
        /// The stored length.
        length: i32,
    },
    /// `batchLength` points past the end of the buffer.
    #[error("record batch claims {needed} bytes but only {available} are present")]
    Truncated {
        /// Bytes the batch claims.
        needed: usize,
        /// Bytes available.
        available: usize,
    },
    /// The CRC-32C does not match the content.
    #[error("record batch CRC mismatch: stored {stored:#010x}, computed {computed:#010x}")]
    CrcMismatch {
        /// CRC in the header.
        stored: u32,
        /// CRC of the bytes.
        computed: u32,
    },
    /// Record count and offset delta disagree, or are negative or zero.
    #[error("record batch has {count} records but last offset delta {last_offset_delta}")]
    InvalidRecordCount {
        /// Stored record count.
        count: i32,
        /// Stored last offset delta.
        last_offset_delta: i32,
    },
    /// Attribute bits 0–2 name no known codec.
    #[error("record batch uses unknown compression codec id {id}")]
    UnknownCompression {
        /// The codec id.
        id: i16,
    },
    /// Producers may not send transaction control batches.
    #[error("producers may not append control batches")]
    ControlBatchFromProducer,
    /// The records could not be inflated.
    #[error("cannot decompress {codec:?} records: {detail}")]
    Compression {
        /// The codec.
        codec: Compression,
        /// What the codec reported.
        detail: String,
    },
    /// The records section does not parse.
    #[error("malformed record at byte {position} of the records section: {detail}")]
    MalformedRecords {
        /// What is wrong.
        detail: &'static str,
        /// Position in the (inflated) records section.
        position: usize,
    },
}

/// A topic configuration value that could not be accepted.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ConfigError {
    /// The key is not a topic configuration herald knows.
    #[error("unknown topic configuration `{key}`")]
    UnknownKey {
        /// The key.
        key: String,
    },
    /// The value does not parse or is out of range for the key.
    #[error("invalid value `{value}` for topic configuration `{key}`: {reason}")]
    InvalidValue {
        /// The key.
        key: String,
        /// The rejected value.
        value: String,
        /// What is expected.
        reason: &'static str,
    },
}

/// Everything that can go wrong in the log.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum LogError {
    /// A file system operation failed.
    #[error("{op} {}: {source}", path.display())]
    Io {
        /// What was being done (`"open"`, `"write"`, `"fsync"`, ...).
        op: &'static str,
        /// The file or directory involved.
        path: PathBuf,
        /// The OS error.
        #[source]
        source: std::io::Error,
    },
    /// The appended bytes are not a valid batch; nothing was written.
    #[error("invalid record batch at byte {position} of the request: {source}")]
    InvalidBatch {
        /// Where in the appended buffer the bad batch starts.
        position: usize,
        /// What is wrong with it.
        #[source]
        source: BatchError,
    },
    /// An empty buffer was appended.
    #[error("nothing to append: the buffer holds no record batch")]
    EmptyAppend,
    /// A batch is larger than the topic's `max.message.bytes` (Kafka `MESSAGE_TOO_LARGE`).
    #[error("record batch of {size} bytes exceeds max.message.bytes = {max}")]
    RecordTooLarge {
        /// Size of the batch.
        size: usize,
        /// The topic's limit.
        max: usize,
    },
    /// A record without a key was sent to a compacted topic (Kafka `INVALID_RECORD`).
    #[error(
        "compacted topics require a key on every record; record at offset delta {offset_delta} has none"
    )]
    KeylessRecordOnCompactedTopic {
        /// Offset delta of the first keyless record.
        offset_delta: i32,
    },
    /// The offset is outside `[log start, high watermark]` (Kafka `OFFSET_OUT_OF_RANGE`).
    #[error("offset {offset} is out of range [{log_start_offset}, {high_watermark}]")]
    OffsetOutOfRange {
        /// The requested offset.
        offset: i64,
        /// First readable offset.
        log_start_offset: i64,
        /// One past the last readable offset.
        high_watermark: i64,
    },
    /// A past write or fsync failed; the partition refuses writes until reopened.
    #[error("partition {partition} refuses writes after an earlier storage failure: {cause}")]
    Poisoned {
        /// The partition's directory (or name for memory partitions).
        partition: String,
        /// The failure that poisoned it.
        cause: String,
    },
    /// The partition was closed.
    #[error("partition {partition} is closed")]
    Closed {
        /// The partition.
        partition: String,
    },
    /// Stored data other than a torn tail is damaged.
    #[error("corrupt log data in {}: {detail}", path.display())]
    Corrupt {
        /// The damaged file.
        path: PathBuf,
        /// What is wrong.
        detail: String,
    },
    /// A topic configuration was refused.
    #[error(transparent)]
    Config(#[from] ConfigError),
    /// The topic name is not a valid Kafka topic name.
    #[error("invalid topic name `{name}`: {reason}")]
    InvalidTopicName {
        /// The name.
        name: String,
        /// Why it is refused.
        reason: &'static str,
    },
    /// No such topic.
    #[error("unknown topic `{topic}`")]
    UnknownTopic {
        /// The topic.
        topic: String,
    },
    /// No such partition.
    #[error("topic `{topic}` has no partition {partition}")]
    UnknownPartition {
        /// The topic.
        topic: String,
        /// The partition index.
        partition: i32,
    },
    /// The topic exists already.
    #[error("topic `{topic}` already exists")]
    TopicExists {
        /// The topic.
        topic: String,
    },
    /// A partition count that is zero, negative or would shrink the topic.
    #[error("invalid partition count {requested} for topic `{topic}` (currently {current})")]
    InvalidPartitionCount {
        /// The topic.
        topic: String,
        /// Requested count.
        requested: i32,
        /// Current count (0 for a new topic).
        current: i32,
    },
}

impl LogError {
    pub(crate) fn io(op: &'static str, path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        Self::Io {
            op,
            path: path.into(),
            source,
        }
    }
}

/// Shorthand for results of this crate.
pub type Result<T, E = LogError> = std::result::Result<T, E>;
