//! The `confluent-kafka` crate (Confluent's pure-Rust translation of the Java
//! client, idempotent by default like Java ≥ 3.0) produces; librdkafka reads
//! the records back.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use crate::common::TestBroker;
use confluent_kafka::common::serialization::StringSerializer;
use confluent_kafka::producer::{KafkaProducer, Producer, ProducerConfig, ProducerRecord};
use rdkafka::ClientConfig;
use rdkafka::consumer::{BaseConsumer, Consumer};
use rdkafka::message::Message;
use rdkafka::{Offset, TopicPartitionList};

const TIMEOUT: Duration = Duration::from_secs(30);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn java_client_translation_produces_and_librdkafka_consumes() {
    const N: usize = 500;
    let broker = TestBroker::start().await;
    broker
        .log
        .create_topic("java", 1, &Default::default())
        .unwrap();
    let props = HashMap::from([
        ("bootstrap.servers".to_owned(), broker.bootstrap()),
        ("acks".to_owned(), "all".to_owned()),
        ("enable.idempotence".to_owned(), "true".to_owned()),
        ("linger.ms".to_owned(), "5".to_owned()),
        ("request.timeout.ms".to_owned(), "10000".to_owned()),
        ("delivery.timeout.ms".to_owned(), "30000".to_owned()),
    ]);
    let producer = KafkaProducer::<String, String>::new(
        ProducerConfig::new(&props).expect("config"),
        StringSerializer::default(),
        StringSerializer::default(),
    )
    .expect("producer");
    let mut acks = Vec::with_capacity(N);
    for i in 0..N {
        let record = ProducerRecord::with_key(
            "java".to_owned(),
            Some(format!("k{i}")),
            Some(format!("v{i}")),
        );
        acks.push(
            tokio::time::timeout(TIMEOUT, producer.send(record))
                .await
                .expect("send in time")
                .expect("send accepted"),
        );
    }
    for (i, ack) in acks.iter().enumerate() {
        let meta = tokio::time::timeout(TIMEOUT, ack.get())
            .await
            .expect("ack in time")
            .expect("acknowledged");
        assert_eq!(meta.offset(), i as i64);
    }
    tokio::time::timeout(TIMEOUT, producer.close())
        .await
        .expect("close in time")
        .expect("close");
    assert_eq!(
        broker.log.partition("java", 0).unwrap().high_watermark(),
        N as i64
    );

    let bootstrap = broker.bootstrap();
    let values = tokio::task::spawn_blocking(move || {
        let c: BaseConsumer = ClientConfig::new()
            .set("bootstrap.servers", bootstrap)
            .set("group.id", "unused")
            .create()
            .unwrap();
        let mut tpl = TopicPartitionList::new();
        tpl.add_partition_offset("java", 0, Offset::Beginning)
            .unwrap();
        c.assign(&tpl).unwrap();
        let deadline = Instant::now() + TIMEOUT;
        let mut out = Vec::new();
        while out.len() < N {
            assert!(Instant::now() < deadline, "only {} records", out.len());
            if let Some(m) = c.poll(Duration::from_millis(100)) {
                let m = m.unwrap();
                out.push((
                    String::from_utf8(m.key().unwrap().to_vec()).unwrap(),
                    String::from_utf8(m.payload().unwrap().to_vec()).unwrap(),
                ));
            }
        }
        out
    })
    .await
    .unwrap();
    for (i, (k, v)) in values.iter().enumerate() {
        assert_eq!(
            (k.as_str(), v.as_str()),
            (format!("k{i}").as_str(), format!("v{i}").as_str())
        );
    }
}
