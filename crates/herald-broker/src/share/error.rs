//! Why a share-group request is refused, with the Kafka error code each
//! reason maps to.

use kafka_protocol::error::ResponseError;
use uuid::Uuid;

/// A refused share-group operation. Every variant maps to exactly one Kafka
/// error code ([`ShareError::code`]); the message is sent where the API has
/// an error-message field.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub(crate) enum ShareError {
    /// A request field breaks the API's rules (INVALID_REQUEST).
    #[error("invalid request: {0}")]
    InvalidRequest(String),
    /// The member is not (or no longer) part of the group (UNKNOWN_MEMBER_ID).
    #[error("member `{member_id}` is not a member of share group `{group_id}`")]
    UnknownMember {
        /// The group.
        group_id: String,
        /// The member id sent.
        member_id: String,
    },
    /// The member epoch is not the coordinator's; the member must rejoin
    /// with epoch 0 (FENCED_MEMBER_EPOCH).
    #[error("member `{member_id}` sent epoch {sent} but the coordinator knows {current}; rejoin")]
    FencedMemberEpoch {
        /// The member.
        member_id: String,
        /// The epoch sent.
        sent: i32,
        /// The epoch known.
        current: i32,
    },
    /// The group does not exist or is not a share group (GROUP_ID_NOT_FOUND).
    #[error("group `{group_id}` {reason}")]
    GroupNotFound {
        /// The group.
        group_id: String,
        /// "does not exist", "is not a share group", ...
        reason: &'static str,
    },
    /// The operation needs a group without members (NON_EMPTY_GROUP).
    #[error("share group `{group_id}` still has members")]
    NonEmptyGroup {
        /// The group.
        group_id: String,
    },
    /// Acknowledged records are not acquired by this member, or their lock
    /// expired (INVALID_RECORD_STATE). Nothing of the partition's
    /// acknowledgements was applied.
    #[error("{0}")]
    InvalidRecordState(String),
    /// No share session for this member (SHARE_SESSION_NOT_FOUND): the
    /// client opens a new one with epoch 0.
    #[error("no share session for member `{member_id}` of group `{group_id}`")]
    SessionNotFound {
        /// The group.
        group_id: String,
        /// The member.
        member_id: String,
    },
    /// The share session epoch is not the expected one (INVALID_SHARE_SESSION_EPOCH).
    #[error("share session epoch {sent} is not the expected {expected}")]
    InvalidSessionEpoch {
        /// The epoch sent.
        sent: i32,
        /// The epoch the session expects (0 if none can be continued).
        expected: i32,
    },
    /// `max_share_sessions` are open on this broker (SHARE_SESSION_LIMIT_REACHED).
    #[error("the limit of {0} share sessions on this broker is reached")]
    SessionLimitReached(usize),
    /// The topic id is unknown (UNKNOWN_TOPIC_ID).
    #[error("unknown topic id {0}")]
    UnknownTopicId(Uuid),
    /// The topic or partition does not exist (UNKNOWN_TOPIC_OR_PARTITION).
    #[error("topic partition {topic}-{partition} does not exist")]
    UnknownTopicOrPartition {
        /// The topic (name, or id when no name is known).
        topic: String,
        /// The partition.
        partition: i32,
    },
    /// A group configuration key or value is refused (INVALID_CONFIG).
    #[error("{0}")]
    InvalidConfig(String),
    /// `__share_group_state` could not be written or read
    /// (COORDINATOR_NOT_AVAILABLE: clients retry).
    #[error("share coordinator storage failed: {0}")]
    Storage(String),
}

impl ShareError {
    /// The Kafka error code this refusal is reported with.
    pub(crate) fn code(&self) -> i16 {
        let e = match self {
            ShareError::InvalidRequest(_) => ResponseError::InvalidRequest,
            ShareError::UnknownMember { .. } => ResponseError::UnknownMemberId,
            ShareError::FencedMemberEpoch { .. } => ResponseError::FencedMemberEpoch,
            ShareError::GroupNotFound { .. } => ResponseError::GroupIdNotFound,
            ShareError::NonEmptyGroup { .. } => ResponseError::NonEmptyGroup,
            ShareError::InvalidRecordState(_) => ResponseError::InvalidRecordState,
            ShareError::SessionNotFound { .. } => ResponseError::ShareSessionNotFound,
            ShareError::InvalidSessionEpoch { .. } => ResponseError::InvalidShareSessionEpoch,
            ShareError::SessionLimitReached(_) => ResponseError::ShareSessionLimitReached,
            ShareError::UnknownTopicId(_) => ResponseError::UnknownTopicId,
            ShareError::UnknownTopicOrPartition { .. } => ResponseError::UnknownTopicOrPartition,
            ShareError::InvalidConfig(_) => ResponseError::InvalidConfig,
            ShareError::Storage(_) => ResponseError::CoordinatorNotAvailable,
        };
        e.code()
    }

    pub(crate) fn unknown_member(group_id: &str, member_id: &str) -> Self {
        ShareError::UnknownMember {
            group_id: group_id.to_owned(),
            member_id: member_id.to_owned(),
        }
    }

    pub(crate) fn not_found(group_id: &str, reason: &'static str) -> Self {
        ShareError::GroupNotFound {
            group_id: group_id.to_owned(),
            reason,
        }
    }

    pub(crate) fn invalid(message: impl Into<String>) -> Self {
        ShareError::InvalidRequest(message.into())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_kafkas() {
        assert_eq!(ShareError::InvalidRecordState("x".into()).code(), 121);
        assert_eq!(
            ShareError::SessionNotFound {
                group_id: "g".into(),
                member_id: "m".into()
            }
            .code(),
            122
        );
        assert_eq!(
            ShareError::InvalidSessionEpoch {
                sent: 3,
                expected: 2
            }
            .code(),
            123
        );
        assert_eq!(ShareError::SessionLimitReached(1).code(), 133);
        assert_eq!(ShareError::unknown_member("g", "m").code(), 25);
        assert_eq!(ShareError::not_found("g", "does not exist").code(), 69);
        assert_eq!(ShareError::Storage("disk".into()).code(), 15);
    }

    #[test]
    fn messages_name_what_went_wrong() {
        let msg = ShareError::unknown_member("orders", "m-1").to_string();
        assert!(msg.contains("orders") && msg.contains("m-1"), "{msg}");
        let msg = ShareError::InvalidSessionEpoch {
            sent: 7,
            expected: 3,
        }
        .to_string();
        assert!(msg.contains('7') && msg.contains('3'), "{msg}");
    }
}
