//! Operational routes: `/`, `/health`, `/metrics`, `/v1/metadata/*`, `/contexts`.

use axum::extract::State;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};

use super::{Params, Shared, empty_object, json};

/// `GET /` and `POST /`: `{}`, as Confluent answers.
pub(crate) async fn root() -> Response {
    empty_object()
}

/// `GET /health`: 200 once `_schemas` is replayed, 503 before.
pub(crate) async fn health(State(registry): State<Shared>) -> Response {
    if registry.is_ready() {
        json(&serde_json::json!({ "status": "UP" }))
    } else {
        (
            StatusCode::SERVICE_UNAVAILABLE,
            json(&serde_json::json!({ "status": "STARTING" })),
        )
            .into_response()
    }
}

/// `GET /metrics`: Prometheus text format.
pub(crate) async fn metrics(State(registry): State<Shared>) -> Response {
    let (schemas, subjects, records) =
        registry.read(|s| (s.schema_count(), s.subject_count(), s.records_applied()));
    // Read at scrape time, so the gauge is never behind an election.
    registry.metrics().leader(registry.role().writes());
    let text = registry.metrics().render(schemas, subjects, records);
    (
        [(
            header::CONTENT_TYPE,
            HeaderValue::from_static("text/plain; version=0.0.4"),
        )],
        text,
    )
        .into_response()
}

/// `GET /v1/metadata/id`: the Kafka cluster this registry stores in.
pub(crate) async fn metadata_id(State(registry): State<Shared>) -> Response {
    let kafka = registry.kafka_cluster_id().unwrap_or_default().to_owned();
    json(&serde_json::json!({
        "id": kafka,
        "scope": {
            "path": [],
            "clusters": { "kafka-cluster": kafka, "schema-registry-cluster": "schema-registry" }
        }
    }))
}

/// `GET /v1/metadata/version`.
pub(crate) async fn metadata_version() -> Response {
    json(&serde_json::json!({ "version": env!("CARGO_PKG_VERSION"), "commitId": "" }))
}

/// `GET /contexts`.
pub(crate) async fn contexts(State(registry): State<Shared>, params: Params) -> Response {
    let prefix = params.get("contextPrefix").unwrap_or_default().to_owned();
    let names: Vec<String> = registry
        .read(|s| s.context_names())
        .into_iter()
        .filter(|c| c.starts_with(&prefix))
        .collect();
    json(&params.page(names))
}
