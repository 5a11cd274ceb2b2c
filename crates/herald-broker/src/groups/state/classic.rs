//! The classic group protocol (JoinGroup, SyncGroup, Heartbeat, LeaveGroup)
//! as a pure state machine: no sockets and no clock. Every call takes `now`
//! in milliseconds; [`ClassicGroup::tick`] applies the timeouts that are due.
//!
//! States follow Kafka's: `Empty` → `PreparingRebalance` (members (re)join)
//! → `CompletingRebalance` (the leader computes assignments) → `Stable`
//! (SyncGroup handed every member its assignment). The generation id goes up
//! by one each time a rebalance completes, also when it leaves the group empty.
//!
//! A join or sync that has to wait for other members gets a
//! [`Reply::Pending`] receiver; the state machine completes it when the
//! rebalance moves on (or fails it, e.g. with REBALANCE_IN_PROGRESS).

use std::collections::{BTreeMap, HashMap};

use bytes::Bytes;
use tokio::sync::oneshot;

use super::Reply;
use crate::groups::GroupConfig;
use crate::groups::error::GroupError;

/// A classic group's state, named as Kafka names it in ListGroups and DescribeGroups.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ClassicState {
    /// No members (offsets may remain).
    Empty,
    /// Waiting for members to (re)join.
    PreparingRebalance,
    /// Joined; waiting for the leader's SyncGroup.
    CompletingRebalance,
    /// Every member has (or can fetch) its assignment.
    Stable,
}

impl ClassicState {
    /// Kafka's name for the state.
    pub(crate) fn name(self) -> &'static str {
        match self {
            ClassicState::Empty => "Empty",
            ClassicState::PreparingRebalance => "PreparingRebalance",
            ClassicState::CompletingRebalance => "CompletingRebalance",
            ClassicState::Stable => "Stable",
        }
    }
}

/// One protocol a member supports (name and its opaque metadata, for a
/// consumer the serialized subscription).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Protocol {
    pub name: String,
    pub metadata: Bytes,
}

/// A JoinGroup request, without the wire types.
#[derive(Debug, Clone)]
pub(crate) struct JoinRequest {
    pub member_id: String,
    pub instance_id: Option<String>,
    pub client_id: String,
    pub client_host: String,
    pub session_timeout_ms: i32,
    pub rebalance_timeout_ms: i32,
    pub protocol_type: String,
    pub protocols: Vec<Protocol>,
    /// JoinGroup v4+ from a dynamic member: KIP-394's two-step join.
    pub require_known_member_id: bool,
}

/// A member as the leader sees it in its JoinGroup response.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct JoinedMember {
    pub member_id: String,
    pub instance_id: Option<String>,
    pub metadata: Bytes,
}

/// A successful JoinGroup.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Joined {
    pub generation_id: i32,
    pub protocol_type: Option<String>,
    pub protocol_name: Option<String>,
    pub leader: String,
    pub member_id: String,
    /// Every member with its metadata, for the leader only.
    pub members: Vec<JoinedMember>,
}

/// The outcome of a JoinGroup.
pub(crate) type JoinResult = Result<Joined, GroupError>;

/// A SyncGroup request, without the wire types.
#[derive(Debug, Clone)]
pub(crate) struct SyncRequest {
    pub member_id: String,
    pub instance_id: Option<String>,
    pub generation_id: i32,
    pub protocol_type: Option<String>,
    pub protocol_name: Option<String>,
    /// The leader's assignments by member id (empty from followers).
    pub assignments: Vec<(String, Bytes)>,
}

/// A successful SyncGroup: this member's assignment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Synced {
    pub protocol_type: Option<String>,
    pub protocol_name: Option<String>,
    pub assignment: Bytes,
}

/// The outcome of a SyncGroup.
pub(crate) type SyncResult = Result<Synced, GroupError>;

/// A member as DescribeGroups and the persisted snapshot see it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct MemberInfo {
    pub member_id: String,
    pub instance_id: Option<String>,
    pub client_id: String,
    pub client_host: String,
    pub session_timeout_ms: i32,
    pub rebalance_timeout_ms: i32,
    pub protocols: Vec<Protocol>,
    pub assignment: Bytes,
}

/// What survives a restart of a classic group (written when it becomes
/// Stable or Empty).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ClassicSnapshot {
    pub protocol_type: Option<String>,
    pub generation: i32,
    pub protocol: Option<String>,
    pub leader: Option<String>,
    pub members: Vec<MemberInfo>,
}

#[derive(Debug)]
struct Member {
    info: MemberInfo,
    /// Join order: the earliest remaining member becomes leader when needed.
    seq: u64,
    join_waiter: Option<oneshot::Sender<JoinResult>>,
    sync_waiter: Option<oneshot::Sender<SyncResult>>,
    /// Sent SyncGroup for the current generation.
    synced: bool,
    /// When the session expires without a heartbeat.
    deadline: i64,
}

impl Member {
    fn fail_waiters(&mut self, error: &GroupError) {
        if let Some(w) = self.join_waiter.take() {
            let _ = w.send(Err(error.clone()));
        }
        if let Some(w) = self.sync_waiter.take() {
            let _ = w.send(Err(error.clone()));
        }
    }

    fn metadata_for(&self, protocol: &str) -> Bytes {
        self.info
            .protocols
            .iter()
            .find(|p| p.name == protocol)
            .map(|p| p.metadata.clone())
            .unwrap_or_default()
    }
}

/// The first rebalance of an empty group waits `group.initial.rebalance.delay.ms`
/// for more members, extended while new ones keep arriving.
#[derive(Debug, Clone, Copy)]
struct InitialDelay {
    until: i64,
    remaining: i64,
    new_member_added: bool,
}

/// One classic group.
#[derive(Debug)]
pub(crate) struct ClassicGroup {
    id: String,
    state: ClassicState,
    state_since: i64,
    generation: i32,
    protocol_type: Option<String>,
    protocol: Option<String>,
    leader: Option<String>,
    members: BTreeMap<String, Member>,
    statics: HashMap<String, String>,
    /// KIP-394 members told MEMBER_ID_REQUIRED, with when that offer expires.
    pending: HashMap<String, i64>,
    rebalance_deadline: i64,
    initial_delay: Option<InitialDelay>,
    sync_deadline: Option<i64>,
    next_seq: u64,
    initial_rebalance_delay_ms: i64,
    dirty: bool,
}

impl ClassicGroup {
    /// A new empty group.
    pub(crate) fn new(id: &str, now: i64, config: &GroupConfig) -> Self {
        ClassicGroup {
            id: id.to_owned(),
            state: ClassicState::Empty,
            state_since: now,
            generation: 0,
            protocol_type: None,
            protocol: None,
            leader: None,
            members: BTreeMap::new(),
            statics: HashMap::new(),
            pending: HashMap::new(),
            rebalance_deadline: 0,
            initial_delay: None,
            sync_deadline: None,
            next_seq: 0,
            initial_rebalance_delay_ms: i64::from(config.initial_rebalance_delay_ms.max(0)),
            dirty: false,
        }
    }

    /// A group restored from its snapshot: Stable with its members (their
    /// sessions restart now), or Empty.
    pub(crate) fn restore(
        id: &str,
        snapshot: ClassicSnapshot,
        now: i64,
        config: &GroupConfig,
    ) -> Self {
        let mut group = ClassicGroup::new(id, now, config);
        group.generation = snapshot.generation;
        group.protocol_type = snapshot.protocol_type;
        group.protocol = snapshot.protocol;
        group.leader = snapshot.leader;
        for info in snapshot.members {
            let seq = group.next_seq();
            if let Some(instance) = &info.instance_id {
                group
                    .statics
                    .insert(instance.clone(), info.member_id.clone());
            }
            let deadline = now + i64::from(info.session_timeout_ms);
            group.members.insert(
                info.member_id.clone(),
                Member {
                    info,
                    seq,
                    join_waiter: None,
                    sync_waiter: None,
                    synced: true,
                    deadline,
                },
            );
        }
        if !group.members.is_empty() && group.protocol.is_some() {
            group.state = ClassicState::Stable;
        } else {
            group.members.clear();
            group.statics.clear();
            group.leader = None;
        }
        group
    }

    /// The snapshot to persist.
    pub(crate) fn snapshot(&self) -> ClassicSnapshot {
        ClassicSnapshot {
            protocol_type: self.protocol_type.clone(),
            generation: self.generation,
            protocol: self.protocol.clone(),
            leader: self.leader.clone(),
            members: self.members.values().map(|m| m.info.clone()).collect(),
        }
    }

    /// True once since the last call if the group reached a state worth
    /// persisting (Stable or Empty with a new generation or membership).
    pub(crate) fn take_dirty(&mut self) -> bool {
        std::mem::take(&mut self.dirty)
    }

    pub(crate) fn state(&self) -> ClassicState {
        self.state
    }

    /// Since when the group is in its current state (ms).
    pub(crate) fn state_since(&self) -> i64 {
        self.state_since
    }

    #[cfg(test)]
    pub(crate) fn generation(&self) -> i32 {
        self.generation
    }

    pub(crate) fn protocol_type(&self) -> Option<&str> {
        self.protocol_type.as_deref()
    }

    pub(crate) fn protocol(&self) -> Option<&str> {
        self.protocol.as_deref()
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.members.is_empty()
    }

    #[cfg(test)]
    pub(crate) fn has_member(&self, member_id: &str) -> bool {
        self.members.contains_key(member_id)
    }

    /// The members, in member-id order.
    pub(crate) fn members(&self) -> impl Iterator<Item = &MemberInfo> {
        self.members.values().map(|m| &m.info)
    }

    /// The subscription metadata of each member for the selected protocol.
    pub(crate) fn member_metadata(&self) -> Vec<Bytes> {
        let Some(protocol) = &self.protocol else {
            return Vec::new();
        };
        self.members
            .values()
            .map(|m| m.metadata_for(protocol))
            .collect()
    }

    fn next_seq(&mut self) -> u64 {
        self.next_seq += 1;
        self.next_seq
    }

    fn set_state(&mut self, state: ClassicState, now: i64) {
        self.state = state;
        self.state_since = now;
    }

    /// Handles a JoinGroup.
    pub(crate) fn join(&mut self, req: JoinRequest, now: i64) -> Reply<JoinResult> {
        if req.member_id.is_empty() {
            self.join_new(req, now)
        } else {
            self.join_known(req, now)
        }
    }

    fn join_new(&mut self, req: JoinRequest, now: i64) -> Reply<JoinResult> {
        if let Err(e) = self.check_protocols(&req, None) {
            return Reply::Ready(Err(e));
        }
        let prefix = req.instance_id.as_deref().unwrap_or(&req.client_id);
        let member_id = format!("{prefix}-{}", herald_log::Uuid::new_v4());
        if let Some(instance) = req.instance_id.clone() {
            if let Some(old) = self.statics.get(&instance).cloned() {
                return self.replace_static(&old, member_id, req, now);
            }
            return self.add_member(member_id, req, now);
        }
        if req.require_known_member_id {
            let expiry = now + i64::from(req.session_timeout_ms);
            self.pending.insert(member_id.clone(), expiry);
            return Reply::Ready(Err(GroupError::MemberIdRequired { member_id }));
        }
        self.add_member(member_id, req, now)
    }

    fn join_known(&mut self, req: JoinRequest, now: i64) -> Reply<JoinResult> {
        let member_id = req.member_id.clone();
        if self.pending.contains_key(&member_id) {
            if let Err(e) = self.check_protocols(&req, None) {
                return Reply::Ready(Err(e));
            }
            return self.add_member(member_id, req, now);
        }
        if let Err(e) = self.validate_member(&member_id, req.instance_id.as_deref()) {
            return Reply::Ready(Err(e));
        }
        if let Err(e) = self.check_protocols(&req, Some(&member_id)) {
            return Reply::Ready(Err(e));
        }
        match self.state {
            ClassicState::Empty => {
                Reply::Ready(Err(GroupError::unknown_member(&self.id, &member_id)))
            }
            ClassicState::PreparingRebalance => {
                let rx = self.update_and_wait(&member_id, req, now);
                self.maybe_complete_join(now);
                Reply::Pending(rx)
            }
            ClassicState::CompletingRebalance | ClassicState::Stable => {
                let unchanged = self
                    .members
                    .get(&member_id)
                    .is_some_and(|m| m.info.protocols == req.protocols);
                let is_leader = self.leader.as_deref() == Some(member_id.as_str());
                let stable = self.state == ClassicState::Stable;
                if unchanged && !(stable && is_leader) {
                    // Nothing to rebalance: answer with the current generation.
                    if let Some(m) = self.members.get_mut(&member_id) {
                        m.deadline = now + i64::from(m.info.session_timeout_ms);
                    }
                    Reply::Ready(Ok(self.joined_for(&member_id)))
                } else {
                    let rx = self.update_and_wait(&member_id, req, now);
                    self.prepare_rebalance(now);
                    self.maybe_complete_join(now);
                    Reply::Pending(rx)
                }
            }
        }
    }

    /// Updates a known member from its JoinGroup and parks the join.
    fn update_and_wait(
        &mut self,
        member_id: &str,
        req: JoinRequest,
        now: i64,
    ) -> oneshot::Receiver<JoinResult> {
        let (tx, rx) = oneshot::channel();
        let group_id = self.id.clone();
        if let Some(m) = self.members.get_mut(member_id) {
            if let Some(old) = m.join_waiter.take() {
                let _ = old.send(Err(GroupError::rebalancing(&group_id)));
            }
            m.info.client_id = req.client_id;
            m.info.client_host = req.client_host;
            m.info.session_timeout_ms = req.session_timeout_ms;
            m.info.rebalance_timeout_ms = req.rebalance_timeout_ms;
            m.info.protocols = req.protocols;
            m.deadline = now + i64::from(m.info.session_timeout_ms);
            m.join_waiter = Some(tx);
        }
        rx
    }

    fn add_member(&mut self, member_id: String, req: JoinRequest, now: i64) -> Reply<JoinResult> {
        self.pending.remove(&member_id);
        let (tx, rx) = oneshot::channel();
        let seq = self.next_seq();
        if self.members.is_empty() {
            self.protocol_type = Some(req.protocol_type.clone());
        }
        if let Some(instance) = &req.instance_id {
            self.statics.insert(instance.clone(), member_id.clone());
        }
        let info = MemberInfo {
            member_id: member_id.clone(),
            instance_id: req.instance_id,
            client_id: req.client_id,
            client_host: req.client_host,
            session_timeout_ms: req.session_timeout_ms,
            rebalance_timeout_ms: req.rebalance_timeout_ms,
            protocols: req.protocols,
            assignment: Bytes::new(),
        };
        let deadline = now + i64::from(info.session_timeout_ms);
        self.members.insert(
            member_id,
            Member {
                info,
                seq,
                join_waiter: Some(tx),
                sync_waiter: None,
                synced: false,
                deadline,
            },
        );
        if let Some(delay) = &mut self.initial_delay {
            delay.new_member_added = true;
        }
        self.prepare_rebalance(now);
        self.maybe_complete_join(now);
        Reply::Pending(rx)
    }

    /// A static member came back with a new member id: it takes over the old
    /// member's place (and assignment); the old id is fenced.
    fn replace_static(
        &mut self,
        old_id: &str,
        new_id: String,
        req: JoinRequest,
        now: i64,
    ) -> Reply<JoinResult> {
        let Some(mut old) = self.members.remove(old_id) else {
            self.statics
                .remove(req.instance_id.as_deref().unwrap_or_default());
            return self.add_member(new_id, req, now);
        };
        let fenced = GroupError::FencedInstance {
            instance_id: req.instance_id.clone().unwrap_or_default(),
            member_id: old_id.to_owned(),
        };
        old.fail_waiters(&fenced);
        let unchanged = old.info.protocols == req.protocols;
        old.info.member_id = new_id.clone();
        old.info.client_id = req.client_id.clone();
        old.info.client_host = req.client_host.clone();
        old.info.session_timeout_ms = req.session_timeout_ms;
        old.info.rebalance_timeout_ms = req.rebalance_timeout_ms;
        old.info.protocols = req.protocols.clone();
        old.deadline = now + i64::from(req.session_timeout_ms);
        if let Some(instance) = &req.instance_id {
            self.statics.insert(instance.clone(), new_id.clone());
        }
        if self.leader.as_deref() == Some(old_id) {
            self.leader = Some(new_id.clone());
        }
        self.members.insert(new_id.clone(), old);
        match self.state {
            ClassicState::Stable if unchanged => {
                // The group keeps its assignment; only the id changed.
                self.dirty = true;
                let mut joined = self.joined_for(&new_id);
                joined.members.clear();
                Reply::Ready(Ok(joined))
            }
            _ => {
                let rx = self.update_and_wait(&new_id, req, now);
                self.prepare_rebalance(now);
                self.maybe_complete_join(now);
                Reply::Pending(rx)
            }
        }
    }

    /// The join response for `member_id` at the current generation.
    fn joined_for(&self, member_id: &str) -> Joined {
        let leader = self.leader.clone().unwrap_or_default();
        let members = if leader == member_id {
            self.leader_view()
        } else {
            Vec::new()
        };
        Joined {
            generation_id: self.generation,
            protocol_type: self.protocol_type.clone(),
            protocol_name: self.protocol.clone(),
            leader,
            member_id: member_id.to_owned(),
            members,
        }
    }

    fn leader_view(&self) -> Vec<JoinedMember> {
        let protocol = self.protocol.clone().unwrap_or_default();
        let mut members: Vec<&Member> = self.members.values().collect();
        members.sort_by_key(|m| m.seq);
        members
            .into_iter()
            .map(|m| JoinedMember {
                member_id: m.info.member_id.clone(),
                instance_id: m.info.instance_id.clone(),
                metadata: m.metadata_for(&protocol),
            })
            .collect()
    }

    /// Kafka's `supportsProtocols`: an empty group takes any non-empty
    /// protocol list; otherwise the type must match and one protocol must be
    /// supported by every member.
    fn check_protocols(&self, req: &JoinRequest, member: Option<&str>) -> Result<(), GroupError> {
        if req.protocol_type.is_empty() || req.protocols.is_empty() {
            return Err(GroupError::inconsistent(
                &self.id,
                "protocol type and protocols must not be empty",
            ));
        }
        let others: Vec<&Member> = self
            .members
            .values()
            .filter(|m| Some(m.info.member_id.as_str()) != member)
            .collect();
        if others.is_empty() {
            return Ok(());
        }
        if self.protocol_type.as_deref() != Some(req.protocol_type.as_str()) {
            return Err(GroupError::inconsistent(
                &self.id,
                format!(
                    "protocol type `{}` differs from the group's `{}`",
                    req.protocol_type,
                    self.protocol_type.as_deref().unwrap_or_default()
                ),
            ));
        }
        let common = req.protocols.iter().any(|p| {
            others
                .iter()
                .all(|m| m.info.protocols.iter().any(|q| q.name == p.name))
        });
        if common {
            Ok(())
        } else {
            Err(GroupError::inconsistent(
                &self.id,
                "no protocol in common with the other members",
            ))
        }
    }

    fn validate_member(
        &self,
        member_id: &str,
        instance_id: Option<&str>,
    ) -> Result<(), GroupError> {
        if let Some(instance) = instance_id {
            match self.statics.get(instance) {
                Some(owner) if owner != member_id => {
                    return Err(GroupError::FencedInstance {
                        instance_id: instance.to_owned(),
                        member_id: member_id.to_owned(),
                    });
                }
                Some(_) => {}
                None => return Err(GroupError::unknown_member(&self.id, member_id)),
            }
        }
        if self.members.contains_key(member_id) {
            Ok(())
        } else {
            Err(GroupError::unknown_member(&self.id, member_id))
        }
    }

    /// Moves to PreparingRebalance (a no-op if already there). Pending syncs
    /// are failed with REBALANCE_IN_PROGRESS.
    fn prepare_rebalance(&mut self, now: i64) {
        if self.state == ClassicState::PreparingRebalance {
            return;
        }
        let rebalancing = GroupError::rebalancing(&self.id);
        for m in self.members.values_mut() {
            if let Some(w) = m.sync_waiter.take() {
                let _ = w.send(Err(rebalancing.clone()));
            }
        }
        let timeout = self.rebalance_timeout();
        if self.state == ClassicState::Empty && self.initial_rebalance_delay_ms > 0 {
            let delay = self.initial_rebalance_delay_ms;
            self.initial_delay = Some(InitialDelay {
                until: now + delay,
                remaining: (timeout - delay).max(0),
                new_member_added: false,
            });
        } else {
            self.initial_delay = None;
        }
        self.rebalance_deadline = now + timeout;
        self.sync_deadline = None;
        self.set_state(ClassicState::PreparingRebalance, now);
    }

    fn rebalance_timeout(&self) -> i64 {
        self.members
            .values()
            .map(|m| i64::from(m.info.rebalance_timeout_ms))
            .max()
            .unwrap_or(0)
    }

    /// Completes the join phase once every member has rejoined and no
    /// MEMBER_ID_REQUIRED member is outstanding (not during the initial delay).
    fn maybe_complete_join(&mut self, now: i64) {
        if self.state != ClassicState::PreparingRebalance || self.initial_delay.is_some() {
            return;
        }
        let all_joined = self.members.values().all(|m| m.join_waiter.is_some());
        if all_joined && self.pending.is_empty() {
            self.complete_join(now);
        }
    }

    /// Ends the join phase: members that did not rejoin are dropped (static
    /// ones are kept, as Kafka does), the generation advances, a protocol
    /// and a leader are chosen, and every waiting join is answered.
    fn complete_join(&mut self, now: i64) {
        self.initial_delay = None;
        let gone: Vec<String> = self
            .members
            .values()
            .filter(|m| m.join_waiter.is_none() && m.info.instance_id.is_none())
            .map(|m| m.info.member_id.clone())
            .collect();
        for id in gone {
            self.drop_member(&id);
        }
        self.generation += 1;
        if self.members.is_empty() {
            self.protocol = None;
            self.leader = None;
            self.set_state(ClassicState::Empty, now);
            self.dirty = true;
            return;
        }
        self.protocol = self.select_protocol();
        let leader_ok = self
            .leader
            .as_ref()
            .is_some_and(|l| self.members.get(l).is_some_and(|m| m.join_waiter.is_some()));
        if !leader_ok {
            let mut candidates: Vec<&Member> = self.members.values().collect();
            candidates.sort_by_key(|m| (m.join_waiter.is_none(), m.seq));
            self.leader = candidates.first().map(|m| m.info.member_id.clone());
        }
        self.set_state(ClassicState::CompletingRebalance, now);
        self.sync_deadline = Some(now + self.rebalance_timeout());
        let ids: Vec<String> = self.members.keys().cloned().collect();
        for id in ids {
            let joined = self.joined_for(&id);
            if let Some(m) = self.members.get_mut(&id) {
                m.synced = false;
                m.info.assignment = Bytes::new();
                m.deadline = now + i64::from(m.info.session_timeout_ms);
                if let Some(w) = m.join_waiter.take() {
                    let _ = w.send(Ok(joined));
                }
            }
        }
    }

    /// The protocol every member supports that most members prefer.
    fn select_protocol(&self) -> Option<String> {
        let first = self.members.values().next()?;
        let candidates: Vec<&str> = first
            .info
            .protocols
            .iter()
            .map(|p| p.name.as_str())
            .filter(|name| {
                self.members
                    .values()
                    .all(|m| m.info.protocols.iter().any(|p| p.name == *name))
            })
            .collect();
        let mut votes: BTreeMap<&str, usize> = BTreeMap::new();
        for m in self.members.values() {
            if let Some(choice) = m
                .info
                .protocols
                .iter()
                .find(|p| candidates.contains(&p.name.as_str()))
            {
                *votes.entry(choice.name.as_str()).or_default() += 1;
            }
        }
        // Most votes; ties go to the name that sorts first.
        let best = votes.values().copied().max()?;
        votes
            .into_iter()
            .find(|(_, n)| *n == best)
            .map(|(name, _)| name.to_owned())
    }

    /// Handles a SyncGroup.
    pub(crate) fn sync(&mut self, req: SyncRequest, now: i64) -> Reply<SyncResult> {
        if let Err(e) = self.validate_member(&req.member_id, req.instance_id.as_deref()) {
            return Reply::Ready(Err(e));
        }
        if req.generation_id != self.generation {
            return Reply::Ready(Err(GroupError::IllegalGeneration {
                group_id: self.id.clone(),
                sent: req.generation_id,
                current: self.generation,
            }));
        }
        if req.protocol_type.is_some() && req.protocol_type != self.protocol_type {
            return Reply::Ready(Err(GroupError::inconsistent(
                &self.id,
                "protocol type differs from the group's",
            )));
        }
        if req.protocol_name.is_some() && req.protocol_name != self.protocol {
            return Reply::Ready(Err(GroupError::inconsistent(
                &self.id,
                "protocol name differs from the one selected",
            )));
        }
        match self.state {
            ClassicState::Empty => {
                Reply::Ready(Err(GroupError::unknown_member(&self.id, &req.member_id)))
            }
            ClassicState::PreparingRebalance => {
                Reply::Ready(Err(GroupError::rebalancing(&self.id)))
            }
            ClassicState::Stable => {
                let synced = self.synced_for(&req.member_id);
                if let Some(m) = self.members.get_mut(&req.member_id) {
                    m.synced = true;
                    m.deadline = now + i64::from(m.info.session_timeout_ms);
                }
                Reply::Ready(Ok(synced))
            }
            ClassicState::CompletingRebalance => {
                let (tx, rx) = oneshot::channel();
                let group_id = self.id.clone();
                if let Some(m) = self.members.get_mut(&req.member_id) {
                    if let Some(old) = m.sync_waiter.take() {
                        let _ = old.send(Err(GroupError::rebalancing(&group_id)));
                    }
                    m.sync_waiter = Some(tx);
                    m.synced = true;
                    m.deadline = now + i64::from(m.info.session_timeout_ms);
                }
                if self.leader.as_deref() == Some(req.member_id.as_str()) {
                    self.complete_sync(req.assignments, now);
                }
                Reply::Pending(rx)
            }
        }
    }

    fn synced_for(&self, member_id: &str) -> Synced {
        Synced {
            protocol_type: self.protocol_type.clone(),
            protocol_name: self.protocol.clone(),
            assignment: self
                .members
                .get(member_id)
                .map(|m| m.info.assignment.clone())
                .unwrap_or_default(),
        }
    }

    /// The leader's assignments arrived: store them, become Stable and
    /// answer every waiting SyncGroup with that member's own bytes.
    fn complete_sync(&mut self, assignments: Vec<(String, Bytes)>, now: i64) {
        let mut by_member: HashMap<String, Bytes> = assignments.into_iter().collect();
        for m in self.members.values_mut() {
            m.info.assignment = by_member.remove(&m.info.member_id).unwrap_or_default();
        }
        self.set_state(ClassicState::Stable, now);
        self.dirty = true;
        let ids: Vec<String> = self.members.keys().cloned().collect();
        for id in ids {
            let synced = self.synced_for(&id);
            if let Some(w) = self.members.get_mut(&id).and_then(|m| m.sync_waiter.take()) {
                let _ = w.send(Ok(synced));
            }
        }
    }

    /// Handles a Heartbeat.
    pub(crate) fn heartbeat(
        &mut self,
        member_id: &str,
        instance_id: Option<&str>,
        generation_id: i32,
        now: i64,
    ) -> Result<(), GroupError> {
        self.validate_member(member_id, instance_id)?;
        if generation_id != self.generation {
            return Err(GroupError::IllegalGeneration {
                group_id: self.id.clone(),
                sent: generation_id,
                current: self.generation,
            });
        }
        if let Some(m) = self.members.get_mut(member_id) {
            m.deadline = now + i64::from(m.info.session_timeout_ms);
        }
        match self.state {
            ClassicState::Empty => Err(GroupError::unknown_member(&self.id, member_id)),
            ClassicState::PreparingRebalance => Err(GroupError::rebalancing(&self.id)),
            ClassicState::CompletingRebalance | ClassicState::Stable => Ok(()),
        }
    }

    /// Checks an offset commit or fetch made by a member of this group.
    /// A commit with generation < 0 and no member id is an admin commit,
    /// allowed only while the group is empty.
    pub(crate) fn validate_offset_commit(
        &mut self,
        member_id: &str,
        instance_id: Option<&str>,
        generation_id: i32,
        now: i64,
    ) -> Result<(), GroupError> {
        if generation_id < 0 && member_id.is_empty() && self.members.is_empty() {
            return Ok(());
        }
        self.validate_member(member_id, instance_id)?;
        if generation_id != self.generation {
            return Err(GroupError::IllegalGeneration {
                group_id: self.id.clone(),
                sent: generation_id,
                current: self.generation,
            });
        }
        if self.state == ClassicState::CompletingRebalance {
            return Err(GroupError::rebalancing(&self.id));
        }
        if let Some(m) = self.members.get_mut(member_id) {
            m.deadline = now + i64::from(m.info.session_timeout_ms);
        }
        Ok(())
    }

    /// Handles one member of a LeaveGroup (by member id, or by instance id
    /// for static members).
    pub(crate) fn leave(
        &mut self,
        member_id: &str,
        instance_id: Option<&str>,
        now: i64,
    ) -> Result<(), GroupError> {
        let target = match instance_id {
            Some(instance) => match self.statics.get(instance) {
                None => return Err(GroupError::unknown_member(&self.id, member_id)),
                Some(owner) if !member_id.is_empty() && owner != member_id => {
                    return Err(GroupError::FencedInstance {
                        instance_id: instance.to_owned(),
                        member_id: member_id.to_owned(),
                    });
                }
                Some(owner) => owner.clone(),
            },
            None => {
                if self.pending.remove(member_id).is_some() {
                    self.maybe_complete_join(now);
                    return Ok(());
                }
                member_id.to_owned()
            }
        };
        if !self.members.contains_key(&target) {
            return Err(GroupError::unknown_member(&self.id, member_id));
        }
        self.remove_member(&target, now);
        Ok(())
    }

    /// Removes a member and rebalances the others.
    fn remove_member(&mut self, member_id: &str, now: i64) {
        self.drop_member(member_id);
        match self.state {
            ClassicState::Empty => {}
            ClassicState::Stable | ClassicState::CompletingRebalance => {
                self.prepare_rebalance(now);
                self.maybe_complete_join(now);
            }
            ClassicState::PreparingRebalance => self.maybe_complete_join(now),
        }
    }

    fn drop_member(&mut self, member_id: &str) {
        if let Some(mut m) = self.members.remove(member_id) {
            m.fail_waiters(&GroupError::unknown_member(&self.id, member_id));
            if let Some(instance) = &m.info.instance_id
                && self.statics.get(instance).map(String::as_str) == Some(member_id)
            {
                self.statics.remove(instance);
            }
        }
        if self.leader.as_deref() == Some(member_id) {
            self.leader = None;
        }
    }

    /// Applies every timeout due at `now`: expired MEMBER_ID_REQUIRED offers,
    /// the end of the (initial) join phase, sessions without heartbeats and
    /// members that never sent SyncGroup.
    pub(crate) fn tick(&mut self, now: i64) {
        let before = self.pending.len();
        self.pending.retain(|_, expiry| *expiry > now);
        if self.pending.len() != before {
            self.maybe_complete_join(now);
        }
        if self.state == ClassicState::PreparingRebalance {
            match self.initial_delay {
                Some(mut delay) if now >= delay.until => {
                    if delay.new_member_added && delay.remaining > 0 {
                        let step = self.initial_rebalance_delay_ms.min(delay.remaining);
                        delay.until = now + step;
                        delay.remaining -= step;
                        delay.new_member_added = false;
                        self.initial_delay = Some(delay);
                    } else {
                        self.complete_join(now);
                    }
                }
                Some(_) => {}
                None if now >= self.rebalance_deadline => self.complete_join(now),
                None => {}
            }
        }
        let expired: Vec<String> = self
            .members
            .values()
            .filter(|m| m.join_waiter.is_none() && m.sync_waiter.is_none() && m.deadline <= now)
            .map(|m| m.info.member_id.clone())
            .collect();
        for id in expired {
            tracing::info!(group = %self.id, member = %id, "session expired; removing member");
            self.remove_member(&id, now);
        }
        if let Some(deadline) = self.sync_deadline
            && now >= deadline
        {
            self.sync_deadline = None;
            if matches!(
                self.state,
                ClassicState::CompletingRebalance | ClassicState::Stable
            ) {
                let unsynced: Vec<String> = self
                    .members
                    .values()
                    .filter(|m| !m.synced)
                    .map(|m| m.info.member_id.clone())
                    .collect();
                for id in unsynced {
                    tracing::info!(group = %self.id, member = %id, "no SyncGroup before the rebalance timeout; removing member");
                    self.remove_member(&id, now);
                }
            }
        }
    }

    /// Fails every parked join and sync (the coordinator is going away).
    pub(crate) fn shutdown(&mut self) {
        let error = GroupError::Storage("the broker is shutting down".to_owned());
        for m in self.members.values_mut() {
            m.fail_waiters(&error);
        }
    }
}

#[cfg(test)]
#[path = "classic_tests.rs"]
mod tests;
