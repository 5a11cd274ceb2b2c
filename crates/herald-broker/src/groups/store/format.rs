//! The binary layout of `__consumer_offsets` records.
//!
//! Shaped like Kafka's own (a versioned key naming what the record is about,
//! a versioned value, a null value as tombstone) but Herald's: the group
//! records carry a whole group snapshot rather than Kafka's many record types.
//! All integers are big-endian; `string` is an `i16` length and UTF-8 bytes
//! (length -1: null); `bytes` is an `i32` length and the bytes; arrays are an
//! `i32` count and the elements; a uuid is its 16 bytes.
//!
//! Keys (`i16` key type, then):
//! - 1, offset: `group: string, topic: string, partition: i32`
//! - 2, group: `group: string`
//!
//! Offset value (`i16` version 1): `offset: i64, leader_epoch: i32,
//! metadata: string, commit_timestamp: i64, expire_timestamp: i64` (-1: none).
//!
//! Group value (`i16` version, then):
//! - 1, classic: `protocol_type: string?, generation: i32, protocol: string?,
//!   leader: string?, members: [member_id: string, instance_id: string?,
//!   client_id: string, client_host: string, session_timeout_ms: i32,
//!   rebalance_timeout_ms: i32, protocols: [name: string, metadata: bytes],
//!   assignment: bytes]`
//! - 2, consumer (KIP-848): `group_epoch: i32, assignment_epoch: i32,
//!   subscription: [topic: string, id: uuid, partitions: i32],
//!   members: [member_id: string, instance_id: string?, rack_id: string?,
//!   client_id: string, client_host: string, rebalance_timeout_ms: i32,
//!   topic_names: [string], topic_regex: string?, server_assignor: string?,
//!   epoch: i32, previous_epoch: i32, state: i8, assigned: assignment,
//!   pending_revocation: assignment], target: [member_id: string, assignment]`
//!   where `assignment` is `[topic_id: uuid, partitions: [i32]]`.
//!
//! Decoding never trusts a length: every read checks what is left, and
//! arrays grow as elements are actually read.

use std::collections::BTreeMap;

use bytes::BufMut;

use crate::groups::state::assignor::Assignment;
use crate::groups::state::classic::{ClassicSnapshot, MemberInfo, Protocol};
use crate::groups::state::consumer::{ConsumerMember, ConsumerSnapshot};
use crate::groups::state::offsets::CommittedOffset;
use crate::groups::state::reconcile::MemberState;
use crate::groups::state::registry::{GroupSnapshot, StoreRecord};
use crate::internal_topic::fields::{FieldError, FieldReader as Reader, FieldWriter as Writer};

const KEY_OFFSET: i16 = 1;
const KEY_GROUP: i16 = 2;
const OFFSET_V1: i16 = 1;
const GROUP_CLASSIC: i16 = 1;
const GROUP_CONSUMER: i16 = 2;

/// Why a record of `__consumer_offsets` cannot be read (or written).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub(crate) enum FormatError {
    /// A field cannot be read or written.
    #[error(transparent)]
    Field(#[from] FieldError),
    /// A key or value version this broker does not know.
    #[error("unknown {what} version {version}")]
    UnknownVersion {
        /// "key" or "offset value" or "group value".
        what: &'static str,
        /// The version found.
        version: i16,
    },
    /// A field holds a value the record cannot have.
    #[error("invalid {0}")]
    Invalid(&'static str),
}

type Result<T> = std::result::Result<T, FormatError>;

fn write_assignment(w: &mut Writer, a: &Assignment) -> Result<()> {
    w.count("assignment", a.len())?;
    for (topic, partitions) in a {
        w.uuid(topic);
        w.count("partitions", partitions.len())?;
        for p in partitions {
            w.0.put_i32(*p);
        }
    }
    Ok(())
}

fn read_assignment(r: &mut Reader<'_>) -> Result<Assignment> {
    let mut a = Assignment::new();
    for _ in 0..r.count("assignment")? {
        let topic = r.uuid("topic id")?;
        let set = a.entry(topic).or_default();
        for _ in 0..r.count("partitions")? {
            set.insert(r.i32("partition")?);
        }
    }
    Ok(a)
}

/// Encodes a record as `(key, value)`; `None` value is a tombstone.
pub(crate) fn encode(record: &StoreRecord) -> Result<(Vec<u8>, Option<Vec<u8>>)> {
    let mut key = Writer::new();
    match record {
        StoreRecord::Offset {
            group,
            topic,
            partition,
            value,
        } => {
            key.0.put_i16(KEY_OFFSET);
            key.string("group id", group)?;
            key.string("topic", topic)?;
            key.0.put_i32(*partition);
            let value = value.as_ref().map(encode_offset).transpose()?;
            Ok((key.finish(), value))
        }
        StoreRecord::Group { group, value } => {
            key.0.put_i16(KEY_GROUP);
            key.string("group id", group)?;
            let value = match value {
                None => None,
                Some(GroupSnapshot::Classic(s)) => Some(encode_classic(s)?),
                Some(GroupSnapshot::Consumer(s)) => Some(encode_consumer(s)?),
            };
            Ok((key.finish(), value))
        }
    }
}

fn encode_offset(o: &CommittedOffset) -> Result<Vec<u8>> {
    let mut w = Writer::new();
    w.0.put_i16(OFFSET_V1);
    w.0.put_i64(o.offset);
    w.0.put_i32(o.leader_epoch);
    w.string("metadata", &o.metadata)?;
    w.0.put_i64(o.commit_timestamp);
    w.0.put_i64(o.expire_timestamp.unwrap_or(-1));
    Ok(w.finish())
}

fn encode_classic(s: &ClassicSnapshot) -> Result<Vec<u8>> {
    let mut w = Writer::new();
    w.0.put_i16(GROUP_CLASSIC);
    w.opt_string("protocol type", s.protocol_type.as_deref())?;
    w.0.put_i32(s.generation);
    w.opt_string("protocol", s.protocol.as_deref())?;
    w.opt_string("leader", s.leader.as_deref())?;
    w.count("members", s.members.len())?;
    for m in &s.members {
        w.string("member id", &m.member_id)?;
        w.opt_string("instance id", m.instance_id.as_deref())?;
        w.string("client id", &m.client_id)?;
        w.string("client host", &m.client_host)?;
        w.0.put_i32(m.session_timeout_ms);
        w.0.put_i32(m.rebalance_timeout_ms);
        w.count("protocols", m.protocols.len())?;
        for p in &m.protocols {
            w.string("protocol name", &p.name)?;
            w.bytes("protocol metadata", &p.metadata)?;
        }
        w.bytes("assignment", &m.assignment)?;
    }
    Ok(w.finish())
}

fn encode_consumer(s: &ConsumerSnapshot) -> Result<Vec<u8>> {
    let mut w = Writer::new();
    w.0.put_i16(GROUP_CONSUMER);
    w.0.put_i32(s.group_epoch);
    w.0.put_i32(s.assignment_epoch);
    w.count("subscription", s.subscription.len())?;
    for (name, (id, partitions)) in &s.subscription {
        w.string("topic", name)?;
        w.0.put_slice(id.as_bytes());
        w.0.put_i32(*partitions);
    }
    w.count("members", s.members.len())?;
    for m in &s.members {
        w.string("member id", &m.member_id)?;
        w.opt_string("instance id", m.instance_id.as_deref())?;
        w.opt_string("rack id", m.rack_id.as_deref())?;
        w.string("client id", &m.client_id)?;
        w.string("client host", &m.client_host)?;
        w.0.put_i32(m.rebalance_timeout_ms);
        w.count("topic names", m.subscribed_topic_names.len())?;
        for n in &m.subscribed_topic_names {
            w.string("topic name", n)?;
        }
        w.opt_string("topic regex", m.subscribed_topic_regex.as_deref())?;
        w.opt_string("server assignor", m.server_assignor.as_deref())?;
        w.0.put_i32(m.epoch);
        w.0.put_i32(m.previous_epoch);
        w.0.put_i8(m.state.id());
        write_assignment(&mut w, &m.assigned)?;
        write_assignment(&mut w, &m.pending_revocation)?;
    }
    w.count("target", s.target.len())?;
    for (member, a) in &s.target {
        w.string("member id", member)?;
        write_assignment(&mut w, a)?;
    }
    Ok(w.finish())
}

/// Decodes a record from its key and value (`None`: tombstone).
pub(crate) fn decode(key: &[u8], value: Option<&[u8]>) -> Result<StoreRecord> {
    let mut k = Reader::new(key);
    let record = match k.i16("key version")? {
        KEY_OFFSET => {
            let group = k.string("group id")?;
            let topic = k.string("topic")?;
            let partition = k.i32("partition")?;
            k.end()?;
            let value = value.map(decode_offset).transpose()?;
            StoreRecord::Offset {
                group,
                topic,
                partition,
                value,
            }
        }
        KEY_GROUP => {
            let group = k.string("group id")?;
            k.end()?;
            let value = value.map(decode_group).transpose()?;
            StoreRecord::Group { group, value }
        }
        version => {
            return Err(FormatError::UnknownVersion {
                what: "key",
                version,
            });
        }
    };
    Ok(record)
}

fn decode_offset(value: &[u8]) -> Result<CommittedOffset> {
    let mut r = Reader::new(value);
    match r.i16("offset value version")? {
        OFFSET_V1 => {}
        version => {
            return Err(FormatError::UnknownVersion {
                what: "offset value",
                version,
            });
        }
    }
    let offset = CommittedOffset {
        offset: r.i64("offset")?,
        leader_epoch: r.i32("leader epoch")?,
        metadata: r.string("metadata")?,
        commit_timestamp: r.i64("commit timestamp")?,
        expire_timestamp: Some(r.i64("expire timestamp")?).filter(|t| *t >= 0),
    };
    r.end()?;
    Ok(offset)
}

fn decode_group(value: &[u8]) -> Result<GroupSnapshot> {
    let mut r = Reader::new(value);
    let snapshot = match r.i16("group value version")? {
        GROUP_CLASSIC => GroupSnapshot::Classic(decode_classic(&mut r)?),
        GROUP_CONSUMER => GroupSnapshot::Consumer(decode_consumer(&mut r)?),
        version => {
            return Err(FormatError::UnknownVersion {
                what: "group value",
                version,
            });
        }
    };
    r.end()?;
    Ok(snapshot)
}

fn decode_classic(r: &mut Reader<'_>) -> Result<ClassicSnapshot> {
    let protocol_type = r.opt_string("protocol type")?;
    let generation = r.i32("generation")?;
    let protocol = r.opt_string("protocol")?;
    let leader = r.opt_string("leader")?;
    let mut members = Vec::new();
    for _ in 0..r.count("members")? {
        let member_id = r.string("member id")?;
        let instance_id = r.opt_string("instance id")?;
        let client_id = r.string("client id")?;
        let client_host = r.string("client host")?;
        let session_timeout_ms = r.i32("session timeout")?;
        let rebalance_timeout_ms = r.i32("rebalance timeout")?;
        let mut protocols = Vec::new();
        for _ in 0..r.count("protocols")? {
            protocols.push(Protocol {
                name: r.string("protocol name")?,
                metadata: r.bytes("protocol metadata")?,
            });
        }
        let assignment = r.bytes("assignment")?;
        members.push(MemberInfo {
            member_id,
            instance_id,
            client_id,
            client_host,
            session_timeout_ms,
            rebalance_timeout_ms,
            protocols,
            assignment,
        });
    }
    Ok(ClassicSnapshot {
        protocol_type,
        generation,
        protocol,
        leader,
        members,
    })
}

fn decode_consumer(r: &mut Reader<'_>) -> Result<ConsumerSnapshot> {
    let group_epoch = r.i32("group epoch")?;
    let assignment_epoch = r.i32("assignment epoch")?;
    let mut subscription = BTreeMap::new();
    for _ in 0..r.count("subscription")? {
        let name = r.string("topic")?;
        let id = r.uuid("topic id")?;
        let partitions = r.i32("partitions")?;
        subscription.insert(name, (id, partitions));
    }
    let mut members = Vec::new();
    for _ in 0..r.count("members")? {
        let member_id = r.string("member id")?;
        let instance_id = r.opt_string("instance id")?;
        let rack_id = r.opt_string("rack id")?;
        let client_id = r.string("client id")?;
        let client_host = r.string("client host")?;
        let rebalance_timeout_ms = r.i32("rebalance timeout")?;
        let mut subscribed_topic_names = Vec::new();
        for _ in 0..r.count("topic names")? {
            subscribed_topic_names.push(r.string("topic name")?);
        }
        let subscribed_topic_regex = r.opt_string("topic regex")?;
        let server_assignor = r.opt_string("server assignor")?;
        let epoch = r.i32("epoch")?;
        let previous_epoch = r.i32("previous epoch")?;
        let state = MemberState::from_id(r.i8("member state")?)
            .ok_or(FormatError::Invalid("member state"))?;
        let assigned = read_assignment(r)?;
        let pending_revocation = read_assignment(r)?;
        members.push(ConsumerMember {
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
            state,
            assigned,
            pending_revocation,
        });
    }
    let mut target = BTreeMap::new();
    for _ in 0..r.count("target")? {
        let member = r.string("member id")?;
        target.insert(member, read_assignment(r)?);
    }
    Ok(ConsumerSnapshot {
        group_epoch,
        assignment_epoch,
        members,
        target,
        subscription,
    })
}

#[cfg(test)]
#[path = "format_tests.rs"]
mod tests;
