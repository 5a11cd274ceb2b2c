//! librdkafka's AdminClient against the broker: topics, partitions,
//! configs, and kcat-style cluster metadata.

use std::time::Duration;

use crate::common::TestBroker;
use rdkafka::ClientConfig;
use rdkafka::admin::{
    AdminClient, AdminOptions, AlterConfig, ConfigSource, NewPartitions, NewTopic,
    ResourceSpecifier, TopicReplication,
};
use rdkafka::client::DefaultClientContext;
use rdkafka::consumer::{BaseConsumer, Consumer};

const TIMEOUT: Duration = Duration::from_secs(30);

fn admin(broker: &TestBroker) -> AdminClient<DefaultClientContext> {
    ClientConfig::new()
        .set("bootstrap.servers", broker.bootstrap())
        .create()
        .expect("admin client")
}

fn options() -> AdminOptions {
    AdminOptions::new().operation_timeout(Some(TIMEOUT))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn admin_client_manages_topics_partitions_and_configs() {
    let broker = TestBroker::start().await;
    let a = admin(&broker);
    let created = a
        .create_topics(
            &[
                NewTopic::new("orders", 2, TopicReplication::Fixed(1)).set("retention.ms", "60000"),
                NewTopic::new("replicated", 1, TopicReplication::Fixed(3)),
            ],
            &options(),
        )
        .await
        .unwrap();
    assert_eq!(created[0], Ok("orders".to_owned()));
    assert!(created[1].is_err(), "replication factor 3 on one node");
    assert_eq!(broker.log.topic("orders").unwrap().partitions, 2);

    let grown = a
        .create_partitions(&[NewPartitions::new("orders", 5)], &options())
        .await
        .unwrap();
    assert_eq!(grown[0], Ok("orders".to_owned()));
    assert_eq!(broker.log.topic("orders").unwrap().partitions, 5);

    let described = a
        .describe_configs(&[ResourceSpecifier::Topic("orders")], &options())
        .await
        .unwrap();
    let resource = described[0].as_ref().expect("topic configs");
    let retention = resource.get("retention.ms").unwrap();
    assert_eq!(retention.value.as_deref(), Some("60000"));
    assert_eq!(retention.source, ConfigSource::DynamicTopic);
    let segment = resource.get("segment.bytes").unwrap();
    assert_eq!(segment.source, ConfigSource::Default);
    assert!(resource.get("max.message.bytes").is_some());

    let altered = a
        .alter_configs(
            &[AlterConfig::new(ResourceSpecifier::Topic("orders"))
                .set("cleanup.policy", "compact")],
            &options(),
        )
        .await
        .unwrap();
    assert!(altered[0].is_ok(), "{:?}", altered[0]);
    let config = broker.log.topic("orders").unwrap().config;
    assert!(config.cleanup_policy.compact);

    let broker_configs = a
        .describe_configs(&[ResourceSpecifier::Broker(1)], &options())
        .await
        .unwrap();
    let b = broker_configs[0].as_ref().expect("broker configs");
    assert_eq!(
        b.get("message.max.bytes").unwrap().value.as_deref(),
        Some("1048588")
    );

    let deleted = a
        .delete_topics(&["orders", "nope"], &options())
        .await
        .unwrap();
    assert_eq!(deleted[0], Ok("orders".to_owned()));
    assert!(deleted[1].is_err());
    assert!(broker.log.topic("orders").is_none());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cluster_metadata_with_all_topics_as_kcat_lists_it() {
    let broker = TestBroker::start().await;
    for (name, partitions) in [("alpha", 1), ("beta", 3)] {
        broker
            .log
            .create_topic(name, partitions, &Default::default())
            .unwrap();
    }
    let bootstrap = broker.bootstrap();
    let metadata = tokio::task::spawn_blocking(move || {
        let c: BaseConsumer = ClientConfig::new()
            .set("bootstrap.servers", bootstrap)
            .create()
            .unwrap();
        // An all-topics request: librdkafka sends it as Metadata v13 with a
        // null topic array followed by three stray bytes, which Kafka ignores.
        c.fetch_metadata(None, TIMEOUT).unwrap()
    })
    .await
    .unwrap();
    assert_eq!(metadata.brokers().len(), 1);
    assert_eq!(metadata.brokers()[0].id(), 1);
    assert_eq!(metadata.brokers()[0].port(), i32::from(broker.addr.port()));
    let mut topics: Vec<(String, usize)> = metadata
        .topics()
        .iter()
        .map(|t| (t.name().to_owned(), t.partitions().len()))
        .collect();
    topics.sort();
    assert_eq!(
        topics,
        vec![("alpha".to_owned(), 1), ("beta".to_owned(), 3)]
    );
    let beta = metadata
        .topics()
        .iter()
        .find(|t| t.name() == "beta")
        .unwrap();
    for p in beta.partitions() {
        assert_eq!(p.leader(), 1);
        assert_eq!(p.replicas(), &[1]);
        assert_eq!(p.isr(), &[1]);
        assert!(p.error().is_none());
    }
}
