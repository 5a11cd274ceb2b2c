//! Share groups (KIP-932 queues) over the socket with a test-only share
//! consumer built on the kafka-protocol codecs (`share_common`): competing
//! consumers, redelivery after a consumer dies, dead letters, and a
//! consumer group reading the same topic side by side. A third-party share
//! consumer (Python confluent-kafka's ShareConsumer on librdkafka ≥ 2.15)
//! is not tested here yet: the rdkafka crate bundles librdkafka 2.12.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::common::TestBroker;
use crate::share_common::{
    ACCEPT, REJECT, RELEASE, ShareClient, produce, producer, set_group_configs,
};
use herald_broker::{BrokerConfig, ShareConfig};
use herald_log::{Batches, LogOptions, decode_records};
use parking_lot::Mutex;
use rdkafka::config::ClientConfig;
use rdkafka::consumer::{BaseConsumer, Consumer};
use rdkafka::message::Message;

const WAIT: Duration = Duration::from_secs(60);

fn config() -> BrokerConfig {
    let mut share = ShareConfig::default();
    share.min_record_lock_duration_ms = 500;
    share.queue_check_interval_ms = 100;
    let mut config = BrokerConfig::default();
    config.share = share;
    config
}

async fn start() -> TestBroker {
    TestBroker::start_with(config(), LogOptions::default()).await
}

fn create_topic(broker: &TestBroker, topic: &str) {
    broker
        .log
        .create_topic(topic, 1, &Default::default())
        .expect("topic");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn four_competing_consumers_process_every_record_exactly_once() {
    const N: usize = 3_000;
    let broker = start().await;
    create_topic(&broker, "jobs");
    let mut consumers = Vec::new();
    for i in 0..4 {
        consumers
            .push(ShareClient::join(broker.addr, "workers", &format!("w{i}"), &["jobs"]).await);
    }
    for c in &mut consumers {
        assert_eq!(c.heartbeat().await, 0, "everyone has the latest epoch");
    }
    let p = producer(&broker.bootstrap());
    produce(&p, "jobs", (0..N).map(|i| format!("job-{i}"))).await;

    let seen: Arc<Mutex<Vec<(usize, String)>>> = Arc::default();
    let mut tasks = Vec::new();
    for (i, mut c) in consumers.into_iter().enumerate() {
        let seen = seen.clone();
        tasks.push(tokio::spawn(async move {
            let deadline = Instant::now() + WAIT;
            let mut idle = 0;
            while idle < 5 && Instant::now() < deadline {
                let polled = c.poll(100, 300).await;
                assert_eq!(polled.error, 0);
                assert!(
                    polled.refused.is_empty(),
                    "acks refused: {:?}",
                    polled.refused
                );
                if polled.deliveries.is_empty() {
                    idle += 1;
                    if seen.lock().len() >= N {
                        idle = 5;
                    }
                    c.heartbeat().await;
                    continue;
                }
                idle = 0;
                for d in &polled.deliveries {
                    assert_eq!(d.delivery_count, 1, "nobody released anything");
                    seen.lock().push((i, d.text()));
                    c.ack(d, ACCEPT);
                }
            }
            let last = c.commit(true).await;
            assert!(last.refused.is_empty());
            c.leave().await;
        }));
    }
    for t in tasks {
        t.await.expect("consumer task");
    }
    let seen = seen.lock().clone();
    let values: BTreeSet<&str> = seen.iter().map(|(_, v)| v.as_str()).collect();
    let produced: BTreeSet<String> = (0..N).map(|i| format!("job-{i}")).collect();
    assert_eq!(values.len(), seen.len(), "no record processed twice");
    assert_eq!(
        values,
        produced.iter().map(String::as_str).collect::<BTreeSet<_>>(),
        "the union is exactly the produced set"
    );
    let per_consumer: BTreeMap<usize, usize> =
        seen.iter().fold(BTreeMap::new(), |mut m, (i, _)| {
            *m.entry(*i).or_default() += 1;
            m
        });
    assert!(
        per_consumer.len() >= 2,
        "the work was shared: {per_consumer:?}"
    );
}

#[tokio::test]
async fn a_dead_consumers_records_go_to_another_after_the_lock_expires() {
    let broker = start().await;
    create_topic(&broker, "tasks");
    set_group_configs(
        broker.addr,
        "g",
        &[
            ("share.record.lock.duration.ms", "1000"),
            ("share.auto.offset.reset", "earliest"),
        ],
    )
    .await;
    let p = producer(&broker.bootstrap());
    produce(&p, "tasks", (0..10).map(|i| format!("t{i}"))).await;
    let mut doomed = ShareClient::join(broker.addr, "g", "doomed", &["tasks"]).await;
    let mut survivor = ShareClient::join(broker.addr, "g", "survivor", &["tasks"]).await;
    let taken = doomed.poll(100, 1_000).await;
    assert_eq!(taken.deliveries.len(), 10, "doomed takes everything");
    assert_eq!(doomed.lock_timeout_ms, 1_000);
    let taken_at = Instant::now();
    // `doomed` now stops: no acknowledgement, no heartbeat, connection kept.
    let first = survivor.poll(100, 200).await;
    assert!(
        first.deliveries.is_empty(),
        "locked records are not handed out twice"
    );
    let mut got = Vec::new();
    while got.len() < 10 && taken_at.elapsed() < Duration::from_secs(10) {
        let polled = survivor.poll(100, 500).await;
        for d in &polled.deliveries {
            survivor.ack(d, ACCEPT);
        }
        got.extend(polled.deliveries);
    }
    assert!(
        taken_at.elapsed() >= Duration::from_millis(900),
        "not before the lock expired"
    );
    assert_eq!(got.len(), 10, "every record redelivered");
    assert!(
        got.iter().all(|d| d.delivery_count == 2),
        "second delivery: {got:?}"
    );
    let done = survivor.commit(false).await;
    assert_eq!(done.confirmed.len(), 10);
    // The dead consumer's late acknowledgement is refused: its lock is gone.
    for d in &taken.deliveries {
        doomed.ack(d, ACCEPT);
    }
    let late = doomed.commit(false).await;
    assert_eq!(late.refused.len(), 1, "{late:?}");
}

#[tokio::test]
async fn poison_records_end_in_the_dead_letter_topic_with_headers() {
    let broker = start().await;
    create_topic(&broker, "orders");
    set_group_configs(
        broker.addr,
        "billing",
        &[
            ("share.delivery.count.limit", "3"),
            ("share.record.lock.duration.ms", "1000"),
            ("share.auto.offset.reset", "earliest"),
            ("errors.deadletterqueue.topic.name", "orders-dlq"),
            ("errors.deadletterqueue.copy.record.enable", "true"),
        ],
    )
    .await;
    let p = producer(&broker.bootstrap());
    produce(
        &p,
        "orders",
        ["ok-1", "poison", "ok-2", "bad-format"].map(String::from),
    )
    .await;
    let mut c = ShareClient::join(broker.addr, "billing", "c1", &["orders"]).await;
    let mut accepted = BTreeSet::new();
    let mut poison_deliveries = Vec::new();
    let deadline = Instant::now() + Duration::from_secs(20);
    while Instant::now() < deadline && (accepted.len() < 2 || poison_deliveries.len() < 3) {
        let polled = c.poll(100, 300).await;
        for d in polled.deliveries {
            match d.text().as_str() {
                // Processing fails every time: give it back for a retry.
                "poison" => {
                    poison_deliveries.push(d.delivery_count);
                    c.ack(&d, RELEASE);
                }
                // Unprocessable: reject at once.
                "bad-format" => c.ack(&d, REJECT),
                _ => {
                    accepted.insert(d.text());
                    c.ack(&d, ACCEPT);
                }
            }
        }
    }
    c.commit(false).await;
    assert_eq!(
        poison_deliveries,
        vec![1, 2, 3],
        "delivered up to the limit"
    );
    let again = c.poll(100, 300).await;
    assert!(
        again.deliveries.is_empty(),
        "archived records never come back"
    );

    let dlq = loop {
        if let Ok(p) = broker.log.partition("orders-dlq", 0)
            && p.high_watermark() >= 2
        {
            break p;
        }
        assert!(Instant::now() < deadline, "dead letters written");
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    let read = dlq.read(0, 1 << 20).unwrap();
    let mut letters = Vec::new();
    for b in Batches::new(&read.records) {
        letters.extend(decode_records(b.bytes()).unwrap());
    }
    let header = |r: &herald_log::Record, k: &str| -> String {
        r.headers
            .iter()
            .rev()
            .find(|h| h.key == k.as_bytes())
            .map(|h| String::from_utf8_lossy(h.value.as_deref().unwrap_or_default()).into_owned())
            .unwrap_or_default()
    };
    let by_value: BTreeMap<String, &herald_log::Record> = letters
        .iter()
        .map(|r| {
            (
                String::from_utf8_lossy(r.value.as_deref().unwrap_or_default()).into_owned(),
                r,
            )
        })
        .collect();
    let poison = by_value["poison"];
    assert_eq!(header(poison, "__dlq.errors.topic"), "orders");
    assert_eq!(header(poison, "__dlq.errors.partition"), "0");
    assert_eq!(header(poison, "__dlq.errors.offset"), "1");
    assert_eq!(header(poison, "__dlq.errors.group"), "billing");
    assert_eq!(header(poison, "__dlq.errors.delivery.count"), "3");
    assert_eq!(
        header(poison, "__dlq.errors.message"),
        "delivery count limit reached"
    );
    let rejected = by_value["bad-format"];
    assert_eq!(header(rejected, "__dlq.errors.offset"), "3");
    assert_eq!(header(rejected, "__dlq.errors.delivery.count"), "1");
    assert_eq!(
        header(rejected, "__dlq.errors.message"),
        "record rejected by a share consumer"
    );
    assert_eq!(letters.len(), 2, "accepted records are not dead letters");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn pub_sub_and_queue_side_by_side_on_one_topic() {
    const N: usize = 500;
    let broker = start().await;
    create_topic(&broker, "events");
    // The share group joins first (its partitions start at `latest`).
    let mut q1 = ShareClient::join(broker.addr, "queue", "q1", &["events"]).await;
    let mut q2 = ShareClient::join(broker.addr, "queue", "q2", &["events"]).await;
    q1.heartbeat().await;
    let p = producer(&broker.bootstrap());
    produce(&p, "events", (0..N).map(|i| format!("e{i}"))).await;

    // Pub/sub: every member of a consumer group... here one member, from the start.
    let consumer: BaseConsumer = ClientConfig::new()
        .set("bootstrap.servers", broker.bootstrap())
        .set("group.id", "audit")
        .set("auto.offset.reset", "earliest")
        .set("enable.auto.commit", "false")
        .create()
        .expect("consumer");
    consumer.subscribe(&["events"]).expect("subscribe");
    let subscriber = tokio::task::spawn_blocking(move || {
        let mut got = Vec::new();
        let deadline = Instant::now() + WAIT;
        while got.len() < N && Instant::now() < deadline {
            if let Some(Ok(m)) = consumer.poll(Duration::from_millis(100)) {
                got.push(String::from_utf8_lossy(m.payload().unwrap_or_default()).into_owned());
            }
        }
        got
    });

    // Queue: each record to exactly one of the two share consumers.
    let mut queued = Vec::new();
    let deadline = Instant::now() + WAIT;
    while queued.len() < N && Instant::now() < deadline {
        for c in [&mut q1, &mut q2] {
            let polled = c.poll(50, 100).await;
            for d in &polled.deliveries {
                c.ack(d, ACCEPT);
                queued.push(d.text());
            }
        }
    }
    let all: BTreeSet<String> = (0..N).map(|i| format!("e{i}")).collect();
    let subscribed = subscriber.await.unwrap();
    assert_eq!(
        subscribed.len(),
        N,
        "the consumer group sees every record once"
    );
    assert_eq!(subscribed.iter().cloned().collect::<BTreeSet<_>>(), all);
    assert_eq!(
        queued.len(),
        N,
        "the share group sees every record once in total"
    );
    assert_eq!(queued.iter().cloned().collect::<BTreeSet<_>>(), all);
}
