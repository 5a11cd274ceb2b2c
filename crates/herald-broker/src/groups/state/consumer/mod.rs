//! KIP-848 consumer groups (ConsumerGroupHeartbeat) as a pure state machine.
//!
//! The coordinator owns the assignment: a member's subscription change (or a
//! topic change that affects the group) bumps the *group epoch*; the target
//! assignment is then recomputed by the group's assignor and stamped with
//! that epoch; each member converges to its target through
//! [`reconcile`](super::reconcile), revoking before anything moves, and
//! reaches the epoch when it holds exactly its target.

mod heartbeat;

use std::collections::{BTreeMap, BTreeSet, HashMap};

use herald_log::Uuid;

use super::assignor::{Assignment, AssignorKind};
use super::reconcile::{Current, MemberState};
use super::topics::{TopicsView, is_internal};
use crate::groups::GroupConfig;
use crate::groups::error::GroupError;

/// Epoch a member sends to leave for good.
pub(crate) const LEAVE_EPOCH: i32 = -1;
/// Epoch a static member sends to leave for now, keeping its partitions.
pub(crate) const STATIC_LEAVE_EPOCH: i32 = -2;

/// A ConsumerGroupHeartbeat, without the wire types. `None` fields were
/// not sent (unchanged since the last heartbeat).
#[derive(Debug, Clone, Default)]
pub(crate) struct ConsumerHeartbeat {
    pub member_id: String,
    pub member_epoch: i32,
    pub instance_id: Option<String>,
    pub rack_id: Option<String>,
    pub rebalance_timeout_ms: i32,
    pub client_id: String,
    pub client_host: String,
    pub subscribed_topic_names: Option<Vec<String>>,
    pub subscribed_topic_regex: Option<String>,
    pub server_assignor: Option<String>,
    pub owned: Option<Assignment>,
}

/// A successful ConsumerGroupHeartbeat.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct HeartbeatOk {
    pub member_id: String,
    pub member_epoch: i32,
    pub heartbeat_interval_ms: i32,
    /// The member's full assignment, sent when it changed or was asked for.
    pub assignment: Option<Assignment>,
}

/// One member of a consumer group.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ConsumerMember {
    pub member_id: String,
    pub instance_id: Option<String>,
    pub rack_id: Option<String>,
    pub client_id: String,
    pub client_host: String,
    pub rebalance_timeout_ms: i32,
    pub subscribed_topic_names: Vec<String>,
    pub subscribed_topic_regex: Option<String>,
    pub server_assignor: Option<String>,
    pub epoch: i32,
    pub previous_epoch: i32,
    pub state: MemberState,
    pub assigned: Assignment,
    pub pending_revocation: Assignment,
}

impl ConsumerMember {
    pub(super) fn new(member_id: &str) -> Self {
        ConsumerMember {
            member_id: member_id.to_owned(),
            instance_id: None,
            rack_id: None,
            client_id: String::new(),
            client_host: String::new(),
            rebalance_timeout_ms: 0,
            subscribed_topic_names: Vec::new(),
            subscribed_topic_regex: None,
            server_assignor: None,
            epoch: 0,
            previous_epoch: 0,
            state: MemberState::Stable,
            assigned: Assignment::new(),
            pending_revocation: Assignment::new(),
        }
    }

    pub(super) fn current(&self) -> Current {
        Current {
            epoch: self.epoch,
            state: self.state,
            assigned: self.assigned.clone(),
            pending_revocation: self.pending_revocation.clone(),
        }
    }
}

/// What survives a restart of a consumer group.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ConsumerSnapshot {
    pub group_epoch: i32,
    pub assignment_epoch: i32,
    pub members: Vec<ConsumerMember>,
    pub target: BTreeMap<String, Assignment>,
    /// The subscribed topics (name → id, partitions) the target was computed for.
    pub subscription: BTreeMap<String, (Uuid, i32)>,
}

/// Checks the request-level rules of ConsumerGroupHeartbeat at `version`.
pub(crate) fn validate(req: &ConsumerHeartbeat, version: i16) -> Result<(), GroupError> {
    let invalid = |m: &str| Err(GroupError::InvalidRequest(m.to_owned()));
    let epoch = req.member_epoch;
    if (version >= 1 || epoch > 0 || epoch == LEAVE_EPOCH) && req.member_id.trim().is_empty() {
        return invalid("MemberId can't be empty.");
    }
    if req
        .instance_id
        .as_deref()
        .is_some_and(|s| s.trim().is_empty())
    {
        return invalid("InstanceId can't be empty.");
    }
    if req.rack_id.as_deref().is_some_and(|s| s.trim().is_empty()) {
        return invalid("RackId can't be empty.");
    }
    if epoch == 0 {
        if req.rebalance_timeout_ms == -1 {
            return invalid("RebalanceTimeoutMs must be provided in first request.");
        }
        if req.owned.as_ref().is_none_or(|o| !o.is_empty()) {
            return invalid("TopicPartitions must be empty when (re-)joining.");
        }
        if req.subscribed_topic_names.is_none() && req.subscribed_topic_regex.is_none() {
            return invalid(
                "Either SubscribedTopicNames or SubscribedTopicRegex must be non-null when (re-)joining.",
            );
        }
    } else if epoch == STATIC_LEAVE_EPOCH {
        if req.instance_id.is_none() {
            return invalid("InstanceId can't be null.");
        }
    } else if epoch < STATIC_LEAVE_EPOCH {
        return invalid("MemberEpoch is invalid.");
    }
    if let Some(name) = &req.server_assignor
        && AssignorKind::from_name(name).is_none()
    {
        return Err(GroupError::UnsupportedAssignor(name.clone()));
    }
    Ok(())
}

/// Compiles a subscription regex with Java's full-match semantics.
pub(crate) fn compile_regex(regex: &str) -> Result<regex::Regex, GroupError> {
    regex::Regex::new(&format!("^(?:{regex})$")).map_err(|e| GroupError::InvalidRegex {
        regex: regex.to_owned(),
        reason: e.to_string(),
    })
}

/// One KIP-848 consumer group.
#[derive(Debug)]
pub(crate) struct ConsumerGroup {
    id: String,
    group_epoch: i32,
    assignment_epoch: i32,
    members: BTreeMap<String, ConsumerMember>,
    statics: HashMap<String, String>,
    target: BTreeMap<String, Assignment>,
    /// Who holds each partition (assigned or still revoking).
    owners: HashMap<(Uuid, i32), String>,
    subscription: BTreeMap<String, (Uuid, i32)>,
    session_deadlines: HashMap<String, i64>,
    revocation_deadlines: HashMap<String, i64>,
    regexes: HashMap<String, regex::Regex>,
    state_since: i64,
    dirty: bool,
}

impl ConsumerGroup {
    /// A new empty group.
    pub(crate) fn new(id: &str, now: i64) -> Self {
        ConsumerGroup {
            id: id.to_owned(),
            group_epoch: 0,
            assignment_epoch: 0,
            members: BTreeMap::new(),
            statics: HashMap::new(),
            target: BTreeMap::new(),
            owners: HashMap::new(),
            subscription: BTreeMap::new(),
            session_deadlines: HashMap::new(),
            revocation_deadlines: HashMap::new(),
            regexes: HashMap::new(),
            state_since: now,
            dirty: false,
        }
    }

    /// A group restored from its snapshot; every member's session restarts now.
    pub(crate) fn restore(
        id: &str,
        snapshot: ConsumerSnapshot,
        now: i64,
        config: &GroupConfig,
    ) -> Self {
        let mut group = ConsumerGroup::new(id, now);
        group.group_epoch = snapshot.group_epoch;
        group.assignment_epoch = snapshot.assignment_epoch;
        group.target = snapshot.target;
        group.subscription = snapshot.subscription;
        for member in snapshot.members {
            group.session_deadlines.insert(
                member.member_id.clone(),
                now + i64::from(config.consumer_session_timeout_ms),
            );
            group.put_member(member);
        }
        group
    }

    /// The snapshot to persist.
    pub(crate) fn snapshot(&self) -> ConsumerSnapshot {
        ConsumerSnapshot {
            group_epoch: self.group_epoch,
            assignment_epoch: self.assignment_epoch,
            members: self.members.values().cloned().collect(),
            target: self.target.clone(),
            subscription: self.subscription.clone(),
        }
    }

    /// True once since the last call if persisted state changed.
    pub(crate) fn take_dirty(&mut self) -> bool {
        std::mem::take(&mut self.dirty)
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.members.is_empty()
    }

    pub(crate) fn state_since(&self) -> i64 {
        self.state_since
    }

    pub(crate) fn group_epoch(&self) -> i32 {
        self.group_epoch
    }

    pub(crate) fn assignment_epoch(&self) -> i32 {
        self.assignment_epoch
    }

    /// Kafka's state name: Empty, Assigning, Reconciling or Stable.
    pub(crate) fn state_name(&self) -> &'static str {
        if self.members.is_empty() {
            "Empty"
        } else if self.group_epoch > self.assignment_epoch {
            "Assigning"
        } else if self
            .members
            .values()
            .any(|m| m.epoch != self.assignment_epoch || m.state != MemberState::Stable)
        {
            "Reconciling"
        } else {
            "Stable"
        }
    }

    /// The assignor the group uses: the one most members ask for, `uniform`
    /// when none asks.
    pub(crate) fn assignor(&self) -> AssignorKind {
        let mut votes: BTreeMap<AssignorKind, usize> = BTreeMap::new();
        for m in self.members.values() {
            if let Some(kind) = m
                .server_assignor
                .as_deref()
                .and_then(AssignorKind::from_name)
            {
                *votes.entry(kind).or_default() += 1;
            }
        }
        let best = votes.values().copied().max().unwrap_or(0);
        votes
            .into_iter()
            .find(|(_, n)| *n == best)
            .map_or(AssignorKind::Uniform, |(k, _)| k)
    }

    pub(crate) fn members(&self) -> impl Iterator<Item = &ConsumerMember> {
        self.members.values()
    }

    #[cfg(test)]
    pub(crate) fn has_member(&self, member_id: &str) -> bool {
        self.members.contains_key(member_id)
    }

    pub(crate) fn target_of(&self, member_id: &str) -> Option<&Assignment> {
        self.target.get(member_id)
    }

    /// The topic names the group consumes (resolved regexes included).
    pub(crate) fn subscribed_topics(&self) -> BTreeSet<String> {
        self.subscription.keys().cloned().collect()
    }

    pub(super) fn compiled(&mut self, regex: &str) -> Result<&regex::Regex, GroupError> {
        if !self.regexes.contains_key(regex) {
            let compiled = compile_regex(regex)?;
            self.regexes.insert(regex.to_owned(), compiled);
        }
        self.regexes
            .get(regex)
            .ok_or_else(|| GroupError::InvalidRegex {
                regex: regex.to_owned(),
                reason: "not compiled".to_owned(),
            })
    }

    /// The topic names `member` subscribes to that exist now.
    fn resolve_names(&mut self, member: &ConsumerMember, topics: &TopicsView) -> BTreeSet<String> {
        let mut names: BTreeSet<String> = member
            .subscribed_topic_names
            .iter()
            .filter(|n| topics.get(n).is_some())
            .cloned()
            .collect();
        if let Some(regex) = &member.subscribed_topic_regex
            && let Ok(re) = self.compiled(regex)
        {
            for (name, _, _) in topics.iter() {
                if !is_internal(name) && re.is_match(name) {
                    names.insert(name.to_owned());
                }
            }
        }
        names
    }

    pub(super) fn resolve_ids(
        &mut self,
        member: &ConsumerMember,
        topics: &TopicsView,
    ) -> BTreeSet<Uuid> {
        self.resolve_names(member, topics)
            .iter()
            .filter_map(|n| topics.get(n).map(|(id, _)| id))
            .collect()
    }

    /// The subscribed topics of the whole group with their ids and
    /// partition counts. Each distinct regex is matched once, however many
    /// members share it (this runs on every heartbeat).
    pub(super) fn subscription_metadata(
        &mut self,
        topics: &TopicsView,
    ) -> BTreeMap<String, (Uuid, i32)> {
        let mut names: BTreeSet<String> = BTreeSet::new();
        let mut regexes: BTreeSet<String> = BTreeSet::new();
        for m in self.members.values() {
            names.extend(m.subscribed_topic_names.iter().cloned());
            regexes.extend(m.subscribed_topic_regex.iter().cloned());
        }
        for regex in regexes {
            if let Ok(re) = self.compiled(&regex) {
                names.extend(
                    topics
                        .iter()
                        .filter(|(name, _, _)| !is_internal(name) && re.is_match(name))
                        .map(|(name, _, _)| name.to_owned()),
                );
            }
        }
        names
            .into_iter()
            .filter_map(|name| topics.get(&name).map(|meta| (name, meta)))
            .collect()
    }

    pub(super) fn compute_target(&mut self, topics: &TopicsView) {
        let members: Vec<ConsumerMember> = self.members.values().cloned().collect();
        let mut subs = BTreeMap::new();
        for m in &members {
            subs.insert(m.member_id.clone(), self.resolve_ids(m, topics));
        }
        let counts: BTreeMap<Uuid, i32> = self.subscription.values().copied().collect();
        self.target = self.assignor().assign(&subs, &counts, &self.target);
    }

    pub(super) fn release(&mut self, member_id: &str) {
        self.owners.retain(|_, owner| owner != member_id);
    }

    /// Inserts or replaces a member and records the partitions it holds.
    pub(super) fn put_member(&mut self, member: ConsumerMember) {
        self.release(&member.member_id);
        for (topic, ps) in member.assigned.iter().chain(&member.pending_revocation) {
            for p in ps {
                self.owners.insert((*topic, *p), member.member_id.clone());
            }
        }
        if let Some(instance) = &member.instance_id {
            self.statics
                .insert(instance.clone(), member.member_id.clone());
        }
        self.members.insert(member.member_id.clone(), member);
    }

    pub(super) fn remove_member(&mut self, member_id: &str, now: i64) {
        if let Some(m) = self.members.remove(member_id)
            && let Some(instance) = &m.instance_id
            && self.statics.get(instance).map(String::as_str) == Some(member_id)
        {
            self.statics.remove(instance);
        }
        self.release(member_id);
        self.target.remove(member_id);
        self.session_deadlines.remove(member_id);
        self.revocation_deadlines.remove(member_id);
        self.group_epoch += 1;
        self.dirty = true;
        if self.members.is_empty() {
            self.state_since = now;
        }
    }

    /// Removes members whose session expired or that did not revoke
    /// partitions within their rebalance timeout.
    pub(crate) fn tick(&mut self, now: i64) {
        let expired: BTreeSet<String> = self
            .session_deadlines
            .iter()
            .chain(&self.revocation_deadlines)
            .filter(|(_, deadline)| **deadline <= now)
            .map(|(id, _)| id.clone())
            .collect();
        for id in expired {
            tracing::info!(group = %self.id, member = %id, "member session or revocation timed out; removing it");
            self.remove_member(&id, now);
        }
    }

    /// Checks an OffsetCommit from `member_id` at `epoch` (API `version`).
    pub(crate) fn validate_offset_commit(
        &self,
        member_id: &str,
        epoch: i32,
        version: i16,
    ) -> Result<(), GroupError> {
        if epoch < 0 && self.members.is_empty() {
            return Ok(());
        }
        let member = self
            .members
            .get(member_id)
            .ok_or_else(|| GroupError::unknown_member(&self.id, member_id))?;
        if version < 9 {
            return Err(GroupError::UnsupportedVersion(
                "OffsetCommit version 9 or above must be used by members using the consumer group protocol"
                    .to_owned(),
            ));
        }
        if epoch != member.epoch {
            return Err(GroupError::StaleMemberEpoch {
                member_id: member_id.to_owned(),
                sent: epoch,
                current: member.epoch,
            });
        }
        Ok(())
    }

    /// Checks an OffsetFetch v9+ that names a member.
    pub(crate) fn validate_offset_fetch(
        &self,
        member_id: Option<&str>,
        epoch: i32,
    ) -> Result<(), GroupError> {
        if member_id.is_none() && epoch < 0 {
            return Ok(());
        }
        let id = member_id.unwrap_or_default();
        let member = self
            .members
            .get(id)
            .ok_or_else(|| GroupError::unknown_member(&self.id, id))?;
        if epoch != member.epoch {
            return Err(GroupError::StaleMemberEpoch {
                member_id: id.to_owned(),
                sent: epoch,
                current: member.epoch,
            });
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests;
