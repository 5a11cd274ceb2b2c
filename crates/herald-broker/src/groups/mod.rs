//! Consumer groups: the classic protocol (JoinGroup/SyncGroup/Heartbeat/
//! LeaveGroup) that librdkafka, kafka-python, kafkajs and older Java clients
//! speak, and KIP-848's ConsumerGroupHeartbeat that Kafka 4 clients and the
//! `confluent-kafka` crate speak; committed offsets; the admin APIs over both.
//!
//! Layers:
//! - [`state`]: pure state machines (classic groups, KIP-848 consumer groups
//!   with their assignors and reconciliation, committed offsets); time is
//!   passed in, records to persist are handed out.
//! - [`store`]: the compacted internal topic `__consumer_offsets` (record
//!   format, ordered group-committed writes, replay at load).
//! - [`coordinator`]: the async shell (lazy load, locking, durability
//!   before answering, a ticker for timeouts).
//! - [`handlers`]: one file per API, wire types in and out.
//!
//! Invariants: a group is either classic or consumer, never both; an
//! acknowledged offset commit is on disk; a KIP-848 partition is never
//! assigned to a member before its previous owner revoked it.

mod config;
mod coordinator;
mod error;
mod handlers;
mod state;
mod store;

use std::net::{IpAddr, SocketAddr};

use kafka_protocol::messages::{ApiKey, RequestHeader, RequestKind, ResponseKind};
use kafka_protocol::protocol::Message;

use crate::Broker;
use crate::handlers::{Outcome, Served};

pub use config::GroupConfig;
pub(crate) use coordinator::GroupCoordinator;

fn api<Req: Message, Resp: Message>(key: ApiKey) -> Served {
    let range = Req::VERSIONS.intersect(&Resp::VERSIONS);
    Served {
        key,
        min: range.min,
        max: range.max,
    }
}

/// The group APIs this broker serves, with their versions: every version
/// both the request and the response codec carry (all are implemented).
pub(crate) fn served() -> Vec<Served> {
    use kafka_protocol::messages::*;
    vec![
        api::<FindCoordinatorRequest, FindCoordinatorResponse>(ApiKey::FindCoordinator),
        api::<JoinGroupRequest, JoinGroupResponse>(ApiKey::JoinGroup),
        api::<SyncGroupRequest, SyncGroupResponse>(ApiKey::SyncGroup),
        api::<HeartbeatRequest, HeartbeatResponse>(ApiKey::Heartbeat),
        api::<LeaveGroupRequest, LeaveGroupResponse>(ApiKey::LeaveGroup),
        api::<OffsetCommitRequest, OffsetCommitResponse>(ApiKey::OffsetCommit),
        api::<OffsetFetchRequest, OffsetFetchResponse>(ApiKey::OffsetFetch),
        api::<ListGroupsRequest, ListGroupsResponse>(ApiKey::ListGroups),
        api::<DescribeGroupsRequest, DescribeGroupsResponse>(ApiKey::DescribeGroups),
        api::<DeleteGroupsRequest, DeleteGroupsResponse>(ApiKey::DeleteGroups),
        api::<OffsetDeleteRequest, OffsetDeleteResponse>(ApiKey::OffsetDelete),
        api::<ConsumerGroupHeartbeatRequest, ConsumerGroupHeartbeatResponse>(
            ApiKey::ConsumerGroupHeartbeat,
        ),
        api::<ConsumerGroupDescribeRequest, ConsumerGroupDescribeResponse>(
            ApiKey::ConsumerGroupDescribe,
        ),
    ]
}

/// The `client_host` of a member whose requests come from `peer`, as Kafka
/// writes it (Java's `InetAddress.toString()` of an unresolved address):
/// `/` and the IP, IPv6 as eight hexadecimal groups, an IPv4-mapped IPv6
/// address as IPv4.
pub(crate) fn client_host(peer: SocketAddr) -> String {
    match peer.ip().to_canonical() {
        IpAddr::V4(ip) => format!("/{ip}"),
        IpAddr::V6(ip) => {
            let groups: Vec<String> = ip.segments().iter().map(|g| format!("{g:x}")).collect();
            format!("/{}", groups.join(":"))
        }
    }
}

/// Handles `body` if it is a group API (from the client at `peer`); gives
/// it back otherwise.
pub(crate) async fn dispatch(
    broker: &Broker,
    header: &RequestHeader,
    peer: SocketAddr,
    body: RequestKind,
) -> Result<Outcome, RequestKind> {
    let version = header.request_api_version;
    let groups = broker.groups();
    let response = match body {
        RequestKind::FindCoordinator(req) => {
            let (host, port) = broker.advertised();
            let node = handlers::find_coordinator::Node {
                id: broker.config().node_id,
                host: host.to_owned(),
                port: i32::from(port),
            };
            ResponseKind::FindCoordinator(
                handlers::find_coordinator::handle(groups, &node, &req, version).await,
            )
        }
        RequestKind::JoinGroup(req) => ResponseKind::JoinGroup(
            handlers::join_group::handle(groups, header, peer, req, version).await,
        ),
        RequestKind::SyncGroup(req) => {
            ResponseKind::SyncGroup(handlers::sync_group::handle(groups, req, version).await)
        }
        RequestKind::Heartbeat(req) => {
            ResponseKind::Heartbeat(handlers::heartbeat::handle(groups, &req).await)
        }
        RequestKind::LeaveGroup(req) => {
            ResponseKind::LeaveGroup(handlers::leave_group::handle(groups, &req, version).await)
        }
        RequestKind::OffsetCommit(req) => {
            ResponseKind::OffsetCommit(handlers::offset_commit::handle(groups, &req, version).await)
        }
        RequestKind::OffsetFetch(req) => {
            ResponseKind::OffsetFetch(handlers::offset_fetch::handle(groups, &req, version).await)
        }
        RequestKind::ListGroups(req) => {
            ResponseKind::ListGroups(handlers::list_groups::handle(groups, &req, version).await)
        }
        RequestKind::DescribeGroups(req) => ResponseKind::DescribeGroups(
            handlers::describe_groups::handle(groups, &req, version).await,
        ),
        RequestKind::DeleteGroups(req) => {
            ResponseKind::DeleteGroups(handlers::delete_groups::handle(groups, &req).await)
        }
        RequestKind::OffsetDelete(req) => {
            ResponseKind::OffsetDelete(handlers::offset_delete::handle(groups, &req).await)
        }
        RequestKind::ConsumerGroupHeartbeat(req) => ResponseKind::ConsumerGroupHeartbeat(
            handlers::consumer_group_heartbeat::handle(groups, header, peer, &req, version).await,
        ),
        RequestKind::ConsumerGroupDescribe(req) => ResponseKind::ConsumerGroupDescribe(
            handlers::consumer_group_describe::handle(groups, &req, version).await,
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
        assert!(
            ranges.contains(&(ApiKey::OffsetCommit, 2, 9)),
            "not 2-10 (P13)"
        );
        assert!(ranges.contains(&(ApiKey::OffsetFetch, 1, 9)));
        assert!(ranges.contains(&(ApiKey::JoinGroup, 0, 9)));
        assert!(ranges.contains(&(ApiKey::FindCoordinator, 0, 6)));
        assert!(ranges.contains(&(ApiKey::ConsumerGroupHeartbeat, 0, 1)));
        assert_eq!(ranges.len(), 13);
    }

    #[test]
    fn client_hosts_are_written_as_kafka_writes_them() {
        let host = |a: &str| client_host(a.parse().unwrap());
        assert_eq!(host("127.0.0.1:50000"), "/127.0.0.1");
        assert_eq!(host("[::1]:50000"), "/0:0:0:0:0:0:0:1");
        assert_eq!(host("[fe80::1:abcd]:1"), "/fe80:0:0:0:0:0:1:abcd");
        assert_eq!(host("[::ffff:10.0.0.7]:1"), "/10.0.0.7");
    }
}
