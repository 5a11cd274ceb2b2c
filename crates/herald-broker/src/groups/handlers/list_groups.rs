//! ListGroups (key 16): every group, optionally filtered by state (v4+)
//! and type (v5+: "classic" or "consumer").

use kafka_protocol::messages::list_groups_response::ListedGroup;
use kafka_protocol::messages::{GroupId, ListGroupsRequest, ListGroupsResponse};

use super::s;
use crate::groups::GroupCoordinator;

pub(crate) async fn handle(
    groups: &GroupCoordinator,
    req: &ListGroupsRequest,
    version: i16,
) -> ListGroupsResponse {
    let loaded = match groups.loaded().await {
        Ok(l) => l,
        Err(e) => return ListGroupsResponse::default().with_error_code(e.code()),
    };
    let states: Vec<String> = if version >= 4 {
        req.states_filter.iter().map(|s| s.to_string()).collect()
    } else {
        Vec::new()
    };
    let types: Vec<String> = if version >= 5 {
        req.types_filter.iter().map(|s| s.to_string()).collect()
    } else {
        Vec::new()
    };
    let listed = loaded.read(|g| g.list(&states, &types));
    ListGroupsResponse::default().with_groups(
        listed
            .into_iter()
            .map(|l| {
                let group = ListedGroup::default()
                    .with_group_id(GroupId(s(l.group_id)))
                    .with_protocol_type(s(l.protocol_type));
                match version {
                    0..=3 => group,
                    4 => group.with_group_state(s(l.state)),
                    _ => group
                        .with_group_state(s(l.state))
                        .with_group_type(s(l.group_type)),
                }
            })
            .collect(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::groups::handlers::testing::{Fixture, assert_encodes, stable_member};

    #[tokio::test]
    async fn lists_with_filters_at_every_version() {
        let f = Fixture::new();
        stable_member(&f, "a").await;
        stable_member(&f, "b").await;
        for version in 0..=5 {
            let resp = handle(&f.coordinator, &ListGroupsRequest::default(), version).await;
            assert_encodes(&resp, version);
            let ids: Vec<&str> = resp.groups.iter().map(|g| g.group_id.0.as_str()).collect();
            assert_eq!(ids, vec!["a", "b"]);
            assert_eq!(resp.groups[0].protocol_type.as_str(), "consumer");
        }
        let req = ListGroupsRequest::default().with_states_filter(vec![s("Empty")]);
        assert!(handle(&f.coordinator, &req, 4).await.groups.is_empty());
        let req = ListGroupsRequest::default().with_types_filter(vec![s("classic")]);
        let resp = handle(&f.coordinator, &req, 5).await;
        assert_eq!(resp.groups.len(), 2);
        assert_eq!(resp.groups[0].group_state.as_str(), "Stable");
        assert_eq!(resp.groups[0].group_type.as_str(), "classic");
    }
}
