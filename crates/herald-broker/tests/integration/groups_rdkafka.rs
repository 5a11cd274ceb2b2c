//! Consumer groups driven by librdkafka (the `rdkafka` crate): the classic
//! protocol (librdkafka's default) and KIP-848 (`group.protocol=consumer`).
//! Every wait is bounded, so a coordinator bug fails a test instead of
//! hanging it.

use std::collections::{BTreeMap, BTreeSet};
use std::ops::Range;
use std::time::{Duration, Instant};

use crate::common::TestBroker;
use crate::common::raw::RawClient;
use herald_broker::{BrokerConfig, GroupConfig};
use herald_log::LogOptions;
use kafka_protocol::messages::{ApiKey, ListGroupsRequest, ResponseKind};
use kafka_protocol::protocol::StrBytes;
use rdkafka::admin::{AdminClient, AdminOptions};
use rdkafka::client::DefaultClientContext;
use rdkafka::config::ClientConfig;
use rdkafka::consumer::{BaseConsumer, CommitMode, Consumer};
use rdkafka::error::RDKafkaErrorCode;
use rdkafka::message::Message;
use rdkafka::producer::{FutureProducer, FutureRecord};

const WAIT: Duration = Duration::from_secs(40);

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Protocol {
    /// Classic protocol, eager `range` assignment (librdkafka's default).
    Classic,
    /// Classic protocol with incremental `cooperative-sticky` rebalancing.
    Cooperative,
    /// KIP-848 (`group.protocol=consumer`).
    Consumer,
}

/// The group timings every group test here runs with (short, so rebalances
/// settle in well under a second).
pub(crate) fn config() -> BrokerConfig {
    let mut groups = GroupConfig::default();
    groups.initial_rebalance_delay_ms = 300;
    groups.consumer_heartbeat_interval_ms = 250;
    groups.consumer_session_timeout_ms = 6_000;
    let mut config = BrokerConfig::default();
    config.groups = groups;
    config
}

pub(crate) async fn start() -> TestBroker {
    TestBroker::start_with(config(), LogOptions::default()).await
}

/// Produces records whose key and value are the decimal numbers of `range`.
pub(crate) async fn produce(broker: &TestBroker, topic: &str, range: Range<u64>) {
    let producer: FutureProducer = ClientConfig::new()
        .set("bootstrap.servers", broker.bootstrap())
        .set("acks", "all")
        .set("linger.ms", "2")
        .create()
        .expect("producer");
    let sends: Vec<_> = range
        .map(|i| {
            let body = i.to_string();
            let producer = producer.clone();
            let topic = topic.to_owned();
            async move {
                producer
                    .send(FutureRecord::to(&topic).key(&body).payload(&body), WAIT)
                    .await
                    .expect("delivered")
            }
        })
        .collect();
    futures_util::future::join_all(sends).await;
}

fn consumer(broker: &TestBroker, group: &str, protocol: Protocol) -> BaseConsumer {
    let mut config = ClientConfig::new();
    config
        .set("bootstrap.servers", broker.bootstrap())
        .set("group.id", group)
        .set("enable.auto.commit", "false")
        .set("auto.offset.reset", "earliest");
    match protocol {
        Protocol::Classic => config
            .set("session.timeout.ms", "6000")
            .set("heartbeat.interval.ms", "100"),
        Protocol::Cooperative => config
            .set("session.timeout.ms", "6000")
            .set("heartbeat.interval.ms", "100")
            .set("partition.assignment.strategy", "cooperative-sticky"),
        Protocol::Consumer => config.set("group.protocol", "consumer"),
    };
    let c: BaseConsumer = config.create().expect("consumer");
    c
}

/// The group's type and state as ListGroups v5 reports them.
async fn listed(broker: &TestBroker, group: &str) -> (String, String) {
    let mut raw = RawClient::connect(broker.addr).await;
    let ResponseKind::ListGroups(resp) = raw
        .call(ApiKey::ListGroups, 5, &ListGroupsRequest::default())
        .await
    else {
        panic!("not a ListGroups response");
    };
    let g = resp
        .groups
        .iter()
        .find(|g| g.group_id.0 == StrBytes::from_string(group.to_owned()))
        .unwrap_or_else(|| panic!("group {group} is not listed"));
    (g.group_type.to_string(), g.group_state.to_string())
}

fn assigned(c: &BaseConsumer) -> usize {
    c.assignment().map(|a| a.count()).unwrap_or(0)
}

/// Polls every consumer until each holds `each` partitions.
fn wait_assigned(consumers: &[&BaseConsumer], each: usize) {
    let deadline = Instant::now() + WAIT;
    loop {
        let counts: Vec<usize> = consumers.iter().map(|c| assigned(c)).collect();
        if counts.iter().all(|n| *n == each) {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "assignments {counts:?}, wanted {each} each"
        );
        for c in consumers {
            if let Some(m) = c.poll(Duration::from_millis(50)) {
                panic!("no records expected yet: {:?}", m.map(|m| m.offset()));
            }
        }
    }
}

/// Polls the consumers round-robin, committing each record as it is
/// processed, until every number in `want` was seen; returns how often each
/// number was delivered (over the whole group).
fn consume(consumers: &[&BaseConsumer], want: &BTreeSet<u64>) -> BTreeMap<u64, usize> {
    let deadline = Instant::now() + WAIT;
    let mut seen: BTreeMap<u64, usize> = BTreeMap::new();
    while !want.iter().all(|n| seen.contains_key(n)) {
        assert!(
            Instant::now() < deadline,
            "only {} of {} records consumed",
            want.iter().filter(|n| seen.contains_key(n)).count(),
            want.len()
        );
        for c in consumers {
            if let Some(m) = c.poll(Duration::from_millis(20)) {
                let m = m.expect("consume error");
                let n: u64 = std::str::from_utf8(m.payload().expect("payload"))
                    .unwrap()
                    .parse()
                    .unwrap();
                *seen.entry(n).or_default() += 1;
                c.commit_message(&m, CommitMode::Sync).expect("commit");
            }
        }
    }
    // Anything still in flight would be a duplicate: drain briefly.
    let drain = Instant::now() + Duration::from_millis(300);
    while Instant::now() < drain {
        for c in consumers {
            if let Some(m) = c.poll(Duration::from_millis(20)) {
                let m = m.expect("consume error");
                let n: u64 = std::str::from_utf8(m.payload().unwrap())
                    .unwrap()
                    .parse()
                    .unwrap();
                *seen.entry(n).or_default() += 1;
            }
        }
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

/// Three consumers share six partitions and each record is consumed once;
/// one member leaves, the two others take over its partitions and keep
/// consuming without loss and without redelivery of committed records.
async fn three_members_then_one_leaves(protocol: Protocol) {
    let broker = start().await;
    broker
        .log
        .create_topic("orders", 6, &Default::default())
        .unwrap();
    let group = format!("three-{protocol:?}");
    let members: Vec<BaseConsumer> = (0..3)
        .map(|_| consumer(&broker, &group, protocol))
        .collect();
    for m in &members {
        m.subscribe(&["orders"]).unwrap();
    }
    wait_assigned(&members.iter().collect::<Vec<_>>(), 2);
    let expected_type = match protocol {
        Protocol::Classic | Protocol::Cooperative => "classic",
        Protocol::Consumer => "consumer",
    };
    assert_eq!(
        listed(&broker, &group).await,
        (expected_type.to_owned(), "Stable".to_owned())
    );

    produce(&broker, "orders", 0..300).await;
    let seen = consume(&members.iter().collect::<Vec<_>>(), &(0..300).collect());
    assert_once(&seen, 0..300);
    assert_eq!(seen.len(), 300);

    let mut members = members;
    let leaver = members.pop().unwrap();
    leaver.unsubscribe();
    drop(leaver);
    let rest: Vec<&BaseConsumer> = members.iter().collect();
    wait_assigned(&rest, 3);

    produce(&broker, "orders", 300..450).await;
    let seen = consume(&rest, &(300..450).collect());
    assert_once(&seen, 300..450);
    assert!(
        seen.keys().all(|n| *n >= 300),
        "committed records came back after the rebalance: {:?}",
        seen.keys().filter(|n| **n < 300).collect::<Vec<_>>()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn classic_group_of_three_shares_partitions_and_absorbs_a_leaver() {
    three_members_then_one_leaves(Protocol::Classic).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cooperative_group_of_three_shares_partitions_and_absorbs_a_leaver() {
    three_members_then_one_leaves(Protocol::Cooperative).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kip848_group_of_three_shares_partitions_and_absorbs_a_leaver() {
    three_members_then_one_leaves(Protocol::Consumer).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_groups_each_receive_every_record() {
    let broker = start().await;
    broker
        .log
        .create_topic("news", 3, &Default::default())
        .unwrap();
    let classic = consumer(&broker, "readers-classic", Protocol::Classic);
    let modern = consumer(&broker, "readers-modern", Protocol::Consumer);
    classic.subscribe(&["news"]).unwrap();
    modern.subscribe(&["news"]).unwrap();
    wait_assigned(&[&classic, &modern], 3);
    produce(&broker, "news", 0..200).await;
    let a = consume(&[&classic], &(0..200).collect());
    let b = consume(&[&modern], &(0..200).collect());
    assert_once(&a, 0..200);
    assert_once(&b, 0..200);
}

/// A group consumes and commits half a partition, the broker restarts, and
/// the group picks up at its committed offset.
async fn resume_after_restart(protocol: Protocol) {
    let broker = start().await;
    broker
        .log
        .create_topic("ledger", 1, &Default::default())
        .unwrap();
    produce(&broker, "ledger", 0..100).await;
    let group = format!("resume-{protocol:?}");
    let first = consumer(&broker, &group, protocol);
    first.subscribe(&["ledger"]).unwrap();
    let deadline = Instant::now() + WAIT;
    let mut taken = 0;
    while taken < 40 {
        assert!(Instant::now() < deadline, "consumed only {taken}");
        if let Some(m) = first.poll(Duration::from_millis(50)) {
            let m = m.unwrap();
            assert_eq!(m.offset(), taken);
            first.commit_message(&m, CommitMode::Sync).unwrap();
            taken += 1;
        }
    }
    first.unsubscribe();
    drop(first);

    let broker = broker.restart(config(), LogOptions::default()).await;
    let second = consumer(&broker, &group, protocol);
    second.subscribe(&["ledger"]).unwrap();
    let deadline = Instant::now() + WAIT;
    let next = loop {
        assert!(
            Instant::now() < deadline,
            "nothing consumed after the restart"
        );
        if let Some(m) = second.poll(Duration::from_millis(50)) {
            break m.unwrap().offset();
        }
    };
    assert_eq!(next, 40, "resumed at the committed offset");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn classic_group_resumes_from_committed_offsets_after_a_restart() {
    resume_after_restart(Protocol::Classic).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kip848_group_resumes_from_committed_offsets_after_a_restart() {
    resume_after_restart(Protocol::Consumer).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn list_describe_and_delete_groups_through_librdkafka() {
    let broker = start().await;
    broker
        .log
        .create_topic("audit", 2, &Default::default())
        .unwrap();
    let busy = consumer(&broker, "busy", Protocol::Classic);
    busy.subscribe(&["audit"]).unwrap();
    wait_assigned(&[&busy], 2);
    let idle = consumer(&broker, "idle", Protocol::Classic);
    idle.subscribe(&["audit"]).unwrap();
    wait_assigned(&[&idle], 2);
    idle.unsubscribe();
    drop(idle);

    let list = busy.fetch_group_list(None, WAIT).expect("group list");
    let mut names: Vec<&str> = list.groups().iter().map(|g| g.name()).collect();
    names.sort_unstable();
    assert_eq!(names, vec!["busy", "idle"]);
    let described = busy.fetch_group_list(Some("busy"), WAIT).expect("describe");
    let g = &described.groups()[0];
    assert_eq!(g.state(), "Stable");
    assert_eq!(g.protocol_type(), "consumer");
    assert_eq!(g.members().len(), 1);
    let member = &g.members()[0];
    assert!(
        member.assignment().is_some_and(|a| !a.is_empty()),
        "the member's assignment bytes"
    );
    assert!(
        member.metadata().is_some_and(|m| !m.is_empty()),
        "the member's subscription"
    );

    let admin: AdminClient<DefaultClientContext> = ClientConfig::new()
        .set("bootstrap.servers", broker.bootstrap())
        .create()
        .expect("admin");
    let opts = AdminOptions::new().operation_timeout(Some(WAIT));
    let results = admin
        .delete_groups(&["busy", "idle", "ghost"], &opts)
        .await
        .expect("delete");
    let outcome: BTreeMap<String, Option<RDKafkaErrorCode>> = results
        .into_iter()
        .map(|r| match r {
            Ok(name) => (name, None),
            Err((name, code)) => (name, Some(code)),
        })
        .collect();
    assert_eq!(outcome["busy"], Some(RDKafkaErrorCode::NonEmptyGroup));
    assert_eq!(outcome["idle"], None);
    assert_eq!(outcome["ghost"], Some(RDKafkaErrorCode::GroupIdNotFound));
    let list = busy.fetch_group_list(None, WAIT).expect("group list");
    let names: Vec<&str> = list.groups().iter().map(|g| g.name()).collect();
    assert_eq!(names, vec!["busy"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_static_member_comes_back_without_waiting_for_its_old_session() {
    let broker = start().await;
    broker
        .log
        .create_topic("static", 2, &Default::default())
        .unwrap();
    let static_member = || {
        let c: BaseConsumer = ClientConfig::new()
            .set("bootstrap.servers", broker.bootstrap())
            .set("group.id", "statics")
            .set("group.instance.id", "host-a")
            .set("session.timeout.ms", "20000")
            .set("heartbeat.interval.ms", "100")
            .set("auto.offset.reset", "earliest")
            .create()
            .expect("consumer");
        c
    };
    let first = static_member();
    first.subscribe(&["static"]).unwrap();
    wait_assigned(&[&first], 2);
    // A static member does not leave on close: its session (20 s) lives on.
    drop(first);
    let restarted = Instant::now();
    let second = static_member();
    second.subscribe(&["static"]).unwrap();
    wait_assigned(&[&second], 2);
    assert!(
        restarted.elapsed() < Duration::from_secs(10),
        "took {:?}: the new incarnation waited for the old session instead of replacing it",
        restarted.elapsed()
    );
    let described = second
        .fetch_group_list(Some("statics"), WAIT)
        .expect("describe");
    assert_eq!(
        described.groups()[0].members().len(),
        1,
        "replaced, not added"
    );
    assert_eq!(described.groups()[0].state(), "Stable");
}
