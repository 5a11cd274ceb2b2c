//! DeleteGroups (key 42): removes empty groups with their offsets
//! (tombstones in `__consumer_offsets`); groups with members are refused
//! with NON_EMPTY_GROUP.

use kafka_protocol::messages::delete_groups_response::DeletableGroupResult;
use kafka_protocol::messages::{DeleteGroupsRequest, DeleteGroupsResponse};

use crate::groups::GroupCoordinator;
use crate::groups::error::GroupError;

pub(crate) async fn handle(
    groups: &GroupCoordinator,
    req: &DeleteGroupsRequest,
) -> DeleteGroupsResponse {
    let results: Vec<i16> = match groups.loaded().await {
        Err(e) => vec![e.code(); req.groups_names.len()],
        Ok(loaded) => {
            let outcome = loaded
                .run(|g, _| {
                    req.groups_names
                        .iter()
                        .map(|id| g.delete_group(&id.0))
                        .collect::<Vec<Result<(), GroupError>>>()
                })
                .await;
            match outcome {
                Ok(results) => results
                    .into_iter()
                    .map(|r| r.err().map_or(0, |e| e.code()))
                    .collect(),
                Err(e) => vec![e.code(); req.groups_names.len()],
            }
        }
    };
    DeleteGroupsResponse::default().with_results(
        req.groups_names
            .iter()
            .zip(results)
            .map(|(id, code)| {
                DeletableGroupResult::default()
                    .with_group_id(id.clone())
                    .with_error_code(code)
            })
            .collect(),
    )
}

#[cfg(test)]
mod tests {
    use kafka_protocol::error::ResponseError;
    use kafka_protocol::messages::{GroupId, LeaveGroupRequest};

    use super::*;
    use crate::groups::handlers::testing::{Fixture, assert_encodes, stable_member};
    use crate::groups::handlers::{leave_group, s};

    #[tokio::test]
    async fn only_empty_groups_are_deleted() {
        let f = Fixture::new();
        let (member, _) = stable_member(&f, "busy").await;
        let (idle, _) = stable_member(&f, "idle").await;
        let leave = LeaveGroupRequest::default()
            .with_group_id(GroupId(s("idle")))
            .with_member_id(s(idle));
        assert_eq!(
            leave_group::handle(&f.coordinator, &leave, 1)
                .await
                .error_code,
            0
        );
        let req = DeleteGroupsRequest::default().with_groups_names(vec![
            GroupId(s("busy")),
            GroupId(s("idle")),
            GroupId(s("ghost")),
        ]);
        let resp = handle(&f.coordinator, &req).await;
        for version in 0..=2 {
            assert_encodes(&resp, version);
        }
        let codes: Vec<i16> = resp.results.iter().map(|r| r.error_code).collect();
        assert_eq!(
            codes,
            vec![
                ResponseError::NonEmptyGroup.code(),
                0,
                ResponseError::GroupIdNotFound.code()
            ]
        );
        let left = f
            .coordinator
            .loaded()
            .await
            .expect("loaded")
            .read(|g| g.list(&[], &[]));
        assert_eq!(left.len(), 1);
        assert_eq!(left[0].group_id, "busy");
        let _ = member;
    }
}
