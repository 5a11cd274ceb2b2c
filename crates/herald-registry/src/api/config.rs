//! `/config` and `/mode`: compatibility settings and modes, global, per
//! context (`:.ctx:`) and per subject.

use axum::extract::State;
use axum::response::Response;
use herald_schema::{CompatibilityLevel, JsonCompatibilityPolicy};
use serde_json::{Map, Value as Json};

use super::{JsonBody, Params, PathParams, Shared, json};
use crate::RegistryError;
use crate::record::{ConfigValue, Mode};

/// Reads a `PUT /config` body: `compatibility` (or `compatibilityLevel`),
/// `compatibilityPolicy`, `normalize`, and other Confluent fields kept as
/// given. Returns the update and the echo Confluent sends back.
fn config_update(
    body: Map<String, Json>,
) -> Result<(ConfigValue, Map<String, Json>), RegistryError> {
    let mut update = ConfigValue::default();
    let mut echo = Map::new();
    for (key, value) in body {
        if value.is_null() {
            continue;
        }
        match key.as_str() {
            "compatibility" | "compatibilityLevel" => {
                let text = value.as_str().unwrap_or_default();
                let level = text.parse::<CompatibilityLevel>().map_err(|_| {
                    RegistryError::InvalidCompatibilityLevel {
                        level: text.to_owned(),
                    }
                })?;
                update.compatibility_level = Some(level);
                echo.insert("compatibility".to_owned(), Json::from(level.as_str()));
            }
            "compatibilityPolicy" => {
                let text = value.as_str().unwrap_or_default();
                let policy = match text.to_ascii_uppercase().as_str() {
                    "STRICT" => JsonCompatibilityPolicy::Strict,
                    "LENIENT" => JsonCompatibilityPolicy::Lenient,
                    _ => {
                        return Err(RegistryError::InvalidCompatibilityLevel {
                            level: text.to_owned(),
                        });
                    }
                };
                update.compatibility_policy = Some(policy);
                echo.insert(key, Json::from(text.to_ascii_uppercase()));
            }
            "normalize" => {
                let flag = match &value {
                    Json::Bool(b) => *b,
                    Json::String(s) => s.eq_ignore_ascii_case("true"),
                    _ => false,
                };
                update.normalize = Some(flag);
                echo.insert(key, Json::Bool(flag));
            }
            _ => {
                update.other.insert(key.clone(), value.clone());
                echo.insert(key, value);
            }
        }
    }
    Ok((update, echo))
}

/// `GET /config`.
pub(crate) async fn get_global(State(registry): State<Shared>) -> Response {
    json(&registry.read(|s| s.effective_config(None)))
}

/// `PUT /config`.
pub(crate) async fn put_global(
    State(registry): State<Shared>,
    JsonBody(body): JsonBody<Map<String, Json>>,
) -> Result<Response, RegistryError> {
    let (update, echo) = config_update(body)?;
    registry.put_config(None, &update).await?;
    Ok(json(&echo))
}

/// `DELETE /config`: back to the default; answers the configuration removed.
pub(crate) async fn delete_global(
    State(registry): State<Shared>,
) -> Result<Response, RegistryError> {
    Ok(json(&registry.delete_config(None).await?))
}

/// `GET /config/{s}` (`defaultToGlobal` falls back to the configuration in force).
pub(crate) async fn get_subject(
    State(registry): State<Shared>,
    PathParams(subject): PathParams<String>,
    params: Params,
) -> Result<Response, RegistryError> {
    let fallback = params.flag("defaultToGlobal");
    registry.read(|s| match s.subject_config(&subject) {
        Some(c) if !fallback => Ok(json(c)),
        _ if fallback => Ok(json(&s.effective_config(Some(&subject)))),
        _ => Err(RegistryError::SubjectConfigNotFound {
            subject: subject.clone(),
        }),
    })
}

/// `PUT /config/{s}`.
pub(crate) async fn put_subject(
    State(registry): State<Shared>,
    PathParams(subject): PathParams<String>,
    JsonBody(body): JsonBody<Map<String, Json>>,
) -> Result<Response, RegistryError> {
    let (update, echo) = config_update(body)?;
    registry.put_config(Some(&subject), &update).await?;
    Ok(json(&echo))
}

/// `DELETE /config/{s}`.
pub(crate) async fn delete_subject(
    State(registry): State<Shared>,
    PathParams(subject): PathParams<String>,
) -> Result<Response, RegistryError> {
    Ok(json(&registry.delete_config(Some(&subject)).await?))
}

fn mode_body(mode: Mode) -> Json {
    serde_json::json!({ "mode": mode.as_str() })
}

fn parse_mode(body: &Map<String, Json>) -> Result<Mode, RegistryError> {
    let text = body.get("mode").and_then(Json::as_str).unwrap_or_default();
    Mode::parse(text).ok_or_else(|| RegistryError::InvalidMode {
        mode: text.to_owned(),
    })
}

/// `GET /mode`.
pub(crate) async fn get_global_mode(State(registry): State<Shared>) -> Response {
    json(&mode_body(registry.read(|s| s.effective_mode(None))))
}

/// `PUT /mode` (`force` allows IMPORT over existing schemas).
pub(crate) async fn put_global_mode(
    State(registry): State<Shared>,
    params: Params,
    JsonBody(body): JsonBody<Map<String, Json>>,
) -> Result<Response, RegistryError> {
    let mode = parse_mode(&body)?;
    registry.put_mode(None, mode, params.flag("force")).await?;
    Ok(json(&mode_body(mode)))
}

/// `DELETE /mode`: back to READWRITE; answers the mode removed.
pub(crate) async fn delete_global_mode(
    State(registry): State<Shared>,
) -> Result<Response, RegistryError> {
    Ok(json(&mode_body(registry.delete_mode(None).await?)))
}

/// `GET /mode/{s}` (`defaultToGlobal` falls back to the mode in force).
pub(crate) async fn get_subject_mode(
    State(registry): State<Shared>,
    PathParams(subject): PathParams<String>,
    params: Params,
) -> Result<Response, RegistryError> {
    let fallback = params.flag("defaultToGlobal");
    registry.read(|s| match s.subject_mode(&subject) {
        Some(m) => Ok(json(&mode_body(m))),
        None if fallback => Ok(json(&mode_body(s.effective_mode(Some(&subject))))),
        None => Err(RegistryError::SubjectModeNotFound {
            subject: subject.clone(),
        }),
    })
}

/// `PUT /mode/{s}`.
pub(crate) async fn put_subject_mode(
    State(registry): State<Shared>,
    PathParams(subject): PathParams<String>,
    params: Params,
    JsonBody(body): JsonBody<Map<String, Json>>,
) -> Result<Response, RegistryError> {
    let mode = parse_mode(&body)?;
    registry
        .put_mode(Some(&subject), mode, params.flag("force"))
        .await?;
    Ok(json(&mode_body(mode)))
}

/// `DELETE /mode/{s}`.
pub(crate) async fn delete_subject_mode(
    State(registry): State<Shared>,
    PathParams(subject): PathParams<String>,
) -> Result<Response, RegistryError> {
    Ok(json(&mode_body(
        registry.delete_mode(Some(&subject)).await?,
    )))
}
