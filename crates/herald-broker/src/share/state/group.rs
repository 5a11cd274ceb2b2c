//! Share-group membership (ShareGroupHeartbeat) as a pure state machine.
//!
//! The coordinator owns the assignment, as in KIP-848, but share groups
//! need no revocation: several members may hold the same partition, so a
//! member simply takes the newest target assignment with the newest epoch.
//! A change of membership, of a subscription or of the subscribed topics'
//! partitions bumps the group epoch; the target assignment is recomputed
//! once per epoch by the simple assignor (partitions spread round-robin
//! over the members subscribed to their topic; with more members than
//! partitions, members share partitions).

use std::collections::{BTreeMap, BTreeSet, HashMap};

use uuid::Uuid;

use super::partition::SharePartition;
use super::sessions::TopicPartition;
use crate::share::error::ShareError;

/// Partitions per topic id.
pub(crate) type Assignment = BTreeMap<Uuid, BTreeSet<i32>>;

/// Epoch a member sends to leave.
pub(crate) const LEAVE_EPOCH: i32 = -1;

/// The topics as the log has them now: name → (id, partitions).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Topics {
    by_name: BTreeMap<String, (Uuid, i32)>,
}

impl Topics {
    /// A view of `(name, id, partitions)` triples.
    pub(crate) fn new(topics: impl IntoIterator<Item = (String, Uuid, i32)>) -> Self {
        Topics {
            by_name: topics
                .into_iter()
                .map(|(name, id, partitions)| (name, (id, partitions)))
                .collect(),
        }
    }

    pub(crate) fn get(&self, name: &str) -> Option<(Uuid, i32)> {
        self.by_name.get(name).copied()
    }
}

/// A ShareGroupHeartbeat without the wire types; `None`: unchanged.
#[derive(Debug, Clone, Default)]
pub(crate) struct Heartbeat {
    pub member_id: String,
    pub member_epoch: i32,
    pub rack_id: Option<String>,
    pub subscribed_topic_names: Option<Vec<String>>,
    pub client_id: String,
    pub client_host: String,
}

/// A successful ShareGroupHeartbeat.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct HeartbeatOk {
    pub member_id: String,
    pub member_epoch: i32,
    pub heartbeat_interval_ms: i32,
    /// The member's whole assignment, when it changed or the member joined.
    pub assignment: Option<Assignment>,
}

/// One member.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ShareMember {
    pub member_id: String,
    pub epoch: i32,
    pub rack_id: Option<String>,
    pub client_id: String,
    pub client_host: String,
    pub subscribed: Vec<String>,
    pub assigned: Assignment,
    /// When it last heartbeated (not persisted: a restored member gets a
    /// whole session timeout to come back).
    pub last_seen: i64,
}

/// What `__share_group_state` keeps of a group's membership.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct GroupSnapshot {
    pub group_epoch: i32,
    pub assignment_epoch: i32,
    pub members: Vec<ShareMember>,
}

/// One share group.
#[derive(Debug, Clone, Default)]
pub(crate) struct ShareGroup {
    pub group_epoch: i32,
    pub assignment_epoch: i32,
    pub members: BTreeMap<String, ShareMember>,
    /// The subscribed topics the target assignment was computed for.
    subscription: BTreeMap<String, (Uuid, i32)>,
    target: BTreeMap<String, Assignment>,
    /// Its share-partitions.
    pub partitions: HashMap<TopicPartition, SharePartition>,
    /// The SPSO of each share-partition as last written to disk.
    pub durable_starts: HashMap<TopicPartition, i64>,
}

impl ShareGroup {
    /// Kafka's state name: `Empty` or `Stable`.
    pub(crate) fn state_name(&self) -> &'static str {
        if self.members.is_empty() {
            "Empty"
        } else {
            "Stable"
        }
    }

    /// Handles one heartbeat at `now`. `Ok((answer, membership changed))`.
    pub(crate) fn heartbeat(
        &mut self,
        group_id: &str,
        req: Heartbeat,
        topics: &Topics,
        heartbeat_interval_ms: i32,
        now: i64,
    ) -> Result<(HeartbeatOk, bool), ShareError> {
        let id = req.member_id.clone();
        let mut changed = false;
        let joining = req.member_epoch == 0;
        match req.member_epoch {
            LEAVE_EPOCH => {
                if self.members.remove(&id).is_none() {
                    return Err(ShareError::unknown_member(group_id, &id));
                }
                self.bump();
                self.refresh(topics);
                return Ok((
                    HeartbeatOk {
                        member_id: id,
                        member_epoch: LEAVE_EPOCH,
                        heartbeat_interval_ms,
                        assignment: None,
                    },
                    true,
                ));
            }
            0 => {
                let Some(subscribed) = &req.subscribed_topic_names else {
                    return Err(ShareError::invalid(
                        "SubscribedTopicNames must be set in the first request.",
                    ));
                };
                let subscribed = normalize(subscribed);
                let member = self.members.entry(id.clone()).or_insert_with(|| {
                    changed = true;
                    ShareMember {
                        member_id: id.clone(),
                        epoch: 0,
                        rack_id: None,
                        client_id: String::new(),
                        client_host: String::new(),
                        subscribed: Vec::new(),
                        assigned: Assignment::new(),
                        last_seen: now,
                    }
                });
                if member.subscribed != subscribed {
                    member.subscribed = subscribed;
                    changed = true;
                }
                member.epoch = 0;
            }
            e if e > 0 => {
                let member = self
                    .members
                    .get_mut(&id)
                    .ok_or_else(|| ShareError::unknown_member(group_id, &id))?;
                if member.epoch != e {
                    return Err(ShareError::FencedMemberEpoch {
                        member_id: id,
                        sent: e,
                        current: member.epoch,
                    });
                }
                if let Some(subscribed) = &req.subscribed_topic_names {
                    let subscribed = normalize(subscribed);
                    if member.subscribed != subscribed {
                        member.subscribed = subscribed;
                        changed = true;
                    }
                }
            }
            e => {
                return Err(ShareError::invalid(format!("invalid member epoch {e}")));
            }
        }
        let Some(member) = self.members.get_mut(&id) else {
            return Err(ShareError::unknown_member(group_id, &id));
        };
        member.last_seen = now;
        member.client_id = req.client_id;
        if !req.client_host.is_empty() {
            member.client_host = req.client_host;
        }
        if let Some(rack) = req.rack_id {
            changed |= member.rack_id.as_deref() != Some(rack.as_str());
            member.rack_id = Some(rack);
        }
        if changed {
            self.bump();
        }
        changed |= self.refresh(topics);
        let target_epoch = self.assignment_epoch;
        let target = self.target.get(&id).cloned().unwrap_or_default();
        let Some(member) = self.members.get_mut(&id) else {
            return Err(ShareError::unknown_member(group_id, &id));
        };
        let mut assignment = None;
        if joining || member.epoch != target_epoch || member.assigned != target {
            member.epoch = target_epoch;
            member.assigned = target.clone();
            assignment = Some(target);
            changed = true;
        }
        Ok((
            HeartbeatOk {
                member_id: id,
                member_epoch: target_epoch,
                heartbeat_interval_ms,
                assignment,
            },
            changed,
        ))
    }

    fn bump(&mut self) {
        self.group_epoch = self.group_epoch.saturating_add(1);
    }

    /// Recomputes the target assignment when the subscribed topics changed
    /// or the group epoch moved past the assignment's. True if it did.
    pub(crate) fn refresh(&mut self, topics: &Topics) -> bool {
        let wanted: BTreeSet<&str> = self
            .members
            .values()
            .flat_map(|m| m.subscribed.iter().map(String::as_str))
            .collect();
        let subscription: BTreeMap<String, (Uuid, i32)> = wanted
            .into_iter()
            .filter_map(|name| topics.get(name).map(|t| (name.to_owned(), t)))
            .collect();
        if subscription != self.subscription {
            self.subscription = subscription;
            self.bump();
        }
        if self.group_epoch <= self.assignment_epoch {
            return false;
        }
        self.target = assign(&self.members, &self.subscription);
        self.assignment_epoch = self.group_epoch;
        true
    }

    /// Removes the members silent for longer than `session_timeout_ms`;
    /// their ids.
    pub(crate) fn expire_members(&mut self, now: i64, session_timeout_ms: i32) -> Vec<String> {
        let gone: Vec<String> = self
            .members
            .values()
            .filter(|m| now.saturating_sub(m.last_seen) > i64::from(session_timeout_ms))
            .map(|m| m.member_id.clone())
            .collect();
        for id in &gone {
            self.members.remove(id);
        }
        if !gone.is_empty() {
            self.bump();
        }
        gone
    }

    /// The persisted membership.
    pub(crate) fn snapshot(&self) -> GroupSnapshot {
        GroupSnapshot {
            group_epoch: self.group_epoch,
            assignment_epoch: self.assignment_epoch,
            members: self.members.values().cloned().collect(),
        }
    }

    /// Restores membership from a snapshot at `now`; the target is
    /// recomputed at the next heartbeat.
    pub(crate) fn restore_members(&mut self, snapshot: GroupSnapshot, now: i64) {
        self.group_epoch = snapshot.group_epoch;
        self.assignment_epoch = snapshot.assignment_epoch;
        self.subscription.clear();
        self.target = snapshot
            .members
            .iter()
            .map(|m| (m.member_id.clone(), m.assigned.clone()))
            .collect();
        self.members = snapshot
            .members
            .into_iter()
            .map(|mut m| {
                m.last_seen = now;
                (m.member_id.clone(), m)
            })
            .collect();
    }
}

fn normalize(names: &[String]) -> Vec<String> {
    let set: BTreeSet<&str> = names
        .iter()
        .map(|n| n.as_str())
        .filter(|n| !n.is_empty())
        .collect();
    set.into_iter().map(str::to_owned).collect()
}

/// The simple assignor: per topic, its partitions round-robin over the
/// members subscribed to it (members in id order, continuing where the
/// previous topic stopped so extra partitions spread out); with more
/// members than partitions, member `i` gets partition `i % n`.
pub(crate) fn assign(
    members: &BTreeMap<String, ShareMember>,
    subscription: &BTreeMap<String, (Uuid, i32)>,
) -> BTreeMap<String, Assignment> {
    let mut out: BTreeMap<String, Assignment> = members
        .keys()
        .map(|m| (m.clone(), Assignment::new()))
        .collect();
    let mut cursor = 0usize;
    for (name, (id, count)) in subscription {
        let subs: Vec<&str> = members
            .values()
            .filter(|m| m.subscribed.iter().any(|s| s == name))
            .map(|m| m.member_id.as_str())
            .collect();
        let n = usize::try_from(*count).unwrap_or(0);
        if subs.is_empty() || n == 0 {
            continue;
        }
        let mut give = |member: &str, p: usize| {
            if let Some(a) = out.get_mut(member) {
                a.entry(*id).or_default().insert(p as i32);
            }
        };
        if n >= subs.len() {
            for p in 0..n {
                give(subs[(cursor + p) % subs.len()], p);
            }
            cursor += n;
        } else {
            for (i, m) in subs.iter().enumerate() {
                give(m, i % n);
            }
        }
    }
    out.retain(|_, a| !a.is_empty());
    out
}

#[cfg(test)]
#[path = "group_tests.rs"]
mod tests;
