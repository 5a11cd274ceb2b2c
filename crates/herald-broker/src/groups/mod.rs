//! Consumer groups: the classic protocol (JoinGroup/SyncGroup/Heartbeat/
//! LeaveGroup) and KIP-848's ConsumerGroupHeartbeat, committed offsets kept
//! in the compacted internal topic `__consumer_offsets`.
//!
//! The group APIs are routed here by `handlers::dispatch`; this module owns
//! their handlers and the coordinator state.

use std::sync::Arc;

use herald_log::Log;
use kafka_protocol::messages::{RequestHeader, RequestKind};

use crate::Broker;
use crate::handlers::{Outcome, Served};

/// The group coordinator of this broker (a single node coordinates every group).
#[derive(Debug)]
pub(crate) struct GroupCoordinator {
    #[allow(dead_code)]
    log: Arc<Log>,
}

impl GroupCoordinator {
    pub(crate) fn new(log: Arc<Log>) -> Self {
        GroupCoordinator { log }
    }
}

/// The group APIs this broker serves, with their versions.
pub(crate) fn served() -> Vec<Served> {
    Vec::new()
}

/// Handles `body` if it is a group API; gives it back otherwise.
pub(crate) async fn dispatch(
    broker: &Broker,
    header: &RequestHeader,
    body: RequestKind,
) -> Result<Outcome, RequestKind> {
    let _ = (broker.groups(), header);
    Err(body)
}
