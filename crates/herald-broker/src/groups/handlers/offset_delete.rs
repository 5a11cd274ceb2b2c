//! OffsetDelete (key 47): removes committed offsets of topics the group no
//! longer consumes (GROUP_SUBSCRIBED_TO_TOPIC for the ones it does).

use kafka_protocol::messages::offset_delete_response::{
    OffsetDeleteResponsePartition, OffsetDeleteResponseTopic,
};
use kafka_protocol::messages::{OffsetDeleteRequest, OffsetDeleteResponse, TopicName};

use super::s;
use crate::groups::GroupCoordinator;

pub(crate) async fn handle(
    groups: &GroupCoordinator,
    req: &OffsetDeleteRequest,
) -> OffsetDeleteResponse {
    let loaded = match groups.loaded().await {
        Ok(l) => l,
        Err(e) => return OffsetDeleteResponse::default().with_error_code(e.code()),
    };
    let group_id = req.group_id.0.to_string();
    let topics: Vec<(String, Vec<i32>)> = req
        .topics
        .iter()
        .map(|t| {
            (
                t.name.0.to_string(),
                t.partitions.iter().map(|p| p.partition_index).collect(),
            )
        })
        .collect();
    let outcome = loaded
        .run(|g, _| g.delete_offsets(&group_id, topics))
        .await
        .and_then(|r| r);
    match outcome {
        Err(e) => OffsetDeleteResponse::default().with_error_code(e.code()),
        Ok(results) => OffsetDeleteResponse::default().with_topics(
            results
                .into_iter()
                .map(|(topic, partitions)| {
                    OffsetDeleteResponseTopic::default()
                        .with_name(TopicName(s(topic)))
                        .with_partitions(
                            partitions
                                .into_iter()
                                .map(|(p, e)| {
                                    OffsetDeleteResponsePartition::default()
                                        .with_partition_index(p)
                                        .with_error_code(e.map_or(0, |e| e.code()))
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
    use kafka_protocol::error::ResponseError;
    use kafka_protocol::messages::offset_commit_request::{
        OffsetCommitRequestPartition, OffsetCommitRequestTopic,
    };
    use kafka_protocol::messages::offset_delete_request::{
        OffsetDeleteRequestPartition, OffsetDeleteRequestTopic,
    };
    use kafka_protocol::messages::{GroupId, OffsetCommitRequest};

    use super::*;
    use crate::groups::handlers::offset_commit;
    use crate::groups::handlers::testing::{Fixture, assert_encodes};

    #[tokio::test]
    async fn deletes_offsets_of_an_empty_group() {
        let f = Fixture::new();
        f.topic("orders", 1);
        let commit = OffsetCommitRequest::default()
            .with_group_id(GroupId(s("g")))
            .with_generation_id_or_member_epoch(-1)
            .with_topics(vec![
                OffsetCommitRequestTopic::default()
                    .with_name(TopicName(s("orders")))
                    .with_partitions(vec![
                        OffsetCommitRequestPartition::default().with_committed_offset(9),
                    ]),
            ]);
        offset_commit::handle(&f.coordinator, &commit, 8).await;
        let req = OffsetDeleteRequest::default()
            .with_group_id(GroupId(s("g")))
            .with_topics(vec![
                OffsetDeleteRequestTopic::default()
                    .with_name(TopicName(s("orders")))
                    .with_partitions(vec![OffsetDeleteRequestPartition::default()]),
            ]);
        let resp = handle(&f.coordinator, &req).await;
        assert_encodes(&resp, 0);
        assert_eq!(resp.error_code, 0);
        assert_eq!(resp.topics[0].partitions[0].error_code, 0);
        let left = f
            .coordinator
            .loaded()
            .await
            .expect("loaded")
            .read(|g| g.fetch_offsets("g", (None, -1), None).expect("fetch"));
        assert!(left.is_empty());
        let missing = handle(&f.coordinator, &req.with_group_id(GroupId(s("none")))).await;
        assert_eq!(missing.error_code, ResponseError::GroupIdNotFound.code());
    }
}
