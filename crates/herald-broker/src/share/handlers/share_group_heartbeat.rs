//! ShareGroupHeartbeat (key 76): join, stay in and leave a share group; the
//! coordinator assigns partitions (several members may share one) and
//! initialises the share-partitions it assigns from the group's
//! `share.auto.offset.reset`, so records produced after the assignment are
//! delivered even if the first fetch comes later.

use std::net::SocketAddr;

use kafka_protocol::messages::share_group_heartbeat_response::{Assignment, TopicPartitions};
use kafka_protocol::messages::{
    RequestHeader, ShareGroupHeartbeatRequest, ShareGroupHeartbeatResponse,
};

use super::{ids, not_a_consumer_group, s};
use crate::groups::client_host;
use crate::share::ShareCoordinator;
use crate::share::error::ShareError;
use crate::share::fetch::ensure_initialized;
use crate::share::state::group::{Heartbeat, HeartbeatOk, Topics};

pub(crate) async fn handle(
    share: &ShareCoordinator,
    header: &RequestHeader,
    peer: SocketAddr,
    req: &ShareGroupHeartbeatRequest,
) -> ShareGroupHeartbeatResponse {
    match run(share, header, peer, req).await {
        Ok(ok) => ShareGroupHeartbeatResponse::default()
            .with_member_id(Some(s(ok.member_id)))
            .with_member_epoch(ok.member_epoch)
            .with_heartbeat_interval_ms(ok.heartbeat_interval_ms)
            .with_assignment(ok.assignment.map(|a| {
                Assignment::default().with_topic_partitions(
                    a.into_iter()
                        .map(|(topic, partitions)| {
                            TopicPartitions::default()
                                .with_topic_id(topic)
                                .with_partitions(partitions.into_iter().collect())
                        })
                        .collect(),
                )
            })),
        Err(e) => ShareGroupHeartbeatResponse::default()
            .with_error_code(e.code())
            .with_error_message(Some(s(e.to_string()))),
    }
}

async fn run(
    share: &ShareCoordinator,
    header: &RequestHeader,
    peer: SocketAddr,
    req: &ShareGroupHeartbeatRequest,
) -> Result<HeartbeatOk, ShareError> {
    let (group, member) = ids(Some(req.group_id.0.as_str()), Some(req.member_id.as_str()))?;
    if req.member_epoch == 0 {
        not_a_consumer_group(share, &group).await?;
    }
    let loaded = share.loaded().await?;
    let log = share.log();
    let topics = Topics::new(
        log.topics()
            .into_iter()
            .map(|t| (t.name, t.id, t.partitions)),
    );
    let beat = Heartbeat {
        member_id: member,
        member_epoch: req.member_epoch,
        rack_id: req.rack_id.as_ref().map(|r| r.to_string()),
        subscribed_topic_names: req
            .subscribed_topic_names
            .as_ref()
            .map(|names| names.iter().map(|n| n.0.to_string()).collect()),
        client_id: header
            .client_id
            .as_ref()
            .map(|c| c.to_string())
            .unwrap_or_default(),
        client_host: client_host(peer),
    };
    let (result, mut seq) = loaded.run(|s, now| s.heartbeat(&group, beat, &topics, now));
    let (ok, to_init) = result?;
    for (topic, index) in to_init {
        let Some(info) = log.topic_by_id(topic) else {
            continue;
        };
        let Ok(partition) = log.partition(&info.name, index) else {
            continue;
        };
        ensure_initialized(loaded, &group, topic, index, &partition).await?;
        seq = seq.max(loaded.run(|_, _| ()).1);
    }
    loaded.durable(seq).await?;
    Ok(ok)
}

#[cfg(test)]
mod tests {
    use kafka_protocol::error::ResponseError;
    use kafka_protocol::messages::{GroupId, TopicName};

    use super::*;
    use crate::share::handlers::testing::{Fixture, PEER, assert_encodes};

    fn join(member: &str, topic: &str) -> ShareGroupHeartbeatRequest {
        ShareGroupHeartbeatRequest::default()
            .with_group_id(GroupId(s("g")))
            .with_member_id(s(member))
            .with_member_epoch(0)
            .with_subscribed_topic_names(Some(vec![TopicName(s(topic))]))
    }

    #[tokio::test]
    async fn joins_gets_the_partitions_and_initialises_them_at_latest() {
        let f = Fixture::new();
        let id = f.topic("q", 2);
        f.produce("q", 0, 3);
        let resp = handle(&f.share, &RequestHeader::default(), PEER, &join("m1", "q")).await;
        assert_encodes(&resp, 1);
        assert_eq!(resp.error_code, 0, "{:?}", resp.error_message);
        assert!(resp.member_epoch > 0);
        assert_eq!(resp.heartbeat_interval_ms, 5_000);
        let a = resp.assignment.expect("assignment on join");
        assert_eq!(a.topic_partitions[0].topic_id, id);
        assert_eq!(a.topic_partitions[0].partitions, vec![0, 1]);
        let loaded = f.share.loaded().await.unwrap();
        let starts = loaded.read(|s| s.start_offsets("g", None).unwrap());
        assert_eq!(starts[&id], vec![(0, Some(3)), (1, Some(0))], "latest");
        // A second member shares partitions; the first catches up later.
        let resp2 = handle(&f.share, &RequestHeader::default(), PEER, &join("m2", "q")).await;
        assert!(resp2.member_epoch > resp.member_epoch);
        let beat = ShareGroupHeartbeatRequest::default()
            .with_group_id(GroupId(s("g")))
            .with_member_id(s("m1"))
            .with_member_epoch(resp.member_epoch);
        let resp3 = handle(&f.share, &RequestHeader::default(), PEER, &beat).await;
        assert_eq!(resp3.member_epoch, resp2.member_epoch);
        assert_eq!(
            resp3.assignment.expect("new assignment").topic_partitions[0]
                .partitions
                .len(),
            1
        );
    }

    #[tokio::test]
    async fn refusals_carry_kafkas_codes() {
        let f = Fixture::new();
        f.topic("q", 1);
        let empty = join("", "q");
        let resp = handle(&f.share, &RequestHeader::default(), PEER, &empty).await;
        assert_encodes(&resp, 1);
        assert_eq!(resp.error_code, ResponseError::InvalidRequest.code());
        assert!(resp.error_message.is_some());
        let stranger = join("x", "q").with_member_epoch(7);
        let resp = handle(&f.share, &RequestHeader::default(), PEER, &stranger).await;
        assert_eq!(resp.error_code, ResponseError::UnknownMemberId.code());
        let ok = handle(&f.share, &RequestHeader::default(), PEER, &join("a", "q")).await;
        let fenced = join("a", "q").with_member_epoch(ok.member_epoch + 3);
        let resp = handle(&f.share, &RequestHeader::default(), PEER, &fenced).await;
        assert_eq!(resp.error_code, ResponseError::FencedMemberEpoch.code());
    }
}
