//! SyncGroup, Heartbeat, LeaveGroup, offset-commit checks, and the
//! timeouts that remove members.

use std::collections::HashMap;

use bytes::Bytes;
use tokio::sync::oneshot;

use super::{ClassicGroup, ClassicState, SyncRequest, SyncResult, Synced};
use crate::groups::error::GroupError;
use crate::groups::state::Reply;

impl ClassicGroup {
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
    pub(super) fn remove_member(&mut self, member_id: &str, now: i64) {
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

    pub(super) fn drop_member(&mut self, member_id: &str) {
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
}
