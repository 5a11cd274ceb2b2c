//! CreatePartitions (key 37): grow topics to a larger partition count.

use kafka_protocol::error::ResponseError;
use kafka_protocol::messages::create_partitions_response::CreatePartitionsTopicResult;
use kafka_protocol::messages::{CreatePartitionsRequest, CreatePartitionsResponse};

use super::errors::{blocking, log_error_code, str_bytes};
use crate::Broker;

pub(super) async fn handle(
    broker: &Broker,
    req: CreatePartitionsRequest,
    _version: i16,
) -> CreatePartitionsResponse {
    let node = broker.config().node_id;
    let mut results = Vec::with_capacity(req.topics.len());
    for topic in req.topics {
        let name = topic.name.to_string();
        let r = CreatePartitionsTopicResult::default().with_name(topic.name.clone());
        let refused = |code: ResponseError, message: String| {
            CreatePartitionsTopicResult::default()
                .with_name(topic.name.clone())
                .with_error_code(code.code())
                .with_error_message(Some(str_bytes(message)))
        };
        let Some(info) = broker.log().topic(&name) else {
            results.push(refused(
                ResponseError::UnknownTopicOrPartition,
                format!("unknown topic `{name}`"),
            ));
            continue;
        };
        if topic.count <= info.partitions {
            results.push(refused(
                ResponseError::InvalidPartitions,
                format!(
                    "topic `{name}` has {} partitions; the new count {} must be larger",
                    info.partitions, topic.count
                ),
            ));
            continue;
        }
        if let Some(assignments) = &topic.assignments {
            let added = (topic.count - info.partitions) as usize;
            if assignments.len() != added
                || assignments
                    .iter()
                    .any(|a| a.broker_ids.len() != 1 || a.broker_ids[0].0 != node)
            {
                results.push(refused(
                    ResponseError::InvalidReplicaAssignment,
                    format!("each new partition must have exactly one replica, on broker {node}"),
                ));
                continue;
            }
        }
        if req.validate_only {
            results.push(r);
            continue;
        }
        let log = broker.log().clone();
        let count = topic.count;
        match blocking(move || log.add_partitions(&name, count)).await {
            Ok(_) => results.push(r),
            Err(e) => results.push(
                r.with_error_code(log_error_code(&e))
                    .with_error_message(Some(str_bytes(e.to_string()))),
            ),
        }
    }
    CreatePartitionsResponse::default().with_results(results)
}
