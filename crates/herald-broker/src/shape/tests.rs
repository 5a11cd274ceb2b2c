use bytes::{Buf, Bytes, BytesMut};
use kafka_protocol::messages::{ApiKey, RequestHeader, RequestKind};
use kafka_protocol::protocol::{StrBytes, encode_request_header_into_buffer};
use proptest::prelude::*;

use super::generate::{Generator, uvarint};
use super::{Api, Field, Ty, V, apis, check_body, check_header, describe, f, walk};

fn all_apis() -> impl Iterator<Item = &'static Api> {
    apis::ALL_APIS.iter().flat_map(|family| family.iter())
}

fn pairs() -> impl Iterator<Item = (&'static Api, i16)> {
    all_apis().flat_map(|api| (api.versions.0..=api.versions.1).map(move |v| (api, v)))
}

#[test]
fn every_served_pair_is_described_and_nothing_else() {
    let served = crate::handlers::served();
    for s in &served {
        for version in s.min..=s.max {
            // Produce v0–2 is advertised for old librdkafka (KAFKA-18659)
            // but refused; the codec cannot decode it.
            let refused = s.key == ApiKey::Produce && version < 3;
            assert_eq!(
                describe(s.key, version).is_some(),
                !refused,
                "{:?} v{version}",
                s.key
            );
        }
    }
    for (api, version) in pairs() {
        assert!(
            served
                .iter()
                .any(|s| s.key == api.key && (s.min..=s.max).contains(&version)),
            "{:?} v{version} is described but not served",
            api.key
        );
    }
    let mut keys: Vec<i16> = all_apis().map(|api| api.key as i16).collect();
    let described = keys.len();
    keys.sort_unstable();
    keys.dedup();
    assert_eq!(keys.len(), described, "each API is described once");
}

fn generated(api: &Api, version: i16, seed: u64) -> Vec<u8> {
    let mut out = Vec::new();
    Generator::new(seed, version, api.flexible.has(version)).fields(&mut out, api.body);
    out
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]

    /// Each description matches the codec: a random body built from it
    /// decodes with every byte consumed and re-encodes to the same bytes,
    /// and the walker accepts it.
    #[test]
    fn generated_bodies_match_the_codec_and_pass_the_walker(seed in any::<u64>()) {
        for (api, version) in pairs() {
            let body = generated(api, version, seed);
            let what = format!("{:?} v{version} ({} bytes: {body:02x?})", api.key, body.len());
            let walked = walk::walk(&body, api.mode(version, usize::MAX), api.body);
            prop_assert_eq!(walked, Ok(body.len()), "walker on {}", what);
            let mut buf = Bytes::from(body.clone());
            let decoded = RequestKind::decode(api.key, &mut buf, version);
            prop_assert!(decoded.is_ok(), "codec refused {}: {:?}", what, decoded.err());
            prop_assert_eq!(buf.remaining(), 0, "bytes left over in {}", what);
            let mut again = BytesMut::new();
            let encoded = decoded.map(|d| d.encode(&mut again, version));
            prop_assert!(matches!(encoded, Ok(Ok(()))), "re-encoding {} failed", what);
            prop_assert_eq!(&again[..], &body[..], "re-encoding {} differs", what);
        }
    }
}

fn default_request(key: ApiKey) -> RequestKind {
    use kafka_protocol::messages::*;
    macro_rules! defaults {
        ($($name:ident => $ty:ty),* $(,)?) => {
            match key {
                $(ApiKey::$name => RequestKind::$name(<$ty>::default()),)*
                other => panic!("{other:?} has no default here"),
            }
        };
    }
    defaults!(
        Produce => ProduceRequest,
        Fetch => FetchRequest,
        ListOffsets => ListOffsetsRequest,
        Metadata => MetadataRequest,
        ApiVersions => ApiVersionsRequest,
        InitProducerId => InitProducerIdRequest,
        DescribeCluster => DescribeClusterRequest,
        CreateTopics => CreateTopicsRequest,
        DeleteTopics => DeleteTopicsRequest,
        CreatePartitions => CreatePartitionsRequest,
        DeleteRecords => DeleteRecordsRequest,
        DescribeConfigs => DescribeConfigsRequest,
        AlterConfigs => AlterConfigsRequest,
        IncrementalAlterConfigs => IncrementalAlterConfigsRequest,
        FindCoordinator => FindCoordinatorRequest,
        JoinGroup => JoinGroupRequest,
        SyncGroup => SyncGroupRequest,
        Heartbeat => HeartbeatRequest,
        LeaveGroup => LeaveGroupRequest,
        OffsetCommit => OffsetCommitRequest,
        OffsetFetch => OffsetFetchRequest,
        ListGroups => ListGroupsRequest,
        DescribeGroups => DescribeGroupsRequest,
        DeleteGroups => DeleteGroupsRequest,
        OffsetDelete => OffsetDeleteRequest,
        ConsumerGroupHeartbeat => ConsumerGroupHeartbeatRequest,
        ConsumerGroupDescribe => ConsumerGroupDescribeRequest,
        ShareGroupHeartbeat => ShareGroupHeartbeatRequest,
        ShareGroupDescribe => ShareGroupDescribeRequest,
        ShareFetch => ShareFetchRequest,
        ShareAcknowledge => ShareAcknowledgeRequest,
        DescribeShareGroupOffsets => DescribeShareGroupOffsetsRequest,
        AlterShareGroupOffsets => AlterShareGroupOffsetsRequest,
        DeleteShareGroupOffsets => DeleteShareGroupOffsetsRequest,
    )
}

#[test]
fn default_requests_pass_the_walker() {
    for (api, version) in pairs() {
        let mut buf = BytesMut::new();
        default_request(api.key)
            .encode(&mut buf, version)
            .unwrap_or_else(|e| panic!("{:?} v{version}: {e}", api.key));
        assert_eq!(
            walk::walk(&buf, api.mode(version, usize::MAX), api.body),
            Ok(buf.len()),
            "{:?} v{version}",
            api.key
        );
        assert_eq!(check_body(api.key, version, &buf, usize::MAX), Ok(()));
        if !buf.is_empty() {
            assert!(check_body(api.key, version, &buf[..buf.len() - 1], usize::MAX).is_err());
        }
    }
}

#[test]
fn headers_walk_to_where_the_codec_stops() {
    for (header_version, api_version) in [(1, 8), (2, 9)] {
        let mut buf = BytesMut::new();
        let header = RequestHeader::default()
            .with_request_api_key(ApiKey::Metadata as i16)
            .with_request_api_version(api_version)
            .with_correlation_id(3)
            .with_client_id(Some(StrBytes::from_static_str("client")));
        encode_request_header_into_buffer(&mut buf, &header).unwrap();
        let len = buf.len();
        buf.extend_from_slice(&[1, 2, 3]);
        assert_eq!(check_header(&buf, header_version, 1 << 20), Ok(len));
    }
    // A client id longer than the frame.
    let frame = [0, 3, 0, 1, 0, 0, 0, 7, 0x7f, 0xff, b'x'];
    let err = check_header(&frame, 1, 1 << 20).unwrap_err().to_string();
    assert!(err.contains("ClientId: string of 32767 bytes"), "{err}");
}

fn rejected(key: ApiKey, version: i16, body: &[u8]) -> String {
    match check_body(key, version, body, usize::MAX) {
        Ok(()) => panic!("{key:?} v{version} accepted {body:02x?}"),
        Err(e) => e.to_string(),
    }
}

#[test]
fn huge_counts_and_lengths_are_refused_at_every_depth() {
    // Metadata v1: a top-level array of 2^31 - 1 topics in 4 bytes.
    let err = rejected(ApiKey::Metadata, 1, &[0x7f, 0xff, 0xff, 0xff]);
    assert!(
        err.starts_with("Topics: array of 2147483647 elements"),
        "{err}"
    );
    // A negative count other than null.
    let err = rejected(ApiKey::Metadata, 1, &[0xff, 0xff, 0xff, 0xfe]);
    assert!(err.contains("negative length -2"), "{err}");

    // CreateTopics v7 (flexible): one topic whose Configs claims 2^28 entries.
    let mut body = vec![2, 2, b't'];
    body.extend_from_slice(&1i32.to_be_bytes()); // NumPartitions
    body.extend_from_slice(&1i16.to_be_bytes()); // ReplicationFactor
    body.push(1); // Assignments: empty
    uvarint(&mut body, 1 << 28); // Configs
    body.extend_from_slice(&[0; 16]);
    let err = rejected(ApiKey::CreateTopics, 7, &body);
    assert!(
        err.starts_with("Topics.Configs: array of 268435455 elements of at least 3 bytes"),
        "{err}"
    );

    // ShareAcknowledge v1, four levels down: AcknowledgeTypes claims 2^32 - 2 bytes.
    let mut body = vec![0, 0]; // null group and member ids
    body.extend_from_slice(&0i32.to_be_bytes());
    body.push(2); // one topic
    body.extend_from_slice(&[9; 16]);
    body.push(2); // one partition
    body.extend_from_slice(&0i32.to_be_bytes());
    body.push(2); // one batch
    body.extend_from_slice(&[0; 16]);
    uvarint(&mut body, u32::MAX);
    body.extend_from_slice(&[0; 8]);
    let err = rejected(ApiKey::ShareAcknowledge, 1, &body);
    assert!(
        err.starts_with(
            "Topics.Partitions.AcknowledgementBatches.AcknowledgeTypes: array of 4294967294"
        ),
        "{err}"
    );

    // Produce v8: a record set claiming 2 GiB.
    let mut body = vec![0xff, 0xff]; // null transactional id
    body.extend_from_slice(&(-1i16).to_be_bytes());
    body.extend_from_slice(&1000i32.to_be_bytes());
    body.extend_from_slice(&1i32.to_be_bytes());
    body.extend_from_slice(&[0, 1, b't']);
    body.extend_from_slice(&1i32.to_be_bytes());
    body.extend_from_slice(&0i32.to_be_bytes());
    body.extend_from_slice(&i32::MAX.to_be_bytes());
    body.extend_from_slice(&[0; 61]);
    let err = rejected(ApiKey::Produce, 8, &body);
    assert!(
        err.contains("TopicData.PartitionData.Records: bytes of 2147483647 bytes, but 61"),
        "{err}"
    );

    // A compact string as long as a varint can say.
    let mut body = Vec::new();
    uvarint(&mut body, u32::MAX);
    body.extend_from_slice(b"group");
    let err = rejected(ApiKey::ShareGroupHeartbeat, 1, &body);
    assert!(
        err.starts_with("GroupId: string of 4294967294 bytes"),
        "{err}"
    );

    // A tagged field claiming more than is left, and a tagged count as large.
    let mut body = vec![1, 1]; // no groups, no topics... then tags
    body.truncate(0);
    body.push(1); // DeleteGroups v2: GroupsNames empty
    body.push(1); // one tagged field
    uvarint(&mut body, 7);
    uvarint(&mut body, 1 << 30);
    body.extend_from_slice(&[0; 4]);
    let err = rejected(ApiKey::DeleteGroups, 2, &body);
    assert!(err.contains("tagged field 7 of 1073741824 bytes"), "{err}");
    let mut body = vec![1];
    uvarint(&mut body, u32::MAX);
    let err = rejected(ApiKey::DeleteGroups, 2, &body);
    assert!(err.contains("4294967295 tagged fields"), "{err}");
}

const FLEXIBLE: walk::Mode = walk::Mode {
    version: 0,
    flexible: true,
    tagged_maps: true,
    budget: usize::MAX,
};
const RIGID: walk::Mode = walk::Mode {
    version: 0,
    flexible: false,
    tagged_maps: false,
    budget: usize::MAX,
};

const ELEMENT: Ty = Ty::Int32;
const WINDOWED: &[Field] = &[
    f("Before", Ty::Int8, V::ALL),
    f("Ids", Ty::Array(&ELEMENT), V::ALL).tagged(3),
];

#[test]
fn a_known_tagged_field_is_walked_inside_its_size() {
    let body = |count: u32, size: u32, values: usize| {
        let mut b = vec![0, 1, 3];
        uvarint(&mut b, size);
        uvarint(&mut b, count + 1);
        b.extend(std::iter::repeat_n(7, values * 4));
        b.extend_from_slice(&[0; 64]); // more of the frame, outside the window
        b
    };
    assert_eq!(
        walk::walk(&body(2, 9, 2), FLEXIBLE, WINDOWED),
        Ok(3 + 1 + 9)
    );
    // The count fits in the frame but not in the field's own size.
    let err = walk::walk(&body(5, 9, 2), FLEXIBLE, WINDOWED)
        .unwrap_err()
        .to_string();
    assert!(
        err.starts_with("Ids: array of 5 elements of at least 4 bytes each, but 8 bytes"),
        "{err}"
    );
    // A size that does not match its content desynchronises the decoder.
    let err = walk::walk(&body(1, 9, 2), FLEXIBLE, WINDOWED)
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("claims 9 bytes but its value takes 5"),
        "{err}"
    );
}

const EMPTY_BEFORE_V5: Ty = Ty::Struct(&[f("Late", Ty::Int64, V::from(5))]);
const EMPTIES: &[Field] = &[f("Items", Ty::Array(&EMPTY_BEFORE_V5), V::ALL)];

#[test]
fn elements_that_take_no_bytes_still_count_one() {
    let mut ok = 3i32.to_be_bytes().to_vec();
    ok.extend_from_slice(&[0; 3]);
    assert_eq!(walk::walk(&ok, RIGID, EMPTIES), Ok(4));
    let err = walk::walk(&i32::MAX.to_be_bytes(), RIGID, EMPTIES)
        .unwrap_err()
        .to_string();
    assert!(err.contains("at least 1 bytes each"), "{err}");
}

#[test]
fn no_served_struct_has_an_empty_encoding() {
    fn check(ty: Ty, version: i16, flexible: bool, what: &str) {
        match ty {
            Ty::Array(element) => {
                assert!(
                    walk::min_size(*element, version, flexible) > 0,
                    "{what}: an element can take 0 bytes"
                );
                check(*element, version, flexible, what);
            }
            Ty::Struct(fields) => {
                for field in fields.iter().filter(|f| f.versions.has(version)) {
                    check(field.ty, version, flexible, what);
                }
            }
            _ => {}
        }
    }
    for (api, version) in pairs() {
        let what = format!("{:?} v{version}", api.key);
        check(
            Ty::Struct(api.body),
            version,
            api.flexible.has(version),
            &what,
        );
    }
}

/// What `walk::footprint` estimates for one element of the array at `path`
/// in the body of `key` at `version`.
fn estimate(key: ApiKey, version: i16, path: &[&str]) -> usize {
    let api = describe(key, version).unwrap();
    let mut fields = api.body;
    let mut found = None;
    for name in path {
        let field = fields.iter().find(|f| f.name == *name).unwrap();
        let Ty::Array(element) = field.ty else {
            panic!("{name} is not an array");
        };
        found = Some(*element);
        if let Ty::Struct(inner) = element {
            fields = inner;
        }
    }
    walk::footprint(found.unwrap(), api.flexible != V::NONE)
}

#[test]
fn footprints_cover_what_the_decoder_builds() {
    use kafka_protocol::messages::*;
    use std::mem::size_of;
    let cases = [
        (
            estimate(ApiKey::Fetch, 12, &["Topics", "Partitions"]),
            size_of::<fetch_request::FetchPartition>(),
        ),
        (
            estimate(ApiKey::Metadata, 9, &["Topics"]),
            size_of::<metadata_request::MetadataRequestTopic>(),
        ),
        (
            estimate(ApiKey::CreateTopics, 5, &["Topics", "Configs"]),
            size_of::<create_topics_request::CreatableTopicConfig>(),
        ),
        (
            estimate(ApiKey::CreateTopics, 5, &["Topics", "Assignments"]),
            size_of::<create_topics_request::CreatableReplicaAssignment>(),
        ),
        (
            estimate(ApiKey::LeaveGroup, 5, &["Members"]),
            size_of::<leave_group_request::MemberIdentity>(),
        ),
        (
            estimate(ApiKey::OffsetFetch, 9, &["Groups"]),
            size_of::<offset_fetch_request::OffsetFetchRequestGroup>(),
        ),
        (
            estimate(ApiKey::OffsetDelete, 0, &["Topics", "Partitions"]),
            size_of::<offset_delete_request::OffsetDeleteRequestPartition>(),
        ),
        (
            estimate(
                ApiKey::ShareAcknowledge,
                1,
                &["Topics", "Partitions", "AcknowledgementBatches"],
            ),
            size_of::<share_acknowledge_request::AcknowledgementBatch>(),
        ),
        (
            estimate(ApiKey::Produce, 9, &["TopicData", "PartitionData"]),
            size_of::<produce_request::PartitionProduceData>(),
        ),
        (
            estimate(ApiKey::DescribeGroups, 5, &["Groups"]),
            size_of::<GroupId>(),
        ),
        (
            estimate(
                ApiKey::CreatePartitions,
                3,
                &["Topics", "Assignments", "BrokerIds"],
            ),
            size_of::<BrokerId>(),
        ),
    ];
    for (i, (estimate, real)) in cases.into_iter().enumerate() {
        assert!(
            estimate >= real && estimate <= real + 8,
            "case {i}: estimate {estimate}, size_of {real}"
        );
    }
}

#[test]
fn a_body_that_would_decode_to_more_than_the_budget_is_refused() {
    // DescribeGroups v5: 100,000 empty group names, one byte each on the
    // wire and a 32-byte `StrBytes` each once decoded.
    let mut body = Vec::new();
    uvarint(&mut body, 100_001);
    body.extend(std::iter::repeat_n(1u8, 100_000));
    body.extend_from_slice(&[0, 0]);
    assert_eq!(
        check_body(ApiKey::DescribeGroups, 5, &body, 100 << 20),
        Ok(())
    );
    let err = check_body(ApiKey::DescribeGroups, 5, &body, 1 << 20)
        .unwrap_err()
        .to_string();
    assert_eq!(
        err,
        "Groups: decoding would allocate about 3200000 bytes, more than the 1048576 allowed"
    );
    // Unknown tagged fields count too.
    let mut body = vec![1, 0xff, 0xff, 0x03];
    for tag in 0..0xffffu32 {
        uvarint(&mut body, tag);
        body.push(0);
    }
    let err = check_body(ApiKey::DeleteGroups, 2, &body, 1 << 20)
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("decoding would allocate about 3145680 bytes"),
        "{err}"
    );
}
