//! Share groups — queues on the log (KIP-932, "Queues for Kafka"): many
//! consumers cooperatively consume the same partitions, each record goes
//! to one of them under a time-limited lock, and is then accepted,
//! released for redelivery, or rejected. Kafka 4.x share consumers speak
//! to Herald as to Kafka.
//!
//! Layers, as for consumer groups:
//! - [`state`]: pure state machines — share-partitions (record states,
//!   acquisition locks, delivery counts, the start offset and the in-flight
//!   window), membership with the simple assignor, share sessions, admin
//!   views; time is passed in.
//! - [`store`]: the compacted internal topic `__share_group_state` (record
//!   format, one writer that snapshots what changed, replay at load).
//! - [`coordinator`]: the async shell (lazy load, locking, durability
//!   before answering, lock and session timeouts); [`fetch`] reads the log
//!   for ShareFetch; [`dlq`] writes dead letters; [`queue`] deletes what
//!   every group consumed from queue topics (`herald.queue=true`).
//! - [`handlers`]: one file per API, plus the GROUP config resource.
//!
//! Invariants: a record is acquired by at most one member at a time; an
//! acknowledgement (and the acquisition a fetch returns) is on disk before
//! the response; after a restart accepted records stay accepted and
//! acquired ones are available again with their delivery counts; a record
//! headed for the dead-letter topic holds the start offset until its copy
//! is written; a queue topic never deletes a record some interested group
//! has not consumed.
//!
//! Non-goals: the RENEW acknowledgement and acquire modes of ShareFetch v2
//! (kafka-protocol 0.18 carries v1 only); `read_committed` has nothing to
//! wait for, as Herald has no transactions.

mod config;
mod coordinator;
mod dlq;
mod error;
mod fetch;
pub(crate) mod handlers;
mod queue;
mod state;
mod store;

use std::net::SocketAddr;

use kafka_protocol::messages::{ApiKey, RequestHeader, RequestKind, ResponseKind};
use kafka_protocol::protocol::Message;

use crate::Broker;
use crate::handlers::{Outcome, Served};

pub use config::ShareConfig;
pub(crate) use coordinator::ShareCoordinator;

fn api<Req: Message, Resp: Message>(key: ApiKey) -> Served {
    let range = Req::VERSIONS.intersect(&Resp::VERSIONS);
    Served {
        key,
        min: range.min,
        max: range.max,
    }
}

/// The share-group APIs this broker serves, with every version both the
/// request and the response codec carry.
pub(crate) fn served() -> Vec<Served> {
    use kafka_protocol::messages::*;
    vec![
        api::<ShareGroupHeartbeatRequest, ShareGroupHeartbeatResponse>(ApiKey::ShareGroupHeartbeat),
        api::<ShareGroupDescribeRequest, ShareGroupDescribeResponse>(ApiKey::ShareGroupDescribe),
        api::<ShareFetchRequest, ShareFetchResponse>(ApiKey::ShareFetch),
        api::<ShareAcknowledgeRequest, ShareAcknowledgeResponse>(ApiKey::ShareAcknowledge),
        api::<DescribeShareGroupOffsetsRequest, DescribeShareGroupOffsetsResponse>(
            ApiKey::DescribeShareGroupOffsets,
        ),
        api::<AlterShareGroupOffsetsRequest, AlterShareGroupOffsetsResponse>(
            ApiKey::AlterShareGroupOffsets,
        ),
        api::<DeleteShareGroupOffsetsRequest, DeleteShareGroupOffsetsResponse>(
            ApiKey::DeleteShareGroupOffsets,
        ),
    ]
}

/// Handles `body` if it is a share-group API (from the client at `peer`);
/// gives it back otherwise.
pub(crate) async fn dispatch(
    broker: &Broker,
    header: &RequestHeader,
    peer: SocketAddr,
    body: RequestKind,
) -> Result<Outcome, RequestKind> {
    let share = broker.share();
    let node = handlers::Node {
        id: broker.config().node_id,
    };
    let response = match body {
        RequestKind::ShareGroupHeartbeat(req) => ResponseKind::ShareGroupHeartbeat(
            handlers::share_group_heartbeat::handle(share, header, peer, &req).await,
        ),
        RequestKind::ShareFetch(req) => {
            ResponseKind::ShareFetch(handlers::share_fetch::handle(share, &node, req).await)
        }
        RequestKind::ShareAcknowledge(req) => ResponseKind::ShareAcknowledge(
            handlers::share_acknowledge::handle(share, &node, req).await,
        ),
        RequestKind::ShareGroupDescribe(req) => ResponseKind::ShareGroupDescribe(
            handlers::share_group_describe::handle(share, &req).await,
        ),
        RequestKind::DescribeShareGroupOffsets(req) => ResponseKind::DescribeShareGroupOffsets(
            handlers::describe_share_group_offsets::handle(share, &req).await,
        ),
        RequestKind::AlterShareGroupOffsets(req) => ResponseKind::AlterShareGroupOffsets(
            handlers::alter_share_group_offsets::handle(share, &req).await,
        ),
        RequestKind::DeleteShareGroupOffsets(req) => ResponseKind::DeleteShareGroupOffsets(
            handlers::delete_share_group_offsets::handle(share, &req).await,
        ),
        other => return Err(other),
    };
    Ok(Outcome::Respond(Box::new(response)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn advertised_ranges_are_what_the_codecs_carry() {
        let ranges: Vec<(ApiKey, i16, i16)> =
            served().iter().map(|s| (s.key, s.min, s.max)).collect();
        assert!(ranges.contains(&(ApiKey::ShareFetch, 1, 1)));
        assert!(ranges.contains(&(ApiKey::ShareAcknowledge, 1, 1)));
        assert!(ranges.contains(&(ApiKey::ShareGroupHeartbeat, 1, 1)));
        assert!(ranges.contains(&(ApiKey::DeleteShareGroupOffsets, 0, 0)));
        assert_eq!(ranges.len(), 7);
    }
}
