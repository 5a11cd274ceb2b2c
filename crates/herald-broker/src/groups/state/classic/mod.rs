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

mod join;
mod members;

use std::collections::{BTreeMap, HashMap};

use bytes::Bytes;
use tokio::sync::oneshot;

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
    /// The leader must not compute a new assignment (a static leader came
    /// back to a stable group; JoinGroup v9's `skip_assignment`).
    pub skip_assignment: bool,
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

    pub(super) fn next_seq(&mut self) -> u64 {
        self.next_seq += 1;
        self.next_seq
    }

    pub(super) fn set_state(&mut self, state: ClassicState, now: i64) {
        self.state = state;
        self.state_since = now;
    }

    pub(super) fn validate_member(
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

    pub(super) fn rebalance_timeout(&self) -> i64 {
        self.members
            .values()
            .map(|m| i64::from(m.info.rebalance_timeout_ms))
            .max()
            .unwrap_or(0)
    }

    /// Answers every parked join and sync with NOT_COORDINATOR (the
    /// coordinator is going away).
    pub(crate) fn shutdown(&mut self) {
        for m in self.members.values_mut() {
            m.fail_waiters(&GroupError::NotCoordinator);
        }
    }
}

#[cfg(test)]
mod tests;
