//! One writer lock, many appenders and readers: group commit, visibility,
//! interval flush.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use crate::common::*;
use herald_log::{Batches, validate_batch};

#[test]
fn concurrent_always_appends_share_syncs_and_lose_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let clock = clock(0);
    let cfg = config(&[("flush", "always"), ("segment.bytes", "20000")]);
    let p = Arc::new(open(dir.path(), &cfg, &clock));
    let done = Arc::new(AtomicBool::new(false));
    // A reader that checks it only ever sees whole, valid batches below the high watermark.
    let reader = {
        let p = p.clone();
        let done = done.clone();
        std::thread::spawn(move || {
            let mut reads = 0;
            while !done.load(Ordering::SeqCst) {
                let hw = p.high_watermark();
                if hw == 0 {
                    continue;
                }
                let r = p.read(hw - 1, 1 << 20).unwrap();
                assert!(r.high_watermark >= hw);
                for b in Batches::new(&r.records) {
                    validate_batch(b.bytes()).unwrap();
                    assert!(b.last_offset() < r.high_watermark);
                }
                reads += 1;
            }
            reads
        })
    };
    let threads = 16;
    let per_thread = 20;
    let writers: Vec<_> = (0..threads)
        .map(|t| {
            let p = p.clone();
            std::thread::spawn(move || {
                (0..per_thread)
                    .map(|i| {
                        let seed = (t * 1000 + i) as u64;
                        let bytes = batch(seed, 2, 30, 0);
                        let a = p.append(&bytes).unwrap();
                        // Acknowledged means readable.
                        assert!(p.high_watermark() > a.last_offset);
                        (a.base_offset, bytes)
                    })
                    .collect::<Vec<_>>()
            })
        })
        .collect();
    let mut acked = BTreeMap::new();
    for w in writers {
        for (offset, bytes) in w.join().unwrap() {
            assert!(
                acked.insert(offset, bytes).is_none(),
                "offset {offset} assigned twice"
            );
        }
    }
    done.store(true, Ordering::SeqCst);
    assert!(reader.join().unwrap() > 0);
    let appends = (threads * per_thread) as u64;
    assert_eq!(acked.len() as u64, appends);
    assert_eq!(p.log_end_offset(), 2 * appends as i64);
    assert!(
        p.sync_count() < appends,
        "group commit: {} syncs for {appends} appends",
        p.sync_count()
    );
    for (offset, bytes) in &acked {
        let r = p.read(*offset, 1).unwrap();
        let b = Batches::new(&r.records).next().unwrap();
        assert_eq!(b.base_offset(), *offset);
        assert_eq!(&b.bytes()[16..], &bytes[16..]);
    }
}

#[test]
fn interval_flush_syncs_when_due() {
    let dir = tempfile::tempdir().unwrap();
    let clock = clock(0);
    let p = open(dir.path(), &config(&[("flush", "interval:100")]), &clock);
    p.append(&batch(1, 1, 10, 0)).unwrap();
    assert_eq!(p.high_watermark(), 1, "interval data is readable at once");
    let before = p.sync_count();
    assert!(!p.flush_if_due().unwrap());
    clock.advance(150);
    assert!(p.flush_if_due().unwrap());
    assert_eq!(p.sync_count(), before + 1);
    assert!(!p.flush_if_due().unwrap(), "nothing new to sync");
}

#[test]
fn never_flush_appends_do_not_sync() {
    let dir = tempfile::tempdir().unwrap();
    let clock = clock(0);
    let p = open(dir.path(), &config(&[("flush", "never")]), &clock);
    for i in 0..10 {
        p.append(&batch(i, 1, 10, 0)).unwrap();
    }
    assert_eq!(p.sync_count(), 0);
    assert_eq!(p.high_watermark(), 10);
}
