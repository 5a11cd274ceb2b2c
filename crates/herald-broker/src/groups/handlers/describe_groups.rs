//! DescribeGroups (key 15): state, protocol and members of classic groups.
//! A group that does not exist, or is a KIP-848 consumer group (described
//! by ConsumerGroupDescribe), is reported Dead; from v6 on with
//! GROUP_ID_NOT_FOUND and a message, as Kafka 4 does.

use kafka_protocol::messages::describe_groups_response::{DescribedGroup, DescribedGroupMember};
use kafka_protocol::messages::{DescribeGroupsRequest, DescribeGroupsResponse, GroupId};

use super::{GROUP_OPERATIONS, OPERATIONS_NOT_REQUESTED, s};
use crate::groups::GroupCoordinator;
use crate::groups::error::GroupError;
use crate::groups::state::classic::ClassicState;
use crate::groups::state::registry::{GroupKind, Groups};

pub(crate) async fn handle(
    groups: &GroupCoordinator,
    req: &DescribeGroupsRequest,
    version: i16,
) -> DescribeGroupsResponse {
    let loaded = match groups.loaded().await {
        Ok(l) => l,
        Err(e) => {
            return DescribeGroupsResponse::default().with_groups(
                req.groups
                    .iter()
                    .map(|g| {
                        DescribedGroup::default()
                            .with_group_id(g.clone())
                            .with_error_code(e.code())
                    })
                    .collect(),
            );
        }
    };
    let operations = if version >= 3 && req.include_authorized_operations {
        GROUP_OPERATIONS
    } else {
        OPERATIONS_NOT_REQUESTED
    };
    let described = loaded.read(|g| {
        req.groups
            .iter()
            .map(|id| describe(g, id, version).with_authorized_operations(operations))
            .collect()
    });
    DescribeGroupsResponse::default().with_groups(described)
}

fn describe(groups: &Groups, id: &GroupId, version: i16) -> DescribedGroup {
    let group_id = id.0.to_string();
    let described = DescribedGroup::default().with_group_id(id.clone());
    let classic = match groups.get(&group_id).map(|g| &g.kind) {
        Some(GroupKind::Classic(c)) => c,
        other => {
            let reason = if other.is_some() {
                "is not a classic group"
            } else {
                "does not exist"
            };
            let dead = described.with_group_state(s("Dead"));
            if version >= 6 {
                let e = GroupError::not_found(&group_id, reason);
                return dead
                    .with_error_code(e.code())
                    .with_error_message(Some(s(e.to_string())));
            }
            return dead;
        }
    };
    let stable = classic.state() == ClassicState::Stable;
    let protocol = classic.protocol().unwrap_or_default();
    let members = classic
        .members()
        .map(|m| {
            let member = DescribedGroupMember::default()
                .with_member_id(s(m.member_id.clone()))
                .with_group_instance_id(m.instance_id.clone().filter(|_| version >= 4).map(s))
                .with_client_id(s(m.client_id.clone()))
                .with_client_host(s(m.client_host.clone()));
            if stable {
                let metadata = m
                    .protocols
                    .iter()
                    .find(|p| p.name == protocol)
                    .map(|p| p.metadata.clone())
                    .unwrap_or_default();
                member
                    .with_member_metadata(metadata)
                    .with_member_assignment(m.assignment.clone())
            } else {
                member
            }
        })
        .collect();
    described
        .with_group_state(s(classic.state().name()))
        .with_protocol_type(s(classic.protocol_type().unwrap_or_default()))
        .with_protocol_data(s(if stable { protocol } else { "" }))
        .with_members(members)
}

#[cfg(test)]
mod tests {
    use bytes::Bytes;
    use kafka_protocol::error::ResponseError;

    use super::*;
    use crate::groups::handlers::testing::{Fixture, assert_encodes, stable_member};

    #[tokio::test]
    async fn describes_stable_groups_and_reports_unknown_ones() {
        let f = Fixture::new();
        let (member, _) = stable_member(&f, "g").await;
        for version in 0..=6 {
            let req = DescribeGroupsRequest::default()
                .with_groups(vec![GroupId(s("g")), GroupId(s("nope"))])
                .with_include_authorized_operations(version >= 3);
            let resp = handle(&f.coordinator, &req, version).await;
            assert_encodes(&resp, version);
            let g = &resp.groups[0];
            assert_eq!(g.error_code, 0);
            assert_eq!(g.group_state.as_str(), "Stable");
            assert_eq!(g.protocol_type.as_str(), "consumer");
            assert_eq!(g.protocol_data.as_str(), "range");
            assert_eq!(g.members[0].member_id.as_str(), member);
            assert_eq!(g.members[0].client_id.as_str(), "test-client");
            assert_eq!(g.members[0].client_host.as_str(), "/127.0.0.1");
            assert_eq!(g.members[0].member_assignment, Bytes::from_static(b"A"));
            assert_eq!(
                g.members[0].member_metadata,
                Bytes::from_static(b"subscription")
            );
            let missing = &resp.groups[1];
            assert_eq!(missing.group_state.as_str(), "Dead");
            let expected = if version >= 6 {
                ResponseError::GroupIdNotFound.code()
            } else {
                0
            };
            assert_eq!(missing.error_code, expected);
        }
    }
}
