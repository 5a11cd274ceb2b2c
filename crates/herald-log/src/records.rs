//! Records inside a v2 batch: zig-zag varint encoding, decoding of a batch's
//! (possibly compressed) records section, and encoding back.
//!
//! Written by hand because the format is a dozen lines and the crates that
//! implement it (kafka-protocol) bring a whole protocol stack the log must not
//! depend on.

use crate::batch::{BATCH_HEADER_LEN, BatchHeader, Compression};
use crate::compression;
use crate::error::BatchError;

/// One record header (Kafka `Header`: a key and an optional value).
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct RecordHeader {
    /// Header key (UTF-8 by convention; stored as bytes).
    pub key: Vec<u8>,
    /// Header value, `None` for null.
    pub value: Option<Vec<u8>>,
}

/// One decoded record.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Record {
    /// Offset relative to the batch's base offset.
    pub offset_delta: i32,
    /// Timestamp relative to the batch's base timestamp.
    pub timestamp_delta: i64,
    /// Key, `None` for null.
    pub key: Option<Vec<u8>>,
    /// Value, `None` for null (a tombstone on a compacted topic).
    pub value: Option<Vec<u8>>,
    /// Headers in order.
    pub headers: Vec<RecordHeader>,
}

impl Record {
    /// A record with the given key and value, no headers, deltas 0 (the batch
    /// builder assigns offset deltas).
    pub fn new(key: Option<Vec<u8>>, value: Option<Vec<u8>>) -> Self {
        Self {
            offset_delta: 0,
            timestamp_delta: 0,
            key,
            value,
            headers: Vec::new(),
        }
    }

    /// Appends this record in wire form to `out`.
    pub fn encode(&self, out: &mut Vec<u8>) {
        let mut body = Vec::with_capacity(
            16 + self.key.as_ref().map_or(0, Vec::len) + self.value.as_ref().map_or(0, Vec::len),
        );
        body.push(0); // record attributes: unused in v2
        put_varlong(&mut body, self.timestamp_delta);
        put_varint(&mut body, i64::from(self.offset_delta));
        put_bytes(&mut body, self.key.as_deref());
        put_bytes(&mut body, self.value.as_deref());
        put_varint(&mut body, self.headers.len() as i64);
        for h in &self.headers {
            put_bytes(&mut body, Some(&h.key));
            put_bytes(&mut body, h.value.as_deref());
        }
        put_varint(out, body.len() as i64);
        out.extend_from_slice(&body);
    }
}

/// Appends a zig-zag varint (values must fit in 32 bits).
pub(crate) fn put_varint(out: &mut Vec<u8>, v: i64) {
    put_varlong(out, v);
}

/// Appends a zig-zag varlong.
pub(crate) fn put_varlong(out: &mut Vec<u8>, v: i64) {
    let mut z = ((v << 1) ^ (v >> 63)) as u64;
    loop {
        if z < 0x80 {
            out.push(z as u8);
            return;
        }
        out.push((z as u8 & 0x7f) | 0x80);
        z >>= 7;
    }
}

fn put_bytes(out: &mut Vec<u8>, b: Option<&[u8]>) {
    match b {
        None => put_varint(out, -1),
        Some(b) => {
            put_varint(out, b.len() as i64);
            out.extend_from_slice(b);
        }
    }
}

struct Cursor<'a> {
    buf: &'a [u8],
    pos: usize,
}

impl<'a> Cursor<'a> {
    fn err(&self, what: &'static str) -> BatchError {
        BatchError::MalformedRecords {
            detail: what,
            position: self.pos,
        }
    }

    fn varlong(&mut self, max_bytes: usize) -> Result<i64, BatchError> {
        let mut z: u64 = 0;
        for i in 0..max_bytes {
            let byte = *self
                .buf
                .get(self.pos)
                .ok_or_else(|| self.err("truncated varint"))?;
            self.pos += 1;
            z |= u64::from(byte & 0x7f) << (7 * i);
            if byte & 0x80 == 0 {
                return Ok((z >> 1) as i64 ^ -((z & 1) as i64));
            }
        }
        Err(self.err("varint too long"))
    }

    fn varint(&mut self) -> Result<i32, BatchError> {
        let v = self.varlong(5)?;
        i32::try_from(v).map_err(|_| self.err("varint out of 32-bit range"))
    }

    fn take(&mut self, n: usize) -> Result<&'a [u8], BatchError> {
        let end = self.pos.checked_add(n).filter(|e| *e <= self.buf.len());
        let end = end.ok_or_else(|| self.err("length beyond record"))?;
        let s = &self.buf[self.pos..end];
        self.pos = end;
        Ok(s)
    }

    fn nullable_bytes(&mut self) -> Result<Option<Vec<u8>>, BatchError> {
        let len = self.varint()?;
        if len < 0 {
            return Ok(None);
        }
        Ok(Some(self.take(len as usize)?.to_vec()))
    }
}

/// Decodes the records of a whole batch (header + records), inflating them if
/// compressed. The batch must already have passed `validate_batch`.
pub fn decode_records(batch: &[u8]) -> Result<Vec<Record>, BatchError> {
    let header = BatchHeader::new(batch).ok_or(BatchError::TooShort {
        available: batch.len(),
    })?;
    let codec = header.compression().ok_or(BatchError::UnknownCompression {
        id: header.attributes() & 0x07,
    })?;
    let payload = &batch[BATCH_HEADER_LEN..];
    let inflated;
    let section = if codec == Compression::None {
        payload
    } else {
        inflated = compression::decompress(codec, payload)?;
        &inflated[..]
    };
    let count =
        usize::try_from(header.record_count()).map_err(|_| BatchError::InvalidRecordCount {
            count: header.record_count(),
            last_offset_delta: header.last_offset_delta(),
        })?;
    let mut cur = Cursor {
        buf: section,
        pos: 0,
    };
    // Each record takes at least 7 bytes, which bounds the allocation by the input.
    let mut records = Vec::with_capacity(count.min(section.len() / 7 + 1));
    for _ in 0..count {
        let len = cur.varint()?;
        if len < 0 {
            return Err(cur.err("negative record length"));
        }
        let body = cur.take(len as usize)?;
        let mut r = Cursor { buf: body, pos: 0 };
        r.take(1)?; // attributes
        let timestamp_delta = r.varlong(10)?;
        let offset_delta = r.varint()?;
        let key = r.nullable_bytes()?;
        let value = r.nullable_bytes()?;
        let header_count = r.varint()?;
        if header_count < 0 {
            return Err(r.err("negative header count"));
        }
        let mut headers = Vec::with_capacity((header_count as usize).min(body.len()));
        for _ in 0..header_count {
            let key = r
                .nullable_bytes()?
                .ok_or_else(|| r.err("null header key"))?;
            let value = r.nullable_bytes()?;
            headers.push(RecordHeader { key, value });
        }
        records.push(Record {
            offset_delta,
            timestamp_delta,
            key,
            value,
            headers,
        });
    }
    Ok(records)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn varint_examples_match_kafka() {
        let mut out = Vec::new();
        put_varint(&mut out, -1);
        assert_eq!(out, [0x01]);
        out.clear();
        put_varint(&mut out, 300);
        assert_eq!(out, [0xd8, 0x04]);
    }

    fn record() -> impl Strategy<Value = Record> {
        (
            any::<i32>(),
            any::<i64>(),
            proptest::option::of(proptest::collection::vec(any::<u8>(), 0..20)),
            proptest::option::of(proptest::collection::vec(any::<u8>(), 0..40)),
            proptest::collection::vec(
                (
                    proptest::collection::vec(any::<u8>(), 0..8),
                    proptest::option::of(proptest::collection::vec(any::<u8>(), 0..8)),
                ),
                0..3,
            ),
        )
            .prop_map(|(o, t, key, value, headers)| Record {
                offset_delta: o,
                timestamp_delta: t,
                key,
                value,
                headers: headers
                    .into_iter()
                    .map(|(key, value)| RecordHeader { key, value })
                    .collect(),
            })
    }

    proptest! {
        #[test]
        fn records_round_trip(records in proptest::collection::vec(record(), 1..5)) {
            let mut section = Vec::new();
            for r in &records {
                r.encode(&mut section);
            }
            let batch = crate::builder::raw_batch(&crate::builder::HeaderFields::default_for(records.len() as i32), Compression::None, &section).unwrap();
            prop_assert_eq!(decode_records(&batch).unwrap(), records);
        }

        #[test]
        fn garbage_records_never_panic(section in proptest::collection::vec(any::<u8>(), 0..200), count in 0i32..50) {
            let batch = crate::builder::raw_batch(&crate::builder::HeaderFields::default_for(count), Compression::None, &section).unwrap();
            let _ = decode_records(&batch);
        }
    }
}
