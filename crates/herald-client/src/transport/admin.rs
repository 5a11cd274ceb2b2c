//! The admin calls the registry needs.

use std::collections::BTreeMap;

use confluent_kafka::admin::{AdminClient, AdminClientConfig, NewTopic};

use super::KafkaConfig;
use crate::ClientError;

/// A topic to create if it does not exist.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TopicSpec {
    /// Its name.
    pub name: String,
    /// Its partition count.
    pub partitions: i32,
    /// Its replication factor; `-1` takes the broker's default.
    pub replication_factor: i16,
    /// Topic configs (`cleanup.policy`, …).
    pub configs: BTreeMap<String, String>,
}

impl TopicSpec {
    /// A single-partition compacted topic, as the registry's `_schemas`.
    pub fn compacted(name: impl Into<String>) -> TopicSpec {
        TopicSpec {
            name: name.into(),
            partitions: 1,
            replication_factor: -1,
            configs: BTreeMap::from([("cleanup.policy".to_owned(), "compact".to_owned())]),
        }
    }
}

/// Creates the topic unless it exists. Returns whether it was created. An
/// existing topic is left as it is.
pub async fn ensure_topic(config: &KafkaConfig, spec: &TopicSpec) -> Result<bool, ClientError> {
    let admin = admin(config)?;
    let topic = NewTopic::with_num_partitions_replication_factor(
        spec.name.clone(),
        Some(spec.partitions),
        Some(spec.replication_factor),
    )
    .set_configs(Some(spec.configs.clone()));
    let result = admin.create_topics(&[topic]).all().get().await;
    admin.close().await;
    match result {
        Ok(()) => Ok(true),
        Err(e) if e.is_topic_exists_error() => Ok(false),
        Err(e) => Err(ClientError::kafka(format!("create topic {}", spec.name), e)),
    }
}

/// The cluster's id, as the brokers report it.
pub async fn cluster_id(config: &KafkaConfig) -> Result<String, ClientError> {
    let admin = admin(config)?;
    let result = admin.describe_cluster().cluster_id().get().await;
    admin.close().await;
    result.map_err(|e| ClientError::kafka("describe cluster", e))
}

fn admin(config: &KafkaConfig) -> Result<Box<dyn confluent_kafka::admin::Admin>, ClientError> {
    let admin_config =
        AdminClientConfig::new(&config.props(&[])?).map_err(|e| ClientError::Config {
            reason: e.to_string(),
        })?;
    AdminClient::create(admin_config).map_err(|e| ClientError::Config {
        reason: e.to_string(),
    })
}
