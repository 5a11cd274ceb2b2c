//! Hand-built requests over a raw socket: Metadata, Produce, Fetch,
//! ListOffsets, InitProducerId, DescribeCluster, idempotent producers, and
//! the answers to what the broker does not serve.

use std::time::{Duration, Instant};

use crate::common::TestBroker;
use crate::common::raw::RawClient;
use bytes::Bytes;
use herald_broker::BrokerConfig;
use herald_log::{BatchBuilder, Batches, LogOptions, Record, decode_records};
use kafka_protocol::messages::fetch_request::{FetchPartition, FetchTopic};
use kafka_protocol::messages::list_offsets_request::{ListOffsetsPartition, ListOffsetsTopic};
use kafka_protocol::messages::metadata_request::MetadataRequestTopic;
use kafka_protocol::messages::produce_request::{PartitionProduceData, TopicProduceData};
use kafka_protocol::messages::produce_response::PartitionProduceResponse;
use kafka_protocol::messages::*;
use kafka_protocol::protocol::StrBytes;

fn name(s: &str) -> TopicName {
    TopicName(StrBytes::from_string(s.to_owned()))
}

fn batch(values: &[&str]) -> Bytes {
    let mut b = BatchBuilder::new(1_700_000_000_000);
    for v in values {
        b.push(Record::new(
            Some(b"k".to_vec()),
            Some(v.as_bytes().to_vec()),
        ));
    }
    Bytes::from(b.build())
}

fn idempotent(pid: i64, epoch: i16, seq: i32, n: usize) -> Bytes {
    let mut b = BatchBuilder::new(1_700_000_000_000).producer(pid, epoch, seq);
    for i in 0..n {
        b.push(Record::new(None, Some(format!("{seq}-{i}").into_bytes())));
    }
    Bytes::from(b.build())
}

async fn metadata(c: &mut RawClient, version: i16, topics: Option<&[&str]>) -> MetadataResponse {
    let req = MetadataRequest::default()
        .with_topics(topics.map(|t| {
            t.iter()
                .map(|n| MetadataRequestTopic::default().with_name(Some(name(n))))
                .collect()
        }))
        .with_allow_auto_topic_creation(true);
    match c.call(ApiKey::Metadata, version, &req).await {
        ResponseKind::Metadata(m) => m,
        other => panic!("unexpected {other:?}"),
    }
}

async fn produce(
    c: &mut RawClient,
    version: i16,
    topic: &str,
    partition: i32,
    records: Bytes,
) -> PartitionProduceResponse {
    let req = ProduceRequest::default()
        .with_acks(-1)
        .with_timeout_ms(5000)
        .with_topic_data(vec![
            TopicProduceData::default()
                .with_name(name(topic))
                .with_partition_data(vec![
                    PartitionProduceData::default()
                        .with_index(partition)
                        .with_records(Some(records)),
                ]),
        ]);
    match c.call(ApiKey::Produce, version, &req).await {
        ResponseKind::Produce(mut r) => {
            assert_eq!(r.responses.len(), 1);
            r.responses[0].partition_responses.remove(0)
        }
        other => panic!("unexpected {other:?}"),
    }
}

fn fetch_request(topic: &str, offset: i64, wait_ms: i32, min_bytes: i32) -> FetchRequest {
    FetchRequest::default()
        .with_replica_id(BrokerId(-1))
        .with_max_wait_ms(wait_ms)
        .with_min_bytes(min_bytes)
        .with_max_bytes(1 << 20)
        .with_session_epoch(-1)
        .with_topics(vec![
            FetchTopic::default()
                .with_topic(name(topic))
                .with_partitions(vec![
                    FetchPartition::default()
                        .with_partition(0)
                        .with_fetch_offset(offset)
                        .with_current_leader_epoch(-1)
                        .with_partition_max_bytes(1 << 20),
                ]),
        ])
}

async fn fetch(c: &mut RawClient, version: i16, req: &FetchRequest) -> FetchResponse {
    match c.call(ApiKey::Fetch, version, req).await {
        ResponseKind::Fetch(r) => r,
        other => panic!("unexpected {other:?}"),
    }
}

#[tokio::test]
async fn metadata_lists_creates_and_distinguishes_null_from_empty() {
    let broker = TestBroker::start().await;
    let mut c = RawClient::connect(broker.addr).await;
    for version in [0, 1, 4, 9, 10, 12, 13] {
        let m = metadata(&mut c, version, Some(&["auto"])).await;
        assert_eq!(m.brokers.len(), 1, "v{version}");
        assert_eq!(m.brokers[0].port, i32::from(broker.addr.port()));
        assert_eq!(m.topics.len(), 1);
        let t = &m.topics[0];
        assert_eq!(t.error_code, 0, "v{version}: auto-created");
        assert_eq!(t.partitions.len(), 1);
        assert_eq!(t.partitions[0].leader_id, BrokerId(1));
        if version >= 1 {
            assert_eq!(m.controller_id, BrokerId(1));
        }
        if version >= 10 {
            let id = broker.log.topic("auto").unwrap().id;
            assert_eq!(t.topic_id, id, "stable topic id");
            assert!(!t.topic_id.is_nil());
        }
    }
    broker
        .log
        .create_topic("__consumer_offsets", 1, &Default::default())
        .unwrap();
    // v1+: null = all topics, empty = none; v0: empty = all.
    let all = metadata(&mut c, 9, None).await;
    assert_eq!(all.topics.len(), 2);
    let internal = all
        .topics
        .iter()
        .find(|t| t.name.as_ref().map(|n| n.0.as_str()) == Some("__consumer_offsets"))
        .unwrap();
    assert!(internal.is_internal);
    assert!(metadata(&mut c, 9, Some(&[])).await.topics.is_empty());
    assert_eq!(metadata(&mut c, 0, Some(&[])).await.topics.len(), 2);
    // Invalid names are refused, not created.
    let bad = metadata(&mut c, 9, Some(&["no/slash"])).await;
    assert_eq!(bad.topics[0].error_code, 17, "INVALID_TOPIC_EXCEPTION");
}

#[tokio::test]
async fn metadata_respects_disabled_auto_creation_and_lookup_by_id() {
    let mut config = BrokerConfig::default();
    config.auto_create_topics = false;
    let broker = TestBroker::start_with(config, LogOptions::default()).await;
    let mut c = RawClient::connect(broker.addr).await;
    let m = metadata(&mut c, 12, Some(&["missing"])).await;
    assert_eq!(m.topics[0].error_code, 3, "UNKNOWN_TOPIC_OR_PARTITION");
    assert!(broker.log.topic("missing").is_none());
    let id = broker
        .log
        .create_topic("t", 3, &Default::default())
        .unwrap()
        .id;
    let req = MetadataRequest::default().with_topics(Some(vec![
        MetadataRequestTopic::default()
            .with_topic_id(id)
            .with_name(None),
        MetadataRequestTopic::default()
            .with_topic_id(uuid::Uuid::from_u128(7))
            .with_name(None),
    ]));
    let ResponseKind::Metadata(m) = c.call(ApiKey::Metadata, 12, &req).await else {
        panic!("metadata");
    };
    assert_eq!(m.topics[0].name.as_ref().unwrap().0.as_str(), "t");
    assert_eq!(m.topics[0].partitions.len(), 3);
    assert_eq!(m.topics[1].error_code, 100, "UNKNOWN_TOPIC_ID");
}

#[tokio::test]
async fn produce_then_fetch_returns_the_stored_batch() {
    let broker = TestBroker::start().await;
    broker
        .log
        .create_topic("t", 1, &Default::default())
        .unwrap();
    let mut c = RawClient::connect(broker.addr).await;
    for (i, version) in [3i16, 7, 9, 13].into_iter().enumerate() {
        let req_topic = if version >= 13 { "" } else { "t" };
        let req = ProduceRequest::default().with_acks(1).with_topic_data(vec![
            TopicProduceData::default()
                .with_name(name(req_topic))
                .with_topic_id(broker.log.topic("t").unwrap().id)
                .with_partition_data(vec![
                    PartitionProduceData::default()
                        .with_index(0)
                        .with_records(Some(batch(&["a", "b"]))),
                ]),
        ]);
        let ResponseKind::Produce(r) = c.call(ApiKey::Produce, version, &req).await else {
            panic!("produce");
        };
        let p = &r.responses[0].partition_responses[0];
        assert_eq!(p.error_code, 0, "v{version}");
        assert_eq!(p.base_offset, 2 * i as i64);
        assert_eq!(p.log_append_time_ms, -1);
        if version >= 5 {
            assert_eq!(p.log_start_offset, 0);
        }
    }
    for version in [4i16, 11, 12] {
        let r = fetch(&mut c, version, &fetch_request("t", 3, 0, 1)).await;
        let p = &r.responses[0].partitions[0];
        assert_eq!(p.error_code, 0);
        assert_eq!(p.high_watermark, 8);
        let records = p.records.clone().unwrap();
        // The whole batch holding offset 3 (base offset 2) comes back first.
        let first = Batches::new(&records).next().unwrap();
        assert_eq!(first.base_offset(), 2);
        let values: Vec<_> = Batches::new(&records)
            .flat_map(|b| decode_records(b.bytes()).unwrap())
            .map(|r| r.value.unwrap())
            .collect();
        assert_eq!(values.len(), 6);
    }
    // v13+ addresses topics by id.
    let id = broker.log.topic("t").unwrap().id;
    let mut req = fetch_request("", 0, 0, 1);
    req.topics[0].topic_id = id;
    let r = fetch(&mut c, 16, &req).await;
    assert_eq!(r.responses[0].topic_id, id);
    assert_eq!(r.responses[0].partitions[0].error_code, 0);
    req.topics[0].topic_id = uuid::Uuid::from_u128(1);
    let r = fetch(&mut c, 16, &req).await;
    assert_eq!(
        r.responses[0].partitions[0].error_code, 100,
        "UNKNOWN_TOPIC_ID"
    );
    // Out of range.
    let r = fetch(&mut c, 12, &fetch_request("t", 99, 0, 1)).await;
    assert_eq!(
        r.responses[0].partitions[0].error_code, 1,
        "OFFSET_OUT_OF_RANGE"
    );
    assert_eq!(r.responses[0].partitions[0].high_watermark, 8);
}

#[tokio::test]
async fn produce_errors_map_from_the_log() {
    let broker = TestBroker::start().await;
    let mut overrides = std::collections::BTreeMap::new();
    overrides.insert("max.message.bytes".to_owned(), "200".to_owned());
    broker.log.create_topic("small", 1, &overrides).unwrap();
    let mut compacted = std::collections::BTreeMap::new();
    compacted.insert("cleanup.policy".to_owned(), "compact".to_owned());
    broker.log.create_topic("compacted", 1, &compacted).unwrap();
    let mut c = RawClient::connect(broker.addr).await;
    let big = batch(&[&"x".repeat(500)]);
    assert_eq!(
        produce(&mut c, 9, "small", 0, big).await.error_code,
        10,
        "MESSAGE_TOO_LARGE"
    );
    let mut corrupt = batch(&["a"]).to_vec();
    let last = corrupt.len() - 1;
    corrupt[last] ^= 0xff;
    let r = produce(&mut c, 9, "small", 0, Bytes::from(corrupt)).await;
    assert_eq!(r.error_code, 2, "CORRUPT_MESSAGE");
    let mut keyless = BatchBuilder::new(0);
    keyless.push(Record::new(None, Some(b"v".to_vec())));
    let r = produce(&mut c, 9, "compacted", 0, Bytes::from(keyless.build())).await;
    assert_eq!(r.error_code, 87, "INVALID_RECORD");
    assert!(r.error_message.is_some());
    let r = produce(&mut c, 9, "nope", 0, batch(&["a"])).await;
    assert_eq!(r.error_code, 3, "UNKNOWN_TOPIC_OR_PARTITION");
    let r = produce(&mut c, 9, "small", 5, batch(&["a"])).await;
    assert_eq!(r.error_code, 3, "UNKNOWN_TOPIC_OR_PARTITION (partition)");
    let two = Bytes::from([batch(&["a"]), batch(&["b"])].concat());
    let r = produce(&mut c, 9, "small", 0, two).await;
    assert_eq!(r.error_code, 87, "one batch per partition");
    assert_eq!(
        broker.log.partition("small", 0).unwrap().high_watermark(),
        0
    );
}

#[tokio::test]
async fn log_append_time_topics_report_the_broker_time() {
    let broker = TestBroker::start().await;
    let mut o = std::collections::BTreeMap::new();
    o.insert(
        "message.timestamp.type".to_owned(),
        "LogAppendTime".to_owned(),
    );
    broker.log.create_topic("lat", 1, &o).unwrap();
    let mut c = RawClient::connect(broker.addr).await;
    let r = produce(&mut c, 9, "lat", 0, batch(&["a"])).await;
    assert_eq!(r.error_code, 0);
    assert!(
        r.log_append_time_ms > 1_700_000_000_000,
        "{}",
        r.log_append_time_ms
    );
}

#[tokio::test]
async fn acks_zero_gets_no_response_and_v0_produce_closes_the_connection() {
    let broker = TestBroker::start().await;
    broker
        .log
        .create_topic("t", 1, &Default::default())
        .unwrap();
    let mut c = RawClient::connect(broker.addr).await;
    let req = ProduceRequest::default().with_acks(0).with_topic_data(vec![
        TopicProduceData::default()
            .with_name(name("t"))
            .with_partition_data(vec![
                PartitionProduceData::default()
                    .with_index(0)
                    .with_records(Some(batch(&["a"]))),
            ]),
    ]);
    c.send(ApiKey::Produce, 9, &req).await;
    // The next response on the connection answers the Metadata request, not the produce.
    let m = metadata(&mut c, 9, Some(&["t"])).await;
    assert_eq!(m.topics[0].error_code, 0);
    // The record becomes readable once its background fsync is done.
    let deadline = Instant::now() + Duration::from_secs(10);
    while broker.log.partition("t", 0).unwrap().high_watermark() < 1 {
        assert!(
            Instant::now() < deadline,
            "acks=0 record never became visible"
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    // A failed acks=0 produce closes the connection so the client notices.
    let mut failing = RawClient::connect(broker.addr).await;
    let mut bad = req.clone();
    bad.topic_data[0].name = name("missing");
    failing.send(ApiKey::Produce, 9, &bad).await;
    assert!(failing.is_closed().await, "acks=0 failure closes");

    // Produce v0–2 is advertised (for old librdkafka) but refused, as Kafka 4 does.
    let ResponseKind::ApiVersions(v) = c
        .call(ApiKey::ApiVersions, 3, &ApiVersionsRequest::default())
        .await
    else {
        panic!("api versions");
    };
    let produce = v
        .api_keys
        .iter()
        .find(|k| k.api_key == ApiKey::Produce as i16)
        .unwrap();
    assert_eq!(produce.min_version, 0);
    assert!(produce.max_version >= 10);
    // A v0 produce frame: acks, timeout, [topic, [partition, message set]].
    let mut raw = RawClient::connect(broker.addr).await;
    let mut body = Vec::new();
    body.extend_from_slice(&1i16.to_be_bytes());
    body.extend_from_slice(&1000i32.to_be_bytes());
    body.extend_from_slice(&1i32.to_be_bytes());
    body.extend_from_slice(&1i16.to_be_bytes());
    body.push(b't');
    body.extend_from_slice(&1i32.to_be_bytes());
    body.extend_from_slice(&0i32.to_be_bytes());
    body.extend_from_slice(&0i32.to_be_bytes());
    raw.send(ApiKey::Produce, 0, &RawBody(body)).await;
    assert!(raw.is_closed().await, "v0 produce closes the connection");
}

/// Pre-encoded bytes for a request version the codec cannot encode.
struct RawBody(Vec<u8>);

impl kafka_protocol::protocol::Encodable for RawBody {
    fn encode<B: kafka_protocol::protocol::buf::ByteBufMut>(
        &self,
        buf: &mut B,
        _version: i16,
    ) -> anyhow::Result<()> {
        buf.put_slice(&self.0);
        Ok(())
    }
    fn compute_size(&self, _version: i16) -> anyhow::Result<usize> {
        Ok(self.0.len())
    }
}

#[tokio::test]
async fn fetch_long_polls_until_data_arrives_or_the_wait_ends() {
    let broker = TestBroker::start().await;
    broker
        .log
        .create_topic("t", 1, &Default::default())
        .unwrap();
    let mut c = RawClient::connect(broker.addr).await;
    // Nothing arrives: the broker waits about max_wait_ms, not less.
    let start = Instant::now();
    let r = fetch(&mut c, 12, &fetch_request("t", 0, 300, 1)).await;
    let waited = start.elapsed();
    assert!(waited >= Duration::from_millis(250), "{waited:?}");
    assert!(waited < Duration::from_secs(3), "{waited:?}");
    assert!(
        r.responses[0].partitions[0]
            .records
            .as_ref()
            .unwrap()
            .is_empty()
    );
    // Data arriving mid-wait ends the wait early.
    let mut consumer = RawClient::connect(broker.addr).await;
    let waiting = tokio::spawn(async move {
        let start = Instant::now();
        let r = fetch(&mut consumer, 12, &fetch_request("t", 0, 10_000, 1)).await;
        (start.elapsed(), r)
    });
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert_eq!(
        produce(&mut c, 9, "t", 0, batch(&["late"]))
            .await
            .error_code,
        0
    );
    let (waited, r) = waiting.await.unwrap();
    assert!(
        waited < Duration::from_secs(5),
        "woken by the append: {waited:?}"
    );
    assert!(
        !r.responses[0].partitions[0]
            .records
            .as_ref()
            .unwrap()
            .is_empty()
    );
    // A session id we never handed out.
    let mut req = fetch_request("t", 0, 0, 1);
    req.session_id = 42;
    assert_eq!(
        fetch(&mut c, 12, &req).await.error_code,
        70,
        "FETCH_SESSION_ID_NOT_FOUND"
    );
    // A sessionless full fetch is answered with session id 0.
    let mut req = fetch_request("t", 0, 0, 1);
    req.session_epoch = 0;
    assert_eq!(fetch(&mut c, 12, &req).await.session_id, 0);
}

#[tokio::test]
async fn list_offsets_earliest_latest_max_and_by_time() {
    let broker = TestBroker::start().await;
    broker
        .log
        .create_topic("t", 1, &Default::default())
        .unwrap();
    let mut c = RawClient::connect(broker.addr).await;
    for i in 0..3i64 {
        let mut b = BatchBuilder::new(1_000 * (i + 1));
        b.push(Record::new(None, Some(b"v".to_vec())));
        assert_eq!(
            produce(&mut c, 9, "t", 0, Bytes::from(b.build()))
                .await
                .error_code,
            0
        );
    }
    broker
        .log
        .partition("t", 0)
        .unwrap()
        .delete_records(1)
        .unwrap();
    let ask = |ts: i64| {
        ListOffsetsRequest::default()
            .with_replica_id(BrokerId(-1))
            .with_topics(vec![
                ListOffsetsTopic::default()
                    .with_name(name("t"))
                    .with_partitions(vec![
                        ListOffsetsPartition::default()
                            .with_partition_index(0)
                            .with_current_leader_epoch(-1)
                            .with_timestamp(ts),
                    ]),
            ])
    };
    for (ts, want_offset, want_ts) in [
        (-2, 1, -1),
        (-1, 3, -1),
        (-3, 2, 3000),
        (1500, 1, 2000),
        (2000, 1, 2000),
        (2500, 2, 3000),
        (9999, -1, -1),
    ] {
        let ResponseKind::ListOffsets(r) = c.call(ApiKey::ListOffsets, 7, &ask(ts)).await else {
            panic!("list offsets");
        };
        let p = &r.topics[0].partitions[0];
        assert_eq!(p.error_code, 0, "ts {ts}");
        assert_eq!((p.offset, p.timestamp), (want_offset, want_ts), "ts {ts}");
    }
}

#[tokio::test]
async fn init_producer_id_and_describe_cluster() {
    let broker = TestBroker::start().await;
    let mut c = RawClient::connect(broker.addr).await;
    let mut ids = Vec::new();
    for version in [0i16, 2, 4, 5] {
        let req = InitProducerIdRequest::default()
            .with_transactional_id(None)
            .with_transaction_timeout_ms(60_000)
            .with_producer_id(ProducerId(-1))
            .with_producer_epoch(-1);
        let ResponseKind::InitProducerId(r) = c.call(ApiKey::InitProducerId, version, &req).await
        else {
            panic!("init producer id");
        };
        assert_eq!(r.error_code, 0);
        assert_eq!(r.producer_epoch, 0);
        ids.push(r.producer_id.0);
    }
    let mut unique = ids.clone();
    unique.dedup();
    assert_eq!(unique.len(), ids.len(), "{ids:?}");
    let txn = InitProducerIdRequest::default()
        .with_transactional_id(Some(TransactionalId(StrBytes::from_static_str("tx"))))
        .with_producer_id(ProducerId(-1))
        .with_producer_epoch(-1);
    let ResponseKind::InitProducerId(r) = c.call(ApiKey::InitProducerId, 4, &txn).await else {
        panic!("init producer id");
    };
    assert_ne!(r.error_code, 0, "transactions are refused");

    let ResponseKind::DescribeCluster(d) = c
        .call(
            ApiKey::DescribeCluster,
            1,
            &DescribeClusterRequest::default().with_endpoint_type(1),
        )
        .await
    else {
        panic!("describe cluster");
    };
    assert_eq!(d.error_code, 0);
    assert_eq!(d.controller_id, BrokerId(1));
    assert_eq!(d.brokers.len(), 1);
    assert_eq!(d.cluster_id.as_str(), "herald-cluster");
}

#[tokio::test]
async fn unserved_apis_get_an_error_in_their_shape_or_a_close() {
    let broker = TestBroker::start().await;
    let mut c = RawClient::connect(broker.addr).await;
    let resp = c
        .call(ApiKey::SaslHandshake, 1, &SaslHandshakeRequest::default())
        .await;
    let ResponseKind::SaslHandshake(r) = resp else {
        panic!("sasl handshake");
    };
    assert_eq!(r.error_code, 33, "UNSUPPORTED_SASL_MECHANISM");
    let ResponseKind::DescribeAcls(r) = c
        .call(ApiKey::DescribeAcls, 1, &DescribeAclsRequest::default())
        .await
    else {
        panic!("describe acls");
    };
    assert_eq!(r.error_code, 54, "SECURITY_DISABLED");
    // The connection still works; an API with no error shape closes it.
    assert!(metadata(&mut c, 9, Some(&[])).await.topics.is_empty());
    c.send(
        ApiKey::WriteTxnMarkers,
        1,
        &WriteTxnMarkersRequest::default(),
    )
    .await;
    assert!(c.is_closed().await);
}

#[tokio::test]
async fn idempotent_duplicates_gaps_epochs_and_restart() {
    let broker = TestBroker::start().await;
    broker
        .log
        .create_topic("t", 1, &Default::default())
        .unwrap();
    let mut c = RawClient::connect(broker.addr).await;
    let r = produce(&mut c, 9, "t", 0, batch(&["plain"])).await;
    assert_eq!(r.base_offset, 0);
    let first = idempotent(1000, 0, 0, 3);
    assert_eq!(
        produce(&mut c, 9, "t", 0, first.clone()).await.base_offset,
        1
    );
    assert_eq!(
        produce(&mut c, 9, "t", 0, idempotent(1000, 0, 3, 2))
            .await
            .base_offset,
        4
    );
    // A retried batch is acknowledged with its original offset and not written again.
    let dup = produce(&mut c, 9, "t", 0, first.clone()).await;
    assert_eq!((dup.error_code, dup.base_offset), (0, 1));
    assert_eq!(broker.log.partition("t", 0).unwrap().high_watermark(), 6);
    // A gap.
    let gap = produce(&mut c, 9, "t", 0, idempotent(1000, 0, 9, 1)).await;
    assert_eq!(gap.error_code, 45, "OUT_OF_ORDER_SEQUENCE_NUMBER");
    // A newer epoch restarts at 0; the old epoch is then fenced.
    assert_eq!(
        produce(&mut c, 9, "t", 0, idempotent(1000, 1, 0, 1))
            .await
            .base_offset,
        6
    );
    let stale = produce(&mut c, 9, "t", 0, idempotent(1000, 0, 5, 1)).await;
    assert_eq!(stale.error_code, 47, "INVALID_PRODUCER_EPOCH");

    // The state survives a restart: it is rebuilt from the log.
    let mut broker = broker
        .restart(BrokerConfig::default(), LogOptions::default())
        .await;
    let mut c = RawClient::connect(broker.addr).await;
    let again = produce(&mut c, 9, "t", 0, idempotent(1000, 1, 0, 1)).await;
    assert_eq!((again.error_code, again.base_offset), (0, 6));
    let gap = produce(&mut c, 9, "t", 0, idempotent(1000, 1, 3, 1)).await;
    assert_eq!(gap.error_code, 45);
    assert_eq!(
        produce(&mut c, 9, "t", 0, idempotent(1000, 1, 1, 1))
            .await
            .base_offset,
        7
    );
    assert_eq!(broker.log.partition("t", 0).unwrap().high_watermark(), 8);
    broker.stop().await;
}

#[tokio::test]
async fn fetch_honours_partition_and_response_byte_limits() {
    let broker = TestBroker::start().await;
    broker
        .log
        .create_topic("t", 2, &Default::default())
        .unwrap();
    let mut c = RawClient::connect(broker.addr).await;
    let big = "x".repeat(1000);
    for p in 0..2 {
        for _ in 0..3 {
            assert_eq!(
                produce(&mut c, 9, "t", p, batch(&[&big])).await.error_code,
                0
            );
        }
    }
    let partition = |p: i32, max: i32| {
        FetchPartition::default()
            .with_partition(p)
            .with_fetch_offset(0)
            .with_current_leader_epoch(-1)
            .with_partition_max_bytes(max)
    };
    let req = |max_bytes: i32, per_partition: i32| {
        FetchRequest::default()
            .with_replica_id(BrokerId(-1))
            .with_max_bytes(max_bytes)
            .with_min_bytes(1)
            .with_session_epoch(-1)
            .with_topics(vec![
                FetchTopic::default()
                    .with_topic(name("t"))
                    .with_partitions(vec![
                        partition(0, per_partition),
                        partition(1, per_partition),
                    ]),
            ])
    };
    let batches = |r: &FetchResponse, p: usize| {
        Batches::new(r.responses[0].partitions[p].records.as_ref().unwrap()).count()
    };
    // Generous limits: everything.
    let r = fetch(&mut c, 12, &req(1 << 20, 1 << 20)).await;
    assert_eq!((batches(&r, 0), batches(&r, 1)), (3, 3));
    // Per-partition limit below one batch: still one whole batch each (KIP-74
    // for the first; later partitions only while the response has room).
    let r = fetch(&mut c, 12, &req(1 << 20, 10)).await;
    assert_eq!((batches(&r, 0), batches(&r, 1)), (1, 1));
    // Response limit below one batch: the first partition's first batch only.
    let r = fetch(&mut c, 12, &req(10, 1 << 20)).await;
    assert_eq!((batches(&r, 0), batches(&r, 1)), (1, 0));
    assert_eq!(r.responses[0].partitions[1].high_watermark, 3);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pipelined_produce_requests_answer_in_order_and_share_fsyncs() {
    const N: usize = 50;
    let broker = TestBroker::start().await;
    broker
        .log
        .create_topic("t", 1, &Default::default())
        .unwrap();
    let partition = broker.log.partition("t", 0).unwrap();
    let syncs_before = partition.sync_count();
    let mut c = RawClient::connect(broker.addr).await;
    let mut sent = Vec::new();
    for i in 0..N {
        let req = ProduceRequest::default()
            .with_acks(-1)
            .with_topic_data(vec![
                TopicProduceData::default()
                    .with_name(name("t"))
                    .with_partition_data(vec![
                        PartitionProduceData::default()
                            .with_index(0)
                            .with_records(Some(idempotent(77, 0, i as i32, 1))),
                    ]),
            ]);
        sent.push(c.send(ApiKey::Produce, 9, &req).await);
    }
    for (i, cid) in sent.into_iter().enumerate() {
        let (got, resp) = c.receive(ApiKey::Produce, 9).await.expect("response");
        assert_eq!(got, cid, "responses in request order");
        let ResponseKind::Produce(r) = resp else {
            panic!("produce");
        };
        let p = &r.responses[0].partition_responses[0];
        assert_eq!((p.error_code, p.base_offset), (0, i as i64));
    }
    assert_eq!(partition.high_watermark(), N as i64);
    let syncs = partition.sync_count() - syncs_before;
    assert!(
        syncs < N as u64,
        "{syncs} fsyncs for {N} pipelined requests"
    );
}
