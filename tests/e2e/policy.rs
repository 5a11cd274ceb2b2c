//! Retry and dead-letter policy: an undecodable record and a record whose
//! handler keeps failing both end up in the dead-letter topic, with headers
//! saying where they came from, and neither blocks the partition.

use std::collections::BTreeMap;
use std::time::Duration;

use herald_client::transport::RawProducer;
use herald_client::{ClientError, Consumer, Producer, RetryPolicy, StartFrom, headers};
use rdkafka::Message as _;
use rdkafka::config::ClientConfig;
use rdkafka::consumer::{Consumer as _, StreamConsumer};
use rdkafka::message::Headers as _;
use rdkafka::{Offset, TopicPartitionList};

use crate::typed::OrderV1;
use crate::{TestCluster, eventually};

/// A dead letter as librdkafka reads it: value and headers.
struct Letter {
    value: Vec<u8>,
    headers: BTreeMap<String, String>,
}

async fn dead_letters(c: &TestCluster, topic: &str, n: usize) -> Vec<Letter> {
    let consumer: StreamConsumer = ClientConfig::new()
        .set("bootstrap.servers", c.broker_addr.to_string())
        .set("group.id", "dlq-reader")
        .set("auto.offset.reset", "earliest")
        .create()
        .unwrap();
    consumer.subscribe(&[topic]).unwrap();
    let mut out = Vec::new();
    while out.len() < n {
        let m = tokio::time::timeout(Duration::from_secs(60), consumer.recv())
            .await
            .expect("dead letters within 60 s")
            .unwrap();
        let headers = m
            .headers()
            .map(|hs| {
                hs.iter()
                    .map(|h| {
                        let v = String::from_utf8_lossy(h.value.unwrap_or_default());
                        (h.key.to_owned(), v.into_owned())
                    })
                    .collect()
            })
            .unwrap_or_default();
        out.push(Letter {
            value: m.payload().unwrap_or_default().to_vec(),
            headers,
        });
    }
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn poison_and_exhausted_records_go_to_the_dead_letter_topic() {
    let c = TestCluster::start().await;
    c.topic("orders", 1).await;
    c.topic("orders.dlq", 1).await;
    let registry = c.registry();
    let producer = Producer::<OrderV1>::builder(&c.kafka, &registry, "orders")
        .avro()
        .build()
        .await
        .unwrap();
    let order = |i: i32| OrderV1 {
        id: format!("o-{i}"),
        qty: i,
    };
    producer.send(&order(0)).await.unwrap();
    // Offset 1: framed with a real schema id, but the datum is cut short.
    let mut poison = vec![0];
    poison.extend_from_slice(&producer.binding().id.to_be_bytes());
    poison.push(0x80);
    let raw = RawProducer::connect(&c.kafka).unwrap();
    raw.send("orders", Some(0), None, Some(&poison))
        .await
        .unwrap();
    producer.send(&order(2)).await.unwrap();
    producer.send(&order(3)).await.unwrap();

    let mut consumer = Consumer::<OrderV1>::builder(&c.kafka, &registry)
        .topic("orders")
        .group("fulfilment")
        .start_from(StartFrom::Earliest)
        .avro()
        .retry(RetryPolicy {
            max_attempts: 3,
            backoff: Duration::from_millis(20),
            max_backoff: Duration::from_millis(50),
            dead_letter_topic: Some("orders.dlq".to_owned()),
        })
        .build()
        .await
        .unwrap();

    let mut handled = Vec::new();
    let mut failed_attempts = Vec::new();
    let mut decode_errors = Vec::new();
    while failed_attempts.len() < 3 || handled.len() < 2 || decode_errors.is_empty() {
        let item = tokio::time::timeout(Duration::from_secs(60), consumer.next())
            .await
            .expect("items within 60 s")
            .expect("consumer ended");
        match item {
            Ok(d) if d.value.id == "o-3" => {
                failed_attempts.push(d.attempt());
                d.nack("payment service said no");
            }
            Ok(d) => {
                handled.push(d.value.id.clone());
                d.ack();
            }
            Err(ClientError::Decode(e)) => decode_errors.push(e),
            Err(e) => panic!("unexpected error: {e}"),
        }
    }
    assert_eq!(handled, ["o-0", "o-2"]);
    assert_eq!(failed_attempts, [1, 2, 3]);
    assert_eq!(decode_errors.len(), 1);
    let e = &decode_errors[0];
    assert_eq!((e.topic.as_str(), e.partition, e.offset), ("orders", 0, 1));
    assert!(e.schema.is_some(), "the framing names the schema: {e}");

    let mut letters = dead_letters(&c, "orders.dlq", 2).await;
    letters.sort_by_key(|l| l.headers[headers::DLQ_SOURCE_OFFSET].clone());
    let (bad, exhausted) = (&letters[0], &letters[1]);
    assert_eq!(bad.value, poison, "the original bytes");
    assert_eq!(bad.headers[headers::DLQ_SOURCE_TOPIC], "orders");
    assert_eq!(bad.headers[headers::DLQ_SOURCE_PARTITION], "0");
    assert_eq!(bad.headers[headers::DLQ_SOURCE_OFFSET], "1");
    assert_eq!(bad.headers[headers::DLQ_ATTEMPTS], "1");
    assert!(
        bad.headers[headers::DLQ_ERROR].contains("cannot decode"),
        "{}",
        bad.headers[headers::DLQ_ERROR]
    );
    assert_eq!(exhausted.headers[headers::DLQ_SOURCE_OFFSET], "3");
    assert_eq!(exhausted.headers[headers::DLQ_ATTEMPTS], "3");
    assert_eq!(
        exhausted.headers[headers::DLQ_ERROR],
        "payment service said no"
    );
    assert!(
        exhausted.headers.contains_key(headers::MESSAGE_ID),
        "the original headers are kept"
    );
    assert_eq!(&exhausted.value[..5], &poison[..5], "same framing as sent");

    // Dead-lettered records count as handled: the group commits past all
    // four (the last acknowledgement lands just after its dead letter).
    let reader: StreamConsumer = ClientConfig::new()
        .set("bootstrap.servers", c.broker_addr.to_string())
        .set("group.id", "fulfilment")
        .create()
        .unwrap();
    let (consumer, reader) = (&consumer, &reader);
    eventually(Duration::from_secs(10), || async move {
        consumer.commit().await.unwrap();
        let mut tpl = TopicPartitionList::new();
        tpl.add_partition("orders", 0);
        let committed = reader
            .committed_offsets(tpl, Duration::from_secs(10))
            .unwrap();
        let at = committed.find_partition("orders", 0).map(|e| e.offset());
        (at == Some(Offset::Offset(4))).then_some(())
    })
    .await;
}
