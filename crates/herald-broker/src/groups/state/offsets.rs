//! Committed offsets: validation of commits against the group's membership,
//! applying them once durable, fetching, deleting and expiring them.

use std::collections::{BTreeMap, BTreeSet};

use bytes::Buf;
use kafka_protocol::messages::ConsumerProtocolSubscription;
use kafka_protocol::protocol::Decodable;

use super::classic::ClassicGroup;
use super::registry::{Group, GroupKind, Groups, StoreRecord};
use super::topics::TopicsView;
use crate::groups::error::GroupError;

/// One committed offset, as stored in `__consumer_offsets`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct CommittedOffset {
    pub offset: i64,
    pub leader_epoch: i32,
    pub metadata: String,
    pub commit_timestamp: i64,
    /// Set by OffsetCommit v2–v4 `retention_time_ms`; otherwise the group's
    /// retention applies.
    pub expire_timestamp: Option<i64>,
}

#[derive(Debug, Clone)]
struct Entry {
    value: CommittedOffset,
    /// Order of the write that produced it: a commit applied late never
    /// overwrites a newer one.
    seq: u64,
}

/// A group's committed offsets by (topic, partition).
#[derive(Debug, Clone, Default)]
pub(crate) struct Offsets {
    entries: BTreeMap<(String, i32), Entry>,
}

impl Offsets {
    pub(crate) fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    pub(crate) fn get(&self, topic: &str, partition: i32) -> Option<&CommittedOffset> {
        self.entries
            .get(&(topic.to_owned(), partition))
            .map(|e| &e.value)
    }

    /// Every committed offset, ordered by topic and partition.
    pub(crate) fn iter(&self) -> impl Iterator<Item = (&str, i32, &CommittedOffset)> {
        self.entries
            .iter()
            .map(|((t, p), e)| (t.as_str(), *p, &e.value))
    }

    pub(crate) fn insert(&mut self, topic: &str, partition: i32, value: CommittedOffset, seq: u64) {
        let key = (topic.to_owned(), partition);
        if self.entries.get(&key).is_none_or(|e| e.seq <= seq) {
            self.entries.insert(key, Entry { value, seq });
        }
    }

    pub(crate) fn remove(&mut self, topic: &str, partition: i32) -> bool {
        self.entries
            .remove(&(topic.to_owned(), partition))
            .is_some()
    }
}

/// One partition of an OffsetCommit.
#[derive(Debug, Clone)]
pub(crate) struct PartitionCommit {
    pub topic: String,
    pub partition: i32,
    pub offset: i64,
    pub leader_epoch: i32,
    pub metadata: Option<String>,
}

/// An OffsetCommit, without the wire types.
#[derive(Debug, Clone)]
pub(crate) struct CommitRequest {
    pub group_id: String,
    pub member_id: String,
    pub instance_id: Option<String>,
    pub generation_or_epoch: i32,
    /// v2–v4 `retention_time_ms`; -1 for the broker default.
    pub retention_ms: i64,
    pub version: i16,
    pub partitions: Vec<PartitionCommit>,
}

/// What to apply once a commit's records are durable.
#[derive(Debug, Clone)]
pub(crate) struct CommitTicket {
    group_id: String,
    incarnation: u64,
    seq: u64,
    accepted: Vec<(String, i32, CommittedOffset)>,
}

/// The outcome of checking a commit: an error or `None` per partition (in
/// request order), the records to make durable, and the ticket to apply after.
#[derive(Debug)]
pub(crate) struct CommitPlan {
    pub errors: Vec<Option<GroupError>>,
    pub records: Vec<StoreRecord>,
    pub ticket: CommitTicket,
}

/// OffsetDelete's outcome for one topic: `(partition, error if refused)`.
pub(crate) type DeletedTopic = (String, Vec<(i32, Option<GroupError>)>);

/// Committed offsets of one topic: `(partition, offset if any)`.
pub(crate) type FetchedTopic = (String, Vec<(i32, Option<CommittedOffset>)>);

/// Topics a classic `consumer` group subscribes to, from its members'
/// subscription metadata (unreadable metadata counts as no topics).
pub(crate) fn classic_subscriptions(group: &ClassicGroup) -> BTreeSet<String> {
    let mut topics = BTreeSet::new();
    if group.protocol_type() != Some("consumer") {
        return topics;
    }
    for metadata in group.member_metadata() {
        let mut buf = metadata.clone();
        if buf.remaining() < 2 {
            continue;
        }
        let version = buf.get_i16().clamp(0, 3);
        if let Ok(sub) = ConsumerProtocolSubscription::decode(&mut buf, version) {
            topics.extend(sub.topics.iter().map(|t| t.to_string()));
        }
    }
    topics
}

impl Groups {
    /// Checks a commit and prepares its records. Nothing changes in memory
    /// until [`Groups::finish_commit`] (after the records are durable), but a
    /// commit to an unknown group with generation < 0 creates that (simple)
    /// group, as Kafka does.
    pub(crate) fn plan_commit(
        &mut self,
        req: CommitRequest,
        topics: &TopicsView,
        now: i64,
    ) -> CommitPlan {
        let seq = self.next_seq();
        let all = |e: GroupError, n: usize| vec![Some(e); n];
        let n = req.partitions.len();
        let mut ticket = CommitTicket {
            group_id: req.group_id.clone(),
            incarnation: 0,
            seq,
            accepted: Vec::new(),
        };
        let group_error = self.validate_commit(&req, now);
        let errors = match group_error {
            Err(e) => all(e, n),
            Ok(incarnation) => {
                ticket.incarnation = incarnation;
                let max = self.config().offset_metadata_max_bytes;
                req.partitions
                    .iter()
                    .map(|p| {
                        let metadata = p.metadata.clone().unwrap_or_default();
                        if metadata.len() > max {
                            return Some(GroupError::OffsetMetadataTooLarge {
                                size: metadata.len(),
                                max,
                            });
                        }
                        if !topics.has_partition(&p.topic, p.partition) {
                            return Some(GroupError::UnknownTopicOrPartition {
                                topic: p.topic.clone(),
                                partition: p.partition,
                            });
                        }
                        let value = CommittedOffset {
                            offset: p.offset,
                            leader_epoch: p.leader_epoch,
                            metadata,
                            commit_timestamp: now,
                            expire_timestamp: (req.retention_ms >= 0)
                                .then(|| now.saturating_add(req.retention_ms)),
                        };
                        ticket.accepted.push((p.topic.clone(), p.partition, value));
                        None
                    })
                    .collect()
            }
        };
        let records = ticket
            .accepted
            .iter()
            .map(|(topic, partition, value)| StoreRecord::Offset {
                group: req.group_id.clone(),
                topic: topic.clone(),
                partition: *partition,
                value: Some(value.clone()),
            })
            .collect();
        CommitPlan {
            errors,
            records,
            ticket,
        }
    }

    /// The group's incarnation if the commit may proceed.
    fn validate_commit(&mut self, req: &CommitRequest, now: i64) -> Result<u64, GroupError> {
        if req.group_id.is_empty() {
            return Err(GroupError::InvalidGroupId);
        }
        let config = self.config().clone();
        if !self.groups.contains_key(&req.group_id) {
            if req.generation_or_epoch >= 0 {
                return Err(if req.version >= 9 {
                    GroupError::not_found(&req.group_id, "does not exist")
                } else {
                    GroupError::IllegalGeneration {
                        group_id: req.group_id.clone(),
                        sent: req.generation_or_epoch,
                        current: -1,
                    }
                });
            }
            let incarnation = self.next_incarnation();
            self.groups.insert(
                req.group_id.clone(),
                Group::new(
                    GroupKind::Classic(ClassicGroup::new(&req.group_id, now, &config)),
                    incarnation,
                ),
            );
        }
        let group = self
            .groups
            .get_mut(&req.group_id)
            .ok_or_else(|| GroupError::not_found(&req.group_id, "does not exist"))?;
        match &mut group.kind {
            GroupKind::Classic(g) => g.validate_offset_commit(
                &req.member_id,
                req.instance_id.as_deref(),
                req.generation_or_epoch,
                now,
            )?,
            GroupKind::Consumer(g) => {
                g.validate_offset_commit(&req.member_id, req.generation_or_epoch, req.version)?;
            }
        }
        group.inflight += 1;
        Ok(group.incarnation)
    }

    /// Ends a planned commit: applies its offsets if their records are
    /// `durable`. Dropped if the group was deleted in between.
    pub(crate) fn finish_commit(&mut self, ticket: CommitTicket, durable: bool) {
        let Some(group) = self.groups.get_mut(&ticket.group_id) else {
            return;
        };
        if group.incarnation != ticket.incarnation {
            return;
        }
        group.inflight = group.inflight.saturating_sub(1);
        if !durable {
            return;
        }
        for (topic, partition, value) in ticket.accepted {
            group.offsets.insert(&topic, partition, value, ticket.seq);
        }
    }

    /// Committed offsets of `group_id`: of the listed topics and partitions,
    /// or of everything when `topics` is `None`. `member` is OffsetFetch
    /// v9's (member id, member epoch), checked for consumer groups.
    pub(crate) fn fetch_offsets(
        &self,
        group_id: &str,
        member: (Option<&str>, i32),
        topics: Option<Vec<(String, Vec<i32>)>>,
    ) -> Result<Vec<FetchedTopic>, GroupError> {
        let group = self.groups.get(group_id);
        if let Some(Group {
            kind: GroupKind::Consumer(g),
            ..
        }) = group
        {
            g.validate_offset_fetch(member.0, member.1)?;
        }
        let offsets = group.map(|g| &g.offsets);
        match topics {
            Some(topics) => Ok(topics
                .into_iter()
                .map(|(topic, partitions)| {
                    let found = partitions
                        .into_iter()
                        .map(|p| (p, offsets.and_then(|o| o.get(&topic, p)).cloned()))
                        .collect();
                    (topic, found)
                })
                .collect()),
            None => {
                let mut by_topic: BTreeMap<String, Vec<(i32, Option<CommittedOffset>)>> =
                    BTreeMap::new();
                for (topic, partition, value) in offsets.into_iter().flat_map(Offsets::iter) {
                    by_topic
                        .entry(topic.to_owned())
                        .or_default()
                        .push((partition, Some(value.clone())));
                }
                Ok(by_topic.into_iter().collect())
            }
        }
    }

    /// OffsetDelete: removes the offsets of the listed partitions unless the
    /// group consumes their topic. Per-partition errors, in request order.
    pub(crate) fn delete_offsets(
        &mut self,
        group_id: &str,
        topics: Vec<(String, Vec<i32>)>,
    ) -> Result<Vec<DeletedTopic>, GroupError> {
        let group = self
            .groups
            .get(group_id)
            .ok_or_else(|| GroupError::not_found(group_id, "does not exist"))?;
        let subscribed: BTreeSet<String> = match &group.kind {
            GroupKind::Classic(g) if g.protocol_type() == Some("consumer") => {
                classic_subscriptions(g)
            }
            GroupKind::Classic(g) if !g.is_empty() => {
                return Err(GroupError::NonEmptyGroup {
                    group_id: group_id.to_owned(),
                });
            }
            GroupKind::Classic(_) => BTreeSet::new(),
            GroupKind::Consumer(g) if g.is_empty() => BTreeSet::new(),
            GroupKind::Consumer(g) => g.subscribed_topics(),
        };
        let mut results = Vec::new();
        let mut records = Vec::new();
        if let Some(group) = self.groups.get_mut(group_id) {
            for (topic, partitions) in topics {
                let mut per = Vec::new();
                for p in partitions {
                    if subscribed.contains(&topic) {
                        per.push((
                            p,
                            Some(GroupError::SubscribedToTopic {
                                group_id: group_id.to_owned(),
                                topic: topic.clone(),
                            }),
                        ));
                        continue;
                    }
                    if group.offsets.remove(&topic, p) {
                        records.push(StoreRecord::Offset {
                            group: group_id.to_owned(),
                            topic: topic.clone(),
                            partition: p,
                            value: None,
                        });
                    }
                    per.push((p, None));
                }
                results.push((topic, per));
            }
        }
        self.push_records(records);
        Ok(results)
    }

    /// Drops offsets past their retention and empty groups left with no
    /// offsets, writing tombstones for both.
    pub(crate) fn expire_offsets(&mut self, now: i64) {
        let retention = self.config().offsets_retention_ms;
        let mut records = Vec::new();
        let mut dead = Vec::new();
        for (id, group) in &mut self.groups {
            let empty = group.kind.is_empty();
            let (managed, since) = match &group.kind {
                GroupKind::Classic(g) => (g.protocol_type().is_some(), g.state_since()),
                GroupKind::Consumer(g) => (true, g.state_since()),
            };
            let expired: Vec<(String, i32)> = group
                .offsets
                .iter()
                .filter(|(_, _, o)| match o.expire_timestamp {
                    Some(at) => now >= at,
                    None if !empty => false,
                    // An empty managed group keeps its offsets for the
                    // retention period after it became empty; offsets of a
                    // simple (admin-committed) group count from their commit.
                    None => {
                        let base = if managed {
                            since.max(o.commit_timestamp)
                        } else {
                            o.commit_timestamp
                        };
                        base.saturating_add(retention) <= now
                    }
                })
                .map(|(t, p, _)| (t.to_owned(), p))
                .collect();
            for (topic, partition) in expired {
                group.offsets.remove(&topic, partition);
                records.push(StoreRecord::Offset {
                    group: id.clone(),
                    topic,
                    partition,
                    value: None,
                });
            }
            if empty && group.offsets.is_empty() && group.inflight == 0 {
                dead.push(id.clone());
            }
        }
        for id in dead {
            if let Some(group) = self.groups.remove(&id)
                && group.persisted
            {
                records.push(StoreRecord::Group {
                    group: id,
                    value: None,
                });
            }
        }
        self.push_records(records);
    }
}

#[cfg(test)]
#[path = "offsets_tests.rs"]
mod tests;
