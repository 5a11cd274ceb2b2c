//! `ShareConsumer` against a real Herald broker started in-process:
//! competing consumers, release and redelivery, implicit and explicit
//! acknowledgement, dead letters, a broker restart in the middle, and
//! typed values decoded through a Herald schema registry (also in-process).

use std::collections::{BTreeMap, BTreeSet};
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use bytes::BytesMut;
use herald_broker::{Broker, BrokerConfig, ShareConfig, run};
use herald_client::ClientError;
use herald_client::registry::{RegistryConfig, SchemaRegistryClient};
use herald_client::serdes::{SchemaSource, Serializer, SerializerConfig};
use herald_client::share::{AckMode, ShareConsumer, ShareError};
use herald_client::transport::{KafkaConfig, RawProducer};
use herald_log::{Log, LogOptions};
use kafka_protocol::messages::incremental_alter_configs_request::{
    AlterConfigsResource, AlterableConfig,
};
use kafka_protocol::messages::{
    ApiKey, IncrementalAlterConfigsRequest, IncrementalAlterConfigsResponse, RequestHeader,
    ResponseHeader,
};
use kafka_protocol::protocol::{Decodable, Encodable, StrBytes, encode_request_header_into_buffer};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::oneshot;
use tokio::task::JoinHandle;
use tokio::time::Instant;

const WAIT: Duration = Duration::from_secs(30);

/// A broker over a temp dir that can be restarted on the same port
/// (`registry_endpoints` starts its registry on one too).
pub(crate) struct TestBroker {
    addr: SocketAddr,
    log: Arc<Log>,
    dir: tempfile::TempDir,
    stop: Option<oneshot::Sender<()>>,
    task: Option<JoinHandle<()>>,
}

fn broker_config() -> BrokerConfig {
    let mut share = ShareConfig::default();
    // Short locks keep the tests that wait for an expiry short.
    share.min_record_lock_duration_ms = 500;
    let mut config = BrokerConfig::default();
    config.share = share;
    config
}

impl TestBroker {
    pub(crate) async fn start() -> TestBroker {
        let dir = tempfile::tempdir().unwrap();
        let (log, addr, stop, task) = serve(&dir, "127.0.0.1:0".parse().unwrap()).await;
        TestBroker {
            addr,
            log,
            dir,
            stop: Some(stop),
            task: Some(task),
        }
    }

    fn kafka(&self) -> KafkaConfig {
        KafkaConfig::new(self.addr.to_string())
    }

    fn topic(&self, name: &str, partitions: i32) {
        self.log
            .create_topic(name, partitions, &BTreeMap::new())
            .unwrap();
    }

    async fn restart(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(task) = self.task.take() {
            task.await.unwrap();
        }
        let log = self.log.clone();
        tokio::task::spawn_blocking(move || log.shutdown())
            .await
            .unwrap()
            .unwrap();
        let (log, addr, stop, task) = serve(&self.dir, self.addr).await;
        assert_eq!(addr, self.addr);
        self.log = log;
        self.stop = Some(stop);
        self.task = Some(task);
    }
}

impl Drop for TestBroker {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
    }
}

async fn serve(
    dir: &tempfile::TempDir,
    bind: SocketAddr,
) -> (Arc<Log>, SocketAddr, oneshot::Sender<()>, JoinHandle<()>) {
    let log = Arc::new(Log::open(dir.path(), LogOptions::default()).unwrap());
    let listener = TcpListener::bind(bind).await.unwrap();
    let addr = listener.local_addr().unwrap();
    let broker = Arc::new(Broker::new(broker_config(), log.clone(), addr));
    let (stop, stopped) = oneshot::channel::<()>();
    let task = tokio::spawn(run(listener, broker, async {
        let _ = stopped.await;
    }));
    (log, addr, stop, task)
}

/// Sets share-group configs with IncrementalAlterConfigs on the GROUP
/// resource (type 32), as `kafka-configs.sh --entity-type groups` does.
async fn group_configs(addr: SocketAddr, group: &str, pairs: &[(&str, &str)]) {
    let s = |v: &str| StrBytes::from_string(v.to_owned());
    let request = IncrementalAlterConfigsRequest::default().with_resources(vec![
        AlterConfigsResource::default()
            .with_resource_type(32)
            .with_resource_name(s(group))
            .with_configs(
                pairs
                    .iter()
                    .map(|(k, v)| {
                        AlterableConfig::default()
                            .with_name(s(k))
                            .with_value(Some(s(v)))
                    })
                    .collect(),
            ),
    ]);
    let mut buf = BytesMut::new();
    buf.extend_from_slice(&[0; 4]);
    let header = RequestHeader::default()
        .with_request_api_key(ApiKey::IncrementalAlterConfigs as i16)
        .with_request_api_version(1)
        .with_correlation_id(1);
    encode_request_header_into_buffer(&mut buf, &header).unwrap();
    request.encode(&mut buf, 1).unwrap();
    let len = (buf.len() - 4) as u32;
    buf[..4].copy_from_slice(&len.to_be_bytes());
    let mut stream = TcpStream::connect(addr).await.unwrap();
    stream.write_all(&buf).await.unwrap();
    let len = stream.read_u32().await.unwrap() as usize;
    let mut frame = BytesMut::zeroed(len);
    stream.read_exact(&mut frame).await.unwrap();
    let mut frame = frame.freeze();
    ResponseHeader::decode(
        &mut frame,
        ApiKey::IncrementalAlterConfigs.response_header_version(1),
    )
    .unwrap();
    let response = IncrementalAlterConfigsResponse::decode(&mut frame, 1).unwrap();
    assert_eq!(
        response.responses[0].error_code, 0,
        "{:?}",
        response.responses[0].error_message
    );
}

/// Produces `values` to `topic` (round-robin over `partitions`), all
/// acknowledged; returns (partition, offset, value) of each.
async fn produce(
    kafka: &KafkaConfig,
    topic: &str,
    partitions: i32,
    values: &[String],
) -> Vec<(i32, i64, String)> {
    let producer = RawProducer::connect(kafka).unwrap();
    let sends = values.iter().enumerate().map(|(i, v)| {
        let producer = &producer;
        async move {
            let p = i as i32 % partitions;
            let d = producer
                .send(topic, Some(p), None, Some(v.as_bytes()))
                .await
                .unwrap();
            (d.partition, d.offset, v.clone())
        }
    });
    let out = futures_util::future::join_all(sends).await;
    producer.close().await.unwrap();
    out
}

async fn consumer(
    kafka: &KafkaConfig,
    group: &str,
    topic: &str,
    mode: AckMode,
) -> ShareConsumer<Vec<u8>> {
    ShareConsumer::raw(kafka)
        .group(group)
        .topic(topic)
        .acknowledgement(mode)
        .max_wait(Duration::from_millis(200))
        .build()
        .await
        .unwrap()
}

fn text(v: &[u8]) -> String {
    String::from_utf8_lossy(v).into_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn competing_consumers_see_each_record_once() {
    const N: usize = 600;
    let broker = TestBroker::start().await;
    broker.topic("jobs", 2);
    group_configs(
        broker.addr,
        "workers",
        &[("share.auto.offset.reset", "earliest")],
    )
    .await;
    let values: Vec<String> = (0..N).map(|i| format!("job-{i}")).collect();
    let produced = produce(&broker.kafka(), "jobs", 2, &values).await;

    let (seen_tx, mut seen_rx) = tokio::sync::mpsc::unbounded_channel();
    let (stop_tx, stop) = tokio::sync::watch::channel(false);
    let mut tasks = Vec::new();
    for c in 0..3 {
        let mut consumer = consumer(&broker.kafka(), "workers", "jobs", AckMode::Explicit).await;
        let seen_tx = seen_tx.clone();
        let mut stop = stop.clone();
        // Small windows, so the consumers take turns.
        tasks.push(tokio::spawn(async move {
            loop {
                tokio::select! {
                    item = consumer.next() => {
                        let m = item.unwrap().unwrap();
                        seen_tx.send((c, m.partition(), m.offset(), text(&m.value), m.delivery_count())).unwrap();
                        m.accept().await.unwrap();
                    }
                    _ = stop.changed() => break,
                }
            }
            consumer.close().await.unwrap();
        }));
    }
    let deadline = Instant::now() + WAIT;
    let mut seen = Vec::new();
    while seen.len() < N {
        let got = tokio::time::timeout_at(deadline, seen_rx.recv()).await;
        seen.push(got.expect("every record within 30 s").unwrap());
    }
    // Anything delivered twice would show up now.
    while let Ok(Some(extra)) =
        tokio::time::timeout(Duration::from_millis(700), seen_rx.recv()).await
    {
        seen.push(extra);
    }
    stop_tx.send(true).unwrap();
    for t in tasks {
        t.await.unwrap();
    }
    let mut keys: Vec<(i32, i64, String)> = seen
        .iter()
        .map(|(_, p, o, v, _)| (*p, *o, v.clone()))
        .collect();
    keys.sort();
    let mut expected = produced.clone();
    expected.sort();
    assert_eq!(
        keys, expected,
        "each produced record processed exactly once"
    );
    assert!(seen.iter().all(|s| s.4 == 1), "first deliveries only");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn released_and_dropped_records_come_back_and_implicit_mode_accepts() {
    let broker = TestBroker::start().await;
    broker.topic("tasks", 1);
    group_configs(broker.addr, "g", &[("share.auto.offset.reset", "earliest")]).await;
    let values: Vec<String> = (0..6).map(|i| format!("t{i}")).collect();
    produce(&broker.kafka(), "tasks", 1, &values).await;

    // Explicit mode: release the even ones, drop the odd ones unsettled;
    // both come back with delivery count 2, and are accepted then.
    let mut c = consumer(&broker.kafka(), "g", "tasks", AckMode::Explicit).await;
    let mut deliveries: BTreeMap<String, Vec<i16>> = BTreeMap::new();
    let deadline = Instant::now() + WAIT;
    while deliveries.values().map(Vec::len).sum::<usize>() < 12 {
        let m = tokio::time::timeout_at(deadline, c.next())
            .await
            .expect("redeliveries")
            .unwrap()
            .unwrap();
        let v = text(&m.value);
        deliveries
            .entry(v.clone())
            .or_default()
            .push(m.delivery_count());
        let i: usize = v[1..].parse().unwrap();
        match (m.delivery_count(), i % 2) {
            (1, 0) => m.release().await.unwrap(),
            (1, _) => drop(m),
            _ => m.accept().await.unwrap(),
        }
    }
    for v in &values {
        assert_eq!(deliveries[v], vec![1, 2], "{v}");
    }
    assert_eq!(c.in_flight(), 0);
    c.close().await.unwrap();

    // Implicit mode: a dropped message counts as accepted, so a second
    // consumer of the group finds nothing left.
    produce(&broker.kafka(), "tasks", 1, &["late".to_owned()]).await;
    let mut c = consumer(&broker.kafka(), "g", "tasks", AckMode::Implicit).await;
    let m = tokio::time::timeout(WAIT, c.next())
        .await
        .unwrap()
        .unwrap()
        .unwrap();
    assert_eq!(text(&m.value), "late");
    assert_eq!(m.delivery_count(), 1);
    drop(m);
    c.close().await.unwrap();
    let mut c = consumer(&broker.kafka(), "g", "tasks", AckMode::Implicit).await;
    let nothing = tokio::time::timeout(Duration::from_millis(1_500), c.next()).await;
    assert!(
        nothing.is_err(),
        "accepted on drop, not redelivered: {:?}",
        nothing.map(|m| m.map(|m| m.map(|m| m.offset())))
    );
    c.close().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn rejected_records_reach_the_dead_letter_topic() {
    let broker = TestBroker::start().await;
    broker.topic("orders", 1);
    group_configs(
        broker.addr,
        "billing",
        &[
            ("share.auto.offset.reset", "earliest"),
            ("errors.deadletterqueue.topic.name", "orders-dlq"),
            ("errors.deadletterqueue.copy.record.enable", "true"),
        ],
    )
    .await;
    group_configs(
        broker.addr,
        "dlq-reader",
        &[("share.auto.offset.reset", "earliest")],
    )
    .await;
    let values: Vec<String> = ["ok-1", "bad", "ok-2"].map(String::from).to_vec();
    produce(&broker.kafka(), "orders", 1, &values).await;

    let mut c = consumer(&broker.kafka(), "billing", "orders", AckMode::Explicit).await;
    let mut accepted = BTreeSet::new();
    while accepted.len() < 2 {
        let m = tokio::time::timeout(WAIT, c.next())
            .await
            .unwrap()
            .unwrap()
            .unwrap();
        if m.value == b"bad" {
            m.reject().await.unwrap();
        } else {
            accepted.insert(text(&m.value));
            m.accept().await.unwrap();
        }
    }
    c.close().await.unwrap();

    // The dead letter, read back with a share consumer of its own group.
    let mut dlq = consumer(
        &broker.kafka(),
        "dlq-reader",
        "orders-dlq",
        AckMode::Explicit,
    )
    .await;
    let letter = tokio::time::timeout(WAIT, dlq.next())
        .await
        .expect("a dead letter")
        .unwrap()
        .unwrap();
    assert_eq!(letter.value, b"bad");
    let header = |k: &str| letter.header(k).map(text);
    assert_eq!(header("__dlq.errors.topic").as_deref(), Some("orders"));
    assert_eq!(header("__dlq.errors.partition").as_deref(), Some("0"));
    assert_eq!(header("__dlq.errors.offset").as_deref(), Some("1"));
    assert_eq!(header("__dlq.errors.group").as_deref(), Some("billing"));
    assert_eq!(header("__dlq.errors.delivery.count").as_deref(), Some("1"));
    letter.accept().await.unwrap();
    let more = tokio::time::timeout(Duration::from_millis(1_000), dlq.next()).await;
    assert!(more.is_err(), "only the rejected record is a dead letter");
    dlq.close().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_broker_restart_loses_nothing_and_redelivers_nothing_accepted() {
    const N: usize = 200;
    let mut broker = TestBroker::start().await;
    broker.topic("queue", 1);
    group_configs(
        broker.addr,
        "q",
        &[
            ("share.auto.offset.reset", "earliest"),
            // Records whose acknowledgement was lost come back soon.
            ("share.record.lock.duration.ms", "1000"),
        ],
    )
    .await;
    let values: Vec<String> = (0..N).map(|i| format!("r{i}")).collect();
    produce(&broker.kafka(), "queue", 1, &values).await;

    let mut accepted: BTreeSet<String> = BTreeSet::new();
    let mut c = ShareConsumer::raw(&broker.kafka())
        .group("q")
        .topic("queue")
        .acknowledgement(AckMode::Explicit)
        .max_in_flight(10)
        .max_wait(Duration::from_millis(200))
        .build()
        .await
        .unwrap();
    // A first consumer accepts half, then goes away.
    while accepted.len() < N / 2 {
        let m = tokio::time::timeout(WAIT, c.next())
            .await
            .unwrap()
            .unwrap()
            .unwrap();
        let v = text(&m.value);
        assert!(
            !accepted.contains(&v),
            "{v} redelivered after its acceptance was confirmed"
        );
        m.accept().await.unwrap();
        accepted.insert(v);
    }
    c.close().await.unwrap();

    // A new consumer takes the rest; the broker restarts under it.
    let mut c = consumer(&broker.kafka(), "q", "queue", AckMode::Explicit).await;
    let deadline = Instant::now() + WAIT;
    let mut restarted = false;
    while accepted.len() < N {
        if !restarted && accepted.len() >= N * 3 / 4 {
            broker.restart().await;
            restarted = true;
        }
        let item = tokio::time::timeout_at(deadline, c.next())
            .await
            .expect("the rest within 30 s")
            .unwrap();
        let m = match item {
            Ok(m) => m,
            Err(e) => panic!("stream error: {e}"),
        };
        let v = text(&m.value);
        assert!(
            !accepted.contains(&v),
            "{v} redelivered after its acceptance was confirmed"
        );
        match m.accept().await {
            Ok(()) => {
                accepted.insert(v);
            }
            // Lost with a session: the record comes back.
            Err(e @ ShareError::AckLost { .. }) => assert!(e.is_retriable()),
            Err(e) => panic!("accept failed: {e}"),
        }
    }
    assert_eq!(accepted, values.iter().cloned().collect::<BTreeSet<_>>());
    let more = tokio::time::timeout(Duration::from_millis(1_500), c.next()).await;
    assert!(
        more.is_err(),
        "nothing left after every record was accepted: {:?}",
        more.map(|m| m.map(|m| m.map(|m| (text(&m.value), m.delivery_count()))))
    );
    c.close().await.unwrap();
}

#[derive(
    Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize, apache_avro::AvroSchema,
)]
struct Order {
    id: String,
    cents: i64,
}

/// Starts a schema registry on `broker` and waits until it is ready.
pub(crate) async fn registry(broker: &TestBroker) -> (SchemaRegistryClient, oneshot::Sender<()>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let config = herald_registry::Config::with_bootstrap(broker.addr.to_string());
    let (stop, stopped) = oneshot::channel::<()>();
    tokio::spawn(herald_registry::serve(listener, config, async {
        let _ = stopped.await;
    }));
    let http = reqwest::Client::new();
    let deadline = Instant::now() + WAIT;
    while !http
        .get(format!("{url}/health"))
        .send()
        .await
        .is_ok_and(|r| r.status().is_success())
    {
        assert!(Instant::now() < deadline, "registry not ready");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    (
        SchemaRegistryClient::new(RegistryConfig::new(&url)).unwrap(),
        stop,
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn typed_values_decode_through_the_registry_and_undecodable_ones_are_dead_lettered() {
    let broker = TestBroker::start().await;
    broker.topic("orders", 1);
    let (registry, _stop_registry) = registry(&broker).await;
    group_configs(
        broker.addr,
        "billing",
        &[
            ("share.auto.offset.reset", "earliest"),
            ("errors.deadletterqueue.topic.name", "orders-dlq"),
            ("errors.deadletterqueue.copy.record.enable", "true"),
        ],
    )
    .await;
    group_configs(
        broker.addr,
        "dlq-reader",
        &[("share.auto.offset.reset", "earliest")],
    )
    .await;
    let serializer: Serializer<Order> = Serializer::new(
        &registry,
        &SchemaSource::avro::<Order>(),
        SerializerConfig::default(),
    )
    .await
    .unwrap();
    let orders: Vec<Order> = (0..3)
        .map(|i| Order {
            id: format!("o{i}"),
            cents: 100 * i,
        })
        .collect();
    let producer = RawProducer::connect(&broker.kafka()).unwrap();
    for (i, order) in orders.iter().enumerate() {
        let encoded = serializer.serialize("orders", order).await.unwrap();
        producer
            .send("orders", Some(0), None, Some(&encoded.payload))
            .await
            .unwrap();
        if i == 1 {
            // Not in the wire format: no magic byte, no schema id.
            producer
                .send("orders", Some(0), None, Some(b"garbage"))
                .await
                .unwrap();
        }
    }
    producer.close().await.unwrap();

    let mut consumer = ShareConsumer::<Order>::builder(&broker.kafka(), &registry)
        .group("billing")
        .topic("orders")
        .avro()
        .acknowledgement(AckMode::Explicit)
        .build()
        .await
        .unwrap();
    let mut got = Vec::new();
    let mut undecodable = Vec::new();
    while got.len() + undecodable.len() < 4 {
        match tokio::time::timeout(WAIT, consumer.next())
            .await
            .unwrap()
            .unwrap()
        {
            Ok(m) => {
                got.push(m.value.clone());
                m.accept().await.unwrap();
            }
            Err(ShareError::Client(e)) => match *e {
                ClientError::Decode(d) => undecodable.push(d.offset),
                other => panic!("not a decode error: {other}"),
            },
            Err(e) => panic!("stream error: {e}"),
        }
    }
    consumer.close().await.unwrap();
    assert_eq!(got, orders);
    assert_eq!(undecodable, vec![2], "the garbage record, reported once");

    // The consumer rejected it, so it is the dead-letter topic's.
    let mut dlq = consumer_of(&broker.kafka(), "dlq-reader", "orders-dlq").await;
    let letter = tokio::time::timeout(WAIT, dlq.next())
        .await
        .expect("a dead letter")
        .unwrap()
        .unwrap();
    assert_eq!(letter.value, b"garbage");
    assert_eq!(letter.header("__dlq.errors.offset"), Some(&b"2"[..]));
    letter.accept();
    dlq.close().await.unwrap();
}

async fn consumer_of(kafka: &KafkaConfig, group: &str, topic: &str) -> ShareConsumer<Vec<u8>> {
    consumer(kafka, group, topic, AckMode::Explicit).await
}
