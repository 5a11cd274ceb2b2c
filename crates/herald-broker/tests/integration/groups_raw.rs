//! Group state over hand-built requests: what survives a broker restart
//! (committed offsets with their metadata and leader epoch, classic group
//! membership, KIP-848 member epochs and assignments), and the two-step
//! JoinGroup across two connections; members described with their address.

use crate::common::TestBroker;
use crate::common::raw::RawClient;
use bytes::Bytes;
use herald_broker::{BrokerConfig, GroupConfig};
use herald_log::LogOptions;
use kafka_protocol::messages::consumer_group_heartbeat_request::TopicPartitions;
use kafka_protocol::messages::join_group_request::JoinGroupRequestProtocol;
use kafka_protocol::messages::offset_commit_request::{
    OffsetCommitRequestPartition, OffsetCommitRequestTopic,
};
use kafka_protocol::messages::offset_fetch_request::{
    OffsetFetchRequestGroup, OffsetFetchRequestTopics,
};
use kafka_protocol::messages::sync_group_request::SyncGroupRequestAssignment;
use kafka_protocol::messages::{
    ApiKey, ConsumerGroupDescribeRequest, ConsumerGroupHeartbeatRequest, DescribeGroupsRequest,
    GroupId, HeartbeatRequest, JoinGroupRequest, JoinGroupResponse, OffsetCommitRequest,
    OffsetFetchRequest, ResponseKind, ShareGroupDescribeRequest, ShareGroupHeartbeatRequest,
    SyncGroupRequest, TopicName,
};
use kafka_protocol::protocol::StrBytes;

fn s(v: &str) -> StrBytes {
    StrBytes::from_string(v.to_owned())
}

fn config() -> BrokerConfig {
    let mut groups = GroupConfig::default();
    groups.initial_rebalance_delay_ms = 0;
    let mut config = BrokerConfig::default();
    config.groups = groups;
    config
}

async fn start() -> TestBroker {
    TestBroker::start_with(config(), LogOptions::default()).await
}

fn join(member: &str) -> JoinGroupRequest {
    JoinGroupRequest::default()
        .with_group_id(GroupId(s("g")))
        .with_session_timeout_ms(30_000)
        .with_rebalance_timeout_ms(30_000)
        .with_member_id(s(member))
        .with_protocol_type(s("consumer"))
        .with_protocols(vec![
            JoinGroupRequestProtocol::default()
                .with_name(s("range"))
                .with_metadata(Bytes::from_static(b"sub")),
        ])
}

async fn call_join(raw: &mut RawClient, req: &JoinGroupRequest) -> JoinGroupResponse {
    match raw.call(ApiKey::JoinGroup, 9, req).await {
        ResponseKind::JoinGroup(r) => r,
        other => panic!("unexpected {other:?}"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn offsets_and_classic_membership_survive_a_restart() {
    let broker = start().await;
    broker
        .log
        .create_topic("t", 2, &Default::default())
        .unwrap();
    let mut raw = RawClient::connect(broker.addr).await;
    let first = call_join(&mut raw, &join("")).await;
    assert_eq!(first.error_code, 79, "MEMBER_ID_REQUIRED");
    let joined = call_join(&mut raw, &join(&first.member_id)).await;
    assert_eq!((joined.error_code, joined.generation_id), (0, 1));
    let sync = SyncGroupRequest::default()
        .with_group_id(GroupId(s("g")))
        .with_generation_id(1)
        .with_member_id(joined.member_id.clone())
        .with_assignments(vec![
            SyncGroupRequestAssignment::default()
                .with_member_id(joined.member_id.clone())
                .with_assignment(Bytes::from_static(b"both partitions")),
        ]);
    let ResponseKind::SyncGroup(synced) = raw.call(ApiKey::SyncGroup, 5, &sync).await else {
        panic!("sync");
    };
    assert_eq!(synced.assignment, Bytes::from_static(b"both partitions"));
    let commit = OffsetCommitRequest::default()
        .with_group_id(GroupId(s("g")))
        .with_generation_id_or_member_epoch(1)
        .with_member_id(joined.member_id.clone())
        .with_topics(vec![
            OffsetCommitRequestTopic::default()
                .with_name(TopicName(s("t")))
                .with_partitions(vec![
                    OffsetCommitRequestPartition::default()
                        .with_partition_index(1)
                        .with_committed_offset(1234)
                        .with_committed_leader_epoch(0)
                        .with_committed_metadata(Some(s("checkpoint-7"))),
                ]),
        ]);
    let ResponseKind::OffsetCommit(committed) = raw.call(ApiKey::OffsetCommit, 9, &commit).await
    else {
        panic!("commit");
    };
    assert_eq!(committed.topics[0].partitions[0].error_code, 0);
    drop(raw);

    let broker = broker.restart(config(), LogOptions::default()).await;
    let mut raw = RawClient::connect(broker.addr).await;
    let heartbeat = HeartbeatRequest::default()
        .with_group_id(GroupId(s("g")))
        .with_generation_id(1)
        .with_member_id(joined.member_id.clone());
    let ResponseKind::Heartbeat(beat) = raw.call(ApiKey::Heartbeat, 4, &heartbeat).await else {
        panic!("heartbeat");
    };
    assert_eq!(
        beat.error_code, 0,
        "the member and its generation were restored"
    );
    let resync = sync.clone().with_assignments(Vec::new());
    let ResponseKind::SyncGroup(synced) = raw.call(ApiKey::SyncGroup, 5, &resync).await else {
        panic!("sync");
    };
    assert_eq!(synced.assignment, Bytes::from_static(b"both partitions"));
    let fetch = OffsetFetchRequest::default().with_groups(vec![
        OffsetFetchRequestGroup::default()
            .with_group_id(GroupId(s("g")))
            .with_topics(Some(vec![
                OffsetFetchRequestTopics::default()
                    .with_name(TopicName(s("t")))
                    .with_partition_indexes(vec![0, 1]),
            ])),
    ]);
    let ResponseKind::OffsetFetch(fetched) = raw.call(ApiKey::OffsetFetch, 8, &fetch).await else {
        panic!("fetch");
    };
    let partitions = &fetched.groups[0].topics[0].partitions;
    assert_eq!(partitions[0].committed_offset, -1);
    assert_eq!(partitions[1].committed_offset, 1234);
    assert_eq!(partitions[1].committed_leader_epoch, 0);
    assert_eq!(partitions[1].metadata.as_deref(), Some("checkpoint-7"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_kip848_member_keeps_its_epoch_and_partitions_across_a_restart() {
    let broker = start().await;
    let topic_id = broker
        .log
        .create_topic("t", 3, &Default::default())
        .unwrap()
        .id;
    let mut raw = RawClient::connect(broker.addr).await;
    let join = ConsumerGroupHeartbeatRequest::default()
        .with_group_id(GroupId(s("cg")))
        .with_member_id(s("member-1"))
        .with_member_epoch(0)
        .with_rebalance_timeout_ms(30_000)
        .with_subscribed_topic_names(Some(vec![TopicName(s("t"))]))
        .with_topic_partitions(Some(Vec::new()));
    let ResponseKind::ConsumerGroupHeartbeat(joined) =
        raw.call(ApiKey::ConsumerGroupHeartbeat, 1, &join).await
    else {
        panic!("heartbeat");
    };
    assert_eq!(joined.error_code, 0);
    let epoch = joined.member_epoch;
    let assignment = joined.assignment.expect("assignment");
    assert_eq!(assignment.topic_partitions[0].partitions, vec![0, 1, 2]);
    drop(raw);

    let broker = broker.restart(config(), LogOptions::default()).await;
    let mut raw = RawClient::connect(broker.addr).await;
    let beat = ConsumerGroupHeartbeatRequest::default()
        .with_group_id(GroupId(s("cg")))
        .with_member_id(s("member-1"))
        .with_member_epoch(epoch)
        .with_topic_partitions(Some(vec![
            TopicPartitions::default()
                .with_topic_id(topic_id)
                .with_partitions(vec![0, 1, 2]),
        ]));
    let ResponseKind::ConsumerGroupHeartbeat(after) =
        raw.call(ApiKey::ConsumerGroupHeartbeat, 1, &beat).await
    else {
        panic!("heartbeat");
    };
    assert_eq!(after.error_code, 0, "{:?}", after.error_message);
    assert_eq!(after.member_epoch, epoch, "no rebalance after the restart");
    assert!(after.assignment.is_none(), "its partitions did not move");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_parked_join_completes_when_the_other_member_rejoins() {
    let broker = start().await;
    let mut a = RawClient::connect(broker.addr).await;
    let mut b = RawClient::connect(broker.addr).await;
    let a_id = call_join(&mut a, &join("")).await.member_id;
    let a1 = call_join(&mut a, &join(&a_id)).await;
    assert_eq!(a1.generation_id, 1);
    let sync = SyncGroupRequest::default()
        .with_group_id(GroupId(s("g")))
        .with_generation_id(1)
        .with_member_id(a_id.clone());
    a.call(ApiKey::SyncGroup, 5, &sync).await;
    // b joins: its second JoinGroup waits for a to rejoin.
    let b_id = call_join(&mut b, &join("")).await.member_id;
    b.send(ApiKey::JoinGroup, 9, &join(&b_id)).await;
    let heartbeat = HeartbeatRequest::default()
        .with_group_id(GroupId(s("g")))
        .with_generation_id(1)
        .with_member_id(a_id.clone());
    // Until b's join reaches the coordinator a's heartbeats are fine; then
    // REBALANCE_IN_PROGRESS tells a to rejoin.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    loop {
        let ResponseKind::Heartbeat(beat) = a.call(ApiKey::Heartbeat, 4, &heartbeat).await else {
            panic!("heartbeat");
        };
        if beat.error_code == 27 {
            break;
        }
        assert_eq!(beat.error_code, 0);
        assert!(std::time::Instant::now() < deadline, "no rebalance started");
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    }
    let a2 = call_join(&mut a, &join(&a_id)).await;
    let Some((_, ResponseKind::JoinGroup(b2))) = b.receive(ApiKey::JoinGroup, 9).await else {
        panic!("b's join answered");
    };
    assert_eq!((a2.generation_id, b2.generation_id), (2, 2));
    assert_eq!(a2.leader, a_id, "the leader keeps leading");
    assert_eq!(a2.members.len(), 2);
    assert!(b2.members.is_empty());
}

/// Kafka's `client_host` of a member connected from `addr`: `/` and its IP.
fn host_of(addr: std::net::SocketAddr) -> String {
    format!("/{}", addr.ip())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn described_members_carry_the_address_they_connect_from() {
    let broker = start().await;
    broker
        .log
        .create_topic("t", 1, &Default::default())
        .unwrap();
    let mut raw = RawClient::connect(broker.addr).await;
    let expected = host_of(raw.local_addr());

    // Classic: DescribeGroups.
    let id = call_join(&mut raw, &join("")).await.member_id;
    let joined = call_join(&mut raw, &join(&id)).await;
    let sync = SyncGroupRequest::default()
        .with_group_id(GroupId(s("g")))
        .with_generation_id(joined.generation_id)
        .with_member_id(id.clone());
    raw.call(ApiKey::SyncGroup, 5, &sync).await;
    let describe = DescribeGroupsRequest::default().with_groups(vec![GroupId(s("g"))]);
    let ResponseKind::DescribeGroups(described) =
        raw.call(ApiKey::DescribeGroups, 5, &describe).await
    else {
        panic!("describe groups");
    };
    let member = &described.groups[0].members[0];
    assert_eq!(member.member_id, id);
    assert_eq!(member.client_host.as_str(), expected);

    // KIP-848: ConsumerGroupDescribe.
    let beat = ConsumerGroupHeartbeatRequest::default()
        .with_group_id(GroupId(s("cg")))
        .with_member_id(s("member-1"))
        .with_member_epoch(0)
        .with_rebalance_timeout_ms(30_000)
        .with_subscribed_topic_names(Some(vec![TopicName(s("t"))]))
        .with_topic_partitions(Some(Vec::new()));
    let ResponseKind::ConsumerGroupHeartbeat(beat) =
        raw.call(ApiKey::ConsumerGroupHeartbeat, 1, &beat).await
    else {
        panic!("heartbeat");
    };
    assert_eq!(beat.error_code, 0, "{:?}", beat.error_message);
    let describe = ConsumerGroupDescribeRequest::default().with_group_ids(vec![GroupId(s("cg"))]);
    let ResponseKind::ConsumerGroupDescribe(described) =
        raw.call(ApiKey::ConsumerGroupDescribe, 1, &describe).await
    else {
        panic!("consumer group describe");
    };
    let member = &described.groups[0].members[0];
    assert_eq!(member.member_id.as_str(), "member-1");
    assert_eq!(member.client_host.as_str(), expected);

    // Share groups: ShareGroupDescribe.
    let beat = ShareGroupHeartbeatRequest::default()
        .with_group_id(GroupId(s("sg")))
        .with_member_id(s("share-member-1"))
        .with_member_epoch(0)
        .with_subscribed_topic_names(Some(vec![TopicName(s("t"))]));
    let ResponseKind::ShareGroupHeartbeat(beat) =
        raw.call(ApiKey::ShareGroupHeartbeat, 1, &beat).await
    else {
        panic!("share heartbeat");
    };
    assert_eq!(beat.error_code, 0, "{:?}", beat.error_message);
    let describe = ShareGroupDescribeRequest::default().with_group_ids(vec![GroupId(s("sg"))]);
    let ResponseKind::ShareGroupDescribe(described) =
        raw.call(ApiKey::ShareGroupDescribe, 1, &describe).await
    else {
        panic!("share group describe");
    };
    let member = &described.groups[0].members[0];
    assert_eq!(member.member_id.as_str(), "share-member-1");
    assert_eq!(member.client_host.as_str(), expected);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stopping_answers_a_parked_join_instead_of_waiting_for_the_rebalance() {
    let mut broker = start().await;
    let mut a = RawClient::connect(broker.addr).await;
    let mut b = RawClient::connect(broker.addr).await;
    let a_id = call_join(&mut a, &join("")).await.member_id;
    call_join(&mut a, &join(&a_id)).await;
    let sync = SyncGroupRequest::default()
        .with_group_id(GroupId(s("g")))
        .with_generation_id(1)
        .with_member_id(a_id.clone());
    a.call(ApiKey::SyncGroup, 5, &sync).await;
    // b's join parks: a never rejoins, so it would wait a's 30 s rebalance timeout.
    let b_id = call_join(&mut b, &join("")).await.member_id;
    b.send(ApiKey::JoinGroup, 9, &join(&b_id)).await;
    let heartbeat = HeartbeatRequest::default()
        .with_group_id(GroupId(s("g")))
        .with_generation_id(1)
        .with_member_id(a_id.clone());
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    loop {
        let ResponseKind::Heartbeat(beat) = a.call(ApiKey::Heartbeat, 4, &heartbeat).await else {
            panic!("heartbeat");
        };
        if beat.error_code == 27 {
            break; // REBALANCE_IN_PROGRESS: b's join reached the coordinator.
        }
        assert!(std::time::Instant::now() < deadline, "no rebalance started");
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    }

    let started = std::time::Instant::now();
    tokio::time::timeout(std::time::Duration::from_secs(5), broker.stop())
        .await
        .expect("the broker stops without waiting for the rebalance timeout");
    assert!(
        started.elapsed() < std::time::Duration::from_secs(5),
        "stopped in {:?}",
        started.elapsed()
    );
    let Some((_, ResponseKind::JoinGroup(answered))) = b.receive(ApiKey::JoinGroup, 9).await else {
        panic!("b's parked join is answered before its connection closes");
    };
    assert_eq!(
        answered.error_code, 16,
        "NOT_COORDINATOR: find the coordinator again"
    );
}
