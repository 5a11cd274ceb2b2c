use kafka_protocol::error::ResponseError;

use super::*;

const NOW: i64 = 5_000_000;

fn config() -> GroupConfig {
    GroupConfig {
        consumer_session_timeout_ms: 10_000,
        consumer_heartbeat_interval_ms: 500,
        ..GroupConfig::default()
    }
}

fn tid(n: u8) -> Uuid {
    Uuid::from_bytes([n; 16])
}

fn topics() -> TopicsView {
    TopicsView::new([
        ("orders".to_owned(), tid(1), 6),
        ("orders-eu".to_owned(), tid(2), 2),
        ("payments".to_owned(), tid(3), 3),
        ("__consumer_offsets".to_owned(), tid(9), 1),
    ])
}

fn join(member: &str, names: &[&str]) -> ConsumerHeartbeat {
    ConsumerHeartbeat {
        member_id: member.to_owned(),
        member_epoch: 0,
        rebalance_timeout_ms: 30_000,
        client_id: "c".to_owned(),
        client_host: "/127.0.0.1".to_owned(),
        subscribed_topic_names: Some(names.iter().map(|n| (*n).to_owned()).collect()),
        owned: Some(Assignment::new()),
        ..ConsumerHeartbeat::default()
    }
}

fn beat(member: &str, epoch: i32, owned: &Assignment) -> ConsumerHeartbeat {
    ConsumerHeartbeat {
        member_id: member.to_owned(),
        member_epoch: epoch,
        rebalance_timeout_ms: -1,
        client_id: "c".to_owned(),
        client_host: "/127.0.0.1".to_owned(),
        owned: Some(owned.clone()),
        ..ConsumerHeartbeat::default()
    }
}

fn count(a: &Assignment) -> usize {
    a.values().map(BTreeSet::len).sum()
}

/// No partition is held by two members at once.
fn assert_exclusive(g: &ConsumerGroup) {
    let mut seen = BTreeSet::new();
    for m in g.members() {
        for (t, ps) in m.assigned.iter().chain(&m.pending_revocation) {
            for p in ps {
                assert!(seen.insert((*t, *p)), "partition {p} held twice");
            }
        }
    }
}

/// A simulated client: remembers its epoch and what it owns, and acks
/// whatever the coordinator hands it.
struct Client {
    id: String,
    epoch: i32,
    owned: Assignment,
}

impl Client {
    fn join(g: &mut ConsumerGroup, id: &str, names: &[&str], now: i64) -> Client {
        let ok = g
            .heartbeat(join(id, names), &topics(), &config(), now)
            .expect("joined");
        Client {
            id: id.to_owned(),
            epoch: ok.member_epoch,
            owned: ok.assignment.expect("a join always gets its assignment"),
        }
    }

    fn beat(&mut self, g: &mut ConsumerGroup, now: i64) -> HeartbeatOk {
        let ok = g
            .heartbeat(
                beat(&self.id, self.epoch, &self.owned),
                &topics(),
                &config(),
                now,
            )
            .expect("heartbeat");
        self.epoch = ok.member_epoch;
        if let Some(a) = &ok.assignment {
            self.owned = a.clone();
        }
        assert_exclusive(g);
        ok
    }
}

#[test]
fn the_first_member_gets_every_partition_and_the_epoch_advances() {
    let mut g = ConsumerGroup::new("g", NOW);
    let mut a = Client::join(&mut g, "a", &["orders"], NOW);
    assert_eq!(a.epoch, 1);
    assert_eq!(count(&a.owned), 6);
    assert_eq!(g.state_name(), "Stable");
    let ok = a.beat(&mut g, NOW + 1);
    assert_eq!(ok.assignment, None, "unchanged assignments are not resent");
    assert_eq!(ok.heartbeat_interval_ms, 500);
    assert!(g.take_dirty());
}

#[test]
fn a_joining_member_gets_partitions_only_after_their_owner_revoked_them() {
    let mut g = ConsumerGroup::new("g", NOW);
    let mut a = Client::join(&mut g, "a", &["orders"], NOW);
    let mut b = Client::join(&mut g, "b", &["orders"], NOW + 1);
    assert_eq!(g.group_epoch(), 2);
    assert_eq!(b.epoch, 2);
    assert!(b.owned.is_empty(), "all partitions are still a's");
    assert_eq!(g.state_name(), "Reconciling");

    // a is told to give up three partitions but stays at epoch 1.
    let ok = a.beat(&mut g, NOW + 2);
    assert_eq!(ok.member_epoch, 1);
    assert_eq!(count(&a.owned), 3);
    // Its next heartbeat reports the revocation: it reaches epoch 2.
    let ok = a.beat(&mut g, NOW + 3);
    assert_eq!(ok.member_epoch, 2);
    // Now b receives the released partitions.
    let ok = b.beat(&mut g, NOW + 4);
    assert_eq!(count(ok.assignment.as_ref().expect("new partitions")), 3);
    assert_eq!(g.state_name(), "Stable");
    let all: BTreeSet<i32> = a.owned[&tid(1)].union(&b.owned[&tid(1)]).copied().collect();
    assert_eq!(all, (0..6).collect());
}

#[test]
fn three_members_share_six_partitions_and_a_leaver_is_absorbed() {
    let mut g = ConsumerGroup::new("g", NOW);
    let mut clients = vec![
        Client::join(&mut g, "a", &["orders"], NOW),
        Client::join(&mut g, "b", &["orders"], NOW),
        Client::join(&mut g, "c", &["orders"], NOW),
    ];
    for t in 1..6 {
        for c in &mut clients {
            c.beat(&mut g, NOW + t);
        }
    }
    assert_eq!(g.state_name(), "Stable");
    assert!(clients.iter().all(|c| count(&c.owned) == 2));

    let leaving = clients.remove(1);
    let ok = g
        .heartbeat(
            ConsumerHeartbeat {
                member_epoch: LEAVE_EPOCH,
                ..beat(&leaving.id, leaving.epoch, &leaving.owned)
            },
            &topics(),
            &config(),
            NOW + 10,
        )
        .expect("left");
    assert_eq!(ok.member_epoch, LEAVE_EPOCH);
    for t in 11..15 {
        for c in &mut clients {
            c.beat(&mut g, NOW + t);
        }
    }
    assert!(clients.iter().all(|c| count(&c.owned) == 3));
    assert_eq!(g.state_name(), "Stable");
}

#[test]
fn wrong_epochs_are_fenced_and_unknown_members_refused() {
    let mut g = ConsumerGroup::new("g", NOW);
    let a = Client::join(&mut g, "a", &["orders"], NOW);
    let err = g
        .heartbeat(beat("a", a.epoch + 1, &a.owned), &topics(), &config(), NOW)
        .expect_err("ahead");
    assert_eq!(err.code(), ResponseError::FencedMemberEpoch.code());
    let err = g
        .heartbeat(beat("zz", 3, &Assignment::new()), &topics(), &config(), NOW)
        .expect_err("unknown");
    assert_eq!(err.code(), ResponseError::UnknownMemberId.code());
}

#[test]
fn the_previous_epoch_is_accepted_when_the_bump_was_lost() {
    let mut g = ConsumerGroup::new("g", NOW);
    let a = Client::join(&mut g, "a", &["orders"], NOW);
    // Subscribe to more topics: epoch 1 -> 2 in the response...
    let mut req = beat("a", a.epoch, &a.owned);
    req.subscribed_topic_names = Some(vec!["orders".into(), "payments".into()]);
    let ok = g
        .heartbeat(req, &topics(), &config(), NOW + 1)
        .expect("resubscribed");
    assert_eq!(ok.member_epoch, 2);
    // ...which is lost: the member retries with epoch 1 and its old partitions.
    let ok = g
        .heartbeat(beat("a", 1, &a.owned), &topics(), &config(), NOW + 2)
        .expect("previous epoch accepted");
    assert_eq!(ok.member_epoch, 2);
}

#[test]
fn a_static_member_can_leave_and_come_back_under_a_new_id_with_its_partitions() {
    let mut g = ConsumerGroup::new("g", NOW);
    let mut req = join("a1", &["orders"]);
    req.instance_id = Some("host-a".into());
    let first = g
        .heartbeat(req.clone(), &topics(), &config(), NOW)
        .expect("join");
    let owned = first.assignment.expect("assignment");
    let mut leave = beat("a1", first.member_epoch, &owned);
    leave.member_epoch = STATIC_LEAVE_EPOCH;
    leave.instance_id = Some("host-a".into());
    let ok = g
        .heartbeat(leave, &topics(), &config(), NOW + 1)
        .expect("left");
    assert_eq!(ok.member_epoch, STATIC_LEAVE_EPOCH);
    assert!(g.has_member("a1"), "kept until its session expires");

    req.member_id = "a2".into();
    let epoch = g.group_epoch();
    let back = g
        .heartbeat(req.clone(), &topics(), &config(), NOW + 2)
        .expect("rejoined");
    assert_eq!(
        back.assignment,
        Some(owned),
        "same partitions, no reshuffle"
    );
    assert_eq!(
        g.group_epoch(),
        epoch,
        "no new group epoch for a returning static member"
    );
    assert!(!g.has_member("a1"));
    // A third incarnation while a2 is active is refused.
    req.member_id = "a3".into();
    let err = g
        .heartbeat(req, &topics(), &config(), NOW + 3)
        .expect_err("unreleased");
    assert_eq!(err.code(), ResponseError::UnreleasedInstanceId.code());
}

#[test]
fn silent_members_expire_and_slow_revokers_are_fenced() {
    let mut g = ConsumerGroup::new("g", NOW);
    let mut a = Client::join(&mut g, "a", &["orders"], NOW);
    let _b = Client::join(&mut g, "b", &["orders"], NOW);
    // b never heartbeats again; a keeps going.
    for s in 1..=11 {
        a.beat(&mut g, NOW + s * 1_000);
        g.tick(NOW + s * 1_000);
    }
    assert!(!g.has_member("b"), "b's session expired");
    a.beat(&mut g, NOW + 12_000);
    assert_eq!(count(&a.owned), 6);

    // c joins; a is asked to revoke but never acknowledges within 30 s.
    let mut c = Client::join(&mut g, "c", &["orders"], NOW + 13_000);
    let stubborn = a.owned.clone();
    let ok = g
        .heartbeat(
            beat("a", a.epoch, &stubborn),
            &topics(),
            &config(),
            NOW + 13_001,
        )
        .expect("told to revoke");
    assert_eq!(ok.assignment.map(|x| count(&x)), Some(3));
    for s in 14..=44 {
        let now = NOW + s * 1_000;
        let _ = g.heartbeat(beat("a", a.epoch, &stubborn), &topics(), &config(), now);
        c.beat(&mut g, now);
        g.tick(now);
    }
    assert!(!g.has_member("a"), "fenced after the rebalance timeout");
    c.beat(&mut g, NOW + 45_000);
    c.beat(&mut g, NOW + 45_001);
    assert_eq!(count(&c.owned), 6);
}

#[test]
fn the_range_assignor_is_used_when_members_ask_for_it() {
    let mut g = ConsumerGroup::new("g", NOW);
    let mut req = join("a", &["orders"]);
    req.server_assignor = Some("range".into());
    g.heartbeat(req, &topics(), &config(), NOW).expect("join");
    assert_eq!(g.assignor(), AssignorKind::Range);
    let mut req = join("b", &["orders"]);
    req.server_assignor = Some("range".into());
    g.heartbeat(req, &topics(), &config(), NOW).expect("join");
    assert_eq!(
        g.target_of("a").map(|t| t[&tid(1)].clone()),
        Some((0..3).collect())
    );
    assert_eq!(
        g.target_of("b").map(|t| t[&tid(1)].clone()),
        Some((3..6).collect())
    );
}

#[test]
fn regex_subscriptions_follow_new_topics_and_skip_internal_ones() {
    let mut g = ConsumerGroup::new("g", NOW);
    let mut req = join("a", &[]);
    req.subscribed_topic_names = None;
    req.subscribed_topic_regex = Some("orders.*|__.*".into());
    let ok = g.heartbeat(req, &topics(), &config(), NOW).expect("join");
    let a = ok.assignment.expect("assignment");
    assert_eq!(a.keys().copied().collect::<Vec<_>>(), vec![tid(1), tid(2)]);
    assert_eq!(count(&a), 8);

    let grown = TopicsView::new(
        topics()
            .iter()
            .map(|(n, id, p)| (n.to_owned(), id, p))
            .chain([("orders-us".to_owned(), tid(4), 1)]),
    );
    let ok = g
        .heartbeat(beat("a", ok.member_epoch, &a), &grown, &config(), NOW + 1)
        .expect("beat");
    assert_eq!(ok.member_epoch, 2, "a new matching topic bumps the epoch");
    assert_eq!(ok.assignment.map(|x| count(&x)), Some(9));
}

#[test]
fn invalid_requests_are_refused_before_touching_the_group() {
    let mut bad = join("", &["orders"]);
    assert_eq!(
        validate(&bad, 1).map_err(|e| e.code()),
        Err(ResponseError::InvalidRequest.code())
    );
    assert_eq!(
        validate(&bad, 0),
        Ok(()),
        "v0 lets the coordinator pick the id"
    );
    bad.member_id = "m".into();
    bad.owned = Some(Assignment::from([(tid(1), BTreeSet::from([0]))]));
    assert!(validate(&bad, 1).is_err(), "a join owns nothing");
    let mut bad = join("m", &["orders"]);
    bad.server_assignor = Some("sticky".into());
    assert_eq!(
        validate(&bad, 1).map_err(|e| e.code()),
        Err(ResponseError::UnsupportedAssignor.code())
    );
    let mut bad = join("m", &["orders"]);
    bad.member_epoch = -3;
    assert!(validate(&bad, 1).is_err());
    assert_eq!(
        compile_regex("orders[").map(|_| ()).map_err(|e| e.code()),
        Err(ResponseError::InvalidRegularExpression.code())
    );
}

#[test]
fn snapshots_restore_members_epochs_and_assignments() {
    let mut g = ConsumerGroup::new("g", NOW);
    let mut a = Client::join(&mut g, "a", &["orders"], NOW);
    let mut b = Client::join(&mut g, "b", &["orders"], NOW);
    for t in 1..4 {
        a.beat(&mut g, NOW + t);
        b.beat(&mut g, NOW + t);
    }
    let snap = g.snapshot();
    let mut restored = ConsumerGroup::restore("g", snap.clone(), NOW + 100, &config());
    assert_eq!(restored.snapshot(), snap);
    let ok = a.beat(&mut restored, NOW + 101);
    assert_eq!(
        ok.member_epoch,
        g.group_epoch(),
        "no rebalance after a restore"
    );
    assert_eq!(ok.assignment, None);
}

#[test]
fn offset_commits_need_the_current_member_epoch_and_v9() {
    let mut g = ConsumerGroup::new("g", NOW);
    let a = Client::join(&mut g, "a", &["orders"], NOW);
    assert_eq!(g.validate_offset_commit("a", a.epoch, 9), Ok(()));
    let stale = g
        .validate_offset_commit("a", a.epoch - 1, 9)
        .map_err(|e| e.code());
    assert_eq!(stale, Err(ResponseError::StaleMemberEpoch.code()));
    let old = g
        .validate_offset_commit("a", a.epoch, 8)
        .map_err(|e| e.code());
    assert_eq!(old, Err(ResponseError::UnsupportedVersion.code()));
    let admin = g.validate_offset_commit("", -1, 9).map_err(|e| e.code());
    assert_eq!(
        admin,
        Err(ResponseError::UnknownMemberId.code()),
        "not while members exist"
    );
    assert_eq!(g.validate_offset_fetch(None, -1), Ok(()));
    assert_eq!(g.validate_offset_fetch(Some("a"), a.epoch), Ok(()));
}
