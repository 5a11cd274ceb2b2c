//! Turning one partition of a ShareFetch response into the records this
//! consumer acquired: the broker sends whole stored batches, and only the
//! offsets inside the acquired ranges are ours. Offsets inside a range
//! that hold no deliverable record (compacted away, control records) are
//! acknowledged as gaps, as Kafka's consumers do.

use bytes::Bytes;
use kafka_protocol::records::RecordBatchDecoder;

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

/// The most records one batch may claim to hold. Kafka batches stop at
/// about 1 MB, so more is a corrupt count; refusing it keeps the decoder
/// from reserving memory for a count read off the wire.
const MAX_BATCH_RECORDS: i32 = 1 << 20;
/// Bytes before a batch's length field (base offset) and the field itself.
const LOG_OVERHEAD: usize = 12;

/// Splits `records` into batches and keeps the acquired offsets of
/// `acquired` (`first`, `last`, delivery count). A batch cut short at the
/// end of the response is ignored (its acquired offsets become gaps only
/// if no later batch holds them; in practice the broker sends whole
/// batches). Err: a batch that cannot be decoded.
pub(crate) fn unpack(mut records: Bytes, acquired: &[(i64, i64, i16)]) -> Result<Unpacked, String> {
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
            return Err("a record batch in a format older than v2".to_owned());
        };
        if !(0..=MAX_BATCH_RECORDS).contains(&info.record_count) {
            return Err(format!(
                "a record batch claims {} records",
                info.record_count
            ));
        }
        let set = RecordBatchDecoder::decode(&mut batch)
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

#[cfg(test)]
mod tests {
    use bytes::BytesMut;
    use kafka_protocol::records::{
        Compression, Record, RecordBatchEncoder, RecordEncodeOptions, TimestampType,
    };

    use super::*;

    fn batch(base: i64, values: &[&str]) -> Bytes {
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
                sequence: -1,
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
                compression: Compression::None,
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
        let out = unpack(all.freeze(), &[(11, 13, 2), (16, 17, 1)]).unwrap();
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
        let out = unpack(cut, &[(0, 0, 1)]).unwrap();
        assert!(out.records.is_empty());
        assert_eq!(out.gaps, vec![0]);
        let mut garbage = BytesMut::from(&whole[..]);
        garbage[16] = 7; // magic
        assert!(unpack(garbage.freeze(), &[(0, 0, 1)]).is_err());
    }

    proptest::proptest! {
        #[test]
        fn never_panics_on_arbitrary_bytes(data: Vec<u8>, first in 0i64..100, len in 0i64..50) {
            let _ = unpack(Bytes::from(data), &[(first, first + len, 1)]);
        }
    }
}
