//! SyncGroup (key 14): the leader hands in every member's assignment; each
//! member (leader included) gets back its own bytes once they are known.

use kafka_protocol::messages::{SyncGroupRequest, SyncGroupResponse};

use super::s;
use crate::groups::GroupCoordinator;
use crate::groups::coordinator::settle;
use crate::groups::state::classic::SyncRequest;

pub(crate) async fn handle(
    groups: &GroupCoordinator,
    req: SyncGroupRequest,
    version: i16,
) -> SyncGroupResponse {
    let group_id = req.group_id.0.to_string();
    let sync = SyncRequest {
        member_id: req.member_id.to_string(),
        instance_id: req.group_instance_id.as_ref().map(|i| i.to_string()),
        generation_id: req.generation_id,
        protocol_type: req.protocol_type.as_ref().map(|p| p.to_string()),
        protocol_name: req.protocol_name.as_ref().map(|p| p.to_string()),
        assignments: req
            .assignments
            .iter()
            .map(|a| (a.member_id.to_string(), a.assignment.clone()))
            .collect(),
    };
    let result = match groups.loaded().await {
        Ok(loaded) => match loaded.run(|g, now| g.sync(&group_id, sync, now)).await {
            Ok(reply) => settle(reply).await,
            Err(e) => Err(e),
        },
        Err(e) => Err(e),
    };
    match result {
        Ok(synced) => {
            let response = SyncGroupResponse::default().with_assignment(synced.assignment);
            if version >= 5 {
                response
                    .with_protocol_type(synced.protocol_type.map(s))
                    .with_protocol_name(synced.protocol_name.map(s))
            } else {
                response
            }
        }
        Err(e) => SyncGroupResponse::default().with_error_code(e.code()),
    }
}

#[cfg(test)]
mod tests {
    use bytes::Bytes;
    use kafka_protocol::error::ResponseError;
    use kafka_protocol::messages::GroupId;

    use super::*;
    use crate::groups::handlers::testing::{Fixture, assert_encodes, stable_member};

    #[tokio::test]
    async fn a_stable_member_gets_its_assignment_at_every_version() {
        let f = Fixture::new();
        let (member, generation) = stable_member(&f, "g").await;
        for version in 0..=5 {
            let req = SyncGroupRequest::default()
                .with_group_id(GroupId(s("g")))
                .with_generation_id(generation)
                .with_member_id(s(member.clone()));
            let resp = handle(&f.coordinator, req, version).await;
            assert_encodes(&resp, version);
            assert_eq!(resp.error_code, 0);
            assert_eq!(resp.assignment, Bytes::from_static(b"A"));
            if version >= 5 {
                assert_eq!(resp.protocol_name.as_deref(), Some("range"));
                assert_eq!(resp.protocol_type.as_deref(), Some("consumer"));
            }
        }
    }

    #[tokio::test]
    async fn wrong_generation_and_unknown_group_are_refused() {
        let f = Fixture::new();
        let (member, generation) = stable_member(&f, "g").await;
        let req = SyncGroupRequest::default()
            .with_group_id(GroupId(s("g")))
            .with_generation_id(generation + 1)
            .with_member_id(s(member.clone()));
        let resp = handle(&f.coordinator, req, 3).await;
        assert_encodes(&resp, 3);
        assert_eq!(resp.error_code, ResponseError::IllegalGeneration.code());
        let req = SyncGroupRequest::default()
            .with_group_id(GroupId(s("other")))
            .with_member_id(s(member));
        let resp = handle(&f.coordinator, req, 5).await;
        assert_encodes(&resp, 5);
        assert_eq!(resp.error_code, ResponseError::UnknownMemberId.code());
    }
}
