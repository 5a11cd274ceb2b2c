//! Produce throughput and latency over the network (librdkafka → broker →
//! herald-log) against the same appends made to herald-log directly.
//!
//! `cargo bench -p herald-broker --bench throughput`. Knobs for profiling:
//! `HERALD_BENCH_RECORDS` (default 1,000,000 records per size),
//! `HERALD_BENCH_SIZES` (comma-separated record sizes, default `100,1024`),
//! `HERALD_BENCH_PATHS` (comma-separated, of `rdkafka`, `preencoded` and
//! `direct`; default all three).
//!
//! Both paths write one partition of a topic with the default flush policy
//! (`flush=always`: every acknowledged append is fsynced, group commit), in
//! batches of the same shape: what a high-throughput Kafka producer sends.
//! The network producer (librdkafka) is configured explicitly, with the
//! values librdkafka and the Java client use by default where they agree:
//! - `acks=all`, no idempotence (the acks=all figure; idempotence
//!   costs the broker a sequence check per batch, measured elsewhere);
//! - `linger.ms=5` (both clients' default since Kafka 4), `batch.size=1000000`
//!   and `batch.num.messages=10000` (librdkafka's defaults): a batch holds
//!   at most about 1 MB (~9,000 records of 100 B, ~960 of 1 KiB). librdkafka
//!   sends a batch once `linger.ms` has passed since its first record, so at
//!   100 B its requests carry fewer records than that (5,000 to 6,500 in our
//!   runs, printed per run); the direct rows keep the full limit, which
//!   favours them (fewer, larger fsyncs), rather than copying whatever shape
//!   the client happened to send;
//! - `compression.type=none`: both paths store the same uncompressed bytes;
//! - `max.in.flight.requests.per.connection=5` (the Java client's default and
//!   the most an idempotent producer may use), so the broker's group commit
//!   is measured with the pipeline depth real producers have.
//!
//! Rows, per record size:
//! - `network (rdkafka)`: one librdkafka producer sends the records one by
//!   one (`send` per record, a delivery callback per record on the
//!   producer's polling thread); its latency is each record's, from `send`
//!   to its delivery report, so it includes librdkafka's queue.
//! - `network (pre-encoded)`: the same batches the direct rows append, each
//!   sent as one acks=all Produce request over one connection, 5 in flight:
//!   what the broker costs without librdkafka's per-record client work.
//! - `direct (herald-log)`: those pre-encoded batches appended from one
//!   thread, each append waiting for its fsync.
//! - `direct (encode+log)`: the same, but each batch is encoded on the clock
//!   with herald-log's `BatchBuilder` from records in memory.
//!
//! Batches are the same shape on every row (records of the same encoding, up
//! to 10,000 records or 1,000,000 bytes per batch); for the rdkafka row the
//! records per Produce request come from librdkafka's statistics, so a run
//! where it sent smaller batches than the direct rows is visible. Like for
//! like are rdkafka vs encode+log (both encode records on the clock) and
//! pre-encoded vs herald-log (neither does); all three ratios are printed.
//! Each row also prints CPU per record split between client and broker
//! threads (from `/proc`, so the machine's load does not distort it as it
//! distorts records/s) and the fdatasync calls made: fewer than the batches
//! when pipelined requests share a group commit.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::BTreeMap;
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use bytes::{Bytes, BytesMut};
use herald_broker::{Broker, BrokerConfig, run};
use herald_log::{BatchBuilder, Log, LogOptions, Record};
use kafka_protocol::messages::produce_request::{PartitionProduceData, TopicProduceData};
use kafka_protocol::messages::{
    ApiKey, ProduceRequest, ProduceResponse, RequestHeader, ResponseHeader, TopicName,
};
use kafka_protocol::protocol::{Decodable, Encodable, StrBytes, encode_request_header_into_buffer};
use parking_lot::Mutex;
use rdkafka::ClientConfig;
use rdkafka::ClientContext;
use rdkafka::error::{KafkaError, RDKafkaErrorCode};
use rdkafka::producer::{BaseRecord, DeliveryResult, Producer, ProducerContext, ThreadedProducer};

/// Records per batch at most (librdkafka's `batch.num.messages`).
const BATCH_RECORDS: usize = 10_000;
/// Bytes per batch at most (librdkafka's `batch.size`).
const BATCH_BYTES: usize = 1_000_000;

/// CPU time per thread of this process, from `/proc/self/task/*/stat`
/// (utime + stime, in USER_HZ ticks of 10 ms), keyed by thread id with the
/// thread's name. Used to split a run's CPU between the client (librdkafka's
/// threads and the sending main thread) and the broker (tokio workers and
/// blocking threads, herald-log's maintenance thread), which the machine's
/// load does not distort the way it does wall-clock throughput.
fn thread_cpu() -> BTreeMap<u64, (String, u64)> {
    let mut out = BTreeMap::new();
    let Ok(tasks) = std::fs::read_dir("/proc/self/task") else {
        return out;
    };
    for task in tasks.flatten() {
        let Ok(tid) = task.file_name().to_string_lossy().parse::<u64>() else {
            continue;
        };
        let (Ok(stat), Ok(comm)) = (
            std::fs::read_to_string(task.path().join("stat")),
            std::fs::read_to_string(task.path().join("comm")),
        ) else {
            continue;
        };
        // Fields after the parenthesised name: state is field 3, utime 14, stime 15.
        let Some(rest) = stat.rsplit_once(')').map(|(_, r)| r) else {
            continue;
        };
        let fields: Vec<&str> = rest.split_whitespace().collect();
        let ticks = |i: usize| fields.get(i - 3).and_then(|f| f.parse::<u64>().ok());
        if let (Some(u), Some(s)) = (ticks(14), ticks(15)) {
            out.insert(tid, (comm.trim().to_string(), u + s));
        }
    }
    out
}

/// CPU seconds used between two [`thread_cpu`] snapshots: (client, broker).
fn cpu_split(
    before: &BTreeMap<u64, (String, u64)>,
    after: &BTreeMap<u64, (String, u64)>,
) -> (f64, f64) {
    let (mut client, mut broker) = (0u64, 0u64);
    for (tid, (name, ticks)) in after {
        let used = ticks - before.get(tid).map_or(0, |(_, t)| *t).min(*ticks);
        if name.starts_with("tokio") || name.starts_with("herald-log") {
            broker += used;
        } else {
            client += used;
        }
    }
    (client as f64 / 100.0, broker as f64 / 100.0)
}

struct Report {
    records: usize,
    bytes: usize,
    elapsed: Duration,
    /// Sorted latencies in microseconds.
    latencies: Vec<u64>,
    /// Records per batch written (for the network path: per Produce
    /// request, from librdkafka's statistics; 0 if they did not arrive).
    per_batch: f64,
    /// CPU seconds used by (client, broker) during the run; the direct path
    /// has no broker and counts its appending thread as the client.
    cpu: (f64, f64),
    /// fdatasync calls the partition made during the run (group commit:
    /// fewer than the batches when appends wait for their fsyncs together).
    fsyncs: u64,
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
        let us_per_record = |secs: f64| secs * 1e6 / self.records as f64;
        println!(
            "{label:<28} {:>10.0} records/s {:>7.1} MB/s  {:>6.0} records/batch  {latency_of} p50 {:>7.2} ms  p99 {:>7.2} ms",
            self.records_per_s(),
            self.mb_per_s(),
            self.per_batch,
            self.percentile(0.50),
            self.percentile(0.99)
        );
        println!(
            "{:<28} CPU per record: client {:.2} us, broker {:.2} us; {} fsyncs for {:.0} batches",
            "",
            us_per_record(self.cpu.0),
            us_per_record(self.cpu.1),
            self.fsyncs,
            self.records as f64 / self.per_batch.max(1.0)
        );
    }
}

/// Counts deliveries and records each record's send-to-ack latency.
struct Latency {
    start: Instant,
    latencies: Mutex<Vec<u64>>,
    delivered: AtomicUsize,
    failed: AtomicUsize,
    /// The latest librdkafka statistics: (Produce requests, records sent).
    sent: Mutex<Option<(i64, i64)>>,
}

/// The producer's context: a handle on the shared [`Latency`].
struct Ctx(Arc<Latency>);

impl ClientContext for Ctx {
    fn stats(&self, stats: rdkafka::Statistics) {
        let requests = stats
            .brokers
            .values()
            .filter_map(|b| b.req.get("Produce"))
            .sum();
        *self.0.sent.lock() = Some((requests, stats.txmsgs));
    }
}

impl ProducerContext for Ctx {
    /// The send time in microseconds since [`Latency::start`]: a plain
    /// integer, so measuring costs no allocation per record.
    type DeliveryOpaque = usize;

    fn delivery(&self, result: &DeliveryResult<'_>, sent_at_us: Self::DeliveryOpaque) {
        let l = &self.0;
        if result.is_err() {
            l.failed.fetch_add(1, Ordering::Relaxed);
        }
        let now = l.start.elapsed().as_micros() as u64;
        l.latencies
            .lock()
            .push(now.saturating_sub(sent_at_us as u64));
        l.delivered.fetch_add(1, Ordering::Release);
    }
}

/// A broker over a fresh log with the topic `bench` (one partition).
struct BenchBroker {
    _dir: tempfile::TempDir,
    log: Arc<Log>,
    addr: SocketAddr,
    stop: tokio::sync::oneshot::Sender<()>,
    server: tokio::task::JoinHandle<()>,
}

impl BenchBroker {
    fn start(runtime: &tokio::runtime::Runtime) -> Self {
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
        BenchBroker {
            _dir: dir,
            log,
            addr,
            stop,
            server,
        }
    }

    fn sync_count(&self) -> u64 {
        self.log.partition("bench", 0).unwrap().sync_count()
    }

    fn stop(self, runtime: &tokio::runtime::Runtime) {
        let _ = self.stop.send(());
        runtime.block_on(self.server).unwrap();
        self.log.shutdown().unwrap();
    }
}

fn network(runtime: &tokio::runtime::Runtime, records: usize, size: usize) -> Report {
    let broker = BenchBroker::start(runtime);
    let addr = broker.addr;

    let ctx = Arc::new(Latency {
        start: Instant::now(),
        latencies: Mutex::new(Vec::with_capacity(records)),
        delivered: AtomicUsize::new(0),
        failed: AtomicUsize::new(0),
        sent: Mutex::new(None),
    });
    // See the crate doc for why these values.
    let producer: ThreadedProducer<Ctx> = ClientConfig::new()
        .set("bootstrap.servers", addr.to_string())
        .set("acks", "all")
        .set("enable.idempotence", "false")
        .set("linger.ms", "5")
        .set("batch.size", BATCH_BYTES.to_string())
        .set("batch.num.messages", BATCH_RECORDS.to_string())
        .set("compression.type", "none")
        .set("max.in.flight.requests.per.connection", "5")
        .set("statistics.interval.ms", "200")
        .create_with_context(Ctx(ctx.clone()))
        .unwrap();
    let payload = vec![b'x'; size];
    // Warm up the connection and metadata outside the measurement.
    producer
        .send(BaseRecord::<(), _, _>::with_opaque_to("bench", 0).payload(&payload[..1]))
        .map_err(|(e, _)| e)
        .unwrap();
    producer.flush(Duration::from_secs(30)).unwrap();
    ctx.latencies.lock().clear();
    let already = ctx.delivered.load(Ordering::Acquire);

    let syncs_before = broker.sync_count();
    let cpu_before = thread_cpu();
    let started = Instant::now();
    for _ in 0..records {
        let mut record = BaseRecord::<(), _, _>::with_opaque_to(
            "bench",
            ctx.start.elapsed().as_micros() as usize,
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
    let cpu = cpu_split(&cpu_before, &thread_cpu());
    let fsyncs = broker.sync_count() - syncs_before;
    assert_eq!(ctx.delivered.load(Ordering::Acquire) - already, records);
    assert_eq!(ctx.failed.load(Ordering::Relaxed), 0, "failed deliveries");
    // Statistics arrive every 200 ms; wait for a set taken after the flush.
    *ctx.sent.lock() = None;
    let deadline = Instant::now() + Duration::from_secs(5);
    while ctx.sent.lock().is_none() && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(20));
    }
    // The warm-up request and record are in the totals; negligible.
    let per_batch = ctx
        .sent
        .lock()
        .map_or(0.0, |(requests, msgs)| msgs as f64 / requests.max(1) as f64);
    drop(producer);
    broker.stop(runtime);
    let mut latencies = std::mem::take(&mut *ctx.latencies.lock());
    latencies.sort_unstable();
    Report {
        records,
        bytes: records * size,
        elapsed,
        latencies,
        per_batch,
        cpu,
        fsyncs,
    }
}

/// Produce requests a pre-encoded client keeps in flight, like the librdkafka
/// producer (`max.in.flight.requests.per.connection=5`).
const RAW_IN_FLIGHT: usize = 5;
/// The Produce version the pre-encoded client speaks (flexible, topics by name).
const RAW_PRODUCE_VERSION: i16 = 9;

/// The network path without librdkafka's per-record client work: the
/// batches the direct path appends, each sent as one acks=all Produce
/// request over one connection, [`RAW_IN_FLIGHT`] in flight, as a producer
/// with a full accumulator sends them. What this measures is the broker:
/// framing, decoding, validation, append, group commit and the responses.
/// The latency is each request's, from its send to its response.
fn network_preencoded(
    runtime: &tokio::runtime::Runtime,
    batches: &[Bytes],
    records: usize,
    size: usize,
) -> Report {
    let broker = BenchBroker::start(runtime);
    let stream = TcpStream::connect(broker.addr).unwrap();
    stream.set_nodelay(true).unwrap();
    let mut reader = stream.try_clone().unwrap();
    let mut writer = stream;
    // A slot per request in flight, returned by the reader on each response;
    // the send times travel in order along with the requests.
    let (slot_tx, slot_rx) = std::sync::mpsc::sync_channel::<()>(RAW_IN_FLIGHT);
    for _ in 0..RAW_IN_FLIGHT {
        slot_tx.send(()).unwrap();
    }
    let (sent_tx, sent_rx) = std::sync::mpsc::channel::<(i32, Instant, usize)>();
    let topic = TopicName(StrBytes::from_static_str("bench"));
    let syncs_before = broker.sync_count();
    let cpu_before = thread_cpu();
    let started = Instant::now();
    std::thread::scope(|scope| {
        let reading = std::thread::Builder::new()
            .name("bench-raw-reader".into())
            .spawn_scoped(scope, move || {
                let mut latencies = Vec::with_capacity(batches.len());
                let mut acked = 0usize;
                for (correlation_id, sent_at, count) in sent_rx {
                    let mut len = [0u8; 4];
                    reader.read_exact(&mut len).unwrap();
                    let mut frame = vec![0u8; u32::from_be_bytes(len) as usize];
                    reader.read_exact(&mut frame).unwrap();
                    let mut frame = Bytes::from(frame);
                    let key = ApiKey::Produce;
                    let header = ResponseHeader::decode(
                        &mut frame,
                        key.response_header_version(RAW_PRODUCE_VERSION),
                    )
                    .unwrap();
                    assert_eq!(header.correlation_id, correlation_id);
                    let response =
                        ProduceResponse::decode(&mut frame, RAW_PRODUCE_VERSION).unwrap();
                    let partition = &response.responses[0].partition_responses[0];
                    assert_eq!(partition.error_code, 0, "produce failed: {partition:?}");
                    latencies.push(sent_at.elapsed().as_micros() as u64);
                    acked += count;
                    let _ = slot_tx.send(());
                }
                (latencies, acked)
            })
            .unwrap();
        let key = ApiKey::Produce;
        let mut buf = BytesMut::new();
        for (i, batch) in batches.iter().enumerate() {
            slot_rx.recv().unwrap();
            let correlation_id = i as i32;
            let request = ProduceRequest::default()
                .with_acks(-1)
                .with_timeout_ms(30_000)
                .with_topic_data(vec![
                    TopicProduceData::default()
                        .with_name(topic.clone())
                        .with_partition_data(vec![
                            PartitionProduceData::default()
                                .with_index(0)
                                .with_records(Some(batch.clone())),
                        ]),
                ]);
            let header = RequestHeader::default()
                .with_request_api_key(key as i16)
                .with_request_api_version(RAW_PRODUCE_VERSION)
                .with_correlation_id(correlation_id)
                .with_client_id(Some(StrBytes::from_static_str("bench-raw")));
            buf.clear();
            buf.extend_from_slice(&[0; 4]);
            encode_request_header_into_buffer(&mut buf, &header).unwrap();
            request.encode(&mut buf, RAW_PRODUCE_VERSION).unwrap();
            let len = u32::try_from(buf.len() - 4).unwrap();
            buf[..4].copy_from_slice(&len.to_be_bytes());
            let count = herald_log::BatchHeader::new(batch).unwrap().record_count() as usize;
            sent_tx
                .send((correlation_id, Instant::now(), count))
                .unwrap();
            writer.write_all(&buf).unwrap();
        }
        drop(sent_tx);
        let (latencies, acked) = reading.join().unwrap();
        assert_eq!(acked, records);
        let elapsed = started.elapsed();
        let cpu = cpu_split(&cpu_before, &thread_cpu());
        let fsyncs = broker.sync_count() - syncs_before;
        broker.stop(runtime);
        let mut latencies = latencies;
        latencies.sort_unstable();
        Report {
            records,
            bytes: records * size,
            elapsed,
            latencies,
            per_batch: records_per_batch(size) as f64,
            cpu,
            fsyncs,
        }
    })
}

/// `records` records of `size` bytes in batches of [`records_per_batch`],
/// encoded as a producer sends them. Built before any clock starts, for the
/// direct path and the pre-encoded network path alike.
fn build_batches(records: usize, size: usize) -> Vec<Bytes> {
    let per_batch = records_per_batch(size);
    (0..records.div_ceil(per_batch))
        .map(|b| {
            let n = per_batch.min(records - b * per_batch);
            let mut builder = BatchBuilder::new(1_700_000_000_000);
            for _ in 0..n {
                builder.push(Record::new(None, Some(vec![b'x'; size])));
            }
            Bytes::from(builder.build())
        })
        .collect()
}

/// Appends to herald-log directly from one thread, each append waiting for
/// its fsync. With `encode`, each batch is also encoded on the clock (with
/// herald-log's `BatchBuilder`, from records in memory), as librdkafka does
/// on the clock for the rdkafka row; without, the pre-encoded `batches` are
/// appended as they are, as the pre-encoded network row sends them.
fn direct(batches: &[Bytes], records: usize, size: usize, encode: bool) -> Report {
    let dir = tempfile::tempdir().unwrap();
    let log = Log::open(dir.path(), LogOptions::default()).unwrap();
    log.create_topic("bench", 1, &BTreeMap::new()).unwrap();
    let partition = log.partition("bench", 0).unwrap();
    let per_batch = records_per_batch(size);
    let mut latencies = Vec::with_capacity(batches.len());
    let cpu_before = thread_cpu();
    let started = Instant::now();
    let payload = vec![b'x'; size];
    let syncs_before = partition.sync_count();
    for batch in batches {
        let t = Instant::now();
        if encode {
            let count = herald_log::BatchHeader::new(batch).unwrap().record_count();
            let mut builder = BatchBuilder::new(1_700_000_000_000);
            for _ in 0..count {
                builder.push(Record::new(None, Some(payload.clone())));
            }
            partition.append(&builder.build()).unwrap();
        } else {
            partition.append(batch).unwrap();
        }
        latencies.push(t.elapsed().as_micros() as u64);
    }
    let elapsed = started.elapsed();
    let cpu = cpu_split(&cpu_before, &thread_cpu());
    let fsyncs = partition.sync_count() - syncs_before;
    assert_eq!(partition.high_watermark(), records as i64);
    log.shutdown().unwrap();
    latencies.sort_unstable();
    Report {
        records,
        bytes: records * size,
        elapsed,
        latencies,
        per_batch: per_batch as f64,
        cpu,
        fsyncs,
    }
}

/// How many records of `size` bytes fill a batch under the librdkafka
/// limits: measured on the batch encoding itself (a record's varints grow
/// with its offset delta, so the last record's size is the one that counts).
fn records_per_batch(size: usize) -> usize {
    let encoded = |n: usize| {
        let mut b = BatchBuilder::new(1_700_000_000_000);
        for _ in 0..n {
            b.push(Record::new(None, Some(vec![b'x'; size])));
        }
        b.build().len()
    };
    let mut n = BATCH_RECORDS;
    while n > 1 && encoded(n) > BATCH_BYTES {
        // Shrink in proportion, then settle one record at a time.
        let shrunk = n * BATCH_BYTES / encoded(n);
        n = if shrunk < n { shrunk.max(1) } else { n - 1 };
    }
    n
}

fn main() {
    // `cargo bench` passes `--bench`; a filter argument is not supported.
    let records: usize = std::env::var("HERALD_BENCH_RECORDS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1_000_000);
    let sizes: Vec<usize> = std::env::var("HERALD_BENCH_SIZES")
        .ok()
        .map(|v| v.split(',').filter_map(|s| s.trim().parse().ok()).collect())
        .unwrap_or_else(|| vec![100, 1024]);
    let paths = std::env::var("HERALD_BENCH_PATHS")
        .unwrap_or_else(|_| "rdkafka,preencoded,direct".to_string());
    let runs = |path: &str| paths.split(',').any(|p| p.trim() == path);
    let (run_rdkafka, run_preencoded, run_direct) =
        (runs("rdkafka"), runs("preencoded"), runs("direct"));
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    println!(
        "herald-broker produce throughput, {records} records per size, acks=all, flush=always"
    );
    for size in sizes {
        let batches = build_batches(records, size);
        let net = run_rdkafka.then(|| network(&runtime, records, size));
        let raw = run_preencoded.then(|| network_preencoded(&runtime, &batches, records, size));
        let log = run_direct.then(|| direct(&batches, records, size, false));
        let log_encoding = run_direct.then(|| direct(&batches, records, size, true));
        drop(batches);
        if let Some(net) = &net {
            net.print(&format!("network {size} B (rdkafka)"), "per-record ack");
        }
        if let Some(raw) = &raw {
            raw.print(
                &format!("network {size} B (pre-encoded)"),
                "per-request ack",
            );
        }
        if let Some(log) = &log {
            log.print(
                &format!("direct  {size} B (herald-log)"),
                "per-batch append",
            );
        }
        if let Some(log) = &log_encoding {
            log.print(
                &format!("direct  {size} B (encode+log)"),
                "per-batch append",
            );
        }
        let ratios = [
            (
                "rdkafka / encode+log (both encode on the clock)",
                &net,
                &log_encoding,
            ),
            ("pre-encoded / herald-log (neither encodes)", &raw, &log),
            (
                "rdkafka / herald-log (only the network side encodes)",
                &net,
                &log,
            ),
        ];
        for (label, network, direct) in ratios {
            if let (Some(network), Some(direct)) = (network, direct) {
                println!(
                    "  {:>4.0} %  {label}",
                    100.0 * network.records_per_s() / direct.records_per_s()
                );
            }
        }
    }
}
