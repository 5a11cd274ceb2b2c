//! OffsetCommit (key 8): checks the committer against the group (generation
//! for classic members, member epoch for KIP-848 ones), makes the offsets
//! durable in `__consumer_offsets`, and only then applies and acknowledges them.

use kafka_protocol::messages::offset_commit_response::{
    OffsetCommitResponsePartition, OffsetCommitResponseTopic,
};
use kafka_protocol::messages::{OffsetCommitRequest, OffsetCommitResponse};

use crate::groups::GroupCoordinator;
use crate::groups::state::offsets::{CommitRequest, PartitionCommit};

pub(crate) async fn handle(
    groups: &GroupCoordinator,
    req: &OffsetCommitRequest,
    version: i16,
) -> OffsetCommitResponse {
    let commit = CommitRequest {
        group_id: req.group_id.0.to_string(),
        member_id: req.member_id.to_string(),
        instance_id: req.group_instance_id.as_ref().map(|i| i.to_string()),
        generation_or_epoch: req.generation_id_or_member_epoch,
        retention_ms: if (2..=4).contains(&version) {
            req.retention_time_ms
        } else {
            -1
        },
        version,
        partitions: req
            .topics
            .iter()
            .flat_map(|t| {
                t.partitions.iter().map(|p| PartitionCommit {
                    topic: t.name.0.to_string(),
                    partition: p.partition_index,
                    offset: p.committed_offset,
                    leader_epoch: if version >= 6 {
                        p.committed_leader_epoch
                    } else {
                        -1
                    },
                    metadata: p.committed_metadata.as_ref().map(|m| m.to_string()),
                })
            })
            .collect(),
    };
    let codes: Vec<i16> = match groups.loaded().await {
        Err(e) => vec![e.code(); commit.partitions.len()],
        Ok(loaded) => {
            let topics = groups.topics();
            let (plan, durable) = loaded
                .run_and_keep(|g, now| {
                    let plan = g.plan_commit(commit, &topics, now);
                    g.push_records(plan.records.clone());
                    plan
                })
                .await;
            let codes = plan
                .errors
                .iter()
                .map(|e| match (e, &durable) {
                    (Some(e), _) => e.code(),
                    (None, Err(e)) => e.code(),
                    (None, Ok(())) => 0,
                })
                .collect();
            // Durable: now visible to OffsetFetch.
            loaded.update(|g, _| g.finish_commit(plan.ticket, durable.is_ok()));
            codes
        }
    };
    let mut codes = codes.into_iter();
    OffsetCommitResponse::default().with_topics(
        req.topics
            .iter()
            .map(|t| {
                OffsetCommitResponseTopic::default()
                    .with_name(t.name.clone())
                    .with_partitions(
                        t.partitions
                            .iter()
                            .map(|p| {
                                OffsetCommitResponsePartition::default()
                                    .with_partition_index(p.partition_index)
                                    .with_error_code(codes.next().unwrap_or(0))
                            })
                            .collect(),
                    )
            })
            .collect(),
    )
}

#[cfg(test)]
mod tests {
    use kafka_protocol::error::ResponseError;
    use kafka_protocol::messages::offset_commit_request::{
        OffsetCommitRequestPartition, OffsetCommitRequestTopic,
    };
    use kafka_protocol::messages::{GroupId, TopicName};

    use super::*;
    use crate::groups::handlers::s;
    use crate::groups::handlers::testing::{Fixture, assert_encodes, stable_member};

    fn commit(group: &str, member: &str, generation: i32, offset: i64) -> OffsetCommitRequest {
        OffsetCommitRequest::default()
            .with_group_id(GroupId(s(group)))
            .with_member_id(s(member))
            .with_generation_id_or_member_epoch(generation)
            .with_topics(vec![
                OffsetCommitRequestTopic::default()
                    .with_name(TopicName(s("orders")))
                    .with_partitions(vec![
                        OffsetCommitRequestPartition::default()
                            .with_partition_index(0)
                            .with_committed_offset(offset)
                            .with_committed_metadata(Some(s("m"))),
                        OffsetCommitRequestPartition::default()
                            .with_partition_index(5)
                            .with_committed_offset(offset),
                    ]),
            ])
    }

    #[tokio::test]
    async fn members_commit_and_the_offsets_are_durable() {
        let f = Fixture::new();
        f.topic("orders", 2);
        let (member, generation) = stable_member(&f, "g").await;
        for version in 2..=9 {
            let resp = handle(
                &f.coordinator,
                &commit("g", &member, generation, 10),
                version,
            )
            .await;
            assert_encodes(&resp, version);
            let codes: Vec<i16> = resp.topics[0]
                .partitions
                .iter()
                .map(|p| p.error_code)
                .collect();
            assert_eq!(
                codes,
                vec![0, ResponseError::UnknownTopicOrPartition.code()],
                "v{version}"
            );
        }
        let stale = handle(&f.coordinator, &commit("g", &member, generation + 1, 11), 8).await;
        assert_eq!(
            stale.topics[0].partitions[0].error_code,
            ResponseError::IllegalGeneration.code()
        );
        let offsets = f
            .log
            .partition("__consumer_offsets", 0)
            .expect("offsets topic");
        assert!(offsets.high_watermark() >= 8, "every commit was written");
    }

    #[tokio::test]
    async fn admin_commits_create_a_simple_group() {
        let f = Fixture::new();
        f.topic("orders", 1);
        let resp = handle(&f.coordinator, &commit("simple", "", -1, 3), 9).await;
        assert_eq!(resp.topics[0].partitions[0].error_code, 0);
        let groups = f
            .coordinator
            .loaded()
            .await
            .expect("loaded")
            .read(|g| g.list(&[], &[]));
        assert_eq!(groups[0].group_id, "simple");
    }
}
