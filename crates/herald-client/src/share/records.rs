//! Turning one partition of a ShareFetch response into the records this
//! consumer acquired: the broker sends whole stored batches, and only the
//! offsets inside the acquired ranges are ours. Offsets inside a range
//! that hold no deliverable record (compacted away, control records) are
//! acknowledged as gaps, as Kafka's consumers do.

use bytes::Bytes;
use kafka_protocol::records::{Compression, RecordBatchDecoder};

use super::ShareError;
use super::inflate::{InflateError, inflate};

/// One acquired record as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct RawRecord {
    pub(crate) offset: i64,
    pub(crate) timestamp: i64,
    pub(crate) delivery_count: i16,
    pub(crate) key: Option<Bytes>,
    pub(crate) value: Option<Bytes>,
    pub(crate) headers: Vec<(String, Option<Bytes>)>,
}

/// What one partition's answer holds for us.
#[derive(Debug, Default, PartialEq, Eq)]
pub(crate) struct Unpacked {
    pub(crate) records: Vec<RawRecord>,
    /// Acquired offsets with no record to hand out.
    pub(crate) gaps: Vec<i64>,
}

/// Why a partition's records could not be unpacked.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum UnpackError {
    /// Bytes that are not a readable v2 record batch.
    Corrupt(String),
    /// A compressed batch inflates past the consumer's limit.
    TooLarge {
        /// The batch's base offset.
        base_offset: i64,
        /// Its codec.
        codec: Compression,
        /// The limit, in bytes.
        limit: usize,
    },
}

impl UnpackError {
    /// The consumer's error for this partition's records.
    pub(crate) fn into_share_error(
        self,
        broker: String,
        topic: &str,
        partition: i32,
    ) -> ShareError {
        match self {
            UnpackError::Corrupt(reason) => {
                ShareError::protocol(broker, format!("{topic}-{partition}: {reason}"))
            }
            UnpackError::TooLarge {
                base_offset,
                codec,
                limit,
            } => ShareError::BatchTooLarge {
                topic: topic.to_owned(),
                partition,
                base_offset,
                codec: codec_name(codec),
                limit,
            },
        }
    }
}

/// A codec as Kafka's `compression.type` names it.
fn codec_name(codec: Compression) -> &'static str {
    match codec {
        Compression::None => "none",
        Compression::Gzip => "gzip",
        Compression::Snappy => "snappy",
        Compression::Lz4 => "lz4",
        Compression::Zstd => "zstd",
    }
}

impl From<String> for UnpackError {
    fn from(reason: String) -> Self {
        UnpackError::Corrupt(reason)
    }
}

impl From<&str> for UnpackError {
    fn from(reason: &str) -> Self {
        UnpackError::Corrupt(reason.to_owned())
    }
}

/// The most records one batch may claim to hold. Kafka batches stop at
/// about 1 MB, so more is a corrupt count; refusing it keeps the decoder
/// from reserving memory for a count read off the wire.
const MAX_BATCH_RECORDS: i32 = 1 << 20;
/// Bytes before a batch's length field (base offset) and the field itself.
const LOG_OVERHEAD: usize = 12;
/// Bytes of a v2 batch before its first record: base offset (8), length
/// (4), leader epoch (4), magic (1), CRC (4), attributes (2), last offset
/// delta (4), first and last timestamps (8 + 8), producer id (8), producer
/// epoch (2), base sequence (4), record count (4).
const BATCH_HEADER: usize = 61;
/// The fewest bytes a record takes: its length, attributes, timestamp and
/// offset deltas, key and value lengths and header count, a byte each.
const MIN_RECORD: usize = 7;

/// Splits `records` into batches and keeps the acquired offsets of
/// `acquired` (`first`, `last`, delivery count). A batch cut short at the
/// end of the response is ignored (its acquired offsets become gaps only
/// if no later batch holds them; in practice the broker sends whole
/// batches). A compressed batch is inflated to at most `max_inflated`
/// bytes. Err: a batch that cannot be decoded, or inflates past the limit.
pub(crate) fn unpack(
    mut records: Bytes,
    acquired: &[(i64, i64, i16)],
    max_inflated: usize,
) -> Result<Unpacked, UnpackError> {
    let mut out = Unpacked::default();
    let count_of = |offset: i64| {
        acquired
            .iter()
            .find(|(f, l, _)| (*f..=*l).contains(&offset))
            .map(|r| r.2)
    };
    let mut seen = std::collections::BTreeSet::new();
    while records.len() >= LOG_OVERHEAD {
        let declared = u32::from_be_bytes([records[8], records[9], records[10], records[11]]);
        let size = LOG_OVERHEAD.saturating_add(usize::try_from(declared).unwrap_or(usize::MAX));
        if size > records.len() {
            break;
        }
        let mut batch = records.split_to(size);
        let info = RecordBatchDecoder::decode_batch_info(&mut batch.clone())
            .map_err(|e| format!("unreadable record batch header: {e}"))?;
        let Some(info) = info.first() else {
            return Err("a record batch in a format older than v2".into());
        };
        if !(0..=MAX_BATCH_RECORDS).contains(&info.record_count) {
            return Err(format!("a record batch claims {} records", info.record_count).into());
        }
        let plain =
            records_section(&batch, info.compression, max_inflated).map_err(|e| match e {
                InflateError::TooLarge => UnpackError::TooLarge {
                    base_offset: info.min_offset,
                    codec: info.compression,
                    limit: max_inflated,
                },
                InflateError::Corrupt(e) => UnpackError::Corrupt(format!(
                    "undecompressable record batch ({:?}): {e}",
                    info.compression
                )),
            })?;
        check_counts(&plain, info.record_count)?;
        // The decoder gets the bytes inflated under the limit and checked
        // above: its own decompressors read to the end, however far that is.
        let set = RecordBatchDecoder::decode_with_custom_compression(
            &mut batch,
            Some(|_: &mut Bytes, _: Compression| Ok(plain.clone())),
        )
        .map_err(|e| format!("unreadable record batch: {e}"))?;
        for r in set.records {
            if r.control {
                continue;
            }
            let Some(delivery_count) = count_of(r.offset) else {
                continue;
            };
            if !seen.insert(r.offset) {
                continue;
            }
            out.records.push(RawRecord {
                offset: r.offset,
                timestamp: r.timestamp,
                delivery_count,
                key: r.key,
                value: r.value,
                headers: r
                    .headers
                    .into_iter()
                    .map(|(k, v)| (k.to_string(), v))
                    .collect(),
            });
        }
    }
    for (first, last, _) in acquired {
        // A range is at most the in-flight window (thousands), but guard
        // against a nonsense range from the wire all the same.
        if last < first || last - first > i64::from(MAX_BATCH_RECORDS) {
            continue;
        }
        out.gaps
            .extend((*first..=*last).filter(|o| !seen.contains(o)));
    }
    Ok(out)
}

/// The records of `batch` (a whole v2 batch), decompressed to at most
/// `limit` bytes (an uncompressed batch is as large as it arrived).
fn records_section(
    batch: &Bytes,
    compression: Compression,
    limit: usize,
) -> Result<Bytes, InflateError> {
    let section = batch.slice(BATCH_HEADER.min(batch.len())..);
    match compression {
        Compression::None => Ok(section),
        codec => inflate(codec, &section, limit).map(Bytes::from),
    }
}

/// Checks the record count and each record's header count against the
/// bytes that hold them, before `RecordBatchDecoder` reserves memory for
/// both from the claimed numbers (`Vec::reserve(record_count)`,
/// `IndexMap::with_capacity(num_headers)` in kafka-protocol 0.18). Written
/// by hand because the crate offers no bounded decode; the v2 record layout
/// it walks is: length, attributes, timestamp delta, offset delta, key,
/// value, header count (all varints but attributes), then the headers.
fn check_counts(records: &[u8], record_count: i32) -> Result<(), String> {
    let count = usize::try_from(record_count).unwrap_or(usize::MAX);
    if count.saturating_mul(MIN_RECORD) > records.len() {
        return Err(format!(
            "a record batch claims {record_count} records in {} bytes",
            records.len()
        ));
    }
    let mut rest = records;
    for _ in 0..count {
        let size = length(&mut rest, "record")?.ok_or("a record of length -1")?;
        let (mut record, after) = rest.split_at(size);
        rest = after;
        record = record.get(1..).ok_or("an empty record")?; // attributes
        uvarint(&mut record, 10)?; // timestamp delta
        uvarint(&mut record, 5)?; // offset delta
        for what in ["key", "value"] {
            if let Some(len) = length(&mut record, what)? {
                record = &record[len..];
            }
        }
        let headers = varint(&mut record)?;
        let headers =
            usize::try_from(headers).map_err(|_| format!("a record claims {headers} headers"))?;
        // A header takes at least its key and value lengths.
        if headers.saturating_mul(2) > record.len() {
            return Err(format!(
                "a record claims {headers} headers in {} bytes",
                record.len()
            ));
        }
    }
    Ok(())
}

/// An unsigned varint of at most `max` bytes, read as kafka-protocol reads
/// it (so both stay at the same offset).
fn uvarint(buf: &mut &[u8], max: usize) -> Result<u64, String> {
    let mut value = 0u64;
    for i in 0..max {
        let (&b, rest) = buf.split_first().ok_or("a record cut short")?;
        *buf = rest;
        value |= u64::from(b & 0x7f) << (i * 7);
        if b < 0x80 {
            break;
        }
    }
    Ok(value)
}

/// A zigzag varint of at most five bytes, as an i32.
fn varint(buf: &mut &[u8]) -> Result<i32, String> {
    let n = uvarint(buf, 5)? as u32;
    Ok(((n >> 1) as i32) ^ -((n & 1) as i32))
}

/// A varint length: `None` for -1 (null), else a length that fits in what
/// follows it in `buf`.
fn length(buf: &mut &[u8], what: &str) -> Result<Option<usize>, String> {
    let n = varint(buf)?;
    if n == -1 {
        return Ok(None);
    }
    match usize::try_from(n) {
        Ok(n) if n <= buf.len() => Ok(Some(n)),
        _ => Err(format!(
            "a record {what} of {n} bytes, but {} are left",
            buf.len()
        )),
    }
}

#[cfg(test)]
mod tests {
    use bytes::BytesMut;
    use kafka_protocol::records::{
        Compression, Record, RecordBatchEncoder, RecordEncodeOptions, TimestampType,
    };

    use super::*;
    use crate::share::inflate::DEFAULT_MAX_INFLATED as MAX;

    fn batch(base: i64, values: &[&str]) -> Bytes {
        encoded(base, values, Compression::None)
    }

    fn encoded(base: i64, values: &[&str], compression: Compression) -> Bytes {
        let records: Vec<Record> = values
            .iter()
            .enumerate()
            .map(|(i, v)| Record {
                transactional: false,
                control: false,
                delete_horizon: false,
                partition_leader_epoch: 0,
                producer_id: -1,
                producer_epoch: -1,
                timestamp_type: TimestampType::Creation,
                offset: base + i as i64,
                // Offset minus sequence constant: the encoder starts a new
                // batch wherever it changes.
                sequence: i as i32,
                timestamp: 1_000 + i as i64,
                key: None,
                value: Some(Bytes::copy_from_slice(v.as_bytes())),
                headers: Default::default(),
            })
            .collect();
        let mut buf = BytesMut::new();
        RecordBatchEncoder::encode(
            &mut buf,
            &records,
            &RecordEncodeOptions {
                version: 2,
                compression,
            },
        )
        .unwrap();
        buf.freeze()
    }

    #[test]
    fn keeps_only_acquired_offsets_and_reports_gaps() {
        let mut all = BytesMut::new();
        all.extend_from_slice(&batch(10, &["a", "b", "c"]));
        all.extend_from_slice(&batch(13, &["d", "e"]));
        let out = unpack(all.freeze(), &[(11, 13, 2), (16, 17, 1)], MAX).unwrap();
        let got: Vec<(i64, i16, &[u8])> = out
            .records
            .iter()
            .map(|r| (r.offset, r.delivery_count, r.value.as_deref().unwrap()))
            .collect();
        assert_eq!(got, vec![(11, 2, &b"b"[..]), (12, 2, b"c"), (13, 2, b"d")]);
        assert_eq!(out.gaps, vec![16, 17]);
    }

    #[test]
    fn a_truncated_batch_is_ignored_and_garbage_is_an_error() {
        let whole = batch(0, &["a"]);
        let cut = whole.slice(..whole.len() - 3);
        let out = unpack(cut, &[(0, 0, 1)], MAX).unwrap();
        assert!(out.records.is_empty());
        assert_eq!(out.gaps, vec![0]);
        let mut garbage = BytesMut::from(&whole[..]);
        garbage[16] = 7; // magic
        assert!(unpack(garbage.freeze(), &[(0, 0, 1)], MAX).is_err());
    }

    /// CRC-32C, bit by bit: only to re-seal hand-edited test batches.
    fn crc32c(data: &[u8]) -> u32 {
        let mut crc = !0u32;
        for &b in data {
            crc ^= u32::from(b);
            for _ in 0..8 {
                crc = if crc & 1 == 1 {
                    (crc >> 1) ^ 0x82f6_3b78
                } else {
                    crc >> 1
                };
            }
        }
        !crc
    }

    /// A batch with `records` as its record bytes and `count` as its
    /// claimed record count, with a valid length and CRC.
    fn forged(records: &[u8], count: i32) -> Bytes {
        forged_with(0, records, count, Compression::None)
    }

    /// [`forged`], marked as compressed with `codec` (`records` being
    /// the compressed bytes).
    fn forged_with(base: i64, records: &[u8], count: i32, codec: Compression) -> Bytes {
        let mut b = batch(base, &["a"])[..BATCH_HEADER].to_vec();
        let id: u16 = match codec {
            Compression::None => 0,
            Compression::Gzip => 1,
            Compression::Snappy => 2,
            Compression::Lz4 => 3,
            Compression::Zstd => 4,
        };
        b[21..23].copy_from_slice(&id.to_be_bytes());
        b.extend_from_slice(records);
        let length = (b.len() - LOG_OVERHEAD) as i32;
        b[8..12].copy_from_slice(&length.to_be_bytes());
        b[57..61].copy_from_slice(&count.to_be_bytes());
        let crc = crc32c(&b[21..]);
        b[17..21].copy_from_slice(&crc.to_be_bytes());
        Bytes::from(b)
    }

    #[test]
    fn claimed_counts_beyond_the_bytes_are_refused_before_decoding() {
        // One record, null key and value, claiming i32::MAX headers (the
        // decoder would reserve that many map entries and abort).
        let record = [0x14, 0, 0, 0, 1, 1, 0xfe, 0xff, 0xff, 0xff, 0x0f];
        let err = unpack(forged(&record, 1), &[(0, 0, 1)], MAX).unwrap_err();
        assert_eq!(
            err,
            UnpackError::Corrupt("a record claims 2147483647 headers in 0 bytes".into())
        );
        // The same record with no headers is fine.
        let ok = [0x0c, 0, 0, 0, 1, 1, 0];
        assert_eq!(
            unpack(forged(&ok, 1), &[(0, 0, 1)], MAX)
                .unwrap()
                .records
                .len(),
            1
        );
        // A million records claimed in seven bytes.
        let err = unpack(forged(&ok, 1 << 20), &[(0, 0, 1)], MAX).unwrap_err();
        assert_eq!(
            err,
            UnpackError::Corrupt("a record batch claims 1048576 records in 7 bytes".into())
        );
        // A value longer than its record.
        let long_value = [0x0c, 0, 0, 0, 1, 0x7e, 0];
        let err = unpack(forged(&long_value, 1), &[(0, 0, 1)], MAX).unwrap_err();
        assert_eq!(
            err,
            UnpackError::Corrupt("a record value of 63 bytes, but 1 are left".into())
        );
    }

    #[test]
    fn compressed_batches_are_checked_after_decompression() {
        for compression in [
            Compression::Gzip,
            Compression::Snappy,
            Compression::Lz4,
            Compression::Zstd,
        ] {
            let out = unpack(encoded(5, &["x", "y"], compression), &[(5, 6, 1)], MAX).unwrap();
            let values: Vec<&[u8]> = out
                .records
                .iter()
                .map(|r| r.value.as_deref().unwrap())
                .collect();
            assert_eq!(values, vec![&b"x"[..], b"y"], "{compression:?}");
        }
    }

    /// 100 MiB of zeros in a few kilobytes: one compressed MiB, repeated
    /// (gzip members, lz4 and zstd frames and xerial snappy blocks all
    /// follow one another in one stream).
    fn bomb(codec: Compression) -> Vec<u8> {
        use std::io::Write;
        let mib = vec![0u8; 1 << 20];
        let (prefix, unit) = match codec {
            Compression::Gzip => {
                let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
                e.write_all(&mib).unwrap();
                (Vec::new(), e.finish().unwrap())
            }
            Compression::Lz4 => {
                let mut e = lz4_flex::frame::FrameEncoder::new(Vec::new());
                e.write_all(&mib).unwrap();
                (Vec::new(), e.finish().unwrap())
            }
            Compression::Zstd => (Vec::new(), zstd::bulk::compress(&mib, 1).unwrap()),
            Compression::Snappy => {
                let block = snap::raw::Encoder::new().compress_vec(&mib).unwrap();
                let mut unit = (block.len() as u32).to_be_bytes().to_vec();
                unit.extend_from_slice(&block);
                (b"\x82SNAPPY\0\0\0\0\x01\0\0\0\x01".to_vec(), unit)
            }
            Compression::None => unreachable!("no bomb without compression"),
        };
        let mut out = prefix;
        for _ in 0..100 {
            out.extend_from_slice(&unit);
        }
        out
    }

    #[test]
    fn a_compressed_batch_inflating_past_the_limit_is_refused() {
        let limit = 256 << 10;
        for codec in [
            Compression::Gzip,
            Compression::Snappy,
            Compression::Lz4,
            Compression::Zstd,
        ] {
            let payload = bomb(codec);
            assert!(
                payload.len() < 5 << 20,
                "{codec:?}: {} bytes",
                payload.len()
            );
            let err =
                unpack(forged_with(40, &payload, 1, codec), &[(40, 40, 1)], limit).unwrap_err();
            assert_eq!(
                err,
                UnpackError::TooLarge {
                    base_offset: 40,
                    codec,
                    limit
                }
            );
        }
        let shown = UnpackError::TooLarge {
            base_offset: 40,
            codec: Compression::Zstd,
            limit,
        }
        .into_share_error("b:9092".to_owned(), "orders", 3);
        assert_eq!(
            shown.to_string(),
            "orders-3: the zstd record batch at offset 40 inflates beyond 262144 bytes \
             (the consumer's max_batch_inflated)"
        );
        assert!(!shown.is_retriable());
        // Raw snappy states its length first: a block claiming 4 GiB is
        // refused before anything is reserved for it, even at the default.
        let claim = [0xff, 0xff, 0xff, 0xff, 0x0f, 0x00];
        let err = unpack(
            forged_with(7, &claim, 1, Compression::Snappy),
            &[(7, 7, 1)],
            MAX,
        )
        .unwrap_err();
        assert_eq!(
            err,
            UnpackError::TooLarge {
                base_offset: 7,
                codec: Compression::Snappy,
                limit: MAX
            }
        );
    }

    #[test]
    fn a_compressed_batch_within_the_limit_decodes() {
        let big = "x".repeat(100 << 10);
        for compression in [
            Compression::Gzip,
            Compression::Snappy,
            Compression::Lz4,
            Compression::Zstd,
        ] {
            let batch = encoded(3, &[&big, &big, "z"], compression);
            let out = unpack(batch.clone(), &[(3, 5, 1)], 1 << 20).unwrap();
            let sizes: Vec<usize> = out
                .records
                .iter()
                .map(|r| r.value.as_ref().unwrap().len())
                .collect();
            assert_eq!(sizes, vec![100 << 10, 100 << 10, 1], "{compression:?}");
            // The same batch against a limit below its ~200 KiB.
            let Err(err) = unpack(batch, &[(3, 5, 1)], 150 << 10) else {
                panic!("{compression:?}: decoded past the limit");
            };
            assert!(
                matches!(err, UnpackError::TooLarge { base_offset: 3, .. }),
                "{compression:?}: {err:?}"
            );
        }
    }

    proptest::proptest! {
        #[test]
        fn never_panics_on_arbitrary_bytes(data: Vec<u8>, first in 0i64..100, len in 0i64..50) {
            let _ = unpack(Bytes::from(data), &[(first, first + len, 1)], 1 << 16);
        }
    }
}
