use super::*;

fn topics() -> Topics {
    Topics::new([
        ("orders".to_owned(), Uuid::from_u128(1), 2),
        ("audit".to_owned(), Uuid::from_u128(2), 3),
    ])
}

fn join(member: &str, subs: &[&str]) -> Heartbeat {
    Heartbeat {
        member_id: member.to_owned(),
        member_epoch: 0,
        subscribed_topic_names: Some(subs.iter().map(|s| (*s).to_owned()).collect()),
        client_id: "c".to_owned(),
        ..Heartbeat::default()
    }
}

fn beat(member: &str, epoch: i32) -> Heartbeat {
    Heartbeat {
        member_id: member.to_owned(),
        member_epoch: epoch,
        ..Heartbeat::default()
    }
}

fn parts(a: &Assignment, topic: u128) -> Vec<i32> {
    a.get(&Uuid::from_u128(topic))
        .map(|s| s.iter().copied().collect())
        .unwrap_or_default()
}

#[test]
fn a_joining_member_gets_every_partition_and_an_epoch() {
    let mut g = ShareGroup::default();
    let (ok, changed) = g
        .heartbeat("g", join("a", &["orders"]), &topics(), 5_000, 0)
        .unwrap();
    assert!(changed);
    assert_eq!(ok.member_epoch, g.group_epoch);
    assert!(ok.member_epoch > 0);
    assert_eq!(ok.heartbeat_interval_ms, 5_000);
    assert_eq!(parts(ok.assignment.as_ref().unwrap(), 1), vec![0, 1]);
    // A steady heartbeat changes nothing and sends no assignment.
    let (again, changed) = g
        .heartbeat("g", beat("a", ok.member_epoch), &topics(), 5_000, 10)
        .unwrap();
    assert!(!changed);
    assert_eq!(again.member_epoch, ok.member_epoch);
    assert!(again.assignment.is_none());
}

#[test]
fn more_members_than_partitions_share_partitions() {
    let mut g = ShareGroup::default();
    let mut epochs = Vec::new();
    for m in ["a", "b", "c", "d"] {
        let (ok, _) = g
            .heartbeat("g", join(m, &["orders"]), &topics(), 5_000, 0)
            .unwrap();
        epochs.push(ok.member_epoch);
    }
    assert!(epochs.windows(2).all(|w| w[0] < w[1]), "each join bumps");
    // Every member catches up on its next heartbeat.
    let mut all = Vec::new();
    for (m, e) in ["a", "b", "c", "d"].iter().zip(&epochs) {
        let (ok, _) = g.heartbeat("g", beat(m, *e), &topics(), 5_000, 1).unwrap();
        assert_eq!(ok.member_epoch, g.group_epoch);
        let a = g.members[*m].assigned.clone();
        assert_eq!(parts(&a, 1).len(), 1, "{m} holds one partition");
        all.extend(parts(&a, 1));
    }
    all.sort_unstable();
    assert_eq!(all, vec![0, 0, 1, 1], "two members per partition");
}

#[test]
fn partitions_spread_over_members_and_topics() {
    let mut members = BTreeMap::new();
    for m in ["a", "b"] {
        members.insert(
            m.to_owned(),
            ShareMember {
                member_id: m.to_owned(),
                epoch: 0,
                rack_id: None,
                client_id: String::new(),
                client_host: String::new(),
                subscribed: vec!["audit".to_owned(), "orders".to_owned()],
                assigned: Assignment::new(),
                last_seen: 0,
            },
        );
    }
    let sub: BTreeMap<String, (Uuid, i32)> = [
        ("audit".to_owned(), (Uuid::from_u128(2), 3)),
        ("orders".to_owned(), (Uuid::from_u128(1), 2)),
    ]
    .into();
    let out = assign(&members, &sub);
    let count = |m: &str| out[m].values().map(BTreeSet::len).sum::<usize>();
    assert_eq!(count("a") + count("b"), 5, "every partition once");
    assert!(count("a").abs_diff(count("b")) <= 1, "{out:?}");
}

#[test]
fn errors_and_leaving() {
    let mut g = ShareGroup::default();
    let err = g
        .heartbeat("g", beat("x", 3), &topics(), 5_000, 0)
        .unwrap_err();
    assert!(matches!(err, ShareError::UnknownMember { .. }));
    let mut no_subs = join("a", &[]);
    no_subs.subscribed_topic_names = None;
    let err = g.heartbeat("g", no_subs, &topics(), 5_000, 0).unwrap_err();
    assert!(matches!(err, ShareError::InvalidRequest(_)));
    let (ok, _) = g
        .heartbeat("g", join("a", &["orders"]), &topics(), 5_000, 0)
        .unwrap();
    let err = g
        .heartbeat("g", beat("a", ok.member_epoch + 5), &topics(), 5_000, 0)
        .unwrap_err();
    assert!(
        matches!(err, ShareError::FencedMemberEpoch { .. }),
        "{err:?}"
    );
    let err = g
        .heartbeat("g", beat("a", -2), &topics(), 5_000, 0)
        .unwrap_err();
    assert!(matches!(err, ShareError::InvalidRequest(_)));
    let before = g.group_epoch;
    let (left, changed) = g
        .heartbeat("g", beat("a", LEAVE_EPOCH), &topics(), 5_000, 0)
        .unwrap();
    assert!(changed);
    assert_eq!(left.member_epoch, LEAVE_EPOCH);
    assert!(g.members.is_empty());
    assert!(g.group_epoch > before);
    assert_eq!(g.state_name(), "Empty");
}

#[test]
fn silent_members_expire_and_new_partitions_bump_the_epoch() {
    let mut g = ShareGroup::default();
    let (a, _) = g
        .heartbeat("g", join("a", &["orders"]), &topics(), 5_000, 0)
        .unwrap();
    g.heartbeat("g", join("b", &["orders"]), &topics(), 5_000, 0)
        .unwrap();
    // A new partition appears: the next heartbeat moves the epoch on.
    let grown = Topics::new([("orders".to_owned(), Uuid::from_u128(1), 3)]);
    let (ok, changed) = g
        .heartbeat("g", beat("a", a.member_epoch), &grown, 5_000, 40_000)
        .unwrap();
    assert!(changed && ok.member_epoch > a.member_epoch);
    let gone = g.expire_members(50_000, 45_000);
    assert_eq!(gone, vec!["b".to_owned()], "a heartbeated at 40 000");
    assert_eq!(g.members.len(), 1);
    let (ok2, _) = g
        .heartbeat("g", beat("a", ok.member_epoch), &grown, 5_000, 50_000)
        .unwrap();
    assert_eq!(
        parts(ok2.assignment.as_ref().unwrap(), 1),
        vec![0, 1, 2],
        "a takes b's partitions"
    );
}

#[test]
fn membership_survives_a_snapshot() {
    let mut g = ShareGroup::default();
    let (ok, _) = g
        .heartbeat("g", join("a", &["orders"]), &topics(), 5_000, 0)
        .unwrap();
    let snap = g.snapshot();
    let mut back = ShareGroup::default();
    back.restore_members(snap.clone(), 99);
    assert_eq!(back.members["a"].last_seen, 99);
    assert_eq!(back.snapshot().group_epoch, snap.group_epoch);
    // The member continues with its epoch and gets a fresh one.
    let (again, _) = back
        .heartbeat("g", beat("a", ok.member_epoch), &topics(), 5_000, 100)
        .unwrap();
    assert!(again.member_epoch >= ok.member_epoch);
    assert_eq!(parts(&back.members["a"].assigned, 1), vec![0, 1]);
}
