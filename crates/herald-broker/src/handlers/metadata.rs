//! Metadata (key 3): brokers, the controller, topics with their partitions,
//! leaders and topic ids; creates missing topics when allowed.

use std::collections::BTreeMap;

use herald_log::{LEADER_EPOCH, LogError, TopicInfo};
use kafka_protocol::error::ResponseError;
use kafka_protocol::messages::metadata_response::{
    MetadataResponseBroker, MetadataResponsePartition, MetadataResponseTopic,
};
use kafka_protocol::messages::{BrokerId, MetadataRequest, MetadataResponse};
use uuid::Uuid;

use super::errors::{blocking, is_internal_topic, str_bytes, topic_name};
use crate::Broker;

/// Kafka's "authorized operations were not requested" value.
const OPS_NOT_REQUESTED: i32 = i32::MIN;
/// Without an authorizer every operation on a topic is allowed: READ, WRITE,
/// CREATE, DELETE, ALTER, DESCRIBE, DESCRIBE_CONFIGS, ALTER_CONFIGS.
const TOPIC_OPS: i32 =
    (1 << 3) | (1 << 4) | (1 << 5) | (1 << 6) | (1 << 7) | (1 << 8) | (1 << 10) | (1 << 11);
/// Cluster operations: CREATE, ALTER, DESCRIBE, CLUSTER_ACTION,
/// DESCRIBE_CONFIGS, ALTER_CONFIGS, IDEMPOTENT_WRITE.
pub(crate) const CLUSTER_OPS: i32 =
    (1 << 5) | (1 << 7) | (1 << 8) | (1 << 9) | (1 << 10) | (1 << 11) | (1 << 12);

/// What the request asks about one topic.
enum Wanted {
    Name(String),
    Id(Uuid),
}

pub(super) async fn handle(
    broker: &Broker,
    req: MetadataRequest,
    version: i16,
) -> MetadataResponse {
    let (host, port) = broker.advertised();
    let node = broker.config().node_id;
    let brokers = vec![
        MetadataResponseBroker::default()
            .with_node_id(BrokerId(node))
            .with_host(str_bytes(host))
            .with_port(i32::from(port))
            .with_rack(None),
    ];
    // v0: an empty list means all topics; v1+: null means all, empty none.
    let wanted: Option<Vec<Wanted>> = match req.topics {
        None => None,
        Some(t) if t.is_empty() && version == 0 => None,
        Some(t) => Some(
            t.into_iter()
                .map(|t| match t.name {
                    Some(name) => Wanted::Name(name.0.to_string()),
                    None => Wanted::Id(t.topic_id),
                })
                .collect(),
        ),
    };
    // Before v4 clients could not opt out of auto-creation.
    let may_create =
        broker.config().auto_create_topics && (version < 4 || req.allow_auto_topic_creation);
    let topic_ops = if req.include_topic_authorized_operations {
        TOPIC_OPS
    } else {
        OPS_NOT_REQUESTED
    };
    let topics = match wanted {
        None => broker
            .log()
            .topics()
            .iter()
            .map(|t| describe(t, node, topic_ops))
            .collect(),
        Some(wanted) => {
            let mut out = Vec::with_capacity(wanted.len());
            for w in wanted {
                out.push(match w {
                    Wanted::Id(id) => match broker.log().topic_by_id(id) {
                        Some(t) => describe(&t, node, topic_ops),
                        None => MetadataResponseTopic::default()
                            .with_error_code(ResponseError::UnknownTopicId.code())
                            .with_topic_id(id)
                            .with_name(None),
                    },
                    Wanted::Name(name) => {
                        lookup_or_create(broker, &name, may_create, node, topic_ops).await
                    }
                });
            }
            out
        }
    };
    let cluster_ops = if req.include_cluster_authorized_operations {
        CLUSTER_OPS
    } else {
        OPS_NOT_REQUESTED
    };
    MetadataResponse::default()
        .with_brokers(brokers)
        .with_cluster_id(Some(str_bytes(&broker.config().cluster_id)))
        .with_controller_id(BrokerId(node))
        .with_topics(topics)
        .with_cluster_authorized_operations(cluster_ops)
}

async fn lookup_or_create(
    broker: &Broker,
    name: &str,
    may_create: bool,
    node: i32,
    ops: i32,
) -> MetadataResponseTopic {
    if let Some(t) = broker.log().topic(name) {
        return describe(&t, node, ops);
    }
    let failed = |code: i16| {
        MetadataResponseTopic::default()
            .with_error_code(code)
            .with_name(Some(topic_name(name)))
            .with_is_internal(is_internal_topic(name))
    };
    if !may_create {
        return failed(ResponseError::UnknownTopicOrPartition.code());
    }
    let log = broker.log().clone();
    let partitions = broker.config().default_partitions;
    let owned = name.to_owned();
    let created = blocking(move || log.create_topic(&owned, partitions, &BTreeMap::new())).await;
    match created {
        Ok(t) => {
            tracing::info!(topic = name, partitions, "auto-created topic");
            describe(&t, node, ops)
        }
        // Another client created it in the meantime.
        Err(LogError::TopicExists { .. }) => match broker.log().topic(name) {
            Some(t) => describe(&t, node, ops),
            None => failed(ResponseError::LeaderNotAvailable.code()),
        },
        Err(LogError::InvalidTopicName { .. }) => {
            failed(ResponseError::InvalidTopicException.code())
        }
        Err(e) => {
            tracing::error!(topic = name, error = %e, "auto-creating topic failed");
            failed(super::errors::log_error_code(&e))
        }
    }
}

/// One existing topic: this node leads every partition, with the constant
/// leader epoch the log stamps into batches.
fn describe(t: &TopicInfo, node: i32, ops: i32) -> MetadataResponseTopic {
    let partitions = (0..t.partitions)
        .map(|p| {
            MetadataResponsePartition::default()
                .with_partition_index(p)
                .with_leader_id(BrokerId(node))
                .with_leader_epoch(LEADER_EPOCH)
                .with_replica_nodes(vec![BrokerId(node)])
                .with_isr_nodes(vec![BrokerId(node)])
                .with_offline_replicas(Vec::new())
        })
        .collect();
    MetadataResponseTopic::default()
        .with_name(Some(topic_name(&t.name)))
        .with_topic_id(t.id)
        .with_is_internal(is_internal_topic(&t.name))
        .with_partitions(partitions)
        .with_topic_authorized_operations(ops)
}
