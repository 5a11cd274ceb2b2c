//! FindCoordinator (key 10): this node coordinates every group (and, being
//! the only node, answers for transactional ids and share groups too).
//! v4+ batches several keys in one request.

use kafka_protocol::error::ResponseError;
use kafka_protocol::messages::find_coordinator_response::Coordinator;
use kafka_protocol::messages::{BrokerId, FindCoordinatorRequest, FindCoordinatorResponse};
use kafka_protocol::protocol::StrBytes;

use super::s;
use crate::groups::GroupCoordinator;

/// Key types: 0 group, 1 transactional id, 2 share group.
const KEY_TYPES: std::ops::RangeInclusive<i8> = 0..=2;

/// Where clients reach this node.
#[derive(Debug, Clone)]
pub(crate) struct Node {
    pub id: i32,
    pub host: String,
    pub port: i32,
}

struct Answer {
    key: StrBytes,
    error: Option<(i16, String)>,
}

pub(crate) async fn handle(
    groups: &GroupCoordinator,
    node: &Node,
    req: &FindCoordinatorRequest,
    version: i16,
) -> FindCoordinatorResponse {
    let keys: Vec<StrBytes> = if version >= 4 {
        req.coordinator_keys.clone()
    } else {
        vec![req.key.clone()]
    };
    // The group coordinator is ready once __consumer_offsets is loaded.
    let ready = if req.key_type == 0 {
        groups
            .loaded()
            .await
            .map(|_| ())
            .map_err(|e| (e.code(), e.to_string()))
    } else {
        Ok(())
    };
    let answers: Vec<Answer> = keys
        .into_iter()
        .map(|key| {
            let error = if !KEY_TYPES.contains(&req.key_type) {
                Some((
                    ResponseError::InvalidRequest.code(),
                    format!("unknown coordinator key type {}", req.key_type),
                ))
            } else {
                ready.clone().err()
            };
            Answer { key, error }
        })
        .collect();
    let response = FindCoordinatorResponse::default();
    if version >= 4 {
        return response.with_coordinators(
            answers
                .into_iter()
                .map(|a| {
                    let c = Coordinator::default().with_key(a.key);
                    match a.error {
                        None => c
                            .with_node_id(BrokerId(node.id))
                            .with_host(s(node.host.clone()))
                            .with_port(node.port),
                        Some((code, message)) => c
                            .with_node_id(BrokerId(-1))
                            .with_host(s(""))
                            .with_port(-1)
                            .with_error_code(code)
                            .with_error_message(Some(s(message))),
                    }
                })
                .collect(),
        );
    }
    match answers.into_iter().next().and_then(|a| a.error) {
        None => response
            .with_node_id(BrokerId(node.id))
            .with_host(s(node.host.clone()))
            .with_port(node.port),
        Some((code, message)) => response
            .with_error_code(code)
            .with_error_message((version >= 1).then(|| s(message)))
            .with_node_id(BrokerId(-1))
            .with_port(-1),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::groups::handlers::testing::{Fixture, assert_encodes};

    fn node() -> Node {
        Node {
            id: 7,
            host: "127.0.0.1".into(),
            port: 9092,
        }
    }

    #[tokio::test]
    async fn answers_this_node_at_every_version_and_creates_the_offsets_topic() {
        let f = Fixture::new();
        for version in 0..=6 {
            let req = if version >= 4 {
                FindCoordinatorRequest::default().with_coordinator_keys(vec![s("a"), s("b")])
            } else {
                FindCoordinatorRequest::default().with_key(s("a"))
            };
            let resp = handle(&f.coordinator, &node(), &req, version).await;
            assert_encodes(&resp, version);
            if version >= 4 {
                assert_eq!(resp.coordinators.len(), 2);
                for c in &resp.coordinators {
                    assert_eq!((c.error_code, c.node_id.0, c.port), (0, 7, 9092));
                }
                assert_eq!(resp.coordinators[1].key.as_str(), "b");
            } else {
                assert_eq!((resp.error_code, resp.node_id.0, resp.port), (0, 7, 9092));
                assert_eq!(resp.host.as_str(), "127.0.0.1");
            }
        }
        assert!(f.log.topic("__consumer_offsets").is_some());
    }

    #[tokio::test]
    async fn unknown_key_types_are_invalid() {
        let f = Fixture::new();
        let req = FindCoordinatorRequest::default()
            .with_key(s("a"))
            .with_key_type(9);
        let resp = handle(&f.coordinator, &node(), &req, 3).await;
        assert_encodes(&resp, 3);
        assert_eq!(resp.error_code, ResponseError::InvalidRequest.code());
        let req = FindCoordinatorRequest::default()
            .with_coordinator_keys(vec![s("a")])
            .with_key_type(9);
        let resp = handle(&f.coordinator, &node(), &req, 4).await;
        assert_eq!(
            resp.coordinators[0].error_code,
            ResponseError::InvalidRequest.code()
        );
    }
}
