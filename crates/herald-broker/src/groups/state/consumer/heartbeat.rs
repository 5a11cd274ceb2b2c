//! One ConsumerGroupHeartbeat: finding (or creating, or replacing) the
//! member, updating its subscription, bumping the group epoch, recomputing
//! the target assignment, and reconciling the member; and leaving.

use herald_log::Uuid;

use super::{ConsumerGroup, ConsumerHeartbeat, ConsumerMember, HeartbeatOk, STATIC_LEAVE_EPOCH};
use crate::groups::GroupConfig;
use crate::groups::error::GroupError;
use crate::groups::state::assignor::Assignment;
use crate::groups::state::reconcile::{Inputs, MemberState, reconcile};
use crate::groups::state::topics::TopicsView;

fn is_subset(owned: Option<&Assignment>, assigned: &Assignment) -> bool {
    let Some(owned) = owned else {
        return false;
    };
    owned.iter().all(|(t, ps)| {
        assigned
            .get(t)
            .is_some_and(|a| ps.iter().all(|p| a.contains(p)))
    })
}

impl ConsumerGroup {
    fn check_epoch(
        member: &ConsumerMember,
        sent: i32,
        owned: Option<&Assignment>,
    ) -> Result<(), GroupError> {
        let fenced = || GroupError::FencedMemberEpoch {
            member_id: member.member_id.clone(),
            sent,
            current: member.epoch,
        };
        if sent > member.epoch {
            return Err(fenced());
        }
        // The previous epoch is accepted when the response that bumped it
        // may have been lost and the member holds nothing it should not.
        if sent < member.epoch
            && (sent != member.previous_epoch || !is_subset(owned, &member.assigned))
        {
            return Err(fenced());
        }
        Ok(())
    }

    /// Finds the member a heartbeat is about: `(member, id it replaces, is_new)`.
    fn find_member(
        &self,
        member_id: &str,
        req: &ConsumerHeartbeat,
    ) -> Result<(ConsumerMember, Option<String>, bool), GroupError> {
        let joining = req.member_epoch == 0;
        let rejoin = |m: &ConsumerMember| ConsumerMember {
            epoch: 0,
            previous_epoch: 0,
            state: MemberState::Stable,
            assigned: Assignment::new(),
            pending_revocation: Assignment::new(),
            ..m.clone()
        };
        if let Some(instance) = &req.instance_id
            && let Some(owner) = self.statics.get(instance)
        {
            let existing = self
                .members
                .get(owner)
                .ok_or_else(|| GroupError::unknown_member(&self.id, member_id))?;
            if !joining {
                if owner != member_id {
                    return Err(GroupError::FencedInstance {
                        instance_id: instance.clone(),
                        member_id: member_id.to_owned(),
                    });
                }
                Self::check_epoch(existing, req.member_epoch, req.owned.as_ref())?;
                return Ok((existing.clone(), None, false));
            }
            if owner == member_id {
                return Ok((rejoin(existing), None, false));
            }
            if existing.epoch != STATIC_LEAVE_EPOCH {
                return Err(GroupError::UnreleasedInstance {
                    instance_id: instance.clone(),
                    owner: owner.clone(),
                });
            }
            // The static member comes back under a new id and takes over
            // its previous incarnation's partitions.
            let replaced = ConsumerMember {
                member_id: member_id.to_owned(),
                epoch: 0,
                previous_epoch: 0,
                ..existing.clone()
            };
            return Ok((replaced, Some(owner.clone()), false));
        }
        match self.members.get(member_id) {
            Some(m) if joining => Ok((rejoin(m), None, false)),
            Some(m) => {
                Self::check_epoch(m, req.member_epoch, req.owned.as_ref())?;
                Ok((m.clone(), None, false))
            }
            None if joining => Ok((ConsumerMember::new(member_id), None, true)),
            None => Err(GroupError::unknown_member(&self.id, member_id)),
        }
    }

    /// Handles a ConsumerGroupHeartbeat (already checked by `consumer::validate`).
    pub(crate) fn heartbeat(
        &mut self,
        req: ConsumerHeartbeat,
        topics: &TopicsView,
        config: &GroupConfig,
        now: i64,
    ) -> Result<HeartbeatOk, GroupError> {
        if req.member_epoch < 0 {
            return self.leave(&req, config, now);
        }
        let member_id = if req.member_id.is_empty() {
            Uuid::new_v4().to_string()
        } else {
            req.member_id.clone()
        };
        if let Some(regex) = req
            .subscribed_topic_regex
            .as_deref()
            .filter(|r| !r.is_empty())
        {
            self.compiled(regex)?;
        }
        let (mut member, replaces, is_new) = self.find_member(&member_id, &req)?;
        let before = self.members.get(&member_id).cloned();
        // A static member taking over from its previous incarnation keeps
        // that incarnation's subscription: no new epoch unless it changed.
        let (old_names, old_regex) = (
            member.subscribed_topic_names.clone(),
            member.subscribed_topic_regex.clone(),
        );
        if let Some(v) = &req.instance_id {
            member.instance_id = Some(v.clone());
        }
        if let Some(v) = &req.rack_id {
            member.rack_id = Some(v.clone());
        }
        if req.rebalance_timeout_ms != -1 {
            member.rebalance_timeout_ms = req.rebalance_timeout_ms;
        }
        if let Some(v) = &req.server_assignor {
            member.server_assignor = Some(v.clone());
        }
        if let Some(names) = &req.subscribed_topic_names {
            let mut names = names.clone();
            names.sort();
            names.dedup();
            member.subscribed_topic_names = names;
        }
        if let Some(regex) = &req.subscribed_topic_regex {
            member.subscribed_topic_regex = Some(regex.clone()).filter(|r| !r.is_empty());
        }
        member.client_id = req.client_id.clone();
        member.client_host = req.client_host.clone();
        let subscription_changed = is_new
            || old_names != member.subscribed_topic_names
            || old_regex != member.subscribed_topic_regex;
        if let Some(old) = replaces {
            let target = self.target.remove(&old);
            self.members.remove(&old);
            self.release(&old);
            self.session_deadlines.remove(&old);
            self.revocation_deadlines.remove(&old);
            if let Some(t) = target {
                self.target.insert(member_id.clone(), t);
            }
        }
        self.put_member(member);

        let mut bump = self.group_epoch == 0 || subscription_changed;
        let metadata = self.subscription_metadata(topics);
        if metadata != self.subscription {
            self.subscription = metadata;
            bump = true;
        }
        if bump {
            self.group_epoch += 1;
            self.dirty = true;
        }
        if self.group_epoch > self.assignment_epoch {
            self.compute_target(topics);
            self.assignment_epoch = self.group_epoch;
            self.dirty = true;
        }

        let Some(mut member) = self.members.get(&member_id).cloned() else {
            return Err(GroupError::unknown_member(&self.id, &member_id));
        };
        let subscribed = self.resolve_ids(&member, topics);
        let target = self.target.get(&member_id).cloned().unwrap_or_default();
        let current = member.current();
        let next = {
            let owners = &self.owners;
            let held_by_other =
                |t: Uuid, p: i32| owners.get(&(t, p)).is_some_and(|o| *o != member_id);
            reconcile(
                &current,
                &Inputs {
                    target_epoch: self.assignment_epoch,
                    target: &target,
                    subscribed: &subscribed,
                    owned: req.owned.as_ref(),
                    held_by_other: &held_by_other,
                },
            )
        };
        if next != current {
            member.previous_epoch = member.epoch;
            member.epoch = next.epoch;
            member.state = next.state;
            member.assigned = next.assigned;
            member.pending_revocation = next.pending_revocation;
        }
        self.put_member(member.clone());
        self.session_deadlines.insert(
            member_id.clone(),
            now + i64::from(config.consumer_session_timeout_ms),
        );
        if member.state == MemberState::UnrevokedPartitions {
            self.revocation_deadlines
                .entry(member_id.clone())
                .or_insert(now + i64::from(member.rebalance_timeout_ms.max(0)));
        } else {
            self.revocation_deadlines.remove(&member_id);
        }
        if before.as_ref() != Some(&member) {
            self.dirty = true;
        }
        let full = req.member_epoch == 0
            || (req.rebalance_timeout_ms != -1
                && req.subscribed_topic_names.is_some()
                && req.owned.is_some());
        let changed = before
            .as_ref()
            .is_none_or(|b| b.assigned != member.assigned);
        Ok(HeartbeatOk {
            member_id,
            member_epoch: member.epoch,
            heartbeat_interval_ms: config.consumer_heartbeat_interval_ms,
            assignment: (full || changed).then(|| member.assigned.clone()),
        })
    }

    fn leave(
        &mut self,
        req: &ConsumerHeartbeat,
        config: &GroupConfig,
        now: i64,
    ) -> Result<HeartbeatOk, GroupError> {
        let member_id = match &req.instance_id {
            Some(instance) => match self.statics.get(instance) {
                None => return Err(GroupError::unknown_member(&self.id, &req.member_id)),
                Some(owner) if *owner != req.member_id => {
                    return Err(GroupError::FencedInstance {
                        instance_id: instance.clone(),
                        member_id: req.member_id.clone(),
                    });
                }
                Some(owner) => owner.clone(),
            },
            None if self.members.contains_key(&req.member_id) => req.member_id.clone(),
            None => return Err(GroupError::unknown_member(&self.id, &req.member_id)),
        };
        if req.member_epoch == STATIC_LEAVE_EPOCH {
            // Kept (with its partitions) until its session expires, so the
            // instance can come back without a rebalance.
            if let Some(mut m) = self.members.get(&member_id).cloned() {
                m.previous_epoch = m.epoch;
                m.epoch = STATIC_LEAVE_EPOCH;
                m.pending_revocation.clear();
                m.state = MemberState::Stable;
                self.put_member(m);
                self.dirty = true;
            }
            self.revocation_deadlines.remove(&member_id);
            self.session_deadlines.insert(
                member_id.clone(),
                now + i64::from(config.consumer_session_timeout_ms),
            );
        } else {
            self.remove_member(&member_id, now);
        }
        Ok(HeartbeatOk {
            member_id,
            member_epoch: req.member_epoch,
            heartbeat_interval_ms: 0,
            assignment: None,
        })
    }
}
