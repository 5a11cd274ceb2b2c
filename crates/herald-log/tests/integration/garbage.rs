//! Arbitrary bytes never make append or recovery panic, and never get stored.

use std::sync::Arc;

use crate::common::*;
use herald_log::{Clock, Partition};
use proptest::prelude::*;

fn memory() -> Partition {
    let c: Arc<dyn Clock> = clock(0);
    Partition::open_memory("g-0", config(&[("cleanup.policy", "compact")]), c)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn random_bytes_are_refused(bytes in proptest::collection::vec(any::<u8>(), 0..400)) {
        let p = memory();
        prop_assert!(p.append(&bytes).is_err());
        prop_assert_eq!(p.size_bytes(), 0);
    }

    #[test]
    fn mutated_batches_are_refused_or_stored_intact(flips in proptest::collection::vec((any::<u16>(), any::<u8>()), 1..4), cut in any::<u16>()) {
        let p = memory();
        let mut bytes = kv_batch(&[("a", Some("1")), ("b", None)], 5);
        for (at, x) in flips {
            let i = usize::from(at) % bytes.len();
            bytes[i] ^= x.max(1);
        }
        if cut % 3 == 0 {
            bytes.truncate(usize::from(cut) % bytes.len());
        }
        match p.append(&bytes) {
            Err(_) => prop_assert_eq!(p.size_bytes(), 0),
            Ok(a) => {
                // Only changes outside the CRC-covered part can pass (offset, epoch).
                let r = p.read(a.base_offset, 1 << 16).unwrap();
                prop_assert_eq!(&r.records[16..], &bytes[16..]);
            }
        }
    }

    #[test]
    fn recovery_of_garbage_files_never_panics(
        prefix_batches in 0usize..4,
        garbage in proptest::collection::vec(any::<u8>(), 0..600),
        index in proptest::collection::vec(any::<u8>(), 0..64),
        timeindex in proptest::collection::vec(any::<u8>(), 0..64),
        clean in any::<bool>(),
    ) {
        let dir = tempfile::tempdir().unwrap();
        let mut log = Vec::new();
        for i in 0..prefix_batches {
            let mut b = batch(i as u64, 2, 10, 0);
            let base = (2 * i) as i64;
            b[..8].copy_from_slice(&base.to_be_bytes());
            log.extend_from_slice(&b);
        }
        let valid_len = log.len();
        log.extend_from_slice(&garbage);
        std::fs::write(dir.path().join(format!("{:020}.log", 0)), &log).unwrap();
        std::fs::write(dir.path().join(format!("{:020}.index", 0)), &index).unwrap();
        std::fs::write(dir.path().join(format!("{:020}.timeindex", 0)), &timeindex).unwrap();
        if clean {
            std::fs::write(dir.path().join(".clean-shutdown"), b"").unwrap();
        }
        let c: Arc<dyn Clock> = clock(0);
        let p = Partition::open(dir.path(), "g-0", config(&[]), c).unwrap();
        // The valid prefix always survives; garbage never does.
        prop_assert!(p.log_end_offset() >= 2 * prefix_batches as i64);
        prop_assert!(p.size_bytes() as usize >= valid_len);
        for o in 0..p.high_watermark() {
            let r = p.read(o, 100).unwrap();
            for b in herald_log::Batches::new(&r.records) {
                prop_assert!(herald_log::validate_batch(b.bytes()).is_ok());
            }
        }
        let _ = p.offset_for_timestamp(0);
        prop_assert!(p.append(&batch(9, 1, 1, 0)).is_ok());
    }
}
