//! JoinGroup: new and returning members, the join phase, protocol and
//! leader selection, and the end of the join phase.

use std::collections::BTreeMap;

use bytes::Bytes;
use tokio::sync::oneshot;

use super::{
    ClassicGroup, ClassicState, InitialDelay, JoinRequest, JoinResult, Joined, JoinedMember,
    Member, MemberInfo,
};
use crate::groups::error::GroupError;
use crate::groups::state::Reply;

impl ClassicGroup {
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
                // The group keeps its assignment; only the id changed. A
                // returning leader sees the members but must not reassign
                // (its SyncGroup gets the stored assignment anyway).
                self.dirty = true;
                let mut joined = self.joined_for(&new_id);
                joined.skip_assignment = joined.leader == new_id;
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
    pub(super) fn joined_for(&self, member_id: &str) -> Joined {
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
            skip_assignment: false,
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

    /// Moves to PreparingRebalance (a no-op if already there). Pending syncs
    /// are failed with REBALANCE_IN_PROGRESS.
    pub(super) fn prepare_rebalance(&mut self, now: i64) {
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

    /// Completes the join phase once every member has rejoined and no
    /// MEMBER_ID_REQUIRED member is outstanding (not during the initial delay).
    pub(super) fn maybe_complete_join(&mut self, now: i64) {
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
    pub(super) fn complete_join(&mut self, now: i64) {
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
}
