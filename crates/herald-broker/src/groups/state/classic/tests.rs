use super::*;
use crate::groups::state::Reply;

const NOW: i64 = 1_000_000;

fn config(delay: i32) -> GroupConfig {
    GroupConfig {
        initial_rebalance_delay_ms: delay,
        ..GroupConfig::default()
    }
}

fn protocols(names: &[&str]) -> Vec<Protocol> {
    names
        .iter()
        .map(|n| Protocol {
            name: (*n).to_owned(),
            metadata: Bytes::from(format!("meta-{n}")),
        })
        .collect()
}

fn join_req(member_id: &str, names: &[&str]) -> JoinRequest {
    JoinRequest {
        member_id: member_id.to_owned(),
        instance_id: None,
        client_id: "client".to_owned(),
        client_host: "/127.0.0.1".to_owned(),
        session_timeout_ms: 10_000,
        rebalance_timeout_ms: 30_000,
        protocol_type: "consumer".to_owned(),
        protocols: protocols(names),
        require_known_member_id: true,
    }
}

fn ready<T: std::fmt::Debug>(reply: Reply<T>) -> T {
    match reply {
        Reply::Ready(v) => v,
        Reply::Pending(_) => panic!("expected an immediate answer"),
    }
}

fn pending<T>(reply: Reply<T>) -> oneshot::Receiver<T> {
    match reply {
        Reply::Pending(rx) => rx,
        Reply::Ready(_) => panic!("expected the request to wait"),
    }
}

fn done<T: std::fmt::Debug>(rx: &mut oneshot::Receiver<T>) -> T {
    rx.try_recv().expect("the parked request was answered")
}

fn still_waiting<T>(rx: &mut oneshot::Receiver<T>) -> bool {
    matches!(rx.try_recv(), Err(oneshot::error::TryRecvError::Empty))
}

/// Two-step join of a new dynamic member; returns its id and parked join.
fn join_new(g: &mut ClassicGroup, now: i64) -> (String, oneshot::Receiver<JoinResult>) {
    let err = ready(g.join(join_req("", &["range"]), now)).expect_err("member id required");
    let GroupError::MemberIdRequired { member_id } = err else {
        panic!("expected MEMBER_ID_REQUIRED, got {err:?}");
    };
    let rx = pending(g.join(join_req(&member_id, &["range"]), now));
    (member_id, rx)
}

fn sync_req(member_id: &str, generation: i32, assignments: Vec<(String, Bytes)>) -> SyncRequest {
    SyncRequest {
        member_id: member_id.to_owned(),
        instance_id: None,
        generation_id: generation,
        protocol_type: Some("consumer".to_owned()),
        protocol_name: Some("range".to_owned()),
        assignments,
    }
}

#[test]
fn two_step_join_then_sync_makes_the_group_stable() {
    let mut g = ClassicGroup::new("g", NOW, &config(0));
    let (a, mut rx) = join_new(&mut g, NOW);
    let joined = done(&mut rx).expect("joined");
    assert_eq!(joined.generation_id, 1);
    assert_eq!(joined.leader, a);
    assert_eq!(joined.member_id, a);
    assert_eq!(joined.protocol_name.as_deref(), Some("range"));
    assert_eq!(joined.members.len(), 1);
    assert_eq!(joined.members[0].metadata, Bytes::from("meta-range"));
    assert_eq!(g.state(), ClassicState::CompletingRebalance);

    let mut srx = pending(g.sync(sync_req(&a, 1, vec![(a.clone(), Bytes::from("A"))]), NOW));
    let synced = done(&mut srx).expect("synced");
    assert_eq!(synced.assignment, Bytes::from("A"));
    assert_eq!(g.state(), ClassicState::Stable);
    assert!(g.take_dirty(), "a stable group is persisted");
    assert_eq!(g.heartbeat(&a, None, 1, NOW + 1), Ok(()));
}

#[test]
fn a_second_member_triggers_a_rebalance_and_each_gets_its_own_assignment() {
    let (mut g, a) = stable_single_synced();
    let (b, mut b_join) = join_new(&mut g, NOW + 10);
    assert_eq!(g.state(), ClassicState::PreparingRebalance);
    assert!(still_waiting(&mut b_join), "waits for the existing member");
    assert_eq!(
        g.heartbeat(&a, None, 1, NOW + 20).map_err(|e| e.code()),
        Err(27),
        "REBALANCE_IN_PROGRESS tells the member to rejoin"
    );
    let mut a_join = pending(g.join(join_req(&a, &["range"]), NOW + 30));
    let ja = done(&mut a_join).expect("a joined");
    let jb = done(&mut b_join).expect("b joined");
    assert_eq!((ja.generation_id, jb.generation_id), (2, 2));
    assert_eq!(ja.leader, a, "the leader stays the leader");
    assert_eq!(ja.members.len(), 2, "the leader sees every member");
    assert!(jb.members.is_empty(), "followers see no members");

    let mut b_sync = pending(g.sync(sync_req(&b, 2, vec![]), NOW + 40));
    assert!(still_waiting(&mut b_sync));
    let assignments = vec![
        (a.clone(), Bytes::from("for-a")),
        (b.clone(), Bytes::from("for-b")),
    ];
    let mut a_sync = pending(g.sync(sync_req(&a, 2, assignments), NOW + 50));
    assert_eq!(
        done(&mut a_sync).expect("a").assignment,
        Bytes::from("for-a")
    );
    assert_eq!(
        done(&mut b_sync).expect("b").assignment,
        Bytes::from("for-b")
    );
    assert_eq!(g.state(), ClassicState::Stable);
}

fn stable_single_synced() -> (ClassicGroup, String) {
    let mut g = ClassicGroup::new("g", NOW, &config(0));
    let (a, mut rx) = join_new(&mut g, NOW);
    done(&mut rx).expect("joined");
    let mut srx = pending(g.sync(sync_req(&a, 1, vec![(a.clone(), Bytes::from("A"))]), NOW));
    done(&mut srx).expect("synced");
    (g, a)
}

#[test]
fn wrong_generation_and_unknown_members_are_refused() {
    let (mut g, a) = stable_single_synced();
    assert_eq!(g.heartbeat(&a, None, 7, NOW).map_err(|e| e.code()), Err(22));
    assert_eq!(
        g.heartbeat("nobody", None, 1, NOW).map_err(|e| e.code()),
        Err(25)
    );
    let err = ready(g.sync(sync_req(&a, 0, vec![]), NOW)).expect_err("old generation");
    assert_eq!(err.code(), 22);
    let err = ready(g.join(join_req("nobody", &["range"]), NOW)).expect_err("unknown");
    assert_eq!(err.code(), 25);
}

#[test]
fn an_expired_session_removes_the_member_and_rebalances_the_rest() {
    let (mut g, a) = stable_single_synced();
    let (b, mut b_join) = join_new(&mut g, NOW);
    let mut a_join = pending(g.join(join_req(&a, &["range"]), NOW));
    done(&mut a_join).expect("a");
    done(&mut b_join).expect("b");
    let mut b_sync = pending(g.sync(sync_req(&b, 2, vec![]), NOW));
    let mut a_sync = pending(g.sync(sync_req(&a, 2, vec![]), NOW));
    done(&mut a_sync).expect("a synced");
    done(&mut b_sync).expect("b synced");

    // a keeps heartbeating, b goes silent.
    for t in (1..=12).map(|s| NOW + s * 1_000) {
        let _ = g.heartbeat(&a, None, g.generation(), t);
        g.tick(t);
    }
    assert!(!g.has_member(&b), "b's 10 s session expired");
    assert_eq!(g.state(), ClassicState::PreparingRebalance);
    let mut a_join = pending(g.join(join_req(&a, &["range"]), NOW + 12_500));
    let joined = done(&mut a_join).expect("rejoined");
    assert_eq!(joined.generation_id, 3, "generations advance per rebalance");
    assert_eq!(joined.members.len(), 1);
}

#[test]
fn members_that_do_not_rejoin_in_time_are_dropped_at_the_rebalance_timeout() {
    let (mut g, a) = stable_single_synced();
    let (_b, mut b_join) = join_new(&mut g, NOW);
    // a heartbeats (so its session lives) but never rejoins.
    for t in (1..=31).map(|s| NOW + s * 1_000) {
        let _ = g.heartbeat(&a, None, 1, t);
        g.tick(t);
    }
    let jb = done(&mut b_join).expect("b joins alone after the rebalance timeout");
    assert_eq!(jb.generation_id, 2);
    assert_eq!(jb.members.len(), 1, "b leads a group of one");
    assert!(!g.has_member(&a));
}

#[test]
fn the_last_member_leaving_empties_the_group_with_a_new_generation() {
    let (mut g, a) = stable_single_synced();
    assert_eq!(g.leave(&a, None, NOW + 5), Ok(()));
    assert_eq!(g.state(), ClassicState::Empty);
    assert_eq!(g.generation(), 2);
    assert!(g.take_dirty());
    assert_eq!(g.leave(&a, None, NOW + 6).map_err(|e| e.code()), Err(25));
}

#[test]
fn a_leaving_member_fails_parked_joins_of_nobody_else() {
    let (mut g, a) = stable_single_synced();
    let (b, mut b_join) = join_new(&mut g, NOW);
    assert_eq!(g.leave(&a, None, NOW + 1), Ok(()));
    let jb = done(&mut b_join).expect("the rebalance completes without a");
    assert_eq!(jb.leader, b);
    assert_eq!(jb.members.len(), 1);
}

#[test]
fn static_members_rejoin_with_a_new_id_and_keep_their_assignment() {
    let mut g = ClassicGroup::new("g", NOW, &config(0));
    let mut req = join_req("", &["range"]);
    req.instance_id = Some("host-1".to_owned());
    let mut rx = pending(g.join(req.clone(), NOW));
    let joined = done(&mut rx).expect("static members skip MEMBER_ID_REQUIRED");
    let first = joined.member_id.clone();
    assert!(first.starts_with("host-1-"));
    let mut srx = pending(g.sync(
        SyncRequest {
            instance_id: Some("host-1".to_owned()),
            ..sync_req(&first, 1, vec![(first.clone(), Bytes::from("P0"))])
        },
        NOW,
    ));
    done(&mut srx).expect("synced");

    // The process restarts: same instance id, no member id.
    let again = ready(g.join(req, NOW + 100)).expect("answered from the stable group");
    assert_ne!(again.member_id, first);
    assert_eq!(
        again.leader, again.member_id,
        "the returning member still leads"
    );
    assert!(again.skip_assignment, "and must not reassign");
    assert_eq!(again.members.len(), 1);
    assert_eq!(
        again.generation_id, 1,
        "no rebalance for a returning static member"
    );
    assert_eq!(g.state(), ClassicState::Stable);
    let synced = ready(g.sync(
        SyncRequest {
            instance_id: Some("host-1".to_owned()),
            ..sync_req(&again.member_id, 1, vec![])
        },
        NOW + 101,
    ))
    .expect("synced");
    assert_eq!(synced.assignment, Bytes::from("P0"));
    assert_eq!(
        g.heartbeat(&first, Some("host-1"), 1, NOW + 102)
            .map_err(|e| e.code()),
        Err(82),
        "the old incarnation is fenced (FENCED_INSTANCE_ID)"
    );
}

#[test]
fn the_protocol_all_members_support_and_most_prefer_is_chosen() {
    let mut g = ClassicGroup::new("g", NOW, &config(0));
    let mut a = join_req("", &["range", "roundrobin"]);
    a.require_known_member_id = false;
    let mut b = join_req("", &["roundrobin", "range"]);
    b.require_known_member_id = false;
    let mut c = join_req("", &["roundrobin"]);
    c.require_known_member_id = false;
    let mut ra = pending(g.join(a, NOW));
    let ja = done(&mut ra).expect("a");
    assert_eq!(ja.protocol_name.as_deref(), Some("range"));
    let mut rb = pending(g.join(b, NOW));
    let mut rc = pending(g.join(c, NOW));
    let mut ra = pending(g.join(
        JoinRequest {
            member_id: ja.member_id.clone(),
            ..join_req("", &["range", "roundrobin"])
        },
        NOW,
    ));
    let ja = done(&mut ra).expect("a");
    assert_eq!(ja.protocol_name.as_deref(), Some("roundrobin"));
    assert_eq!(done(&mut rb).expect("b").generation_id, 2);
    assert_eq!(done(&mut rc).expect("c").generation_id, 2);
}

#[test]
fn inconsistent_protocols_are_refused() {
    let (mut g, _a) = stable_single_synced();
    let mut other = join_req("", &["sticky"]);
    other.require_known_member_id = false;
    let err = ready(g.join(other, NOW)).expect_err("no common protocol");
    assert_eq!(err.code(), 23);
    let mut typed = join_req("", &["range"]);
    typed.protocol_type = "connect".to_owned();
    assert_eq!(ready(g.join(typed, NOW)).expect_err("type").code(), 23);
    let empty = join_req("", &[]);
    assert_eq!(ready(g.join(empty, NOW)).expect_err("empty").code(), 23);
}

#[test]
fn the_initial_delay_waits_for_more_members_and_extends_for_late_ones() {
    let mut g = ClassicGroup::new("g", NOW, &config(1_000));
    let (_a, mut a_join) = join_new(&mut g, NOW);
    g.tick(NOW + 500);
    assert!(still_waiting(&mut a_join), "the first join waits the delay");
    let (_b, mut b_join) = join_new(&mut g, NOW + 900);
    g.tick(NOW + 1_000);
    assert!(
        still_waiting(&mut a_join),
        "a late member extends the delay"
    );
    g.tick(NOW + 2_000);
    let ja = done(&mut a_join).expect("a");
    let jb = done(&mut b_join).expect("b");
    assert_eq!((ja.generation_id, jb.generation_id), (1, 1));
    assert_eq!(ja.members.len() + jb.members.len(), 2);
}

#[test]
fn an_unanswered_member_id_offer_holds_the_rebalance_until_it_expires() {
    let (mut g, a) = stable_single_synced();
    let err = ready(g.join(join_req("", &["range"]), NOW)).expect_err("offer");
    assert_eq!(err.code(), 79);
    let mut a_join = pending(g.join(join_req(&a, &["range"]), NOW));
    assert!(
        still_waiting(&mut a_join),
        "the stable group has not started rebalancing for an offer alone"
    );
    // A heartbeat-free tick past the offer's session timeout releases it.
    g.tick(NOW + 10_001);
    assert_eq!(done(&mut a_join).expect("a").generation_id, 2);
}

#[test]
fn a_leader_that_never_syncs_is_removed_after_the_rebalance_timeout() {
    let (mut g, a) = stable_single_synced();
    let (b, mut b_join) = join_new(&mut g, NOW);
    let mut a_join = pending(g.join(join_req(&a, &["range"]), NOW));
    done(&mut a_join).expect("a");
    done(&mut b_join).expect("b");
    let mut b_sync = pending(g.sync(sync_req(&b, 2, vec![]), NOW));
    // The leader a keeps heartbeating but never syncs.
    for t in (1..=31).map(|s| NOW + s * 1_000) {
        let _ = g.heartbeat(&a, None, 2, t);
        g.tick(t);
    }
    assert!(!g.has_member(&a));
    assert_eq!(done(&mut b_sync).expect_err("rebalance").code(), 27);
}

#[test]
fn snapshots_restore_a_stable_group() {
    let (g, a) = stable_single_synced();
    let snap = g.snapshot();
    let mut restored = ClassicGroup::restore("g", snap.clone(), NOW + 50, &config(0));
    assert_eq!(restored.state(), ClassicState::Stable);
    assert_eq!(restored.generation(), 1);
    assert_eq!(restored.snapshot(), snap);
    assert_eq!(restored.heartbeat(&a, None, 1, NOW + 60), Ok(()));
    let synced = ready(restored.sync(sync_req(&a, 1, vec![]), NOW + 61)).expect("synced");
    assert_eq!(synced.assignment, Bytes::from("A"));
}

#[test]
fn offset_commits_check_membership_and_generation() {
    let (mut g, a) = stable_single_synced();
    assert_eq!(g.validate_offset_commit(&a, None, 1, NOW), Ok(()));
    assert_eq!(
        g.validate_offset_commit(&a, None, 0, NOW)
            .map_err(|e| e.code()),
        Err(22)
    );
    assert_eq!(
        g.validate_offset_commit("", None, -1, NOW)
            .map_err(|e| e.code()),
        Err(25),
        "admin commits need an empty group"
    );
    g.leave(&a, None, NOW).expect("leave");
    assert_eq!(g.validate_offset_commit("", None, -1, NOW), Ok(()));
}
