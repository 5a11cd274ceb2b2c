//! LeaveGroup (key 13): members leave at once instead of timing out. v0–v2
//! name one member; v3+ a batch, by member id or static instance id.

use kafka_protocol::messages::leave_group_response::MemberResponse;
use kafka_protocol::messages::{LeaveGroupRequest, LeaveGroupResponse};

use crate::groups::GroupCoordinator;
use crate::groups::error::GroupError;

pub(crate) async fn handle(
    groups: &GroupCoordinator,
    req: &LeaveGroupRequest,
    version: i16,
) -> LeaveGroupResponse {
    let group_id = req.group_id.0.to_string();
    let leaving: Vec<(String, Option<String>)> = if version >= 3 {
        req.members
            .iter()
            .map(|m| {
                (
                    m.member_id.to_string(),
                    m.group_instance_id.as_ref().map(|i| i.to_string()),
                )
            })
            .collect()
    } else {
        vec![(req.member_id.to_string(), None)]
    };
    let loaded = match groups.loaded().await {
        Ok(l) => l,
        Err(e) => return LeaveGroupResponse::default().with_error_code(e.code()),
    };
    let outcome = loaded
        .run(|g, now| {
            if g.get(&group_id).is_none() {
                return Err(GroupError::unknown_member(&group_id, ""));
            }
            Ok(leaving
                .iter()
                .map(|(member, instance)| g.leave(&group_id, member, instance.as_deref(), now))
                .collect::<Vec<_>>())
        })
        .await
        .and_then(|r| r);
    let results = match outcome {
        Ok(r) => r,
        Err(e) => return LeaveGroupResponse::default().with_error_code(e.code()),
    };
    if version < 3 {
        let code = results
            .first()
            .and_then(|r| r.as_ref().err())
            .map_or(0, GroupError::code);
        return LeaveGroupResponse::default().with_error_code(code);
    }
    LeaveGroupResponse::default().with_members(
        leaving
            .into_iter()
            .zip(results)
            .map(|((member, instance), result)| {
                MemberResponse::default()
                    .with_member_id(super::s(member))
                    .with_group_instance_id(instance.map(super::s))
                    .with_error_code(result.err().map_or(0, |e| e.code()))
            })
            .collect(),
    )
}

#[cfg(test)]
mod tests {
    use kafka_protocol::error::ResponseError;
    use kafka_protocol::messages::GroupId;
    use kafka_protocol::messages::leave_group_request::MemberIdentity;

    use super::*;
    use crate::groups::handlers::s;
    use crate::groups::handlers::testing::{Fixture, assert_encodes, stable_member};

    #[tokio::test]
    async fn single_member_leave_v0_to_v2() {
        let f = Fixture::new();
        let (member, _) = stable_member(&f, "g").await;
        let req = LeaveGroupRequest::default()
            .with_group_id(GroupId(s("g")))
            .with_member_id(s(member));
        let resp = handle(&f.coordinator, &req, 1).await;
        assert_encodes(&resp, 1);
        assert_eq!(resp.error_code, 0);
        let again = handle(&f.coordinator, &req, 2).await;
        assert_eq!(again.error_code, ResponseError::UnknownMemberId.code());
        let group = f
            .coordinator
            .loaded()
            .await
            .expect("loaded")
            .read(|g| g.list(&[], &[]));
        assert_eq!(group[0].state, "Empty");
    }

    #[tokio::test]
    async fn batched_leave_reports_each_member() {
        let f = Fixture::new();
        let (member, _) = stable_member(&f, "g").await;
        let req = LeaveGroupRequest::default()
            .with_group_id(GroupId(s("g")))
            .with_members(vec![
                MemberIdentity::default().with_member_id(s(member)),
                MemberIdentity::default().with_member_id(s("ghost")),
            ]);
        for version in [3, 5] {
            let resp = handle(&f.coordinator, &req, version).await;
            assert_encodes(&resp, version);
        }
        let f = Fixture::new();
        let (member, _) = stable_member(&f, "g").await;
        let req = req.with_members(vec![
            MemberIdentity::default().with_member_id(s(member)),
            MemberIdentity::default().with_member_id(s("ghost")),
        ]);
        let resp = handle(&f.coordinator, &req, 4).await;
        assert_eq!(resp.error_code, 0);
        let codes: Vec<i16> = resp.members.iter().map(|m| m.error_code).collect();
        assert_eq!(codes, vec![0, ResponseError::UnknownMemberId.code()]);
        let missing = LeaveGroupRequest::default().with_group_id(GroupId(s("none")));
        let resp = handle(&f.coordinator, &missing, 4).await;
        assert_eq!(resp.error_code, ResponseError::UnknownMemberId.code());
    }
}
