use kafka_protocol::error::ResponseError;

use super::*;
use crate::groups::state::assignor::Assignment;
use crate::groups::state::classic::Protocol;
use crate::groups::state::offsets::{CommitRequest, PartitionCommit};

const NOW: i64 = 1_700_000_000_000;

fn config() -> GroupConfig {
    GroupConfig {
        initial_rebalance_delay_ms: 0,
        ..GroupConfig::default()
    }
}

fn topics() -> TopicsView {
    TopicsView::new([(
        "orders".to_owned(),
        herald_log::Uuid::from_bytes([1; 16]),
        4,
    )])
}

fn join_req() -> JoinRequest {
    JoinRequest {
        member_id: String::new(),
        instance_id: None,
        client_id: "c".into(),
        client_host: "h".into(),
        session_timeout_ms: 10_000,
        rebalance_timeout_ms: 10_000,
        protocol_type: "consumer".into(),
        protocols: vec![Protocol {
            name: "range".into(),
            metadata: bytes::Bytes::from_static(b"sub"),
        }],
        require_known_member_id: false,
    }
}

/// Joins one classic member and syncs it: the group is Stable.
fn stable_classic(g: &mut Groups, group: &str) -> String {
    let Reply::Pending(mut rx) = g.join(group, join_req(), NOW) else {
        panic!("join waits");
    };
    let joined = rx.try_recv().expect("answered").expect("joined");
    let sync = SyncRequest {
        member_id: joined.member_id.clone(),
        instance_id: None,
        generation_id: joined.generation_id,
        protocol_type: None,
        protocol_name: None,
        assignments: vec![(joined.member_id.clone(), bytes::Bytes::from_static(b"a"))],
    };
    let Reply::Pending(mut rx) = g.sync(group, sync, NOW) else {
        panic!("leader sync");
    };
    rx.try_recv().expect("answered").expect("synced");
    joined.member_id
}

fn consumer_join(member: &str) -> ConsumerHeartbeat {
    ConsumerHeartbeat {
        member_id: member.into(),
        member_epoch: 0,
        rebalance_timeout_ms: 10_000,
        subscribed_topic_names: Some(vec!["orders".into()]),
        owned: Some(Assignment::new()),
        ..ConsumerHeartbeat::default()
    }
}

fn simple_commit(group: &str) -> CommitRequest {
    CommitRequest {
        group_id: group.into(),
        member_id: String::new(),
        instance_id: None,
        generation_or_epoch: -1,
        retention_ms: -1,
        version: 9,
        partitions: vec![PartitionCommit {
            topic: "orders".into(),
            partition: 1,
            offset: 77,
            leader_epoch: -1,
            metadata: None,
        }],
    }
}

#[test]
fn a_group_is_either_classic_or_consumer() {
    let mut g = Groups::new(config());
    stable_classic(&mut g, "classic");
    let err = g
        .consumer_heartbeat("classic", consumer_join("m"), &topics(), NOW)
        .expect_err("classic group in use");
    assert_eq!(err.code(), ResponseError::GroupIdNotFound.code());

    g.consumer_heartbeat("modern", consumer_join("m"), &topics(), NOW)
        .expect("joined");
    let Reply::Ready(Err(err)) = g.join("modern", join_req(), NOW) else {
        panic!("refused at once");
    };
    assert_eq!(err.code(), ResponseError::InconsistentGroupProtocol.code());
}

#[test]
fn an_empty_group_changes_protocol_and_keeps_its_offsets() {
    let mut g = Groups::new(config());
    let plan = g.plan_commit(simple_commit("g"), &topics(), NOW);
    g.finish_commit(plan.ticket, true);
    let ok = g
        .consumer_heartbeat("g", consumer_join("m"), &topics(), NOW)
        .expect("joined");
    assert_eq!(ok.member_epoch, 1);
    assert_eq!(g.get("g").map(|x| x.kind.type_name()), Some("consumer"));
    let offsets = g.fetch_offsets("g", (None, -1), None).expect("fetch");
    assert_eq!(offsets[0].1[0].1.as_ref().map(|o| o.offset), Some(77));
}

#[test]
fn session_timeouts_outside_the_bounds_are_refused() {
    let mut g = Groups::new(config());
    let mut req = join_req();
    req.session_timeout_ms = 10;
    let Reply::Ready(Err(err)) = g.join("g", req, NOW) else {
        panic!("refused");
    };
    assert_eq!(err.code(), ResponseError::InvalidSessionTimeout.code());
    let Reply::Ready(Err(err)) = g.join("", join_req(), NOW) else {
        panic!("refused");
    };
    assert_eq!(err.code(), ResponseError::InvalidGroupId.code());
}

#[test]
fn list_filters_by_state_and_type() {
    let mut g = Groups::new(config());
    stable_classic(&mut g, "a");
    g.consumer_heartbeat("b", consumer_join("m"), &topics(), NOW)
        .expect("joined");
    let plan = g.plan_commit(simple_commit("c"), &topics(), NOW);
    g.finish_commit(plan.ticket, true);
    let all: Vec<(String, &str, &str)> = g
        .list(&[], &[])
        .into_iter()
        .map(|l| (l.group_id, l.state, l.group_type))
        .collect();
    assert_eq!(
        all,
        vec![
            ("a".into(), "Stable", "classic"),
            ("b".into(), "Stable", "consumer"),
            ("c".into(), "Empty", "classic"),
        ]
    );
    let stable = g.list(&["stable".into()], &[]);
    assert_eq!(stable.len(), 2);
    let consumer = g.list(&[], &["CONSUMER".into()]);
    assert_eq!(consumer.len(), 1);
    assert_eq!(consumer[0].protocol_type, "consumer");
}

#[test]
fn only_empty_groups_can_be_deleted() {
    let mut g = Groups::new(config());
    let member = stable_classic(&mut g, "a");
    assert_eq!(
        g.delete_group("a").map_err(|e| e.code()),
        Err(ResponseError::NonEmptyGroup.code())
    );
    assert_eq!(
        g.delete_group("zz").map_err(|e| e.code()),
        Err(ResponseError::GroupIdNotFound.code())
    );
    g.leave("a", &member, None, NOW).expect("left");
    g.take_records();
    g.delete_group("a").expect("deleted");
    let records = g.take_records();
    assert_eq!(
        records,
        vec![StoreRecord::Group {
            group: "a".into(),
            value: None
        }]
    );
    assert!(g.get("a").is_none());
}

#[test]
fn replaying_the_records_rebuilds_groups_and_offsets() {
    let mut g = Groups::new(config());
    let member = stable_classic(&mut g, "a");
    let mut commit = simple_commit("a");
    commit.member_id = member.clone();
    commit.generation_or_epoch = 1;
    commit.version = 8;
    let plan = g.plan_commit(commit, &topics(), NOW);
    g.push_records(plan.records.clone());
    g.finish_commit(plan.ticket, true);
    g.consumer_heartbeat("b", consumer_join("m"), &topics(), NOW)
        .expect("joined");
    let plan = g.plan_commit(simple_commit("gone"), &topics(), NOW);
    g.push_records(plan.records.clone());
    g.finish_commit(plan.ticket, true);
    g.delete_group("gone").expect("deleted");

    let mut restored = Groups::new(config());
    for record in g.take_records() {
        restored.replay(record, NOW + 5);
    }
    assert!(restored.get("gone").is_none());
    assert_eq!(restored.list(&[], &[]), g.list(&[], &[]));
    assert_eq!(
        restored.heartbeat("a", &member, None, 1, NOW + 6),
        Ok(()),
        "classic members keep their session across a restart"
    );
    let offsets = restored
        .fetch_offsets("a", (None, -1), None)
        .expect("fetch");
    assert_eq!(offsets[0].1[0].1.as_ref().map(|o| o.offset), Some(77));
    let Some(GroupKind::Consumer(b)) = restored.get("b").map(|x| &x.kind) else {
        panic!("b is a consumer group");
    };
    assert_eq!(b.group_epoch(), 1);
    assert!(b.has_member("m"));
}
