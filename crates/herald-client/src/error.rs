//! The SDK's error type.

/// Why a client operation failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ClientError {
    /// The Kafka client could not be built from the configuration.
    #[error("invalid Kafka client configuration: {reason}")]
    Config {
        /// What is wrong.
        reason: String,
    },
    /// A Kafka request failed.
    #[error("{operation} failed: {source}")]
    Kafka {
        /// What was being done (`send to _schemas`, `create topic _schemas`, …).
        operation: String,
        /// The Kafka client's error.
        #[source]
        source: confluent_kafka::common::Error,
    },
    /// The operation did not finish in time.
    #[error("{operation} timed out after {millis} ms")]
    Timeout {
        /// What was being done.
        operation: String,
        /// How long it waited.
        millis: u128,
    },
}

impl ClientError {
    pub(crate) fn kafka(
        operation: impl Into<String>,
        source: confluent_kafka::common::Error,
    ) -> ClientError {
        ClientError::Kafka {
            operation: operation.into(),
            source,
        }
    }
}
