//! The Confluent Schema Registry REST API over a [`Registry`].
//!
//! [`router`] builds the whole API as an axum `Router`; one file per route
//! group. Every error, including malformed requests and unknown routes,
//! answers `{"error_code": N, "message": "..."}`.

mod body;
mod compatibility;
mod config;
mod context;
mod entities;
mod ops;
mod schemas;
mod subjects;

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Instant;

use axum::Router;
use axum::extract::{FromRequestParts, MatchedPath, Query, Request, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde::Serialize;

use crate::{Registry, RegistryError};

pub use body::JsonBody;

/// Confluent's preferred media type, used for every JSON response unless the
/// client's `Accept` names another of the three.
pub const V1_JSON: &str = "application/vnd.schemaregistry.v1+json";
const GENERIC_JSON: &str = "application/vnd.schemaregistry+json";
const PLAIN_JSON: &str = "application/json";

/// The header with which Confluent clients ask for response fields newer than
/// the ones the original API defined (guid, ts, deleted, …).
pub const ACCEPT_UNKNOWN_PROPERTIES: &str = "confluent-accept-unknown-properties";

type Shared = Arc<Registry>;

/// The whole REST API, including `/health` and `/metrics`.
pub fn router(registry: Arc<Registry>) -> Router {
    let api = Router::new()
        .route("/", get(ops::root).post(ops::root))
        .route("/health", get(ops::health))
        .route("/metrics", get(ops::metrics))
        .route("/v1/metadata/id", get(ops::metadata_id))
        .route("/v1/metadata/version", get(ops::metadata_version))
        .route("/contexts", get(ops::contexts))
        .route("/schemas", get(schemas::list))
        .route("/schemas/types", get(schemas::types))
        .route("/schemas/ids/{id}", get(schemas::by_id))
        .route("/schemas/ids/{id}/schema", get(schemas::raw_by_id))
        .route("/schemas/ids/{id}/subjects", get(schemas::subjects_of_id))
        .route("/schemas/ids/{id}/versions", get(schemas::versions_of_id))
        .route("/schemas/guids/{guid}", get(schemas::by_guid))
        .route("/schemas/guids/{guid}/ids", get(schemas::ids_by_guid))
        .route("/subjects", get(subjects::list))
        .route(
            "/subjects/{subject}",
            post(subjects::lookup).delete(subjects::delete_subject),
        )
        .route(
            "/subjects/{subject}/versions",
            get(subjects::versions).post(subjects::register),
        )
        .route(
            "/subjects/{subject}/versions/{version}",
            get(subjects::version).delete(subjects::delete_version),
        )
        .route(
            "/subjects/{subject}/versions/{version}/schema",
            get(subjects::raw_version),
        )
        .route(
            "/subjects/{subject}/versions/{version}/referencedby",
            get(subjects::referenced_by),
        )
        .route(
            "/compatibility/subjects/{subject}/versions",
            post(compatibility::against_level),
        )
        .route(
            "/compatibility/subjects/{subject}/versions/{version}",
            post(compatibility::against_version),
        )
        .route(
            "/config",
            get(config::get_global)
                .put(config::put_global)
                .delete(config::delete_global),
        )
        .route(
            "/config/{subject}",
            get(config::get_subject)
                .put(config::put_subject)
                .delete(config::delete_subject),
        )
        .route(
            "/mode",
            get(config::get_global_mode)
                .put(config::put_global_mode)
                .delete(config::delete_global_mode),
        )
        .route(
            "/mode/{subject}",
            get(config::get_subject_mode)
                .put(config::put_subject_mode)
                .delete(config::delete_subject_mode),
        )
        .fallback(not_found)
        .method_not_allowed_fallback(method_not_allowed)
        .layer(middleware::from_fn_with_state(
            registry.clone(),
            crate::cluster::forward::route_writes,
        ))
        .layer(middleware::from_fn_with_state(registry.clone(), observe))
        .with_state(registry);
    context::with_context_paths(api)
}

/// Metrics, readiness and media-type negotiation around every request.
async fn observe(State(registry): State<Shared>, request: Request, next: Next) -> Response {
    let started = Instant::now();
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map_or_else(|| "unmatched".to_owned(), |p| p.as_str().to_owned());
    let method = request.method().as_str().to_owned();
    let media = negotiate(request.headers());
    let always_served = matches!(route.as_str(), "/health" | "/metrics" | "/");
    let mut response = if registry.is_ready() || always_served {
        next.run(request).await
    } else {
        RegistryError::Timeout {
            reason: "The schema registry is still loading _schemas".to_owned(),
        }
        .into_response()
    };
    if media != V1_JSON
        && response
            .headers()
            .get(header::CONTENT_TYPE)
            .is_some_and(|v| v == V1_JSON)
    {
        response
            .headers_mut()
            .insert(header::CONTENT_TYPE, HeaderValue::from_static(media));
    }
    let status = response.status().as_u16();
    registry
        .metrics()
        .request(&method, &route, status, started.elapsed());
    tracing::debug!(
        method,
        route,
        status,
        micros = started.elapsed().as_micros() as u64,
        "request"
    );
    response
}

/// The response media type for an `Accept` header: Confluent's preference
/// order, v1 when the client accepts anything.
fn negotiate(headers: &HeaderMap) -> &'static str {
    let Some(accept) = headers.get(header::ACCEPT).and_then(|v| v.to_str().ok()) else {
        return V1_JSON;
    };
    let offered = |t: &str| {
        accept.split(',').any(|part| {
            part.split(';')
                .next()
                .is_some_and(|m| m.trim().eq_ignore_ascii_case(t))
        })
    };
    if offered(V1_JSON) || offered("*/*") || offered("application/*") {
        V1_JSON
    } else if offered(GENERIC_JSON) {
        GENERIC_JSON
    } else if offered(PLAIN_JSON) {
        PLAIN_JSON
    } else {
        V1_JSON
    }
}

async fn not_found() -> RegistryError {
    RegistryError::Http {
        status: 404,
        message: "HTTP 404 Not Found".to_owned(),
    }
}

async fn method_not_allowed() -> RegistryError {
    RegistryError::Http {
        status: 405,
        message: "HTTP 405 Method Not Allowed".to_owned(),
    }
}

/// A JSON response in Confluent's media type.
pub(crate) fn json<T: Serialize>(value: &T) -> Response {
    match serde_json::to_vec(value) {
        Ok(body) => (
            [(header::CONTENT_TYPE, HeaderValue::from_static(V1_JSON))],
            body,
        )
            .into_response(),
        Err(e) => RegistryError::Http {
            status: 500,
            message: format!("could not encode the response: {e}"),
        }
        .into_response(),
    }
}

/// Query parameters, read leniently as Confluent's JAX-RS resources do:
/// unknown ones are ignored, booleans are `true` in any letter case.
#[derive(Debug, Default)]
pub(crate) struct Params(HashMap<String, String>);

impl Params {
    pub(crate) fn flag(&self, name: &str) -> bool {
        self.0
            .get(name)
            .is_some_and(|v| v.eq_ignore_ascii_case("true"))
    }

    pub(crate) fn get(&self, name: &str) -> Option<&str> {
        self.0.get(name).map(String::as_str)
    }

    pub(crate) fn int(&self, name: &str) -> Option<i64> {
        self.0.get(name).and_then(|v| v.trim().parse().ok())
    }

    /// Applies `offset` and `limit` (-1 or absent: no limit) to a list.
    pub(crate) fn page<T>(&self, items: Vec<T>) -> Vec<T> {
        let offset = usize::try_from(self.int("offset").unwrap_or(0).max(0)).unwrap_or(0);
        let limit = self
            .int("limit")
            .filter(|l| *l >= 0)
            .and_then(|l| usize::try_from(l).ok());
        let rest = items.into_iter().skip(offset);
        match limit {
            Some(l) if l > 0 => rest.take(l).collect(),
            _ => rest.collect(),
        }
    }
}

impl<S: Send + Sync> FromRequestParts<S> for Params {
    type Rejection = RegistryError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let Query(map) = Query::<HashMap<String, String>>::from_request_parts(parts, state)
            .await
            .map_err(|e| RegistryError::Http {
                status: 400,
                message: e.body_text(),
            })?;
        Ok(Params(map))
    }
}

/// Path parameters, with failures (a malformed escape, a non-UTF-8 subject)
/// answered in Confluent's error shape rather than axum's plain text.
#[derive(Debug)]
pub(crate) struct PathParams<T>(pub T);

impl<S: Send + Sync, T: serde::de::DeserializeOwned + Send> FromRequestParts<S> for PathParams<T> {
    type Rejection = RegistryError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        match axum::extract::Path::<T>::from_request_parts(parts, state).await {
            Ok(axum::extract::Path(value)) => Ok(PathParams(value)),
            Err(rejection) => Err(RegistryError::Http {
                status: rejection.status().as_u16(),
                message: rejection.body_text(),
            }),
        }
    }
}

/// Whether the client asked for response fields newer than the original API.
pub(crate) fn wants_new_fields(headers: &HeaderMap) -> bool {
    headers
        .get(ACCEPT_UNKNOWN_PROPERTIES)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.eq_ignore_ascii_case("true"))
}

/// A successful empty JSON object, as `GET /` answers.
pub(crate) fn empty_object() -> Response {
    (
        StatusCode::OK,
        [(header::CONTENT_TYPE, HeaderValue::from_static(V1_JSON))],
        "{}",
    )
        .into_response()
}
