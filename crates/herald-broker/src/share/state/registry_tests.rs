use std::sync::Arc;

use super::partition::{BatchSpan, RecordState};
use super::*;

const T: Uuid = Uuid::from_u128(9);

fn state() -> ShareState {
    let config = ShareConfig {
        min_record_lock_duration_ms: 100,
        record_lock_duration_ms: 1_000,
        ..ShareConfig::default()
    };
    ShareState::new(config)
}

fn topics() -> Topics {
    Topics::new([("q".to_owned(), T, 1)])
}

fn join(s: &mut ShareState, member: &str) -> (HeartbeatOk, Vec<TopicPartition>) {
    s.heartbeat(
        "g",
        Heartbeat {
            member_id: member.to_owned(),
            member_epoch: 0,
            subscribed_topic_names: Some(vec!["q".to_owned()]),
            ..Heartbeat::default()
        },
        &topics(),
        0,
    )
    .unwrap()
}

fn take(s: &mut ShareState, member: &str, now: i64, max: usize) -> Vec<(i64, i64)> {
    let m: Arc<str> = Arc::from(member);
    let spans: Vec<BatchSpan> = (0..10)
        .map(|o| BatchSpan {
            base: o,
            last: o,
            control: false,
        })
        .collect();
    s.with_partition("g", (T, 0), now, |p, limits| {
        p.acquire(&spans, &m, now, max, limits)
    })
    .unwrap()
    .into_iter()
    .map(|r| (r.first, r.last))
    .collect()
}

#[test]
fn a_join_asks_for_initialisation_once() {
    let mut s = state();
    let (ok, to_init) = join(&mut s, "a");
    assert!(ok.member_epoch > 0);
    assert_eq!(to_init, vec![(T, 0)]);
    s.initialize("g", (T, 0), 0);
    s.initialize("g", (T, 0), 5);
    assert!(s.has_partition("g", (T, 0)));
    let (_, to_init) = join(&mut s, "b");
    assert!(to_init.is_empty(), "already initialised");
    let start = s.with_partition("g", (T, 0), 0, |p, _| {
        (p.start_offset(), Effects::default())
    });
    assert_eq!(start, Some(0), "the second initialisation is ignored");
}

#[test]
fn heartbeats_to_unknown_groups_are_refused() {
    let mut s = state();
    let err = s
        .heartbeat(
            "nope",
            Heartbeat {
                member_id: "m".into(),
                member_epoch: 3,
                ..Heartbeat::default()
            },
            &topics(),
            0,
        )
        .unwrap_err();
    assert!(matches!(err, ShareError::UnknownMember { .. }));
    let err = s
        .heartbeat(
            "nope",
            Heartbeat {
                member_id: "m".into(),
                member_epoch: -1,
                ..Heartbeat::default()
            },
            &topics(),
            0,
        )
        .unwrap_err();
    assert!(matches!(err, ShareError::GroupNotFound { .. }));
}

#[test]
fn leaving_or_timing_out_releases_what_the_member_holds() {
    let mut s = state();
    let (a, _) = join(&mut s, "a");
    join(&mut s, "b");
    s.initialize("g", (T, 0), 0);
    assert_eq!(take(&mut s, "a", 0, 3), vec![(0, 2)]);
    assert_eq!(take(&mut s, "b", 0, 3), vec![(3, 5)]);
    s.take_released();
    s.heartbeat(
        "g",
        Heartbeat {
            member_id: "a".into(),
            member_epoch: a.member_epoch,
            ..Heartbeat::default()
        },
        &topics(),
        0,
    )
    .unwrap();
    s.heartbeat(
        "g",
        Heartbeat {
            member_id: "a".into(),
            member_epoch: -1,
            ..Heartbeat::default()
        },
        &topics(),
        10,
    )
    .unwrap_or_else(|e| panic!("leave: {e}"));
    assert!(s.take_released(), "a's records are available again");
    assert_eq!(take(&mut s, "c", 20, 10), vec![(0, 2), (6, 9)]);
    // b stops heartbeating: after the session timeout it is removed and
    // its records come back (before their lock would expire).
    let timeout = i64::from(s.settings("g").session_timeout_ms);
    s.tick(timeout + 1);
    assert!(s.groups["g"].members.is_empty());
    let rec = s.with_partition("g", (T, 0), timeout + 1, |p, _| {
        (p.record(3), Effects::default())
    });
    assert_eq!(rec, Some(Some((RecordState::Available, 0))));
}

#[test]
fn the_ticker_ends_expired_locks_and_dead_letters_flow_out() {
    let mut s = state();
    s.set_group_configs(
        "g",
        BTreeMap::from([
            ("share.delivery.count.limit".to_owned(), "2".to_owned()),
            (
                "errors.deadletterqueue.topic.name".to_owned(),
                "dlq".to_owned(),
            ),
        ]),
    );
    join(&mut s, "a");
    s.initialize("g", (T, 0), 0);
    assert_eq!(take(&mut s, "a", 0, 1), vec![(0, 0)]);
    s.tick(500);
    assert!(!s.take_released(), "the 1 s lock holds");
    s.tick(1_000);
    assert!(s.take_released());
    assert_eq!(take(&mut s, "a", 1_000, 1), vec![(0, 0)]);
    s.tick(2_000);
    let dead = s.take_dead_letters();
    assert_eq!(dead.len(), 1);
    assert_eq!(dead[0].dlq_topic, "dlq");
    assert_eq!(dead[0].letter.offset, 0);
    assert_eq!(dead[0].letter.delivery_count, 2);
    assert!(!dead[0].copy_record);
    let start = |s: &mut ShareState| {
        s.with_partition("g", (T, 0), 2_000, |p, _| {
            (p.start_offset(), Effects::default())
        })
    };
    assert_eq!(start(&mut s), Some(0), "pending copy holds the SPSO");
    s.dead_letters_written("g", (T, 0), &[0]);
    assert_eq!(start(&mut s), Some(1));
}

#[test]
fn dirty_state_round_trips_through_replay() {
    let mut s = state();
    s.set_group_configs(
        "g",
        BTreeMap::from([("share.auto.offset.reset".to_owned(), "earliest".to_owned())]),
    );
    join(&mut s, "a");
    s.initialize("g", (T, 0), 0);
    take(&mut s, "a", 0, 4);
    s.acknowledge(
        "g",
        "a",
        (T, 0),
        &[partition::AckBatch {
            first: 0,
            last: 1,
            types: vec![1],
        }],
        0,
    )
    .unwrap();
    let seq = s.seq();
    assert!(s.has_dirty());
    let (records, covered) = s.take_dirty();
    assert_eq!(covered, seq);
    assert!(!s.has_dirty());
    assert_eq!(records.len(), 3, "config, group, partition: {records:?}");
    s.written(&records);
    assert_eq!(s.min_durable_start((T, 0)), Some(2));
    assert_eq!(s.min_durable_start((T, 1)), None);

    let mut back = state();
    for r in records {
        back.replay(r, 100);
    }
    assert_eq!(
        back.group_configs("g")
            .get("share.auto.offset.reset")
            .map(String::as_str),
        Some("earliest")
    );
    assert_eq!(back.groups["g"].members.len(), 1);
    let rec = back.with_partition("g", (T, 0), 100, |p, _| {
        ((p.start_offset(), p.record(2)), Effects::default())
    });
    assert_eq!(
        rec,
        Some((2, Some((RecordState::Available, 1)))),
        "acquired records come back available with their count"
    );
    assert_eq!(back.min_durable_start((T, 0)), Some(2));
    // A failed write puts the keys back.
    back.mark(Key::Group("g".into()));
    let (records, _) = back.take_dirty();
    back.redo(&records);
    assert!(back.has_dirty());
}

#[test]
fn admin_offsets_need_an_empty_group() {
    let mut s = state();
    join(&mut s, "a");
    s.initialize("g", (T, 0), 7);
    let offsets = s.start_offsets("g", None).unwrap();
    assert_eq!(offsets[&T], vec![(0, Some(7))]);
    let asked = s.start_offsets("g", Some(vec![(T, vec![0, 1])])).unwrap();
    assert_eq!(asked[&T], vec![(0, Some(7)), (1, None)]);
    assert!(matches!(
        s.alter_start_offsets("g", &[(T, 0, 3)]),
        Err(ShareError::NonEmptyGroup { .. })
    ));
    assert!(matches!(
        s.start_offsets("none", None),
        Err(ShareError::GroupNotFound { .. })
    ));
    s.tick(10_000_000);
    s.alter_start_offsets("g", &[(T, 0, 3)]).unwrap();
    assert_eq!(s.start_offsets("g", None).unwrap()[&T], vec![(0, Some(3))]);
    let d = s.describe("g").unwrap();
    assert_eq!(d.state, "Empty");
    assert_eq!(s.list(), vec![("g".to_owned(), "Empty")]);
    assert_eq!(
        s.delete_start_offsets("g", &[T, Uuid::from_u128(1)])
            .unwrap(),
        vec![true, false]
    );
    assert!(!s.has_partition("g", (T, 0)));
    let (records, _) = s.take_dirty();
    assert!(
        records
            .iter()
            .any(|r| matches!(r, StoreRecord::Partition { value: None, .. })),
        "a tombstone is written"
    );
}
