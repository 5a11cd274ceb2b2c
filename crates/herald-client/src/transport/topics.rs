//! Topic and consumer-group administration for tools (`herald topic …`,
//! `herald group …`): list, describe, create, delete and alter topics;
//! list and describe groups, read and move their committed offsets; and
//! the partitions' offsets by time. Plain data in, plain data out, so a
//! command-line tool needs no Kafka client types.

use std::collections::{BTreeMap, HashMap};

use confluent_kafka::admin::{
    Admin, AdminClient, AdminClientConfig, AlterConfigOp, ConfigEntry, NewPartitions, NewTopic,
    OffsetSpec, OpType,
};
use confluent_kafka::common::TopicPartition;
use confluent_kafka::common::config::ConfigResource;
use confluent_kafka::common::config::config_resource::Type as ResourceType;
use confluent_kafka::consumer::OffsetAndMetadata;

use super::{KafkaConfig, TopicSpec};
use crate::ClientError;

/// A topic as `list_topics` reports it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TopicSummary {
    /// Its name.
    pub name: String,
    /// Whether it is one of the cluster's internal topics.
    pub internal: bool,
}

/// One partition of a described topic.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PartitionSummary {
    /// The partition number.
    pub partition: i32,
    /// The leader's broker id (`None` while leaderless).
    pub leader: Option<i32>,
    /// The replicas' broker ids.
    pub replicas: Vec<i32>,
    /// The in-sync replicas' broker ids.
    pub isr: Vec<i32>,
}

/// A topic config entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TopicConfigEntry {
    /// The config's name (`cleanup.policy`, …).
    pub name: String,
    /// Its value (`None` when sensitive or unset).
    pub value: Option<String>,
    /// Whether it is the broker default rather than set on the topic.
    pub is_default: bool,
}

/// A described topic.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TopicDetails {
    /// Its name.
    pub name: String,
    /// Whether it is internal.
    pub internal: bool,
    /// Its partitions, by number.
    pub partitions: Vec<PartitionSummary>,
    /// Its configs, by name.
    pub configs: Vec<TopicConfigEntry>,
}

/// A consumer group as `list_groups` reports it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GroupSummary {
    /// The group id.
    pub id: String,
    /// Its state (`Stable`, `Empty`, …), when reported.
    pub state: Option<String>,
    /// Its type (`Consumer`, `Classic`, `Share`), when reported.
    pub group_type: Option<String>,
}

/// A member of a described group.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GroupMember {
    /// The member id.
    pub member_id: String,
    /// The client id it connected with.
    pub client_id: String,
    /// The host it connected from.
    pub host: String,
    /// The partitions assigned to it, sorted.
    pub assignment: Vec<(String, i32)>,
}

/// A described consumer group.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GroupDetails {
    /// The group id.
    pub id: String,
    /// Its state.
    pub state: String,
    /// Its members.
    pub members: Vec<GroupMember>,
    /// Committed offsets by (topic, partition).
    pub offsets: BTreeMap<(String, i32), i64>,
}

/// Where to read a partition's offset from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OffsetQuery {
    /// The log start offset.
    Earliest,
    /// The end offset (the next record's offset).
    Latest,
    /// The first offset whose timestamp is at or after this many
    /// milliseconds since the epoch (the end offset when there is none).
    Timestamp(i64),
}

fn admin(config: &KafkaConfig) -> Result<Box<dyn Admin>, ClientError> {
    let admin_config =
        AdminClientConfig::new(&config.props(&[])?).map_err(|e| ClientError::Config {
            reason: e.to_string(),
        })?;
    AdminClient::create(admin_config).map_err(|e| ClientError::Config {
        reason: e.to_string(),
    })
}

/// Runs `f` on a fresh admin client and closes it whatever `f` returned.
async fn with_admin<T, F, Fut>(config: &KafkaConfig, f: F) -> Result<T, ClientError>
where
    F: FnOnce(std::sync::Arc<dyn Admin>) -> Fut,
    Fut: std::future::Future<Output = Result<T, ClientError>>,
{
    let admin: std::sync::Arc<dyn Admin> = std::sync::Arc::from(admin(config)?);
    let result = f(admin.clone()).await;
    admin.close().await;
    result
}

/// Every topic, internal ones only when `include_internal`, sorted by name.
pub async fn list_topics(
    config: &KafkaConfig,
    include_internal: bool,
) -> Result<Vec<TopicSummary>, ClientError> {
    with_admin(config, |admin| async move {
        let listings = admin
            .list_topics()
            .listings()
            .get()
            .await
            .map_err(|e| ClientError::kafka("list topics", e))?;
        let mut topics: Vec<TopicSummary> = listings
            .iter()
            .filter(|l| include_internal || !l.is_internal())
            .map(|l| TopicSummary {
                name: l.name().to_owned(),
                internal: l.is_internal(),
            })
            .collect();
        topics.sort_by(|a, b| a.name.cmp(&b.name));
        Ok(topics)
    })
    .await
}

/// Creates a topic; an existing topic is an error (see
/// [`ensure_topic`](super::ensure_topic) for create-if-missing).
pub async fn create_topic(config: &KafkaConfig, spec: &TopicSpec) -> Result<(), ClientError> {
    let topic = NewTopic::with_num_partitions_replication_factor(
        spec.name.clone(),
        Some(spec.partitions),
        Some(spec.replication_factor),
    )
    .set_configs(Some(spec.configs.clone()));
    let name = spec.name.clone();
    with_admin(config, |admin| async move {
        admin
            .create_topics(&[topic])
            .all()
            .get()
            .await
            .map_err(|e| ClientError::kafka(format!("create topic {name}"), e))
    })
    .await
}

/// Deletes a topic and its data.
pub async fn delete_topic(config: &KafkaConfig, name: &str) -> Result<(), ClientError> {
    let names = vec![name.to_owned()];
    with_admin(config, |admin| async move {
        admin
            .delete_topics_with_string_slice(&names)
            .all()
            .get()
            .await
            .map_err(|e| ClientError::kafka(format!("delete topic {}", names[0]), e))
    })
    .await
}

/// A topic's partitions and configs.
pub async fn describe_topic(config: &KafkaConfig, name: &str) -> Result<TopicDetails, ClientError> {
    let name = name.to_owned();
    with_admin(config, |admin| async move {
        let operation = format!("describe topic {name}");
        let described = admin
            .describe_topics_with_topic_names(std::slice::from_ref(&name))
            .all_topic_names()
            .ok_or_else(|| ClientError::config("describe by name returned no result"))?
            .get()
            .await
            .map_err(|e| ClientError::kafka(operation.clone(), e))?;
        let description = described
            .get(&name)
            .ok_or_else(|| ClientError::config(format!("{operation}: no description returned")))?;
        let mut partitions: Vec<PartitionSummary> = description
            .partitions()
            .iter()
            .map(|p| PartitionSummary {
                partition: p.partition(),
                leader: p.leader().filter(|n| !n.is_empty()).map(|n| n.id()),
                replicas: p.replicas().iter().map(|n| n.id()).collect(),
                isr: p.isr().iter().map(|n| n.id()).collect(),
            })
            .collect();
        partitions.sort_by_key(|p| p.partition);
        let resource = ConfigResource::new(ResourceType::Topic, name.clone());
        let configs = admin
            .describe_configs(std::slice::from_ref(&resource))
            .all()
            .get()
            .await
            .map_err(|e| ClientError::kafka(format!("describe configs of {name}"), e))?;
        let mut entries: Vec<TopicConfigEntry> = configs
            .get(&resource)
            .map(|c| {
                c.entries()
                    .map(|e| TopicConfigEntry {
                        name: e.name().to_owned(),
                        value: e.value().map(str::to_owned),
                        is_default: e.is_default(),
                    })
                    .collect()
            })
            .unwrap_or_default();
        entries.sort_by(|a, b| a.name.cmp(&b.name));
        Ok(TopicDetails {
            name: description.name().to_owned(),
            internal: description.is_internal(),
            partitions,
            configs: entries,
        })
    })
    .await
}

/// Grows a topic to `partitions` partitions (when given), sets the configs
/// in `set` and removes those in `delete` (back to the broker default).
pub async fn alter_topic(
    config: &KafkaConfig,
    name: &str,
    partitions: Option<i32>,
    set: &BTreeMap<String, String>,
    delete: &[String],
) -> Result<(), ClientError> {
    let name = name.to_owned();
    let set = set.clone();
    let delete = delete.to_vec();
    with_admin(config, |admin| async move {
        if let Some(n) = partitions {
            let request = HashMap::from([(name.clone(), NewPartitions::increase_to(n))]);
            admin
                .create_partitions(&request)
                .all()
                .get()
                .await
                .map_err(|e| ClientError::kafka(format!("grow {name} to {n} partitions"), e))?;
        }
        if set.is_empty() && delete.is_empty() {
            return Ok(());
        }
        let mut ops: Vec<AlterConfigOp> = set
            .iter()
            .map(|(k, v)| {
                AlterConfigOp::new(ConfigEntry::new(k.clone(), Some(v.clone())), OpType::Set)
            })
            .collect();
        ops.extend(
            delete
                .iter()
                .map(|k| AlterConfigOp::new(ConfigEntry::new(k.clone(), None), OpType::Delete)),
        );
        let request =
            HashMap::from([(ConfigResource::new(ResourceType::Topic, name.clone()), ops)]);
        admin
            .incremental_alter_configs(&request)
            .all()
            .get()
            .await
            .map_err(|e| ClientError::kafka(format!("alter configs of {name}"), e))
    })
    .await
}

/// The offset of every partition of `topic` for `query`, by partition.
pub async fn partition_offsets(
    config: &KafkaConfig,
    topic: &str,
    query: OffsetQuery,
) -> Result<BTreeMap<i32, i64>, ClientError> {
    let details = describe_topic(config, topic).await?;
    let topic = topic.to_owned();
    with_admin(config, |admin| async move {
        let spec = |q: OffsetQuery| match q {
            OffsetQuery::Earliest => OffsetSpec::earliest(),
            OffsetQuery::Latest => OffsetSpec::latest(),
            OffsetQuery::Timestamp(ts) => OffsetSpec::for_timestamp(ts),
        };
        let request: HashMap<TopicPartition, OffsetSpec> = details
            .partitions
            .iter()
            .map(|p| {
                (
                    TopicPartition::new(topic.as_str(), p.partition),
                    spec(query),
                )
            })
            .collect();
        let found = admin
            .list_offsets(&request)
            .all()
            .get()
            .await
            .map_err(|e| ClientError::kafka(format!("list offsets of {topic}"), e))?;
        let mut out = BTreeMap::new();
        let mut missing = Vec::new();
        for p in &details.partitions {
            match found.get(&TopicPartition::new(topic.as_str(), p.partition)) {
                // -1: no record at or after the timestamp; the end is where
                // a consumer would start.
                Some(info) if info.offset() >= 0 => {
                    out.insert(p.partition, info.offset());
                }
                _ => missing.push(p.partition),
            }
        }
        if !missing.is_empty() {
            let ends = admin
                .list_offsets(
                    &missing
                        .iter()
                        .map(|p| {
                            (
                                TopicPartition::new(topic.as_str(), *p),
                                OffsetSpec::latest(),
                            )
                        })
                        .collect(),
                )
                .all()
                .get()
                .await
                .map_err(|e| ClientError::kafka(format!("list end offsets of {topic}"), e))?;
            for p in missing {
                let end = ends
                    .get(&TopicPartition::new(topic.as_str(), p))
                    .map(|i| i.offset())
                    .unwrap_or(0);
                out.insert(p, end);
            }
        }
        Ok(out)
    })
    .await
}

/// Every consumer group, sorted by id.
pub async fn list_groups(config: &KafkaConfig) -> Result<Vec<GroupSummary>, ClientError> {
    with_admin(config, |admin| async move {
        let listings = admin
            .list_groups()
            .all()
            .get()
            .await
            .map_err(|e| ClientError::kafka("list groups", e))?;
        let mut groups: Vec<GroupSummary> = listings
            .iter()
            .map(|g| GroupSummary {
                id: g.group_id().to_owned(),
                state: g.group_state().map(|s| s.to_string()),
                group_type: g.r#type().map(|t| t.to_string()),
            })
            .collect();
        groups.sort_by(|a, b| a.id.cmp(&b.id));
        Ok(groups)
    })
    .await
}

/// A group's state, members and committed offsets.
pub async fn describe_group(
    config: &KafkaConfig,
    group: &str,
) -> Result<GroupDetails, ClientError> {
    let group = group.to_owned();
    with_admin(config, |admin| async move {
        let ids = vec![group.clone()];
        let described = admin
            .describe_consumer_groups(&ids)
            .all()
            .get()
            .await
            .map_err(|e| ClientError::kafka(format!("describe group {group}"), e))?;
        let description = described.get(&group).ok_or_else(|| {
            ClientError::config(format!("describe group {group}: no description returned"))
        })?;
        let members = description
            .members()
            .iter()
            .map(|m| {
                let mut assignment: Vec<(String, i32)> = m
                    .assignment()
                    .topic_partitions()
                    .iter()
                    .map(|tp| (tp.topic().to_owned(), tp.partition()))
                    .collect();
                assignment.sort();
                GroupMember {
                    member_id: m.consumer_id().to_owned(),
                    client_id: m.client_id().to_owned(),
                    host: m.host().to_owned(),
                    assignment,
                }
            })
            .collect();
        let offsets = committed(&*admin, &group).await?;
        Ok(GroupDetails {
            id: group.clone(),
            state: description.group_state().to_string(),
            members,
            offsets,
        })
    })
    .await
}

async fn committed(
    admin: &dyn Admin,
    group: &str,
) -> Result<BTreeMap<(String, i32), i64>, ClientError> {
    let all = admin
        .list_consumer_group_offsets_with_group_id(group)
        .all()
        .get()
        .await
        .map_err(|e| ClientError::kafka(format!("list offsets of group {group}"), e))?;
    let mut out = BTreeMap::new();
    if let Some(offsets) = all.get(group) {
        for (tp, om) in offsets {
            if let Some(om) = om {
                out.insert((tp.topic().to_owned(), tp.partition()), om.offset());
            }
        }
    }
    Ok(out)
}

/// Sets a group's committed offsets; Kafka only allows it while the group
/// has no active member.
pub async fn alter_group_offsets(
    config: &KafkaConfig,
    group: &str,
    offsets: &BTreeMap<(String, i32), i64>,
) -> Result<(), ClientError> {
    let group = group.to_owned();
    let mut request = HashMap::new();
    for ((topic, partition), offset) in offsets {
        let om = OffsetAndMetadata::new(*offset).map_err(|e| ClientError::kafka("offset", e))?;
        request.insert(TopicPartition::new(topic.as_str(), *partition), om);
    }
    with_admin(config, |admin| async move {
        admin
            .alter_consumer_group_offsets(&group, &request)
            .all()
            .get()
            .await
            .map_err(|e| ClientError::kafka(format!("reset offsets of group {group}"), e))
    })
    .await
}
