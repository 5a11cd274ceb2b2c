//! ShareAcknowledge (key 79, v1): acknowledgements outside a fetch, in the
//! member's share session (epoch 0 is refused: a session is opened by
//! ShareFetch; -1 applies the acknowledgements and closes the session,
//! releasing what it still holds).

use std::collections::BTreeMap;

use kafka_protocol::messages::share_acknowledge_response::{
    LeaderIdAndEpoch, PartitionData, ShareAcknowledgeTopicResponse,
};
use kafka_protocol::messages::{ShareAcknowledgeRequest, ShareAcknowledgeResponse};
use uuid::Uuid;

use super::{Node, PartitionAcks, acknowledge_all, ids, s};
use crate::share::ShareCoordinator;
use crate::share::error::ShareError;
use crate::share::state::partition::AckBatch;

pub(crate) async fn handle(
    share: &ShareCoordinator,
    node: &Node,
    req: ShareAcknowledgeRequest,
) -> ShareAcknowledgeResponse {
    match run(share, &req).await {
        Ok(results) => respond(node, results),
        Err(e) => ShareAcknowledgeResponse::default()
            .with_error_code(e.code())
            .with_error_message(Some(s(e.to_string()))),
    }
}

async fn run(
    share: &ShareCoordinator,
    req: &ShareAcknowledgeRequest,
) -> Result<BTreeMap<(Uuid, i32), Option<ShareError>>, ShareError> {
    let (group, member) = ids(
        req.group_id.as_ref().map(|g| g.0.as_str()),
        req.member_id.as_ref().map(|m| m.as_str()),
    )?;
    let loaded = share.loaded().await?;
    let (closing, _) = loaded.run(|s, _| {
        s.sessions
            .for_acknowledge(&group, &member, req.share_session_epoch)
    });
    let closing = closing?;
    let acks: Vec<PartitionAcks> = req
        .topics
        .iter()
        .flat_map(|t| {
            t.partitions.iter().map(move |p| {
                let batches = p
                    .acknowledgement_batches
                    .iter()
                    .map(|b| AckBatch {
                        first: b.first_offset,
                        last: b.last_offset,
                        types: b.acknowledge_types.clone(),
                    })
                    .collect();
                ((t.topic_id, p.partition_index), batches)
            })
        })
        .collect();
    let (results, mut seq) = acknowledge_all(loaded, &group, &member, &acks);
    if closing {
        seq = seq.max(loaded.run(|st, _| st.close_session(&group, &member)).1);
    }
    loaded.durable(seq).await?;
    Ok(results)
}

fn respond(
    node: &Node,
    results: BTreeMap<(Uuid, i32), Option<ShareError>>,
) -> ShareAcknowledgeResponse {
    let (leader_id, leader_epoch) = node.leader();
    let mut topics: Vec<ShareAcknowledgeTopicResponse> = Vec::new();
    for ((topic, index), error) in results {
        let mut data = PartitionData::default()
            .with_partition_index(index)
            .with_current_leader(
                LeaderIdAndEpoch::default()
                    .with_leader_id(leader_id)
                    .with_leader_epoch(leader_epoch),
            );
        if let Some(e) = error {
            data = data
                .with_error_code(e.code())
                .with_error_message(Some(s(e.to_string())));
        }
        match topics.last_mut() {
            Some(t) if t.topic_id == topic => t.partitions.push(data),
            _ => topics.push(
                ShareAcknowledgeTopicResponse::default()
                    .with_topic_id(topic)
                    .with_partitions(vec![data]),
            ),
        }
    }
    ShareAcknowledgeResponse::default().with_responses(topics)
}

#[cfg(test)]
mod tests {
    use kafka_protocol::error::ResponseError;
    use kafka_protocol::messages::GroupId;
    use kafka_protocol::messages::ShareFetchRequest;
    use kafka_protocol::messages::share_acknowledge_request::{
        AcknowledgePartition, AcknowledgeTopic, AcknowledgementBatch,
    };
    use kafka_protocol::messages::share_fetch_request::{FetchPartition, FetchTopic};

    use super::*;
    use crate::share::handlers::share_fetch;
    use crate::share::handlers::testing::{Fixture, assert_encodes};

    const NODE: Node = Node { id: 1 };

    fn acknowledge(
        epoch: i32,
        topic: Uuid,
        first: i64,
        last: i64,
        t: i8,
    ) -> ShareAcknowledgeRequest {
        ShareAcknowledgeRequest::default()
            .with_group_id(Some(GroupId(s("g"))))
            .with_member_id(Some(s("a")))
            .with_share_session_epoch(epoch)
            .with_topics(vec![
                AcknowledgeTopic::default()
                    .with_topic_id(topic)
                    .with_partitions(vec![
                        AcknowledgePartition::default()
                            .with_partition_index(0)
                            .with_acknowledgement_batches(vec![
                                AcknowledgementBatch::default()
                                    .with_first_offset(first)
                                    .with_last_offset(last)
                                    .with_acknowledge_types(vec![t]),
                            ]),
                    ]),
            ])
    }

    #[tokio::test]
    async fn acknowledges_in_the_session_and_closes_it() {
        let f = Fixture::new();
        let t = f.topic("q", 1);
        let loaded = f.share.loaded().await.unwrap();
        loaded.run(|s, _| {
            s.set_group_configs(
                "g",
                BTreeMap::from([("share.auto.offset.reset".to_owned(), "earliest".to_owned())]),
            )
        });
        f.produce("q", 0, 4);
        let resp = handle(&f.share, &NODE, acknowledge(0, t, 0, 0, 1)).await;
        assert_eq!(
            resp.error_code,
            ResponseError::InvalidShareSessionEpoch.code()
        );
        let resp = handle(&f.share, &NODE, acknowledge(1, t, 0, 0, 1)).await;
        assert_eq!(resp.error_code, ResponseError::ShareSessionNotFound.code());
        let open = ShareFetchRequest::default()
            .with_group_id(Some(GroupId(s("g"))))
            .with_member_id(Some(s("a")))
            .with_max_records(10)
            .with_topics(vec![
                FetchTopic::default()
                    .with_topic_id(t)
                    .with_partitions(vec![FetchPartition::default().with_partition_index(0)]),
            ]);
        let fetched = share_fetch::handle(&f.share, &NODE, open).await;
        assert_eq!(fetched.responses[0].partitions[0].acquired_records.len(), 1);
        let resp = handle(&f.share, &NODE, acknowledge(1, t, 0, 1, 1)).await;
        assert_encodes(&resp, 1);
        assert_eq!(resp.error_code, 0);
        assert_eq!(resp.responses[0].partitions[0].error_code, 0);
        let resp = handle(&f.share, &NODE, acknowledge(2, t, 0, 0, 1)).await;
        assert_eq!(
            resp.responses[0].partitions[0].error_code,
            ResponseError::InvalidRecordState.code(),
            "already accepted"
        );
        let resp = handle(&f.share, &NODE, acknowledge(-1, t, 2, 2, 3)).await;
        assert_eq!(resp.responses[0].partitions[0].error_code, 0);
        let (starts, holding) = loaded.read(|s| {
            (
                s.start_offsets("g", None).unwrap()[&t].clone(),
                s.sessions.len(),
            )
        });
        assert_eq!(
            starts,
            vec![(0, Some(3))],
            "0-1 accepted, 2 rejected; 3 released"
        );
        assert_eq!(holding, 0, "the session is closed");
    }
}
