//! CreateTopics (key 19): create topics with a partition count and config
//! overrides, or only validate the request (`validate_only`).

use std::collections::BTreeMap;

use herald_log::{LogError, TopicConfig, TopicInfo};
use kafka_protocol::error::ResponseError;
use kafka_protocol::messages::create_topics_request::CreatableTopic;
use kafka_protocol::messages::create_topics_response::{
    CreatableTopicConfigs, CreatableTopicResult,
};
use kafka_protocol::messages::{CreateTopicsRequest, CreateTopicsResponse};

use super::configs::topic_entries;
use super::errors::{blocking, log_error_code, str_bytes};
use crate::Broker;

/// A refusal: error code and message.
type Refusal = (i16, String);

pub(super) async fn handle(
    broker: &Broker,
    req: CreateTopicsRequest,
    version: i16,
) -> CreateTopicsResponse {
    let mut results = Vec::with_capacity(req.topics.len());
    for topic in req.topics {
        let name = topic.name.clone();
        let result = match create(broker, topic, req.validate_only).await {
            Ok(info) => {
                let r = CreatableTopicResult::default()
                    .with_topic_id(info.id)
                    .with_num_partitions(info.partitions)
                    .with_replication_factor(1);
                if version >= 5 {
                    let configs = topic_entries(&info, broker.log().defaults(), None)
                        .into_iter()
                        .map(|e| {
                            CreatableTopicConfigs::default()
                                .with_name(str_bytes(e.name))
                                .with_value(Some(str_bytes(e.value)))
                                .with_read_only(e.read_only)
                                .with_config_source(e.source)
                        })
                        .collect();
                    r.with_configs(Some(configs))
                } else {
                    r
                }
            }
            Err((code, message)) => CreatableTopicResult::default()
                .with_error_code(code)
                .with_error_message(Some(str_bytes(message)))
                .with_num_partitions(-1)
                .with_replication_factor(-1)
                .with_configs(None),
        };
        results.push(result.with_name(name));
    }
    CreateTopicsResponse::default().with_topics(results)
}

async fn create(
    broker: &Broker,
    topic: CreatableTopic,
    validate_only: bool,
) -> Result<TopicInfo, Refusal> {
    let name = topic.name.0.to_string();
    let node = broker.config().node_id;
    let partitions = if !topic.assignments.is_empty() {
        // A manual assignment names the replicas of each partition; on one
        // node they can only be this node.
        if topic.num_partitions != -1 || topic.replication_factor != -1 {
            return Err(refuse(
                ResponseError::InvalidRequest,
                "with a replica assignment, num_partitions and replication_factor must be -1",
            ));
        }
        if topic
            .assignments
            .iter()
            .any(|a| a.broker_ids.len() != 1 || a.broker_ids[0].0 != node)
        {
            return Err(refuse(
                ResponseError::InvalidReplicaAssignment,
                format!("every partition must have exactly one replica, on broker {node}"),
            ));
        }
        topic.assignments.len() as i32
    } else {
        match topic.num_partitions {
            -1 => broker.config().default_partitions,
            n if n >= 1 => n,
            n => {
                return Err(refuse(
                    ResponseError::InvalidPartitions,
                    format!("the number of partitions must be at least 1, not {n}"),
                ));
            }
        }
    };
    if !matches!(topic.replication_factor, -1 | 1) {
        return Err(refuse(
            ResponseError::InvalidReplicationFactor,
            format!(
                "replication factor {} is larger than the 1 broker of this cluster",
                topic.replication_factor
            ),
        ));
    }
    let mut overrides = BTreeMap::new();
    for c in &topic.configs {
        let Some(value) = &c.value else {
            return Err(refuse(
                ResponseError::InvalidConfig,
                format!("config `{}` has a null value", c.name.as_str()),
            ));
        };
        overrides.insert(c.name.to_string(), value.to_string());
    }
    if validate_only {
        let config = broker
            .log()
            .defaults()
            .with_overrides(&overrides)
            .map_err(|e| refuse(ResponseError::InvalidConfig, e.to_string()))?;
        return validate(broker, &name, partitions, config, overrides);
    }
    let log = broker.log().clone();
    blocking(move || log.create_topic(&name, partitions, &overrides))
        .await
        .map_err(|e| {
            if !matches!(e, LogError::TopicExists { .. }) {
                tracing::info!(error = %e, "CreateTopics refused");
            }
            (log_error_code(&e), e.to_string())
        })
}

/// What `create_topic` would answer, without creating anything.
fn validate(
    broker: &Broker,
    name: &str,
    partitions: i32,
    config: TopicConfig,
    overrides: BTreeMap<String, String>,
) -> Result<TopicInfo, Refusal> {
    if broker.log().topic(name).is_some() {
        return Err(refuse(
            ResponseError::TopicAlreadyExists,
            format!("topic `{name}` already exists"),
        ));
    }
    if name.is_empty()
        || name.len() > 249
        || name == "."
        || name == ".."
        || !name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'.' || b == b'_' || b == b'-')
    {
        return Err(refuse(
            ResponseError::InvalidTopicException,
            format!("`{name}` is not a valid topic name"),
        ));
    }
    Ok(TopicInfo {
        name: name.to_owned(),
        id: uuid::Uuid::nil(),
        partitions,
        config: std::sync::Arc::new(config),
        overrides,
    })
}

fn refuse(code: ResponseError, message: impl Into<String>) -> Refusal {
    (code.code(), message.into())
}
