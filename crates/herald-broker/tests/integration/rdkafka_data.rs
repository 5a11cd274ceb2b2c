//! librdkafka (through the `rdkafka` crate) against the broker: idempotent
//! produce with acks=all, assign()-based consumption, replay by offset and
//! by timestamp, watermarks after retention and DeleteRecords.

use std::collections::BTreeMap;
use std::time::Duration;

use crate::common::TestBroker;
use rdkafka::admin::{AdminClient, AdminOptions};
use rdkafka::client::DefaultClientContext;
use rdkafka::config::ClientConfig;
use rdkafka::consumer::{BaseConsumer, Consumer};
use rdkafka::message::{Header, Headers, Message, OwnedHeaders};
use rdkafka::producer::{FutureProducer, FutureRecord, Producer};
use rdkafka::{Offset, Timestamp, TopicPartitionList};

const TIMEOUT: Duration = Duration::from_secs(30);

fn producer(broker: &TestBroker) -> FutureProducer {
    ClientConfig::new()
        .set("bootstrap.servers", broker.bootstrap())
        .set("acks", "all")
        .set("enable.idempotence", "true")
        .set("linger.ms", "5")
        .set("message.timeout.ms", "30000")
        .create()
        .expect("producer")
}

fn consumer(broker: &TestBroker) -> BaseConsumer {
    ClientConfig::new()
        .set("bootstrap.servers", broker.bootstrap())
        .set("group.id", "unused-assign-only")
        .set("enable.auto.commit", "false")
        .set("auto.offset.reset", "earliest")
        .create()
        .expect("consumer")
}

fn assign(c: &BaseConsumer, topic: &str, partition: i32, offset: Offset) {
    let mut tpl = TopicPartitionList::new();
    tpl.add_partition_offset(topic, partition, offset).unwrap();
    c.assign(&tpl).unwrap();
}

/// Polls until `n` messages arrived (bounded by `TIMEOUT`).
fn read(c: &BaseConsumer, n: usize) -> Vec<rdkafka::message::OwnedMessage> {
    let deadline = std::time::Instant::now() + TIMEOUT;
    let mut out = Vec::with_capacity(n);
    while out.len() < n {
        assert!(
            std::time::Instant::now() < deadline,
            "only {} of {n} messages within {TIMEOUT:?}",
            out.len()
        );
        if let Some(m) = c.poll(Duration::from_millis(100)) {
            out.push(m.expect("consume error").detach());
        }
    }
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hundred_thousand_idempotent_records_come_back_in_order() {
    const N: usize = 100_000;
    let broker = TestBroker::start().await;
    broker.log.create_topic("big", 1, &BTreeMap::new()).unwrap();
    let p = producer(&broker);
    let base_ts = 1_700_000_000_000i64;
    let mut pending = Vec::with_capacity(N);
    for i in 0..N {
        let key = format!("key-{i}");
        let value = format!("value-{i}");
        let headers = OwnedHeaders::new().insert(Header {
            key: "n",
            value: Some(&i.to_be_bytes()[..]),
        });
        let record = FutureRecord::to("big")
            .partition(0)
            .key(&key)
            .payload(&value)
            .headers(headers)
            .timestamp(base_ts + i as i64);
        pending.push(p.send_result(record).map_err(|(e, _)| e).expect("enqueue"));
    }
    for (i, f) in pending.into_iter().enumerate() {
        let d = f.await.expect("delivery").expect("delivered");
        assert_eq!((d.partition, d.offset), (0, i as i64));
    }
    p.flush(TIMEOUT).unwrap();
    let c = consumer(&broker);
    assign(&c, "big", 0, Offset::Beginning);
    let messages = tokio::task::spawn_blocking(move || read(&c, N))
        .await
        .unwrap();
    for (i, m) in messages.iter().enumerate() {
        assert_eq!(m.offset(), i as i64);
        assert_eq!(m.key(), Some(format!("key-{i}").as_bytes()));
        assert_eq!(m.payload(), Some(format!("value-{i}").as_bytes()));
        assert_eq!(m.timestamp(), Timestamp::CreateTime(base_ts + i as i64));
        let h = m.headers().expect("headers").get(0);
        assert_eq!(h.key, "n");
        assert_eq!(h.value, Some(&i.to_be_bytes()[..]));
    }
    assert_eq!(
        broker.log.partition("big", 0).unwrap().high_watermark(),
        N as i64
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn replay_by_offset_and_timestamp_and_watermarks_after_delete_records() {
    let broker = TestBroker::start().await;
    broker
        .log
        .create_topic("replay", 1, &BTreeMap::new())
        .unwrap();
    let p = producer(&broker);
    for i in 0..100i64 {
        let v = format!("v{i}");
        p.send(
            FutureRecord::<(), _>::to("replay")
                .partition(0)
                .payload(&v)
                .timestamp(10_000 + i * 10),
            TIMEOUT,
        )
        .await
        .expect("delivered");
    }
    let c = consumer(&broker);
    let found = tokio::task::spawn_blocking(move || {
        // offsets_for_times: the first record at or after 10_505 is offset 51.
        let mut tpl = TopicPartitionList::new();
        tpl.add_partition_offset("replay", 0, Offset::Offset(10_505))
            .unwrap();
        let answer = c.offsets_for_times(tpl, TIMEOUT).unwrap();
        let offset = answer.find_partition("replay", 0).unwrap().offset();
        assign(&c, "replay", 0, offset);
        let from_time = read(&c, 49);
        assign(&c, "replay", 0, Offset::Beginning);
        let from_start = read(&c, 100);
        (c, offset, from_time, from_start)
    })
    .await
    .unwrap();
    let (c, offset, from_time, from_start) = found;
    assert_eq!(offset, Offset::Offset(51));
    assert_eq!(from_time[0].payload(), Some(&b"v51"[..]));
    assert_eq!(from_start[0].offset(), 0);
    assert_eq!(from_start[99].payload(), Some(&b"v99"[..]));

    // DeleteRecords through the AdminClient moves the low watermark.
    let admin: AdminClient<DefaultClientContext> = ClientConfig::new()
        .set("bootstrap.servers", broker.bootstrap())
        .create()
        .unwrap();
    let mut up_to = TopicPartitionList::new();
    up_to
        .add_partition_offset("replay", 0, Offset::Offset(40))
        .unwrap();
    let deleted = admin
        .delete_records(
            &up_to,
            &AdminOptions::new().operation_timeout(Some(TIMEOUT)),
        )
        .await
        .unwrap();
    assert_eq!(
        deleted.find_partition("replay", 0).unwrap().offset(),
        Offset::Offset(40)
    );
    let (c, watermarks) = tokio::task::spawn_blocking(move || {
        let w = c.fetch_watermarks("replay", 0, TIMEOUT).unwrap();
        (c, w)
    })
    .await
    .unwrap();
    assert_eq!(watermarks, (40, 100));

    // Retention: with small segments and retention.bytes, a maintenance pass
    // drops whole old segments and the low watermark follows.
    let mut config = BTreeMap::new();
    config.insert("segment.bytes".to_owned(), "2000".to_owned());
    config.insert("retention.bytes".to_owned(), "4000".to_owned());
    broker.log.create_topic("retained", 1, &config).unwrap();
    let payload = "r".repeat(100);
    // Current timestamps, so only the size bound (not retention.ms) applies.
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_millis() as i64;
    for i in 0..100i64 {
        p.send(
            FutureRecord::<(), _>::to("retained")
                .partition(0)
                .payload(&payload)
                .timestamp(now + i),
            TIMEOUT,
        )
        .await
        .expect("delivered");
    }
    broker.log.run_maintenance().unwrap();
    let (low, high) =
        tokio::task::spawn_blocking(move || c.fetch_watermarks("retained", 0, TIMEOUT).unwrap())
            .await
            .unwrap();
    assert_eq!(high, 100);
    assert!(
        low > 0 && low < 100,
        "retention moved the low watermark to {low}"
    );
    assert_eq!(
        low,
        broker
            .log
            .partition("retained", 0)
            .unwrap()
            .log_start_offset()
    );
}
