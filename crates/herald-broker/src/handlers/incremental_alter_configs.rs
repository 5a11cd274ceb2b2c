//! IncrementalAlterConfigs (key 44): SET, DELETE, APPEND and SUBTRACT on
//! individual topic configuration keys, and on share-group configuration
//! keys (the GROUP resource).

use std::collections::BTreeMap;

use kafka_protocol::error::ResponseError;
use kafka_protocol::messages::incremental_alter_configs_request::AlterConfigsResource;
use kafka_protocol::messages::incremental_alter_configs_response::AlterConfigsResourceResponse;
use kafka_protocol::messages::{IncrementalAlterConfigsRequest, IncrementalAlterConfigsResponse};

use super::configs::{is_list, resource};
use super::errors::{blocking, log_error_code, str_bytes};
use crate::Broker;

/// Kafka's `AlterConfigOp.OpType`.
const SET: i8 = 0;
const DELETE: i8 = 1;
const APPEND: i8 = 2;
const SUBTRACT: i8 = 3;

type Refusal = (ResponseError, String);

pub(super) async fn handle(
    broker: &Broker,
    req: IncrementalAlterConfigsRequest,
    _version: i16,
) -> IncrementalAlterConfigsResponse {
    let mut responses = Vec::with_capacity(req.resources.len());
    for r in req.resources {
        let result = match r.resource_type {
            resource::TOPIC => match next_overrides(broker, &r) {
                Ok(overrides) => {
                    apply(
                        broker,
                        r.resource_name.to_string(),
                        overrides,
                        req.validate_only,
                    )
                    .await
                }
                Err(e) => Err(e),
            },
            resource::BROKER => Err(broker_refusal()),
            crate::share::handlers::group_configs::GROUP_RESOURCE => {
                let ops: Vec<crate::share::handlers::group_configs::Op> = r
                    .configs
                    .iter()
                    .map(|c| {
                        (
                            c.config_operation,
                            c.name.to_string(),
                            c.value.as_ref().map(|v| v.to_string()),
                        )
                    })
                    .collect();
                crate::share::handlers::group_configs::alter(
                    broker.share(),
                    r.resource_name.as_str(),
                    &ops,
                    req.validate_only,
                )
                .await
            }
            other => Err((
                ResponseError::InvalidRequest,
                format!("resource type {other} is not supported"),
            )),
        };
        let resp = AlterConfigsResourceResponse::default()
            .with_resource_type(r.resource_type)
            .with_resource_name(r.resource_name);
        responses.push(match result {
            Ok(()) => resp,
            Err((code, message)) => resp
                .with_error_code(code.code())
                .with_error_message(Some(str_bytes(message))),
        });
    }
    IncrementalAlterConfigsResponse::default().with_responses(responses)
}

/// The topic's overrides after applying the operations of `r`.
fn next_overrides(
    broker: &Broker,
    r: &AlterConfigsResource,
) -> Result<BTreeMap<String, String>, Refusal> {
    let name = r.resource_name.to_string();
    let topic = broker.log().topic(&name).ok_or_else(|| {
        (
            ResponseError::UnknownTopicOrPartition,
            format!("unknown topic `{name}`"),
        )
    })?;
    let effective: BTreeMap<&str, String> = topic.config.to_pairs().into_iter().collect();
    let mut overrides = topic.overrides.clone();
    for c in &r.configs {
        let key = c.name.to_string();
        let value = c.value.as_ref().map(|v| v.to_string());
        match (c.config_operation, value) {
            (SET, Some(v)) => {
                overrides.insert(key, v);
            }
            (DELETE, _) => {
                overrides.remove(&key);
            }
            (op @ (APPEND | SUBTRACT), Some(v)) => {
                if !is_list(&key) {
                    return Err((
                        ResponseError::InvalidConfig,
                        format!("`{key}` is not a list; APPEND and SUBTRACT apply to lists only"),
                    ));
                }
                let current = overrides
                    .get(&key)
                    .cloned()
                    .or_else(|| effective.get(key.as_str()).cloned())
                    .unwrap_or_default();
                let mut items: Vec<String> = current
                    .split(',')
                    .map(|s| s.trim().to_owned())
                    .filter(|s| !s.is_empty())
                    .collect();
                for item in v.split(',').map(str::trim).filter(|s| !s.is_empty()) {
                    if op == APPEND {
                        if !items.iter().any(|i| i == item) {
                            items.push(item.to_owned());
                        }
                    } else {
                        items.retain(|i| i != item);
                    }
                }
                overrides.insert(key, items.join(","));
            }
            (SET | APPEND | SUBTRACT, None) => {
                return Err((
                    ResponseError::InvalidConfig,
                    format!("config `{key}` has a null value"),
                ));
            }
            (op, _) => {
                return Err((
                    ResponseError::InvalidRequest,
                    format!("unknown config operation {op}"),
                ));
            }
        }
    }
    Ok(overrides)
}

/// Replaces the overrides of topic `name` (or only validates them).
pub(super) async fn apply(
    broker: &Broker,
    name: String,
    overrides: BTreeMap<String, String>,
    validate_only: bool,
) -> Result<(), Refusal> {
    let Some(topic) = broker.log().topic(&name) else {
        return Err((
            ResponseError::UnknownTopicOrPartition,
            format!("unknown topic `{name}`"),
        ));
    };
    let config = broker
        .log()
        .defaults()
        .with_overrides(&overrides)
        .map_err(|e| (ResponseError::InvalidConfig, e.to_string()))?;
    if config.storage != topic.config.storage {
        return Err((
            ResponseError::InvalidConfig,
            "storage is fixed when the topic is created".to_owned(),
        ));
    }
    if validate_only {
        return Ok(());
    }
    let log = broker.log().clone();
    blocking(move || log.alter_topic_config(&name, &overrides))
        .await
        .map(|_| ())
        .map_err(|e| {
            let code = ResponseError::try_from_code(log_error_code(&e))
                .unwrap_or(ResponseError::UnknownServerError);
            (code, e.to_string())
        })
}

/// Why broker resources cannot be altered.
pub(super) fn broker_refusal() -> Refusal {
    (
        ResponseError::InvalidRequest,
        "broker settings come from herald's flags and environment and cannot be altered".to_owned(),
    )
}
