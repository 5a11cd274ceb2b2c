//! `/schemas`: schemas by id or GUID, and listings over all subjects.

use axum::extract::{Extension, State};
use axum::http::{HeaderMap, HeaderValue, header};
use axum::response::{IntoResponse, Response};

use super::context::ContextScope;
use super::entities::{ContextId, SchemaEntity, SchemaString, SubjectVersion};
use super::{Params, PathParams, Shared, json, wants_new_fields};
use crate::RegistryError;
use crate::subject::{DEFAULT_CONTEXT, QualifiedSubject};

/// The context an id is looked up in: the `subject` parameter's, else the
/// path prefix's, else the default.
fn id_context(params: &Params, scope: Option<&ContextScope>) -> String {
    if let Some(subject) = params.get("subject").filter(|s| !s.is_empty()) {
        return QualifiedSubject::parse(subject).context;
    }
    scope.map_or_else(|| DEFAULT_CONTEXT.to_owned(), |c| c.0.clone())
}

fn parse_id(raw: &str) -> Result<i32, RegistryError> {
    raw.parse::<i32>().map_err(|_| RegistryError::Http {
        status: 404,
        message: "HTTP 404 Not Found".to_owned(),
    })
}

fn schema_not_found(id: impl std::fmt::Display) -> RegistryError {
    RegistryError::SchemaNotFound {
        what: format!("Schema {id} not found"),
    }
}

/// `GET /schemas/ids/{id}`.
pub(crate) async fn by_id(
    State(registry): State<Shared>,
    PathParams(id): PathParams<String>,
    params: Params,
    scope: Option<Extension<ContextScope>>,
    headers: HeaderMap,
) -> Result<Response, RegistryError> {
    let id = parse_id(&id)?;
    let context = id_context(&params, scope.as_deref());
    let new_fields = wants_new_fields(&headers);
    let fetch_max = params.flag("fetchMaxId");
    registry.read(|state| {
        let schema = state
            .schema_by_id(&context, id)
            .ok_or_else(|| schema_not_found(id))?;
        let mut body = SchemaString::new(schema, new_fields);
        if fetch_max {
            body.max_id = Some(state.max_id(&context));
        }
        Ok(json(&body))
    })
}

/// `GET /schemas/ids/{id}/schema`: the schema text alone.
pub(crate) async fn raw_by_id(
    State(registry): State<Shared>,
    PathParams(id): PathParams<String>,
    params: Params,
    scope: Option<Extension<ContextScope>>,
) -> Result<Response, RegistryError> {
    let id = parse_id(&id)?;
    let context = id_context(&params, scope.as_deref());
    registry.read(|state| {
        let schema = state
            .schema_by_id(&context, id)
            .ok_or_else(|| schema_not_found(id))?;
        Ok(raw_text(&schema.text))
    })
}

/// A schema's text as the body, in Confluent's media type.
pub(crate) fn raw_text(text: &str) -> Response {
    (
        [(
            header::CONTENT_TYPE,
            HeaderValue::from_static(super::V1_JSON),
        )],
        text.to_owned(),
    )
        .into_response()
}

/// `GET /schemas/ids/{id}/subjects`.
pub(crate) async fn subjects_of_id(
    State(registry): State<Shared>,
    PathParams(id): PathParams<String>,
    params: Params,
    scope: Option<Extension<ContextScope>>,
) -> Result<Response, RegistryError> {
    let id = parse_id(&id)?;
    let context = id_context(&params, scope.as_deref());
    let deleted = params.flag("deleted");
    registry.read(|state| {
        if state.schema_by_id(&context, id).is_none() {
            return Err(schema_not_found(id));
        }
        let mut subjects: Vec<String> = state
            .usages(&context, id, deleted)
            .into_iter()
            .map(|(s, _)| s)
            .collect();
        subjects.dedup();
        Ok(json(&params.page(subjects)))
    })
}

/// `GET /schemas/ids/{id}/versions`.
pub(crate) async fn versions_of_id(
    State(registry): State<Shared>,
    PathParams(id): PathParams<String>,
    params: Params,
    scope: Option<Extension<ContextScope>>,
) -> Result<Response, RegistryError> {
    let id = parse_id(&id)?;
    let context = id_context(&params, scope.as_deref());
    let deleted = params.flag("deleted");
    registry.read(|state| {
        if state.schema_by_id(&context, id).is_none() {
            return Err(schema_not_found(id));
        }
        let usages: Vec<SubjectVersion> = state
            .usages(&context, id, deleted)
            .into_iter()
            .map(|(subject, version)| SubjectVersion { subject, version })
            .collect();
        Ok(json(&params.page(usages)))
    })
}

/// `GET /schemas/guids/{guid}`.
pub(crate) async fn by_guid(
    State(registry): State<Shared>,
    PathParams(guid): PathParams<String>,
    headers: HeaderMap,
) -> Result<Response, RegistryError> {
    let parsed = uuid::Uuid::parse_str(&guid).map_err(|_| schema_not_found(&guid))?;
    let new_fields = wants_new_fields(&headers);
    registry.read(|state| {
        let schema = state
            .schema_by_guid(parsed)
            .ok_or_else(|| schema_not_found(&guid))?;
        Ok(json(&SchemaString::new(schema, new_fields)))
    })
}

/// `GET /schemas/guids/{guid}/ids`: the id of the schema in every context
/// that holds it, as `[{"context": ".", "id": 1}, …]`. A GUID names
/// content across contexts, so a `/contexts/{ctx}/` prefix does not narrow
/// the answer (as it does not for `GET /schemas/guids/{guid}`). An unknown
/// or malformed GUID is 40403.
pub(crate) async fn ids_by_guid(
    State(registry): State<Shared>,
    PathParams(guid): PathParams<String>,
) -> Result<Response, RegistryError> {
    let parsed = uuid::Uuid::parse_str(&guid).map_err(|_| schema_not_found(&guid))?;
    let ids: Vec<ContextId> = registry.read(|state| {
        state
            .ids_by_guid(parsed)
            .into_iter()
            .map(|(context, id)| ContextId { context, id })
            .collect()
    });
    if ids.is_empty() {
        return Err(schema_not_found(&guid));
    }
    Ok(json(&ids))
}

/// `GET /schemas/types`.
pub(crate) async fn types() -> Response {
    json(&["JSON", "AVRO"])
}

/// `GET /schemas`: subject versions, filtered by `subjectPrefix`,
/// `deleted` and `latestOnly`, paged by `offset`/`limit`.
pub(crate) async fn list(
    State(registry): State<Shared>,
    params: Params,
    scope: Option<Extension<ContextScope>>,
    headers: HeaderMap,
) -> Response {
    let new_fields = wants_new_fields(&headers);
    let prefix = match (params.get("subjectPrefix"), scope.as_deref()) {
        (Some(p), Some(ContextScope(ctx))) if !p.starts_with(":.") => Some(format!(":{ctx}:{p}")),
        (Some(p), _) => Some(p.to_owned()),
        (None, Some(ContextScope(ctx))) => Some(format!(":{ctx}:")),
        (None, None) => None,
    };
    let found = registry.read(|state| {
        state.all_versions(
            prefix.as_deref(),
            params.flag("deleted"),
            params.flag("latestOnly"),
        )
    });
    let found = params.page(found);
    let entities: Vec<SchemaEntity<'_>> = found
        .iter()
        .map(|r| SchemaEntity::new(r, new_fields))
        .collect();
    json(&entities)
}
