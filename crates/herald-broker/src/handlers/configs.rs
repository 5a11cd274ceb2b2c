//! Describing topic and broker configuration the way Kafka's admin APIs do:
//! every key with its value, where it comes from, its type and its doc.
//!
//! Topic keys are herald-log's (the same names as Kafka's); each has a
//! broker-level synonym carrying the default it falls back to.

use herald_log::{CONFIG_KEYS, TopicConfig, TopicInfo};

use crate::Broker;

/// Kafka's `ConfigSource` values.
pub(crate) mod source {
    /// A per-topic override.
    pub const DYNAMIC_TOPIC_CONFIG: i8 = 1;
    /// Set in the broker's static configuration.
    pub const STATIC_BROKER_CONFIG: i8 = 4;
    /// The built-in default.
    pub const DEFAULT_CONFIG: i8 = 5;
}

/// Kafka's `ConfigType` values (DescribeConfigs v3+).
mod kind {
    pub const BOOLEAN: i8 = 1;
    pub const STRING: i8 = 2;
    pub const INT: i8 = 3;
    pub const LONG: i8 = 5;
    pub const LIST: i8 = 7;
}

/// Kafka's `ConfigResource.Type` values.
pub(crate) mod resource {
    /// A topic.
    pub const TOPIC: i8 = 2;
    /// A broker.
    pub const BROKER: i8 = 4;
}

/// One described configuration entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Entry {
    pub name: &'static str,
    pub value: String,
    pub source: i8,
    pub read_only: bool,
    pub kind: i8,
    pub doc: &'static str,
    /// `(name, value, source)` from the most to the least specific.
    pub synonyms: Vec<(&'static str, String, i8)>,
}

/// Type, broker-level synonym and documentation of a topic key.
fn topic_key(key: &str) -> (i8, Option<&'static str>, &'static str) {
    match key {
        "cleanup.policy" => (
            kind::LIST,
            Some("log.cleanup.policy"),
            "`delete` old segments, `compact` by key, or both.",
        ),
        "retention.ms" => (
            kind::LONG,
            Some("log.retention.ms"),
            "Delete segments whose newest record is older than this; -1 keeps them forever.",
        ),
        "retention.bytes" => (
            kind::LONG,
            Some("log.retention.bytes"),
            "Delete the oldest segments while a partition is larger than this; -1 is unbounded.",
        ),
        "segment.bytes" => (
            kind::INT,
            Some("log.segment.bytes"),
            "Start a new segment file when the active one reaches this size.",
        ),
        "segment.ms" => (
            kind::LONG,
            Some("log.roll.ms"),
            "Start a new segment file when the active one is this old.",
        ),
        "index.interval.bytes" => (
            kind::INT,
            Some("log.index.interval.bytes"),
            "Bytes of log between two offset-index entries.",
        ),
        "delete.retention.ms" => (
            kind::LONG,
            Some("log.cleaner.delete.retention.ms"),
            "How long tombstones survive compaction.",
        ),
        "min.compaction.lag.ms" => (
            kind::LONG,
            Some("log.cleaner.min.compaction.lag.ms"),
            "Records younger than this are never compacted.",
        ),
        "max.message.bytes" => (
            kind::INT,
            Some("message.max.bytes"),
            "The largest record batch the topic accepts.",
        ),
        "message.timestamp.type" => (
            kind::STRING,
            Some("log.message.timestamp.type"),
            "`CreateTime` keeps the producer's timestamps; `LogAppendTime` stamps the broker's clock.",
        ),
        "flush" => (
            kind::STRING,
            Some("log.flush"),
            "herald: `always` (fsync before acknowledging, group commit), `interval:<ms>` or `never`.",
        ),
        "storage" => (
            kind::STRING,
            Some("log.storage"),
            "herald: `disk` or `memory` (data lost on restart); fixed when the topic is created.",
        ),
        "herald.queue" => (
            kind::BOOLEAN,
            Some("log.queue"),
            "herald: `true` makes the topic a queue: records every interested group consumed are deleted.",
        ),
        _ => (kind::STRING, None, ""),
    }
}

/// Every configuration of `topic` (or only `keys`), with its source:
/// an override, or the broker default.
pub(crate) fn topic_entries(
    topic: &TopicInfo,
    defaults: &TopicConfig,
    keys: Option<&[String]>,
) -> Vec<Entry> {
    let default_values = defaults.to_pairs();
    topic
        .config
        .to_pairs()
        .into_iter()
        .filter(|(k, _)| keys.is_none_or(|keys| keys.iter().any(|w| w == k)))
        .map(|(name, value)| {
            let (kind, broker_key, doc) = topic_key(name);
            let default = default_values
                .iter()
                .find(|(k, _)| *k == name)
                .map(|(_, v)| v.clone())
                .unwrap_or_default();
            let overridden = topic.overrides.contains_key(name);
            let mut synonyms = Vec::new();
            if overridden {
                synonyms.push((name, value.clone(), source::DYNAMIC_TOPIC_CONFIG));
            }
            if let Some(b) = broker_key {
                synonyms.push((b, default, source::DEFAULT_CONFIG));
            }
            Entry {
                name,
                value,
                source: if overridden {
                    source::DYNAMIC_TOPIC_CONFIG
                } else {
                    source::DEFAULT_CONFIG
                },
                // `storage` cannot change after creation.
                read_only: name == "storage",
                kind,
                doc,
                synonyms,
            }
        })
        .collect()
}

/// The broker-level configuration (read-only: herald's broker settings come
/// from its command line and environment, not from AlterConfigs).
pub(crate) fn broker_entries(broker: &Broker, keys: Option<&[String]>) -> Vec<Entry> {
    let c = broker.config();
    let d = broker.log().defaults();
    let mut all: Vec<Entry> = vec![
        (
            "node.id",
            c.node_id.to_string(),
            kind::INT,
            "This broker's id.",
        ),
        (
            "broker.id",
            c.node_id.to_string(),
            kind::INT,
            "This broker's id.",
        ),
        (
            "auto.create.topics.enable",
            c.auto_create_topics.to_string(),
            kind::BOOLEAN,
            "Create a topic when a client asks Metadata for one that does not exist.",
        ),
        (
            "num.partitions",
            c.default_partitions.to_string(),
            kind::INT,
            "Partitions of topics created without a count.",
        ),
        (
            "default.replication.factor",
            "1".to_owned(),
            kind::INT,
            "A single node keeps one replica.",
        ),
        (
            "min.insync.replicas",
            "1".to_owned(),
            kind::INT,
            "A single node keeps one replica.",
        ),
        (
            "socket.request.max.bytes",
            c.max_request_bytes.to_string(),
            kind::INT,
            "The largest request accepted.",
        ),
        (
            "max.connections",
            c.max_connections.to_string(),
            kind::INT,
            "Client connections served at once.",
        ),
    ]
    .into_iter()
    .map(|(name, value, kind, doc)| Entry {
        name,
        value,
        source: source::STATIC_BROKER_CONFIG,
        read_only: true,
        kind,
        doc,
        synonyms: Vec::new(),
    })
    .collect();
    for (key, value) in d.to_pairs() {
        let (kind, broker_key, doc) = topic_key(key);
        if let Some(name) = broker_key {
            all.push(Entry {
                name,
                value,
                source: source::DEFAULT_CONFIG,
                read_only: true,
                kind,
                doc,
                synonyms: Vec::new(),
            });
        }
    }
    debug_assert!(CONFIG_KEYS.iter().all(|k| topic_key(k).1.is_some()));
    all.retain(|e| keys.is_none_or(|keys| keys.iter().any(|w| w == e.name)));
    all
}

/// Whether `key` is a LIST-typed topic configuration (APPEND/SUBTRACT apply).
pub(crate) fn is_list(key: &str) -> bool {
    topic_key(key).0 == kind::LIST
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeMap;
    use std::sync::Arc;

    #[test]
    fn overrides_and_defaults_are_told_apart() {
        let mut overrides = BTreeMap::new();
        overrides.insert("retention.ms".to_owned(), "1000".to_owned());
        let defaults = TopicConfig::default();
        let topic = TopicInfo {
            name: "t".into(),
            id: uuid::Uuid::from_u128(1),
            partitions: 1,
            config: Arc::new(defaults.with_overrides(&overrides).unwrap()),
            overrides,
        };
        let all = topic_entries(&topic, &defaults, None);
        assert_eq!(all.len(), CONFIG_KEYS.len());
        let retention = all.iter().find(|e| e.name == "retention.ms").unwrap();
        assert_eq!(retention.value, "1000");
        assert_eq!(retention.source, source::DYNAMIC_TOPIC_CONFIG);
        assert_eq!(retention.synonyms.len(), 2);
        assert_eq!(retention.synonyms[1].1, "604800000");
        let segment = all.iter().find(|e| e.name == "segment.bytes").unwrap();
        assert_eq!(segment.source, source::DEFAULT_CONFIG);
        let only = topic_entries(&topic, &defaults, Some(&["cleanup.policy".to_owned()]));
        assert_eq!(only.len(), 1);
        assert_eq!(only[0].kind, kind::LIST);
        assert!(is_list("cleanup.policy") && !is_list("retention.ms"));
    }
}
