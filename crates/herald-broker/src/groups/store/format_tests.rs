use bytes::Bytes;
use herald_log::Uuid;
use proptest::prelude::*;

use super::*;

fn text() -> impl Strategy<Value = String> {
    "[a-zA-Z0-9._ -]{0,12}"
}

fn uuid() -> impl Strategy<Value = Uuid> {
    any::<[u8; 16]>().prop_map(Uuid::from_bytes)
}

fn assignment() -> impl Strategy<Value = Assignment> {
    proptest::collection::btree_map(
        uuid(),
        proptest::collection::btree_set(0i32..64, 1..4),
        0..3,
    )
}

fn committed() -> impl Strategy<Value = CommittedOffset> {
    (
        any::<i64>(),
        any::<i32>(),
        text(),
        any::<i64>(),
        proptest::option::of(0i64..i64::MAX),
    )
        .prop_map(
            |(offset, leader_epoch, metadata, commit_timestamp, expire_timestamp)| {
                CommittedOffset {
                    offset,
                    leader_epoch,
                    metadata,
                    commit_timestamp,
                    expire_timestamp,
                }
            },
        )
}

fn classic() -> impl Strategy<Value = ClassicSnapshot> {
    let member = (
        text(),
        proptest::option::of(text()),
        text(),
        text(),
        any::<i32>(),
        any::<i32>(),
        proptest::collection::vec((text(), proptest::collection::vec(any::<u8>(), 0..8)), 0..3),
        proptest::collection::vec(any::<u8>(), 0..8),
    )
        .prop_map(
            |(member_id, instance_id, client_id, client_host, s, r, protocols, assignment)| {
                MemberInfo {
                    member_id,
                    instance_id,
                    client_id,
                    client_host,
                    session_timeout_ms: s,
                    rebalance_timeout_ms: r,
                    protocols: protocols
                        .into_iter()
                        .map(|(name, m)| Protocol {
                            name,
                            metadata: Bytes::from(m),
                        })
                        .collect(),
                    assignment: Bytes::from(assignment),
                }
            },
        );
    (
        proptest::option::of(text()),
        any::<i32>(),
        proptest::option::of(text()),
        proptest::option::of(text()),
        proptest::collection::vec(member, 0..3),
    )
        .prop_map(
            |(protocol_type, generation, protocol, leader, members)| ClassicSnapshot {
                protocol_type,
                generation,
                protocol,
                leader,
                members,
            },
        )
}

fn consumer() -> impl Strategy<Value = ConsumerSnapshot> {
    let member = (
        (
            text(),
            proptest::option::of(text()),
            proptest::option::of(text()),
            text(),
            text(),
        ),
        (
            any::<i32>(),
            proptest::collection::vec(text(), 0..3),
            proptest::option::of(text()),
        ),
        (
            proptest::option::of(text()),
            any::<i32>(),
            any::<i32>(),
            0i8..3,
        ),
        (assignment(), assignment()),
    )
        .prop_map(
            |(
                (member_id, instance_id, rack_id, client_id, client_host),
                (rebalance_timeout_ms, subscribed_topic_names, subscribed_topic_regex),
                (server_assignor, epoch, previous_epoch, state),
                (assigned, pending_revocation),
            )| ConsumerMember {
                member_id,
                instance_id,
                rack_id,
                client_id,
                client_host,
                rebalance_timeout_ms,
                subscribed_topic_names,
                subscribed_topic_regex,
                server_assignor,
                epoch,
                previous_epoch,
                state: MemberState::from_id(state).unwrap_or(MemberState::Stable),
                assigned,
                pending_revocation,
            },
        );
    (
        any::<i32>(),
        any::<i32>(),
        proptest::collection::vec(member, 0..3),
        proptest::collection::btree_map(text(), assignment(), 0..3),
        proptest::collection::btree_map(text(), (uuid(), any::<i32>()), 0..3),
    )
        .prop_map(
            |(group_epoch, assignment_epoch, members, target, subscription)| ConsumerSnapshot {
                group_epoch,
                assignment_epoch,
                members,
                target,
                subscription,
            },
        )
}

fn record() -> impl Strategy<Value = StoreRecord> {
    prop_oneof![
        (
            text(),
            text(),
            any::<i32>(),
            proptest::option::of(committed())
        )
            .prop_map(|(group, topic, partition, value)| StoreRecord::Offset {
                group,
                topic,
                partition,
                value,
            }),
        (text(), proptest::option::of(classic())).prop_map(|(group, value)| StoreRecord::Group {
            group,
            value: value.map(GroupSnapshot::Classic),
        }),
        (text(), proptest::option::of(consumer())).prop_map(|(group, value)| StoreRecord::Group {
            group,
            value: value.map(GroupSnapshot::Consumer),
        }),
    ]
}

proptest! {
    #[test]
    fn records_round_trip(record in record()) {
        let (key, value) = encode(&record).expect("encodes");
        let back = decode(&key, value.as_deref()).expect("decodes");
        prop_assert_eq!(back, record);
    }

    #[test]
    fn garbage_never_panics(key in proptest::collection::vec(any::<u8>(), 0..64),
                            value in proptest::option::of(proptest::collection::vec(any::<u8>(), 0..256))) {
        let _ = decode(&key, value.as_deref());
    }

    #[test]
    fn every_truncation_is_an_error(record in record()) {
        let (key, value) = encode(&record).expect("encodes");
        if let Some(value) = value {
            for cut in 0..value.len() {
                prop_assert!(decode(&key, Some(&value[..cut])).is_err());
            }
        }
        for cut in 0..key.len() {
            prop_assert!(decode(&key[..cut], None).is_err());
        }
    }
}

#[test]
fn keys_of_the_same_thing_are_equal_and_tombstones_have_no_value() {
    let a = StoreRecord::Offset {
        group: "g".into(),
        topic: "t".into(),
        partition: 3,
        value: None,
    };
    let (key, value) = encode(&a).expect("encodes");
    assert_eq!(value, None);
    assert_eq!(&key[..2], &[0, 1], "key type 1: offset");
    let with_value = StoreRecord::Offset {
        group: "g".into(),
        topic: "t".into(),
        partition: 3,
        value: Some(CommittedOffset {
            offset: 1,
            leader_epoch: -1,
            metadata: String::new(),
            commit_timestamp: 0,
            expire_timestamp: None,
        }),
    };
    assert_eq!(
        encode(&with_value).expect("encodes").0,
        key,
        "compaction key"
    );
}

#[test]
fn unknown_versions_and_overlong_strings_are_reported() {
    assert_eq!(
        decode(&[0, 9], None),
        Err(FormatError::UnknownVersion {
            what: "key",
            version: 9
        })
    );
    let long = StoreRecord::Group {
        group: "g".repeat(40_000),
        value: None,
    };
    assert_eq!(
        encode(&long),
        Err(FormatError::Field(FieldError::TooLong("group id")))
    );
    let huge_count = [0u8, 2, 0, 1, b'g'];
    let value = [0u8, 2, 0, 0, 0, 1, 0, 0, 0, 1, 0x7f, 0xff, 0xff, 0xff];
    assert!(
        decode(&huge_count, Some(&value)).is_err(),
        "counts are bounded by the input"
    );
}
