//! ShareGroupDescribe (key 77): state, epochs, the `simple` assignor and
//! every member with its subscription and assignment (topic ids and names).

use kafka_protocol::messages::share_group_describe_response::{
    Assignment, DescribedGroup, Member, TopicPartitions,
};
use kafka_protocol::messages::{
    GroupId, ShareGroupDescribeRequest, ShareGroupDescribeResponse, TopicName,
};

use super::{GROUP_OPERATIONS, OPERATIONS_NOT_REQUESTED, not_a_consumer_group, s};
use crate::share::ShareCoordinator;
use crate::share::error::ShareError;
use crate::share::state::admin::Described;

pub(crate) async fn handle(
    share: &ShareCoordinator,
    req: &ShareGroupDescribeRequest,
) -> ShareGroupDescribeResponse {
    let mut groups = Vec::with_capacity(req.group_ids.len());
    for id in &req.group_ids {
        let group_id = id.0.to_string();
        let base = DescribedGroup::default().with_group_id(GroupId(s(group_id.clone())));
        let described = describe(share, &group_id).await;
        groups.push(match described {
            Ok(d) => base
                .with_group_state(s(d.state))
                .with_group_epoch(d.group_epoch)
                .with_assignment_epoch(d.assignment_epoch)
                .with_assignor_name(s("simple"))
                .with_members(members(share, d))
                .with_authorized_operations(if req.include_authorized_operations {
                    GROUP_OPERATIONS
                } else {
                    OPERATIONS_NOT_REQUESTED
                }),
            Err(e) => base
                .with_error_code(e.code())
                .with_error_message(Some(s(e.to_string())))
                .with_group_state(s("Dead")),
        });
    }
    ShareGroupDescribeResponse::default().with_groups(groups)
}

async fn describe(share: &ShareCoordinator, group_id: &str) -> Result<Described, ShareError> {
    not_a_consumer_group(share, group_id).await?;
    let loaded = share.loaded().await?;
    loaded.read(|s| s.describe(group_id))
}

fn members(share: &ShareCoordinator, d: Described) -> Vec<Member> {
    let log = share.log();
    d.members
        .into_iter()
        .map(|m| {
            let topics = m
                .assigned
                .iter()
                .map(|(id, partitions)| {
                    let name = log.topic_by_id(*id).map(|t| t.name).unwrap_or_default();
                    TopicPartitions::default()
                        .with_topic_id(*id)
                        .with_topic_name(TopicName(s(name)))
                        .with_partitions(partitions.iter().copied().collect())
                })
                .collect();
            Member::default()
                .with_member_id(s(m.member_id))
                .with_rack_id(m.rack_id.map(s))
                .with_member_epoch(m.epoch)
                .with_client_id(s(m.client_id))
                .with_client_host(s(m.client_host))
                .with_subscribed_topic_names(
                    m.subscribed.into_iter().map(|t| TopicName(s(t))).collect(),
                )
                .with_assignment(Assignment::default().with_topic_partitions(topics))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use kafka_protocol::error::ResponseError;
    use kafka_protocol::messages::{RequestHeader, ShareGroupHeartbeatRequest};

    use super::*;
    use crate::share::handlers::share_group_heartbeat;
    use crate::share::handlers::testing::{Fixture, PEER, assert_encodes};

    #[tokio::test]
    async fn describes_members_and_reports_unknown_groups() {
        let f = Fixture::new();
        let id = f.topic("q", 2);
        let join = ShareGroupHeartbeatRequest::default()
            .with_group_id(GroupId(s("g")))
            .with_member_id(s("m"))
            .with_subscribed_topic_names(Some(vec![TopicName(s("q"))]));
        let header = RequestHeader::default().with_client_id(Some(s("app")));
        let joined = share_group_heartbeat::handle(&f.share, &header, PEER, &join).await;
        assert_eq!(joined.error_code, 0);
        let req = ShareGroupDescribeRequest::default()
            .with_group_ids(vec![GroupId(s("g")), GroupId(s("nope"))])
            .with_include_authorized_operations(true);
        let resp = handle(&f.share, &req).await;
        assert_encodes(&resp, 1);
        let g = &resp.groups[0];
        assert_eq!(g.error_code, 0);
        assert_eq!(g.group_state.as_str(), "Stable");
        assert_eq!(g.assignor_name.as_str(), "simple");
        assert_eq!(g.group_epoch, joined.member_epoch);
        assert_eq!(g.authorized_operations, GROUP_OPERATIONS);
        let m = &g.members[0];
        assert_eq!(m.member_id.as_str(), "m");
        assert_eq!(m.client_id.as_str(), "app");
        assert_eq!(m.client_host.as_str(), "/127.0.0.1");
        let tp = &m.assignment.topic_partitions[0];
        assert_eq!((tp.topic_id, tp.topic_name.0.as_str()), (id, "q"));
        assert_eq!(tp.partitions, vec![0, 1]);
        assert_eq!(
            resp.groups[1].error_code,
            ResponseError::GroupIdNotFound.code()
        );
    }
}
