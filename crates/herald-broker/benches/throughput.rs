//! Produce throughput and latency over the network (librdkafka → broker →
//! herald-log) against the same appends made to herald-log directly.
//!
//! `cargo bench -p herald-broker --bench throughput` (set `HERALD_BENCH_RECORDS`
//! to change the default of 1,000,000 records per size).
//!
//! Both paths write one partition of a topic with the default flush policy
//! (`flush=always`: every acknowledged append is fsynced, group commit). The
//! network producer uses `acks=all` and librdkafka's default batching; the
//! direct path appends batches of the size librdkafka builds by default
//! (up to 10,000 records or 1 MB), one after the other from one thread.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::BTreeMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use herald_broker::{Broker, BrokerConfig, run};
use herald_log::{BatchBuilder, Log, LogOptions, Record};
use parking_lot::Mutex;
use rdkafka::ClientConfig;
use rdkafka::ClientContext;
use rdkafka::error::{KafkaError, RDKafkaErrorCode};
use rdkafka::producer::{BaseRecord, DeliveryResult, Producer, ProducerContext, ThreadedProducer};

/// Records per librdkafka batch by default (`batch.num.messages`).
const BATCH_RECORDS: usize = 10_000;
/// Bytes per librdkafka batch by default (`batch.size`).
const BATCH_BYTES: usize = 1_000_000;

struct Report {
    records: usize,
    bytes: usize,
    elapsed: Duration,
    /// Sorted latencies in microseconds.
    latencies: Vec<u64>,
}

impl Report {
    fn records_per_s(&self) -> f64 {
        self.records as f64 / self.elapsed.as_secs_f64()
    }
    fn mb_per_s(&self) -> f64 {
        self.bytes as f64 / self.elapsed.as_secs_f64() / 1e6
    }
    fn percentile(&self, p: f64) -> f64 {
        if self.latencies.is_empty() {
            return 0.0;
        }
        let i = ((self.latencies.len() - 1) as f64 * p).round() as usize;
        self.latencies[i] as f64 / 1000.0
    }
    fn print(&self, label: &str, latency_of: &str) {
        println!(
            "{label:<28} {:>12.0} records/s {:>9.1} MB/s   {latency_of} p50 {:>8.2} ms  p99 {:>8.2} ms",
            self.records_per_s(),
            self.mb_per_s(),
            self.percentile(0.50),
            self.percentile(0.99)
        );
    }
}

/// Counts deliveries and records each record's send-to-ack latency.
struct Latency {
    start: Instant,
    latencies: Mutex<Vec<u64>>,
    delivered: AtomicUsize,
    failed: AtomicUsize,
}

/// The producer's context: a handle on the shared [`Latency`].
struct Ctx(Arc<Latency>);

impl ClientContext for Ctx {}

impl ProducerContext for Ctx {
    type DeliveryOpaque = Box<u64>;

    fn delivery(&self, result: &DeliveryResult<'_>, sent_at_us: Self::DeliveryOpaque) {
        let l = &self.0;
        if result.is_err() {
            l.failed.fetch_add(1, Ordering::Relaxed);
        }
        let now = l.start.elapsed().as_micros() as u64;
        l.latencies.lock().push(now.saturating_sub(*sent_at_us));
        l.delivered.fetch_add(1, Ordering::Release);
    }
}

fn network(runtime: &tokio::runtime::Runtime, records: usize, size: usize) -> Report {
    let dir = tempfile::tempdir().unwrap();
    let log = Arc::new(Log::open(dir.path(), LogOptions::default()).unwrap());
    log.create_topic("bench", 1, &BTreeMap::new()).unwrap();
    let listener = runtime
        .block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))
        .unwrap();
    let addr = listener.local_addr().unwrap();
    let broker = Arc::new(Broker::new(BrokerConfig::default(), log.clone(), addr));
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let server = runtime.spawn(run(listener, broker, async {
        let _ = stopped.await;
    }));

    let ctx = Arc::new(Latency {
        start: Instant::now(),
        latencies: Mutex::new(Vec::with_capacity(records)),
        delivered: AtomicUsize::new(0),
        failed: AtomicUsize::new(0),
    });
    let producer: ThreadedProducer<Ctx> = ClientConfig::new()
        .set("bootstrap.servers", addr.to_string())
        .set("acks", "all")
        .create_with_context(Ctx(ctx.clone()))
        .unwrap();
    let payload = vec![b'x'; size];
    // Warm up the connection and metadata outside the measurement.
    producer
        .send(BaseRecord::<(), _, _>::with_opaque_to("bench", Box::new(0)).payload(&payload[..1]))
        .map_err(|(e, _)| e)
        .unwrap();
    producer.flush(Duration::from_secs(30)).unwrap();
    ctx.latencies.lock().clear();
    let already = ctx.delivered.load(Ordering::Acquire);

    let started = Instant::now();
    for _ in 0..records {
        let mut record = BaseRecord::<(), _, _>::with_opaque_to(
            "bench",
            Box::new(ctx.start.elapsed().as_micros() as u64),
        )
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
    let elapsed = started.elapsed();
    assert_eq!(ctx.delivered.load(Ordering::Acquire) - already, records);
    assert_eq!(ctx.failed.load(Ordering::Relaxed), 0, "failed deliveries");
    drop(producer);
    let _ = stop.send(());
    runtime.block_on(server).unwrap();
    log.shutdown().unwrap();
    let mut latencies = std::mem::take(&mut *ctx.latencies.lock());
    latencies.sort_unstable();
    Report {
        records,
        bytes: records * size,
        elapsed,
        latencies,
    }
}

fn direct(records: usize, size: usize) -> Report {
    let dir = tempfile::tempdir().unwrap();
    let log = Log::open(dir.path(), LogOptions::default()).unwrap();
    log.create_topic("bench", 1, &BTreeMap::new()).unwrap();
    let partition = log.partition("bench", 0).unwrap();
    let per_batch = BATCH_RECORDS.min((BATCH_BYTES / (size + 16)).max(1));
    // Batches are built before the clock starts: a producer builds them on
    // its side of the connection too.
    let batches: Vec<Vec<u8>> = (0..records.div_ceil(per_batch))
        .map(|b| {
            let n = per_batch.min(records - b * per_batch);
            let mut builder = BatchBuilder::new(1_700_000_000_000);
            for _ in 0..n {
                builder.push(Record::new(None, Some(vec![b'x'; size])));
            }
            builder.build()
        })
        .collect();
    let mut latencies = Vec::with_capacity(batches.len());
    let started = Instant::now();
    for batch in &batches {
        let t = Instant::now();
        partition.append(batch).unwrap();
        latencies.push(t.elapsed().as_micros() as u64);
    }
    let elapsed = started.elapsed();
    assert_eq!(partition.high_watermark(), records as i64);
    log.shutdown().unwrap();
    latencies.sort_unstable();
    Report {
        records,
        bytes: records * size,
        elapsed,
        latencies,
    }
}

fn main() {
    // `cargo bench` passes `--bench`; a filter argument is not supported.
    let records: usize = std::env::var("HERALD_BENCH_RECORDS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1_000_000);
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    println!(
        "herald-broker produce throughput, {records} records per size, acks=all, flush=always"
    );
    for size in [100usize, 1024] {
        let net = network(&runtime, records, size);
        let log = direct(records, size);
        net.print(&format!("network {size} B (rdkafka)"), "per-record ack");
        log.print(
            &format!("direct  {size} B (herald-log)"),
            "per-batch append",
        );
        println!(
            "network / direct: {:.0} % of the direct log throughput",
            100.0 * net.records_per_s() / log.records_per_s()
        );
    }
}
