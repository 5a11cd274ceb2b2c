//! The share consumer's error type.

use kafka_protocol::error::ResponseError;

use crate::ClientError;

/// Why a share-consumer operation failed. [`ShareError::is_retriable`]
/// tells a transient condition (a broker restarting, a leader moving, a
/// lock that expired so the record comes back) from one that repeating
/// cannot fix.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ShareError {
    /// The consumer was configured in a way it cannot work with.
    #[error("invalid share consumer configuration: {reason}")]
    Config {
        /// What is wrong.
        reason: String,
    },
    /// A broker could not be reached, or its connection broke.
    #[error("broker {broker}: {operation} failed: {source}")]
    Io {
        /// `host:port` of the broker.
        broker: String,
        /// What was being done.
        operation: String,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },
    /// The connection could not be secured: a TLS handshake failed (an
    /// untrusted or misnamed certificate, a port that does not speak TLS)
    /// or SASL authentication was refused. Trying again does not help
    /// until the settings or the broker change.
    #[error("broker {broker}: {reason}")]
    Security {
        /// `host:port` of the broker.
        broker: String,
        /// What failed, and what to check.
        reason: String,
    },
    /// A broker sent something this client cannot read, or does not speak
    /// an API version it needs.
    #[error("broker {broker}: {reason}")]
    Protocol {
        /// `host:port` of the broker.
        broker: String,
        /// What went wrong.
        reason: String,
    },
    /// A broker answered a request with a Kafka error code.
    #[error("{operation}: {} (error code {code}){}", error_name(*code), message.as_deref().map(|m| format!(": {m}")).unwrap_or_default())]
    Broker {
        /// What was being done (`ShareFetch`, `accept orders-0@17`, …).
        operation: String,
        /// The Kafka error code.
        code: i16,
        /// The broker's message, if it sent one.
        message: Option<String>,
    },
    /// The acknowledgement could not be delivered because the share
    /// session it belonged to is gone (a broker restart, a lost
    /// connection); the broker will hand the record out again.
    #[error("acknowledgement of {topic}-{partition}@{offset} was not delivered: {reason}")]
    AckLost {
        /// The record's topic.
        topic: String,
        /// Its partition.
        partition: i32,
        /// Its offset.
        offset: i64,
        /// Why.
        reason: String,
    },
    /// A compressed record batch from the broker inflates past the
    /// consumer's limit
    /// ([`max_batch_inflated`](super::ShareConsumerBuilder::max_batch_inflated));
    /// it was not decoded, and its acquired records were released.
    #[error(
        "{topic}-{partition}: the {codec} record batch at offset {base_offset} inflates beyond {limit} bytes (the consumer's max_batch_inflated)"
    )]
    BatchTooLarge {
        /// The batch's topic.
        topic: String,
        /// Its partition.
        partition: i32,
        /// Its base offset.
        base_offset: i64,
        /// Its compression codec (`gzip`, `snappy`, `lz4`, `zstd`).
        codec: &'static str,
        /// The limit it exceeds, in bytes.
        limit: usize,
    },
    /// The operation did not finish in time.
    #[error("{operation} timed out after {millis} ms")]
    Timeout {
        /// What was being done.
        operation: String,
        /// How long it waited.
        millis: u128,
    },
    /// Decoding a record failed, or the registry could not be asked
    /// (boxed: the SDK's error is large, and this one travels often).
    #[error(transparent)]
    Client(Box<ClientError>),
    /// The consumer is closed or its background tasks ended.
    #[error("the share consumer is closed")]
    Closed,
}

impl From<ClientError> for ShareError {
    fn from(e: ClientError) -> Self {
        ShareError::Client(Box::new(e))
    }
}

fn error_name(code: i16) -> String {
    match ResponseError::try_from_code(code) {
        Some(e) => format!("{e:?}"),
        None => "unknown error".to_owned(),
    }
}

impl ShareError {
    pub(crate) fn broker(operation: impl Into<String>, code: i16, message: Option<String>) -> Self {
        ShareError::Broker {
            operation: operation.into(),
            code,
            message,
        }
    }

    pub(crate) fn protocol(broker: impl Into<String>, reason: impl Into<String>) -> Self {
        ShareError::Protocol {
            broker: broker.into(),
            reason: reason.into(),
        }
    }

    /// The Kafka error code when a broker refused the request.
    pub fn code(&self) -> Option<i16> {
        match self {
            ShareError::Broker { code, .. } => Some(*code),
            _ => None,
        }
    }

    /// Whether trying again later may succeed: network failures,
    /// timeouts, lost acknowledgements (the record is redelivered) and
    /// the error codes Kafka calls retriable.
    pub fn is_retriable(&self) -> bool {
        match self {
            ShareError::Io { .. } | ShareError::Timeout { .. } | ShareError::AckLost { .. } => true,
            ShareError::Broker { code, .. } => is_retriable_code(*code),
            ShareError::Client(e) => e.is_retriable(),
            _ => false,
        }
    }
}

/// Kafka's retriable codes, plus INVALID_RECORD_STATE: the lock expired and
/// the record will simply be acquired again.
pub(crate) fn is_retriable_code(code: i16) -> bool {
    code == ResponseError::InvalidRecordState.code()
        || ResponseError::try_from_code(code).is_some_and(|e| e.is_retriable())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_name_the_kafka_error() {
        let e = ShareError::broker("ShareFetch", 6, Some("moved".to_owned()));
        assert_eq!(
            e.to_string(),
            "ShareFetch: NotLeaderOrFollower (error code 6): moved"
        );
        assert!(e.is_retriable());
        let e = ShareError::broker("ShareGroupHeartbeat", 30, None);
        assert!(!e.is_retriable(), "GROUP_AUTHORIZATION_FAILED is final");
        assert!(ShareError::broker("accept", 121, None).is_retriable());
    }
}
