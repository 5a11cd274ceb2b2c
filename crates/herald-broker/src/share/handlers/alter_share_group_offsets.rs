//! AlterShareGroupOffsets (key 91): resets share-partitions to start at the
//! given offsets (`kafka-share-groups.sh --reset-offsets`). The group must
//! have no members; a new group id creates an empty share group.

use kafka_protocol::messages::alter_share_group_offsets_response::{
    AlterShareGroupOffsetsResponsePartition, AlterShareGroupOffsetsResponseTopic,
};
use kafka_protocol::messages::{AlterShareGroupOffsetsRequest, AlterShareGroupOffsetsResponse};
use uuid::Uuid;

use super::{not_a_consumer_group, s};
use crate::share::ShareCoordinator;
use crate::share::error::ShareError;

pub(crate) async fn handle(
    share: &ShareCoordinator,
    req: &AlterShareGroupOffsetsRequest,
) -> AlterShareGroupOffsetsResponse {
    let group_id = req.group_id.0.to_string();
    let log = share.log();
    let mut valid: Vec<(Uuid, i32, i64)> = Vec::new();
    let mut topics = Vec::with_capacity(req.topics.len());
    for t in &req.topics {
        let info = log.topic(t.topic_name.0.as_str());
        let partitions = t
            .partitions
            .iter()
            .map(|p| {
                let refusal = match &info {
                    None => Some(ShareError::UnknownTopicOrPartition {
                        topic: t.topic_name.0.to_string(),
                        partition: p.partition_index,
                    }),
                    Some(i) if !(0..i.partitions).contains(&p.partition_index) => {
                        Some(ShareError::UnknownTopicOrPartition {
                            topic: i.name.clone(),
                            partition: p.partition_index,
                        })
                    }
                    Some(_) if p.start_offset < 0 => Some(ShareError::invalid(format!(
                        "start offset {} is negative",
                        p.start_offset
                    ))),
                    Some(i) => {
                        valid.push((i.id, p.partition_index, p.start_offset));
                        None
                    }
                };
                let r = AlterShareGroupOffsetsResponsePartition::default()
                    .with_partition_index(p.partition_index);
                match refusal {
                    Some(e) => r
                        .with_error_code(e.code())
                        .with_error_message(Some(s(e.to_string()))),
                    None => r,
                }
            })
            .collect();
        topics.push(
            AlterShareGroupOffsetsResponseTopic::default()
                .with_topic_name(t.topic_name.clone())
                .with_topic_id(info.map(|i| i.id).unwrap_or_default())
                .with_partitions(partitions),
        );
    }
    match alter(share, &group_id, &valid).await {
        Ok(()) => AlterShareGroupOffsetsResponse::default().with_responses(topics),
        Err(e) => AlterShareGroupOffsetsResponse::default()
            .with_error_code(e.code())
            .with_error_message(Some(s(e.to_string()))),
    }
}

async fn alter(
    share: &ShareCoordinator,
    group_id: &str,
    offsets: &[(Uuid, i32, i64)],
) -> Result<(), ShareError> {
    if group_id.trim().is_empty() {
        return Err(ShareError::invalid("GroupId can't be empty."));
    }
    not_a_consumer_group(share, group_id).await?;
    let loaded = share.loaded().await?;
    let (result, seq) = loaded.run(|s, _| s.alter_start_offsets(group_id, offsets));
    result?;
    loaded.durable(seq).await
}

#[cfg(test)]
mod tests {
    use kafka_protocol::error::ResponseError;
    use kafka_protocol::messages::alter_share_group_offsets_request::{
        AlterShareGroupOffsetsRequestPartition, AlterShareGroupOffsetsRequestTopic,
    };
    use kafka_protocol::messages::{GroupId, TopicName};

    use super::*;
    use crate::share::handlers::testing::{Fixture, assert_encodes};

    fn request(topic: &str, partitions: &[(i32, i64)]) -> AlterShareGroupOffsetsRequest {
        AlterShareGroupOffsetsRequest::default()
            .with_group_id(GroupId(s("g")))
            .with_topics(vec![
                AlterShareGroupOffsetsRequestTopic::default()
                    .with_topic_name(TopicName(s(topic)))
                    .with_partitions(
                        partitions
                            .iter()
                            .map(|(p, o)| {
                                AlterShareGroupOffsetsRequestPartition::default()
                                    .with_partition_index(*p)
                                    .with_start_offset(*o)
                            })
                            .collect(),
                    ),
            ])
    }

    #[tokio::test]
    async fn resets_start_offsets_of_an_empty_group() {
        let f = Fixture::new();
        let id = f.topic("q", 1);
        let resp = handle(&f.share, &request("q", &[(0, 5), (3, 1), (0, -2)])).await;
        assert_encodes(&resp, 0);
        assert_eq!(resp.error_code, 0);
        let codes: Vec<i16> = resp.responses[0]
            .partitions
            .iter()
            .map(|p| p.error_code)
            .collect();
        assert_eq!(
            codes,
            vec![
                0,
                ResponseError::UnknownTopicOrPartition.code(),
                ResponseError::InvalidRequest.code()
            ]
        );
        assert_eq!(resp.responses[0].topic_id, id);
        let loaded = f.share.loaded().await.unwrap();
        let starts = loaded.read(|s| s.start_offsets("g", None).unwrap());
        assert_eq!(starts[&id], vec![(0, Some(5))]);
        let resp = handle(&f.share, &request("nope", &[(0, 1)])).await;
        assert_eq!(
            resp.responses[0].partitions[0].error_code,
            ResponseError::UnknownTopicOrPartition.code()
        );
    }
}
