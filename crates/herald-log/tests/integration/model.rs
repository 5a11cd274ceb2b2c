//! Model test: random operation sequences against a simple in-memory model.

use std::collections::BTreeMap;
use std::sync::Arc;

use crate::common::*;
use herald_log::{BatchBuilder, Batches, Clock, ManualClock, Partition, Record, TopicConfig};
use proptest::prelude::*;

#[derive(Clone, Debug)]
enum Op {
    Append { keys: Vec<u8>, value_len: usize },
    Read { at: u16, max_bytes: usize },
    Roll,
    Advance(i64),
    Retention,
    DeleteRecords(u16),
    Compact,
    Reopen { clean: bool },
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        6 => (proptest::collection::vec(0u8..6, 1..6), 0usize..120).prop_map(|(keys, value_len)| Op::Append { keys, value_len }),
        3 => (any::<u16>(), 1usize..3000).prop_map(|(at, max_bytes)| Op::Read { at, max_bytes }),
        1 => Just(Op::Roll),
        2 => (0i64..5_000).prop_map(Op::Advance),
        1 => Just(Op::Retention),
        1 => any::<u16>().prop_map(Op::DeleteRecords),
        1 => Just(Op::Compact),
        1 => any::<bool>().prop_map(|clean| Op::Reopen { clean }),
    ]
}

#[derive(Clone, Debug, PartialEq)]
struct ModelRecord {
    key: Vec<u8>,
    value: Vec<u8>,
    timestamp: i64,
}

struct Harness {
    dir: tempfile::TempDir,
    cfg: TopicConfig,
    clock: Arc<ManualClock>,
    p: Option<Partition>,
    memory: bool,
}

impl Harness {
    fn p(&self) -> &Partition {
        self.p.as_ref().unwrap()
    }
    fn reopen(&mut self, clean: bool) {
        if self.memory {
            return; // memory partitions do not survive a reopen by design
        }
        let p = self.p.take().unwrap();
        if clean {
            p.close().unwrap();
        }
        drop(p);
        let c: Arc<dyn Clock> = self.clock.clone();
        self.p = Some(Partition::open(self.dir.path(), "m-0", self.cfg.clone(), c).unwrap());
    }
}

fn run(ops: Vec<Op>, compact: bool, memory: bool) -> Result<(), TestCaseError> {
    let clock = clock(1_000_000);
    let mut pairs = vec![
        ("segment.bytes", "700"),
        ("index.interval.bytes", "150"),
        ("flush", "never"),
        ("retention.ms", "4000"),
        ("delete.retention.ms", "1000000000"),
    ];
    if compact {
        pairs.push(("cleanup.policy", "compact,delete"));
    }
    let cfg = config(&pairs);
    let dir = tempfile::tempdir().unwrap();
    let c: Arc<dyn Clock> = clock.clone();
    let p = if memory {
        Partition::open_memory("m-0", cfg.clone(), c)
    } else {
        Partition::open(dir.path(), "m-0", cfg.clone(), c).unwrap()
    };
    let mut h = Harness {
        dir,
        cfg,
        clock,
        p: Some(p),
        memory,
    };
    let mut model: BTreeMap<i64, ModelRecord> = BTreeMap::new();
    let mut log_start = 0i64;
    let mut next = 0i64;

    for op in ops {
        match op {
            Op::Append { keys, value_len } => {
                let now = h.clock.now_ms();
                let mut b = BatchBuilder::new(now);
                let mut recs = Vec::new();
                for (i, k) in keys.iter().enumerate() {
                    let key = vec![b'k', *k];
                    let value = vec![(next as u8).wrapping_add(i as u8); value_len];
                    b.push(Record::new(Some(key.clone()), Some(value.clone())));
                    recs.push(ModelRecord {
                        key,
                        value,
                        timestamp: now,
                    });
                }
                let a = h.p().append(&b.build()).unwrap();
                prop_assert_eq!(a.base_offset, next);
                for r in recs {
                    model.insert(next, r);
                    next += 1;
                }
            }
            Op::Read { at, max_bytes } => {
                let span = (next - log_start + 1).max(1);
                let offset = log_start + i64::from(at) % span;
                let r = h.p().read(offset, max_bytes).unwrap();
                prop_assert_eq!(r.high_watermark, next);
                let batches: Vec<_> = Batches::new(&r.records).collect();
                if offset == next {
                    prop_assert!(batches.is_empty());
                    continue;
                }
                prop_assert!(!batches.is_empty(), "no data at {}", offset);
                // The first batch holds `offset`, or everything between is compacted away.
                prop_assert!(batches[0].last_offset() >= offset);
                if batches[0].base_offset() > offset {
                    prop_assert!(
                        model
                            .range(offset..batches[0].base_offset())
                            .next()
                            .is_none()
                    );
                }
                if batches.len() > 1 {
                    prop_assert!(r.records.len() <= max_bytes);
                }
                for b in batches {
                    for rec in herald_log::decode_records(b.bytes()).unwrap() {
                        let o = b.base_offset() + i64::from(rec.offset_delta);
                        if o < log_start {
                            continue;
                        }
                        let m = model.get(&o);
                        prop_assert!(m.is_some(), "record at {} is not in the model", o);
                        let m = m.unwrap();
                        prop_assert_eq!(rec.key.as_ref(), Some(&m.key));
                        prop_assert_eq!(rec.value.as_ref(), Some(&m.value));
                    }
                }
            }
            Op::Roll => h.p().roll().unwrap(),
            Op::Advance(ms) => h.clock.advance(ms),
            Op::Retention => {
                let report = h.p().enforce_retention().unwrap();
                let new_start = h.p().log_start_offset();
                prop_assert!(new_start >= log_start);
                prop_assert_eq!(report.log_start_offset, new_start);
                let threshold = h.clock.now_ms() - 4000;
                // Nothing younger than retention.ms is deleted.
                for (o, r) in model.range(..new_start) {
                    prop_assert!(
                        r.timestamp < threshold,
                        "record {} (ts {}) deleted too early",
                        o,
                        r.timestamp
                    );
                }
                log_start = new_start;
                model = model.split_off(&log_start);
            }
            Op::DeleteRecords(at) => {
                let target = log_start + i64::from(at) % (next - log_start + 1);
                let lso = h.p().delete_records(target).unwrap();
                prop_assert_eq!(lso, target.max(log_start));
                log_start = lso;
                model = model.split_off(&log_start);
            }
            Op::Compact => {
                h.p().compact().unwrap();
                let real = all_records(h.p());
                let mut latest: BTreeMap<Vec<u8>, i64> = BTreeMap::new();
                for (o, r) in &model {
                    latest.insert(r.key.clone(), *o);
                }
                let present: BTreeMap<i64, Rec> = real.into_iter().map(|r| (r.0, r)).collect();
                // Every surviving record is unchanged; the latest value of every key survives.
                for (o, (_, k, v)) in &present {
                    let m = model.get(o).unwrap();
                    prop_assert_eq!(k.as_ref(), Some(&m.key));
                    prop_assert_eq!(v.as_ref(), Some(&m.value));
                }
                for (k, o) in &latest {
                    prop_assert!(
                        present.contains_key(o),
                        "latest value of {:?} at {} lost",
                        k,
                        o
                    );
                }
                // Sealed segments (all cleanable: min.compaction.lag.ms is 0) hold
                // each key at most once.
                let active_base = *h.p().segment_base_offsets().last().unwrap();
                let mut sealed_keys = std::collections::BTreeSet::new();
                for (o, (_, k, _)) in present.range(..active_base).filter(|_| compact) {
                    prop_assert!(
                        sealed_keys.insert(k.clone()),
                        "key {:?} at {} survives twice in cleaned segments",
                        k,
                        o
                    );
                }
                model.retain(|o, _| present.contains_key(o));
            }
            Op::Reopen { clean } => {
                let before = all_records(h.p());
                h.reopen(clean);
                if !h.memory {
                    prop_assert_eq!(all_records(h.p()), before);
                    prop_assert_eq!(h.p().log_end_offset(), next);
                    prop_assert_eq!(
                        h.p().log_start_offset(),
                        log_start.max(h.p().segment_base_offsets()[0])
                    );
                    log_start = h.p().log_start_offset();
                    model = model.split_off(&log_start);
                }
            }
        }
        prop_assert_eq!(h.p().log_end_offset(), next);
        prop_assert_eq!(h.p().log_start_offset(), log_start);
    }
    // Final full comparison.
    let real: Vec<(i64, Vec<u8>, Vec<u8>)> = all_records(h.p())
        .into_iter()
        .map(|(o, k, v)| (o, k.unwrap(), v.unwrap()))
        .collect();
    let expected: Vec<(i64, Vec<u8>, Vec<u8>)> = model
        .into_iter()
        .map(|(o, r)| (o, r.key, r.value))
        .collect();
    prop_assert_eq!(real, expected);
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 32, ..ProptestConfig::default() })]

    #[test]
    fn disk_partition_agrees_with_model(ops in proptest::collection::vec(op(), 1..80), compact in any::<bool>()) {
        run(ops, compact, false)?;
    }

    #[test]
    fn memory_partition_agrees_with_model(ops in proptest::collection::vec(op(), 1..80), compact in any::<bool>()) {
        run(ops, compact, true)?;
    }
}
