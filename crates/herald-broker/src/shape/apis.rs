//! The descriptions of the request header and of the data-plane and admin
//! request bodies, from Kafka's message specifications, at exactly the
//! versions the broker serves.
//!
//! Each struct is a list of fields; `V(a, b)` is an inclusive version range.
//! Names are Kafka's, so that an error message points at the spec.

use kafka_protocol::messages::ApiKey;

use super::Ty::{Array, Bool, Int8, Int16, Int16Str, Int32, Int64, Records, Str, Struct, Uuid};
use super::{Api, Field, Ty, V, f, groups};

const ALL: V = V::ALL;
const fn from(v: i16) -> V {
    V::from(v)
}

/// The request header, walked at its own version (1, or 2 with a tagged
/// section). Its client id keeps an int16 length in version 2.
pub(super) const HEADER: &[Field] = &[
    f("RequestApiKey", Int16, ALL),
    f("RequestApiVersion", Int16, ALL),
    f("CorrelationId", Int32, ALL),
    f("ClientId", Int16Str, from(1)).null(from(1)),
];

/// Every described API; [`super::tests`] checks this is exactly the served table.
pub(super) const ALL_APIS: &[&[Api]] = &[DATA, groups::GROUPS, groups::SHARE];

const INT32: Ty = Int32;
const STR: Ty = Str;

// Produce: v0–2 are advertised for old librdkafka but refused; the codec
// cannot decode them, so they are not described (and not decoded).
const PRODUCE_PARTITION: Ty =
    Struct(&[f("Index", Int32, ALL), f("Records", Records, ALL).null(ALL)]);
const PRODUCE_TOPIC: Ty = Struct(&[
    f("Name", Str, V(0, 12)),
    f("TopicId", Uuid, from(13)),
    f("PartitionData", Array(&PRODUCE_PARTITION), ALL),
]);
const PRODUCE: &[Field] = &[
    f("TransactionalId", Str, ALL).null(ALL),
    f("Acks", Int16, ALL),
    f("TimeoutMs", Int32, ALL),
    f("TopicData", Array(&PRODUCE_TOPIC), ALL),
];

const FETCH_REPLICA_STATE: Ty = Struct(&[
    f("ReplicaId", Int32, from(15)),
    f("ReplicaEpoch", Int64, from(15)),
]);
const FETCH_PARTITION: Ty = Struct(&[
    f("Partition", Int32, ALL),
    f("CurrentLeaderEpoch", Int32, from(9)),
    f("FetchOffset", Int64, ALL),
    f("LastFetchedEpoch", Int32, from(12)),
    f("LogStartOffset", Int64, from(5)),
    f("PartitionMaxBytes", Int32, ALL),
    f("ReplicaDirectoryId", Uuid, from(17)).tagged(0),
    f("HighWatermark", Int64, from(18)).tagged(1),
]);
const FETCH_TOPIC: Ty = Struct(&[
    f("Topic", Str, V(0, 12)),
    f("TopicId", Uuid, from(13)),
    f("Partitions", Array(&FETCH_PARTITION), ALL),
]);
const FETCH_FORGOTTEN: Ty = Struct(&[
    f("Topic", Str, V(7, 12)),
    f("TopicId", Uuid, from(13)),
    f("Partitions", Array(&INT32), from(7)),
]);
const FETCH: &[Field] = &[
    f("ClusterId", Str, from(12)).null(from(12)).tagged(0),
    f("ReplicaId", Int32, V(0, 14)),
    f("ReplicaState", FETCH_REPLICA_STATE, from(15)).tagged(1),
    f("MaxWaitMs", Int32, ALL),
    f("MinBytes", Int32, ALL),
    f("MaxBytes", Int32, from(3)),
    f("IsolationLevel", Int8, from(4)),
    f("SessionId", Int32, from(7)),
    f("SessionEpoch", Int32, from(7)),
    f("Topics", Array(&FETCH_TOPIC), ALL),
    f("ForgottenTopicsData", Array(&FETCH_FORGOTTEN), from(7)),
    f("RackId", Str, from(11)),
];

const LIST_OFFSETS_PARTITION: Ty = Struct(&[
    f("PartitionIndex", Int32, ALL),
    f("CurrentLeaderEpoch", Int32, from(4)),
    f("Timestamp", Int64, ALL),
]);
const LIST_OFFSETS_TOPIC: Ty = Struct(&[
    f("Name", Str, ALL),
    f("Partitions", Array(&LIST_OFFSETS_PARTITION), ALL),
]);
const LIST_OFFSETS: &[Field] = &[
    f("ReplicaId", Int32, ALL),
    f("IsolationLevel", Int8, from(2)),
    f("Topics", Array(&LIST_OFFSETS_TOPIC), ALL),
    f("TimeoutMs", Int32, from(10)),
];

const METADATA_TOPIC: Ty = Struct(&[
    f("TopicId", Uuid, from(10)),
    f("Name", Str, ALL).null(from(10)),
]);
const METADATA: &[Field] = &[
    f("Topics", Array(&METADATA_TOPIC), ALL).null(from(1)),
    f("AllowAutoTopicCreation", Bool, from(4)),
    f("IncludeClusterAuthorizedOperations", Bool, V(8, 10)),
    f("IncludeTopicAuthorizedOperations", Bool, from(8)),
];

const API_VERSIONS: &[Field] = &[
    f("ClientSoftwareName", Str, from(3)),
    f("ClientSoftwareVersion", Str, from(3)),
];

const INIT_PRODUCER_ID: &[Field] = &[
    f("TransactionalId", Str, ALL).null(ALL),
    f("TransactionTimeoutMs", Int32, ALL),
    f("ProducerId", Int64, from(3)),
    f("ProducerEpoch", Int16, from(3)),
];

const DESCRIBE_CLUSTER: &[Field] = &[
    f("IncludeClusterAuthorizedOperations", Bool, ALL),
    f("EndpointType", Int8, from(1)),
    f("IncludeFencedBrokers", Bool, from(2)),
];

const CREATABLE_ASSIGNMENT: Ty = Struct(&[
    f("PartitionIndex", Int32, ALL),
    f("BrokerIds", Array(&INT32), ALL),
]);
const CREATABLE_CONFIG: Ty = Struct(&[f("Name", Str, ALL), f("Value", Str, ALL).null(ALL)]);
const CREATABLE_TOPIC: Ty = Struct(&[
    f("Name", Str, ALL),
    f("NumPartitions", Int32, ALL),
    f("ReplicationFactor", Int16, ALL),
    f("Assignments", Array(&CREATABLE_ASSIGNMENT), ALL),
    f("Configs", Array(&CREATABLE_CONFIG), ALL),
]);
const CREATE_TOPICS: &[Field] = &[
    f("Topics", Array(&CREATABLE_TOPIC), ALL),
    f("TimeoutMs", Int32, ALL),
    f("ValidateOnly", Bool, from(1)),
];

const DELETE_TOPIC_STATE: Ty = Struct(&[
    f("Name", Str, from(6)).null(from(6)),
    f("TopicId", Uuid, from(6)),
]);
const DELETE_TOPICS: &[Field] = &[
    f("Topics", Array(&DELETE_TOPIC_STATE), from(6)),
    f("TopicNames", Array(&STR), V(0, 5)),
    f("TimeoutMs", Int32, ALL),
];

const CREATE_PARTITIONS_ASSIGNMENT: Ty = Struct(&[f("BrokerIds", Array(&INT32), ALL)]);
const CREATE_PARTITIONS_TOPIC: Ty = Struct(&[
    f("Name", Str, ALL),
    f("Count", Int32, ALL),
    f("Assignments", Array(&CREATE_PARTITIONS_ASSIGNMENT), ALL).null(ALL),
]);
const CREATE_PARTITIONS: &[Field] = &[
    f("Topics", Array(&CREATE_PARTITIONS_TOPIC), ALL),
    f("TimeoutMs", Int32, ALL),
    f("ValidateOnly", Bool, ALL),
];

const DELETE_RECORDS_PARTITION: Ty =
    Struct(&[f("PartitionIndex", Int32, ALL), f("Offset", Int64, ALL)]);
const DELETE_RECORDS_TOPIC: Ty = Struct(&[
    f("Name", Str, ALL),
    f("Partitions", Array(&DELETE_RECORDS_PARTITION), ALL),
]);
const DELETE_RECORDS: &[Field] = &[
    f("Topics", Array(&DELETE_RECORDS_TOPIC), ALL),
    f("TimeoutMs", Int32, ALL),
];

const DESCRIBE_CONFIGS_RESOURCE: Ty = Struct(&[
    f("ResourceType", Int8, ALL),
    f("ResourceName", Str, ALL),
    f("ConfigurationKeys", Array(&STR), ALL).null(ALL),
]);
const DESCRIBE_CONFIGS: &[Field] = &[
    f("Resources", Array(&DESCRIBE_CONFIGS_RESOURCE), ALL),
    f("IncludeSynonyms", Bool, from(1)),
    f("IncludeDocumentation", Bool, from(3)),
];

const ALTERABLE_CONFIG: Ty = Struct(&[f("Name", Str, ALL), f("Value", Str, ALL).null(ALL)]);
const ALTER_CONFIGS_RESOURCE: Ty = Struct(&[
    f("ResourceType", Int8, ALL),
    f("ResourceName", Str, ALL),
    f("Configs", Array(&ALTERABLE_CONFIG), ALL),
]);
const ALTER_CONFIGS: &[Field] = &[
    f("Resources", Array(&ALTER_CONFIGS_RESOURCE), ALL),
    f("ValidateOnly", Bool, ALL),
];

const INCREMENTAL_CONFIG: Ty = Struct(&[
    f("Name", Str, ALL),
    f("ConfigOperation", Int8, ALL),
    f("Value", Str, ALL).null(ALL),
]);
const INCREMENTAL_RESOURCE: Ty = Struct(&[
    f("ResourceType", Int8, ALL),
    f("ResourceName", Str, ALL),
    f("Configs", Array(&INCREMENTAL_CONFIG), ALL),
]);
const INCREMENTAL_ALTER_CONFIGS: &[Field] = &[
    f("Resources", Array(&INCREMENTAL_RESOURCE), ALL),
    f("ValidateOnly", Bool, ALL),
];

/// The data-plane and admin APIs.
const DATA: &[Api] = &[
    api(ApiKey::Produce, V(3, 13), from(9), PRODUCE),
    api(ApiKey::Fetch, V(4, 18), from(12), FETCH),
    api(ApiKey::ListOffsets, V(1, 10), from(6), LIST_OFFSETS),
    api(ApiKey::Metadata, V(0, 13), from(9), METADATA),
    api(ApiKey::ApiVersions, V(0, 4), from(3), API_VERSIONS),
    api(ApiKey::InitProducerId, V(0, 5), from(2), INIT_PRODUCER_ID),
    api(ApiKey::DescribeCluster, V(0, 2), ALL, DESCRIBE_CLUSTER),
    api(ApiKey::CreateTopics, V(2, 7), from(5), CREATE_TOPICS),
    api(ApiKey::DeleteTopics, V(1, 6), from(4), DELETE_TOPICS),
    api(
        ApiKey::CreatePartitions,
        V(0, 3),
        from(2),
        CREATE_PARTITIONS,
    ),
    api(ApiKey::DeleteRecords, V(0, 2), from(2), DELETE_RECORDS),
    api(ApiKey::DescribeConfigs, V(1, 4), from(4), DESCRIBE_CONFIGS),
    api(ApiKey::AlterConfigs, V(0, 2), from(2), ALTER_CONFIGS),
    api(
        ApiKey::IncrementalAlterConfigs,
        V(0, 1),
        from(1),
        INCREMENTAL_ALTER_CONFIGS,
    ),
];

/// One API's description.
pub(super) const fn api(key: ApiKey, versions: V, flexible: V, body: &'static [Field]) -> Api {
    Api {
        key,
        versions,
        flexible,
        body,
    }
}
