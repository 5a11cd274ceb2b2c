//! One file per share-group API: each turns the wire request into calls on
//! the share coordinator and its answer into the response; plus the GROUP
//! configuration resource of DescribeConfigs / IncrementalAlterConfigs.

pub(crate) mod alter_share_group_offsets;
pub(crate) mod delete_share_group_offsets;
pub(crate) mod describe_share_group_offsets;
pub(crate) mod group_configs;
pub(crate) mod share_acknowledge;
pub(crate) mod share_fetch;
pub(crate) mod share_group_describe;
pub(crate) mod share_group_heartbeat;

use std::collections::BTreeMap;

use herald_log::LEADER_EPOCH;
use kafka_protocol::protocol::StrBytes;
use uuid::Uuid;

use super::error::ShareError;
use super::state::partition::AckBatch;
use super::{ShareCoordinator, coordinator::Loaded};

/// This node, for `current_leader` fields.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Node {
    pub id: i32,
}

impl Node {
    /// (leader id, leader epoch) of every partition: this node, at the
    /// constant epoch.
    pub(crate) fn leader(&self) -> (i32, i32) {
        (self.id, LEADER_EPOCH)
    }
}

/// A protocol string from a Rust one.
pub(crate) fn s(v: impl Into<String>) -> StrBytes {
    StrBytes::from_string(v.into())
}

/// Kafka's bitfield of the operations allowed on a group (READ, DELETE,
/// DESCRIBE, DESCRIBE_CONFIGS, ALTER_CONFIGS): with no authorizer, all.
pub(crate) const GROUP_OPERATIONS: i32 = (1 << 3) | (1 << 6) | (1 << 8) | (1 << 10) | (1 << 11);

/// "Not requested" for authorized operations.
pub(crate) const OPERATIONS_NOT_REQUESTED: i32 = i32::MIN;

/// Checks the group and member ids every share request carries.
pub(crate) fn ids(
    group_id: Option<&str>,
    member_id: Option<&str>,
) -> Result<(String, String), ShareError> {
    let group = group_id.unwrap_or_default().trim();
    if group.is_empty() {
        return Err(ShareError::invalid("GroupId can't be empty."));
    }
    let member = member_id.unwrap_or_default().trim();
    if member.is_empty() {
        return Err(ShareError::invalid("MemberId can't be empty."));
    }
    Ok((group.to_owned(), member.to_owned()))
}

/// Refuses a group id that a consumer group already uses (one namespace).
pub(crate) async fn not_a_consumer_group(
    share: &ShareCoordinator,
    group_id: &str,
) -> Result<(), ShareError> {
    match share.groups().group_type(group_id).await {
        Ok(None) => Ok(()),
        Ok(Some(_)) => Err(ShareError::not_found(group_id, "is not a share group")),
        Err(e) => Err(ShareError::Storage(e.to_string())),
    }
}

/// Acknowledgements of one partition.
pub(crate) type PartitionAcks = ((Uuid, i32), Vec<AckBatch>);

/// Applies each partition's acknowledgements (atomically per partition);
/// the error of each partition that had one. Unknown topics are refused.
pub(crate) fn acknowledge_all(
    loaded: &Loaded,
    group: &str,
    member: &str,
    acks: &[PartitionAcks],
) -> (BTreeMap<(Uuid, i32), Option<ShareError>>, u64) {
    let mut results = BTreeMap::new();
    let mut seq = 0;
    for (tp, batches) in acks {
        let result = if loaded.log.topic_by_id(tp.0).is_none() {
            Err(ShareError::UnknownTopicId(tp.0))
        } else {
            let (r, s) = loaded.run(|st, now| st.acknowledge(group, member, *tp, batches, now));
            seq = seq.max(s);
            r
        };
        results.insert(*tp, result.err());
    }
    (results, seq)
}

#[cfg(test)]
pub(crate) mod testing {
    //! Helpers for the handler tests.
    use std::sync::Arc;

    use crate::groups::{GroupConfig, GroupCoordinator};
    use crate::share::{ShareConfig, ShareCoordinator};

    /// The address the handler tests' requests come from.
    pub(crate) const PEER: std::net::SocketAddr = std::net::SocketAddr::V4(
        std::net::SocketAddrV4::new(std::net::Ipv4Addr::LOCALHOST, 50_000),
    );

    /// A share coordinator over a fresh log in a temporary directory, with
    /// 1 s locks allowed.
    pub(crate) struct Fixture {
        pub share: ShareCoordinator,
        pub log: Arc<herald_log::Log>,
        _dir: tempfile::TempDir,
    }

    impl Fixture {
        pub(crate) fn new() -> Self {
            Self::with(ShareConfig {
                min_record_lock_duration_ms: 100,
                ..ShareConfig::default()
            })
        }

        pub(crate) fn with(config: ShareConfig) -> Self {
            let dir = tempfile::tempdir().expect("tempdir");
            let log = Arc::new(herald_log::Log::open(dir.path(), Default::default()).expect("log"));
            let groups = GroupCoordinator::new(log.clone(), GroupConfig::default());
            let share = ShareCoordinator::new(log.clone(), config, groups, true, 1);
            Fixture {
                share,
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

        /// Appends `n` one-record batches to `topic`-`partition`.
        pub(crate) fn produce(&self, topic: &str, partition: i32, n: usize) {
            let p = self.log.partition(topic, partition).expect("partition");
            for i in 0..n {
                let mut b = herald_log::BatchBuilder::new(0);
                b.push(herald_log::Record::new(
                    None,
                    Some(format!("v{i}").into_bytes()),
                ));
                p.append(&b.build()).expect("append");
            }
        }
    }

    /// Asserts that `response` encodes at `version`.
    pub(crate) fn assert_encodes<
        T: kafka_protocol::protocol::Encodable + kafka_protocol::protocol::Message + std::fmt::Debug,
    >(
        response: &T,
        version: i16,
    ) {
        let mut buf = bytes::BytesMut::new();
        if let Err(e) = response.encode(&mut buf, version) {
            panic!("v{version} does not encode: {e}: {response:?}");
        }
    }
}
