//! Helpers shared by the integration tests.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use std::sync::Arc;

use herald_log::{BatchBuilder, Clock, ManualClock, Partition, Record, TopicConfig};

/// A batch of `n` records with keys `k{i}` and values of `size` bytes derived from `seed`.
pub fn batch(seed: u64, n: usize, size: usize, timestamp: i64) -> Vec<u8> {
    let mut b = BatchBuilder::new(timestamp);
    for i in 0..n {
        let key = format!("k{}", (seed as usize + i) % 1000).into_bytes();
        let value: Vec<u8> = (0..size)
            .map(|j| (seed as usize * 31 + i * 7 + j) as u8)
            .collect();
        b.push(Record::new(Some(key), Some(value)));
    }
    b.build()
}

/// A batch with explicit key/value pairs.
pub fn kv_batch(pairs: &[(&str, Option<&str>)], timestamp: i64) -> Vec<u8> {
    let mut b = BatchBuilder::new(timestamp);
    for (k, v) in pairs {
        b.push(Record::new(
            Some(k.as_bytes().to_vec()),
            v.map(|v| v.as_bytes().to_vec()),
        ));
    }
    b.build()
}

pub fn clock(now: i64) -> Arc<ManualClock> {
    Arc::new(ManualClock::new(now))
}

pub fn config(pairs: &[(&str, &str)]) -> TopicConfig {
    TopicConfig::from_pairs(pairs.iter().copied()).unwrap()
}

pub fn open(dir: &std::path::Path, cfg: &TopicConfig, clock: &Arc<ManualClock>) -> Partition {
    let c: Arc<dyn Clock> = clock.clone();
    Partition::open(dir, "t-0", cfg.clone(), c).unwrap()
}

/// (offset, key, value) of one record.
pub type Rec = (i64, Option<Vec<u8>>, Option<Vec<u8>>);

/// Every (offset, key, value) readable from `p`, decoding batches.
pub fn all_records(p: &Partition) -> Vec<Rec> {
    let mut out = Vec::new();
    let mut offset = p.log_start_offset();
    while offset < p.high_watermark() {
        let r = p.read(offset, 1 << 20).unwrap();
        if r.records.is_empty() {
            break;
        }
        for h in herald_log::Batches::new(&r.records) {
            for rec in herald_log::decode_records(h.bytes()).unwrap() {
                let o = h.base_offset() + i64::from(rec.offset_delta);
                if o >= offset {
                    out.push((o, rec.key, rec.value));
                }
            }
            offset = h.next_offset();
        }
    }
    out
}
