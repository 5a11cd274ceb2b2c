//! Heartbeat (key 12): keeps a classic member's session alive and tells it
//! when to rejoin (REBALANCE_IN_PROGRESS).

use kafka_protocol::messages::{HeartbeatRequest, HeartbeatResponse};

use crate::groups::GroupCoordinator;

pub(crate) async fn handle(groups: &GroupCoordinator, req: &HeartbeatRequest) -> HeartbeatResponse {
    let group_id = req.group_id.0.to_string();
    let member_id = req.member_id.to_string();
    let instance_id = req.group_instance_id.as_ref().map(|i| i.to_string());
    let result = match groups.loaded().await {
        Ok(loaded) => loaded
            .run(|g, now| {
                g.heartbeat(
                    &group_id,
                    &member_id,
                    instance_id.as_deref(),
                    req.generation_id,
                    now,
                )
            })
            .await
            .and_then(|r| r),
        Err(e) => Err(e),
    };
    HeartbeatResponse::default().with_error_code(result.err().map_or(0, |e| e.code()))
}

#[cfg(test)]
mod tests {
    use kafka_protocol::error::ResponseError;
    use kafka_protocol::messages::GroupId;

    use super::*;
    use crate::groups::handlers::s;
    use crate::groups::handlers::testing::{Fixture, assert_encodes, stable_member};

    #[tokio::test]
    async fn members_heartbeat_and_strangers_are_told_so() {
        let f = Fixture::new();
        let (member, generation) = stable_member(&f, "g").await;
        let ok = HeartbeatRequest::default()
            .with_group_id(GroupId(s("g")))
            .with_generation_id(generation)
            .with_member_id(s(member.clone()));
        let resp = handle(&f.coordinator, &ok).await;
        for version in 0..=4 {
            assert_encodes(&resp, version);
        }
        assert_eq!(resp.error_code, 0);
        let stale = ok.clone().with_generation_id(generation - 1);
        assert_eq!(
            handle(&f.coordinator, &stale).await.error_code,
            ResponseError::IllegalGeneration.code()
        );
        let stranger = ok.with_member_id(s("nobody"));
        assert_eq!(
            handle(&f.coordinator, &stranger).await.error_code,
            ResponseError::UnknownMemberId.code()
        );
    }
}
