//! `/compatibility`: would a schema be accepted?

use axum::extract::State;
use axum::response::Response;

use super::entities::{CompatibilityResponse, SchemaRequest};
use super::{JsonBody, Params, PathParams, Shared, json};
use crate::RegistryError;
use crate::state::VersionSpec;

/// `POST /compatibility/subjects/{s}/versions`: against the versions the
/// subject's level names.
pub(crate) async fn against_level(
    State(registry): State<Shared>,
    PathParams(subject): PathParams<String>,
    params: Params,
    JsonBody(request): JsonBody<SchemaRequest>,
) -> Result<Response, RegistryError> {
    respond(&registry, &subject, None, &params, request)
}

/// `POST /compatibility/subjects/{s}/versions/{v}`: against one version.
pub(crate) async fn against_version(
    State(registry): State<Shared>,
    PathParams((subject, version)): PathParams<(String, String)>,
    params: Params,
    JsonBody(request): JsonBody<SchemaRequest>,
) -> Result<Response, RegistryError> {
    let spec = VersionSpec::parse(&version)?;
    respond(&registry, &subject, Some(spec), &params, request)
}

fn respond(
    registry: &Shared,
    subject: &str,
    version: Option<VersionSpec>,
    params: &Params,
    request: SchemaRequest,
) -> Result<Response, RegistryError> {
    let verbose = params.flag("verbose");
    let verdict = request.candidate().and_then(|c| {
        registry
            .read(|state| state.check_compatibility(subject, version, &c, params.flag("normalize")))
    });
    let verdict = match verdict {
        Ok(v) => v,
        // Verbose callers get an invalid schema as a reason, not an error.
        Err(RegistryError::InvalidSchema { reason }) if verbose => {
            return Ok(json(&CompatibilityResponse {
                is_compatible: false,
                messages: Some(vec![format!("Invalid schema {reason}")]),
            }));
        }
        Err(e) => return Err(e),
    };
    registry.metrics().compatibility_check(verdict.compatible);
    Ok(json(&CompatibilityResponse {
        is_compatible: verdict.compatible,
        messages: verbose.then_some(verdict.messages),
    }))
}
