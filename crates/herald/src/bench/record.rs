//! The record every bench sends: a sequence number, the wall-clock time it
//! was handed to the producer (for send → delivery latency), and padding
//! that makes its value exactly the requested size on the wire.

use std::time::{SystemTime, UNIX_EPOCH};

use apache_avro::AvroSchema;
use serde::{Deserialize, Serialize};

/// The bench's message type, registered as Avro under `<topic>-value`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, AvroSchema)]
#[avro(namespace = "herald.bench")]
pub(crate) struct BenchRecord {
    /// 0, 1, 2, … in the order the records were sent.
    pub seq: i64,
    /// Microseconds since the epoch when the record was handed to the producer.
    pub sent_at_us: i64,
    /// ASCII filler.
    pub payload: String,
}

/// The smallest `--record-size` a bench accepts: the framing, two longs and
/// a string length leave room for little else below it.
pub(crate) const MIN_SIZE: usize = 32;

impl BenchRecord {
    /// Record `seq`, stamped now, whose framed value is `size` bytes, or
    /// one less where Avro's length prefix leaves no exact fit (`size` ≥
    /// [`MIN_SIZE`]).
    pub fn new(seq: i64, size: usize, filler: &str) -> BenchRecord {
        let mut record = BenchRecord {
            seq,
            sent_at_us: 0,
            payload: String::with_capacity(size),
        };
        record.restamp(seq, size, filler);
        record
    }

    /// Makes this record what [`new`](Self::new) would give, reusing its
    /// payload's buffer: a producer bench sends up to millions of records a
    /// second through one value, so an allocation each would show in the
    /// figures it measures.
    pub fn restamp(&mut self, seq: i64, size: usize, filler: &str) {
        self.seq = seq;
        self.sent_at_us = now_us();
        let fixed = FRAMING + zigzag_len(seq) + zigzag_len(self.sent_at_us);
        let len = padding_len(size.saturating_sub(fixed));
        self.payload.clear();
        self.payload.push_str(filler.get(..len).unwrap_or(filler));
    }

    /// The size of this record's value on the wire: the Confluent framing
    /// (magic byte and schema id) plus the Avro datum.
    pub fn framed_size(&self) -> usize {
        let len = self.payload.len();
        FRAMING + zigzag_len(self.seq) + zigzag_len(self.sent_at_us) + zigzag_len(len as i64) + len
    }
}

/// Filler long enough for any record of `size` bytes.
pub(crate) fn filler(size: usize) -> String {
    "x".repeat(size)
}

/// Microseconds since the epoch, by the wall clock (which a consumer in
/// the same process reads too, so the difference is a latency).
pub(crate) fn now_us() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_micros() as i64)
        .unwrap_or(0)
}

/// Magic byte and 4-byte schema id.
const FRAMING: usize = 5;

// Avro writes `long`s and string lengths as zigzag varints (Avro 1.11
// specification, "Binary Encoding"); sizing a record exactly needs their
// length, which no Avro crate exposes on its own.
fn zigzag_len(v: i64) -> usize {
    let mut z = ((v << 1) ^ (v >> 63)) as u64;
    let mut n = 1;
    while z >= 0x80 {
        z >>= 7;
        n += 1;
    }
    n
}

/// The longest string whose length prefix and bytes fit in `room`. Where
/// the prefix grows a byte (63 → 64 bytes, 8191 → 8192, …) one size has no
/// exact fit and the record comes out a byte short; the benches count the
/// real sizes.
fn padding_len(room: usize) -> usize {
    (1..=10)
        .filter_map(|k| room.checked_sub(k))
        .find(|len| zigzag_len(*len as i64) + len <= room)
        .unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn avro_len(record: &BenchRecord) -> usize {
        let schema = BenchRecord::get_schema();
        let value = apache_avro::to_value(record).unwrap();
        apache_avro::writer::datum::GenericDatumWriter::builder(&schema)
            .build()
            .and_then(|w| w.write_value_to_vec(value))
            .unwrap()
            .len()
    }

    #[test]
    fn records_are_the_requested_size_on_the_wire() {
        let filler = filler(70_000);
        let mut exact = 0;
        for size in (MIN_SIZE..300).chain([1024, 8210, 16_384, 65_536]) {
            for seq in [0, 63, 64, 8191, 8192, 1_000_000, i64::from(i32::MAX)] {
                let r = BenchRecord::new(seq, size, &filler);
                assert_eq!(r.framed_size(), 5 + avro_len(&r), "size {size} seq {seq}");
                let got = r.framed_size();
                assert!(
                    got == size || got + 1 == size,
                    "size {size} seq {seq}: {got}"
                );
                exact += usize::from(got == size);
            }
        }
        // Only the sizes at a length-prefix boundary come out a byte short.
        assert!(exact > 1800, "{exact}");
    }

    #[test]
    fn a_restamped_record_is_a_new_one() {
        let filler = filler(1024);
        // Large seqs first: their shorter padding must not stick.
        let mut r = BenchRecord::new(i64::from(i32::MAX), 100, &filler);
        for seq in [i64::from(i32::MAX), 0, 8192, 63, 1_000_000] {
            r.restamp(seq, 100, &filler);
            let fresh = BenchRecord::new(seq, 100, &filler);
            assert_eq!(r.seq, seq);
            assert_eq!(r.payload, fresh.payload, "seq {seq}");
            assert_eq!(r.framed_size(), 5 + avro_len(&r), "seq {seq}");
            assert!(r.sent_at_us > 0);
        }
    }

    #[test]
    fn zigzag_lengths() {
        assert_eq!(zigzag_len(0), 1);
        assert_eq!(zigzag_len(-64), 1);
        assert_eq!(zigzag_len(64), 2);
        assert_eq!(zigzag_len(i64::MAX), 10);
        assert_eq!(zigzag_len(i64::MIN), 10);
    }
}
