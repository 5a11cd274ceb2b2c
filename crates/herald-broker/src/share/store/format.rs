//! The binary layout of `__share_group_state` records.
//!
//! Shaped like Kafka's internal topics (a versioned key naming what the
//! record is about, a versioned value, a null value as tombstone) but
//! Herald's own: one snapshot per share-partition rather than Kafka's
//! ShareSnapshot/ShareUpdate pairs. Integers are big-endian; `string` is an
//! `i16` length and UTF-8 bytes (-1: null); arrays are an `i32` count and
//! the elements; a uuid is its 16 bytes.
//!
//! Keys (`i16` key type, then):
//! - 1, group configuration: `group: string`
//! - 2, group membership: `group: string`
//! - 3, share-partition: `group: string, topic_id: uuid, partition: i32`
//!
//! Values (`i16` version 0, then):
//! - configuration: `[key: string, value: string]`
//! - membership: `group_epoch: i32, assignment_epoch: i32, members:
//!   [member_id: string, epoch: i32, rack_id: string?, client_id: string,
//!   client_host: string, subscribed: [string], assigned: [topic_id: uuid,
//!   partitions: [i32]]]`
//! - share-partition: `state_epoch: i32, start_offset: i64, runs:
//!   [first: i64, last: i64, state: i8, delivery_count: i16]`
//!
//! Decoding never trusts a length: every read checks what is left, and
//! arrays grow only as elements are actually read.

use std::collections::BTreeMap;

use bytes::BufMut;

use crate::internal_topic::fields::{FieldError, FieldReader as Reader, FieldWriter as Writer};
use crate::share::state::StoreRecord;
use crate::share::state::group::{Assignment, GroupSnapshot, ShareMember};
use crate::share::state::partition::{PartitionSnapshot, RecordState, StateRun};

const KEY_CONFIG: i16 = 1;
const KEY_GROUP: i16 = 2;
const KEY_PARTITION: i16 = 3;
const VALUE_V0: i16 = 0;

/// Why a record of `__share_group_state` cannot be read (or written).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub(crate) enum FormatError {
    /// A field cannot be read or written.
    #[error(transparent)]
    Field(#[from] FieldError),
    /// A key type or value version this broker does not know.
    #[error("unknown {what} {value}")]
    Unknown {
        /// "key type" or "value version".
        what: &'static str,
        /// The value found.
        value: i16,
    },
    /// A field holds a value the record cannot have.
    #[error("invalid {0}")]
    Invalid(&'static str),
}

type Result<T> = std::result::Result<T, FormatError>;

/// Encodes a record as (key, value); a `None` value is a tombstone.
pub(crate) fn encode(record: &StoreRecord) -> Result<(Vec<u8>, Option<Vec<u8>>)> {
    let mut key = Writer::new();
    let mut value = Writer::new();
    let has_value = match record {
        StoreRecord::Config { group, value: v } => {
            key.0.put_i16(KEY_CONFIG);
            key.string("group", group)?;
            if let Some(pairs) = v {
                value.0.put_i16(VALUE_V0);
                value.count("configs", pairs.len())?;
                for (k, v) in pairs {
                    value.string("config key", k)?;
                    value.string("config value", v)?;
                }
            }
            v.is_some()
        }
        StoreRecord::Group { group, value: v } => {
            key.0.put_i16(KEY_GROUP);
            key.string("group", group)?;
            if let Some(s) = v {
                value.0.put_i16(VALUE_V0);
                encode_group(&mut value, s)?;
            }
            v.is_some()
        }
        StoreRecord::Partition {
            group,
            topic,
            partition,
            value: v,
        } => {
            key.0.put_i16(KEY_PARTITION);
            key.string("group", group)?;
            key.0.put_slice(topic.as_bytes());
            key.0.put_i32(*partition);
            if let Some(s) = v {
                value.0.put_i16(VALUE_V0);
                value.0.put_i32(s.state_epoch);
                value.0.put_i64(s.start_offset);
                value.count("runs", s.runs.len())?;
                for r in &s.runs {
                    value.0.put_i64(r.first);
                    value.0.put_i64(r.last);
                    value.0.put_i8(r.state.code());
                    value
                        .0
                        .put_i16(i16::try_from(r.delivery_count).unwrap_or(i16::MAX));
                }
            }
            v.is_some()
        }
    };
    Ok((key.0.to_vec(), has_value.then(|| value.0.to_vec())))
}

fn encode_group(w: &mut Writer, s: &GroupSnapshot) -> Result<()> {
    w.0.put_i32(s.group_epoch);
    w.0.put_i32(s.assignment_epoch);
    w.count("members", s.members.len())?;
    for m in &s.members {
        w.string("member id", &m.member_id)?;
        w.0.put_i32(m.epoch);
        w.opt_string("rack id", m.rack_id.as_deref())?;
        w.string("client id", &m.client_id)?;
        w.string("client host", &m.client_host)?;
        w.count("subscriptions", m.subscribed.len())?;
        for t in &m.subscribed {
            w.string("topic", t)?;
        }
        w.count("assignment", m.assigned.len())?;
        for (topic, partitions) in &m.assigned {
            w.0.put_slice(topic.as_bytes());
            w.count("partitions", partitions.len())?;
            for p in partitions {
                w.0.put_i32(*p);
            }
        }
    }
    Ok(())
}

/// Decodes a record from its key and value.
pub(crate) fn decode(key: &[u8], value: Option<&[u8]>) -> Result<StoreRecord> {
    let mut k = Reader::new(key);
    let kind = k.i16("key type")?;
    let group = k.string("group")?;
    let mut v = value.map(Reader::new);
    if let Some(v) = v.as_mut() {
        let version = v.i16("value version")?;
        if version != VALUE_V0 {
            return Err(FormatError::Unknown {
                what: "value version",
                value: version,
            });
        }
    }
    let record = match kind {
        KEY_CONFIG => {
            k.end()?;
            let value = match v.as_mut() {
                None => None,
                Some(v) => {
                    let n = v.count("configs")?;
                    let mut pairs = BTreeMap::new();
                    for _ in 0..n {
                        let key = v.string("config key")?;
                        pairs.insert(key, v.string("config value")?);
                    }
                    Some(pairs)
                }
            };
            StoreRecord::Config { group, value }
        }
        KEY_GROUP => {
            k.end()?;
            let value = match v.as_mut() {
                None => None,
                Some(v) => Some(decode_group(v)?),
            };
            StoreRecord::Group { group, value }
        }
        KEY_PARTITION => {
            let topic = k.uuid("topic id")?;
            let partition = k.i32("partition")?;
            k.end()?;
            let value = match v.as_mut() {
                None => None,
                Some(v) => {
                    let state_epoch = v.i32("state epoch")?;
                    let start_offset = v.i64("start offset")?;
                    let n = v.count("runs")?;
                    let mut runs = Vec::new();
                    for _ in 0..n {
                        let first = v.i64("run first offset")?;
                        let last = v.i64("run last offset")?;
                        let state = RecordState::from_code(v.i8("run state")?)
                            .ok_or(FormatError::Invalid("record state"))?;
                        let delivery_count = u16::try_from(v.i16("delivery count")?)
                            .map_err(|_| FormatError::Invalid("delivery count"))?;
                        runs.push(StateRun {
                            first,
                            last,
                            state,
                            delivery_count,
                        });
                    }
                    Some(PartitionSnapshot {
                        state_epoch,
                        start_offset,
                        runs,
                    })
                }
            };
            StoreRecord::Partition {
                group,
                topic,
                partition,
                value,
            }
        }
        other => {
            return Err(FormatError::Unknown {
                what: "key type",
                value: other,
            });
        }
    };
    if let Some(v) = v {
        v.end()?;
    }
    Ok(record)
}

fn decode_group(v: &mut Reader<'_>) -> Result<GroupSnapshot> {
    let group_epoch = v.i32("group epoch")?;
    let assignment_epoch = v.i32("assignment epoch")?;
    let n = v.count("members")?;
    let mut members = Vec::new();
    for _ in 0..n {
        let member_id = v.string("member id")?;
        let epoch = v.i32("member epoch")?;
        let rack_id = v.opt_string("rack id")?;
        let client_id = v.string("client id")?;
        let client_host = v.string("client host")?;
        let subs = v.count("subscriptions")?;
        let mut subscribed = Vec::new();
        for _ in 0..subs {
            subscribed.push(v.string("topic")?);
        }
        let topics = v.count("assignment")?;
        let mut assigned = Assignment::new();
        for _ in 0..topics {
            let topic = v.uuid("assigned topic")?;
            let parts = v.count("partitions")?;
            let set = assigned.entry(topic).or_default();
            for _ in 0..parts {
                set.insert(v.i32("partition")?);
            }
        }
        members.push(ShareMember {
            member_id,
            epoch,
            rack_id,
            client_id,
            client_host,
            subscribed,
            assigned,
            last_seen: 0,
        });
    }
    Ok(GroupSnapshot {
        group_epoch,
        assignment_epoch,
        members,
    })
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use proptest::prelude::*;

    use uuid::Uuid;

    use super::*;

    fn samples() -> Vec<StoreRecord> {
        let t = Uuid::from_u128(42);
        vec![
            StoreRecord::Config {
                group: "g".into(),
                value: Some(BTreeMap::from([(
                    "share.auto.offset.reset".into(),
                    "earliest".into(),
                )])),
            },
            StoreRecord::Config {
                group: "g".into(),
                value: None,
            },
            StoreRecord::Group {
                group: "g".into(),
                value: Some(GroupSnapshot {
                    group_epoch: 4,
                    assignment_epoch: 4,
                    members: vec![ShareMember {
                        member_id: "m".into(),
                        epoch: 4,
                        rack_id: Some("r1".into()),
                        client_id: "c".into(),
                        client_host: "/127.0.0.1".into(),
                        subscribed: vec!["q".into()],
                        assigned: Assignment::from([(t, BTreeSet::from([0, 2]))]),
                        last_seen: 0,
                    }],
                }),
            },
            StoreRecord::Group {
                group: "g".into(),
                value: None,
            },
            StoreRecord::Partition {
                group: "g".into(),
                topic: t,
                partition: 3,
                value: Some(PartitionSnapshot {
                    state_epoch: 1,
                    start_offset: 100,
                    runs: vec![
                        StateRun {
                            first: 100,
                            last: 104,
                            state: RecordState::Available,
                            delivery_count: 2,
                        },
                        StateRun {
                            first: 105,
                            last: 105,
                            state: RecordState::Archived,
                            delivery_count: 0,
                        },
                    ],
                }),
            },
            StoreRecord::Partition {
                group: "g".into(),
                topic: t,
                partition: 3,
                value: None,
            },
        ]
    }

    #[test]
    fn every_record_kind_round_trips() {
        for r in samples() {
            let (k, v) = encode(&r).unwrap();
            assert_eq!(decode(&k, v.as_deref()).unwrap(), r);
        }
    }

    #[test]
    fn damaged_records_are_errors() {
        let (k, v) = encode(&samples()[4]).unwrap();
        let v = v.unwrap();
        for cut in 0..v.len() {
            assert!(decode(&k, Some(&v[..cut])).is_err(), "cut at {cut}");
        }
        let mut long = v.clone();
        long.push(0);
        assert!(decode(&k, Some(&long)).is_err());
        assert!(matches!(
            decode(&[0, 9, 0, 0], None),
            Err(FormatError::Unknown { .. })
        ));
        let mut bad_version = v.clone();
        bad_version[1] = 7;
        assert!(decode(&k, Some(&bad_version)).is_err());
    }

    proptest! {
        #[test]
        fn decoding_arbitrary_bytes_never_panics(
            key in proptest::collection::vec(any::<u8>(), 0..64),
            value in proptest::option::of(proptest::collection::vec(any::<u8>(), 0..256)),
        ) {
            let _ = decode(&key, value.as_deref());
        }

        #[test]
        fn partition_snapshots_round_trip(
            start in 0i64..1_000_000,
            runs in proptest::collection::vec((1i64..50, 0u8..3, 0u16..20), 0..20),
        ) {
            let mut first = start;
            let runs: Vec<StateRun> = runs
                .into_iter()
                .map(|(len, s, count)| {
                    let state = [RecordState::Available, RecordState::Acknowledged, RecordState::Archived][s as usize];
                    let run = StateRun { first, last: first + len - 1, state, delivery_count: count };
                    first += len;
                    run
                })
                .collect();
            let r = StoreRecord::Partition {
                group: "g".into(),
                topic: Uuid::from_u128(5),
                partition: 0,
                value: Some(PartitionSnapshot { state_epoch: 0, start_offset: start, runs }),
            };
            let (k, v) = encode(&r).unwrap();
            prop_assert_eq!(decode(&k, v.as_deref()).unwrap(), r);
        }
    }
}
