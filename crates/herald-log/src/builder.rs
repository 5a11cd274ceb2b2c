//! Building valid v2 record batches.
//!
//! The log itself needs this to rewrite batches during compaction; tests (here,
//! in the broker and in end-to-end suites) use [`BatchBuilder`] to produce the
//! bytes a Kafka producer would send.

use crate::batch::{BATCH_HEADER_LEN, Compression, LOG_OVERHEAD, MAGIC_V2, rewrite_crc};
use crate::compression;
use crate::error::BatchError;
pub use crate::records::{Record, RecordHeader};

/// The header fields of a batch being built (everything but length and CRC).
#[derive(Clone, Debug)]
pub(crate) struct HeaderFields {
    pub base_offset: i64,
    pub leader_epoch: i32,
    /// Attributes without the codec bits (those come from the codec argument).
    pub attributes: i16,
    pub last_offset_delta: i32,
    pub base_timestamp: i64,
    pub max_timestamp: i64,
    pub producer_id: i64,
    pub producer_epoch: i16,
    pub base_sequence: i32,
    pub record_count: i32,
}

impl HeaderFields {
    #[cfg(test)]
    pub(crate) fn default_for(count: i32) -> Self {
        Self {
            base_offset: 0,
            leader_epoch: -1,
            attributes: 0,
            last_offset_delta: count.saturating_sub(1).max(0),
            base_timestamp: 0,
            max_timestamp: 0,
            producer_id: -1,
            producer_epoch: -1,
            base_sequence: -1,
            record_count: count,
        }
    }
}

/// Assembles a batch from header fields and an *uncompressed* records section,
/// compressing it with `codec` and computing the CRC.
pub(crate) fn raw_batch(
    fields: &HeaderFields,
    codec: Compression,
    section: &[u8],
) -> Result<Vec<u8>, BatchError> {
    let payload = compression::compress(codec, section)?;
    let total = BATCH_HEADER_LEN + payload.len();
    let batch_length = i32::try_from(total - LOG_OVERHEAD)
        .map_err(|_| BatchError::InvalidLength { length: -1 })?;
    let mut out = Vec::with_capacity(total);
    out.extend_from_slice(&fields.base_offset.to_be_bytes());
    out.extend_from_slice(&batch_length.to_be_bytes());
    out.extend_from_slice(&fields.leader_epoch.to_be_bytes());
    out.push(MAGIC_V2 as u8);
    out.extend_from_slice(&[0; 4]); // CRC, filled below
    out.extend_from_slice(&((fields.attributes & !0x07) | codec.id()).to_be_bytes());
    out.extend_from_slice(&fields.last_offset_delta.to_be_bytes());
    out.extend_from_slice(&fields.base_timestamp.to_be_bytes());
    out.extend_from_slice(&fields.max_timestamp.to_be_bytes());
    out.extend_from_slice(&fields.producer_id.to_be_bytes());
    out.extend_from_slice(&fields.producer_epoch.to_be_bytes());
    out.extend_from_slice(&fields.base_sequence.to_be_bytes());
    out.extend_from_slice(&fields.record_count.to_be_bytes());
    out.extend_from_slice(&payload);
    rewrite_crc(&mut out);
    Ok(out)
}

/// Builds one producer-style v2 batch: base offset 0, consecutive offset
/// deltas, a correct CRC.
///
/// ```
/// use herald_log::{BatchBuilder, BatchHeader, Record, validate_batch};
/// let mut b = BatchBuilder::new(1_700_000_000_000);
/// b.push(Record::new(Some(b"key".to_vec()), Some(b"value".to_vec())));
/// let bytes = b.build();
/// assert_eq!(validate_batch(&bytes).unwrap(), bytes.len());
/// assert_eq!(BatchHeader::new(&bytes).unwrap().record_count(), 1);
/// ```
#[derive(Clone, Debug)]
pub struct BatchBuilder {
    base_timestamp: i64,
    codec: Compression,
    producer_id: i64,
    producer_epoch: i16,
    base_sequence: i32,
    transactional: bool,
    records: Vec<Record>,
}

impl BatchBuilder {
    /// A builder whose records are stamped relative to `base_timestamp` (ms).
    pub fn new(base_timestamp: i64) -> Self {
        Self {
            base_timestamp,
            codec: Compression::None,
            producer_id: -1,
            producer_epoch: -1,
            base_sequence: -1,
            transactional: false,
            records: Vec::new(),
        }
    }

    /// Compresses the records with `codec`.
    pub fn compression(mut self, codec: Compression) -> Self {
        self.codec = codec;
        self
    }

    /// Marks the batch as sent by an idempotent producer.
    pub fn producer(mut self, producer_id: i64, epoch: i16, base_sequence: i32) -> Self {
        self.producer_id = producer_id;
        self.producer_epoch = epoch;
        self.base_sequence = base_sequence;
        self
    }

    /// Sets the transactional attribute bit.
    pub fn transactional(mut self, yes: bool) -> Self {
        self.transactional = yes;
        self
    }

    /// Adds a record; its offset delta becomes its position in the batch, its
    /// `timestamp_delta` is kept.
    pub fn push(&mut self, mut record: Record) -> &mut Self {
        record.offset_delta = i32::try_from(self.records.len()).unwrap_or(i32::MAX);
        self.records.push(record);
        self
    }

    /// Number of records pushed.
    pub fn len(&self) -> usize {
        self.records.len()
    }

    /// True if no record was pushed.
    pub fn is_empty(&self) -> bool {
        self.records.is_empty()
    }

    /// Encodes the batch. A builder with no records yields a batch with count 0,
    /// which the log rejects like Kafka does.
    pub fn build(&self) -> Vec<u8> {
        self.try_build().unwrap_or_default()
    }

    /// Encodes the batch, reporting a compression failure instead of returning
    /// an empty buffer.
    pub fn try_build(&self) -> Result<Vec<u8>, BatchError> {
        let mut section = Vec::new();
        for r in &self.records {
            r.encode(&mut section);
        }
        let max_delta = self
            .records
            .iter()
            .map(|r| r.timestamp_delta)
            .max()
            .unwrap_or(0);
        let count = i32::try_from(self.records.len()).unwrap_or(i32::MAX);
        let fields = HeaderFields {
            base_offset: 0,
            leader_epoch: -1,
            attributes: if self.transactional { 0x10 } else { 0 },
            last_offset_delta: count.saturating_sub(1).max(0),
            base_timestamp: self.base_timestamp,
            max_timestamp: self.base_timestamp.saturating_add(max_delta),
            producer_id: self.producer_id,
            producer_epoch: self.producer_epoch,
            base_sequence: self.base_sequence,
            record_count: count,
        };
        raw_batch(&fields, self.codec, &section)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::batch::{BatchHeader, validate_batch};
    use crate::records::decode_records;

    #[test]
    fn compressed_batches_validate_and_decode() {
        for codec in [
            Compression::None,
            Compression::Gzip,
            Compression::Snappy,
            Compression::Lz4,
            Compression::Zstd,
        ] {
            let mut b = BatchBuilder::new(5).compression(codec);
            for i in 0..10u8 {
                let mut r = Record::new(Some(vec![i]), Some(vec![i; 100]));
                r.timestamp_delta = i64::from(i);
                r.headers.push(RecordHeader {
                    key: b"h".to_vec(),
                    value: None,
                });
                b.push(r);
            }
            let bytes = b.build();
            assert_eq!(validate_batch(&bytes), Ok(bytes.len()));
            let h = BatchHeader::new(&bytes).unwrap();
            assert_eq!(h.compression(), Some(codec));
            assert_eq!(h.max_timestamp(), 14);
            let records = decode_records(&bytes).unwrap();
            assert_eq!(records.len(), 10);
            assert_eq!(records[9].offset_delta, 9);
            assert_eq!(records[3].value.as_deref(), Some(&[3u8; 100][..]));
        }
    }
}
