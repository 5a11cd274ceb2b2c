//! Why a group request is refused, with the Kafka error code each reason maps to.

use kafka_protocol::error::ResponseError;

/// A refused group operation. Every variant maps to exactly one Kafka error
/// code ([`GroupError::code`]); the message is sent where the API has an
/// error-message field.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub(crate) enum GroupError {
    /// The group id is empty (INVALID_GROUP_ID).
    #[error("the group id must not be empty")]
    InvalidGroupId,
    /// The member is not (or no longer) part of the group (UNKNOWN_MEMBER_ID).
    #[error("member `{member_id}` is not a member of group `{group_id}`")]
    UnknownMember {
        /// The group.
        group_id: String,
        /// The member id sent.
        member_id: String,
    },
    /// The request names a generation other than the group's (ILLEGAL_GENERATION).
    #[error("generation {sent} is not the current generation {current} of group `{group_id}`")]
    IllegalGeneration {
        /// The group.
        group_id: String,
        /// The generation sent.
        sent: i32,
        /// The group's generation.
        current: i32,
    },
    /// The group is rebalancing; the member must rejoin (REBALANCE_IN_PROGRESS).
    #[error("group `{group_id}` is rebalancing; rejoin")]
    RebalanceInProgress {
        /// The group.
        group_id: String,
    },
    /// KIP-394: a new member must join again with the id it was given (MEMBER_ID_REQUIRED).
    #[error("join again with member id `{member_id}`")]
    MemberIdRequired {
        /// The id assigned to the member.
        member_id: String,
    },
    /// Protocol type or protocols do not match the group's (INCONSISTENT_GROUP_PROTOCOL).
    #[error("inconsistent group protocol for group `{group_id}`: {reason}")]
    InconsistentProtocol {
        /// The group.
        group_id: String,
        /// What does not match.
        reason: String,
    },
    /// The session timeout is outside the broker's bounds (INVALID_SESSION_TIMEOUT).
    #[error("session timeout {sent} ms is outside [{min}, {max}] ms")]
    InvalidSessionTimeout {
        /// The timeout asked for.
        sent: i32,
        /// `group.min.session.timeout.ms`.
        min: i32,
        /// `group.max.session.timeout.ms`.
        max: i32,
    },
    /// Another member now holds this static instance id (FENCED_INSTANCE_ID).
    #[error(
        "static member `{member_id}` with instance id `{instance_id}` was fenced by another member"
    )]
    FencedInstance {
        /// The instance id.
        instance_id: String,
        /// The member id sent.
        member_id: String,
    },
    /// A static member joins while its instance id is still in use (UNRELEASED_INSTANCE_ID).
    #[error("instance id `{instance_id}` is still owned by member `{owner}`")]
    UnreleasedInstance {
        /// The instance id.
        instance_id: String,
        /// The member holding it.
        owner: String,
    },
    /// KIP-848: the member epoch is not the one the coordinator knows; the
    /// member must give up its partitions and rejoin (FENCED_MEMBER_EPOCH).
    #[error("member `{member_id}` sent epoch {sent} but the coordinator knows {current}; rejoin")]
    FencedMemberEpoch {
        /// The member.
        member_id: String,
        /// The epoch sent.
        sent: i32,
        /// The epoch known.
        current: i32,
    },
    /// KIP-848 offset commit or fetch with an outdated member epoch (STALE_MEMBER_EPOCH).
    #[error("member `{member_id}` sent epoch {sent} but its epoch is {current}")]
    StaleMemberEpoch {
        /// The member.
        member_id: String,
        /// The epoch sent.
        sent: i32,
        /// The epoch known.
        current: i32,
    },
    /// The group does not exist or is of another type (GROUP_ID_NOT_FOUND).
    #[error("group `{group_id}` {reason}")]
    GroupNotFound {
        /// The group.
        group_id: String,
        /// "does not exist", "is not a consumer group", ...
        reason: &'static str,
    },
    /// The group still has members (NON_EMPTY_GROUP).
    #[error("group `{group_id}` still has members")]
    NonEmptyGroup {
        /// The group.
        group_id: String,
    },
    /// A request field breaks the API's rules (INVALID_REQUEST).
    #[error("invalid request: {0}")]
    InvalidRequest(String),
    /// KIP-848: the requested server-side assignor is not offered (UNSUPPORTED_ASSIGNOR).
    #[error("assignor `{0}` is not supported; supported assignors: uniform, range")]
    UnsupportedAssignor(String),
    /// KIP-848: the subscription regex does not compile (INVALID_REGULAR_EXPRESSION).
    #[error("`{regex}` is not a valid regular expression: {reason}")]
    InvalidRegex {
        /// The expression sent.
        regex: String,
        /// Why it is rejected.
        reason: String,
    },
    /// The API version cannot be used with this group (UNSUPPORTED_VERSION).
    #[error("{0}")]
    UnsupportedVersion(String),
    /// The committed metadata string is too long (OFFSET_METADATA_TOO_LARGE).
    #[error("offset metadata of {size} bytes exceeds offset.metadata.max.bytes = {max}")]
    OffsetMetadataTooLarge {
        /// Its size.
        size: usize,
        /// The limit.
        max: usize,
    },
    /// The topic or partition does not exist (UNKNOWN_TOPIC_OR_PARTITION).
    #[error("topic partition {topic}-{partition} does not exist")]
    UnknownTopicOrPartition {
        /// The topic.
        topic: String,
        /// The partition.
        partition: i32,
    },
    /// OffsetDelete on a topic the group consumes (GROUP_SUBSCRIBED_TO_TOPIC).
    #[error("group `{group_id}` is subscribed to topic `{topic}`")]
    SubscribedToTopic {
        /// The group.
        group_id: String,
        /// The topic.
        topic: String,
    },
    /// `__consumer_offsets` could not be written or read (COORDINATOR_NOT_AVAILABLE:
    /// clients retry).
    #[error("group coordinator storage failed: {0}")]
    Storage(String),
    /// The broker is shutting down and has given up its groups, as Kafka's
    /// coordinator does when it unloads them (NOT_COORDINATOR: clients look
    /// the coordinator up again and rejoin there).
    #[error("this broker no longer coordinates groups: it is shutting down")]
    NotCoordinator,
}

impl GroupError {
    /// The Kafka error code this refusal is reported with.
    pub(crate) fn code(&self) -> i16 {
        let e = match self {
            GroupError::InvalidGroupId => ResponseError::InvalidGroupId,
            GroupError::UnknownMember { .. } => ResponseError::UnknownMemberId,
            GroupError::IllegalGeneration { .. } => ResponseError::IllegalGeneration,
            GroupError::RebalanceInProgress { .. } => ResponseError::RebalanceInProgress,
            GroupError::MemberIdRequired { .. } => ResponseError::MemberIdRequired,
            GroupError::InconsistentProtocol { .. } => ResponseError::InconsistentGroupProtocol,
            GroupError::InvalidSessionTimeout { .. } => ResponseError::InvalidSessionTimeout,
            GroupError::FencedInstance { .. } => ResponseError::FencedInstanceId,
            GroupError::UnreleasedInstance { .. } => ResponseError::UnreleasedInstanceId,
            GroupError::FencedMemberEpoch { .. } => ResponseError::FencedMemberEpoch,
            GroupError::StaleMemberEpoch { .. } => ResponseError::StaleMemberEpoch,
            GroupError::GroupNotFound { .. } => ResponseError::GroupIdNotFound,
            GroupError::NonEmptyGroup { .. } => ResponseError::NonEmptyGroup,
            GroupError::InvalidRequest(_) => ResponseError::InvalidRequest,
            GroupError::UnsupportedAssignor(_) => ResponseError::UnsupportedAssignor,
            GroupError::InvalidRegex { .. } => ResponseError::InvalidRegularExpression,
            GroupError::UnsupportedVersion(_) => ResponseError::UnsupportedVersion,
            GroupError::OffsetMetadataTooLarge { .. } => ResponseError::OffsetMetadataTooLarge,
            GroupError::UnknownTopicOrPartition { .. } => ResponseError::UnknownTopicOrPartition,
            GroupError::SubscribedToTopic { .. } => ResponseError::GroupSubscribedToTopic,
            GroupError::Storage(_) => ResponseError::CoordinatorNotAvailable,
            GroupError::NotCoordinator => ResponseError::NotCoordinator,
        };
        e.code()
    }

    pub(crate) fn unknown_member(group_id: &str, member_id: &str) -> Self {
        GroupError::UnknownMember {
            group_id: group_id.to_owned(),
            member_id: member_id.to_owned(),
        }
    }

    pub(crate) fn not_found(group_id: &str, reason: &'static str) -> Self {
        GroupError::GroupNotFound {
            group_id: group_id.to_owned(),
            reason,
        }
    }

    pub(crate) fn rebalancing(group_id: &str) -> Self {
        GroupError::RebalanceInProgress {
            group_id: group_id.to_owned(),
        }
    }

    pub(crate) fn inconsistent(group_id: &str, reason: impl Into<String>) -> Self {
        GroupError::InconsistentProtocol {
            group_id: group_id.to_owned(),
            reason: reason.into(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_kafkas() {
        assert_eq!(GroupError::unknown_member("g", "m").code(), 25);
        assert_eq!(GroupError::rebalancing("g").code(), 27);
        assert_eq!(
            GroupError::MemberIdRequired {
                member_id: "m".into()
            }
            .code(),
            79
        );
        assert_eq!(
            GroupError::FencedMemberEpoch {
                member_id: "m".into(),
                sent: 1,
                current: 2
            }
            .code(),
            110
        );
        assert_eq!(GroupError::not_found("g", "does not exist").code(), 69);
        assert_eq!(GroupError::Storage("x".into()).code(), 15);
        assert_eq!(GroupError::NotCoordinator.code(), 16);
    }

    #[test]
    fn messages_name_the_group_and_member() {
        let msg = GroupError::unknown_member("orders", "m-1").to_string();
        assert!(msg.contains("orders") && msg.contains("m-1"), "{msg}");
    }
}
