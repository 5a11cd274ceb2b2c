//! Retention, DeleteRecords, compaction and memory storage with controlled clocks.

use std::collections::BTreeMap;

use crate::common::*;
use herald_log::{Compression, LogError};

const DAY: i64 = 24 * 3_600_000;

#[test]
fn time_retention_deletes_whole_expired_segments_only() {
    let dir = tempfile::tempdir().unwrap();
    let clock = clock(10 * DAY);
    let cfg = config(&[("segment.bytes", "1000"), ("retention.ms", "3600000")]);
    let p = open(dir.path(), &cfg, &clock);
    // Old data, then new data an hour later.
    for i in 0..20 {
        p.append(&batch(i, 2, 50, 10 * DAY + i as i64)).unwrap();
    }
    p.roll().unwrap();
    let old_segments = p.segment_count() - 1;
    let boundary = p.log_end_offset();
    clock.advance(2 * 3_600_000);
    for i in 0..5 {
        p.append(&batch(i, 2, 50, clock.now_ms_for_test() + i as i64))
            .unwrap();
    }
    let report = p.enforce_retention().unwrap();
    assert_eq!(report.segments_deleted, old_segments);
    assert_eq!(p.log_start_offset(), boundary);
    assert_eq!(report.log_start_offset, boundary);
    assert!(matches!(
        p.read(0, 100),
        Err(LogError::OffsetOutOfRange { .. })
    ));
    assert_eq!(all_records(&p).len(), 10);
    // Files are gone.
    assert!(!dir.path().join(format!("{:020}.log", 0)).exists());
    // Nothing more to delete now.
    assert_eq!(p.enforce_retention().unwrap().segments_deleted, 0);
}

trait NowForTest {
    fn now_ms_for_test(&self) -> i64;
}
impl NowForTest for std::sync::Arc<herald_log::ManualClock> {
    fn now_ms_for_test(&self) -> i64 {
        herald_log::Clock::now_ms(&**self)
    }
}

#[test]
fn time_retention_rolls_a_fully_expired_active_segment() {
    let dir = tempfile::tempdir().unwrap();
    let clock = clock(DAY);
    let p = open(dir.path(), &config(&[("retention.ms", "1000")]), &clock);
    for i in 0..3 {
        p.append(&batch(i, 1, 10, DAY)).unwrap();
    }
    clock.advance(5_000);
    let report = p.enforce_retention().unwrap();
    assert_eq!(report.segments_deleted, 1);
    assert_eq!(p.log_start_offset(), 3);
    assert_eq!(p.log_end_offset(), 3);
    assert_eq!(p.append(&batch(9, 1, 10, DAY)).unwrap().base_offset, 3);
}

#[test]
fn size_retention_keeps_the_partition_under_the_limit() {
    let dir = tempfile::tempdir().unwrap();
    let clock = clock(0);
    let cfg = config(&[
        ("segment.bytes", "1000"),
        ("retention.bytes", "3000"),
        ("retention.ms", "-1"),
    ]);
    let p = open(dir.path(), &cfg, &clock);
    for i in 0..60 {
        p.append(&batch(i, 2, 50, 0)).unwrap();
    }
    let before = p.size_bytes();
    let report = p.enforce_retention().unwrap();
    assert!(report.segments_deleted > 0);
    assert!(
        p.size_bytes() >= 3000 - 1000,
        "kept at least the limit minus a segment"
    );
    assert!(
        p.size_bytes() <= 3000 + 1000,
        "{} of {before}",
        p.size_bytes()
    );
    assert_eq!(p.log_start_offset(), p.segment_base_offsets()[0]);
}

#[test]
fn delete_records_moves_log_start_and_survives_restart() {
    let dir = tempfile::tempdir().unwrap();
    let clock = clock(0);
    let cfg = config(&[("segment.bytes", "1000")]);
    let p = open(dir.path(), &cfg, &clock);
    for i in 0..30 {
        p.append(&batch(i, 2, 50, 0)).unwrap();
    }
    let segments = p.segment_count();
    assert_eq!(p.delete_records(37).unwrap(), 37);
    assert!(p.segment_count() < segments);
    assert!(matches!(
        p.read(36, 10),
        Err(LogError::OffsetOutOfRange { .. })
    ));
    // Reading at the new start returns the batch holding it.
    let r = p.read(37, 10).unwrap();
    assert_eq!(
        herald_log::BatchHeader::new(&r.records)
            .unwrap()
            .base_offset(),
        36
    );
    assert!(matches!(
        p.delete_records(1_000),
        Err(LogError::OffsetOutOfRange { .. })
    ));
    assert_eq!(p.delete_records(5).unwrap(), 37, "never moves backwards");
    drop(p);
    let p = open(dir.path(), &cfg, &clock);
    assert_eq!(p.log_start_offset(), 37);
    assert_eq!(p.delete_records(-1).unwrap(), 60);
}

fn latest_per_key(records: &[Rec]) -> BTreeMap<Vec<u8>, (i64, Option<Vec<u8>>)> {
    let mut m = BTreeMap::new();
    for (o, k, v) in records {
        m.insert(k.clone().unwrap(), (*o, v.clone()));
    }
    m
}

#[test]
fn compaction_keeps_latest_value_per_key_and_offsets() {
    for codec in [
        Compression::None,
        Compression::Gzip,
        Compression::Snappy,
        Compression::Lz4,
        Compression::Zstd,
    ] {
        let dir = tempfile::tempdir().unwrap();
        let clock = clock(DAY);
        let cfg = config(&[("cleanup.policy", "compact"), ("segment.bytes", "600")]);
        let p = open(dir.path(), &cfg, &clock);
        for i in 0..60i64 {
            let mut b = herald_log::BatchBuilder::new(DAY).compression(codec);
            for j in 0..3 {
                let key = format!("key-{}", (i * 3 + j) % 7);
                b.push(herald_log::Record::new(
                    Some(key.into_bytes()),
                    Some(format!("v{i}-{j}").into_bytes()),
                ));
            }
            p.append(&b.build()).unwrap();
        }
        let before = all_records(&p);
        let expected = latest_per_key(&before);
        let size_before = p.size_bytes();
        let report = p.compact().unwrap();
        assert!(report.segments_rewritten > 0, "{codec:?}");
        assert!(p.size_bytes() < size_before);
        let after = all_records(&p);
        assert_eq!(latest_per_key(&after), expected, "{codec:?}");
        // Every surviving record keeps its original offset and value.
        for rec in &after {
            assert!(before.contains(rec), "{codec:?} {rec:?}");
        }
        // Offsets continue; reopening finds the compacted segments intact.
        drop(p);
        let p = open(dir.path(), &cfg, &clock);
        assert_eq!(all_records(&p), after);
        // A second pass has nothing to do.
        assert_eq!(p.compact().unwrap().segments_rewritten, 0);
        assert_eq!(
            p.append(&kv_batch(&[("key-1", Some("x"))], DAY))
                .unwrap()
                .base_offset,
            180
        );
    }
}

#[test]
fn tombstones_survive_delete_retention_then_go() {
    let dir = tempfile::tempdir().unwrap();
    let clock = clock(DAY);
    let cfg = config(&[
        ("cleanup.policy", "compact"),
        ("delete.retention.ms", "1000"),
        ("segment.bytes", "200"),
    ]);
    let p = open(dir.path(), &cfg, &clock);
    p.append(&kv_batch(&[("a", Some("1")), ("b", Some("1"))], DAY))
        .unwrap();
    p.append(&kv_batch(&[("a", None)], DAY)).unwrap();
    p.roll().unwrap();
    p.append(&kv_batch(&[("c", Some("1"))], DAY)).unwrap();
    p.compact().unwrap();
    let recs = all_records(&p);
    assert_eq!(
        recs.iter()
            .map(|(o, k, v)| (*o, k.clone().unwrap(), v.clone()))
            .collect::<Vec<_>>(),
        vec![
            (1, b"b".to_vec(), Some(b"1".to_vec())),
            (2, b"a".to_vec(), None),
            (3, b"c".to_vec(), Some(b"1".to_vec()))
        ]
    );
    clock.advance(2_000);
    p.compact().unwrap();
    let keys: Vec<_> = all_records(&p).into_iter().map(|(o, _, _)| o).collect();
    assert_eq!(keys, vec![1, 3]);
}

#[test]
fn min_compaction_lag_and_active_segment_are_respected() {
    let dir = tempfile::tempdir().unwrap();
    let clock = clock(DAY);
    let cfg = config(&[
        ("cleanup.policy", "compact"),
        ("min.compaction.lag.ms", "10000"),
    ]);
    let p = open(dir.path(), &cfg, &clock);
    p.append(&kv_batch(&[("a", Some("1"))], DAY)).unwrap();
    p.append(&kv_batch(&[("a", Some("2"))], DAY)).unwrap();
    assert_eq!(
        p.compact().unwrap().segments_rewritten,
        0,
        "active segment is never compacted"
    );
    p.roll().unwrap();
    assert_eq!(
        p.compact().unwrap().segments_rewritten,
        0,
        "younger than the lag"
    );
    clock.advance(20_000);
    assert_eq!(p.compact().unwrap().records_removed, 1);
    assert_eq!(all_records(&p).len(), 1);
}

#[test]
fn keyless_records_are_rejected_on_compacted_topics() {
    let dir = tempfile::tempdir().unwrap();
    let clock = clock(0);
    let p = open(
        dir.path(),
        &config(&[("cleanup.policy", "compact,delete")]),
        &clock,
    );
    let mut b = herald_log::BatchBuilder::new(0).compression(Compression::Lz4);
    b.push(herald_log::Record::new(
        Some(b"k".to_vec()),
        Some(b"v".to_vec()),
    ));
    b.push(herald_log::Record::new(None, Some(b"v".to_vec())));
    let err = p.append(&b.build()).unwrap_err();
    assert!(
        matches!(
            err,
            LogError::KeylessRecordOnCompactedTopic { offset_delta: 1 }
        ),
        "{err}"
    );
    assert_eq!(p.log_end_offset(), 0);
}

#[test]
fn memory_partitions_share_the_api_and_stay_bounded() {
    let clock = clock(0);
    let c: std::sync::Arc<dyn herald_log::Clock> = clock.clone();
    let p = herald_log::Partition::open_memory("mem-0", config(&[("retention.bytes", "20000")]), c);
    assert!(p.dir().is_none());
    let mut last = 0;
    for i in 0..500 {
        last = p.append(&batch(i, 2, 100, i as i64)).unwrap().last_offset;
    }
    assert_eq!(last, 999);
    assert!(p.size_bytes() <= 20_000 + 5_000, "{}", p.size_bytes());
    assert!(p.log_start_offset() > 0);
    let recs = all_records(&p);
    assert_eq!(recs.last().unwrap().0, 999);
    let t = p.offset_for_timestamp(499).unwrap().unwrap();
    assert_eq!(t.offset, 998);
    assert!(matches!(
        p.read(0, 10),
        Err(LogError::OffsetOutOfRange { .. })
    ));
}

#[test]
fn memory_compaction_works_too() {
    let clock = clock(0);
    let c: std::sync::Arc<dyn herald_log::Clock> = clock.clone();
    let p =
        herald_log::Partition::open_memory("mem-0", config(&[("cleanup.policy", "compact")]), c);
    for i in 0..10 {
        p.append(&kv_batch(
            &[("a", Some(&i.to_string())), ("b", Some("x"))],
            0,
        ))
        .unwrap();
    }
    p.roll().unwrap();
    p.compact().unwrap();
    let recs = all_records(&p);
    assert_eq!(recs.iter().map(|r| r.0).collect::<Vec<_>>(), vec![18, 19]);
}
