//! DeleteRecords (key 21): move partitions' log start offsets forward.

use kafka_protocol::messages::delete_records_response::{
    DeleteRecordsPartitionResult, DeleteRecordsTopicResult,
};
use kafka_protocol::messages::{DeleteRecordsRequest, DeleteRecordsResponse};

use super::errors::{blocking, log_error_code};
use crate::Broker;

pub(super) async fn handle(
    broker: &Broker,
    req: DeleteRecordsRequest,
    _version: i16,
) -> DeleteRecordsResponse {
    let mut topics = Vec::with_capacity(req.topics.len());
    for topic in req.topics {
        let mut partitions = Vec::with_capacity(topic.partitions.len());
        for p in topic.partitions {
            let r = DeleteRecordsPartitionResult::default().with_partition_index(p.partition_index);
            let result = match broker.log().partition(&topic.name, p.partition_index) {
                Ok(partition) => {
                    let offset = p.offset;
                    blocking(move || partition.delete_records(offset)).await
                }
                Err(e) => Err(e),
            };
            partitions.push(match result {
                Ok(low) => r.with_low_watermark(low),
                Err(e) => r.with_low_watermark(-1).with_error_code(log_error_code(&e)),
            });
        }
        topics.push(
            DeleteRecordsTopicResult::default()
                .with_name(topic.name)
                .with_partitions(partitions),
        );
    }
    DeleteRecordsResponse::default().with_topics(topics)
}
