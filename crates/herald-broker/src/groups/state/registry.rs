//! Every group of the coordinator: which are classic and which are KIP-848
//! consumer groups, their committed offsets, and the records that must be
//! written to `__consumer_offsets` for what changed.

use std::collections::HashMap;

use super::Reply;
use super::classic::{
    ClassicGroup, ClassicSnapshot, ClassicState, JoinRequest, JoinResult, SyncRequest, SyncResult,
};
use super::consumer::{ConsumerGroup, ConsumerHeartbeat, ConsumerSnapshot, HeartbeatOk};
use super::offsets::{CommittedOffset, Offsets};
use super::topics::TopicsView;
use crate::groups::GroupConfig;
use crate::groups::error::GroupError;

/// A group's protocol and state.
#[derive(Debug)]
pub(crate) enum GroupKind {
    /// JoinGroup/SyncGroup members (or only offsets: a "simple" group).
    Classic(ClassicGroup),
    /// KIP-848 ConsumerGroupHeartbeat members.
    Consumer(ConsumerGroup),
}

impl GroupKind {
    /// Kafka's group type name.
    pub(crate) fn type_name(&self) -> &'static str {
        match self {
            GroupKind::Classic(_) => "classic",
            GroupKind::Consumer(_) => "consumer",
        }
    }

    /// Kafka's state name.
    pub(crate) fn state_name(&self) -> &'static str {
        match self {
            GroupKind::Classic(g) => g.state().name(),
            GroupKind::Consumer(g) => g.state_name(),
        }
    }

    /// The protocol type ListGroups reports.
    pub(crate) fn protocol_type(&self) -> &str {
        match self {
            GroupKind::Classic(g) => g.protocol_type().unwrap_or_default(),
            GroupKind::Consumer(_) => "consumer",
        }
    }

    /// True if no member is in the group.
    pub(crate) fn is_empty(&self) -> bool {
        match self {
            GroupKind::Classic(g) => g.state() == ClassicState::Empty,
            GroupKind::Consumer(g) => g.is_empty(),
        }
    }

    fn take_dirty(&mut self) -> Option<GroupSnapshot> {
        match self {
            GroupKind::Classic(g) => g.take_dirty().then(|| GroupSnapshot::Classic(g.snapshot())),
            GroupKind::Consumer(g) => g
                .take_dirty()
                .then(|| GroupSnapshot::Consumer(g.snapshot())),
        }
    }
}

/// One group with its offsets.
#[derive(Debug)]
pub(crate) struct Group {
    pub(crate) kind: GroupKind,
    pub(crate) offsets: Offsets,
    /// Changes when the group is deleted and created again, so a commit
    /// validated against the old group is not applied to the new one.
    pub(crate) incarnation: u64,
    /// A group record for it is in `__consumer_offsets` (deleting it needs a tombstone).
    pub(crate) persisted: bool,
    /// Commits validated but not yet durable: the group must not be expired
    /// away under them.
    pub(crate) inflight: u32,
}

impl Group {
    pub(crate) fn new(kind: GroupKind, incarnation: u64) -> Self {
        Group {
            kind,
            offsets: Offsets::default(),
            incarnation,
            persisted: false,
            inflight: 0,
        }
    }
}

/// A persisted group snapshot.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum GroupSnapshot {
    Classic(ClassicSnapshot),
    Consumer(ConsumerSnapshot),
}

/// One record of `__consumer_offsets` (`None` value: a tombstone).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum StoreRecord {
    Offset {
        group: String,
        topic: String,
        partition: i32,
        value: Option<CommittedOffset>,
    },
    Group {
        group: String,
        value: Option<GroupSnapshot>,
    },
}

/// A group as ListGroups reports it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Listed {
    pub group_id: String,
    pub protocol_type: String,
    pub state: &'static str,
    pub group_type: &'static str,
}

/// All groups, as a pure state machine: callers pass `now` and the topics,
/// and take the records to persist with [`Groups::take_records`].
#[derive(Debug)]
pub(crate) struct Groups {
    config: GroupConfig,
    pub(crate) groups: HashMap<String, Group>,
    next_incarnation: u64,
    next_seq: u64,
    records: Vec<StoreRecord>,
    last_expiry_check: Option<i64>,
    /// Set by [`Groups::shutdown`]: nothing parks any more.
    stopping: bool,
}

impl Groups {
    pub(crate) fn new(config: GroupConfig) -> Self {
        Groups {
            config,
            groups: HashMap::new(),
            next_incarnation: 0,
            next_seq: 0,
            records: Vec::new(),
            last_expiry_check: None,
            stopping: false,
        }
    }

    pub(crate) fn config(&self) -> &GroupConfig {
        &self.config
    }

    pub(crate) fn next_seq(&mut self) -> u64 {
        self.next_seq += 1;
        self.next_seq
    }

    pub(crate) fn next_incarnation(&mut self) -> u64 {
        self.next_incarnation += 1;
        self.next_incarnation
    }

    pub(crate) fn push_records(&mut self, records: Vec<StoreRecord>) {
        self.records.extend(records);
    }

    /// The records produced since the last call, in the order they must be written.
    pub(crate) fn take_records(&mut self) -> Vec<StoreRecord> {
        std::mem::take(&mut self.records)
    }

    pub(crate) fn get(&self, group_id: &str) -> Option<&Group> {
        self.groups.get(group_id)
    }

    /// Queues a snapshot of `group_id` if it changed in a way worth persisting.
    fn persist_if_dirty(&mut self, group_id: &str) {
        let Some(group) = self.groups.get_mut(group_id) else {
            return;
        };
        if let Some(snapshot) = group.kind.take_dirty() {
            group.persisted = true;
            self.records.push(StoreRecord::Group {
                group: group_id.to_owned(),
                value: Some(snapshot),
            });
        }
    }

    fn classic_mut(
        &mut self,
        group_id: &str,
        member_id: &str,
    ) -> Result<&mut ClassicGroup, GroupError> {
        match self.groups.get_mut(group_id).map(|g| &mut g.kind) {
            Some(GroupKind::Classic(g)) => Ok(g),
            _ => Err(GroupError::unknown_member(group_id, member_id)),
        }
    }

    /// JoinGroup.
    pub(crate) fn join(&mut self, group_id: &str, req: JoinRequest, now: i64) -> Reply<JoinResult> {
        if self.stopping {
            return Reply::Ready(Err(GroupError::NotCoordinator));
        }
        if group_id.is_empty() {
            return Reply::Ready(Err(GroupError::InvalidGroupId));
        }
        let (min, max) = (
            self.config.min_session_timeout_ms,
            self.config.max_session_timeout_ms,
        );
        if !(min..=max).contains(&req.session_timeout_ms) {
            return Reply::Ready(Err(GroupError::InvalidSessionTimeout {
                sent: req.session_timeout_ms,
                min,
                max,
            }));
        }
        let config = self.config.clone();
        match self.groups.get_mut(group_id) {
            None if !req.member_id.is_empty() => {
                return Reply::Ready(Err(GroupError::unknown_member(group_id, &req.member_id)));
            }
            None => {
                let incarnation = self.next_incarnation();
                let kind = GroupKind::Classic(ClassicGroup::new(group_id, now, &config));
                self.groups
                    .insert(group_id.to_owned(), Group::new(kind, incarnation));
            }
            Some(group) => {
                if let GroupKind::Consumer(g) = &group.kind {
                    if !g.is_empty() {
                        return Reply::Ready(Err(GroupError::inconsistent(
                            group_id,
                            "the group uses the consumer (KIP-848) protocol",
                        )));
                    }
                    // An empty consumer group turns classic; its offsets stay.
                    group.kind = GroupKind::Classic(ClassicGroup::new(group_id, now, &config));
                }
            }
        }
        let reply = match self.classic_mut(group_id, &req.member_id) {
            Ok(g) => g.join(req, now),
            Err(e) => Reply::Ready(Err(e)),
        };
        self.persist_if_dirty(group_id);
        reply
    }

    /// SyncGroup.
    pub(crate) fn sync(&mut self, group_id: &str, req: SyncRequest, now: i64) -> Reply<SyncResult> {
        if self.stopping {
            return Reply::Ready(Err(GroupError::NotCoordinator));
        }
        let reply = match self.classic_mut(group_id, &req.member_id) {
            Ok(g) => g.sync(req, now),
            Err(e) => Reply::Ready(Err(e)),
        };
        self.persist_if_dirty(group_id);
        reply
    }

    /// Heartbeat.
    pub(crate) fn heartbeat(
        &mut self,
        group_id: &str,
        member_id: &str,
        instance_id: Option<&str>,
        generation_id: i32,
        now: i64,
    ) -> Result<(), GroupError> {
        let result = self
            .classic_mut(group_id, member_id)
            .and_then(|g| g.heartbeat(member_id, instance_id, generation_id, now));
        self.persist_if_dirty(group_id);
        result
    }

    /// One member of a LeaveGroup.
    pub(crate) fn leave(
        &mut self,
        group_id: &str,
        member_id: &str,
        instance_id: Option<&str>,
        now: i64,
    ) -> Result<(), GroupError> {
        let result = self
            .classic_mut(group_id, member_id)
            .and_then(|g| g.leave(member_id, instance_id, now));
        self.persist_if_dirty(group_id);
        result
    }

    /// ConsumerGroupHeartbeat (the request already passed `consumer::validate`).
    pub(crate) fn consumer_heartbeat(
        &mut self,
        group_id: &str,
        req: ConsumerHeartbeat,
        topics: &TopicsView,
        now: i64,
    ) -> Result<HeartbeatOk, GroupError> {
        let joining = req.member_epoch == 0;
        match self.groups.get_mut(group_id) {
            None if joining => {
                let incarnation = self.next_incarnation();
                let kind = GroupKind::Consumer(ConsumerGroup::new(group_id, now));
                self.groups
                    .insert(group_id.to_owned(), Group::new(kind, incarnation));
            }
            None if req.member_epoch < 0 => {
                return Err(GroupError::not_found(group_id, "does not exist"));
            }
            None => return Err(GroupError::unknown_member(group_id, &req.member_id)),
            Some(group) => {
                if let GroupKind::Classic(g) = &group.kind {
                    if g.state() != ClassicState::Empty {
                        return Err(GroupError::not_found(group_id, "is not a consumer group"));
                    }
                    if !joining {
                        return Err(GroupError::unknown_member(group_id, &req.member_id));
                    }
                    // An empty classic group turns into a consumer group; its offsets stay.
                    group.kind = GroupKind::Consumer(ConsumerGroup::new(group_id, now));
                }
            }
        }
        let config = self.config.clone();
        let result = match self.groups.get_mut(group_id).map(|g| &mut g.kind) {
            Some(GroupKind::Consumer(g)) => g.heartbeat(req, topics, &config, now),
            _ => Err(GroupError::not_found(group_id, "is not a consumer group")),
        };
        self.persist_if_dirty(group_id);
        result
    }

    /// ListGroups, filtered by state and type names (case-insensitive; an
    /// empty filter lets everything through).
    pub(crate) fn list(&self, states: &[String], types: &[String]) -> Vec<Listed> {
        let mut listed: Vec<Listed> = self
            .groups
            .iter()
            .map(|(id, g)| Listed {
                group_id: id.clone(),
                protocol_type: g.kind.protocol_type().to_owned(),
                state: g.kind.state_name(),
                group_type: g.kind.type_name(),
            })
            .filter(|l| states.is_empty() || states.iter().any(|s| s.eq_ignore_ascii_case(l.state)))
            .filter(|l| {
                types.is_empty() || types.iter().any(|t| t.eq_ignore_ascii_case(l.group_type))
            })
            .collect();
        listed.sort_by(|a, b| a.group_id.cmp(&b.group_id));
        listed
    }

    /// DeleteGroups for one group: only empty groups go; their offsets go
    /// with them.
    pub(crate) fn delete_group(&mut self, group_id: &str) -> Result<(), GroupError> {
        let group = self
            .groups
            .get(group_id)
            .ok_or_else(|| GroupError::not_found(group_id, "does not exist"))?;
        if !group.kind.is_empty() {
            return Err(GroupError::NonEmptyGroup {
                group_id: group_id.to_owned(),
            });
        }
        let Some(group) = self.groups.remove(group_id) else {
            return Ok(());
        };
        let mut records: Vec<StoreRecord> = group
            .offsets
            .iter()
            .map(|(topic, partition, _)| StoreRecord::Offset {
                group: group_id.to_owned(),
                topic: topic.to_owned(),
                partition,
                value: None,
            })
            .collect();
        if group.persisted {
            records.push(StoreRecord::Group {
                group: group_id.to_owned(),
                value: None,
            });
        }
        self.records.extend(records);
        Ok(())
    }

    /// Applies every timeout due at `now`; expires offsets when the check
    /// interval has passed.
    pub(crate) fn tick(&mut self, now: i64) {
        let ids: Vec<String> = self.groups.keys().cloned().collect();
        for id in ids {
            if let Some(group) = self.groups.get_mut(&id) {
                match &mut group.kind {
                    GroupKind::Classic(g) => g.tick(now),
                    GroupKind::Consumer(g) => g.tick(now),
                }
            }
            self.persist_if_dirty(&id);
        }
        let last = *self.last_expiry_check.get_or_insert(now);
        if now - last >= self.config.offsets_retention_check_interval_ms {
            self.last_expiry_check = Some(now);
            self.expire_offsets(now);
        }
    }

    /// Answers every parked join and sync with NOT_COORDINATOR, and every
    /// later one at once: the broker is stopping, and a request that waits
    /// for the rest of its group would hold up the drain of its connection.
    /// Other requests are still served (a final offset commit is kept).
    pub(crate) fn shutdown(&mut self) {
        if self.stopping {
            return;
        }
        self.stopping = true;
        for group in self.groups.values_mut() {
            if let GroupKind::Classic(g) = &mut group.kind {
                g.shutdown();
            }
        }
    }

    /// Applies one record read back from `__consumer_offsets` at start-up.
    pub(crate) fn replay(&mut self, record: StoreRecord, now: i64) {
        let config = self.config.clone();
        match record {
            StoreRecord::Group {
                group,
                value: Some(snapshot),
            } => {
                let kind = match snapshot {
                    GroupSnapshot::Classic(s) => {
                        GroupKind::Classic(ClassicGroup::restore(&group, s, now, &config))
                    }
                    GroupSnapshot::Consumer(s) => {
                        GroupKind::Consumer(ConsumerGroup::restore(&group, s, now, &config))
                    }
                };
                if let Some(existing) = self.groups.get_mut(&group) {
                    existing.kind = kind;
                    existing.persisted = true;
                } else {
                    let mut fresh = Group::new(kind, self.next_incarnation());
                    fresh.persisted = true;
                    self.groups.insert(group, fresh);
                }
            }
            StoreRecord::Group { group, value: None } => {
                if let Some(g) = self.groups.get_mut(&group) {
                    if g.offsets.is_empty() {
                        self.groups.remove(&group);
                    } else {
                        g.kind = GroupKind::Classic(ClassicGroup::new(&group, now, &config));
                        g.persisted = false;
                    }
                }
            }
            StoreRecord::Offset {
                group,
                topic,
                partition,
                value: Some(value),
            } => {
                let seq = self.next_seq();
                let incarnation = self.next_incarnation();
                let entry = self.groups.entry(group.clone()).or_insert_with(|| {
                    Group::new(
                        GroupKind::Classic(ClassicGroup::new(&group, now, &config)),
                        incarnation,
                    )
                });
                entry.offsets.insert(&topic, partition, value, seq);
            }
            StoreRecord::Offset {
                group,
                topic,
                partition,
                value: None,
            } => {
                if let Some(g) = self.groups.get_mut(&group) {
                    g.offsets.remove(&topic, partition);
                    if g.offsets.is_empty() && !g.persisted && g.kind.is_empty() {
                        self.groups.remove(&group);
                    }
                }
            }
        }
    }
}

#[cfg(test)]
#[path = "registry_tests.rs"]
mod tests;
