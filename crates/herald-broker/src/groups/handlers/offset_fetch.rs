//! OffsetFetch (key 9): the committed offsets of a group. v1–v7 ask for one
//! group; v8+ batch several ("groups"); v9 names the KIP-848 member, whose
//! epoch is checked. A partition without a committed offset reports -1.
//!
//! `require_stable` (v7+) asks to wait for pending transactional offsets;
//! this broker has no transactional offset commits, so every offset is stable.

use kafka_protocol::messages::offset_fetch_response::{
    OffsetFetchResponseGroup, OffsetFetchResponsePartition, OffsetFetchResponsePartitions,
    OffsetFetchResponseTopic, OffsetFetchResponseTopics,
};
use kafka_protocol::messages::{GroupId, OffsetFetchRequest, OffsetFetchResponse, TopicName};

use super::s;
use crate::groups::GroupCoordinator;
use crate::groups::error::GroupError;
use crate::groups::state::offsets::{CommittedOffset, FetchedTopic};

/// One group's question: (group, member id, member epoch, topics or all).
type Query = (String, Option<String>, i32, Option<Vec<(String, Vec<i32>)>>);

pub(crate) async fn handle(
    groups: &GroupCoordinator,
    req: &OffsetFetchRequest,
    version: i16,
) -> OffsetFetchResponse {
    let queries: Vec<Query> = if version >= 8 {
        req.groups
            .iter()
            .map(|g| {
                let topics = g.topics.as_ref().map(|ts| {
                    ts.iter()
                        .map(|t| (t.name.0.to_string(), t.partition_indexes.clone()))
                        .collect()
                });
                (
                    g.group_id.0.to_string(),
                    g.member_id.as_ref().map(|m| m.to_string()),
                    g.member_epoch,
                    topics,
                )
            })
            .collect()
    } else {
        let topics = req.topics.as_ref().map(|ts| {
            ts.iter()
                .map(|t| (t.name.0.to_string(), t.partition_indexes.clone()))
                .collect()
        });
        vec![(req.group_id.0.to_string(), None, -1, topics)]
    };
    let answers: Vec<Result<Vec<FetchedTopic>, GroupError>> = match groups.loaded().await {
        Err(e) => queries.iter().map(|_| Err(e.clone())).collect(),
        Ok(loaded) => loaded.read(|g| {
            queries
                .iter()
                .map(|(group, member, epoch, topics)| {
                    if group.is_empty() {
                        return Err(GroupError::InvalidGroupId);
                    }
                    g.fetch_offsets(group, (member.as_deref(), *epoch), topics.clone())
                })
                .collect()
        }),
    };
    if version >= 8 {
        return OffsetFetchResponse::default().with_groups(
            queries
                .into_iter()
                .zip(answers)
                .map(|((group, ..), answer)| v8_group(group, answer))
                .collect(),
        );
    }
    let answer = answers.into_iter().next().unwrap_or_else(|| Ok(Vec::new()));
    match answer {
        Ok(topics) => OffsetFetchResponse::default().with_topics(
            topics
                .into_iter()
                .map(|(topic, partitions)| {
                    OffsetFetchResponseTopic::default()
                        .with_name(TopicName(s(topic)))
                        .with_partitions(
                            partitions
                                .into_iter()
                                .map(|(p, o)| {
                                    let (offset, epoch, metadata) = fields(o);
                                    OffsetFetchResponsePartition::default()
                                        .with_partition_index(p)
                                        .with_committed_offset(offset)
                                        .with_committed_leader_epoch(if version >= 5 {
                                            epoch
                                        } else {
                                            -1
                                        })
                                        .with_metadata(Some(s(metadata)))
                                })
                                .collect(),
                        )
                })
                .collect(),
        ),
        // v1 has no top-level error: report it on every partition asked for.
        Err(e) if version < 2 => OffsetFetchResponse::default().with_topics(
            req.topics
                .iter()
                .flatten()
                .map(|t| {
                    OffsetFetchResponseTopic::default()
                        .with_name(t.name.clone())
                        .with_partitions(
                            t.partition_indexes
                                .iter()
                                .map(|p| {
                                    OffsetFetchResponsePartition::default()
                                        .with_partition_index(*p)
                                        .with_committed_offset(-1)
                                        .with_metadata(Some(s("")))
                                        .with_error_code(e.code())
                                })
                                .collect(),
                        )
                })
                .collect(),
        ),
        Err(e) => OffsetFetchResponse::default().with_error_code(e.code()),
    }
}

fn fields(o: Option<CommittedOffset>) -> (i64, i32, String) {
    o.map_or((-1, -1, String::new()), |o| {
        (o.offset, o.leader_epoch, o.metadata)
    })
}

fn v8_group(
    group: String,
    answer: Result<Vec<FetchedTopic>, GroupError>,
) -> OffsetFetchResponseGroup {
    let response = OffsetFetchResponseGroup::default().with_group_id(GroupId(s(group)));
    match answer {
        Err(e) => response.with_error_code(e.code()),
        Ok(topics) => response.with_topics(
            topics
                .into_iter()
                .map(|(topic, partitions)| {
                    OffsetFetchResponseTopics::default()
                        .with_name(TopicName(s(topic)))
                        .with_partitions(
                            partitions
                                .into_iter()
                                .map(|(p, o)| {
                                    let (offset, epoch, metadata) = fields(o);
                                    OffsetFetchResponsePartitions::default()
                                        .with_partition_index(p)
                                        .with_committed_offset(offset)
                                        .with_committed_leader_epoch(epoch)
                                        .with_metadata(Some(s(metadata)))
                                })
                                .collect(),
                        )
                })
                .collect(),
        ),
    }
}

#[cfg(test)]
mod tests {
    use kafka_protocol::messages::OffsetCommitRequest;
    use kafka_protocol::messages::offset_commit_request::{
        OffsetCommitRequestPartition, OffsetCommitRequestTopic,
    };
    use kafka_protocol::messages::offset_fetch_request::{
        OffsetFetchRequestGroup, OffsetFetchRequestTopic, OffsetFetchRequestTopics,
    };

    use super::*;
    use crate::groups::handlers::offset_commit;
    use crate::groups::handlers::testing::{Fixture, assert_encodes};

    async fn committed(f: &Fixture) {
        f.topic("orders", 2);
        let commit = OffsetCommitRequest::default()
            .with_group_id(GroupId(s("g")))
            .with_generation_id_or_member_epoch(-1)
            .with_topics(vec![
                OffsetCommitRequestTopic::default()
                    .with_name(TopicName(s("orders")))
                    .with_partitions(vec![
                        OffsetCommitRequestPartition::default()
                            .with_partition_index(1)
                            .with_committed_offset(42)
                            .with_committed_leader_epoch(3)
                            .with_committed_metadata(Some(s("checkpoint"))),
                    ]),
            ]);
        let resp = offset_commit::handle(&f.coordinator, &commit, 9).await;
        assert_eq!(resp.topics[0].partitions[0].error_code, 0);
    }

    #[tokio::test]
    async fn single_group_layout_v1_to_v7() {
        let f = Fixture::new();
        committed(&f).await;
        for version in 1..=7 {
            let req = OffsetFetchRequest::default()
                .with_group_id(GroupId(s("g")))
                .with_topics(Some(vec![
                    OffsetFetchRequestTopic::default()
                        .with_name(TopicName(s("orders")))
                        .with_partition_indexes(vec![0, 1]),
                ]));
            let resp = handle(&f.coordinator, &req, version).await;
            assert_encodes(&resp, version);
            let parts = &resp.topics[0].partitions;
            assert_eq!(
                (parts[0].committed_offset, parts[1].committed_offset),
                (-1, 42)
            );
            assert_eq!(
                parts[1].metadata.as_deref(),
                Some("checkpoint"),
                "metadata round-trips"
            );
            let expected_epoch = if version >= 5 { 3 } else { -1 };
            assert_eq!(parts[1].committed_leader_epoch, expected_epoch);
        }
        let all = OffsetFetchRequest::default()
            .with_group_id(GroupId(s("g")))
            .with_topics(None);
        let resp = handle(&f.coordinator, &all, 7).await;
        assert_eq!(resp.topics.len(), 1, "null topics: everything committed");
        assert_eq!(resp.topics[0].partitions.len(), 1);
    }

    #[tokio::test]
    async fn batched_groups_layout_v8_and_v9() {
        let f = Fixture::new();
        committed(&f).await;
        for version in [8, 9] {
            let req = OffsetFetchRequest::default().with_groups(vec![
                OffsetFetchRequestGroup::default()
                    .with_group_id(GroupId(s("g")))
                    .with_topics(Some(vec![
                        OffsetFetchRequestTopics::default()
                            .with_name(TopicName(s("orders")))
                            .with_partition_indexes(vec![1]),
                    ])),
                OffsetFetchRequestGroup::default()
                    .with_group_id(GroupId(s("unknown")))
                    .with_topics(None),
            ]);
            let resp = handle(&f.coordinator, &req, version).await;
            assert_encodes(&resp, version);
            assert_eq!(resp.groups.len(), 2);
            assert_eq!(resp.groups[0].topics[0].partitions[0].committed_offset, 42);
            assert_eq!(resp.groups[1].error_code, 0);
            assert!(resp.groups[1].topics.is_empty());
        }
    }
}
