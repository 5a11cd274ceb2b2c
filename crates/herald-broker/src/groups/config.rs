//! Consumer-group settings.

/// Settings of the group coordinator. Each default is Kafka's, named after
/// the Kafka broker setting it mirrors.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct GroupConfig {
    /// Shortest session timeout a classic member may ask for
    /// (`group.min.session.timeout.ms`, 6 000).
    pub min_session_timeout_ms: i32,
    /// Longest session timeout a classic member may ask for
    /// (`group.max.session.timeout.ms`, 1 800 000).
    pub max_session_timeout_ms: i32,
    /// How long the first rebalance of an empty classic group waits for more
    /// members before completing (`group.initial.rebalance.delay.ms`, 3 000).
    pub initial_rebalance_delay_ms: i32,
    /// Session timeout of KIP-848 consumer-group members
    /// (`group.consumer.session.timeout.ms`, 45 000).
    pub consumer_session_timeout_ms: i32,
    /// Heartbeat interval told to KIP-848 consumer-group members
    /// (`group.consumer.heartbeat.interval.ms`, 5 000).
    pub consumer_heartbeat_interval_ms: i32,
    /// How long committed offsets are kept once their group is empty
    /// (`offsets.retention.minutes`, 7 days).
    pub offsets_retention_ms: i64,
    /// How often expired offsets and empty groups are looked for
    /// (`offsets.retention.check.interval.ms`, 600 000).
    pub offsets_retention_check_interval_ms: i64,
    /// Largest metadata string accepted with a committed offset
    /// (`offset.metadata.max.bytes`, 4 096).
    pub offset_metadata_max_bytes: usize,
}

impl Default for GroupConfig {
    fn default() -> Self {
        GroupConfig {
            min_session_timeout_ms: 6_000,
            max_session_timeout_ms: 1_800_000,
            initial_rebalance_delay_ms: 3_000,
            consumer_session_timeout_ms: 45_000,
            consumer_heartbeat_interval_ms: 5_000,
            offsets_retention_ms: 7 * 24 * 60 * 60 * 1_000,
            offsets_retention_check_interval_ms: 600_000,
            offset_metadata_max_bytes: 4_096,
        }
    }
}
