//! Kafka v2 record batches: a zero-copy header view, validation and the few
//! in-place rewrites the broker is allowed to make (base offset, leader epoch,
//! log-append time).
//!
//! Layout (kafka-site `implementation.html` §5.3.1), all integers big-endian:
//!
//! | bytes  | field                 | covered by CRC |
//! |--------|-----------------------|----------------|
//! | 0..8   | baseOffset            | no             |
//! | 8..12  | batchLength           | no             |
//! | 12..16 | partitionLeaderEpoch  | no             |
//! | 16     | magic (= 2)           | no             |
//! | 17..21 | crc (CRC-32C)         | no             |
//! | 21..23 | attributes            | yes            |
//! | 23..27 | lastOffsetDelta       | yes            |
//! | 27..35 | baseTimestamp         | yes            |
//! | 35..43 | maxTimestamp          | yes            |
//! | 43..51 | producerId            | yes            |
//! | 51..53 | producerEpoch         | yes            |
//! | 53..57 | baseSequence          | yes            |
//! | 57..61 | records count         | yes            |
//! | 61..   | records               | yes            |

use crate::error::BatchError;

/// Size of the fixed v2 batch header that precedes the records.
pub const BATCH_HEADER_LEN: usize = 61;
/// Bytes before the part `batchLength` counts (baseOffset + batchLength).
pub const LOG_OVERHEAD: usize = 12;
/// The only record-batch format herald stores.
pub const MAGIC_V2: i8 = 2;

const OFF_BASE_OFFSET: usize = 0;
const OFF_LENGTH: usize = 8;
const OFF_LEADER_EPOCH: usize = 12;
const OFF_MAGIC: usize = 16;
const OFF_CRC: usize = 17;
const OFF_ATTRIBUTES: usize = 21;
const OFF_LAST_OFFSET_DELTA: usize = 23;
const OFF_BASE_TIMESTAMP: usize = 27;
const OFF_MAX_TIMESTAMP: usize = 35;
const OFF_PRODUCER_ID: usize = 43;
const OFF_PRODUCER_EPOCH: usize = 51;
const OFF_BASE_SEQUENCE: usize = 53;
const OFF_RECORD_COUNT: usize = 57;

const ATTR_COMPRESSION_MASK: i16 = 0x07;
const ATTR_TIMESTAMP_TYPE: i16 = 0x08;
const ATTR_TRANSACTIONAL: i16 = 0x10;
const ATTR_CONTROL: i16 = 0x20;
const ATTR_DELETE_HORIZON: i16 = 0x40;

fn be_i64(b: &[u8], at: usize) -> i64 {
    let mut a = [0u8; 8];
    a.copy_from_slice(&b[at..at + 8]);
    i64::from_be_bytes(a)
}

fn be_i32(b: &[u8], at: usize) -> i32 {
    let mut a = [0u8; 4];
    a.copy_from_slice(&b[at..at + 4]);
    i32::from_be_bytes(a)
}

fn be_i16(b: &[u8], at: usize) -> i16 {
    i16::from_be_bytes([b[at], b[at + 1]])
}

/// Compression codec of a batch (attributes bits 0–2).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Compression {
    /// Records stored as they are.
    None,
    /// gzip (RFC 1952).
    Gzip,
    /// Snappy; herald reads the raw and the Java "xerial" framed forms and writes raw.
    Snappy,
    /// LZ4 frame format.
    Lz4,
    /// Zstandard.
    Zstd,
}

impl Compression {
    /// The codec for attribute bits 0–2, or `None` for the unassigned ids 5–7.
    pub fn from_id(id: i16) -> Option<Self> {
        match id {
            0 => Some(Self::None),
            1 => Some(Self::Gzip),
            2 => Some(Self::Snappy),
            3 => Some(Self::Lz4),
            4 => Some(Self::Zstd),
            _ => None,
        }
    }

    /// The id stored in attribute bits 0–2.
    pub fn id(self) -> i16 {
        match self {
            Self::None => 0,
            Self::Gzip => 1,
            Self::Snappy => 2,
            Self::Lz4 => 3,
            Self::Zstd => 4,
        }
    }
}

/// Which timestamp a batch carries (attributes bit 3).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum TimestampType {
    /// The producer's timestamp.
    CreateTime,
    /// The broker's clock at append (the topic's `message.timestamp.type=LogAppendTime`).
    LogAppendTime,
}

/// A borrowed, validated-length view of one v2 batch header.
///
/// Creating it checks only that at least [`BATCH_HEADER_LEN`] bytes are present;
/// use [`validate_batch`] to check magic, length and CRC. Every accessor is a
/// fixed-offset big-endian read: nothing is copied or decoded.
#[derive(Clone, Copy, Debug)]
pub struct BatchHeader<'a> {
    bytes: &'a [u8],
}

impl<'a> BatchHeader<'a> {
    /// Views the header at the start of `bytes`; `None` if fewer than
    /// [`BATCH_HEADER_LEN`] bytes are given.
    pub fn new(bytes: &'a [u8]) -> Option<Self> {
        (bytes.len() >= BATCH_HEADER_LEN).then_some(Self { bytes })
    }

    /// The whole slice the view was made from (header, and records if given).
    pub fn bytes(&self) -> &'a [u8] {
        self.bytes
    }

    /// Offset of the first record (assigned by the log at append).
    pub fn base_offset(&self) -> i64 {
        be_i64(self.bytes, OFF_BASE_OFFSET)
    }
    /// Byte count after the `batchLength` field.
    pub fn batch_length(&self) -> i32 {
        be_i32(self.bytes, OFF_LENGTH)
    }
    /// Total size of the batch in bytes (`batchLength + 12`), or `None` if the
    /// stored length is negative.
    pub fn total_len(&self) -> Option<usize> {
        usize::try_from(self.batch_length())
            .ok()
            .map(|l| l + LOG_OVERHEAD)
    }
    /// The partition leader epoch stamped by the broker.
    pub fn partition_leader_epoch(&self) -> i32 {
        be_i32(self.bytes, OFF_LEADER_EPOCH)
    }
    /// Format version; herald stores only 2.
    pub fn magic(&self) -> i8 {
        self.bytes[OFF_MAGIC] as i8
    }
    /// The stored CRC-32C of bytes `21..`.
    pub fn crc(&self) -> u32 {
        be_i32(self.bytes, OFF_CRC) as u32
    }
    /// Raw attributes.
    pub fn attributes(&self) -> i16 {
        be_i16(self.bytes, OFF_ATTRIBUTES)
    }
    /// Compression codec, `None` for an unknown codec id.
    pub fn compression(&self) -> Option<Compression> {
        Compression::from_id(self.attributes() & ATTR_COMPRESSION_MASK)
    }
    /// Timestamp type (attributes bit 3).
    pub fn timestamp_type(&self) -> TimestampType {
        if self.attributes() & ATTR_TIMESTAMP_TYPE != 0 {
            TimestampType::LogAppendTime
        } else {
            TimestampType::CreateTime
        }
    }
    /// Part of a transaction (attributes bit 4).
    pub fn is_transactional(&self) -> bool {
        self.attributes() & ATTR_TRANSACTIONAL != 0
    }
    /// A control batch (transaction markers; attributes bit 5).
    pub fn is_control(&self) -> bool {
        self.attributes() & ATTR_CONTROL != 0
    }
    /// `baseTimestamp` holds a compaction delete horizon (attributes bit 6).
    pub fn has_delete_horizon(&self) -> bool {
        self.attributes() & ATTR_DELETE_HORIZON != 0
    }
    /// Offset delta of the last record; the batch covers `base..=base+delta`.
    pub fn last_offset_delta(&self) -> i32 {
        be_i32(self.bytes, OFF_LAST_OFFSET_DELTA)
    }
    /// Offset of the last record the batch covers (even if compaction removed it).
    pub fn last_offset(&self) -> i64 {
        self.base_offset()
            .saturating_add(i64::from(self.last_offset_delta()))
    }
    /// Offset following this batch.
    pub fn next_offset(&self) -> i64 {
        self.last_offset().saturating_add(1)
    }
    /// Timestamp of the first record.
    pub fn base_timestamp(&self) -> i64 {
        be_i64(self.bytes, OFF_BASE_TIMESTAMP)
    }
    /// Largest record timestamp (the append time for `LogAppendTime` batches).
    pub fn max_timestamp(&self) -> i64 {
        be_i64(self.bytes, OFF_MAX_TIMESTAMP)
    }
    /// Idempotent/transactional producer id, −1 if none.
    pub fn producer_id(&self) -> i64 {
        be_i64(self.bytes, OFF_PRODUCER_ID)
    }
    /// Producer epoch, −1 if none.
    pub fn producer_epoch(&self) -> i16 {
        be_i16(self.bytes, OFF_PRODUCER_EPOCH)
    }
    /// Sequence number of the first record, −1 if none.
    pub fn base_sequence(&self) -> i32 {
        be_i32(self.bytes, OFF_BASE_SEQUENCE)
    }
    /// Sequence number of the last record (wrapping like Kafka at `i32::MAX`).
    pub fn last_sequence(&self) -> i32 {
        let base = self.base_sequence();
        if base < 0 {
            return -1;
        }
        let last = i64::from(base) + i64::from(self.last_offset_delta());
        if last > i64::from(i32::MAX) {
            (last - i64::from(i32::MAX) - 1) as i32
        } else {
            last as i32
        }
    }
    /// Number of records in the batch.
    pub fn record_count(&self) -> i32 {
        be_i32(self.bytes, OFF_RECORD_COUNT)
    }
    /// Copies the header into an owned value (61 bytes).
    pub fn to_owned_header(&self) -> OwnedBatchHeader {
        let mut h = [0u8; BATCH_HEADER_LEN];
        h.copy_from_slice(&self.bytes[..BATCH_HEADER_LEN]);
        OwnedBatchHeader(h)
    }
}

/// An owned copy of a batch header, as yielded when scanning the log.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct OwnedBatchHeader(pub(crate) [u8; BATCH_HEADER_LEN]);

impl OwnedBatchHeader {
    /// A view over the copied bytes.
    pub fn view(&self) -> BatchHeader<'_> {
        BatchHeader { bytes: &self.0 }
    }
}

impl std::fmt::Debug for OwnedBatchHeader {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let v = self.view();
        f.debug_struct("OwnedBatchHeader")
            .field("base_offset", &v.base_offset())
            .field("last_offset", &v.last_offset())
            .field("producer_id", &v.producer_id())
            .field("producer_epoch", &v.producer_epoch())
            .field("base_sequence", &v.base_sequence())
            .field("record_count", &v.record_count())
            .field("max_timestamp", &v.max_timestamp())
            .finish()
    }
}

/// Checks one batch at the start of `bytes`: header present, magic 2, a length
/// that fits in `bytes`, a sane offset delta and record count, and the CRC-32C.
/// Returns the batch's total size on success.
pub fn validate_batch(bytes: &[u8]) -> Result<usize, BatchError> {
    let header = BatchHeader::new(bytes).ok_or(BatchError::TooShort {
        available: bytes.len(),
    })?;
    if header.magic() != MAGIC_V2 {
        return Err(BatchError::UnsupportedMagic {
            magic: header.magic(),
        });
    }
    let total = header
        .total_len()
        .filter(|t| *t >= BATCH_HEADER_LEN)
        .ok_or(BatchError::InvalidLength {
            length: header.batch_length(),
        })?;
    if total > bytes.len() {
        return Err(BatchError::Truncated {
            needed: total,
            available: bytes.len(),
        });
    }
    if header.last_offset_delta() < 0 || header.record_count() < 0 {
        return Err(BatchError::InvalidRecordCount {
            count: header.record_count(),
            last_offset_delta: header.last_offset_delta(),
        });
    }
    let computed = crc32c::crc32c(&bytes[OFF_ATTRIBUTES..total]);
    if computed != header.crc() {
        return Err(BatchError::CrcMismatch {
            stored: header.crc(),
            computed,
        });
    }
    Ok(total)
}

/// Stricter checks for a batch a producer sends (Kafka's `LogValidator`):
/// at least one record, consecutive offset deltas (`count = lastOffsetDelta + 1`),
/// a known codec and no control batch.
pub(crate) fn validate_producer_batch(header: &BatchHeader<'_>) -> Result<(), BatchError> {
    let count = header.record_count();
    if count == 0 || i64::from(count) != i64::from(header.last_offset_delta()) + 1 {
        return Err(BatchError::InvalidRecordCount {
            count,
            last_offset_delta: header.last_offset_delta(),
        });
    }
    if header.compression().is_none() {
        return Err(BatchError::UnknownCompression {
            id: header.attributes() & ATTR_COMPRESSION_MASK,
        });
    }
    if header.is_control() {
        return Err(BatchError::ControlBatchFromProducer);
    }
    Ok(())
}

/// Overwrites the base offset (outside the CRC).
pub(crate) fn set_base_offset(batch: &mut [u8], offset: i64) {
    batch[OFF_BASE_OFFSET..OFF_BASE_OFFSET + 8].copy_from_slice(&offset.to_be_bytes());
}

/// Overwrites the partition leader epoch (outside the CRC).
pub(crate) fn set_leader_epoch(batch: &mut [u8], epoch: i32) {
    batch[OFF_LEADER_EPOCH..OFF_LEADER_EPOCH + 4].copy_from_slice(&epoch.to_be_bytes());
}

/// Marks the batch as `LogAppendTime` with `max_timestamp = now` and recomputes
/// the CRC, since both fields are covered by it.
pub(crate) fn stamp_log_append_time(batch: &mut [u8], now_ms: i64) {
    let attrs = be_i16(batch, OFF_ATTRIBUTES) | ATTR_TIMESTAMP_TYPE;
    batch[OFF_ATTRIBUTES..OFF_ATTRIBUTES + 2].copy_from_slice(&attrs.to_be_bytes());
    batch[OFF_MAX_TIMESTAMP..OFF_MAX_TIMESTAMP + 8].copy_from_slice(&now_ms.to_be_bytes());
    rewrite_crc(batch);
}

/// Recomputes and stores the CRC of a complete batch.
pub(crate) fn rewrite_crc(batch: &mut [u8]) {
    let crc = crc32c::crc32c(&batch[OFF_ATTRIBUTES..]);
    batch[OFF_CRC..OFF_CRC + 4].copy_from_slice(&crc.to_be_bytes());
}

/// Iterates over the batches of a buffer that is known to hold whole,
/// length-valid batches (as returned by `Partition::read`).
///
/// Stops at the first incomplete or malformed header instead of failing, so it
/// is safe on any input.
#[derive(Clone, Debug)]
pub struct Batches<'a> {
    rest: &'a [u8],
}

impl<'a> Batches<'a> {
    /// Iterates over `bytes`.
    pub fn new(bytes: &'a [u8]) -> Self {
        Self { rest: bytes }
    }
}

impl<'a> Iterator for Batches<'a> {
    type Item = BatchHeader<'a>;

    fn next(&mut self) -> Option<Self::Item> {
        let header = BatchHeader::new(self.rest)?;
        let total = header
            .total_len()
            .filter(|t| *t >= BATCH_HEADER_LEN && *t <= self.rest.len())?;
        let (batch, rest) = self.rest.split_at(total);
        self.rest = rest;
        BatchHeader::new(batch)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::builder::{BatchBuilder, Record};

    fn sample() -> Vec<u8> {
        let mut b = BatchBuilder::new(1_000);
        b.push(Record::new(Some(b"k".to_vec()), Some(b"v".to_vec())));
        b.push(Record::new(None, Some(b"v2".to_vec())));
        b.build()
    }

    #[test]
    fn valid_batch_passes_and_reports_fields() {
        let bytes = sample();
        assert_eq!(validate_batch(&bytes), Ok(bytes.len()));
        let h = BatchHeader::new(&bytes).unwrap();
        assert_eq!(h.magic(), 2);
        assert_eq!(h.record_count(), 2);
        assert_eq!(h.last_offset_delta(), 1);
        assert_eq!(h.base_timestamp(), 1_000);
        assert_eq!(h.producer_id(), -1);
        assert!(validate_producer_batch(&h).is_ok());
    }

    #[test]
    fn base_offset_rewrite_keeps_crc_valid() {
        let mut bytes = sample();
        set_base_offset(&mut bytes, 77);
        set_leader_epoch(&mut bytes, 3);
        assert!(validate_batch(&bytes).is_ok());
        let h = BatchHeader::new(&bytes).unwrap();
        assert_eq!(h.base_offset(), 77);
        assert_eq!(h.last_offset(), 78);
        assert_eq!(h.partition_leader_epoch(), 3);
    }

    #[test]
    fn flipped_byte_fails_crc() {
        let mut bytes = sample();
        let last = bytes.len() - 1;
        bytes[last] ^= 0x40;
        assert!(matches!(
            validate_batch(&bytes),
            Err(BatchError::CrcMismatch { .. })
        ));
    }

    #[test]
    fn wrong_magic_and_short_input_are_rejected() {
        let mut bytes = sample();
        bytes[16] = 1;
        assert_eq!(
            validate_batch(&bytes),
            Err(BatchError::UnsupportedMagic { magic: 1 })
        );
        assert!(matches!(
            validate_batch(&bytes[..10]),
            Err(BatchError::TooShort { .. })
        ));
        let good = sample();
        assert!(matches!(
            validate_batch(&good[..good.len() - 1]),
            Err(BatchError::Truncated { .. })
        ));
    }

    #[test]
    fn log_append_time_stamp_recomputes_crc() {
        let mut bytes = sample();
        stamp_log_append_time(&mut bytes, 9_999);
        assert!(validate_batch(&bytes).is_ok());
        let h = BatchHeader::new(&bytes).unwrap();
        assert_eq!(h.timestamp_type(), TimestampType::LogAppendTime);
        assert_eq!(h.max_timestamp(), 9_999);
    }

    #[test]
    fn last_sequence_wraps() {
        let mut b = BatchBuilder::new(0).producer(5, 1, i32::MAX);
        b.push(Record::new(Some(b"a".to_vec()), None));
        b.push(Record::new(Some(b"b".to_vec()), None));
        let bytes = b.build();
        let h = BatchHeader::new(&bytes).unwrap();
        assert_eq!(h.last_sequence(), 0);
        assert_eq!(h.producer_id(), 5);
        assert_eq!(h.producer_epoch(), 1);
    }

    #[test]
    fn batches_iterator_stops_at_garbage() {
        let mut bytes = sample();
        let one = bytes.len();
        bytes.extend_from_slice(&sample());
        bytes.extend_from_slice(&[1, 2, 3]);
        let all: Vec<_> = Batches::new(&bytes).map(|h| h.bytes().len()).collect();
        assert_eq!(all, vec![one, one]);
    }
}
