//! Queue throughput over share groups: 1, 4 and 16 share consumers on one
//! single-partition topic, every record acknowledged individually (one
//! ACCEPT batch per record, sent with ShareAcknowledge after each poll and
//! confirmed durable by the broker), while librdkafka produces 100-byte
//! records (`acks=all`) at full speed.
//!
//! `cargo bench -p herald-broker --bench share_queue` (set
//! `HERALD_BENCH_RECORDS` to change the default of 1,000,000 records per
//! run, `HERALD_BENCH_CONSUMERS` to e.g. `1,4`, `HERALD_BENCH_RATE` to
//! produce at that many records/s instead of as fast as possible).
//!
//! Reported per run: records/s from the first send to the last confirmed
//! acceptance, and the time from a record's send to its confirmed
//! acceptance (p50, p99). Producing and consuming overlap, so when the
//! consumers are slower than the producer the latency includes the backlog
//! they work through; with `HERALD_BENCH_RATE` below what the consumers
//! sustain it is the latency of a queue that keeps up. The share client is the test-only one of
//! `tests/share_common`: herald-broker does not depend on herald-client,
//! so the SDK's `ShareConsumer` is not used here.
#![allow(clippy::unwrap_used, clippy::expect_used)]

#[path = "../tests/integration/common/mod.rs"]
mod common;
#[path = "../tests/integration/share_common/mod.rs"]
mod share_common;

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use herald_broker::{Broker, BrokerConfig, run};
use herald_log::{Log, LogOptions};
use parking_lot::Mutex;
use rdkafka::ClientConfig;
use rdkafka::error::{KafkaError, RDKafkaErrorCode};
use rdkafka::producer::{BaseRecord, Producer, ThreadedProducer};
use share_common::{ACCEPT, ShareClient};

const SIZE: usize = 100;
const TOPIC: &str = "queue";

struct Report {
    consumers: usize,
    records: usize,
    elapsed: Duration,
    /// Sorted send-to-accept latencies in microseconds.
    latencies: Vec<u64>,
}

impl Report {
    fn percentile(&self, p: f64) -> f64 {
        if self.latencies.is_empty() {
            return 0.0;
        }
        let i = ((self.latencies.len() - 1) as f64 * p).round() as usize;
        self.latencies[i] as f64 / 1000.0
    }

    fn print(&self) {
        println!(
            "{:>2} share consumers {:>10} records {:>10.0} records/s   produce→accept p50 {:>9.2} ms  p99 {:>9.2} ms",
            self.consumers,
            self.records,
            self.records as f64 / self.elapsed.as_secs_f64(),
            self.percentile(0.50),
            self.percentile(0.99),
        );
    }
}

fn run_once(
    runtime: &tokio::runtime::Runtime,
    consumers: usize,
    records: usize,
    rate: Option<u64>,
) -> Report {
    let dir = tempfile::tempdir().unwrap();
    let log = Arc::new(Log::open(dir.path(), LogOptions::default()).unwrap());
    log.create_topic(TOPIC, 1, &BTreeMap::new()).unwrap();
    let listener = runtime
        .block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))
        .unwrap();
    let addr = listener.local_addr().unwrap();
    let broker = Arc::new(Broker::new(BrokerConfig::default(), log.clone(), addr));
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let server = runtime.spawn(run(listener, broker, async {
        let _ = stopped.await;
    }));

    let start = Instant::now();
    let accepted = Arc::new(AtomicUsize::new(0));
    let latencies = Arc::new(Mutex::new(Vec::with_capacity(records)));
    let clients: Vec<ShareClient> = runtime.block_on(async {
        let mut clients = Vec::new();
        for i in 0..consumers {
            clients.push(ShareClient::join(addr, "bench", &format!("c{i}"), &[TOPIC]).await);
        }
        for c in &mut clients {
            c.heartbeat().await;
        }
        clients
    });
    let tasks: Vec<_> = clients
        .into_iter()
        .map(|mut c| {
            let accepted = accepted.clone();
            let latencies = latencies.clone();
            runtime.spawn(async move {
                let mut mine = Vec::new();
                let mut last_beat = Instant::now();
                while accepted.load(Ordering::Acquire) < records {
                    let polled = c.poll(500, 100).await;
                    assert_eq!(polled.error, 0, "fetch failed");
                    if last_beat.elapsed() > Duration::from_secs(2) {
                        c.heartbeat().await;
                        last_beat = Instant::now();
                    }
                    if polled.deliveries.is_empty() {
                        continue;
                    }
                    let mut sent_at: HashMap<i64, u64> = HashMap::new();
                    for d in &polled.deliveries {
                        let value = d.value.as_deref().unwrap_or_default();
                        let mut ts = [0u8; 8];
                        ts.copy_from_slice(&value[..8]);
                        sent_at.insert(d.offset, u64::from_be_bytes(ts));
                        c.ack(d, ACCEPT);
                    }
                    let done = c.commit(false).await;
                    assert!(done.refused.is_empty(), "acks refused: {:?}", done.refused);
                    let now = start.elapsed().as_micros() as u64;
                    for (_, _, offset, _) in &done.confirmed {
                        if let Some(t) = sent_at.get(offset) {
                            mine.push(now.saturating_sub(*t));
                        }
                    }
                    accepted.fetch_add(done.confirmed.len(), Ordering::AcqRel);
                }
                latencies.lock().extend(mine);
                c.commit(true).await;
                c.leave().await;
            })
        })
        .collect();

    let producer: ThreadedProducer<rdkafka::producer::DefaultProducerContext> = ClientConfig::new()
        .set("bootstrap.servers", addr.to_string())
        .set("acks", "all")
        .create()
        .unwrap();
    let began = Instant::now();
    let mut payload = [b'x'; SIZE];
    for i in 0..records {
        if let Some(rate) = rate
            && i % 100 == 0
        {
            let due = began + Duration::from_secs_f64(i as f64 / rate as f64);
            if let Some(ahead) = due.checked_duration_since(Instant::now()) {
                std::thread::sleep(ahead);
            }
        }
        let at = start.elapsed().as_micros() as u64;
        payload[..8].copy_from_slice(&at.to_be_bytes());
        let mut record = BaseRecord::<(), _>::to(TOPIC)
            .partition(0)
            .payload(&payload[..]);
        loop {
            match producer.send(record) {
                Ok(()) => break,
                Err((KafkaError::MessageProduction(RDKafkaErrorCode::QueueFull), r)) => {
                    record = r;
                    std::thread::sleep(Duration::from_micros(200));
                }
                Err((e, _)) => panic!("send: {e}"),
            }
        }
    }
    producer.flush(Duration::from_secs(300)).unwrap();
    let produced_in = began.elapsed();
    for t in tasks {
        runtime.block_on(t).unwrap();
    }
    let elapsed = began.elapsed();
    eprintln!(
        "  ({consumers} consumers: produced {records} in {:.1} s, all accepted after {:.1} s)",
        produced_in.as_secs_f64(),
        elapsed.as_secs_f64()
    );
    drop(producer);
    let _ = stop.send(());
    runtime.block_on(server).unwrap();
    log.shutdown().unwrap();
    let mut latencies = std::mem::take(&mut *latencies.lock());
    latencies.sort_unstable();
    assert_eq!(
        accepted.load(Ordering::Acquire),
        records,
        "every record accepted once"
    );
    Report {
        consumers,
        records,
        elapsed,
        latencies,
    }
}

fn main() {
    // `cargo bench` passes `--bench`; `cargo test --benches` does not: run
    // a tiny smoke version then.
    let benching = std::env::args().any(|a| a == "--bench");
    let records: usize = std::env::var("HERALD_BENCH_RECORDS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(if benching { 1_000_000 } else { 2_000 });
    let consumers: Vec<usize> = std::env::var("HERALD_BENCH_CONSUMERS")
        .ok()
        .map(|v| v.split(',').filter_map(|n| n.trim().parse().ok()).collect())
        .unwrap_or_else(|| vec![1, 4, 16]);
    let rate: Option<u64> = std::env::var("HERALD_BENCH_RATE")
        .ok()
        .and_then(|v| v.parse().ok())
        .filter(|r| *r > 0);
    if let Some(rate) = rate {
        println!("producing at {rate} records/s");
    }
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    for n in consumers {
        run_once(&runtime, n, records, rate).print();
    }
}
