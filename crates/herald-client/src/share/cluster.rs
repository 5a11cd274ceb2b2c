//! What the consumer knows about the cluster: its brokers, the topics it
//! subscribes to (names, ids, partition leaders) and where its group's
//! coordinator is. Share RPCs name topics by id, so the id → name and
//! partition → leader maps come from Metadata (v10+, which carries ids).

use std::collections::HashMap;

use kafka_protocol::messages::find_coordinator_response::Coordinator;
use kafka_protocol::messages::metadata_request::MetadataRequestTopic;
use kafka_protocol::messages::{FindCoordinatorRequest, MetadataRequest, TopicName};
use kafka_protocol::protocol::StrBytes;
use parking_lot::RwLock;
use uuid::Uuid;

use super::ShareError;
use super::conn::{Connection, REQUEST_TIMEOUT, timed};
use crate::net::Security;

/// One topic as Metadata described it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct TopicInfo {
    pub(crate) name: String,
    /// Partition → leader node (`-1`: no leader right now).
    pub(crate) leaders: HashMap<i32, i32>,
}

/// The latest Metadata answer.
#[derive(Debug, Default)]
pub(crate) struct Snapshot {
    /// Node id → `host:port`.
    pub(crate) brokers: HashMap<i32, String>,
    pub(crate) topics: HashMap<Uuid, TopicInfo>,
}

/// The cluster as seen from one consumer.
#[derive(Debug)]
pub(crate) struct Cluster {
    bootstrap: Vec<String>,
    client_id: String,
    security: Security,
    snapshot: RwLock<Snapshot>,
}

impl Cluster {
    /// The cluster at `bootstrap` (`host:port[,…]`), every connection
    /// opened as `security` says.
    pub(crate) fn new(
        bootstrap: &str,
        client_id: &str,
        security: Security,
    ) -> Result<Cluster, ShareError> {
        let bootstrap: Vec<String> = bootstrap
            .split(',')
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(str::to_owned)
            .collect();
        if bootstrap.is_empty() {
            return Err(ShareError::Config {
                reason: "no bootstrap servers given".to_owned(),
            });
        }
        Ok(Cluster {
            bootstrap,
            client_id: client_id.to_owned(),
            security,
            snapshot: RwLock::new(Snapshot::default()),
        })
    }

    /// Reads the snapshot.
    pub(crate) fn read<R>(&self, f: impl FnOnce(&Snapshot) -> R) -> R {
        f(&self.snapshot.read())
    }

    /// Opens a connection to `broker`.
    pub(crate) async fn connect(&self, broker: &str) -> Result<Connection, ShareError> {
        Connection::open(broker, &self.client_id, &self.security).await
    }

    /// A connection to any broker: the known ones first, then the
    /// bootstrap list; the last failure if none answers.
    async fn any(&self) -> Result<Connection, ShareError> {
        let mut candidates: Vec<String> = self.read(|s| s.brokers.values().cloned().collect());
        candidates.extend(self.bootstrap.iter().cloned());
        let mut last = None;
        for broker in candidates {
            match self.connect(&broker).await {
                Ok(c) => return Ok(c),
                Err(e) => last = Some(e),
            }
        }
        Err(last.unwrap_or(ShareError::Closed))
    }

    /// Asks for the metadata of `topics` and replaces the snapshot.
    pub(crate) async fn refresh(&self, topics: &[String]) -> Result<(), ShareError> {
        let mut conn = self.any().await?;
        let version = conn.version_of::<MetadataRequest>()?;
        if version < 10 {
            return Err(ShareError::protocol(
                conn.broker(),
                format!("Metadata v{version} carries no topic ids; share consumers need v10+"),
            ));
        }
        let request = MetadataRequest::default()
            .with_allow_auto_topic_creation(false)
            .with_topics(Some(
                topics
                    .iter()
                    .map(|t| {
                        MetadataRequestTopic::default()
                            .with_name(Some(TopicName(StrBytes::from_string(t.clone()))))
                    })
                    .collect(),
            ));
        let response = timed("Metadata", REQUEST_TIMEOUT, conn.call(&request)).await?;
        let mut snapshot = Snapshot {
            brokers: response
                .brokers
                .iter()
                .map(|b| (b.node_id.0, format!("{}:{}", b.host.as_str(), b.port)))
                .collect(),
            topics: HashMap::new(),
        };
        for t in response.topics {
            // An unknown topic is simply absent: the group may subscribe
            // before the topic exists.
            if t.error_code != 0 || t.topic_id.is_nil() {
                continue;
            }
            let Some(name) = t.name else { continue };
            snapshot.topics.insert(
                t.topic_id,
                TopicInfo {
                    name: name.0.to_string(),
                    leaders: t
                        .partitions
                        .iter()
                        .map(|p| (p.partition_index, p.leader_id.0))
                        .collect(),
                },
            );
        }
        *self.snapshot.write() = snapshot;
        Ok(())
    }

    /// The `host:port` of `group`'s coordinator (FindCoordinator, key type
    /// GROUP, as share groups use).
    pub(crate) async fn coordinator(&self, group: &str) -> Result<String, ShareError> {
        let mut conn = self.any().await?;
        let version = conn.version_of::<FindCoordinatorRequest>()?;
        let key = StrBytes::from_string(group.to_owned());
        let request = if version >= 4 {
            FindCoordinatorRequest::default().with_coordinator_keys(vec![key])
        } else {
            FindCoordinatorRequest::default().with_key(key)
        };
        let response = timed("FindCoordinator", REQUEST_TIMEOUT, conn.call(&request)).await?;
        let found = if version >= 4 {
            response.coordinators.into_iter().next().ok_or_else(|| {
                ShareError::protocol(
                    conn.broker(),
                    "FindCoordinator answered without a coordinator",
                )
            })?
        } else {
            Coordinator::default()
                .with_error_code(response.error_code)
                .with_error_message(response.error_message)
                .with_host(response.host)
                .with_port(response.port)
                .with_node_id(response.node_id)
        };
        if found.error_code != 0 {
            return Err(ShareError::broker(
                format!("FindCoordinator for group {group:?}"),
                found.error_code,
                found.error_message.map(|m| m.to_string()),
            ));
        }
        Ok(format!("{}:{}", found.host.as_str(), found.port))
    }
}
