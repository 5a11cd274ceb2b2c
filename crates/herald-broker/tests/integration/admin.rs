//! Admin APIs with hand-built requests: CreateTopics, DeleteTopics,
//! CreatePartitions, DeleteRecords, DescribeConfigs, AlterConfigs and
//! IncrementalAlterConfigs.

use crate::common::TestBroker;
use crate::common::raw::RawClient;
use kafka_protocol::messages::create_partitions_request::CreatePartitionsTopic;
use kafka_protocol::messages::create_topics_request::{CreatableTopic, CreatableTopicConfig};
use kafka_protocol::messages::delete_records_request::{
    DeleteRecordsPartition, DeleteRecordsTopic,
};
use kafka_protocol::messages::delete_topics_request::DeleteTopicState;
use kafka_protocol::messages::describe_configs_request::DescribeConfigsResource;
use kafka_protocol::messages::*;
use kafka_protocol::protocol::StrBytes;

fn s(v: &str) -> StrBytes {
    StrBytes::from_string(v.to_owned())
}

fn name(v: &str) -> TopicName {
    TopicName(s(v))
}

fn creatable(topic: &str, partitions: i32, rf: i16, configs: &[(&str, &str)]) -> CreatableTopic {
    CreatableTopic::default()
        .with_name(name(topic))
        .with_num_partitions(partitions)
        .with_replication_factor(rf)
        .with_configs(
            configs
                .iter()
                .map(|(k, v)| {
                    CreatableTopicConfig::default()
                        .with_name(s(k))
                        .with_value(Some(s(v)))
                })
                .collect(),
        )
}

async fn create(
    c: &mut RawClient,
    version: i16,
    topics: Vec<CreatableTopic>,
    validate_only: bool,
) -> CreateTopicsResponse {
    let req = CreateTopicsRequest::default()
        .with_topics(topics)
        .with_timeout_ms(5000)
        .with_validate_only(validate_only);
    match c.call(ApiKey::CreateTopics, version, &req).await {
        ResponseKind::CreateTopics(r) => r,
        other => panic!("{other:?}"),
    }
}

async fn describe(c: &mut RawClient, kind: i8, resource: &str) -> Vec<(String, String, i8)> {
    let req = DescribeConfigsRequest::default()
        .with_resources(vec![
            DescribeConfigsResource::default()
                .with_resource_type(kind)
                .with_resource_name(s(resource))
                .with_configuration_keys(None),
        ])
        .with_include_synonyms(true);
    let ResponseKind::DescribeConfigs(r) = c.call(ApiKey::DescribeConfigs, 4, &req).await else {
        panic!("describe configs");
    };
    assert_eq!(
        r.results[0].error_code, 0,
        "{:?}",
        r.results[0].error_message
    );
    r.results[0]
        .configs
        .iter()
        .map(|e| {
            (
                e.name.to_string(),
                e.value.as_ref().unwrap().to_string(),
                e.config_source,
            )
        })
        .collect()
}

fn value(configs: &[(String, String, i8)], key: &str) -> (String, i8) {
    let (_, v, src) = configs.iter().find(|(k, _, _)| k == key).unwrap();
    (v.clone(), *src)
}

#[tokio::test]
async fn create_topics_validates_and_creates() {
    let broker = TestBroker::start().await;
    let mut c = RawClient::connect(broker.addr).await;
    let r = create(
        &mut c,
        7,
        vec![
            creatable("a", 3, 1, &[("retention.ms", "1000")]),
            creatable("b", -1, -1, &[]),
            creatable("c", 1, 3, &[]),
            creatable("d", 0, 1, &[]),
            creatable("e", 1, 1, &[("nonsense", "1")]),
            creatable("f", 1, 1, &[("retention.ms", "soon")]),
            creatable("bad/name", 1, 1, &[]),
        ],
        false,
    )
    .await;
    let codes: Vec<i16> = r.topics.iter().map(|t| t.error_code).collect();
    assert_eq!(codes, vec![0, 0, 38, 37, 40, 40, 17]);
    let a = &r.topics[0];
    assert_eq!(a.num_partitions, 3);
    assert_eq!(a.topic_id, broker.log.topic("a").unwrap().id);
    let configs = a.configs.as_ref().unwrap();
    let retention = configs
        .iter()
        .find(|c| c.name.as_str() == "retention.ms")
        .unwrap();
    assert_eq!(retention.value.as_ref().unwrap().as_str(), "1000");
    assert_eq!(retention.config_source, 1, "DYNAMIC_TOPIC_CONFIG");
    assert_eq!(broker.log.topic("b").unwrap().partitions, 1, "default");
    assert!(broker.log.topic("c").is_none());
    // Again: already exists.
    let r = create(&mut c, 4, vec![creatable("a", 1, 1, &[])], false).await;
    assert_eq!(r.topics[0].error_code, 36, "TOPIC_ALREADY_EXISTS");
    // validate_only creates nothing but reports as if it had.
    let r = create(&mut c, 7, vec![creatable("v", 4, 1, &[])], true).await;
    assert_eq!(r.topics[0].error_code, 0);
    assert_eq!(r.topics[0].num_partitions, 4);
    assert!(broker.log.topic("v").is_none());
    let r = create(&mut c, 7, vec![creatable("a", 4, 1, &[])], true).await;
    assert_eq!(r.topics[0].error_code, 36);
}

#[tokio::test]
async fn delete_topics_by_name_and_id_and_create_partitions() {
    let broker = TestBroker::start().await;
    let mut c = RawClient::connect(broker.addr).await;
    create(
        &mut c,
        7,
        vec![creatable("x", 1, 1, &[]), creatable("y", 1, 1, &[])],
        false,
    )
    .await;
    let grow = |count| {
        CreatePartitionsRequest::default().with_topics(vec![
            CreatePartitionsTopic::default()
                .with_name(name("x"))
                .with_count(count)
                .with_assignments(None),
        ])
    };
    let ResponseKind::CreatePartitions(r) = c.call(ApiKey::CreatePartitions, 3, &grow(4)).await
    else {
        panic!("create partitions");
    };
    assert_eq!(r.results[0].error_code, 0);
    assert_eq!(broker.log.topic("x").unwrap().partitions, 4);
    let ResponseKind::CreatePartitions(r) = c.call(ApiKey::CreatePartitions, 3, &grow(2)).await
    else {
        panic!("create partitions");
    };
    assert_eq!(r.results[0].error_code, 37, "INVALID_PARTITIONS");

    let by_name = DeleteTopicsRequest::default().with_topic_names(vec![name("x"), name("zz")]);
    let ResponseKind::DeleteTopics(r) = c.call(ApiKey::DeleteTopics, 4, &by_name).await else {
        panic!("delete topics");
    };
    let codes: Vec<i16> = r.responses.iter().map(|t| t.error_code).collect();
    assert_eq!(codes, vec![0, 3]);
    assert!(broker.log.topic("x").is_none());
    let id = broker.log.topic("y").unwrap().id;
    let by_id = DeleteTopicsRequest::default().with_topics(vec![
        DeleteTopicState::default()
            .with_name(None)
            .with_topic_id(id),
        DeleteTopicState::default()
            .with_name(None)
            .with_topic_id(uuid::Uuid::from_u128(5)),
    ]);
    let ResponseKind::DeleteTopics(r) = c.call(ApiKey::DeleteTopics, 6, &by_id).await else {
        panic!("delete topics");
    };
    assert_eq!(r.responses[0].error_code, 0);
    assert_eq!(r.responses[0].name.as_ref().unwrap().0.as_str(), "y");
    assert_eq!(r.responses[1].error_code, 100, "UNKNOWN_TOPIC_ID");
    assert!(broker.log.topics().is_empty());
}

#[tokio::test]
async fn describe_and_alter_configs() {
    let broker = TestBroker::start().await;
    let mut c = RawClient::connect(broker.addr).await;
    create(
        &mut c,
        7,
        vec![creatable("t", 1, 1, &[("retention.ms", "5000")])],
        false,
    )
    .await;
    let configs = describe(&mut c, 2, "t").await;
    assert_eq!(configs.len(), herald_log::CONFIG_KEYS.len());
    assert_eq!(value(&configs, "retention.ms"), ("5000".to_owned(), 1));
    assert_eq!(value(&configs, "cleanup.policy"), ("delete".to_owned(), 5));
    let broker_configs = describe(&mut c, 4, "1").await;
    assert_eq!(value(&broker_configs, "message.max.bytes").0, "1048588");
    assert_eq!(
        value(&broker_configs, "auto.create.topics.enable").0,
        "true"
    );

    // IncrementalAlterConfigs: SET, APPEND, DELETE.
    use kafka_protocol::messages::incremental_alter_configs_request::{
        AlterConfigsResource, AlterableConfig,
    };
    let op = |key: &str, op: i8, v: Option<&str>| {
        AlterableConfig::default()
            .with_name(s(key))
            .with_config_operation(op)
            .with_value(v.map(s))
    };
    let incremental = |ops: Vec<AlterableConfig>| {
        IncrementalAlterConfigsRequest::default().with_resources(vec![
            AlterConfigsResource::default()
                .with_resource_type(2)
                .with_resource_name(s("t"))
                .with_configs(ops),
        ])
    };
    let req = incremental(vec![
        op("max.message.bytes", 0, Some("2000")),
        op("cleanup.policy", 2, Some("compact")),
        op("retention.ms", 1, None),
    ]);
    let ResponseKind::IncrementalAlterConfigs(r) =
        c.call(ApiKey::IncrementalAlterConfigs, 1, &req).await
    else {
        panic!("incremental alter configs");
    };
    assert_eq!(
        r.responses[0].error_code, 0,
        "{:?}",
        r.responses[0].error_message
    );
    let configs = describe(&mut c, 2, "t").await;
    assert_eq!(value(&configs, "max.message.bytes"), ("2000".to_owned(), 1));
    assert_eq!(value(&configs, "cleanup.policy").0, "compact,delete");
    assert_eq!(value(&configs, "retention.ms"), ("604800000".to_owned(), 5));
    assert_eq!(
        broker
            .log
            .partition("t", 0)
            .unwrap()
            .config()
            .max_message_bytes,
        2000
    );
    // SUBTRACT, and refusals: APPEND on a non-list, a bad value.
    let req = incremental(vec![op("cleanup.policy", 3, Some("delete"))]);
    c.call(ApiKey::IncrementalAlterConfigs, 1, &req).await;
    assert_eq!(
        value(&describe(&mut c, 2, "t").await, "cleanup.policy").0,
        "compact"
    );
    for bad in [
        op("retention.ms", 2, Some("1")),
        op("retention.ms", 0, Some("x")),
    ] {
        let ResponseKind::IncrementalAlterConfigs(r) = c
            .call(ApiKey::IncrementalAlterConfigs, 1, &incremental(vec![bad]))
            .await
        else {
            panic!("incremental alter configs");
        };
        assert_eq!(r.responses[0].error_code, 40, "INVALID_CONFIG");
    }

    // AlterConfigs replaces the whole set of overrides.
    use kafka_protocol::messages::alter_configs_request::{
        AlterConfigsResource as Resource, AlterableConfig as Config,
    };
    let req = AlterConfigsRequest::default().with_resources(vec![
        Resource::default()
            .with_resource_type(2)
            .with_resource_name(s("t"))
            .with_configs(vec![
                Config::default()
                    .with_name(s("segment.bytes"))
                    .with_value(Some(s("100000"))),
            ]),
    ]);
    let ResponseKind::AlterConfigs(r) = c.call(ApiKey::AlterConfigs, 2, &req).await else {
        panic!("alter configs");
    };
    assert_eq!(r.responses[0].error_code, 0);
    let configs = describe(&mut c, 2, "t").await;
    assert_eq!(value(&configs, "segment.bytes"), ("100000".to_owned(), 1));
    assert_eq!(value(&configs, "cleanup.policy"), ("delete".to_owned(), 5));
    assert_eq!(value(&configs, "max.message.bytes").1, 5);
}

#[tokio::test]
async fn delete_records_moves_the_low_watermark() {
    let broker = TestBroker::start().await;
    broker
        .log
        .create_topic("t", 1, &Default::default())
        .unwrap();
    let p = broker.log.partition("t", 0).unwrap();
    for _ in 0..5 {
        let mut b = herald_log::BatchBuilder::new(0);
        b.push(herald_log::Record::new(None, Some(b"v".to_vec())));
        p.append(&b.build()).unwrap();
    }
    let mut c = RawClient::connect(broker.addr).await;
    let req = |offset| {
        DeleteRecordsRequest::default().with_topics(vec![
            DeleteRecordsTopic::default()
                .with_name(name("t"))
                .with_partitions(vec![
                    DeleteRecordsPartition::default()
                        .with_partition_index(0)
                        .with_offset(offset),
                ]),
        ])
    };
    let ResponseKind::DeleteRecords(r) = c.call(ApiKey::DeleteRecords, 2, &req(3)).await else {
        panic!("delete records");
    };
    assert_eq!(r.topics[0].partitions[0].error_code, 0);
    assert_eq!(r.topics[0].partitions[0].low_watermark, 3);
    assert_eq!(p.log_start_offset(), 3);
    let ResponseKind::DeleteRecords(r) = c.call(ApiKey::DeleteRecords, 2, &req(99)).await else {
        panic!("delete records");
    };
    assert_eq!(
        r.topics[0].partitions[0].error_code, 1,
        "OFFSET_OUT_OF_RANGE"
    );
    let ResponseKind::DeleteRecords(r) = c.call(ApiKey::DeleteRecords, 2, &req(-1)).await else {
        panic!("delete records");
    };
    assert_eq!(
        r.topics[0].partitions[0].low_watermark, 5,
        "-1 = high watermark"
    );
}
