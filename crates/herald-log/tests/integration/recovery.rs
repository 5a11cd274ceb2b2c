//! Recovery after damage: torn tails, flipped bytes, missing or bad indexes,
//! leftovers of interrupted compaction.

use std::fs::{self, OpenOptions};
use std::path::Path;

use crate::common::*;
use herald_log::LogError;

fn log_path(dir: &Path, base: i64) -> std::path::PathBuf {
    dir.join(format!("{base:020}.log"))
}

/// Appends `n` batches and returns each batch's (offset, end byte in the active segment).
fn fill(dir: &Path, n: u64) -> Vec<(i64, u64)> {
    let clock = clock(0);
    let p = open(dir, &config(&[("index.interval.bytes", "100")]), &clock);
    (0..n)
        .map(|i| {
            let a = p.append(&batch(i, 2, 60, i as i64)).unwrap();
            (a.base_offset, p.size_bytes())
        })
        .collect()
}

#[test]
fn truncated_mid_batch_is_cut_back_to_the_last_whole_batch() {
    let dir = tempfile::tempdir().unwrap();
    let ends = fill(dir.path(), 10);
    let file = log_path(dir.path(), 0);
    let cut = ends[6].1 + 20; // inside batch 7
    OpenOptions::new()
        .write(true)
        .open(&file)
        .unwrap()
        .set_len(cut)
        .unwrap();
    let clock = clock(0);
    let p = open(
        dir.path(),
        &config(&[("index.interval.bytes", "100")]),
        &clock,
    );
    assert_eq!(fs::metadata(&file).unwrap().len(), ends[6].1);
    assert_eq!(p.log_end_offset(), 14);
    assert_eq!(all_records(&p).len(), 14);
    // Appends continue at the recovered end.
    assert_eq!(p.append(&batch(50, 1, 5, 0)).unwrap().base_offset, 14);
}

#[test]
fn flipped_bytes_in_the_last_batch_drop_only_that_batch() {
    let dir = tempfile::tempdir().unwrap();
    let ends = fill(dir.path(), 10);
    let file = log_path(dir.path(), 0);
    let mut bytes = fs::read(&file).unwrap();
    let pos = (ends[8].1 + 70) as usize; // inside the last batch's records
    bytes[pos] ^= 0xff;
    fs::write(&file, &bytes).unwrap();
    let clock = clock(0);
    let p = open(dir.path(), &config(&[]), &clock);
    assert_eq!(fs::metadata(&file).unwrap().len(), ends[8].1);
    assert_eq!(p.log_end_offset(), 18);
    let recs = all_records(&p);
    assert_eq!(recs.len(), 18);
    assert_eq!(recs.last().unwrap().0, 17);
}

#[test]
fn garbage_appended_after_the_data_is_removed() {
    let dir = tempfile::tempdir().unwrap();
    let ends = fill(dir.path(), 5);
    let file = log_path(dir.path(), 0);
    let mut f = OpenOptions::new().append(true).open(&file).unwrap();
    std::io::Write::write_all(&mut f, &[0xab; 4096]).unwrap();
    drop(f);
    let clock = clock(0);
    let p = open(dir.path(), &config(&[]), &clock);
    assert_eq!(fs::metadata(&file).unwrap().len(), ends[4].1);
    assert_eq!(p.log_end_offset(), 10);
}

#[test]
fn zeroed_tail_from_a_crash_is_removed() {
    // After a power loss the file may be longer than the data written.
    let dir = tempfile::tempdir().unwrap();
    let ends = fill(dir.path(), 5);
    let file = log_path(dir.path(), 0);
    OpenOptions::new()
        .write(true)
        .open(&file)
        .unwrap()
        .set_len(ends[4].1 + 10_000)
        .unwrap();
    let clock = clock(0);
    let p = open(dir.path(), &config(&[]), &clock);
    assert_eq!(p.log_end_offset(), 10);
    assert_eq!(fs::metadata(&file).unwrap().len(), ends[4].1);
}

fn sealed_partition(dir: &Path) -> (Vec<i64>, Vec<Rec>) {
    let clock = clock(0);
    let cfg = config(&[("segment.bytes", "1500"), ("index.interval.bytes", "100")]);
    let p = open(dir, &cfg, &clock);
    for i in 0..40 {
        p.append(&batch(i, 2, 60, 1_000 + i as i64)).unwrap();
    }
    p.close().unwrap();
    (p.segment_base_offsets(), all_records(&p))
}

#[test]
fn deleted_index_files_are_rebuilt() {
    let dir = tempfile::tempdir().unwrap();
    let (bases, records) = sealed_partition(dir.path());
    let idx = dir.path().join(format!("{:020}.index", bases[1]));
    let tidx = dir.path().join(format!("{:020}.timeindex", bases[2]));
    let active_idx = dir
        .path()
        .join(format!("{:020}.index", bases[bases.len() - 1]));
    let before = fs::read(&idx).unwrap();
    assert!(!before.is_empty());
    fs::remove_file(&idx).unwrap();
    fs::remove_file(&tidx).unwrap();
    fs::remove_file(&active_idx).unwrap();
    let clock = clock(0);
    let cfg = config(&[("segment.bytes", "1500"), ("index.interval.bytes", "100")]);
    let p = open(dir.path(), &cfg, &clock);
    assert_eq!(fs::read(&idx).unwrap(), before);
    assert!(tidx.exists());
    assert_eq!(all_records(&p), records);
    let t = p.offset_for_timestamp(1_020).unwrap().unwrap();
    assert_eq!(t.offset, 40);
}

#[test]
fn inconsistent_index_is_rebuilt() {
    let dir = tempfile::tempdir().unwrap();
    let (bases, records) = sealed_partition(dir.path());
    let idx = dir.path().join(format!("{:020}.index", bases[1]));
    let good = fs::read(&idx).unwrap();
    let mut bad = good.clone();
    bad[7] ^= 0x01; // last byte of the first position
    fs::write(&idx, &bad).unwrap();
    let clock = clock(0);
    let cfg = config(&[("segment.bytes", "1500"), ("index.interval.bytes", "100")]);
    let p = open(dir.path(), &cfg, &clock);
    assert_eq!(all_records(&p), records);
    // Reads at every offset land on the right batch.
    for o in 0..80 {
        let r = p.read(o, 1).unwrap();
        let h = herald_log::BatchHeader::new(&r.records).unwrap();
        assert!(h.base_offset() <= o && o <= h.last_offset());
    }
}

#[test]
fn damage_in_a_sealed_segment_is_reported_not_dropped() {
    let dir = tempfile::tempdir().unwrap();
    let (bases, _) = sealed_partition(dir.path());
    let file = log_path(dir.path(), bases[1]);
    let mut bytes = fs::read(&file).unwrap();
    bytes[100] ^= 0xff;
    fs::write(&file, &bytes).unwrap();
    fs::remove_file(dir.path().join(format!("{:020}.index", bases[1]))).unwrap();
    let clock = clock(0);
    let cfg = config(&[("segment.bytes", "1500")]);
    let c: std::sync::Arc<dyn herald_log::Clock> = clock;
    let err = herald_log::Partition::open(dir.path(), "t-0", cfg, c).unwrap_err();
    assert!(matches!(err, LogError::Corrupt { .. }), "{err}");
    assert_eq!(fs::read(&file).unwrap(), bytes, "nothing was truncated");
}

#[test]
fn clean_restart_skips_the_scan_and_unclean_restart_rescans() {
    let dir = tempfile::tempdir().unwrap();
    let clock = clock(0);
    let cfg = config(&[]);
    let p = open(dir.path(), &cfg, &clock);
    for i in 0..20 {
        p.append(&batch(i, 1, 10, 0)).unwrap();
    }
    p.close().unwrap();
    drop(p);
    assert!(dir.path().join(".clean-shutdown").exists());
    let p = open(dir.path(), &cfg, &clock);
    // The marker is consumed so that a crash from here on is detected.
    assert!(!dir.path().join(".clean-shutdown").exists());
    assert_eq!(p.log_end_offset(), 20);
}

#[test]
fn leftover_cleaned_file_from_interrupted_compaction_is_removed() {
    let dir = tempfile::tempdir().unwrap();
    let (bases, records) = sealed_partition(dir.path());
    let leftover = dir.path().join(format!("{:020}.log.cleaned", bases[0]));
    fs::write(&leftover, b"half-written compaction output").unwrap();
    let orphan = dir.path().join(format!("{:020}.index", 999_999));
    fs::write(&orphan, [0u8; 8]).unwrap();
    let clock = clock(0);
    let cfg = config(&[("segment.bytes", "1500")]);
    let p = open(dir.path(), &cfg, &clock);
    assert!(!leftover.exists());
    assert!(!orphan.exists());
    assert_eq!(all_records(&p), records);
}
