//! Queue topics (`herald.queue=true`, RabbitMQ semantics): records every
//! interested group consumed are deleted, so disk use returns to near zero
//! when consumers keep up; and ephemeral `storage=memory` topics through
//! the protocol.

use std::time::{Duration, Instant};

use crate::common::TestBroker;
use crate::common::raw::RawClient;
use crate::share_common::{ACCEPT, ShareClient, produce, producer, s, set_group_configs};
use herald_broker::{BrokerConfig, ShareConfig};
use herald_log::LogOptions;
use kafka_protocol::messages::create_topics_request::{CreatableTopic, CreatableTopicConfig};
use kafka_protocol::messages::{ApiKey, CreateTopicsRequest, ResponseKind, TopicName};
use rdkafka::Offset;
use rdkafka::TopicPartitionList;
use rdkafka::config::ClientConfig;
use rdkafka::consumer::{BaseConsumer, CommitMode, Consumer};

fn config() -> BrokerConfig {
    let mut share = ShareConfig::default();
    share.queue_check_interval_ms = 100;
    let mut config = BrokerConfig::default();
    config.share = share;
    config
}

/// Creates a one-partition topic with `configs` through CreateTopics.
async fn create_topic(broker: &TestBroker, topic: &str, configs: &[(&str, &str)]) {
    let mut raw = RawClient::connect(broker.addr).await;
    let req = CreateTopicsRequest::default()
        .with_topics(vec![
            CreatableTopic::default()
                .with_name(TopicName(s(topic)))
                .with_num_partitions(1)
                .with_replication_factor(1)
                .with_configs(
                    configs
                        .iter()
                        .map(|(k, v)| {
                            CreatableTopicConfig::default()
                                .with_name(s(k))
                                .with_value(Some(s(v)))
                        })
                        .collect(),
                ),
        ])
        .with_timeout_ms(10_000);
    let ResponseKind::CreateTopics(resp) = raw.call(ApiKey::CreateTopics, 5, &req).await else {
        panic!("not a CreateTopics response");
    };
    assert_eq!(
        resp.topics[0].error_code, 0,
        "{topic}: {:?}",
        resp.topics[0].error_message
    );
}

/// Consumes and accepts until `n` acknowledgements are confirmed.
async fn drain(c: &mut ShareClient, n: usize, within: Duration) -> Vec<i64> {
    let deadline = Instant::now() + within;
    let mut confirmed = Vec::new();
    while confirmed.len() < n {
        assert!(
            Instant::now() < deadline,
            "only {} of {n} confirmed",
            confirmed.len()
        );
        let polled = c.poll(500, 200).await;
        assert!(polled.refused.is_empty(), "{:?}", polled.refused);
        confirmed.extend(polled.confirmed.iter().map(|(_, _, o, _)| *o));
        for d in &polled.deliveries {
            c.ack(d, ACCEPT);
        }
        if polled.deliveries.is_empty() {
            let done = c.commit(false).await;
            confirmed.extend(done.confirmed.iter().map(|(_, _, o, _)| *o));
        }
    }
    confirmed
}

/// Waits until `check` holds (15 s at most).
async fn eventually(what: &str, mut check: impl FnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(15);
    while !check() {
        assert!(Instant::now() < deadline, "timed out waiting for: {what}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_consumed_queue_topic_deletes_its_segments() {
    // 100,000 records of 100 B in 64 KiB segments (about 160 of them).
    const N: usize = 100_000;
    let broker = TestBroker::start_with(config(), LogOptions::default()).await;
    create_topic(
        &broker,
        "work",
        &[("herald.queue", "true"), ("segment.bytes", "65536")],
    )
    .await;
    assert!(broker.log.topic("work").unwrap().config.queue);
    let mut c = ShareClient::join(broker.addr, "workers", "w1", &["work"]).await;
    let p = producer(&broker.bootstrap());
    produce(&p, "work", (0..N).map(|i| format!("{i:0>100}"))).await;
    let partition = broker.log.partition("work", 0).unwrap();
    assert_eq!(partition.high_watermark(), N as i64);
    let segments_before = partition.segment_count();
    let bytes_before = partition.size_bytes();
    assert!(segments_before > 100, "segments rolled: {segments_before}");
    let confirmed = drain(&mut c, N, Duration::from_secs(240)).await;
    assert_eq!(confirmed.len(), N);
    eventually("the log start offset reaches the end", || {
        partition.log_start_offset() == partition.high_watermark()
    })
    .await;
    assert_eq!(partition.log_start_offset(), N as i64);
    assert!(
        partition.segment_count() <= 2,
        "{} segments left",
        partition.segment_count()
    );
    assert!(
        partition.size_bytes() < bytes_before / 50,
        "{} of {bytes_before} bytes left",
        partition.size_bytes()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_queue_topic_waits_for_every_interested_group() {
    const N: usize = 400;
    let broker = TestBroker::start_with(config(), LogOptions::default()).await;
    create_topic(
        &broker,
        "shared",
        &[("herald.queue", "true"), ("segment.bytes", "4096")],
    )
    .await;
    let partition = broker.log.partition("shared", 0).unwrap();
    let p = producer(&broker.bootstrap());
    produce(&p, "shared", (0..N).map(|i| format!("m{i:0>50}"))).await;
    tokio::time::sleep(Duration::from_millis(400)).await;
    assert_eq!(
        partition.log_start_offset(),
        0,
        "nobody consumed: nothing goes"
    );

    // A consumer group shows its interest (committed offset 0) before the
    // share group exists — otherwise the cleaner may already delete what
    // the consumer group consumed — then the share group accepts
    // everything and the consumer group commits half.
    let consumer: BaseConsumer = ClientConfig::new()
        .set("bootstrap.servers", broker.bootstrap())
        .set("group.id", "audit")
        .set("enable.auto.commit", "false")
        .create()
        .expect("consumer");
    let commit = |offset: i64| {
        let mut tpl = TopicPartitionList::new();
        tpl.add_partition_offset("shared", 0, Offset::Offset(offset))
            .unwrap();
        consumer.commit(&tpl, CommitMode::Sync).expect("commit");
    };
    commit(0);
    set_group_configs(broker.addr, "q", &[("share.auto.offset.reset", "earliest")]).await;
    let mut c = ShareClient::join(broker.addr, "q", "c", &["shared"]).await;
    drain(&mut c, N, Duration::from_secs(30)).await;
    tokio::time::sleep(Duration::from_millis(400)).await;
    assert_eq!(
        partition.log_start_offset(),
        0,
        "the share group is done, the consumer group is not"
    );
    commit(N as i64 / 2);
    eventually("the start moves to the consumer group's offset", || {
        partition.log_start_offset() == N as i64 / 2
    })
    .await;
    tokio::time::sleep(Duration::from_millis(400)).await;
    assert_eq!(
        partition.log_start_offset(),
        N as i64 / 2,
        "not past the consumer group"
    );
    commit(N as i64);
    eventually("everything consumed by both groups is gone", || {
        partition.log_start_offset() == N as i64
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_memory_topic_works_through_the_protocol_and_is_empty_after_restart() {
    let broker = TestBroker::start_with(config(), LogOptions::default()).await;
    create_topic(&broker, "scratch", &[("storage", "memory")]).await;
    let id = broker.log.topic("scratch").unwrap().id;
    let mut c = ShareClient::join(broker.addr, "g", "m", &["scratch"]).await;
    let p = producer(&broker.bootstrap());
    produce(&p, "scratch", (0..50).map(|i| format!("ephemeral-{i}"))).await;
    let confirmed = drain(&mut c, 50, Duration::from_secs(20)).await;
    assert_eq!(confirmed.len(), 50, "consumed through a share group");
    drop(p);
    drop(c);

    let broker = broker.restart(config(), LogOptions::default()).await;
    let topic = broker
        .log
        .topic("scratch")
        .expect("the topic itself persists");
    assert_eq!(topic.id, id);
    let partition = broker.log.partition("scratch", 0).unwrap();
    assert_eq!(partition.high_watermark(), 0, "the records are gone");
    // It still works after the restart.
    let mut c = ShareClient::join(broker.addr, "g2", "m", &["scratch"]).await;
    let p = producer(&broker.bootstrap());
    produce(&p, "scratch", (0..5).map(|i| format!("again-{i}"))).await;
    let polled = c.poll(10, 2_000).await;
    assert_eq!(polled.deliveries.len(), 5);
    assert!(polled.deliveries[0].text().starts_with("again-"));
}
