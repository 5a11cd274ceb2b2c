//! The SDK's error type.

use crate::wire::SchemaRef;

/// Why a client operation failed. [`ClientError::is_retriable`] tells a
/// transient condition (a timeout, an unreachable registry, a broker that is
/// moving a partition) from one that repeating cannot fix.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ClientError {
    /// The Kafka client could not be built from the configuration, or the
    /// SDK was configured in a way it cannot work with.
    #[error("invalid configuration: {reason}")]
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
    /// The schema registry answered with an error.
    #[error("schema registry {url} answered {status} (error_code {error_code}): {message}")]
    Registry {
        /// The URL of the failed request.
        url: String,
        /// The HTTP status.
        status: u16,
        /// The Confluent `error_code` (40401 subject not found, 40901
        /// incompatible, …); `-1` when the body was not a registry error.
        error_code: i32,
        /// The registry's message.
        message: String,
    },
    /// No schema registry URL could be reached.
    #[error("schema registry unreachable at {url}: {reason}")]
    RegistryUnreachable {
        /// The last URL tried.
        url: String,
        /// The network error.
        reason: String,
    },
    /// The local type's schema is not compatible with what the subject holds.
    #[error("schema for subject {subject:?} is incompatible: {}", messages.join("; "))]
    Incompatible {
        /// The subject checked.
        subject: String,
        /// The findings, as the registry (or the local checker) reported them.
        messages: Vec<String>,
    },
    /// A schema could not be parsed or used.
    #[error("schema {what}: {reason}")]
    Schema {
        /// Which schema (`id 7`, `local type Order`, …).
        what: String,
        /// Why.
        reason: String,
    },
    /// A value could not be encoded with its schema.
    #[error("cannot encode a value for topic {topic:?}: {reason}")]
    Encode {
        /// The topic it was for.
        topic: String,
        /// Why.
        reason: String,
    },
    /// A record could not be decoded into the consumer's type.
    #[error(transparent)]
    Decode(#[from] DecodeError),
    /// The handle was closed or its background task ended.
    #[error("{what} is closed")]
    Closed {
        /// What was closed.
        what: String,
    },
    /// A file operation failed (the durable dedupe store).
    #[error("{operation} failed: {source}")]
    Io {
        /// What was being done.
        operation: String,
        /// The I/O error.
        #[source]
        source: std::io::Error,
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

    pub(crate) fn config(reason: impl Into<String>) -> ClientError {
        ClientError::Config {
            reason: reason.into(),
        }
    }

    /// Whether trying again later may succeed: timeouts, network failures,
    /// registry answers 408/429/5xx and Kafka errors Kafka calls retriable.
    pub fn is_retriable(&self) -> bool {
        match self {
            ClientError::Kafka { source, .. } => {
                source.is_retriable_error() || source.is_timeout_error()
            }
            ClientError::Timeout { .. } | ClientError::RegistryUnreachable { .. } => true,
            ClientError::Registry { status, .. } => is_retriable_status(*status),
            ClientError::Io { source, .. } => matches!(
                source.kind(),
                std::io::ErrorKind::Interrupted | std::io::ErrorKind::WouldBlock
            ),
            _ => false,
        }
    }

    /// The Confluent `error_code` when the registry refused the request.
    pub fn error_code(&self) -> Option<i32> {
        match self {
            ClientError::Registry { error_code, .. } => Some(*error_code),
            _ => None,
        }
    }
}

/// The HTTP statuses Confluent clients retry: 408, 429, 500, 502, 503, 504.
pub(crate) fn is_retriable_status(status: u16) -> bool {
    matches!(status, 408 | 429 | 500 | 502 | 503 | 504)
}

/// A record that could not be turned into the consumer's type. It is
/// delivered as a value in the consumer's stream (and routed to the dead
/// letter topic by the retry policy), never a panic, never skipped silently.
#[derive(Debug, Clone, thiserror::Error)]
#[error("cannot decode {topic}-{partition}@{offset}{}: {reason}", schema.map(|s| format!(" (schema {s})")).unwrap_or_default())]
pub struct DecodeError {
    /// The record's topic.
    pub topic: String,
    /// Its partition.
    pub partition: i32,
    /// Its offset.
    pub offset: i64,
    /// The schema the record named, if its framing could be read.
    pub schema: Option<SchemaRef>,
    /// Why decoding failed.
    pub reason: String,
}
