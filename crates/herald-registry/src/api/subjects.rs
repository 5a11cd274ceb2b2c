//! `/subjects`: listing, registering, looking up, reading and deleting
//! subject versions.

use axum::extract::{Extension, State};
use axum::http::HeaderMap;
use axum::response::Response;

use super::context::ContextScope;
use super::entities::{SchemaEntity, SchemaRequest};
use super::schemas::raw_text;
use super::{JsonBody, Params, PathParams, Shared, json, wants_new_fields};
use crate::RegistryError;
use crate::state::{RegisterOptions, SubjectFilter, VersionSpec};

/// `GET /subjects`.
pub(crate) async fn list(
    State(registry): State<Shared>,
    params: Params,
    scope: Option<Extension<ContextScope>>,
) -> Response {
    let prefix = match (params.get("subjectPrefix"), scope.as_deref()) {
        (Some(p), Some(ContextScope(ctx))) if !p.starts_with(':') => Some(format!(":{ctx}:{p}")),
        (Some(p), _) => Some(p.to_owned()),
        (None, Some(ContextScope(ctx))) => Some(format!(":{ctx}:")),
        (None, None) => None,
    };
    let filter = SubjectFilter {
        prefix,
        deleted: params.flag("deleted"),
        deleted_only: params.flag("deletedOnly"),
    };
    let subjects = registry.read(|state| state.subjects(&filter));
    json(&params.page(subjects))
}

/// `GET /subjects/{s}/versions`.
pub(crate) async fn versions(
    State(registry): State<Shared>,
    PathParams(subject): PathParams<String>,
    params: Params,
) -> Result<Response, RegistryError> {
    let as_negative = params.flag("deletedAsNegative");
    let versions = registry.read(|state| {
        state.versions(
            &subject,
            params.flag("deleted") || as_negative,
            params.flag("deletedOnly"),
        )
    })?;
    let numbers: Vec<i32> = versions
        .into_iter()
        .map(|(v, e)| if as_negative && e.deleted { -v } else { v })
        .collect();
    Ok(json(&params.page(numbers)))
}

/// `GET /subjects/{s}/versions/{v}`.
pub(crate) async fn version(
    State(registry): State<Shared>,
    PathParams((subject, version)): PathParams<(String, String)>,
    params: Params,
    headers: HeaderMap,
) -> Result<Response, RegistryError> {
    let spec = VersionSpec::parse(&version)?;
    let found = registry.read(|state| state.version(&subject, spec, params.flag("deleted")))?;
    Ok(json(&SchemaEntity::new(&found, wants_new_fields(&headers))))
}

/// `GET /subjects/{s}/versions/{v}/schema`.
pub(crate) async fn raw_version(
    State(registry): State<Shared>,
    PathParams((subject, version)): PathParams<(String, String)>,
    params: Params,
) -> Result<Response, RegistryError> {
    let spec = VersionSpec::parse(&version)?;
    let found = registry.read(|state| state.version(&subject, spec, params.flag("deleted")))?;
    Ok(raw_text(&found.schema.text))
}

/// `GET /subjects/{s}/versions/{v}/referencedby`: ids of the schemas that
/// reference this version.
pub(crate) async fn referenced_by(
    State(registry): State<Shared>,
    PathParams((subject, version)): PathParams<(String, String)>,
    params: Params,
) -> Result<Response, RegistryError> {
    let spec = VersionSpec::parse(&version)?;
    let deleted = params.flag("deleted");
    let ids = registry.read(|state| {
        let found = state.version(&subject, spec, deleted)?;
        let mut ids: Vec<i32> = state
            .referrers(&found.subject, found.version, deleted)
            .into_iter()
            .map(|(_, _, id)| id)
            .collect();
        ids.sort_unstable();
        ids.dedup();
        Ok::<_, RegistryError>(ids)
    })?;
    Ok(json(&params.page(ids)))
}

/// `POST /subjects/{s}/versions`: registers a schema.
pub(crate) async fn register(
    State(registry): State<Shared>,
    PathParams(subject): PathParams<String>,
    params: Params,
    headers: HeaderMap,
    JsonBody(request): JsonBody<SchemaRequest>,
) -> Result<Response, RegistryError> {
    let candidate = request.candidate()?;
    let limit = registry.config().max_body_bytes;
    if candidate.text.len() > limit {
        return Err(RegistryError::SchemaTooLarge { limit });
    }
    let opts = RegisterOptions {
        normalize: params.flag("normalize"),
        force: params.flag("force"),
    };
    let registered = registry.register(&subject, &candidate, opts).await?;
    if registered.created {
        tracing::info!(
            subject = registered.schema.subject,
            version = registered.schema.version,
            id = registered.schema.schema.id,
            "registered a schema"
        );
    }
    if wants_new_fields(&headers) {
        Ok(json(&SchemaEntity::new(&registered.schema, true)))
    } else {
        Ok(json(
            &serde_json::json!({ "id": registered.schema.schema.id }),
        ))
    }
}

/// `POST /subjects/{s}`: finds the version holding a schema.
pub(crate) async fn lookup(
    State(registry): State<Shared>,
    PathParams(subject): PathParams<String>,
    params: Params,
    headers: HeaderMap,
    JsonBody(request): JsonBody<SchemaRequest>,
) -> Result<Response, RegistryError> {
    let candidate = request.candidate()?;
    let found = registry.read(|state| {
        state.lookup(
            &subject,
            &candidate,
            params.flag("normalize"),
            params.flag("deleted"),
        )
    })?;
    Ok(json(&SchemaEntity::new(&found, wants_new_fields(&headers))))
}

/// `DELETE /subjects/{s}/versions/{v}`.
pub(crate) async fn delete_version(
    State(registry): State<Shared>,
    PathParams((subject, version)): PathParams<(String, String)>,
    params: Params,
) -> Result<Response, RegistryError> {
    let spec = VersionSpec::parse(&version)?;
    let deleted = registry
        .delete_version(&subject, spec, params.flag("permanent"))
        .await?;
    tracing::info!(
        subject,
        version = deleted,
        permanent = params.flag("permanent"),
        "deleted a schema version"
    );
    Ok(json(&deleted))
}

/// `DELETE /subjects/{s}`.
pub(crate) async fn delete_subject(
    State(registry): State<Shared>,
    PathParams(subject): PathParams<String>,
    params: Params,
) -> Result<Response, RegistryError> {
    let versions = registry
        .delete_subject(&subject, params.flag("permanent"))
        .await?;
    tracing::info!(
        subject,
        ?versions,
        permanent = params.flag("permanent"),
        "deleted a subject"
    );
    Ok(json(&versions))
}
