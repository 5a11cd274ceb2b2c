//! Mapping herald-log errors to Kafka error codes, and small helpers the
//! handlers share for building responses.

use herald_log::{BatchError, LogError};
use kafka_protocol::error::ResponseError;
use kafka_protocol::messages::TopicName;
use kafka_protocol::protocol::StrBytes;

/// The Kafka error code a client understands for `e`.
pub(crate) fn log_error_code(e: &LogError) -> i16 {
    use ResponseError as R;
    match e {
        LogError::InvalidBatch { source, .. } => batch_error_code(source),
        LogError::EmptyAppend => R::CorruptMessage.code(),
        LogError::RecordTooLarge { .. } => R::MessageTooLarge.code(),
        LogError::KeylessRecordOnCompactedTopic { .. } => R::InvalidRecord.code(),
        LogError::OffsetOutOfRange { .. } => R::OffsetOutOfRange.code(),
        LogError::UnknownTopic { .. } | LogError::UnknownPartition { .. } => {
            R::UnknownTopicOrPartition.code()
        }
        LogError::TopicExists { .. } => R::TopicAlreadyExists.code(),
        LogError::InvalidPartitionCount { .. } => R::InvalidPartitions.code(),
        LogError::InvalidTopicName { .. } => R::InvalidTopicException.code(),
        LogError::Config(_) => R::InvalidConfig.code(),
        // A partition closes when its topic is deleted or the broker stops:
        // a retriable "go ask the metadata again".
        LogError::Closed { .. } => R::NotLeaderOrFollower.code(),
        LogError::Io { .. } | LogError::Poisoned { .. } | LogError::Corrupt { .. } => {
            R::KafkaStorageError.code()
        }
        _ => R::UnknownServerError.code(),
    }
}

fn batch_error_code(e: &BatchError) -> i16 {
    use ResponseError as R;
    match e {
        BatchError::UnknownCompression { .. } => R::UnsupportedCompressionType.code(),
        BatchError::InvalidRecordCount { .. }
        | BatchError::ControlBatchFromProducer
        | BatchError::MalformedRecords { .. }
        | BatchError::UnsupportedMagic { .. } => R::InvalidRecord.code(),
        _ => R::CorruptMessage.code(),
    }
}

/// A response string from a Rust string.
pub(crate) fn str_bytes(s: impl Into<String>) -> StrBytes {
    StrBytes::from_string(s.into())
}

/// A topic name for a response.
pub(crate) fn topic_name(s: &str) -> TopicName {
    TopicName(str_bytes(s))
}

/// Topics Kafka and herald reserve for their own state (Metadata's `is_internal`).
pub(crate) fn is_internal_topic(name: &str) -> bool {
    matches!(
        name,
        "__consumer_offsets" | "__transaction_state" | "__share_group_state"
    )
}

/// Runs blocking log work off the async workers. A panic inside it (a bug)
/// becomes an error rather than taking the connection task down.
pub(crate) async fn blocking<T, F>(f: F) -> Result<T, LogError>
where
    F: FnOnce() -> Result<T, LogError> + Send + 'static,
    T: Send + 'static,
{
    match tokio::task::spawn_blocking(f).await {
        Ok(r) => r,
        Err(e) => Err(LogError::Corrupt {
            path: Default::default(),
            detail: format!("blocking task failed: {e}"),
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn storage_errors_map_to_the_codes_clients_expect() {
        let cases = [
            (
                LogError::RecordTooLarge { size: 2, max: 1 },
                ResponseError::MessageTooLarge,
            ),
            (
                LogError::KeylessRecordOnCompactedTopic { offset_delta: 0 },
                ResponseError::InvalidRecord,
            ),
            (
                LogError::InvalidBatch {
                    position: 0,
                    source: BatchError::CrcMismatch {
                        stored: 1,
                        computed: 2,
                    },
                },
                ResponseError::CorruptMessage,
            ),
            (
                LogError::UnknownPartition {
                    topic: "t".into(),
                    partition: 9,
                },
                ResponseError::UnknownTopicOrPartition,
            ),
            (
                LogError::OffsetOutOfRange {
                    offset: 9,
                    log_start_offset: 0,
                    high_watermark: 1,
                },
                ResponseError::OffsetOutOfRange,
            ),
        ];
        for (e, want) in cases {
            assert_eq!(log_error_code(&e), want.code(), "{e}");
        }
    }
}
