use bytes::{BufMut, Bytes, BytesMut};
use kafka_protocol::error::ResponseError;
use kafka_protocol::protocol::{Encodable, StrBytes};

use super::*;
use crate::groups::GroupConfig;
use crate::groups::state::Reply;
use crate::groups::state::classic::{JoinRequest, Protocol, SyncRequest};

const NOW: i64 = 1_700_000_000_000;

fn topics() -> TopicsView {
    TopicsView::new([
        (
            "orders".to_owned(),
            herald_log::Uuid::from_bytes([1; 16]),
            3,
        ),
        (
            "payments".to_owned(),
            herald_log::Uuid::from_bytes([2; 16]),
            1,
        ),
    ])
}

fn groups() -> Groups {
    Groups::new(GroupConfig {
        initial_rebalance_delay_ms: 0,
        offsets_retention_ms: 60_000,
        ..GroupConfig::default()
    })
}

fn commit(group: &str, generation: i32, parts: &[(&str, i32, i64)]) -> CommitRequest {
    CommitRequest {
        group_id: group.to_owned(),
        member_id: String::new(),
        instance_id: None,
        generation_or_epoch: generation,
        retention_ms: -1,
        version: 8,
        partitions: parts
            .iter()
            .map(|(t, p, o)| PartitionCommit {
                topic: (*t).to_owned(),
                partition: *p,
                offset: *o,
                leader_epoch: 0,
                metadata: Some(format!("meta-{o}")),
            })
            .collect(),
    }
}

fn commit_now(g: &mut Groups, req: CommitRequest, now: i64) -> Vec<Option<i16>> {
    let plan = g.plan_commit(req, &topics(), now);
    let codes = plan
        .errors
        .iter()
        .map(|e| e.as_ref().map(GroupError::code))
        .collect();
    g.finish_commit(plan.ticket, true);
    codes
}

fn fetched(g: &Groups, group: &str, topic: &str, partition: i32) -> Option<CommittedOffset> {
    let found = g
        .fetch_offsets(
            group,
            (None, -1),
            Some(vec![(topic.to_owned(), vec![partition])]),
        )
        .expect("fetch");
    found[0].1[0].1.clone()
}

#[test]
fn a_simple_commit_creates_the_group_and_round_trips_metadata() {
    let mut g = groups();
    let plan = g.plan_commit(commit("g", -1, &[("orders", 0, 42)]), &topics(), NOW);
    assert_eq!(plan.errors, vec![None]);
    assert_eq!(plan.records.len(), 1);
    assert_eq!(
        fetched(&g, "g", "orders", 0),
        None,
        "not visible before it is durable"
    );
    g.finish_commit(plan.ticket, true);
    let got = fetched(&g, "g", "orders", 0).expect("committed");
    assert_eq!((got.offset, got.metadata.as_str()), (42, "meta-42"));
    assert_eq!(got.commit_timestamp, NOW);
    assert_eq!(got.expire_timestamp, None);
    assert_eq!(
        fetched(&g, "nobody", "orders", 0),
        None,
        "unknown groups have no offsets"
    );
}

#[test]
fn commits_to_unknown_groups_with_a_generation_are_refused_per_version() {
    let mut g = groups();
    let codes = commit_now(&mut g, commit("g", 3, &[("orders", 0, 1)]), NOW);
    assert_eq!(codes, vec![Some(ResponseError::IllegalGeneration.code())]);
    let mut v9 = commit("g", 3, &[("orders", 0, 1)]);
    v9.version = 9;
    let codes = commit_now(&mut g, v9, NOW);
    assert_eq!(codes, vec![Some(ResponseError::GroupIdNotFound.code())]);
    assert!(g.get("g").is_none());
}

#[test]
fn unknown_partitions_and_oversized_metadata_fail_alone() {
    let mut g = groups();
    let mut req = commit(
        "g",
        -1,
        &[
            ("orders", 0, 1),
            ("orders", 9, 1),
            ("nope", 0, 1),
            ("payments", 0, 5),
        ],
    );
    req.partitions[3].metadata = Some("x".repeat(5_000));
    let codes = commit_now(&mut g, req, NOW);
    assert_eq!(
        codes,
        vec![
            None,
            Some(ResponseError::UnknownTopicOrPartition.code()),
            Some(ResponseError::UnknownTopicOrPartition.code()),
            Some(ResponseError::OffsetMetadataTooLarge.code()),
        ]
    );
    assert!(fetched(&g, "g", "orders", 0).is_some());
    assert!(fetched(&g, "g", "payments", 0).is_none());
}

#[test]
fn a_late_applied_commit_never_overwrites_a_newer_one() {
    let mut g = groups();
    let first = g.plan_commit(commit("g", -1, &[("orders", 0, 10)]), &topics(), NOW);
    let second = g.plan_commit(commit("g", -1, &[("orders", 0, 20)]), &topics(), NOW + 1);
    g.finish_commit(second.ticket, true);
    g.finish_commit(first.ticket, true);
    assert_eq!(fetched(&g, "g", "orders", 0).map(|o| o.offset), Some(20));
}

#[test]
fn a_commit_validated_before_the_group_was_deleted_is_dropped() {
    let mut g = groups();
    commit_now(&mut g, commit("g", -1, &[("orders", 0, 1)]), NOW);
    let plan = g.plan_commit(commit("g", -1, &[("orders", 1, 2)]), &topics(), NOW);
    g.delete_group("g").expect("empty group deleted");
    commit_now(&mut g, commit("g", -1, &[("orders", 2, 3)]), NOW);
    g.finish_commit(plan.ticket, true);
    assert!(fetched(&g, "g", "orders", 1).is_none());
    assert!(
        fetched(&g, "g", "orders", 0).is_none(),
        "deleted with its group"
    );
    assert!(fetched(&g, "g", "orders", 2).is_some());
}

#[test]
fn offsets_expire_after_retention_and_take_their_empty_group_along() {
    let mut g = groups();
    let mut req = commit("g", -1, &[("orders", 0, 1)]);
    req.retention_ms = 1_000;
    commit_now(&mut g, req, NOW);
    commit_now(&mut g, commit("h", -1, &[("orders", 0, 1)]), NOW);
    g.take_records();
    g.expire_offsets(NOW + 999);
    assert!(g.take_records().is_empty());
    g.expire_offsets(NOW + 1_000);
    assert!(g.get("g").is_none(), "explicit retention passed");
    assert!(g.get("h").is_some());
    assert_eq!(g.take_records().len(), 1, "g's tombstone");
    g.expire_offsets(NOW + 60_000);
    assert!(g.get("h").is_none(), "the broker retention passed");
    let tombstones = g.take_records();
    assert_eq!(tombstones.len(), 1);
    assert!(
        matches!(&tombstones[0], StoreRecord::Offset { value: None, group, .. } if group == "h")
    );
}

fn subscription(topics: &[&str]) -> Bytes {
    let sub = ConsumerProtocolSubscription::default().with_topics(
        topics
            .iter()
            .map(|t| StrBytes::from_string((*t).to_owned()))
            .collect(),
    );
    let mut buf = BytesMut::new();
    buf.put_i16(1);
    sub.encode(&mut buf, 1).expect("encode");
    buf.freeze()
}

#[test]
fn offset_delete_refuses_topics_the_group_consumes() {
    let mut g = groups();
    let join = JoinRequest {
        member_id: String::new(),
        instance_id: None,
        client_id: "c".into(),
        client_host: "h".into(),
        session_timeout_ms: 10_000,
        rebalance_timeout_ms: 10_000,
        protocol_type: "consumer".into(),
        protocols: vec![Protocol {
            name: "range".into(),
            metadata: subscription(&["orders"]),
        }],
        require_known_member_id: false,
    };
    let Reply::Pending(mut rx) = g.join("g", join, NOW) else {
        panic!("join waits");
    };
    let joined = rx.try_recv().expect("answered").expect("joined");
    let sync = SyncRequest {
        member_id: joined.member_id.clone(),
        instance_id: None,
        generation_id: joined.generation_id,
        protocol_type: None,
        protocol_name: None,
        assignments: vec![],
    };
    let _ = g.sync("g", sync, NOW);
    let mut req = commit(
        "g",
        joined.generation_id,
        &[("orders", 0, 5), ("payments", 0, 7)],
    );
    req.member_id = joined.member_id.clone();
    assert_eq!(commit_now(&mut g, req, NOW), vec![None, None]);
    g.take_records();

    let result = g
        .delete_offsets(
            "g",
            vec![("orders".into(), vec![0]), ("payments".into(), vec![0])],
        )
        .expect("group exists");
    assert_eq!(
        result[0].1[0].1.as_ref().map(GroupError::code),
        Some(ResponseError::GroupSubscribedToTopic.code())
    );
    assert_eq!(result[1].1[0].1, None);
    assert!(fetched(&g, "g", "orders", 0).is_some());
    assert!(fetched(&g, "g", "payments", 0).is_none());
    assert_eq!(g.take_records().len(), 1, "one tombstone");
    assert_eq!(
        g.delete_offsets("nobody", vec![])
            .map(|_| ())
            .map_err(|e| e.code()),
        Err(ResponseError::GroupIdNotFound.code())
    );
}

#[test]
fn fetching_all_topics_lists_every_committed_partition() {
    let mut g = groups();
    commit_now(
        &mut g,
        commit(
            "g",
            -1,
            &[("payments", 0, 3), ("orders", 2, 1), ("orders", 0, 9)],
        ),
        NOW,
    );
    let all = g.fetch_offsets("g", (None, -1), None).expect("fetch");
    let flat: Vec<(String, i32, i64)> = all
        .iter()
        .flat_map(|(t, ps)| {
            ps.iter()
                .map(move |(p, o)| (t.clone(), *p, o.as_ref().map_or(-1, |o| o.offset)))
        })
        .collect();
    assert_eq!(
        flat,
        vec![
            ("orders".into(), 0, 9),
            ("orders".into(), 2, 1),
            ("payments".into(), 0, 3)
        ]
    );
}
