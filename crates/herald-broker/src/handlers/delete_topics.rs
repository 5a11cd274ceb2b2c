//! DeleteTopics (key 20): delete topics by name (v0–5) or by name or id (v6+).

use kafka_protocol::error::ResponseError;
use kafka_protocol::messages::delete_topics_response::DeletableTopicResult;
use kafka_protocol::messages::{DeleteTopicsRequest, DeleteTopicsResponse, TopicName};
use uuid::Uuid;

use super::errors::{blocking, is_internal_topic, log_error_code, str_bytes, topic_name};
use crate::Broker;

pub(super) async fn handle(
    broker: &Broker,
    req: DeleteTopicsRequest,
    version: i16,
) -> DeleteTopicsResponse {
    let wanted: Vec<(Option<TopicName>, Uuid)> = if version >= 6 {
        req.topics
            .into_iter()
            .map(|t| (t.name, t.topic_id))
            .collect()
    } else {
        req.topic_names
            .into_iter()
            .map(|n| (Some(n), Uuid::nil()))
            .collect()
    };
    let mut responses = Vec::with_capacity(wanted.len());
    for (name, id) in wanted {
        let r = DeletableTopicResult::default().with_topic_id(id);
        let found = match (&name, id.is_nil()) {
            (Some(n), true) => broker
                .log()
                .topic(n)
                .ok_or(ResponseError::UnknownTopicOrPartition),
            (None, false) => broker
                .log()
                .topic_by_id(id)
                .ok_or(ResponseError::UnknownTopicId),
            _ => Err(ResponseError::InvalidRequest),
        };
        let info = match found {
            Ok(info) => info,
            Err(e) => {
                responses.push(
                    r.with_name(name)
                        .with_error_code(e.code())
                        .with_error_message(Some(str_bytes(e.to_string()))),
                );
                continue;
            }
        };
        let r = r
            .with_name(Some(topic_name(&info.name)))
            .with_topic_id(info.id);
        if is_internal_topic(&info.name) {
            responses.push(
                r.with_error_code(ResponseError::InvalidRequest.code())
                    .with_error_message(Some(str_bytes(format!(
                        "`{}` is an internal topic and cannot be deleted",
                        info.name
                    )))),
            );
            continue;
        }
        let log = broker.log().clone();
        let topic = info.name.clone();
        match blocking(move || log.delete_topic(&topic)).await {
            Ok(()) => {
                broker.producers().forget_topic(info.id);
                responses.push(r);
            }
            Err(e) => responses.push(
                r.with_error_code(log_error_code(&e))
                    .with_error_message(Some(str_bytes(e.to_string()))),
            ),
        }
    }
    DeleteTopicsResponse::default().with_responses(responses)
}
