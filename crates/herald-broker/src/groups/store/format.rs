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

use bytes::{Buf, BufMut, Bytes, BytesMut};
use herald_log::Uuid;

use crate::groups::state::assignor::Assignment;
use crate::groups::state::classic::{ClassicSnapshot, MemberInfo, Protocol};
use crate::groups::state::consumer::{ConsumerMember, ConsumerSnapshot};
use crate::groups::state::offsets::CommittedOffset;
use crate::groups::state::reconcile::MemberState;
use crate::groups::state::registry::{GroupSnapshot, StoreRecord};

const KEY_OFFSET: i16 = 1;
const KEY_GROUP: i16 = 2;
const OFFSET_V1: i16 = 1;
const GROUP_CLASSIC: i16 = 1;
const GROUP_CONSUMER: i16 = 2;

/// Why a record of `__consumer_offsets` cannot be read (or written).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub(crate) enum FormatError {
    /// The bytes end before the field.
    #[error("record ends early while reading {0}")]
    Truncated(&'static str),
    /// A key or value version this broker does not know.
    #[error("unknown {what} version {version}")]
    UnknownVersion {
        /// "key" or "offset value" or "group value".
        what: &'static str,
        /// The version found.
        version: i16,
    },
    /// A string is not UTF-8.
    #[error("{0} is not valid UTF-8")]
    NotUtf8(&'static str),
    /// A field holds an impossible value.
    #[error("invalid {0}")]
    Invalid(&'static str),
    /// Bytes are left after the value.
    #[error("{0} bytes left over after the record")]
    Trailing(usize),
    /// A string is too long for its `i16` length.
    #[error("{0} is longer than 32767 bytes")]
    TooLong(&'static str),
}

type Result<T> = std::result::Result<T, FormatError>;

struct Writer(BytesMut);

impl Writer {
    fn new() -> Self {
        Writer(BytesMut::new())
    }

    fn string(&mut self, what: &'static str, s: &str) -> Result<()> {
        let len = i16::try_from(s.len()).map_err(|_| FormatError::TooLong(what))?;
        self.0.put_i16(len);
        self.0.put_slice(s.as_bytes());
        Ok(())
    }

    fn opt_string(&mut self, what: &'static str, s: Option<&str>) -> Result<()> {
        match s {
            Some(s) => self.string(what, s),
            None => {
                self.0.put_i16(-1);
                Ok(())
            }
        }
    }

    fn bytes(&mut self, what: &'static str, b: &[u8]) -> Result<()> {
        let len = i32::try_from(b.len()).map_err(|_| FormatError::TooLong(what))?;
        self.0.put_i32(len);
        self.0.put_slice(b);
        Ok(())
    }

    fn count(&mut self, what: &'static str, n: usize) -> Result<()> {
        self.0
            .put_i32(i32::try_from(n).map_err(|_| FormatError::TooLong(what))?);
        Ok(())
    }

    fn assignment(&mut self, a: &Assignment) -> Result<()> {
        self.count("assignment", a.len())?;
        for (topic, partitions) in a {
            self.0.put_slice(topic.as_bytes());
            self.count("partitions", partitions.len())?;
            for p in partitions {
                self.0.put_i32(*p);
            }
        }
        Ok(())
    }

    fn finish(self) -> Vec<u8> {
        self.0.to_vec()
    }
}

struct Reader(Bytes);

impl Reader {
    fn need(&self, what: &'static str, n: usize) -> Result<()> {
        if self.0.remaining() < n {
            Err(FormatError::Truncated(what))
        } else {
            Ok(())
        }
    }

    fn i8(&mut self, what: &'static str) -> Result<i8> {
        self.need(what, 1)?;
        Ok(self.0.get_i8())
    }

    fn i16(&mut self, what: &'static str) -> Result<i16> {
        self.need(what, 2)?;
        Ok(self.0.get_i16())
    }

    fn i32(&mut self, what: &'static str) -> Result<i32> {
        self.need(what, 4)?;
        Ok(self.0.get_i32())
    }

    fn i64(&mut self, what: &'static str) -> Result<i64> {
        self.need(what, 8)?;
        Ok(self.0.get_i64())
    }

    fn uuid(&mut self, what: &'static str) -> Result<Uuid> {
        self.need(what, 16)?;
        let mut raw = [0u8; 16];
        self.0.copy_to_slice(&mut raw);
        Ok(Uuid::from_bytes(raw))
    }

    fn opt_string(&mut self, what: &'static str) -> Result<Option<String>> {
        let len = self.i16(what)?;
        if len < 0 {
            return Ok(None);
        }
        let len = usize::try_from(len).map_err(|_| FormatError::Invalid(what))?;
        self.need(what, len)?;
        let raw = self.0.split_to(len);
        String::from_utf8(raw.to_vec())
            .map(Some)
            .map_err(|_| FormatError::NotUtf8(what))
    }

    fn string(&mut self, what: &'static str) -> Result<String> {
        self.opt_string(what)?.ok_or(FormatError::Invalid(what))
    }

    fn bytes(&mut self, what: &'static str) -> Result<Bytes> {
        let len = usize::try_from(self.i32(what)?).map_err(|_| FormatError::Invalid(what))?;
        self.need(what, len)?;
        Ok(self.0.split_to(len))
    }

    /// An array count; each element needs at least one byte, which bounds
    /// the count by what is left.
    fn count(&mut self, what: &'static str) -> Result<usize> {
        let n = usize::try_from(self.i32(what)?).map_err(|_| FormatError::Invalid(what))?;
        if n > self.0.remaining() {
            return Err(FormatError::Truncated(what));
        }
        Ok(n)
    }

    fn assignment(&mut self) -> Result<Assignment> {
        let mut a = Assignment::new();
        for _ in 0..self.count("assignment")? {
            let topic = self.uuid("topic id")?;
            let set = a.entry(topic).or_default();
            for _ in 0..self.count("partitions")? {
                set.insert(self.i32("partition")?);
            }
        }
        Ok(a)
    }

    fn end(self) -> Result<()> {
        match self.0.remaining() {
            0 => Ok(()),
            n => Err(FormatError::Trailing(n)),
        }
    }
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
        w.assignment(&m.assigned)?;
        w.assignment(&m.pending_revocation)?;
    }
    w.count("target", s.target.len())?;
    for (member, a) in &s.target {
        w.string("member id", member)?;
        w.assignment(a)?;
    }
    Ok(w.finish())
}

/// Decodes a record from its key and value (`None`: tombstone).
pub(crate) fn decode(key: &[u8], value: Option<&[u8]>) -> Result<StoreRecord> {
    let mut k = Reader(Bytes::copy_from_slice(key));
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
    let mut r = Reader(Bytes::copy_from_slice(value));
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
    let mut r = Reader(Bytes::copy_from_slice(value));
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

fn decode_classic(r: &mut Reader) -> Result<ClassicSnapshot> {
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

fn decode_consumer(r: &mut Reader) -> Result<ConsumerSnapshot> {
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
        let assigned = r.assignment()?;
        let pending_revocation = r.assignment()?;
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
        target.insert(member, r.assignment()?);
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
