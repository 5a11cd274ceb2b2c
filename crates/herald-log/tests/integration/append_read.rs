//! Append, read, offsets, roll and reopen through the public API.

use crate::common::*;
use herald_log::{BatchHeader, Batches, LogError, validate_batch};

#[test]
fn append_assigns_offsets_and_read_returns_stored_bytes() {
    let dir = tempfile::tempdir().unwrap();
    let clock = clock(1_000);
    let p = open(dir.path(), &config(&[]), &clock);
    let b1 = batch(1, 3, 10, 1_000);
    let b2 = batch(2, 2, 10, 1_001);
    let a1 = p.append(&b1).unwrap();
    let a2 = p.append(&b2).unwrap();
    assert_eq!((a1.base_offset, a1.last_offset), (0, 2));
    assert_eq!((a2.base_offset, a2.last_offset), (3, 4));
    assert_eq!(a1.log_append_time, None);
    assert_eq!(p.log_end_offset(), 5);
    assert_eq!(p.high_watermark(), 5);

    let r = p.read(0, 1 << 20).unwrap();
    let batches: Vec<_> = Batches::new(&r.records).collect();
    assert_eq!(batches.len(), 2);
    // Only the base offset and leader epoch differ from what was sent.
    assert_eq!(&batches[1].bytes()[16..], &b2[16..]);
    assert_eq!(batches[1].base_offset(), 3);
    assert!(validate_batch(batches[1].bytes()).is_ok());

    // A fetch in the middle of a batch returns the whole batch.
    let mid = p.read(4, 1).unwrap();
    let h = BatchHeader::new(&mid.records).unwrap();
    assert_eq!(h.base_offset(), 3);
    assert_eq!(mid.records.len(), b2.len());

    // At the high watermark: empty; beyond: out of range.
    assert!(p.read(5, 100).unwrap().records.is_empty());
    assert!(matches!(
        p.read(6, 100),
        Err(LogError::OffsetOutOfRange { .. })
    ));
    assert!(matches!(
        p.read(-1, 100),
        Err(LogError::OffsetOutOfRange { .. })
    ));
}

#[test]
fn several_batches_in_one_append_are_atomic() {
    let dir = tempfile::tempdir().unwrap();
    let clock = clock(0);
    let p = open(dir.path(), &config(&[]), &clock);
    let mut req = batch(1, 2, 5, 0);
    req.extend_from_slice(&batch(2, 3, 5, 0));
    let a = p.append(&req).unwrap();
    assert_eq!((a.base_offset, a.last_offset), (0, 4));

    let mut bad = batch(3, 2, 5, 0);
    let mut broken = batch(4, 2, 5, 0);
    let n = broken.len();
    broken[n - 1] ^= 1;
    bad.extend_from_slice(&broken);
    let err = p.append(&bad).unwrap_err();
    assert!(
        matches!(err, LogError::InvalidBatch { position, .. } if position > 0),
        "{err}"
    );
    assert_eq!(p.log_end_offset(), 5);
    assert_eq!(p.size_bytes() as usize, req.len());
}

#[test]
fn invalid_input_is_a_typed_error_and_writes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let clock = clock(0);
    let p = open(dir.path(), &config(&[("max.message.bytes", "200")]), &clock);
    assert!(matches!(p.append(&[]), Err(LogError::EmptyAppend)));
    assert!(matches!(
        p.append(&[0; 30]),
        Err(LogError::InvalidBatch { .. })
    ));
    let big = batch(1, 10, 100, 0);
    assert!(matches!(
        p.append(&big),
        Err(LogError::RecordTooLarge { .. })
    ));
    let empty = herald_log::BatchBuilder::new(0).build();
    assert!(matches!(
        p.append(&empty),
        Err(LogError::InvalidBatch { .. })
    ));
    assert_eq!(p.size_bytes(), 0);
    assert_eq!(p.log_end_offset(), 0);
}

#[test]
fn segments_roll_and_reads_cross_them() {
    let dir = tempfile::tempdir().unwrap();
    let clock = clock(0);
    let cfg = config(&[("segment.bytes", "1000"), ("index.interval.bytes", "100")]);
    let p = open(dir.path(), &cfg, &clock);
    let mut offsets = Vec::new();
    for i in 0..40 {
        offsets.push(p.append(&batch(i, 2, 50, i as i64)).unwrap().base_offset);
    }
    assert!(p.segment_count() > 5, "{}", p.segment_count());
    for (i, off) in offsets.iter().enumerate() {
        let r = p.read(*off + 1, 10).unwrap();
        let h = BatchHeader::new(&r.records).unwrap();
        assert_eq!(h.base_offset(), *off, "batch {i}");
    }
    assert_eq!(all_records(&p).len(), 80);
    // File names carry the 20-digit base offset.
    assert!(dir.path().join(format!("{:020}.log", 0)).exists());
    let bases = p.segment_base_offsets();
    assert!(dir.path().join(format!("{:020}.index", bases[1])).exists());
}

#[test]
fn reopen_after_clean_close_and_after_drop_keeps_everything() {
    let dir = tempfile::tempdir().unwrap();
    let clock = clock(0);
    let cfg = config(&[("segment.bytes", "2000"), ("index.interval.bytes", "128")]);
    let p = open(dir.path(), &cfg, &clock);
    for i in 0..30 {
        p.append(&batch(i, 3, 40, i as i64)).unwrap();
    }
    let before = all_records(&p);
    p.close().unwrap();
    assert!(matches!(
        p.append(&batch(0, 1, 1, 0)),
        Err(LogError::Closed { .. })
    ));
    drop(p);
    let p = open(dir.path(), &cfg, &clock);
    assert_eq!(all_records(&p), before);
    assert_eq!(p.log_end_offset(), 90);
    p.append(&batch(99, 1, 5, 99)).unwrap();
    drop(p); // unclean
    let p = open(dir.path(), &cfg, &clock);
    assert_eq!(p.log_end_offset(), 91);
    assert_eq!(all_records(&p).len(), 91);
}

#[test]
fn timestamp_lookup_finds_first_record_at_or_after() {
    let dir = tempfile::tempdir().unwrap();
    let clock = clock(0);
    let cfg = config(&[("segment.bytes", "600"), ("index.interval.bytes", "64")]);
    let p = open(dir.path(), &cfg, &clock);
    for i in 0..20 {
        p.append(&batch(i, 2, 30, 1000 + 10 * i as i64)).unwrap();
    }
    let t = p.offset_for_timestamp(1055).unwrap().unwrap();
    assert_eq!((t.offset, t.timestamp), (12, 1060));
    let t = p.offset_for_timestamp(0).unwrap().unwrap();
    assert_eq!(t.offset, 0);
    assert_eq!(p.offset_for_timestamp(5000).unwrap(), None);
    let max = p.max_timestamp_offset().unwrap().unwrap();
    assert_eq!((max.offset, max.timestamp), (38, 1190));
}

#[test]
fn log_append_time_is_stamped() {
    let dir = tempfile::tempdir().unwrap();
    let clock = clock(77_000);
    let p = open(
        dir.path(),
        &config(&[("message.timestamp.type", "LogAppendTime")]),
        &clock,
    );
    let a = p.append(&batch(1, 2, 10, 5)).unwrap();
    assert_eq!(a.log_append_time, Some(77_000));
    let r = p.read(0, 1000).unwrap();
    let h = BatchHeader::new(&r.records).unwrap();
    assert_eq!(h.max_timestamp(), 77_000);
    assert!(validate_batch(&r.records).is_ok());
}

#[test]
fn batch_headers_expose_producer_state() {
    let dir = tempfile::tempdir().unwrap();
    let clock = clock(0);
    let p = open(dir.path(), &config(&[("segment.bytes", "300")]), &clock);
    for seq in 0..10 {
        let mut b = herald_log::BatchBuilder::new(0).producer(42, 3, seq * 2);
        b.push(herald_log::Record::new(
            Some(b"k".to_vec()),
            Some(vec![0; 40]),
        ));
        b.push(herald_log::Record::new(
            Some(b"k".to_vec()),
            Some(vec![1; 40]),
        ));
        p.append(&b.build()).unwrap();
    }
    let headers: Vec<_> = p.batch_headers(5).map(|h| h.unwrap()).collect();
    assert_eq!(headers.len(), 8);
    let last = headers.last().unwrap().view();
    assert_eq!(
        (
            last.producer_id(),
            last.producer_epoch(),
            last.base_sequence(),
            last.last_sequence()
        ),
        (42, 3, 18, 19)
    );
    assert_eq!(headers[0].view().base_offset(), 4);
}

#[test]
fn listener_wakes_on_append() {
    let dir = tempfile::tempdir().unwrap();
    let clock = clock(0);
    let p = std::sync::Arc::new(open(dir.path(), &config(&[]), &clock));
    let listener = p.listen();
    let writer = {
        let p = p.clone();
        std::thread::spawn(move || p.append(&batch(1, 1, 1, 0)).unwrap())
    };
    assert!(listener.wait_timeout(std::time::Duration::from_secs(10)));
    writer.join().unwrap();
    assert_eq!(p.high_watermark(), 1);
    assert!(
        !p.listen()
            .wait_timeout(std::time::Duration::from_millis(20))
    );
}
