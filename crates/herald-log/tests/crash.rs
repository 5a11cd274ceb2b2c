//! Crash safety: a child process appends with `flush=always` from several
//! threads and prints every acknowledged offset; the parent kills it with
//! SIGKILL at random moments, reopens the partition and checks that every
//! acknowledged batch is present and byte-identical, that everything in the
//! log is a valid batch, and that appends continue where the log ends.
//!
//! `harness = false`: the same binary is the child when `HERALD_CRASH_CHILD`
//! names a directory.
#![allow(clippy::unwrap_used, clippy::expect_used)]

#[path = "integration/common/mod.rs"]
mod common;

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Write};
use std::process::{Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use herald_log::{
    BatchHeader, Batches, Clock, Partition, SystemClock, TopicConfig, validate_batch,
};

const CYCLES: usize = 50;
const THREADS: u64 = 3;

fn crash_config() -> TopicConfig {
    TopicConfig::from_pairs([
        ("flush", "always"),
        ("segment.bytes", "65536"),
        ("index.interval.bytes", "512"),
    ])
    .unwrap()
}

/// The batch a given seed stands for: the parent rebuilds it to compare bytes.
fn seeded_batch(seed: u64) -> Vec<u8> {
    common::batch(
        seed,
        1 + (seed % 5) as usize,
        20 + (seed % 300) as usize,
        seed as i64,
    )
}

fn open(dir: &str) -> Partition {
    let clock: Arc<dyn Clock> = Arc::new(SystemClock);
    Partition::open(dir, "crash-0", crash_config(), clock).unwrap()
}

fn child(dir: &str, first_seed: u64) {
    let p = Arc::new(open(dir));
    let out = Arc::new(Mutex::new(std::io::stdout()));
    println!("ready {}", p.log_end_offset());
    let _threads: Vec<_> = (0..THREADS)
        .map(|t| {
            let p = p.clone();
            let out = out.clone();
            std::thread::spawn(move || {
                let mut seed = first_seed + t;
                loop {
                    let a = match p.append(&seeded_batch(seed)) {
                        Ok(a) => a,
                        Err(e) => {
                            eprintln!("append failed: {e}");
                            std::process::exit(3);
                        }
                    };
                    let mut o = out.lock().unwrap();
                    writeln!(o, "ack {} {seed}", a.base_offset).unwrap();
                    o.flush().unwrap();
                    seed += THREADS;
                }
            })
        })
        .collect();
    // The appenders run until the parent kills the process.
    loop {
        std::thread::park();
    }
}

struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
}

fn verify(dir: &str, acked: &BTreeMap<i64, u64>) -> i64 {
    let p = open(dir);
    // Everything in the log is a valid batch and offsets are contiguous.
    let mut offset = 0;
    while offset < p.high_watermark() {
        let r = p.read(offset, 1 << 20).unwrap();
        assert!(!r.records.is_empty(), "gap at offset {offset}");
        for b in Batches::new(&r.records) {
            validate_batch(b.bytes()).unwrap();
            assert_eq!(b.base_offset(), offset, "offsets are contiguous");
            herald_log::decode_records(b.bytes()).unwrap();
            offset = b.next_offset();
        }
    }
    assert_eq!(offset, p.log_end_offset());
    // Every acknowledged batch is there, byte for byte.
    for (&off, &seed) in acked {
        let r = p.read(off, 1).unwrap();
        let h = BatchHeader::new(&r.records).unwrap();
        assert_eq!(h.base_offset(), off, "acknowledged batch at {off} lost");
        let expected = seeded_batch(seed);
        assert_eq!(
            &r.records[16..expected.len()],
            &expected[16..],
            "batch at {off} differs"
        );
    }
    let end = p.log_end_offset();
    drop(p); // no clean close: the next child recovers as after a crash
    end
}

fn parent() {
    let started = Instant::now();
    let dir = tempfile::tempdir().unwrap();
    let dir_str = dir.path().to_str().unwrap().to_owned();
    let exe = std::env::current_exe().unwrap();
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15
        ^ started.elapsed().as_nanos() as u64
        ^ u64::from(std::process::id()));
    let mut acked: BTreeMap<i64, u64> = BTreeMap::new();
    let mut next_seed = 1;
    let mut expected_end = 0;
    let mut total_acks = 0;
    for cycle in 0..CYCLES {
        let mut child = Command::new(&exe)
            .env("HERALD_CRASH_CHILD", &dir_str)
            .env("HERALD_CRASH_SEED", next_seed.to_string())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .unwrap();
        let stdout = child.stdout.take().unwrap();
        let lines = Arc::new(Mutex::new(Vec::new()));
        let collector = {
            let lines = lines.clone();
            std::thread::spawn(move || {
                for line in BufReader::new(stdout).lines() {
                    let Ok(line) = line else { break };
                    lines.lock().unwrap().push(line);
                }
            })
        };
        // Wait until the child opened the log, then let it run a random while.
        let deadline = Instant::now() + Duration::from_secs(20);
        while lines.lock().unwrap().is_empty() && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(1));
        }
        std::thread::sleep(Duration::from_millis(rng.next() % 60));
        child.kill().unwrap(); // SIGKILL
        child.wait().unwrap();
        collector.join().unwrap();
        let lines = lines.lock().unwrap();
        let ready: i64 = lines
            .first()
            .and_then(|l| l.strip_prefix("ready "))
            .expect("child reported readiness")
            .parse()
            .unwrap();
        assert_eq!(
            ready, expected_end,
            "cycle {cycle}: the child resumed at the recovered end"
        );
        let mut first_ack = None;
        for line in lines.iter().skip(1) {
            let mut parts = line.split(' ');
            // A line cut by the kill is not an acknowledgement.
            let (Some("ack"), Some(off), Some(seed), None) =
                (parts.next(), parts.next(), parts.next(), parts.next())
            else {
                continue;
            };
            let (Ok(off), Ok(seed)) = (off.parse::<i64>(), seed.parse::<u64>()) else {
                continue;
            };
            first_ack = Some(first_ack.map_or(off, |f: i64| f.min(off)));
            assert!(
                acked.insert(off, seed).is_none(),
                "offset {off} acknowledged twice"
            );
            total_acks += 1;
        }
        if let Some(first) = first_ack {
            assert_eq!(
                first, expected_end,
                "cycle {cycle}: appends continue at the log end"
            );
        }
        next_seed += 1_000_000;
        expected_end = verify(&dir_str, &acked);
    }
    assert!(
        total_acks > CYCLES,
        "the children made progress ({total_acks} acks)"
    );
    println!(
        "crash: {CYCLES} SIGKILL cycles, {total_acks} acknowledged appends verified in {:.1}s",
        started.elapsed().as_secs_f64()
    );
    println!("1 passed, 0 failed");
}

fn main() {
    match std::env::var("HERALD_CRASH_CHILD") {
        Ok(dir) => {
            let seed = std::env::var("HERALD_CRASH_SEED")
                .ok()
                .and_then(|s| s.parse().ok())
                .unwrap_or(1);
            child(&dir, seed);
        }
        Err(_) => parent(),
    }
}
