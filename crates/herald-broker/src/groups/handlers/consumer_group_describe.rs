//! ConsumerGroupDescribe (key 69, KIP-848): epochs, assignor and members
//! (with current and target assignments) of consumer groups.

use kafka_protocol::messages::consumer_group_describe_response::{
    Assignment as WireAssignment, DescribedGroup, Member, TopicPartitions,
};
use kafka_protocol::messages::{
    ConsumerGroupDescribeRequest, ConsumerGroupDescribeResponse, GroupId, TopicName,
};

use super::{GROUP_OPERATIONS, OPERATIONS_NOT_REQUESTED, s};
use crate::groups::GroupCoordinator;
use crate::groups::error::GroupError;
use crate::groups::state::assignor::Assignment;
use crate::groups::state::registry::{GroupKind, Groups};
use crate::groups::state::topics::TopicsView;

/// ConsumerGroupDescribe's member type of a KIP-848 member.
const CONSUMER_MEMBER: i8 = 1;

pub(crate) async fn handle(
    groups: &GroupCoordinator,
    req: &ConsumerGroupDescribeRequest,
    version: i16,
) -> ConsumerGroupDescribeResponse {
    let loaded = match groups.loaded().await {
        Ok(l) => l,
        Err(e) => {
            return ConsumerGroupDescribeResponse::default().with_groups(
                req.group_ids
                    .iter()
                    .map(|id| {
                        DescribedGroup::default()
                            .with_group_id(id.clone())
                            .with_error_code(e.code())
                            .with_error_message(Some(s(e.to_string())))
                    })
                    .collect(),
            );
        }
    };
    let topics = groups.topics();
    let operations = if req.include_authorized_operations {
        GROUP_OPERATIONS
    } else {
        OPERATIONS_NOT_REQUESTED
    };
    let described = loaded.read(|g| {
        req.group_ids
            .iter()
            .map(|id| describe(g, id, &topics, version).with_authorized_operations(operations))
            .collect()
    });
    ConsumerGroupDescribeResponse::default().with_groups(described)
}

fn wire(a: &Assignment, topics: &TopicsView) -> WireAssignment {
    WireAssignment::default().with_topic_partitions(
        a.iter()
            .map(|(id, partitions)| {
                TopicPartitions::default()
                    .with_topic_id(*id)
                    .with_topic_name(TopicName(s(topics.name(id).unwrap_or_default())))
                    .with_partitions(partitions.iter().copied().collect())
            })
            .collect(),
    )
}

fn describe(groups: &Groups, id: &GroupId, topics: &TopicsView, version: i16) -> DescribedGroup {
    let group_id = id.0.to_string();
    let described = DescribedGroup::default().with_group_id(id.clone());
    let consumer = match groups.get(&group_id).map(|g| &g.kind) {
        Some(GroupKind::Consumer(c)) => c,
        other => {
            let e = GroupError::not_found(
                &group_id,
                if other.is_some() {
                    "is not a consumer group"
                } else {
                    "does not exist"
                },
            );
            return described
                .with_error_code(e.code())
                .with_error_message(Some(s(e.to_string())));
        }
    };
    let empty = Assignment::new();
    let members = consumer
        .members()
        .map(|m| {
            let member = Member::default()
                .with_member_id(s(m.member_id.clone()))
                .with_instance_id(m.instance_id.clone().map(s))
                .with_rack_id(m.rack_id.clone().map(s))
                .with_member_epoch(m.epoch)
                .with_client_id(s(m.client_id.clone()))
                .with_client_host(s(m.client_host.clone()))
                .with_subscribed_topic_names(
                    m.subscribed_topic_names
                        .iter()
                        .map(|n| TopicName(s(n.clone())))
                        .collect(),
                )
                .with_subscribed_topic_regex(m.subscribed_topic_regex.clone().map(s))
                .with_assignment(wire(&m.assigned, topics))
                .with_target_assignment(wire(
                    consumer.target_of(&m.member_id).unwrap_or(&empty),
                    topics,
                ));
            if version >= 1 {
                member.with_member_type(CONSUMER_MEMBER)
            } else {
                member
            }
        })
        .collect();
    described
        .with_group_state(s(consumer.state_name()))
        .with_group_epoch(consumer.group_epoch())
        .with_assignment_epoch(consumer.assignment_epoch())
        .with_assignor_name(s(consumer.assignor().name()))
        .with_members(members)
}

#[cfg(test)]
mod tests {
    use kafka_protocol::error::ResponseError;
    use kafka_protocol::messages::ConsumerGroupHeartbeatRequest;

    use super::*;
    use crate::groups::handlers::consumer_group_heartbeat;
    use crate::groups::handlers::testing::{Fixture, PEER, assert_encodes, header, stable_member};

    #[tokio::test]
    async fn describes_members_with_topic_names() {
        let f = Fixture::new();
        f.topic("orders", 2);
        let join = ConsumerGroupHeartbeatRequest::default()
            .with_group_id(GroupId(s("g")))
            .with_member_id(s("m1"))
            .with_rebalance_timeout_ms(5_000)
            .with_server_assignor(Some(s("range")))
            .with_subscribed_topic_names(Some(vec![TopicName(s("orders"))]))
            .with_topic_partitions(Some(Vec::new()));
        let joined =
            consumer_group_heartbeat::handle(&f.coordinator, &header(1), PEER, &join, 1).await;
        assert_eq!(joined.error_code, 0);
        stable_member(&f, "classic").await;
        for version in [0, 1] {
            let req = ConsumerGroupDescribeRequest::default()
                .with_group_ids(vec![
                    GroupId(s("g")),
                    GroupId(s("classic")),
                    GroupId(s("none")),
                ])
                .with_include_authorized_operations(true);
            let resp = handle(&f.coordinator, &req, version).await;
            assert_encodes(&resp, version);
            let g = &resp.groups[0];
            assert_eq!(g.error_code, 0);
            assert_eq!(g.group_state.as_str(), "Stable");
            assert_eq!((g.group_epoch, g.assignment_epoch), (1, 1));
            assert_eq!(g.assignor_name.as_str(), "range");
            assert_eq!(g.authorized_operations, GROUP_OPERATIONS);
            let m = &g.members[0];
            assert_eq!(m.member_id.as_str(), "m1");
            assert_eq!(m.client_id.as_str(), "test-client");
            assert_eq!(m.client_host.as_str(), "/127.0.0.1");
            assert_eq!(
                m.assignment.topic_partitions[0].topic_name.0.as_str(),
                "orders"
            );
            assert_eq!(
                m.target_assignment.topic_partitions[0].partitions,
                vec![0, 1]
            );
            assert_eq!(
                resp.groups[1].error_code,
                ResponseError::GroupIdNotFound.code()
            );
            assert_eq!(
                resp.groups[2].error_code,
                ResponseError::GroupIdNotFound.code()
            );
        }
    }
}
