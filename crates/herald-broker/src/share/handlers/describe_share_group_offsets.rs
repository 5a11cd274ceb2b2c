//! DescribeShareGroupOffsets (key 90): the share-partition start offset of
//! the asked partitions (or of every partition the group has state for);
//! -1 where the group has none yet.

use herald_log::LEADER_EPOCH;
use kafka_protocol::messages::describe_share_group_offsets_response::{
    DescribeShareGroupOffsetsResponseGroup, DescribeShareGroupOffsetsResponsePartition,
    DescribeShareGroupOffsetsResponseTopic,
};
use kafka_protocol::messages::{
    DescribeShareGroupOffsetsRequest, DescribeShareGroupOffsetsResponse, TopicName,
};
use uuid::Uuid;

use super::{not_a_consumer_group, s};
use crate::share::ShareCoordinator;
use crate::share::error::ShareError;

pub(crate) async fn handle(
    share: &ShareCoordinator,
    req: &DescribeShareGroupOffsetsRequest,
) -> DescribeShareGroupOffsetsResponse {
    let mut groups = Vec::with_capacity(req.groups.len());
    for g in &req.groups {
        let group_id = g.group_id.0.to_string();
        let base =
            DescribeShareGroupOffsetsResponseGroup::default().with_group_id(g.group_id.clone());
        let asked: Option<Vec<(String, Vec<i32>)>> = g.topics.as_ref().map(|topics| {
            topics
                .iter()
                .map(|t| (t.topic_name.0.to_string(), t.partitions.clone()))
                .collect()
        });
        groups.push(match describe(share, &group_id, asked).await {
            Ok(topics) => base.with_topics(topics),
            Err(e) => base
                .with_error_code(e.code())
                .with_error_message(Some(s(e.to_string()))),
        });
    }
    DescribeShareGroupOffsetsResponse::default().with_groups(groups)
}

async fn describe(
    share: &ShareCoordinator,
    group_id: &str,
    asked: Option<Vec<(String, Vec<i32>)>>,
) -> Result<Vec<DescribeShareGroupOffsetsResponseTopic>, ShareError> {
    not_a_consumer_group(share, group_id).await?;
    let loaded = share.loaded().await?;
    let log = share.log();
    let mut unknown: Vec<(String, Vec<i32>)> = Vec::new();
    let ids: Option<Vec<(Uuid, Vec<i32>)>> = asked.map(|topics| {
        topics
            .into_iter()
            .filter_map(|(name, partitions)| match log.topic(&name) {
                Some(t) => Some((t.id, partitions)),
                None => {
                    unknown.push((name, partitions));
                    None
                }
            })
            .collect()
    });
    let offsets = loaded.read(|s| s.start_offsets(group_id, ids))?;
    let mut topics: Vec<DescribeShareGroupOffsetsResponseTopic> = offsets
        .into_iter()
        .map(|(id, partitions)| {
            let info = log.topic_by_id(id);
            let name = info.as_ref().map(|t| t.name.clone()).unwrap_or_default();
            let count = info.as_ref().map_or(0, |t| t.partitions);
            DescribeShareGroupOffsetsResponseTopic::default()
                .with_topic_name(TopicName(s(name.clone())))
                .with_topic_id(id)
                .with_partitions(
                    partitions
                        .into_iter()
                        .map(|(p, start)| {
                            let part = DescribeShareGroupOffsetsResponsePartition::default()
                                .with_partition_index(p);
                            if !(0..count).contains(&p) {
                                let e = ShareError::UnknownTopicOrPartition {
                                    topic: name.clone(),
                                    partition: p,
                                };
                                return part
                                    .with_start_offset(-1)
                                    .with_leader_epoch(-1)
                                    .with_error_code(e.code())
                                    .with_error_message(Some(s(e.to_string())));
                            }
                            match start {
                                Some(o) => {
                                    part.with_start_offset(o).with_leader_epoch(LEADER_EPOCH)
                                }
                                None => part.with_start_offset(-1).with_leader_epoch(-1),
                            }
                        })
                        .collect(),
                )
        })
        .collect();
    for (name, partitions) in unknown {
        topics.push(
            DescribeShareGroupOffsetsResponseTopic::default()
                .with_topic_name(TopicName(s(name.clone())))
                .with_partitions(
                    partitions
                        .into_iter()
                        .map(|p| {
                            let e = ShareError::UnknownTopicOrPartition {
                                topic: name.clone(),
                                partition: p,
                            };
                            DescribeShareGroupOffsetsResponsePartition::default()
                                .with_partition_index(p)
                                .with_start_offset(-1)
                                .with_leader_epoch(-1)
                                .with_error_code(e.code())
                                .with_error_message(Some(s(e.to_string())))
                        })
                        .collect(),
                ),
        );
    }
    Ok(topics)
}

#[cfg(test)]
mod tests {
    use kafka_protocol::error::ResponseError;
    use kafka_protocol::messages::GroupId;
    use kafka_protocol::messages::describe_share_group_offsets_request::{
        DescribeShareGroupOffsetsRequestGroup, DescribeShareGroupOffsetsRequestTopic,
    };

    use super::*;
    use crate::share::handlers::testing::{Fixture, assert_encodes};

    #[tokio::test]
    async fn reports_start_offsets_and_missing_state() {
        let f = Fixture::new();
        let id = f.topic("q", 2);
        let loaded = f.share.loaded().await.unwrap();
        loaded.run(|st, _| st.initialize("g", (id, 1), 42));
        let all = DescribeShareGroupOffsetsRequestGroup::default()
            .with_group_id(GroupId(s("g")))
            .with_topics(None);
        let some = DescribeShareGroupOffsetsRequestGroup::default()
            .with_group_id(GroupId(s("g")))
            .with_topics(Some(vec![
                DescribeShareGroupOffsetsRequestTopic::default()
                    .with_topic_name(TopicName(s("q")))
                    .with_partitions(vec![0, 1, 5]),
                DescribeShareGroupOffsetsRequestTopic::default()
                    .with_topic_name(TopicName(s("gone")))
                    .with_partitions(vec![0]),
            ]));
        let none = DescribeShareGroupOffsetsRequestGroup::default().with_group_id(GroupId(s("x")));
        let req = DescribeShareGroupOffsetsRequest::default().with_groups(vec![all, some, none]);
        let resp = handle(&f.share, &req).await;
        assert_encodes(&resp, 0);
        assert_eq!(resp.groups[0].error_code, 0, "{:?}", resp.groups[0]);
        let all = &resp.groups[0].topics[0];
        assert_eq!((all.topic_id, all.topic_name.0.as_str()), (id, "q"));
        assert_eq!(all.partitions.len(), 1);
        assert_eq!(all.partitions[0].start_offset, 42);
        let some = &resp.groups[1].topics;
        let starts: Vec<(i64, i16)> = some[0]
            .partitions
            .iter()
            .map(|p| (p.start_offset, p.error_code))
            .collect();
        let unknown = ResponseError::UnknownTopicOrPartition.code();
        assert_eq!(starts, vec![(-1, 0), (42, 0), (-1, unknown)]);
        assert_eq!(some[1].partitions[0].error_code, unknown);
        assert_eq!(
            resp.groups[2].error_code,
            ResponseError::GroupIdNotFound.code()
        );
    }
}
