//! The member's protocol loop: find the coordinator, JoinGroup (with the
//! member id the coordinator requires), SyncGroup (computing the
//! assignment when chosen as group leader), then Heartbeat at the interval
//! until a rebalance, a fence or a lost session sends it back to joining.

use std::sync::Arc;
use std::time::{Duration, Instant};

use kafka_protocol::error::ResponseError;
use kafka_protocol::messages::join_group_request::JoinGroupRequestProtocol;
use kafka_protocol::messages::leave_group_request::MemberIdentity;
use kafka_protocol::messages::sync_group_request::SyncGroupRequestAssignment;
use kafka_protocol::messages::{
    GroupId, HeartbeatRequest, JoinGroupRequest, LeaveGroupRequest, SyncGroupRequest,
};
use kafka_protocol::protocol::StrBytes;
use parking_lot::Mutex;
use tokio::sync::watch;

use super::{Assignor, Generation, GroupError, GroupSettings, JoinedMember, Membership};
use crate::share::cluster::Cluster;
use crate::share::conn::{Connection, REQUEST_TIMEOUT, timed};

const BACKOFF: Duration = Duration::from_millis(100);
const MAX_BACKOFF: Duration = Duration::from_secs(2);

/// What one step of the loop leads to.
enum Next {
    /// Join (again) now.
    Rejoin,
    /// Wait `Duration`, then try the same phase again.
    Retry(Duration),
}

pub(super) struct Session {
    cluster: Arc<Cluster>,
    settings: GroupSettings,
    assignor: Arc<dyn Assignor>,
    state: watch::Sender<Membership>,
    conn: Option<Connection>,
    member_id: String,
    backoff: Duration,
    /// What [`super::GroupMember::last_error`] reads.
    last_error: Arc<Mutex<Option<Arc<GroupError>>>>,
}

impl Session {
    pub(super) fn new(
        cluster: Arc<Cluster>,
        settings: GroupSettings,
        assignor: Arc<dyn Assignor>,
        state: watch::Sender<Membership>,
        last_error: Arc<Mutex<Option<Arc<GroupError>>>>,
    ) -> Session {
        Session {
            cluster,
            settings,
            assignor,
            state,
            conn: None,
            member_id: String::new(),
            backoff: BACKOFF,
            last_error,
        }
    }

    fn group(&self) -> GroupId {
        GroupId(StrBytes::from_string(self.settings.group_id.clone()))
    }

    fn publish(&self, membership: Membership) {
        self.state.send_if_modified(|now| {
            let changed = *now != membership;
            *now = membership;
            changed
        });
    }

    /// Joins and heartbeats until `stop` turns true, then leaves.
    pub(super) async fn run(mut self, mut stop: watch::Receiver<bool>) {
        let mut generation: Option<Generation> = None;
        let mut last_beat = Instant::now();
        while !*stop.borrow() {
            let next = match &generation {
                None => match self.join().await {
                    Ok(g) => {
                        tracing::info!(
                            group = %self.settings.group_id,
                            generation = g.generation_id,
                            member = %g.member_id,
                            "joined the group"
                        );
                        self.publish(Membership::Joined(g.clone()));
                        *self.last_error.lock() = None;
                        generation = Some(g);
                        last_beat = Instant::now();
                        self.backoff = BACKOFF;
                        Next::Retry(self.settings.heartbeat_interval)
                    }
                    Err(next) => next,
                },
                Some(g) => match self.heartbeat(g.generation_id).await {
                    Ok(()) => {
                        last_beat = Instant::now();
                        self.backoff = BACKOFF;
                        *self.last_error.lock() = None;
                        Next::Retry(self.settings.heartbeat_interval)
                    }
                    Err(Next::Rejoin) => {
                        generation = None;
                        self.publish(Membership::Joining);
                        Next::Rejoin
                    }
                    Err(next) => {
                        // Out of contact: once a whole session timeout has
                        // passed the coordinator has evicted us, so the
                        // assignment is no longer ours to act on.
                        if last_beat.elapsed() >= self.settings.session_timeout {
                            tracing::warn!(
                                group = %self.settings.group_id,
                                "no heartbeat accepted for a session timeout; rejoining"
                            );
                            generation = None;
                            self.publish(Membership::Joining);
                        }
                        next
                    }
                },
            };
            let wait = match next {
                Next::Rejoin => continue,
                Next::Retry(wait) => wait,
            };
            tokio::select! {
                _ = tokio::time::sleep(wait) => {}
                _ = stop.changed() => {}
            }
        }
        self.publish(Membership::Stopped);
        self.leave().await;
    }

    /// The wait before the next attempt after a failure, doubling each time.
    fn backoff(&mut self) -> Next {
        let wait = self.backoff;
        self.backoff = (self.backoff * 2).min(MAX_BACKOFF);
        Next::Retry(wait)
    }

    async fn connection(&mut self) -> Result<&mut Connection, GroupError> {
        if self.conn.is_none() {
            let address = self.cluster.coordinator(&self.settings.group_id).await?;
            self.conn = Some(self.cluster.connect(&address).await?);
        }
        self.conn.as_mut().ok_or_else(|| GroupError::Protocol {
            broker: String::new(),
            reason: "no coordinator connection".to_owned(),
        })
    }

    /// Handles a failed request: logs it, drops the connection when the
    /// coordinator moved or the connection is unusable, and says what next.
    fn failed(&mut self, operation: &str, e: GroupError) -> Next {
        let code = e.code();
        let coordinator_moved = code.is_some_and(|c| {
            c == ResponseError::NotCoordinator.code()
                || c == ResponseError::CoordinatorNotAvailable.code()
        });
        if code.is_none() || coordinator_moved {
            self.conn = None;
        }
        let mut last = self.last_error.lock();
        let repeated = last
            .as_ref()
            .is_some_and(|l| l.to_string() == e.to_string());
        if matches!(e, GroupError::Security { .. }) && !repeated {
            // Waiting does not fix a refused certificate or password: say
            // so once per distinct failure, not at every retry.
            tracing::warn!(group = %self.settings.group_id, operation, error = %e, "the group coordinator cannot be reached securely");
        } else {
            tracing::debug!(group = %self.settings.group_id, operation, error = %e, "group request failed");
        }
        *last = Some(Arc::new(e));
        drop(last);
        self.backoff()
    }

    async fn join(&mut self) -> Result<Generation, Next> {
        let request = JoinGroupRequest::default()
            .with_group_id(self.group())
            .with_session_timeout_ms(millis(self.settings.session_timeout))
            .with_rebalance_timeout_ms(millis(self.settings.rebalance_timeout))
            .with_member_id(StrBytes::from_string(self.member_id.clone()))
            .with_protocol_type(StrBytes::from_string(self.settings.protocol_type.clone()))
            .with_protocols(
                self.settings
                    .protocols
                    .iter()
                    .map(|(name, metadata)| {
                        JoinGroupRequestProtocol::default()
                            .with_name(StrBytes::from_string(name.clone()))
                            .with_metadata(metadata.clone())
                    })
                    .collect(),
            );
        // The coordinator holds a JoinGroup until the rebalance completes.
        let limit = self.settings.rebalance_timeout + Duration::from_secs(5);
        let response = match self.call("JoinGroup", limit, &request).await {
            Ok(r) => r,
            Err(e) => return Err(self.failed("JoinGroup", e)),
        };
        let code = response.error_code;
        if code == ResponseError::MemberIdRequired.code() {
            // KIP-394: join again with the id the coordinator handed out.
            self.member_id = response.member_id.to_string();
            return Err(Next::Rejoin);
        }
        if code == ResponseError::UnknownMemberId.code() {
            self.member_id.clear();
            return Err(Next::Rejoin);
        }
        if code == ResponseError::RebalanceInProgress.code() {
            return Err(Next::Rejoin);
        }
        if code != 0 {
            let e = GroupError::broker(
                format!("JoinGroup of group {:?}", self.settings.group_id),
                code,
                None,
            );
            if !is_retriable(code) {
                tracing::warn!(error = %e, "joining the group failed");
            }
            return Err(self.failed("JoinGroup", e));
        }
        self.member_id = response.member_id.to_string();
        let protocol = response
            .protocol_name
            .as_ref()
            .map(ToString::to_string)
            .or_else(|| self.settings.protocols.first().map(|(n, _)| n.clone()))
            .unwrap_or_default();
        let generation_id = response.generation_id;
        let group_leader = response.leader.to_string();
        let assignments = if group_leader == self.member_id && !response.skip_assignment {
            let members: Vec<JoinedMember> = response
                .members
                .iter()
                .map(|m| JoinedMember {
                    member_id: m.member_id.to_string(),
                    metadata: m.metadata.clone(),
                })
                .collect();
            self.assignor
                .assign(&protocol, &members)
                .into_iter()
                .map(|(member, bytes)| {
                    SyncGroupRequestAssignment::default()
                        .with_member_id(StrBytes::from_string(member))
                        .with_assignment(bytes)
                })
                .collect()
        } else {
            Vec::new()
        };
        let sync = SyncGroupRequest::default()
            .with_group_id(self.group())
            .with_generation_id(generation_id)
            .with_member_id(StrBytes::from_string(self.member_id.clone()))
            .with_protocol_type(Some(StrBytes::from_string(
                self.settings.protocol_type.clone(),
            )))
            .with_protocol_name(Some(StrBytes::from_string(protocol.clone())))
            .with_assignments(assignments);
        let response = match self.call("SyncGroup", limit, &sync).await {
            Ok(r) => r,
            Err(e) => return Err(self.failed("SyncGroup", e)),
        };
        let code = response.error_code;
        if code == ResponseError::UnknownMemberId.code() {
            self.member_id.clear();
            return Err(Next::Rejoin);
        }
        if code == ResponseError::RebalanceInProgress.code()
            || code == ResponseError::IllegalGeneration.code()
        {
            return Err(Next::Rejoin);
        }
        if code != 0 {
            let e = GroupError::broker(
                format!("SyncGroup of group {:?}", self.settings.group_id),
                code,
                None,
            );
            return Err(self.failed("SyncGroup", e));
        }
        Ok(Generation {
            generation_id,
            member_id: self.member_id.clone(),
            group_leader,
            protocol,
            assignment: response.assignment,
        })
    }

    /// One heartbeat. `Err(Next::Rejoin)` when the generation is over.
    async fn heartbeat(&mut self, generation_id: i32) -> Result<(), Next> {
        let request = HeartbeatRequest::default()
            .with_group_id(self.group())
            .with_generation_id(generation_id)
            .with_member_id(StrBytes::from_string(self.member_id.clone()));
        let response = match self.call("Heartbeat", REQUEST_TIMEOUT, &request).await {
            Ok(r) => r,
            Err(e) => return Err(self.failed("Heartbeat", e)),
        };
        let code = response.error_code;
        if code == 0 {
            return Ok(());
        }
        if code == ResponseError::RebalanceInProgress.code()
            || code == ResponseError::IllegalGeneration.code()
        {
            return Err(Next::Rejoin);
        }
        if code == ResponseError::UnknownMemberId.code()
            || code == ResponseError::FencedInstanceId.code()
        {
            self.member_id.clear();
            return Err(Next::Rejoin);
        }
        let e = GroupError::broker(
            format!("Heartbeat of group {:?}", self.settings.group_id),
            code,
            None,
        );
        Err(self.failed("Heartbeat", e))
    }

    async fn leave(&mut self) {
        if self.member_id.is_empty() || self.conn.is_none() {
            return;
        }
        let member_id = StrBytes::from_string(self.member_id.clone());
        let version = match self
            .conn
            .as_ref()
            .map(Connection::version_of::<LeaveGroupRequest>)
        {
            Some(Ok(v)) => v,
            _ => return,
        };
        // v3+ names members in a list (KIP-345); before, one member id.
        let request = if version >= 3 {
            LeaveGroupRequest::default()
                .with_group_id(self.group())
                .with_members(vec![
                    MemberIdentity::default()
                        .with_member_id(member_id)
                        .with_reason(Some(StrBytes::from_static_str("the member is closing"))),
                ])
        } else {
            LeaveGroupRequest::default()
                .with_group_id(self.group())
                .with_member_id(member_id)
        };
        match self
            .call("LeaveGroup", Duration::from_secs(5), &request)
            .await
        {
            Ok(r) if r.error_code != 0 => tracing::debug!(
                group = %self.settings.group_id,
                code = r.error_code,
                "LeaveGroup refused"
            ),
            Ok(_) => tracing::info!(group = %self.settings.group_id, "left the group"),
            Err(e) => {
                tracing::debug!(group = %self.settings.group_id, error = %e, "LeaveGroup failed")
            }
        }
    }

    async fn call<R: kafka_protocol::protocol::Request>(
        &mut self,
        operation: &str,
        limit: Duration,
        request: &R,
    ) -> Result<R::Response, GroupError> {
        let conn = self.connection().await?;
        let result = timed(operation, limit, conn.call(request)).await;
        if result.is_err() {
            // A timed-out or broken connection may still deliver an old
            // answer: never reuse it.
            self.conn = None;
        }
        result.map_err(GroupError::from)
    }
}

fn millis(d: Duration) -> i32 {
    i32::try_from(d.as_millis()).unwrap_or(i32::MAX)
}

fn is_retriable(code: i16) -> bool {
    ResponseError::try_from_code(code).is_some_and(|e| e.is_retriable())
}
