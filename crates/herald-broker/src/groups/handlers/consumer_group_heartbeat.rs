//! ConsumerGroupHeartbeat (key 68, KIP-848): join, stay, reconcile and
//! leave a consumer group in one request; the coordinator computes the
//! assignment. v1 requires client-generated member ids and adds regex
//! subscriptions.

use std::net::SocketAddr;

use kafka_protocol::messages::consumer_group_heartbeat_response::{
    Assignment as WireAssignment, TopicPartitions,
};
use kafka_protocol::messages::{
    ConsumerGroupHeartbeatRequest, ConsumerGroupHeartbeatResponse, RequestHeader,
};

use super::{client_id, s};
use crate::groups::error::GroupError;
use crate::groups::state::assignor::Assignment;
use crate::groups::state::consumer::{ConsumerHeartbeat, HeartbeatOk, validate};
use crate::groups::{GroupCoordinator, client_host};

pub(crate) async fn handle(
    groups: &GroupCoordinator,
    header: &RequestHeader,
    peer: SocketAddr,
    req: &ConsumerGroupHeartbeatRequest,
    version: i16,
) -> ConsumerGroupHeartbeatResponse {
    let beat = ConsumerHeartbeat {
        member_id: req.member_id.to_string(),
        member_epoch: req.member_epoch,
        instance_id: req.instance_id.as_ref().map(|v| v.to_string()),
        rack_id: req.rack_id.as_ref().map(|v| v.to_string()),
        rebalance_timeout_ms: req.rebalance_timeout_ms,
        client_id: client_id(header),
        client_host: client_host(peer),
        subscribed_topic_names: req
            .subscribed_topic_names
            .as_ref()
            .map(|names| names.iter().map(|n| n.0.to_string()).collect()),
        subscribed_topic_regex: req.subscribed_topic_regex.as_ref().map(|v| v.to_string()),
        server_assignor: req.server_assignor.as_ref().map(|v| v.to_string()),
        owned: req.topic_partitions.as_ref().map(|tps| {
            let mut owned = Assignment::new();
            for tp in tps {
                owned
                    .entry(tp.topic_id)
                    .or_default()
                    .extend(tp.partitions.iter().copied());
            }
            owned
        }),
    };
    let group_id = req.group_id.0.to_string();
    let result = run(groups, &group_id, beat, version).await;
    match result {
        Ok(ok) => ConsumerGroupHeartbeatResponse::default()
            .with_member_id(Some(s(ok.member_id)))
            .with_member_epoch(ok.member_epoch)
            .with_heartbeat_interval_ms(ok.heartbeat_interval_ms)
            .with_assignment(ok.assignment.map(|a| {
                WireAssignment::default().with_topic_partitions(
                    a.into_iter()
                        .map(|(topic, partitions)| {
                            TopicPartitions::default()
                                .with_topic_id(topic)
                                .with_partitions(partitions.into_iter().collect())
                        })
                        .collect(),
                )
            })),
        Err(e) => ConsumerGroupHeartbeatResponse::default()
            .with_error_code(e.code())
            .with_error_message(Some(s(e.to_string()))),
    }
}

async fn run(
    groups: &GroupCoordinator,
    group_id: &str,
    beat: ConsumerHeartbeat,
    version: i16,
) -> Result<HeartbeatOk, GroupError> {
    if group_id.trim().is_empty() {
        return Err(GroupError::InvalidRequest(
            "GroupId can't be empty.".to_owned(),
        ));
    }
    validate(&beat, version)?;
    let loaded = groups.loaded().await?;
    let topics = groups.topics();
    loaded
        .run(|g, now| g.consumer_heartbeat(group_id, beat, &topics, now))
        .await?
}

#[cfg(test)]
mod tests {
    use kafka_protocol::error::ResponseError;
    use kafka_protocol::messages::consumer_group_heartbeat_request::TopicPartitions as Owned;
    use kafka_protocol::messages::{GroupId, TopicName};

    use super::*;
    use crate::groups::handlers::testing::{Fixture, PEER, assert_encodes, header};

    fn join(member: &str) -> ConsumerGroupHeartbeatRequest {
        ConsumerGroupHeartbeatRequest::default()
            .with_group_id(GroupId(s("g")))
            .with_member_id(s(member))
            .with_member_epoch(0)
            .with_rebalance_timeout_ms(30_000)
            .with_subscribed_topic_names(Some(vec![TopicName(s("orders"))]))
            .with_topic_partitions(Some(Vec::new()))
    }

    #[tokio::test]
    async fn joins_gets_topic_ids_and_acks_at_both_versions() {
        let f = Fixture::new();
        let id = f.topic("orders", 4);
        for version in [0, 1] {
            let member = format!("m{version}");
            let resp = handle(
                &f.coordinator,
                &header(version),
                PEER,
                &join(&member),
                version,
            )
            .await;
            assert_encodes(&resp, version);
            assert_eq!(resp.error_code, 0, "{:?}", resp.error_message);
            assert_eq!(resp.heartbeat_interval_ms, 100);
            assert!(resp.member_epoch > 0);
            let _ = id;
        }
        let resp = handle(
            &f.coordinator,
            &header(1),
            PEER,
            &join("solo").with_group_id(GroupId(s("h"))),
            1,
        )
        .await;
        let assignment = resp.assignment.expect("a join gets its assignment");
        assert_eq!(assignment.topic_partitions[0].topic_id, id);
        assert_eq!(assignment.topic_partitions[0].partitions, vec![0, 1, 2, 3]);
        let ack = ConsumerGroupHeartbeatRequest::default()
            .with_group_id(GroupId(s("h")))
            .with_member_id(s("solo"))
            .with_member_epoch(resp.member_epoch)
            .with_topic_partitions(Some(vec![
                Owned::default()
                    .with_topic_id(id)
                    .with_partitions(vec![0, 1, 2, 3]),
            ]));
        let resp = handle(&f.coordinator, &header(1), PEER, &ack, 1).await;
        assert_eq!(resp.error_code, 0);
        assert!(resp.assignment.is_none(), "unchanged");
    }

    #[tokio::test]
    async fn errors_carry_a_message() {
        let f = Fixture::new();
        let resp = handle(&f.coordinator, &header(1), PEER, &join(""), 1).await;
        assert_encodes(&resp, 1);
        assert_eq!(resp.error_code, ResponseError::InvalidRequest.code());
        assert!(resp.error_message.is_some());
        let stranger = join("x").with_member_epoch(4);
        let resp = handle(&f.coordinator, &header(1), PEER, &stranger, 1).await;
        assert_eq!(resp.error_code, ResponseError::UnknownMemberId.code());
        let regex = join("x")
            .with_subscribed_topic_names(None)
            .with_subscribed_topic_regex(Some(s("(")));
        let resp = handle(&f.coordinator, &header(1), PEER, &regex, 1).await;
        assert_eq!(
            resp.error_code,
            ResponseError::InvalidRegularExpression.code()
        );
    }
}
