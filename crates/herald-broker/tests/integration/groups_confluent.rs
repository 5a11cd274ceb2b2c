//! KIP-848 consumer groups driven by the `confluent-kafka` crate (Confluent's
//! pure-Rust translation of the Java client, which speaks only the consumer
//! protocol), and its admin client over the group APIs. Every wait is bounded.

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::ops::Range;
use std::time::{Duration, Instant};

use crate::common::TestBroker;
use crate::groups_rdkafka::{config, produce, start};
use confluent_kafka::admin::{Admin, AdminClient, AdminClientConfig};
use confluent_kafka::common::serialization::StringDeserializer;
use confluent_kafka::common::{GroupState, GroupType, TopicPartition};
use confluent_kafka::consumer::{Consumer, ConsumerConfig, KafkaConsumer};
use herald_log::LogOptions;
use rdkafka::config::ClientConfig;

const WAIT: Duration = Duration::from_secs(40);

type Reader = KafkaConsumer<String, String>;

fn props(broker: &TestBroker, extra: &[(&str, &str)]) -> HashMap<String, String> {
    let mut props: HashMap<String, String> = extra
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect();
    props.insert("bootstrap.servers".into(), broker.bootstrap());
    props
}

async fn reader(broker: &TestBroker, group: &str, topic: &str) -> Reader {
    let config = ConsumerConfig::new(&props(
        broker,
        &[
            ("group.id", group),
            ("group.protocol", "consumer"),
            ("enable.auto.commit", "false"),
            ("auto.offset.reset", "earliest"),
        ],
    ))
    .expect("consumer config");
    let mut c = KafkaConsumer::new(config, StringDeserializer::new(), StringDeserializer::new())
        .expect("consumer");
    c.subscribe_with_topics(vec![topic.to_owned()])
        .await
        .expect("subscribe");
    c
}

fn admin(broker: &TestBroker) -> Box<dyn Admin> {
    AdminClient::create(AdminClientConfig::new(&props(broker, &[])).expect("admin config"))
        .expect("admin")
}

/// Polls every reader until each holds `each` partitions (no records may
/// arrive meanwhile).
async fn wait_assigned(readers: &mut [Reader], each: usize) {
    let deadline = Instant::now() + WAIT;
    loop {
        let counts: Vec<usize> = readers.iter_mut().map(|r| r.assignment().len()).collect();
        if counts.iter().all(|n| *n == each) {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "assignments {counts:?}, wanted {each} each"
        );
        for r in readers.iter_mut() {
            let records = r.poll(Duration::from_millis(50)).await.expect("poll");
            assert!(records.is_empty(), "no records expected yet");
        }
    }
}

/// Polls round-robin and commits after each poll until every number of
/// `want` was seen; returns delivery counts.
async fn consume(readers: &mut [Reader], want: &BTreeSet<u64>) -> BTreeMap<u64, usize> {
    let deadline = Instant::now() + WAIT;
    let mut seen: BTreeMap<u64, usize> = BTreeMap::new();
    let mut idle_rounds = 0;
    while !want.iter().all(|n| seen.contains_key(n)) || idle_rounds < 3 {
        assert!(
            Instant::now() < deadline,
            "only {} of {} records consumed",
            want.iter().filter(|n| seen.contains_key(n)).count(),
            want.len()
        );
        let mut got = 0;
        for r in readers.iter_mut() {
            let records = r.poll(Duration::from_millis(50)).await.expect("poll");
            got += records.count();
            for record in &records {
                let n: u64 = record.value().expect("value").parse().unwrap();
                *seen.entry(n).or_default() += 1;
            }
            if !records.is_empty() {
                r.commit_sync().await.expect("commit");
            }
        }
        idle_rounds = if got == 0 { idle_rounds + 1 } else { 0 };
    }
    seen
}

fn assert_once(seen: &BTreeMap<u64, usize>, range: Range<u64>) {
    for n in range {
        assert_eq!(
            seen.get(&n),
            Some(&1),
            "record {n} delivered {:?} times",
            seen.get(&n)
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_group_of_three_shares_six_partitions_and_absorbs_a_leaver() {
    let broker = start().await;
    broker
        .log
        .create_topic("orders", 6, &Default::default())
        .unwrap();
    let mut readers = Vec::new();
    for _ in 0..3 {
        readers.push(reader(&broker, "g", "orders").await);
    }
    wait_assigned(&mut readers, 2).await;
    produce(&broker, "orders", 0..300).await;
    let seen = consume(&mut readers, &(0..300).collect()).await;
    assert_once(&seen, 0..300);
    assert_eq!(seen.len(), 300);

    let mut leaver = readers.pop().unwrap();
    leaver.close().await.expect("close leaves the group");
    wait_assigned(&mut readers, 3).await;
    produce(&broker, "orders", 300..450).await;
    let seen = consume(&mut readers, &(300..450).collect()).await;
    assert_once(&seen, 300..450);
    assert!(
        seen.keys().all(|n| *n >= 300),
        "committed records came back"
    );
    for mut r in readers {
        r.close().await.expect("close");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_group_resumes_from_its_committed_offsets_after_a_restart() {
    let broker = start().await;
    broker
        .log
        .create_topic("ledger", 1, &Default::default())
        .unwrap();
    produce(&broker, "ledger", 0..100).await;
    let mut first = reader(&broker, "resume", "ledger").await;
    let ledger = TopicPartition::new("ledger", 0);
    let deadline = Instant::now() + WAIT;
    let mut consumed = 0;
    while consumed < 30 {
        assert!(Instant::now() < deadline, "consumed only {consumed}");
        consumed += first
            .poll(Duration::from_millis(100))
            .await
            .expect("poll")
            .count();
    }
    let offsets = HashMap::from([(
        ledger.clone(),
        confluent_kafka::consumer::OffsetAndMetadata::new(30).unwrap(),
    )]);
    first
        .commit_sync_with_offsets(offsets)
        .await
        .expect("commit");
    first.close().await.expect("close");

    let broker = broker.restart(config(), LogOptions::default()).await;
    let mut second = reader(&broker, "resume", "ledger").await;
    let deadline = Instant::now() + WAIT;
    let records = loop {
        assert!(
            Instant::now() < deadline,
            "nothing consumed after the restart"
        );
        let records = second.poll(Duration::from_millis(100)).await.expect("poll");
        if !records.is_empty() {
            break records;
        }
    };
    let first_offset = records.into_iter().next().map(|r| r.offset());
    assert_eq!(first_offset, Some(30), "resumed at the committed offset");
    second.close().await.expect("close");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_admin_client_lists_describes_and_deletes_groups_and_offsets() {
    let broker = start().await;
    broker
        .log
        .create_topic("audit", 2, &Default::default())
        .unwrap();
    broker
        .log
        .create_topic("old", 1, &Default::default())
        .unwrap();
    let mut member = reader(&broker, "live", "audit").await;
    wait_assigned(std::slice::from_mut(&mut member), 2).await;
    let admin = admin(&broker);

    let listed = admin.list_groups().all().get().await.expect("list");
    let live = listed
        .iter()
        .find(|g| g.group_id() == "live")
        .expect("live is listed");
    assert_eq!(live.r#type(), Some(GroupType::Consumer));
    assert_eq!(live.group_state(), Some(GroupState::Stable));

    let described = admin
        .describe_consumer_groups(&["live".to_owned()])
        .all()
        .get()
        .await
        .expect("describe");
    let g = &described["live"];
    assert_eq!(g.r#type(), GroupType::Consumer);
    assert_eq!(g.group_state(), GroupState::Stable);
    assert_eq!(g.partition_assignor(), "uniform");
    assert_eq!(g.members().len(), 1);
    assert_eq!(g.members()[0].assignment().topic_partitions().len(), 2);
    assert!(g.group_epoch().is_some_and(|e| e > 0));

    // Commit offsets for a topic the group does not consume, then delete them.
    let old = TopicPartition::new("old", 0);
    let audit = TopicPartition::new("audit", 1);
    let offsets = HashMap::from([
        (
            old.clone(),
            confluent_kafka::consumer::OffsetAndMetadata::with_metadata(7, "why").unwrap(),
        ),
        (
            audit.clone(),
            confluent_kafka::consumer::OffsetAndMetadata::new(0).unwrap(),
        ),
    ]);
    member
        .commit_sync_with_offsets(offsets)
        .await
        .expect("commit");
    let fetched = admin
        .list_consumer_group_offsets_with_group_id("live")
        .partitions_to_offset_and_metadata()
        .unwrap()
        .get()
        .await
        .expect("offsets");
    let old_offset = fetched[&old].as_ref().expect("committed");
    assert_eq!((old_offset.offset(), old_offset.metadata()), (7, "why"));
    let refused = admin
        .delete_consumer_group_offsets("live", &HashSet::from([audit.clone()]))
        .all()
        .get()
        .await
        .expect_err("the group consumes audit");
    assert!(refused.is_group_subscribed_to_topic_error(), "{refused:?}");
    admin
        .delete_consumer_group_offsets("live", &HashSet::from([old.clone()]))
        .all()
        .get()
        .await
        .expect("old is not consumed");

    let busy = admin
        .delete_consumer_groups(&["live".to_owned()])
        .all()
        .get()
        .await
        .expect_err("busy");
    assert!(busy.is_group_not_empty_error(), "{busy:?}");
    member.close().await.expect("close");
    admin
        .delete_consumer_groups(&["live".to_owned()])
        .all()
        .get()
        .await
        .expect("deleted once empty");
    let listed = admin.list_groups().all().get().await.expect("list");
    assert!(listed.iter().all(|g| g.group_id() != "live"), "deleted");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_admin_client_describes_classic_groups_through_describe_groups() {
    use rdkafka::consumer::{BaseConsumer, Consumer as _};

    let broker = start().await;
    broker
        .log
        .create_topic("legacy", 2, &Default::default())
        .unwrap();
    let classic: BaseConsumer = ClientConfig::new()
        .set("bootstrap.servers", broker.bootstrap())
        .set("group.id", "legacy-group")
        .set("session.timeout.ms", "6000")
        .set("heartbeat.interval.ms", "100")
        .create()
        .expect("classic consumer");
    classic.subscribe(&["legacy"]).unwrap();
    let deadline = Instant::now() + WAIT;
    while classic.assignment().map(|a| a.count()).unwrap_or(0) < 2 {
        assert!(Instant::now() < deadline, "no assignment");
        assert!(
            classic.poll(Duration::from_millis(50)).is_none(),
            "no records yet"
        );
    }
    let admin = admin(&broker);
    // ConsumerGroupDescribe answers GROUP_ID_NOT_FOUND for a classic group;
    // the admin client then asks DescribeGroups, as with Kafka.
    let described = admin
        .describe_consumer_groups(&["legacy-group".to_owned()])
        .all()
        .get()
        .await
        .expect("describe");
    let g = &described["legacy-group"];
    assert_eq!(g.r#type(), GroupType::Classic);
    assert_eq!(g.group_state(), GroupState::Stable);
    assert_eq!(g.members().len(), 1);
    assert_eq!(g.members()[0].assignment().topic_partitions().len(), 2);
    assert!(!g.partition_assignor().is_empty(), "the chosen protocol");
}
