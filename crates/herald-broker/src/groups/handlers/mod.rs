//! One file per group API: each turns the wire request into a call on the
//! coordinator and its answer into the response of the request's version.

pub(super) mod consumer_group_describe;
pub(super) mod consumer_group_heartbeat;
pub(super) mod delete_groups;
pub(super) mod describe_groups;
pub(super) mod find_coordinator;
pub(super) mod heartbeat;
pub(super) mod join_group;
pub(super) mod leave_group;
pub(super) mod list_groups;
pub(super) mod offset_commit;
pub(super) mod offset_delete;
pub(super) mod offset_fetch;
pub(super) mod sync_group;

use kafka_protocol::messages::RequestHeader;
use kafka_protocol::protocol::StrBytes;

/// Kafka's bitfield of the operations allowed on a group (READ, DELETE,
/// DESCRIBE), reported when a describe asks for authorized operations: with
/// no authorizer every operation is allowed.
pub(super) const GROUP_OPERATIONS: i32 = (1 << 3) | (1 << 6) | (1 << 8);

/// "Not requested" for authorized operations.
pub(super) const OPERATIONS_NOT_REQUESTED: i32 = i32::MIN;

/// A protocol string from a Rust one.
pub(super) fn s(v: impl Into<String>) -> StrBytes {
    StrBytes::from_string(v.into())
}

/// The client id of the request header, or "".
pub(super) fn client_id(header: &RequestHeader) -> String {
    header
        .client_id
        .as_ref()
        .map(|c| c.to_string())
        .unwrap_or_default()
}

#[cfg(test)]
pub(super) mod testing {
    //! Helpers for the handler tests.
    use std::sync::Arc;

    use kafka_protocol::protocol::{Encodable, Message};

    use crate::groups::{GroupConfig, GroupCoordinator};

    /// A coordinator over a fresh log in a temporary directory.
    pub(crate) struct Fixture {
        pub coordinator: GroupCoordinator,
        pub log: Arc<herald_log::Log>,
        _dir: tempfile::TempDir,
    }

    impl Fixture {
        pub(crate) fn new() -> Self {
            let dir = tempfile::tempdir().expect("tempdir");
            let log = Arc::new(herald_log::Log::open(dir.path(), Default::default()).expect("log"));
            let config = GroupConfig {
                initial_rebalance_delay_ms: 0,
                consumer_heartbeat_interval_ms: 100,
                ..GroupConfig::default()
            };
            let coordinator = GroupCoordinator::new(log.clone(), config);
            Fixture {
                coordinator,
                log,
                _dir: dir,
            }
        }

        /// Creates `topic` with `partitions` partitions.
        pub(crate) fn topic(&self, topic: &str, partitions: i32) -> herald_log::Uuid {
            self.log
                .create_topic(topic, partitions, &Default::default())
                .expect("topic")
                .id
        }
    }

    /// The address the handler tests' requests come from.
    pub(crate) const PEER: std::net::SocketAddr = std::net::SocketAddr::V4(
        std::net::SocketAddrV4::new(std::net::Ipv4Addr::LOCALHOST, 50_000),
    );

    /// A header carrying `version` and a client id.
    pub(crate) fn header(version: i16) -> kafka_protocol::messages::RequestHeader {
        kafka_protocol::messages::RequestHeader::default()
            .with_request_api_version(version)
            .with_client_id(Some(super::s("test-client")))
    }

    /// A JoinGroup of `member_id` ("" for a new member) to `group` with one
    /// `range` protocol.
    pub(crate) fn join_request(
        group: &str,
        member_id: &str,
    ) -> kafka_protocol::messages::JoinGroupRequest {
        use kafka_protocol::messages::join_group_request::JoinGroupRequestProtocol;
        kafka_protocol::messages::JoinGroupRequest::default()
            .with_group_id(kafka_protocol::messages::GroupId(super::s(group)))
            .with_session_timeout_ms(10_000)
            .with_rebalance_timeout_ms(10_000)
            .with_member_id(super::s(member_id))
            .with_protocol_type(super::s("consumer"))
            .with_protocols(vec![
                JoinGroupRequestProtocol::default()
                    .with_name(super::s("range"))
                    .with_metadata(bytes::Bytes::from_static(b"subscription")),
            ])
    }

    /// Joins one member to `group` (JoinGroup v3: no two-step join) and
    /// syncs it as leader with assignment `b"A"`: the group is Stable.
    /// Returns (member id, generation).
    pub(crate) async fn stable_member(f: &Fixture, group: &str) -> (String, i32) {
        use kafka_protocol::messages::SyncGroupRequest;
        use kafka_protocol::messages::sync_group_request::SyncGroupRequestAssignment;
        let joined = crate::groups::handlers::join_group::handle(
            &f.coordinator,
            &header(3),
            PEER,
            join_request(group, ""),
            3,
        )
        .await;
        assert_eq!(joined.error_code, 0, "joined");
        let sync = SyncGroupRequest::default()
            .with_group_id(kafka_protocol::messages::GroupId(super::s(group)))
            .with_generation_id(joined.generation_id)
            .with_member_id(joined.member_id.clone())
            .with_assignments(vec![
                SyncGroupRequestAssignment::default()
                    .with_member_id(joined.member_id.clone())
                    .with_assignment(bytes::Bytes::from_static(b"A")),
            ]);
        let synced = crate::groups::handlers::sync_group::handle(&f.coordinator, sync, 3).await;
        assert_eq!(synced.error_code, 0, "synced");
        (joined.member_id.to_string(), joined.generation_id)
    }

    /// Asserts that `response` encodes at `version` (no field set that the
    /// version cannot carry).
    pub(crate) fn assert_encodes<T: Encodable + Message + std::fmt::Debug>(
        response: &T,
        version: i16,
    ) {
        let mut buf = bytes::BytesMut::new();
        if let Err(e) = response.encode(&mut buf, version) {
            panic!("v{version} does not encode: {e}: {response:?}");
        }
    }
}
