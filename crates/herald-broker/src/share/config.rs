//! Share-group settings: the broker's (`group.share.*` in Kafka) and the
//! per-group configuration set with IncrementalAlterConfigs on the GROUP
//! resource (Kafka's group configs, KIP-932, KIP-1240, KIP-1191).

use std::collections::BTreeMap;

use super::error::ShareError;

/// Broker-level share-group settings. Each default is Kafka's, named after
/// the Kafka broker setting it mirrors; the `min`/`max` pairs bound what a
/// group configuration may choose.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct ShareConfig {
    /// Session timeout of share-group members (`group.share.session.timeout.ms`, 45 000).
    pub session_timeout_ms: i32,
    /// Lowest per-group session timeout (`group.share.min.session.timeout.ms`, 45 000).
    pub min_session_timeout_ms: i32,
    /// Highest per-group session timeout (`group.share.max.session.timeout.ms`, 60 000).
    pub max_session_timeout_ms: i32,
    /// Heartbeat interval told to members (`group.share.heartbeat.interval.ms`, 5 000).
    pub heartbeat_interval_ms: i32,
    /// Lowest per-group heartbeat interval (`group.share.min.heartbeat.interval.ms`, 5 000).
    pub min_heartbeat_interval_ms: i32,
    /// Highest per-group heartbeat interval (`group.share.max.heartbeat.interval.ms`, 15 000).
    pub max_heartbeat_interval_ms: i32,
    /// How long acquired records stay locked to their member
    /// (`group.share.record.lock.duration.ms`, 30 000).
    pub record_lock_duration_ms: i32,
    /// Lowest per-group lock duration (`group.share.min.record.lock.duration.ms`, 15 000).
    pub min_record_lock_duration_ms: i32,
    /// Highest per-group lock duration (`group.share.max.record.lock.duration.ms`, 60 000).
    pub max_record_lock_duration_ms: i32,
    /// Deliveries after which a record is archived (`group.share.delivery.count.limit`, 5; 2–10).
    pub delivery_count_limit: i32,
    /// Records that may be in flight per share-partition
    /// (`group.share.partition.max.record.locks`, 2 000; 100–10 000).
    pub partition_max_record_locks: i32,
    /// Share sessions this broker keeps at once (`group.share.max.share.sessions`, 2 000).
    pub max_share_sessions: usize,
    /// How often queue topics (`herald.queue=true`) are checked for consumed
    /// records to delete (herald; 1 000 ms).
    pub queue_check_interval_ms: u64,
}

impl Default for ShareConfig {
    fn default() -> Self {
        ShareConfig {
            session_timeout_ms: 45_000,
            min_session_timeout_ms: 45_000,
            max_session_timeout_ms: 60_000,
            heartbeat_interval_ms: 5_000,
            min_heartbeat_interval_ms: 5_000,
            max_heartbeat_interval_ms: 15_000,
            record_lock_duration_ms: 30_000,
            min_record_lock_duration_ms: 15_000,
            max_record_lock_duration_ms: 60_000,
            delivery_count_limit: 5,
            partition_max_record_locks: 2_000,
            max_share_sessions: 2_000,
            queue_check_interval_ms: 1_000,
        }
    }
}

/// Where a share-partition starts the first time a group uses it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum AutoOffsetReset {
    /// At the high watermark: only records produced from now on (Kafka's default).
    Latest,
    /// At the log start offset.
    Earliest,
    /// At the first record not older than this many milliseconds.
    ByDuration(i64),
}

/// The effective settings of one share group: broker defaults overlaid
/// with the group's configuration.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct GroupSettings {
    pub session_timeout_ms: i32,
    pub heartbeat_interval_ms: i32,
    pub record_lock_duration_ms: i32,
    pub delivery_count_limit: u16,
    pub max_record_locks: usize,
    pub auto_offset_reset: AutoOffsetReset,
    /// `read_committed`; herald has no transactions, so both levels read to
    /// the high watermark.
    pub read_committed: bool,
    /// The dead-letter topic, if any.
    pub dlq_topic: Option<String>,
    /// Copy the archived record into the dead-letter topic (else context headers only).
    pub dlq_copy_record: bool,
}

impl GroupSettings {
    /// Kafka's defaults, for when a group's stored configuration no longer
    /// fits the broker's bounds.
    pub(crate) fn kafka_defaults() -> Self {
        GroupSettings {
            session_timeout_ms: 45_000,
            heartbeat_interval_ms: 5_000,
            record_lock_duration_ms: 30_000,
            delivery_count_limit: 5,
            max_record_locks: 2_000,
            auto_offset_reset: AutoOffsetReset::Latest,
            read_committed: false,
            dlq_topic: None,
            dlq_copy_record: false,
        }
    }
}

/// The group configuration keys, in the order DescribeConfigs lists them.
pub(crate) const GROUP_CONFIG_KEYS: [&str; 9] = [
    "share.session.timeout.ms",
    "share.heartbeat.interval.ms",
    "share.record.lock.duration.ms",
    "share.delivery.count.limit",
    "share.partition.max.record.locks",
    "share.auto.offset.reset",
    "share.isolation.level",
    "errors.deadletterqueue.topic.name",
    "errors.deadletterqueue.copy.record.enable",
];

fn bad(key: &str, value: &str, why: impl std::fmt::Display) -> ShareError {
    ShareError::InvalidConfig(format!("invalid value `{value}` for `{key}`: {why}"))
}

fn int_in(key: &str, value: &str, min: i32, max: i32) -> Result<i32, ShareError> {
    match value.trim().parse::<i32>() {
        Ok(v) if (min..=max).contains(&v) => Ok(v),
        _ => Err(bad(
            key,
            value,
            format_args!("expected an integer in [{min}, {max}]"),
        )),
    }
}

impl ShareConfig {
    /// The settings of a group with `overrides`, every value validated
    /// against this broker's bounds; the first bad key is reported.
    pub(crate) fn settings(
        &self,
        overrides: &BTreeMap<String, String>,
    ) -> Result<GroupSettings, ShareError> {
        let mut s = GroupSettings {
            session_timeout_ms: self.session_timeout_ms,
            heartbeat_interval_ms: self.heartbeat_interval_ms,
            record_lock_duration_ms: self.record_lock_duration_ms,
            delivery_count_limit: u16::try_from(self.delivery_count_limit.clamp(1, 1000))
                .unwrap_or(5),
            max_record_locks: usize::try_from(self.partition_max_record_locks.max(1))
                .unwrap_or(2_000),
            auto_offset_reset: AutoOffsetReset::Latest,
            read_committed: false,
            dlq_topic: None,
            dlq_copy_record: false,
        };
        for (key, value) in overrides {
            let v = value.trim();
            match key.as_str() {
                "share.session.timeout.ms" => {
                    s.session_timeout_ms = int_in(
                        key,
                        v,
                        self.min_session_timeout_ms,
                        self.max_session_timeout_ms,
                    )?
                }
                "share.heartbeat.interval.ms" => {
                    s.heartbeat_interval_ms = int_in(
                        key,
                        v,
                        self.min_heartbeat_interval_ms,
                        self.max_heartbeat_interval_ms,
                    )?
                }
                "share.record.lock.duration.ms" => {
                    s.record_lock_duration_ms = int_in(
                        key,
                        v,
                        self.min_record_lock_duration_ms,
                        self.max_record_lock_duration_ms,
                    )?
                }
                "share.delivery.count.limit" => {
                    s.delivery_count_limit = int_in(key, v, 2, 10)? as u16;
                }
                "share.partition.max.record.locks" => {
                    s.max_record_locks = int_in(key, v, 100, 10_000)? as usize;
                }
                "share.auto.offset.reset" => s.auto_offset_reset = parse_reset(key, v)?,
                "share.isolation.level" => {
                    s.read_committed = match v {
                        "read_committed" => true,
                        "read_uncommitted" => false,
                        _ => {
                            return Err(bad(
                                key,
                                v,
                                "expected `read_committed` or `read_uncommitted`",
                            ));
                        }
                    }
                }
                "errors.deadletterqueue.topic.name" => {
                    if v.starts_with("__") {
                        return Err(bad(key, v, "a dead-letter topic cannot start with `__`"));
                    }
                    s.dlq_topic = (!v.is_empty()).then(|| v.to_owned());
                }
                "errors.deadletterqueue.copy.record.enable" => {
                    s.dlq_copy_record = match v {
                        "true" => true,
                        "false" => false,
                        _ => return Err(bad(key, v, "expected `true` or `false`")),
                    }
                }
                other => {
                    return Err(ShareError::InvalidConfig(format!(
                        "unknown group config `{other}`"
                    )));
                }
            }
        }
        if s.session_timeout_ms <= s.heartbeat_interval_ms {
            return Err(ShareError::InvalidConfig(
                "share.session.timeout.ms must be greater than share.heartbeat.interval.ms"
                    .to_owned(),
            ));
        }
        Ok(s)
    }

    /// Every group key with its value in string form for `overrides`
    /// (unknown or unset keys show the broker default).
    pub(crate) fn describe(
        &self,
        overrides: &BTreeMap<String, String>,
    ) -> Vec<(&'static str, String, bool)> {
        let defaults = [
            self.session_timeout_ms.to_string(),
            self.heartbeat_interval_ms.to_string(),
            self.record_lock_duration_ms.to_string(),
            self.delivery_count_limit.to_string(),
            self.partition_max_record_locks.to_string(),
            "latest".to_owned(),
            "read_uncommitted".to_owned(),
            String::new(),
            "false".to_owned(),
        ];
        GROUP_CONFIG_KEYS
            .iter()
            .zip(defaults)
            .map(|(key, default)| match overrides.get(*key) {
                Some(v) => (*key, v.clone(), true),
                None => (*key, default, false),
            })
            .collect()
    }
}

fn parse_reset(key: &str, v: &str) -> Result<AutoOffsetReset, ShareError> {
    match v {
        "latest" => Ok(AutoOffsetReset::Latest),
        "earliest" => Ok(AutoOffsetReset::Earliest),
        _ => match v.strip_prefix("by_duration:") {
            Some(d) => parse_iso_duration_ms(d.trim())
                .map(AutoOffsetReset::ByDuration)
                .ok_or_else(|| {
                    bad(
                        key,
                        v,
                        "expected an ISO-8601 duration after `by_duration:`, such as PT1H or P1DT12H",
                    )
                }),
            None => Err(bad(
                key,
                v,
                "expected `latest`, `earliest` or `by_duration:<ISO-8601 duration>`",
            )),
        },
    }
}

/// Milliseconds of an ISO-8601 duration in the form Java's
/// `Duration.parse` accepts (what Kafka uses): `PnDTnHnMn.nS`, each part
/// optional, at least one present, non-negative. Written by hand: it is a
/// dozen lines, and no small, well-kept crate parses exactly this subset.
pub(crate) fn parse_iso_duration_ms(text: &str) -> Option<i64> {
    let rest = text.strip_prefix('P').or_else(|| text.strip_prefix('p'))?;
    let (date, time) = match rest.find(['T', 't']) {
        Some(i) => (&rest[..i], Some(&rest[i + 1..])),
        None => (rest, None),
    };
    let mut total: f64 = 0.0;
    let mut parts = 0;
    let mut take = |section: &str, units: &[(char, f64)]| -> Option<()> {
        let mut number = String::new();
        let mut next_unit = 0;
        for c in section.chars() {
            if c.is_ascii_digit() || c == '.' {
                number.push(c);
                continue;
            }
            let pos = units[next_unit..]
                .iter()
                .position(|(u, _)| u.eq_ignore_ascii_case(&c))?;
            let (_, scale) = units[next_unit + pos];
            let value: f64 = number.parse().ok()?;
            if number.contains('.') && !c.eq_ignore_ascii_case(&'S') {
                return None;
            }
            total += value * scale;
            parts += 1;
            number.clear();
            next_unit += pos + 1;
        }
        number.is_empty().then_some(())
    };
    take(date, &[('D', 86_400_000.0)])?;
    if let Some(time) = time {
        if time.is_empty() {
            return None;
        }
        take(time, &[('H', 3_600_000.0), ('M', 60_000.0), ('S', 1_000.0)])?;
    }
    if parts == 0 || !total.is_finite() || total > i64::MAX as f64 {
        return None;
    }
    Some(total as i64)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn over(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect()
    }

    #[test]
    fn defaults_are_kafkas() {
        let c = ShareConfig::default();
        let s = c.settings(&BTreeMap::new()).unwrap();
        assert_eq!(s.record_lock_duration_ms, 30_000);
        assert_eq!(s.delivery_count_limit, 5);
        assert_eq!(s.max_record_locks, 2_000);
        assert_eq!(s.auto_offset_reset, AutoOffsetReset::Latest);
        assert_eq!(s.dlq_topic, None);
        let described = c.describe(&BTreeMap::new());
        assert_eq!(described.len(), GROUP_CONFIG_KEYS.len());
        assert!(described.iter().all(|(_, _, overridden)| !overridden));
    }

    #[test]
    fn overrides_are_validated_against_the_broker_bounds() {
        let c = ShareConfig::default();
        let s = c
            .settings(&over(&[
                ("share.record.lock.duration.ms", "15000"),
                ("share.delivery.count.limit", "2"),
                ("share.auto.offset.reset", "by_duration:PT1H"),
                ("errors.deadletterqueue.topic.name", "dlq"),
                ("errors.deadletterqueue.copy.record.enable", "true"),
            ]))
            .unwrap();
        assert_eq!(s.record_lock_duration_ms, 15_000);
        assert_eq!(s.delivery_count_limit, 2);
        assert_eq!(s.auto_offset_reset, AutoOffsetReset::ByDuration(3_600_000));
        assert_eq!(s.dlq_topic.as_deref(), Some("dlq"));
        assert!(s.dlq_copy_record);
        for (k, v) in [
            ("share.record.lock.duration.ms", "1000"),
            ("share.delivery.count.limit", "11"),
            ("share.partition.max.record.locks", "99"),
            ("share.auto.offset.reset", "none"),
            ("share.auto.offset.reset", "by_duration:1h"),
            ("share.isolation.level", "serializable"),
            ("errors.deadletterqueue.topic.name", "__internal"),
            ("errors.deadletterqueue.copy.record.enable", "yes"),
            ("consumer.session.timeout.ms", "45000"),
        ] {
            let err = c.settings(&over(&[(k, v)])).unwrap_err();
            assert!(matches!(err, ShareError::InvalidConfig(_)), "{k}={v}");
            assert!(err.to_string().contains(k), "{err}");
        }
    }

    #[test]
    fn iso_durations_parse_like_javas() {
        assert_eq!(parse_iso_duration_ms("PT1H"), Some(3_600_000));
        assert_eq!(parse_iso_duration_ms("P1D"), Some(86_400_000));
        assert_eq!(parse_iso_duration_ms("P1DT2H3M4.5S"), Some(93_784_500));
        assert_eq!(parse_iso_duration_ms("PT0.25S"), Some(250));
        for bad in ["", "P", "PT", "1H", "PT1", "PT1X", "PT1M1H", "P1.5D", "PTH"] {
            assert_eq!(parse_iso_duration_ms(bad), None, "{bad}");
        }
    }
}
