//! Produce and consume typed Avro records through herald-client and through
//! librdkafka (`rdkafka`), in one run against the same in-process broker
//! and registry.
//!
//! `cargo bench -p herald-e2e --bench typed_throughput` (set
//! `HERALD_BENCH_RECORDS` to change the default of 1,000,000 records).
//!
//! Every producer writes the same 10-field record in the same Confluent
//! framing (magic byte, schema id, Avro datum encoded with `serde_avro_fast`)
//! to a one-partition topic of its own, with `acks=all`, idempotence on, no
//! compression and `linger.ms=5`. Batches: herald-client's defaults
//! (`batch.size` 1 MiB, `buffer.memory` 64 MiB) for both confluent-kafka
//! based producers, librdkafka's defaults (`batch.size` 1,000,000 bytes,
//! `batch.num.messages` 10,000) for rdkafka. Three produce runs:
//! - herald-client: `Producer<T>::submit` with up to 50,000 records awaiting
//!   their acknowledgement; the SDK also stamps a UUIDv7 `message-id` header
//!   on each record, which the other two do not;
//! - confluent-kafka: the crate herald-client wraps, on its own (same
//!   properties, same window, pre-framed bytes), to show what the wrapper
//!   costs and what the underlying client can do;
//! - rdkafka: a `ThreadedProducer` counting deliveries.
//!
//! Then a group-less herald-client `Consumer<T>` from the earliest offset that
//! acknowledges every delivery, against an rdkafka `BaseConsumer` assigned
//! the partition from the beginning, decoding each payload.
//!
//! `HERALD_BENCH_PRODUCER_PROPS=batch.size=16384,linger.ms=0` passes extra
//! client properties to both confluent-kafka based producers;
//! `HERALD_BENCH_RDKAFKA_PROPS` does the same for rdkafka;
//! `HERALD_BENCH_MESSAGE_IDS=0` turns the `message-id` header off.
#![allow(clippy::unwrap_used, clippy::expect_used)]

#[path = "../e2e/harness.rs"]
#[allow(dead_code)]
mod harness;

use std::collections::VecDeque;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use apache_avro::AvroSchema;
use confluent_kafka::common::serialization::ByteArraySerializer;
use confluent_kafka::producer::{
    KafkaProducer, Producer as _, ProducerConfig, ProducerRecord, RecordMetadata,
};
use harness::TestCluster;
use herald_client::{Consumer, Message, Producer, StartFrom};
use rdkafka::config::ClientConfig;
use rdkafka::consumer::{BaseConsumer, Consumer as _};
use rdkafka::error::{KafkaError, RDKafkaErrorCode};
use rdkafka::producer::{
    BaseRecord, DeliveryResult, Producer as _, ProducerContext, ThreadedProducer,
};
use rdkafka::{ClientContext, Message as _, Offset, TopicPartitionList};
use serde::{Deserialize, Serialize};

/// Records a pipelined producer may have awaiting acknowledgement.
const WINDOW: usize = 50_000;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, AvroSchema)]
#[avro(namespace = "bench")]
struct Trade {
    id: String,
    account: String,
    symbol: String,
    venue: String,
    quantity: i64,
    price: f64,
    fee: f32,
    timestamp: i64,
    sequence: i32,
    settled: bool,
}

fn trade(i: usize) -> Trade {
    Trade {
        id: format!("trade-{i:010}"),
        account: "ACC-000417".into(),
        symbol: "EURUSD".into(),
        venue: "XLON".into(),
        quantity: i as i64 * 100,
        price: 1.083_75,
        fee: 2.5,
        timestamp: 1_764_320_000_123 + i as i64,
        sequence: i as i32,
        settled: i.is_multiple_of(2),
    }
}

struct Counter(Arc<(AtomicUsize, AtomicUsize)>);

impl ClientContext for Counter {}

impl ProducerContext for Counter {
    type DeliveryOpaque = ();
    fn delivery(&self, result: &DeliveryResult<'_>, _: ()) {
        if result.is_err() {
            self.0.1.fetch_add(1, Ordering::Relaxed);
        }
        self.0.0.fetch_add(1, Ordering::Release);
    }
}

fn line(label: &str, records: usize, bytes: usize, elapsed: Duration) -> f64 {
    let rate = records as f64 / elapsed.as_secs_f64();
    println!(
        "{label:<28} {records:>9} records in {:>7.2} s  {rate:>10.0} records/s  {:>7.1} MB/s",
        elapsed.as_secs_f64(),
        bytes as f64 / elapsed.as_secs_f64() / 1e6
    );
    rate
}

/// `k=v,k=v` from the environment variable `name`.
fn props(name: &str) -> Vec<(String, String)> {
    std::env::var(name)
        .unwrap_or_default()
        .split(',')
        .filter(|kv| !kv.trim().is_empty())
        .map(|kv| {
            let (k, v) = kv.split_once('=').expect("k=v");
            (k.trim().to_owned(), v.trim().to_owned())
        })
        .collect()
}

/// Awaits the oldest pending acknowledgement once `WINDOW` are pending.
async fn drain<F: std::future::Future>(pending: &mut VecDeque<F>, keep: usize) {
    while pending.len() > keep {
        pending.pop_front().unwrap().await;
    }
}

fn main() {
    let records: usize = std::env::var("HERALD_BENCH_RECORDS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1_000_000);
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    let cluster = runtime.block_on(TestCluster::start());
    let producer_props = props("HERALD_BENCH_PRODUCER_PROPS");
    let rdkafka_props = props("HERALD_BENCH_RDKAFKA_PROPS");
    let message_ids = std::env::var("HERALD_BENCH_MESSAGE_IDS").as_deref() != Ok("0");
    println!(
        "extra producer properties: herald-client/confluent-kafka {producer_props:?}, rdkafka {rdkafka_props:?}; message-id headers {message_ids}"
    );
    let mut kafka = cluster.kafka.clone();
    for (k, v) in &producer_props {
        kafka = kafka.with(k, v);
    }
    runtime.block_on(cluster.topic("bench-herald", 1));
    runtime.block_on(cluster.topic("bench-confluent", 1));
    runtime.block_on(cluster.topic("bench-rdkafka", 1));
    let registry = cluster.registry();
    let fast: serde_avro_fast::Schema = serde_json::to_string(&Trade::get_schema())
        .unwrap()
        .parse()
        .unwrap();

    // herald-client produce.
    let producer = runtime.block_on(async {
        Producer::<Trade>::builder(&kafka, &registry, "bench-herald")
            .avro()
            .message_ids(message_ids)
            .build()
            .await
            .unwrap()
    });
    let schema_id = producer.binding().id;
    // The framed size of every record, the same on both sides (MB/s).
    let bytes: usize = (0..records)
        .map(|i| {
            let mut config = serde_avro_fast::ser::SerializerConfig::new(&fast);
            5 + serde_avro_fast::to_datum_vec(&trade(i), &mut config)
                .unwrap()
                .len()
        })
        .sum();
    let started = Instant::now();
    runtime.block_on(async {
        let mut pending = VecDeque::with_capacity(WINDOW);
        for i in 0..records {
            let t = trade(i);
            pending.push_back(producer.submit(Message::new(&t)).await.unwrap());
            if pending.len() >= WINDOW {
                pending.pop_front().unwrap().acknowledged().await.unwrap();
            }
        }
        while let Some(p) = pending.pop_front() {
            p.acknowledged().await.unwrap();
        }
    });
    let herald_produce = line("herald-client produce", records, bytes, started.elapsed());
    runtime.block_on(producer.close()).unwrap();

    // confluent-kafka on its own: the client herald-client wraps, with the
    // properties herald-client gives it, the same framing, datum and window.
    let mut raw_props: std::collections::HashMap<String, String> = [
        ("bootstrap.servers", cluster.broker_addr.to_string()),
        ("acks", "all".into()),
        ("enable.idempotence", "true".into()),
        ("max.in.flight.requests.per.connection", "5".into()),
        // herald-client's producer defaults (crates/herald-client/src/kafka.rs).
        ("batch.size", "1048576".into()),
        ("buffer.memory", "67108864".into()),
        ("linger.ms", "5".into()),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v))
    .collect();
    raw_props.extend(producer_props.iter().cloned());
    // It spawns its sender task, so it is built inside the runtime.
    let raw: KafkaProducer<Vec<u8>, Vec<u8>> = {
        let _runtime = runtime.enter();
        KafkaProducer::new(
            ProducerConfig::new(&raw_props).unwrap(),
            ByteArraySerializer::new(),
            ByteArraySerializer::new(),
        )
        .unwrap()
    };
    let started = Instant::now();
    runtime.block_on(async {
        let mut pending = VecDeque::with_capacity(WINDOW);
        let mut payload = Vec::with_capacity(128);
        for i in 0..records {
            payload.clear();
            payload.push(0);
            payload.extend_from_slice(&schema_id.to_be_bytes());
            let mut config = serde_avro_fast::ser::SerializerConfig::new(&fast);
            serde_avro_fast::to_datum(&trade(i), &mut payload, &mut config).unwrap();
            let record = ProducerRecord::<&[u8], &[u8]>::with_partition_key(
                "bench-confluent".to_owned(),
                None,
                None,
                Some(&payload[..]),
            )
            .unwrap();
            let future = raw.send(record, None).await.unwrap();
            pending.push_back(async move {
                let _: RecordMetadata = future.get().await.unwrap();
            });
            drain(&mut pending, WINDOW).await;
        }
        drain(&mut pending, 0).await;
    });
    let raw_produce = line("confluent-kafka produce", records, bytes, started.elapsed());
    runtime.block_on(raw.close()).unwrap();

    // rdkafka produce, the same framing and datum.
    let counts = Arc::new((AtomicUsize::new(0), AtomicUsize::new(0)));
    let mut rd_config = ClientConfig::new();
    rd_config
        .set("bootstrap.servers", cluster.broker_addr.to_string())
        .set("acks", "all")
        .set("enable.idempotence", "true");
    for (k, v) in &rdkafka_props {
        rd_config.set(k, v);
    }
    let rd: ThreadedProducer<Counter> = rd_config
        .create_with_context(Counter(counts.clone()))
        .unwrap();
    let started = Instant::now();
    let mut payload = Vec::with_capacity(128);
    for i in 0..records {
        payload.clear();
        payload.push(0);
        payload.extend_from_slice(&schema_id.to_be_bytes());
        let mut config = serde_avro_fast::ser::SerializerConfig::new(&fast);
        serde_avro_fast::to_datum(&trade(i), &mut payload, &mut config).unwrap();
        let mut record = BaseRecord::<(), [u8], ()>::to("bench-rdkafka").payload(&payload[..]);
        loop {
            match rd.send(record) {
                Ok(()) => break,
                Err((KafkaError::MessageProduction(RDKafkaErrorCode::QueueFull), r)) => {
                    record = r;
                    std::thread::sleep(Duration::from_micros(200));
                }
                Err((e, _)) => panic!("send: {e}"),
            }
        }
    }
    rd.flush(Duration::from_secs(300)).unwrap();
    assert_eq!(counts.0.load(Ordering::Acquire), records);
    assert_eq!(counts.1.load(Ordering::Relaxed), 0, "failed deliveries");
    let rd_produce = line("rdkafka produce", records, bytes, started.elapsed());
    drop(rd);

    // herald-client consume.
    let mut consumer = runtime.block_on(async {
        Consumer::<Trade>::builder(&cluster.kafka, &registry)
            .topic("bench-herald")
            .start_from(StartFrom::Earliest)
            .avro()
            .build()
            .await
            .unwrap()
    });
    let started = Instant::now();
    let seen = runtime.block_on(async {
        let mut seen = 0usize;
        while seen < records {
            let d = consumer.next().await.expect("stream open").unwrap();
            assert_eq!(d.value.sequence as usize, seen);
            d.ack();
            seen += 1;
        }
        seen
    });
    let herald_consume = line("herald-client consume", seen, bytes, started.elapsed());
    runtime.block_on(consumer.close()).unwrap();

    // rdkafka consume and decode.
    let rc: BaseConsumer = ClientConfig::new()
        .set("bootstrap.servers", cluster.broker_addr.to_string())
        .set("group.id", "bench-rdkafka")
        .set("enable.auto.commit", "false")
        .create()
        .unwrap();
    let mut tpl = TopicPartitionList::new();
    tpl.add_partition_offset("bench-rdkafka", 0, Offset::Beginning)
        .unwrap();
    rc.assign(&tpl).unwrap();
    let started = Instant::now();
    let mut seen = 0usize;
    while seen < records {
        let Some(m) = rc.poll(Duration::from_millis(100)) else {
            continue;
        };
        let m = m.unwrap();
        let payload = m.payload().unwrap();
        let t: Trade = serde_avro_fast::from_datum_slice(&payload[5..], &fast).unwrap();
        assert_eq!(t.sequence as usize, seen);
        seen += 1;
    }
    let rd_consume = line("rdkafka consume", seen, bytes, started.elapsed());

    println!(
        "herald-client / rdkafka: produce {:.2}, consume {:.2}; confluent-kafka / rdkafka: produce {:.2}; herald-client / confluent-kafka: produce {:.2}",
        herald_produce / rd_produce,
        herald_consume / rd_consume,
        raw_produce / rd_produce,
        herald_produce / raw_produce
    );
    drop(cluster);
}
