//! The descriptions of the consumer-group and share-group request bodies.

use kafka_protocol::messages::ApiKey;

use super::Ty::{Array, Bool, Bytes, Int8, Int32, Int64, Str, Struct, Uuid};
use super::apis::api;
use super::{Api, Field, Ty, V, f};

const ALL: V = V::ALL;
const NONE: V = V::NONE;
const fn from(v: i16) -> V {
    V::from(v)
}

const INT8: Ty = Int8;
const INT32: Ty = Int32;
const STR: Ty = Str;

const FIND_COORDINATOR: &[Field] = &[
    f("Key", Str, V(0, 3)),
    f("KeyType", Int8, from(1)),
    f("CoordinatorKeys", Array(&STR), from(4)),
];

const JOIN_GROUP_PROTOCOL: Ty = Struct(&[f("Name", Str, ALL), f("Metadata", Bytes, ALL)]);
const JOIN_GROUP: &[Field] = &[
    f("GroupId", Str, ALL),
    f("SessionTimeoutMs", Int32, ALL),
    f("RebalanceTimeoutMs", Int32, from(1)),
    f("MemberId", Str, ALL),
    f("GroupInstanceId", Str, from(5)).null(from(5)),
    f("ProtocolType", Str, ALL),
    f("Protocols", Array(&JOIN_GROUP_PROTOCOL), ALL),
    f("Reason", Str, from(8)).null(from(8)),
];

const SYNC_GROUP_ASSIGNMENT: Ty = Struct(&[f("MemberId", Str, ALL), f("Assignment", Bytes, ALL)]);
const SYNC_GROUP: &[Field] = &[
    f("GroupId", Str, ALL),
    f("GenerationId", Int32, ALL),
    f("MemberId", Str, ALL),
    f("GroupInstanceId", Str, from(3)).null(from(3)),
    f("ProtocolType", Str, from(5)).null(from(5)),
    f("ProtocolName", Str, from(5)).null(from(5)),
    f("Assignments", Array(&SYNC_GROUP_ASSIGNMENT), ALL),
];

const HEARTBEAT: &[Field] = &[
    f("GroupId", Str, ALL),
    f("GenerationId", Int32, ALL),
    f("MemberId", Str, ALL),
    f("GroupInstanceId", Str, from(3)).null(from(3)),
];

const LEAVE_GROUP_MEMBER: Ty = Struct(&[
    f("MemberId", Str, from(3)),
    f("GroupInstanceId", Str, from(3)).null(from(3)),
    f("Reason", Str, from(5)).null(from(5)),
]);
const LEAVE_GROUP: &[Field] = &[
    f("GroupId", Str, ALL),
    f("MemberId", Str, V(0, 2)),
    f("Members", Array(&LEAVE_GROUP_MEMBER), from(3)),
];

const OFFSET_COMMIT_PARTITION: Ty = Struct(&[
    f("PartitionIndex", Int32, ALL),
    f("CommittedOffset", Int64, ALL),
    f("CommittedLeaderEpoch", Int32, from(6)),
    f("CommittedMetadata", Str, ALL).null(ALL),
]);
const OFFSET_COMMIT_TOPIC: Ty = Struct(&[
    f("Name", Str, ALL),
    f("Partitions", Array(&OFFSET_COMMIT_PARTITION), ALL),
]);
const OFFSET_COMMIT: &[Field] = &[
    f("GroupId", Str, ALL),
    f("GenerationIdOrMemberEpoch", Int32, from(1)),
    f("MemberId", Str, from(1)),
    f("GroupInstanceId", Str, from(7)).null(from(7)),
    f("RetentionTimeMs", Int64, V(2, 4)),
    f("Topics", Array(&OFFSET_COMMIT_TOPIC), ALL),
];

const OFFSET_FETCH_TOPIC: Ty = Struct(&[
    f("Name", Str, V(0, 7)),
    f("PartitionIndexes", Array(&INT32), V(0, 7)),
]);
const OFFSET_FETCH_GROUP_TOPIC: Ty = Struct(&[
    f("Name", Str, from(8)),
    f("PartitionIndexes", Array(&INT32), from(8)),
]);
const OFFSET_FETCH_GROUP: Ty = Struct(&[
    f("GroupId", Str, from(8)),
    f("MemberId", Str, from(9)).null(from(9)),
    f("MemberEpoch", Int32, from(9)),
    f("Topics", Array(&OFFSET_FETCH_GROUP_TOPIC), from(8)).null(from(8)),
]);
const OFFSET_FETCH: &[Field] = &[
    f("GroupId", Str, V(0, 7)),
    f("Topics", Array(&OFFSET_FETCH_TOPIC), V(0, 7)).null(V(2, 7)),
    f("Groups", Array(&OFFSET_FETCH_GROUP), from(8)),
    f("RequireStable", Bool, from(7)),
];

const LIST_GROUPS: &[Field] = &[
    f("StatesFilter", Array(&STR), from(4)),
    f("TypesFilter", Array(&STR), from(5)),
];

const DESCRIBE_GROUPS: &[Field] = &[
    f("Groups", Array(&STR), ALL),
    f("IncludeAuthorizedOperations", Bool, from(3)),
];

const DELETE_GROUPS: &[Field] = &[f("GroupsNames", Array(&STR), ALL)];

const OFFSET_DELETE_PARTITION: Ty = Struct(&[f("PartitionIndex", Int32, ALL)]);
const OFFSET_DELETE_TOPIC: Ty = Struct(&[
    f("Name", Str, ALL),
    f("Partitions", Array(&OFFSET_DELETE_PARTITION), ALL),
]);
const OFFSET_DELETE: &[Field] = &[
    f("GroupId", Str, ALL),
    f("Topics", Array(&OFFSET_DELETE_TOPIC), ALL),
];

const CONSUMER_TOPIC_PARTITIONS: Ty =
    Struct(&[f("TopicId", Uuid, ALL), f("Partitions", Array(&INT32), ALL)]);
const CONSUMER_GROUP_HEARTBEAT: &[Field] = &[
    f("GroupId", Str, ALL),
    f("MemberId", Str, ALL),
    f("MemberEpoch", Int32, ALL),
    f("InstanceId", Str, ALL).null(ALL),
    f("RackId", Str, ALL).null(ALL),
    f("RebalanceTimeoutMs", Int32, ALL),
    f("SubscribedTopicNames", Array(&STR), ALL).null(ALL),
    f("SubscribedTopicRegex", Str, from(1)).null(from(1)),
    f("ServerAssignor", Str, ALL).null(ALL),
    f("TopicPartitions", Array(&CONSUMER_TOPIC_PARTITIONS), ALL).null(ALL),
];

const DESCRIBE_GROUP_IDS: &[Field] = &[
    f("GroupIds", Array(&STR), ALL),
    f("IncludeAuthorizedOperations", Bool, ALL),
];

/// The classic and KIP-848 consumer-group APIs.
pub(super) const GROUPS: &[Api] = &[
    api(ApiKey::FindCoordinator, V(0, 6), from(3), FIND_COORDINATOR),
    api(ApiKey::JoinGroup, V(0, 9), from(6), JOIN_GROUP),
    api(ApiKey::SyncGroup, V(0, 5), from(4), SYNC_GROUP),
    api(ApiKey::Heartbeat, V(0, 4), from(4), HEARTBEAT),
    api(ApiKey::LeaveGroup, V(0, 5), from(4), LEAVE_GROUP),
    api(ApiKey::OffsetCommit, V(2, 9), from(8), OFFSET_COMMIT),
    api(ApiKey::OffsetFetch, V(1, 9), from(6), OFFSET_FETCH),
    api(ApiKey::ListGroups, V(0, 5), from(3), LIST_GROUPS),
    api(ApiKey::DescribeGroups, V(0, 6), from(5), DESCRIBE_GROUPS),
    api(ApiKey::DeleteGroups, V(0, 2), from(2), DELETE_GROUPS),
    api(ApiKey::OffsetDelete, V(0, 0), NONE, OFFSET_DELETE),
    api(
        ApiKey::ConsumerGroupHeartbeat,
        V(0, 1),
        ALL,
        CONSUMER_GROUP_HEARTBEAT,
    ),
    api(
        ApiKey::ConsumerGroupDescribe,
        V(0, 1),
        ALL,
        DESCRIBE_GROUP_IDS,
    ),
];

const SHARE_GROUP_HEARTBEAT: &[Field] = &[
    f("GroupId", Str, ALL),
    f("MemberId", Str, ALL),
    f("MemberEpoch", Int32, ALL),
    f("RackId", Str, ALL).null(ALL),
    f("SubscribedTopicNames", Array(&STR), ALL).null(ALL),
];

const ACKNOWLEDGEMENT_BATCH: Ty = Struct(&[
    f("FirstOffset", Int64, ALL),
    f("LastOffset", Int64, ALL),
    f("AcknowledgeTypes", Array(&INT8), ALL),
]);
const SHARE_FETCH_PARTITION: Ty = Struct(&[
    f("PartitionIndex", Int32, ALL),
    f("PartitionMaxBytes", Int32, V(0, 0)),
    f("AcknowledgementBatches", Array(&ACKNOWLEDGEMENT_BATCH), ALL),
]);
const SHARE_FETCH_TOPIC: Ty = Struct(&[
    f("TopicId", Uuid, ALL),
    f("Partitions", Array(&SHARE_FETCH_PARTITION), ALL),
]);
const SHARE_FORGOTTEN_TOPIC: Ty =
    Struct(&[f("TopicId", Uuid, ALL), f("Partitions", Array(&INT32), ALL)]);
const SHARE_FETCH: &[Field] = &[
    f("GroupId", Str, ALL).null(ALL),
    f("MemberId", Str, ALL).null(ALL),
    f("ShareSessionEpoch", Int32, ALL),
    f("MaxWaitMs", Int32, ALL),
    f("MinBytes", Int32, ALL),
    f("MaxBytes", Int32, ALL),
    f("MaxRecords", Int32, from(1)),
    f("BatchSize", Int32, from(1)),
    f("Topics", Array(&SHARE_FETCH_TOPIC), ALL),
    f("ForgottenTopicsData", Array(&SHARE_FORGOTTEN_TOPIC), ALL),
];

const ACKNOWLEDGE_PARTITION: Ty = Struct(&[
    f("PartitionIndex", Int32, ALL),
    f("AcknowledgementBatches", Array(&ACKNOWLEDGEMENT_BATCH), ALL),
]);
const ACKNOWLEDGE_TOPIC: Ty = Struct(&[
    f("TopicId", Uuid, ALL),
    f("Partitions", Array(&ACKNOWLEDGE_PARTITION), ALL),
]);
const SHARE_ACKNOWLEDGE: &[Field] = &[
    f("GroupId", Str, ALL).null(ALL),
    f("MemberId", Str, ALL).null(ALL),
    f("ShareSessionEpoch", Int32, ALL),
    f("Topics", Array(&ACKNOWLEDGE_TOPIC), ALL),
];

const DESCRIBE_OFFSETS_TOPIC: Ty = Struct(&[
    f("TopicName", Str, ALL),
    f("Partitions", Array(&INT32), ALL),
]);
const DESCRIBE_OFFSETS_GROUP: Ty = Struct(&[
    f("GroupId", Str, ALL),
    f("Topics", Array(&DESCRIBE_OFFSETS_TOPIC), ALL).null(ALL),
]);
const DESCRIBE_SHARE_GROUP_OFFSETS: &[Field] = &[f("Groups", Array(&DESCRIBE_OFFSETS_GROUP), ALL)];

const ALTER_OFFSETS_PARTITION: Ty = Struct(&[
    f("PartitionIndex", Int32, ALL),
    f("StartOffset", Int64, ALL),
]);
const ALTER_OFFSETS_TOPIC: Ty = Struct(&[
    f("TopicName", Str, ALL),
    f("Partitions", Array(&ALTER_OFFSETS_PARTITION), ALL),
]);
const ALTER_SHARE_GROUP_OFFSETS: &[Field] = &[
    f("GroupId", Str, ALL),
    f("Topics", Array(&ALTER_OFFSETS_TOPIC), ALL),
];

const DELETE_OFFSETS_TOPIC: Ty = Struct(&[f("TopicName", Str, ALL)]);
const DELETE_SHARE_GROUP_OFFSETS: &[Field] = &[
    f("GroupId", Str, ALL),
    f("Topics", Array(&DELETE_OFFSETS_TOPIC), ALL),
];

/// The share-group (KIP-932) APIs.
pub(super) const SHARE: &[Api] = &[
    api(
        ApiKey::ShareGroupHeartbeat,
        V(1, 1),
        ALL,
        SHARE_GROUP_HEARTBEAT,
    ),
    api(ApiKey::ShareGroupDescribe, V(1, 1), ALL, DESCRIBE_GROUP_IDS),
    api(ApiKey::ShareFetch, V(1, 1), ALL, SHARE_FETCH),
    api(ApiKey::ShareAcknowledge, V(1, 1), ALL, SHARE_ACKNOWLEDGE),
    api(
        ApiKey::DescribeShareGroupOffsets,
        V(0, 0),
        ALL,
        DESCRIBE_SHARE_GROUP_OFFSETS,
    ),
    api(
        ApiKey::AlterShareGroupOffsets,
        V(0, 0),
        ALL,
        ALTER_SHARE_GROUP_OFFSETS,
    ),
    api(
        ApiKey::DeleteShareGroupOffsets,
        V(0, 0),
        ALL,
        DELETE_SHARE_GROUP_OFFSETS,
    ),
];
