//! The group member's error type.

use kafka_protocol::error::ResponseError;

use crate::share::ShareError;

/// Why joining or staying in a classic group failed. The member retries
/// transient failures itself; these errors are what it logs and what
/// [`GroupMember::join`](super::GroupMember::join) refuses up front.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum GroupError {
    /// The settings cannot work (no bootstrap server, an empty group id, a
    /// heartbeat interval not below the session timeout, …).
    #[error("invalid group membership settings: {reason}")]
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
    /// or SASL authentication was refused. The member keeps retrying, but
    /// only a change of settings or broker fixes it.
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
    /// The coordinator answered with a Kafka error code.
    #[error("{operation}: {} (error code {code}){}", error_name(*code), message.as_deref().map(|m| format!(": {m}")).unwrap_or_default())]
    Broker {
        /// What was being done (`JoinGroup`, `Heartbeat`, …).
        operation: String,
        /// The Kafka error code.
        code: i16,
        /// The broker's message, if it sent one.
        message: Option<String>,
    },
    /// A request got no answer in time.
    #[error("{operation} timed out after {millis} ms")]
    Timeout {
        /// What was being done.
        operation: String,
        /// How long it waited.
        millis: u128,
    },
}

fn error_name(code: i16) -> String {
    match ResponseError::try_from_code(code) {
        Some(e) => format!("{e:?}"),
        None => "unknown error".to_owned(),
    }
}

impl GroupError {
    pub(crate) fn broker(operation: impl Into<String>, code: i16, message: Option<String>) -> Self {
        GroupError::Broker {
            operation: operation.into(),
            code,
            message,
        }
    }

    pub(crate) fn config(reason: impl Into<String>) -> Self {
        GroupError::Config {
            reason: reason.into(),
        }
    }

    /// The Kafka error code when the coordinator refused a request.
    pub fn code(&self) -> Option<i16> {
        match self {
            GroupError::Broker { code, .. } => Some(*code),
            _ => None,
        }
    }
}

/// The connection and cluster code is shared with the share consumer and
/// reports its errors; the variants it produces map one to one.
impl From<ShareError> for GroupError {
    fn from(e: ShareError) -> Self {
        match e {
            ShareError::Config { reason } => GroupError::Config { reason },
            ShareError::Io {
                broker,
                operation,
                source,
            } => GroupError::Io {
                broker,
                operation,
                source,
            },
            ShareError::Protocol { broker, reason } => GroupError::Protocol { broker, reason },
            ShareError::Security { broker, reason } => GroupError::Security { broker, reason },
            ShareError::Broker {
                operation,
                code,
                message,
            } => GroupError::Broker {
                operation,
                code,
                message,
            },
            ShareError::Timeout { operation, millis } => GroupError::Timeout { operation, millis },
            other => GroupError::Protocol {
                broker: String::new(),
                reason: other.to_string(),
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_name_the_kafka_error() {
        let e = GroupError::broker("Heartbeat of group g", 27, None);
        assert_eq!(
            e.to_string(),
            "Heartbeat of group g: RebalanceInProgress (error code 27)"
        );
        assert_eq!(e.code(), Some(27));
        let e: GroupError = ShareError::Timeout {
            operation: "JoinGroup".to_owned(),
            millis: 5,
        }
        .into();
        assert_eq!(e.to_string(), "JoinGroup timed out after 5 ms");
    }
}
