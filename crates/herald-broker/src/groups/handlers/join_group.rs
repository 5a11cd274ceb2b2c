//! JoinGroup (key 11): a classic member joins (or rejoins) and waits until
//! the rebalance completes. v4+ dynamic members first get MEMBER_ID_REQUIRED
//! with their id (KIP-394); v5+ static members send `group_instance_id`.

use std::net::SocketAddr;

use kafka_protocol::messages::join_group_response::JoinGroupResponseMember;
use kafka_protocol::messages::{JoinGroupRequest, JoinGroupResponse, RequestHeader};

use super::{client_id, s};
use crate::groups::coordinator::settle;
use crate::groups::error::GroupError;
use crate::groups::state::classic::{JoinRequest, Joined, Protocol};
use crate::groups::{GroupCoordinator, client_host};

pub(crate) async fn handle(
    groups: &GroupCoordinator,
    header: &RequestHeader,
    peer: SocketAddr,
    req: JoinGroupRequest,
    version: i16,
) -> JoinGroupResponse {
    let member_id = req.member_id.to_string();
    let group_id = req.group_id.0.to_string();
    let join = JoinRequest {
        member_id: member_id.clone(),
        instance_id: req.group_instance_id.as_ref().map(|i| i.to_string()),
        client_id: client_id(header),
        client_host: client_host(peer),
        session_timeout_ms: req.session_timeout_ms,
        // v0 has no rebalance timeout: the session timeout serves as one.
        rebalance_timeout_ms: if version == 0 {
            req.session_timeout_ms
        } else {
            req.rebalance_timeout_ms
        },
        protocol_type: req.protocol_type.to_string(),
        protocols: req
            .protocols
            .iter()
            .map(|p| Protocol {
                name: p.name.to_string(),
                metadata: p.metadata.clone(),
            })
            .collect(),
        require_known_member_id: version >= 4 && req.group_instance_id.is_none(),
    };
    let result = match groups.loaded().await {
        Ok(loaded) => match loaded.run(|g, now| g.join(&group_id, join, now)).await {
            Ok(reply) => settle(reply).await,
            Err(e) => Err(e),
        },
        Err(e) => Err(e),
    };
    response(result, &member_id, version)
}

fn response(
    result: Result<Joined, GroupError>,
    member_id: &str,
    version: i16,
) -> JoinGroupResponse {
    match result {
        Ok(j) => JoinGroupResponse::default()
            .with_generation_id(j.generation_id)
            .with_protocol_type(j.protocol_type.map(s))
            .with_protocol_name(Some(s(j.protocol_name.unwrap_or_default())))
            .with_leader(s(j.leader))
            // Only v9 carries it; older leaders reassign, and the stored
            // assignment wins at SyncGroup.
            .with_skip_assignment(j.skip_assignment && version >= 9)
            .with_member_id(s(j.member_id))
            .with_members(
                j.members
                    .into_iter()
                    .map(|m| {
                        JoinGroupResponseMember::default()
                            .with_member_id(s(m.member_id))
                            .with_group_instance_id(m.instance_id.filter(|_| version >= 5).map(s))
                            .with_metadata(m.metadata)
                    })
                    .collect(),
            ),
        Err(e) => {
            let member = match &e {
                GroupError::MemberIdRequired { member_id } => member_id.clone(),
                _ => member_id.to_owned(),
            };
            JoinGroupResponse::default()
                .with_error_code(e.code())
                .with_generation_id(-1)
                // Nullable only from v7 on.
                .with_protocol_name((version < 7).then(|| s("")))
                .with_member_id(s(member))
        }
    }
}

#[cfg(test)]
mod tests {
    use bytes::Bytes;
    use kafka_protocol::error::ResponseError;

    use super::*;
    use crate::groups::handlers::testing::{Fixture, PEER, assert_encodes, header, join_request};

    fn request(member_id: &str) -> JoinGroupRequest {
        join_request("g", member_id)
    }

    async fn join_now(
        groups: &GroupCoordinator,
        req: JoinGroupRequest,
        version: i16,
    ) -> JoinGroupResponse {
        handle(groups, &header(version), PEER, req, version).await
    }

    #[tokio::test]
    async fn every_version_joins_and_v4_needs_a_member_id_first() {
        for version in 0..=9 {
            let f = Fixture::new();
            let mut resp = join_now(&f.coordinator, request(""), version).await;
            assert_encodes(&resp, version);
            if version >= 4 {
                assert_eq!(
                    resp.error_code,
                    ResponseError::MemberIdRequired.code(),
                    "v{version}"
                );
                assert!(!resp.member_id.is_empty());
                resp = join_now(&f.coordinator, request(&resp.member_id), version).await;
                assert_encodes(&resp, version);
            }
            assert_eq!(resp.error_code, 0, "v{version}");
            assert_eq!(resp.generation_id, 1);
            assert_eq!(resp.leader, resp.member_id);
            assert_eq!(resp.protocol_name.as_deref(), Some("range"));
            assert_eq!(resp.members.len(), 1);
            assert_eq!(
                resp.members[0].metadata,
                Bytes::from_static(b"subscription")
            );
        }
    }

    #[tokio::test]
    async fn errors_encode_at_every_version() {
        let f = Fixture::new();
        for version in 0..=9 {
            let resp = join_now(&f.coordinator, request("stranger"), version).await;
            assert_encodes(&resp, version);
            assert_eq!(resp.error_code, ResponseError::UnknownMemberId.code());
            assert_eq!(resp.generation_id, -1);
        }
        let bad = request("").with_session_timeout_ms(1);
        let resp = join_now(&f.coordinator, bad, 5).await;
        assert_eq!(resp.error_code, ResponseError::InvalidSessionTimeout.code());
    }
}
