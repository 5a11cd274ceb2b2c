//! Topic configuration, under Kafka's names, parsed from string key/values.

use std::collections::BTreeMap;
use std::fmt;
use std::time::Duration;

use crate::batch::TimestampType;
use crate::error::ConfigError;

/// When appended data reaches stable storage — the durability contract of a topic.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum FlushPolicy {
    /// An append returns only after its bytes are `fdatasync`ed; concurrent
    /// appends share one sync (group commit). Acknowledged data survives a
    /// process crash, a kernel crash and power loss (on honest disks). Readers
    /// see data only once it is durable. Herald's default.
    Always,
    /// Appends return once written to the OS page cache; a background pass
    /// syncs each partition at most this long after its first unsynced append.
    /// Survives a process crash; a power loss loses at most about this window.
    Interval(Duration),
    /// Appends return once written to the page cache; the OS decides when to
    /// write back (Kafka's default). Survives a process crash only. Segments
    /// are still synced when they roll and at clean shutdown.
    Never,
}

impl fmt::Display for FlushPolicy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Always => f.write_str("always"),
            Self::Interval(d) => write!(f, "interval:{}", d.as_millis()),
            Self::Never => f.write_str("never"),
        }
    }
}

/// Where a topic's partitions keep their data.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum StorageKind {
    /// Segment files under the data directory.
    Disk,
    /// In memory only: the same API and semantics, bounded by `retention.bytes`,
    /// nothing written to disk; the data is gone on restart (the topic itself,
    /// its configuration and id, persist).
    Memory,
}

/// `cleanup.policy`: `delete`, `compact` or both.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct CleanupPolicy {
    /// Old segments are deleted by `retention.ms` / `retention.bytes`.
    pub delete: bool,
    /// Older records are dropped when a later record has the same key.
    pub compact: bool,
}

impl fmt::Display for CleanupPolicy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (self.compact, self.delete) {
            (true, true) => f.write_str("compact,delete"),
            (true, false) => f.write_str("compact"),
            _ => f.write_str("delete"),
        }
    }
}

/// The effective configuration of a topic (defaults overlaid with overrides).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TopicConfig {
    /// `cleanup.policy` (default `delete`).
    pub cleanup_policy: CleanupPolicy,
    /// `retention.ms`: delete segments whose newest batch is older; `None` = `-1`, forever (default 7 days).
    pub retention_ms: Option<i64>,
    /// `retention.bytes`: keep the partition under this size; `None` = `-1`, unbounded (default).
    pub retention_bytes: Option<u64>,
    /// `segment.bytes`: roll the active segment at this size (default 1 GiB).
    pub segment_bytes: u64,
    /// `segment.ms`: roll the active segment after this age (default 7 days).
    pub segment_ms: i64,
    /// `index.interval.bytes`: bytes between offset-index entries (default 4096).
    pub index_interval_bytes: u32,
    /// `delete.retention.ms`: how long tombstones survive compaction (default 1 day).
    pub delete_retention_ms: i64,
    /// `min.compaction.lag.ms`: records younger than this are not compacted (default 0).
    pub min_compaction_lag_ms: i64,
    /// `max.message.bytes`: largest batch accepted (default 1048588, as Kafka).
    pub max_message_bytes: u32,
    /// `message.timestamp.type`: `CreateTime` (default) or `LogAppendTime`.
    pub message_timestamp_type: TimestampType,
    /// herald's `flush`: `always` (default), `interval:<ms>` or `never`.
    pub flush: FlushPolicy,
    /// herald's `storage`: `disk` (default) or `memory`; fixed at creation.
    pub storage: StorageKind,
    /// herald's `herald.queue`: `true` makes the topic a queue (RabbitMQ
    /// semantics): the broker moves the log start offset past records every
    /// interested group has consumed, so consumed segments are deleted.
    /// The log itself only stores the flag (default `false`).
    pub queue: bool,
}

impl Default for TopicConfig {
    fn default() -> Self {
        Self {
            cleanup_policy: CleanupPolicy {
                delete: true,
                compact: false,
            },
            retention_ms: Some(7 * 24 * 3_600_000),
            retention_bytes: None,
            segment_bytes: 1 << 30,
            segment_ms: 7 * 24 * 3_600_000,
            index_interval_bytes: 4096,
            delete_retention_ms: 24 * 3_600_000,
            min_compaction_lag_ms: 0,
            max_message_bytes: 1_048_588,
            message_timestamp_type: TimestampType::CreateTime,
            flush: FlushPolicy::Always,
            storage: StorageKind::Disk,
            queue: false,
        }
    }
}

/// Every key [`TopicConfig`] understands, in the order `to_pairs` reports them.
pub const CONFIG_KEYS: [&str; 13] = [
    "cleanup.policy",
    "retention.ms",
    "retention.bytes",
    "segment.bytes",
    "segment.ms",
    "index.interval.bytes",
    "delete.retention.ms",
    "min.compaction.lag.ms",
    "max.message.bytes",
    "message.timestamp.type",
    "flush",
    "storage",
    "herald.queue",
];

fn invalid(key: &str, value: &str, reason: &'static str) -> ConfigError {
    ConfigError::InvalidValue {
        key: key.to_owned(),
        value: value.to_owned(),
        reason,
    }
}

fn parse_i64(key: &str, value: &str, min: i64) -> Result<i64, ConfigError> {
    match value.trim().parse::<i64>() {
        Ok(v) if v >= min => Ok(v),
        _ if min == 0 => Err(invalid(key, value, "expected a non-negative integer")),
        _ if min == 1 => Err(invalid(key, value, "expected a positive integer")),
        _ => Err(invalid(key, value, "expected an integer in range")),
    }
}

fn parse_unlimited(key: &str, value: &str) -> Result<Option<i64>, ConfigError> {
    match value.trim().parse::<i64>() {
        Ok(-1) => Ok(None),
        Ok(v) if v >= 0 => Ok(Some(v)),
        _ => Err(invalid(
            key,
            value,
            "expected -1 (unlimited) or a non-negative integer",
        )),
    }
}

impl TopicConfig {
    /// Defaults overlaid with `pairs` (Kafka key names); the first bad pair is reported.
    pub fn from_pairs<'a>(
        pairs: impl IntoIterator<Item = (&'a str, &'a str)>,
    ) -> Result<Self, ConfigError> {
        let mut config = Self::default();
        for (k, v) in pairs {
            config.set(k, v)?;
        }
        Ok(config)
    }

    /// `self` overlaid with every entry of `overrides`.
    pub fn with_overrides(
        &self,
        overrides: &BTreeMap<String, String>,
    ) -> Result<Self, ConfigError> {
        let mut config = self.clone();
        for (k, v) in overrides {
            config.set(k, v)?;
        }
        Ok(config)
    }

    /// Sets one key from its string form, validating it.
    pub fn set(&mut self, key: &str, value: &str) -> Result<(), ConfigError> {
        let v = value.trim();
        match key {
            "cleanup.policy" => {
                let mut policy = CleanupPolicy {
                    delete: false,
                    compact: false,
                };
                for part in v.split(',').map(str::trim) {
                    match part {
                        "delete" => policy.delete = true,
                        "compact" => policy.compact = true,
                        _ => {
                            return Err(invalid(
                                key,
                                value,
                                "expected `delete`, `compact` or `compact,delete`",
                            ));
                        }
                    }
                }
                self.cleanup_policy = policy;
            }
            "retention.ms" => self.retention_ms = parse_unlimited(key, value)?,
            "retention.bytes" => {
                self.retention_bytes = parse_unlimited(key, value)?.map(|b| b as u64)
            }
            "segment.bytes" => {
                // Kafka's segment.bytes is an int; index positions are 32-bit.
                let n = parse_i64(key, value, 14)?;
                if n > i64::from(i32::MAX) {
                    return Err(invalid(key, value, "must be at most 2147483647"));
                }
                self.segment_bytes = n as u64;
            }
            "segment.ms" => self.segment_ms = parse_i64(key, value, 1)?,
            "index.interval.bytes" => {
                let n = parse_i64(key, value, 0)?;
                self.index_interval_bytes =
                    u32::try_from(n).map_err(|_| invalid(key, value, "must fit in 32 bits"))?;
            }
            "delete.retention.ms" => self.delete_retention_ms = parse_i64(key, value, 0)?,
            "min.compaction.lag.ms" => self.min_compaction_lag_ms = parse_i64(key, value, 0)?,
            "max.message.bytes" => {
                let n = parse_i64(key, value, 0)?;
                self.max_message_bytes =
                    u32::try_from(n).map_err(|_| invalid(key, value, "must fit in 32 bits"))?;
            }
            "message.timestamp.type" => {
                self.message_timestamp_type = match v {
                    "CreateTime" => TimestampType::CreateTime,
                    "LogAppendTime" => TimestampType::LogAppendTime,
                    _ => {
                        return Err(invalid(
                            key,
                            value,
                            "expected `CreateTime` or `LogAppendTime`",
                        ));
                    }
                }
            }
            "flush" => {
                self.flush = match v {
                    "always" => FlushPolicy::Always,
                    "never" => FlushPolicy::Never,
                    _ => match v
                        .strip_prefix("interval:")
                        .map(|ms| ms.trim().parse::<u64>())
                    {
                        Some(Ok(ms)) if ms > 0 => FlushPolicy::Interval(Duration::from_millis(ms)),
                        _ => {
                            return Err(invalid(
                                key,
                                value,
                                "expected `always`, `never` or `interval:<ms>` with ms > 0",
                            ));
                        }
                    },
                }
            }
            "storage" => {
                self.storage = match v {
                    "disk" => StorageKind::Disk,
                    "memory" => StorageKind::Memory,
                    _ => return Err(invalid(key, value, "expected `disk` or `memory`")),
                }
            }
            "herald.queue" => {
                self.queue = match v {
                    "true" => true,
                    "false" => false,
                    _ => return Err(invalid(key, value, "expected `true` or `false`")),
                }
            }
            _ => {
                return Err(ConfigError::UnknownKey {
                    key: key.to_owned(),
                });
            }
        }
        Ok(())
    }

    /// Every key with its effective value in string form (for DescribeConfigs).
    pub fn to_pairs(&self) -> Vec<(&'static str, String)> {
        let unlimited = |v: Option<i64>| v.map_or_else(|| "-1".to_owned(), |v| v.to_string());
        vec![
            ("cleanup.policy", self.cleanup_policy.to_string()),
            ("retention.ms", unlimited(self.retention_ms)),
            (
                "retention.bytes",
                unlimited(self.retention_bytes.map(|b| b as i64)),
            ),
            ("segment.bytes", self.segment_bytes.to_string()),
            ("segment.ms", self.segment_ms.to_string()),
            (
                "index.interval.bytes",
                self.index_interval_bytes.to_string(),
            ),
            ("delete.retention.ms", self.delete_retention_ms.to_string()),
            (
                "min.compaction.lag.ms",
                self.min_compaction_lag_ms.to_string(),
            ),
            ("max.message.bytes", self.max_message_bytes.to_string()),
            (
                "message.timestamp.type",
                match self.message_timestamp_type {
                    TimestampType::CreateTime => "CreateTime".to_owned(),
                    TimestampType::LogAppendTime => "LogAppendTime".to_owned(),
                },
            ),
            ("flush", self.flush.to_string()),
            (
                "storage",
                match self.storage {
                    StorageKind::Disk => "disk".to_owned(),
                    StorageKind::Memory => "memory".to_owned(),
                },
            ),
            ("herald.queue", self.queue.to_string()),
        ]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_match_kafka_and_herald() {
        let c = TopicConfig::default();
        assert_eq!(c.segment_bytes, 1 << 30);
        assert_eq!(c.index_interval_bytes, 4096);
        assert_eq!(c.flush, FlushPolicy::Always);
        assert!(c.cleanup_policy.delete && !c.cleanup_policy.compact);
    }

    #[test]
    fn every_pair_round_trips_through_strings() {
        let c = TopicConfig::from_pairs([
            ("cleanup.policy", "compact,delete"),
            ("retention.ms", "-1"),
            ("retention.bytes", "1000"),
            ("flush", "interval:250"),
            ("storage", "memory"),
            ("message.timestamp.type", "LogAppendTime"),
            ("herald.queue", "true"),
        ])
        .unwrap();
        assert!(c.queue);
        assert!(
            !TopicConfig::default().queue,
            "topics are not queues by default"
        );
        assert_eq!(c.flush, FlushPolicy::Interval(Duration::from_millis(250)));
        assert_eq!(c.retention_ms, None);
        assert_eq!(c.retention_bytes, Some(1000));
        let pairs = c.to_pairs();
        assert_eq!(pairs.len(), CONFIG_KEYS.len());
        let back = TopicConfig::from_pairs(pairs.iter().map(|(k, v)| (*k, v.as_str()))).unwrap();
        assert_eq!(back, c);
    }

    #[test]
    fn bad_values_are_typed_errors() {
        assert_eq!(
            TopicConfig::from_pairs([("nope", "1")]),
            Err(ConfigError::UnknownKey { key: "nope".into() })
        );
        for (k, v) in [
            ("flush", "sometimes"),
            ("flush", "interval:0"),
            ("segment.bytes", "10"),
            ("segment.bytes", "4294967296"),
            ("retention.ms", "-2"),
            ("cleanup.policy", "shred"),
            ("storage", "tape"),
            ("herald.queue", "yes"),
        ] {
            let err = TopicConfig::from_pairs([(k, v)]).unwrap_err();
            assert!(
                matches!(err, ConfigError::InvalidValue { .. }),
                "{k}={v}: {err}"
            );
        }
    }
}
