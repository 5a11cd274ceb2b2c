//! Writes on a follower go to the leader: the HTTP request (method, path,
//! query, body, content and auth headers) is sent on with `reqwest`, and
//! the leader's status, content type and body come back unchanged.
//! Confluent answers 50003 when forwarding fails and 50004 when no leader
//! is known; so does this.

use std::sync::Arc;
use std::time::Duration;

use axum::body::Body;
use axum::extract::{MatchedPath, Request, State};
use axum::http::{HeaderName, Method, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use super::Role;
use crate::{Registry, RegistryError};

/// Marks a request one instance forwarded to another, so a stale view of
/// who leads never bounces a request between instances.
pub const FORWARDED_HEADER: &str = "x-herald-forwarded";

/// The request headers passed to the leader.
const PASSED: [HeaderName; 4] = [
    header::CONTENT_TYPE,
    header::ACCEPT,
    header::AUTHORIZATION,
    HeaderName::from_static(crate::api::ACCEPT_UNKNOWN_PROPERTIES),
];

/// How long a follower waits, after a forwarded write succeeded, to read
/// it from `_schemas` itself, so its next read sees the write.
const READ_YOUR_WRITES: Duration = Duration::from_secs(2);

/// Whether a matched route changes state (and so runs on the leader).
fn is_write(method: &Method, route: &str) -> bool {
    match *method {
        Method::POST => route == "/subjects/{subject}/versions",
        Method::PUT | Method::DELETE => matches!(
            route,
            "/subjects/{subject}"
                | "/subjects/{subject}/versions/{version}"
                | "/config"
                | "/config/{subject}"
                | "/mode"
                | "/mode/{subject}"
        ),
        _ => false,
    }
}

/// Set on the response of a write that found, at commit time, that this
/// instance no longer leads (a rebalance began while it queued): the
/// middleware then forwards it to whoever leads now.
#[derive(Debug, Clone, Copy)]
pub(crate) struct LostLeadership;

/// The middleware: reads pass; a write runs here when this instance
/// writes, goes to the leader when another leads, and fails with 50004
/// when no leader is known.
pub(crate) async fn route_writes(
    State(registry): State<Arc<Registry>>,
    request: Request,
    next: Next,
) -> Response {
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map(|p| p.as_str().to_owned());
    if !route.is_some_and(|r| is_write(request.method(), &r)) {
        return next.run(request).await;
    }
    // Kept, so a write that lost the leadership while queued can still
    // be forwarded.
    let (parts, body) = request.into_parts();
    let limit = registry.config().max_body_bytes;
    let Ok(body) = axum::body::to_bytes(body, limit).await else {
        return RegistryError::SchemaTooLarge { limit }.into_response();
    };
    let forwarded = parts.headers.contains_key(FORWARDED_HEADER);
    let role = registry.settled_role().await;
    let role = if role.writes() {
        let local = Request::from_parts(parts.clone(), Body::from(body.clone()));
        let response = next.run(local).await;
        if response.extensions().get::<LostLeadership>().is_none() {
            return response;
        }
        match registry.settled_role().await {
            follower @ Role::Follower { .. } => follower,
            _ => return response,
        }
    } else {
        role
    };
    match role {
        Role::Standalone | Role::Leader => RegistryError::UnknownLeader {
            reason: "the leadership changed while the request waited".to_owned(),
        }
        .into_response(),
        Role::Follower { url } => {
            if forwarded {
                return RegistryError::ForwardFailed {
                    reason: format!("this instance is not the leader either (it follows {url})"),
                }
                .into_response();
            }
            match forward(&registry, &url, &parts, body).await {
                Ok(response) => response,
                Err(e) => e.into_response(),
            }
        }
        Role::Electing => RegistryError::UnknownLeader {
            reason: "no leader has been elected yet".to_owned(),
        }
        .into_response(),
        Role::NoLeader { reason } => RegistryError::UnknownLeader { reason }.into_response(),
        Role::Stopped => RegistryError::UnknownLeader {
            reason: "this instance is shutting down".to_owned(),
        }
        .into_response(),
    }
}

async fn forward(
    registry: &Registry,
    leader: &str,
    parts: &axum::http::request::Parts,
    body: bytes::Bytes,
) -> Result<Response, RegistryError> {
    let path = parts.uri.path_and_query().map_or("/", |p| p.as_str());
    let url = format!("{}{path}", leader.trim_end_matches('/'));
    let failed = |e: reqwest::Error| RegistryError::ForwardFailed {
        reason: format!("{} {url}: {e}", parts.method),
    };
    let mut outgoing = registry
        .forwarder()
        .request(parts.method.clone(), &url)
        .header(FORWARDED_HEADER, "true")
        .body(body);
    for name in &PASSED {
        for value in parts.headers.get_all(name) {
            outgoing = outgoing.header(name, value);
        }
    }
    let answer = outgoing.send().await.map_err(failed)?;
    let status = answer.status();
    let content_type = answer.headers().get(header::CONTENT_TYPE).cloned();
    let bytes = answer.bytes().await.map_err(failed)?;
    if status.is_success() {
        match tokio::time::timeout(READ_YOUR_WRITES, registry.catch_up()).await {
            Ok(Ok(())) => {}
            Ok(Err(e)) => tracing::debug!(error = %e, "the forwarded write is not read back yet"),
            Err(_) => tracing::debug!("the forwarded write is not read back yet"),
        }
    }
    let mut response = Response::builder().status(status);
    if let Some(ct) = content_type {
        response = response.header(header::CONTENT_TYPE, ct);
    }
    response
        .body(Body::from(bytes))
        .map_err(|e| RegistryError::ForwardFailed {
            reason: format!("the leader's answer cannot be passed on: {e}"),
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn writes_are_the_mutating_routes() {
        assert!(is_write(&Method::POST, "/subjects/{subject}/versions"));
        assert!(!is_write(&Method::GET, "/subjects/{subject}/versions"));
        assert!(!is_write(&Method::POST, "/subjects/{subject}"), "a lookup");
        assert!(is_write(&Method::DELETE, "/subjects/{subject}"));
        assert!(is_write(
            &Method::DELETE,
            "/subjects/{subject}/versions/{version}"
        ));
        assert!(is_write(&Method::PUT, "/config/{subject}"));
        assert!(is_write(&Method::DELETE, "/mode"));
        assert!(!is_write(&Method::GET, "/mode"));
        assert!(!is_write(
            &Method::POST,
            "/compatibility/subjects/{subject}/versions"
        ));
    }
}
