use super::*;

const ACCEPT: i8 = 1;
const RELEASE: i8 = 2;
const REJECT: i8 = 3;
const GAP: i8 = 0;

fn limits() -> Limits {
    Limits {
        delivery_count_limit: 3,
        max_record_locks: 100,
        lock_duration_ms: 1_000,
        dead_letters: false,
    }
}

fn member(m: &str) -> MemberId {
    Arc::from(m)
}

/// Batches of `size` records covering `from..to`.
fn spans(from: i64, to: i64, size: i64) -> Vec<BatchSpan> {
    let mut out = Vec::new();
    let mut base = from;
    while base < to {
        out.push(BatchSpan {
            base,
            last: (base + size - 1).min(to - 1),
            control: false,
        });
        base += size;
    }
    out
}

fn ack(first: i64, last: i64, t: i8) -> AckBatch {
    AckBatch {
        first,
        last,
        types: vec![t],
    }
}

fn range(first: i64, last: i64, delivery_count: u16) -> AcquiredRange {
    AcquiredRange {
        first,
        last,
        delivery_count,
    }
}

#[test]
fn acquires_whole_new_batches_in_order_then_the_rest() {
    let mut p = SharePartition::new(0, 0);
    let a = member("a");
    let b = member("b");
    // Batches 0-3, 4-7, 8-9: the second batch starts below 6 records and is
    // taken whole (Kafka's batch_optimized acquisition).
    let (got, fx) = p.acquire(&spans(0, 10, 4), &a, 0, 6, &limits());
    assert_eq!(got, vec![range(0, 7, 1)]);
    assert!(fx.dirty);
    assert_eq!(p.end_offset(), 8);
    // The next member gets what is left, never the same records.
    assert_eq!(p.fetch_offset(0, &limits()), Some(8));
    let (got, _) = p.acquire(&spans(0, 10, 4), &b, 0, 100, &limits());
    assert_eq!(got, vec![range(8, 9, 1)]);
    let (got, _) = p.acquire(&spans(0, 10, 4), &b, 0, 100, &limits());
    assert!(got.is_empty(), "everything is acquired");
    assert_eq!(p.count(RecordState::Acquired), 10);
}

#[test]
fn accepted_prefix_moves_the_start_offset() {
    let mut p = SharePartition::new(5, 0);
    let a = member("a");
    p.acquire(&spans(0, 15, 5), &a, 0, 100, &limits());
    assert_eq!(
        (p.start_offset(), p.end_offset()),
        (5, 15),
        "below the SPSO is skipped"
    );
    let (_, r) = p.acknowledge("a", &[ack(7, 9, ACCEPT)], 0, &limits());
    r.unwrap();
    assert_eq!(p.start_offset(), 5, "5 and 6 are still in flight");
    let (_, r) = p.acknowledge("a", &[ack(5, 6, ACCEPT)], 0, &limits());
    r.unwrap();
    assert_eq!(
        p.start_offset(),
        10,
        "the completed prefix 5..=9 is dropped"
    );
    assert_eq!(p.in_flight(), 5);
}

#[test]
fn per_offset_types_apply_each_kind() {
    let mut p = SharePartition::new(0, 0);
    let a = member("a");
    p.acquire(&spans(0, 4, 4), &a, 0, 100, &limits());
    let batch = AckBatch {
        first: 0,
        last: 3,
        types: vec![ACCEPT, RELEASE, REJECT, GAP],
    };
    let (fx, r) = p.acknowledge("a", &[batch], 0, &limits());
    r.unwrap();
    assert!(fx.released, "the released record is available again");
    assert!(fx.dead.is_empty(), "no dead-letter topic configured");
    assert_eq!(p.start_offset(), 1);
    assert_eq!(p.record(1), Some((RecordState::Available, 1)));
    assert_eq!(p.record(2), Some((RecordState::Archived, 1)));
    assert_eq!(p.record(3), Some((RecordState::Archived, 1)));
    // Redelivery: the released record comes back with count 2.
    let (got, _) = p.acquire(&spans(0, 4, 4), &a, 0, 100, &limits());
    assert_eq!(got, vec![range(1, 1, 2)]);
    let (_, r) = p.acknowledge("a", &[ack(1, 1, ACCEPT)], 0, &limits());
    r.unwrap();
    assert_eq!(p.start_offset(), 4, "everything is complete");
    assert_eq!(p.in_flight(), 0);
}

#[test]
fn acknowledgements_are_atomic_per_partition() {
    let mut p = SharePartition::new(0, 0);
    p.acquire(&spans(0, 5, 1), &member("a"), 0, 3, &limits());
    // 0..=2 are a's; 3 is not acquired: the whole request is refused.
    let (_, r) = p.acknowledge("a", &[ack(0, 1, ACCEPT), ack(2, 3, ACCEPT)], 0, &limits());
    assert!(matches!(r, Err(ShareError::InvalidRecordState(_))), "{r:?}");
    assert_eq!(p.count(RecordState::Acquired), 3, "nothing applied");
    assert_eq!(p.start_offset(), 0);
    // Another member cannot acknowledge a's records.
    let (_, r) = p.acknowledge("b", &[ack(0, 0, ACCEPT)], 0, &limits());
    assert!(matches!(r, Err(ShareError::InvalidRecordState(_))));
    // Malformed batches are invalid requests.
    for bad in [
        vec![AckBatch {
            first: 0,
            last: 2,
            types: vec![ACCEPT, ACCEPT],
        }],
        vec![ack(1, 0, ACCEPT)],
        vec![ack(0, 0, 9)],
        vec![ack(1, 1, ACCEPT), ack(0, 0, ACCEPT)],
        vec![ack(0, 1, ACCEPT), ack(1, 2, ACCEPT)],
    ] {
        let (_, r) = p.acknowledge("a", &bad, 0, &limits());
        assert!(
            matches!(r, Err(ShareError::InvalidRequest(_))),
            "{bad:?}: {r:?}"
        );
    }
    assert_eq!(p.count(RecordState::Acquired), 3);
}

#[test]
fn locks_expire_with_injected_time_and_records_return() {
    let mut p = SharePartition::new(0, 0);
    let a = member("a");
    let (got, _) = p.acquire(&spans(0, 3, 3), &a, 1_000, 100, &limits());
    assert_eq!(got, vec![range(0, 2, 1)]);
    assert_eq!(p.next_expiry(), 2_000);
    assert_eq!(p.expire(1_999, &limits()), Effects::default(), "not yet");
    let fx = p.expire(2_000, &limits());
    assert!(fx.released && fx.dirty);
    assert_eq!(p.count(RecordState::Available), 3);
    assert_eq!(p.next_expiry(), i64::MAX);
    // Acknowledging after expiry fails: the lock is gone.
    let (_, r) = p.acknowledge("a", &[ack(0, 0, ACCEPT)], 2_000, &limits());
    assert!(matches!(r, Err(ShareError::InvalidRecordState(_))));
    // Another member takes them over with the next delivery count.
    let (got, _) = p.acquire(&spans(0, 3, 3), &member("b"), 2_500, 100, &limits());
    assert_eq!(got, vec![range(0, 2, 2)]);
    // An acknowledgement checks expiry at its own time first.
    let (fx, r) = p.acknowledge("b", &[ack(0, 0, ACCEPT)], 3_500, &limits());
    assert!(
        r.is_err() && fx.released,
        "expired at 3 500 before the ack applied"
    );
}

#[test]
fn delivery_limit_archives_on_expiry_and_on_release() {
    let l = limits(); // limit 3
    let mut p = SharePartition::new(0, 0);
    let a = member("a");
    let mut now = 0;
    for attempt in 1..=3u16 {
        let (got, _) = p.acquire(&spans(0, 2, 1), &a, now, 1, &l);
        assert_eq!(got, vec![range(0, 0, attempt)], "attempt {attempt}");
        now += 1_000;
        p.expire(now, &l);
    }
    assert_eq!(
        p.record(0),
        None,
        "archived after the third delivery, SPSO passed it"
    );
    assert_eq!(p.start_offset(), 1);
    // Release at the limit archives too.
    for attempt in 1..=3u16 {
        let (got, _) = p.acquire(&spans(0, 2, 1), &a, now, 1, &l);
        assert_eq!(got, vec![range(1, 1, attempt)]);
        let (_, r) = p.acknowledge("a", &[ack(1, 1, RELEASE)], now, &l);
        r.unwrap();
    }
    assert_eq!(p.start_offset(), 2);
    assert_eq!(p.in_flight(), 0);
}

#[test]
fn dead_letters_are_pending_until_written() {
    let l = Limits {
        dead_letters: true,
        ..limits()
    };
    let mut p = SharePartition::new(0, 0);
    let a = member("a");
    p.acquire(&spans(0, 3, 3), &a, 0, 100, &l);
    let (fx, r) = p.acknowledge("a", &[ack(0, 0, REJECT), ack(1, 2, ACCEPT)], 0, &l);
    r.unwrap();
    assert_eq!(
        fx.dead,
        vec![DeadLetter {
            offset: 0,
            delivery_count: 1,
            reason: ArchiveReason::Rejected
        }]
    );
    assert_eq!(p.start_offset(), 0, "the SPSO waits for the copy");
    let snap = p.snapshot();
    assert_eq!(
        snap.runs[0].state,
        RecordState::Available,
        "a crash redelivers it"
    );
    assert!(p.dead_letters_written(&[0]));
    assert_eq!(p.start_offset(), 3);
    // Delivery limit reached on expiry is a dead letter too.
    let mut p = SharePartition::new(0, 0);
    let mut now = 0;
    let mut dead = Vec::new();
    for _ in 0..3 {
        p.acquire(&spans(0, 1, 1), &a, now, 1, &l);
        now += 1_000;
        dead.extend(p.expire(now, &l).dead);
    }
    assert_eq!(
        dead,
        vec![DeadLetter {
            offset: 0,
            delivery_count: 3,
            reason: ArchiveReason::DeliveryLimit
        }]
    );
}

#[test]
fn in_flight_limit_stops_new_records_until_locks_clear() {
    let l = Limits {
        max_record_locks: 4,
        ..limits()
    };
    let mut p = SharePartition::new(0, 0);
    let a = member("a");
    let (got, _) = p.acquire(&spans(0, 10, 1), &a, 0, 100, &l);
    assert_eq!(got, vec![range(0, 3, 1)]);
    assert_eq!(p.fetch_offset(0, &l), None, "full: nothing can be fetched");
    let (got, _) = p.acquire(&spans(0, 10, 1), &member("b"), 0, 100, &l);
    assert!(got.is_empty());
    let (_, r) = p.acknowledge("a", &[ack(0, 1, ACCEPT)], 0, &l);
    r.unwrap();
    assert_eq!(p.fetch_offset(0, &l), Some(4));
    let (got, _) = p.acquire(&spans(0, 10, 1), &member("b"), 0, 100, &l);
    assert_eq!(got, vec![range(4, 5, 1)]);
    assert_eq!(p.in_flight(), 4);
    // A batch started below the limit is taken whole, as in Kafka.
    let mut p = SharePartition::new(0, 0);
    let (got, _) = p.acquire(&spans(0, 10, 10), &a, 0, 100, &l);
    assert_eq!(got, vec![range(0, 9, 1)]);
    assert_eq!(p.fetch_offset(0, &l), None);
}

#[test]
fn gaps_and_control_batches_are_never_delivered() {
    let mut p = SharePartition::new(0, 0);
    let a = member("a");
    let spans = [
        BatchSpan {
            base: 0,
            last: 1,
            control: false,
        },
        // 2..=4 were compacted away.
        BatchSpan {
            base: 5,
            last: 5,
            control: true,
        },
        BatchSpan {
            base: 6,
            last: 7,
            control: false,
        },
    ];
    let (got, _) = p.acquire(&spans, &a, 0, 100, &limits());
    assert_eq!(got, vec![range(0, 1, 1), range(6, 7, 1)]);
    assert_eq!(p.record(3), Some((RecordState::Archived, 0)));
    assert_eq!(p.record(5), Some((RecordState::Archived, 0)));
    let (_, r) = p.acknowledge("a", &[ack(0, 1, ACCEPT), ack(6, 7, ACCEPT)], 0, &limits());
    r.unwrap();
    assert_eq!(p.start_offset(), 8);
    // A gap at the front of an empty window just moves the SPSO.
    let far = [BatchSpan {
        base: 1_000_000,
        last: 1_000_000,
        control: false,
    }];
    let (got, _) = p.acquire(&far, &a, 0, 100, &limits());
    assert_eq!(got, vec![range(1_000_000, 1_000_000, 1)]);
    assert_eq!(p.in_flight(), 1);
}

#[test]
fn released_members_give_back_records_with_the_count_restored() {
    let mut p = SharePartition::new(0, 0);
    p.acquire(&spans(0, 4, 1), &member("a"), 0, 2, &limits());
    p.acquire(&spans(0, 4, 1), &member("b"), 0, 2, &limits());
    let fx = p.release_member("a");
    assert!(fx.released);
    assert_eq!(p.record(0), Some((RecordState::Available, 0)));
    assert_eq!(
        p.record(2),
        Some((RecordState::Acquired, 1)),
        "b keeps its records"
    );
    assert_eq!(p.release_member("a"), Effects::default());
}

#[test]
fn log_start_passing_the_spso_moves_it() {
    let mut p = SharePartition::new(0, 0);
    p.acquire(&spans(0, 10, 10), &member("a"), 0, 100, &limits());
    assert!(p.advance_to_log_start(4));
    assert_eq!((p.start_offset(), p.end_offset()), (4, 10));
    assert!(!p.advance_to_log_start(2));
    assert!(p.advance_to_log_start(50));
    assert_eq!((p.start_offset(), p.end_offset()), (50, 50));
}

#[test]
fn snapshots_keep_counts_and_forget_locks() {
    let mut p = SharePartition::new(10, 3);
    let a = member("a");
    p.acquire(&spans(10, 20, 10), &a, 0, 100, &limits());
    let (_, r) = p.acknowledge(
        "a",
        &[
            ack(12, 13, ACCEPT),
            ack(14, 14, RELEASE),
            ack(15, 15, REJECT),
        ],
        0,
        &limits(),
    );
    r.unwrap();
    let snap = p.snapshot();
    assert_eq!(snap.start_offset, 10);
    assert_eq!(snap.state_epoch, 3);
    let states: Vec<(i64, i64, RecordState, u16)> = snap
        .runs
        .iter()
        .map(|r| (r.first, r.last, r.state, r.delivery_count))
        .collect();
    assert_eq!(
        states,
        vec![
            (10, 11, RecordState::Available, 1),
            (12, 13, RecordState::Acknowledged, 0),
            (14, 14, RecordState::Available, 1),
            (15, 15, RecordState::Archived, 0),
            (16, 19, RecordState::Available, 1),
        ]
    );
    let back = SharePartition::restore(&snap);
    assert_eq!((back.start_offset(), back.end_offset()), (10, 20));
    assert_eq!(back.count(RecordState::Acquired), 0, "locks do not survive");
    assert_eq!(back.record(10), Some((RecordState::Available, 1)));
    assert_eq!(back.record(13), Some((RecordState::Acknowledged, 0)));
    assert_eq!(back.snapshot(), snap, "restore is the inverse of snapshot");
    // The next delivery continues the count.
    let mut back = back;
    let (got, _) = back.acquire(&spans(10, 20, 10), &a, 0, 2, &limits());
    assert_eq!(got, vec![range(10, 11, 2)]);
    // A snapshot whose runs do not line up is cut where they stop.
    let broken = PartitionSnapshot {
        state_epoch: 0,
        start_offset: 0,
        runs: vec![
            StateRun {
                first: 0,
                last: 1,
                state: RecordState::Available,
                delivery_count: 1,
            },
            StateRun {
                first: 5,
                last: 6,
                state: RecordState::Available,
                delivery_count: 1,
            },
        ],
    };
    assert_eq!(SharePartition::restore(&broken).end_offset(), 2);
}
