//! DeleteShareGroupOffsets (key 92): forgets the group's share-partitions
//! of the listed topics (the next use starts from `share.auto.offset.reset`
//! again). The group must have no members.

use kafka_protocol::messages::delete_share_group_offsets_response::DeleteShareGroupOffsetsResponseTopic;
use kafka_protocol::messages::{DeleteShareGroupOffsetsRequest, DeleteShareGroupOffsetsResponse};
use uuid::Uuid;

use super::{not_a_consumer_group, s};
use crate::share::ShareCoordinator;
use crate::share::error::ShareError;

pub(crate) async fn handle(
    share: &ShareCoordinator,
    req: &DeleteShareGroupOffsetsRequest,
) -> DeleteShareGroupOffsetsResponse {
    let group_id = req.group_id.0.to_string();
    let log = share.log();
    let mut known: Vec<Uuid> = Vec::new();
    let mut topics = Vec::with_capacity(req.topics.len());
    for t in &req.topics {
        let r =
            DeleteShareGroupOffsetsResponseTopic::default().with_topic_name(t.topic_name.clone());
        match log.topic(t.topic_name.0.as_str()) {
            Some(info) => {
                known.push(info.id);
                topics.push(r.with_topic_id(info.id));
            }
            None => {
                let e = ShareError::UnknownTopicOrPartition {
                    topic: t.topic_name.0.to_string(),
                    partition: -1,
                };
                topics.push(
                    r.with_error_code(e.code())
                        .with_error_message(Some(s(format!(
                            "unknown topic `{}`",
                            t.topic_name.0.as_str()
                        )))),
                );
            }
        }
    }
    match delete(share, &group_id, &known).await {
        Ok(()) => DeleteShareGroupOffsetsResponse::default().with_responses(topics),
        Err(e) => DeleteShareGroupOffsetsResponse::default()
            .with_error_code(e.code())
            .with_error_message(Some(s(e.to_string()))),
    }
}

async fn delete(
    share: &ShareCoordinator,
    group_id: &str,
    topics: &[Uuid],
) -> Result<(), ShareError> {
    not_a_consumer_group(share, group_id).await?;
    let loaded = share.loaded().await?;
    let (result, seq) = loaded.run(|s, _| s.delete_start_offsets(group_id, topics));
    result?;
    loaded.durable(seq).await
}

#[cfg(test)]
mod tests {
    use kafka_protocol::error::ResponseError;
    use kafka_protocol::messages::delete_share_group_offsets_request::DeleteShareGroupOffsetsRequestTopic;
    use kafka_protocol::messages::{GroupId, TopicName};

    use super::*;
    use crate::share::handlers::testing::{Fixture, assert_encodes};

    fn request(group: &str, topics: &[&str]) -> DeleteShareGroupOffsetsRequest {
        DeleteShareGroupOffsetsRequest::default()
            .with_group_id(GroupId(s(group)))
            .with_topics(
                topics
                    .iter()
                    .map(|t| {
                        DeleteShareGroupOffsetsRequestTopic::default()
                            .with_topic_name(TopicName(s(*t)))
                    })
                    .collect(),
            )
    }

    #[tokio::test]
    async fn forgets_state_of_known_topics() {
        let f = Fixture::new();
        let id = f.topic("q", 1);
        let resp = handle(&f.share, &request("g", &["q"])).await;
        assert_eq!(resp.error_code, ResponseError::GroupIdNotFound.code());
        let loaded = f.share.loaded().await.unwrap();
        loaded.run(|st, _| st.initialize("g", (id, 0), 3));
        let resp = handle(&f.share, &request("g", &["q", "nope"])).await;
        assert_encodes(&resp, 0);
        assert_eq!(resp.error_code, 0);
        assert_eq!(resp.responses[0].topic_id, id);
        assert_eq!(resp.responses[0].error_code, 0);
        assert_eq!(
            resp.responses[1].error_code,
            ResponseError::UnknownTopicOrPartition.code()
        );
        assert!(!loaded.read(|s| s.has_partition("g", (id, 0))));
    }
}
