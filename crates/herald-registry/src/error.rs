//! The registry's one error type, and its mapping to Confluent's
//! `{"error_code": N, "message": "..."}` responses.

use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};

/// Why a registry operation failed. Each variant maps to the Confluent error
/// code a client branches on ([`RegistryError::error_code`]); the HTTP status
/// is the code's first three digits.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum RegistryError {
    /// 40401.
    #[error("Subject '{subject}' not found.")]
    SubjectNotFound {
        /// The subject asked for.
        subject: String,
    },
    /// 40402.
    #[error("Version {version} not found.")]
    VersionNotFound {
        /// The version asked for, as given.
        version: String,
    },
    /// 40403.
    #[error("{what}")]
    SchemaNotFound {
        /// Which schema was not found.
        what: String,
    },
    /// 40404: the subject is soft-deleted already.
    #[error("Subject '{subject}' was soft deleted.Set permanent=true to delete permanently")]
    SubjectSoftDeleted {
        /// The subject.
        subject: String,
    },
    /// 40405: a permanent delete needs a soft delete first.
    #[error("Subject '{subject}' was not deleted first before being permanently deleted")]
    SubjectNotSoftDeleted {
        /// The subject.
        subject: String,
    },
    /// 40406: the version is soft-deleted already.
    #[error(
        "Subject '{subject}' Version {version} was soft deleted.Set permanent=true to delete permanently"
    )]
    VersionSoftDeleted {
        /// The subject.
        subject: String,
        /// The version.
        version: i32,
    },
    /// 40407: a permanent delete of a version needs a soft delete first.
    #[error(
        "Subject '{subject}' Version {version} was not deleted first before being permanently deleted"
    )]
    VersionNotSoftDeleted {
        /// The subject.
        subject: String,
        /// The version.
        version: i32,
    },
    /// 40408.
    #[error("Subject '{subject}' does not have subject-level compatibility configured")]
    SubjectConfigNotFound {
        /// The subject.
        subject: String,
    },
    /// 40409.
    #[error("Subject '{subject}' does not have subject-level mode configured")]
    SubjectModeNotFound {
        /// The subject.
        subject: String,
    },
    /// 40901: the schema breaks the subject's compatibility level.
    #[error(
        "Schema being registered is incompatible with an earlier schema for subject \"{subject}\", details: [{}]",
        messages.join(", ")
    )]
    Incompatible {
        /// The subject.
        subject: String,
        /// Confluent-style messages, one per finding, then the versions compared.
        messages: Vec<String>,
    },
    /// 42201: the text is not a valid schema, or its references do not resolve.
    #[error("Invalid schema {reason}")]
    InvalidSchema {
        /// What is wrong with it.
        reason: String,
    },
    /// 42202.
    #[error(
        "The specified version '{version}' is not a valid version id. Allowed values are between [1, 2^31-1] and the string \"latest\""
    )]
    InvalidVersion {
        /// The version as given.
        version: String,
    },
    /// 42203.
    #[error(
        "Invalid compatibility level. Valid values are none, backward, forward, full, backward_transitive, forward_transitive, and full_transitive"
    )]
    InvalidCompatibilityLevel {
        /// The level as given.
        level: String,
    },
    /// 42204.
    #[error("Invalid mode. Valid values are READWRITE, READONLY, IMPORT and FORWARD.")]
    InvalidMode {
        /// The mode as given.
        mode: String,
    },
    /// 42205.
    #[error("{reason}")]
    OperationNotPermitted {
        /// Why not.
        reason: String,
    },
    /// 42206: other schemas reference the version being deleted.
    #[error(
        "One or more references exist to the schema {{magic=1, keytype=SCHEMA, subject={subject}, version={version}}}."
    )]
    ReferenceExists {
        /// The referenced subject.
        subject: String,
        /// The referenced version.
        version: i32,
    },
    /// 42207: an imported id is taken by another schema.
    #[error("{reason}")]
    IdMismatch {
        /// What clashed.
        reason: String,
    },
    /// 42208.
    #[error("The specified subject '{subject}' is not valid.")]
    InvalidSubject {
        /// The subject as given.
        subject: String,
    },
    /// 42209: the request body or schema is over the configured limit.
    #[error("Schema too large: the limit is {limit} bytes")]
    SchemaTooLarge {
        /// The limit in bytes.
        limit: usize,
    },
    /// 50001: `_schemas` could not be read or written.
    #[error("Error while storing the schema in _schemas: {reason}")]
    Store {
        /// The underlying failure.
        reason: String,
    },
    /// 50002: the operation did not finish in time, or the registry is still
    /// replaying `_schemas`.
    #[error("{reason}")]
    Timeout {
        /// What timed out.
        reason: String,
    },
    /// 50003: a follower could not forward a write to the leader.
    #[error("Error while forwarding the request to the leader: {reason}")]
    ForwardFailed {
        /// What failed.
        reason: String,
    },
    /// 50004: no leader is known to take a write.
    #[error("Unknown leader: {reason}")]
    UnknownLeader {
        /// Why no leader is known.
        reason: String,
    },
    /// A `_schemas` record that is not in Confluent's format. Never sent to
    /// HTTP clients in practice: replay logs and skips such records.
    #[error("unreadable _schemas record: {reason}")]
    BadRecord {
        /// What is wrong with it.
        reason: String,
    },
    /// A malformed request (bad JSON, an unsupported media type, an unknown
    /// route) with the plain HTTP status as code, as rest-utils answers.
    #[error("{message}")]
    Http {
        /// The HTTP status, also used as the error code.
        status: u16,
        /// What is wrong.
        message: String,
    },
}

impl RegistryError {
    /// The Confluent `error_code`.
    pub fn error_code(&self) -> u32 {
        use RegistryError as E;
        match self {
            E::SubjectNotFound { .. } => 40401,
            E::VersionNotFound { .. } => 40402,
            E::SchemaNotFound { .. } => 40403,
            E::SubjectSoftDeleted { .. } => 40404,
            E::SubjectNotSoftDeleted { .. } => 40405,
            E::VersionSoftDeleted { .. } => 40406,
            E::VersionNotSoftDeleted { .. } => 40407,
            E::SubjectConfigNotFound { .. } => 40408,
            E::SubjectModeNotFound { .. } => 40409,
            E::Incompatible { .. } => 40901,
            E::InvalidSchema { .. } => 42201,
            E::InvalidVersion { .. } => 42202,
            E::InvalidCompatibilityLevel { .. } => 42203,
            E::InvalidMode { .. } => 42204,
            E::OperationNotPermitted { .. } => 42205,
            E::ReferenceExists { .. } => 42206,
            E::IdMismatch { .. } => 42207,
            E::InvalidSubject { .. } => 42208,
            E::SchemaTooLarge { .. } => 42209,
            E::Store { .. } | E::BadRecord { .. } => 50001,
            E::Timeout { .. } => 50002,
            E::ForwardFailed { .. } => 50003,
            E::UnknownLeader { .. } => 50004,
            E::Http { status, .. } => u32::from(*status),
        }
    }

    /// The HTTP status: the first three digits of the error code.
    pub fn status(&self) -> StatusCode {
        let code = self.error_code();
        let status = if code >= 10_000 { code / 100 } else { code };
        u16::try_from(status)
            .ok()
            .and_then(|s| StatusCode::from_u16(s).ok())
            .unwrap_or(StatusCode::INTERNAL_SERVER_ERROR)
    }

    pub(crate) fn not_permitted(reason: impl Into<String>) -> RegistryError {
        RegistryError::OperationNotPermitted {
            reason: reason.into(),
        }
    }

    pub(crate) fn invalid_schema(reason: impl Into<String>) -> RegistryError {
        RegistryError::InvalidSchema {
            reason: reason.into(),
        }
    }
}

impl IntoResponse for RegistryError {
    fn into_response(self) -> Response {
        let body = serde_json::json!({
            "error_code": self.error_code(),
            "message": self.to_string(),
        });
        let lost_leadership = matches!(self, RegistryError::UnknownLeader { .. });
        let mut response = (
            self.status(),
            [(header::CONTENT_TYPE, crate::api::V1_JSON)],
            body.to_string(),
        )
            .into_response();
        if lost_leadership {
            // Only a write's commit answers this from inside a handler: the
            // forwarding middleware sends such a write on to the new leader.
            response
                .extensions_mut()
                .insert(crate::cluster::forward::LostLeadership);
        }
        response
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn status_is_the_first_three_digits() {
        let cases = [
            (
                RegistryError::SubjectNotFound {
                    subject: "s".into(),
                },
                404,
            ),
            (
                RegistryError::Incompatible {
                    subject: "s".into(),
                    messages: vec![],
                },
                409,
            ),
            (RegistryError::SchemaTooLarge { limit: 1 }, 422),
            (RegistryError::Store { reason: "x".into() }, 500),
            (
                RegistryError::Http {
                    status: 415,
                    message: "x".into(),
                },
                415,
            ),
        ];
        for (err, status) in cases {
            assert_eq!(err.status().as_u16(), status, "{err:?}");
        }
    }

    #[test]
    fn incompatible_message_lists_the_findings() {
        let err = RegistryError::Incompatible {
            subject: "orders".into(),
            messages: vec!["{errorType:'A'}".into(), "{oldSchemaVersion: 1}".into()],
        };
        assert_eq!(
            err.to_string(),
            "Schema being registered is incompatible with an earlier schema for subject \"orders\", details: [{errorType:'A'}, {oldSchemaVersion: 1}]"
        );
    }
}
