//! AlterConfigs (key 33): replace a topic's whole set of overrides.
//! Broker settings come from the command line and are not alterable.

use std::collections::BTreeMap;

use kafka_protocol::error::ResponseError;
use kafka_protocol::messages::alter_configs_response::AlterConfigsResourceResponse;
use kafka_protocol::messages::{AlterConfigsRequest, AlterConfigsResponse};

use super::configs::resource;
use super::errors::str_bytes;
use crate::Broker;

pub(super) async fn handle(
    broker: &Broker,
    req: AlterConfigsRequest,
    _version: i16,
) -> AlterConfigsResponse {
    let mut responses = Vec::with_capacity(req.resources.len());
    for r in req.resources {
        let mut overrides = BTreeMap::new();
        let mut null = None;
        for c in &r.configs {
            match &c.value {
                Some(v) => {
                    overrides.insert(c.name.to_string(), v.to_string());
                }
                None => null = Some(c.name.to_string()),
            }
        }
        let result = match (r.resource_type, null) {
            (_, Some(key)) => Err((
                ResponseError::InvalidConfig,
                format!("config `{key}` has a null value"),
            )),
            (resource::TOPIC, None) => {
                super::incremental_alter_configs::apply(
                    broker,
                    r.resource_name.to_string(),
                    overrides,
                    req.validate_only,
                )
                .await
            }
            (resource::BROKER, None) => Err(super::incremental_alter_configs::broker_refusal()),
            (other, None) => Err((
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
    AlterConfigsResponse::default().with_responses(responses)
}
