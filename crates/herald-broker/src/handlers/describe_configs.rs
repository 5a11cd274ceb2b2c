//! DescribeConfigs (key 32): every configuration of topics (with whether it
//! is an override or the default), of this broker, and of share groups
//! (the GROUP resource).

use kafka_protocol::error::ResponseError;
use kafka_protocol::messages::describe_configs_response::{
    DescribeConfigsResourceResult, DescribeConfigsResult, DescribeConfigsSynonym,
};
use kafka_protocol::messages::{DescribeConfigsRequest, DescribeConfigsResponse};

use super::configs::{Entry, broker_entries, resource, topic_entries};
use super::errors::str_bytes;
use crate::Broker;
use crate::share::handlers::group_configs;

pub(super) async fn handle(
    broker: &Broker,
    req: &DescribeConfigsRequest,
    _version: i16,
) -> DescribeConfigsResponse {
    let mut results = Vec::with_capacity(req.resources.len());
    for r in &req.resources {
        let name = r.resource_name.to_string();
        let keys: Option<Vec<String>> = r
            .configuration_keys
            .as_ref()
            .map(|k| k.iter().map(|k| k.to_string()).collect());
        let result = DescribeConfigsResult::default()
            .with_resource_type(r.resource_type)
            .with_resource_name(r.resource_name.clone());
        let entries = match r.resource_type {
            resource::TOPIC => match broker.log().topic(&name) {
                Some(t) => Ok(topic_entries(&t, broker.log().defaults(), keys.as_deref())),
                None => Err((
                    ResponseError::UnknownTopicOrPartition,
                    format!("unknown topic `{name}`"),
                )),
            },
            resource::BROKER if name.is_empty() || name == broker.config().node_id.to_string() => {
                Ok(broker_entries(broker, keys.as_deref()))
            }
            resource::BROKER => Err((
                ResponseError::InvalidRequest,
                format!(
                    "this node is broker {}, not `{name}`",
                    broker.config().node_id
                ),
            )),
            group_configs::GROUP_RESOURCE => {
                group_configs::describe(broker.share(), &name, keys.as_deref()).await
            }
            other => Err((
                ResponseError::InvalidRequest,
                format!("resource type {other} is not supported"),
            )),
        };
        results.push(match entries {
            Ok(entries) => result.with_configs(
                entries
                    .into_iter()
                    .map(|e| encode(e, req.include_synonyms, req.include_documentation))
                    .collect(),
            ),
            Err((code, message)) => result
                .with_error_code(code.code())
                .with_error_message(Some(str_bytes(message))),
        });
    }
    DescribeConfigsResponse::default().with_results(results)
}

fn encode(e: Entry, synonyms: bool, docs: bool) -> DescribeConfigsResourceResult {
    let synonyms = if synonyms {
        e.synonyms
            .into_iter()
            .map(|(name, value, source)| {
                DescribeConfigsSynonym::default()
                    .with_name(str_bytes(name))
                    .with_value(Some(str_bytes(value)))
                    .with_source(source)
            })
            .collect()
    } else {
        Vec::new()
    };
    DescribeConfigsResourceResult::default()
        .with_name(str_bytes(e.name))
        .with_value(Some(str_bytes(e.value)))
        .with_read_only(e.read_only)
        .with_config_source(e.source)
        .with_is_sensitive(false)
        .with_synonyms(synonyms)
        .with_config_type(e.kind)
        .with_documentation(docs.then(|| str_bytes(e.doc)))
}
