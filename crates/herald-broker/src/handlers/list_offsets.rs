//! ListOffsets (key 2): the earliest, latest, max-timestamp or first offset
//! at a timestamp of each partition.

use std::sync::Arc;

use herald_log::{LEADER_EPOCH, LogError, Partition};
use kafka_protocol::messages::list_offsets_response::{
    ListOffsetsPartitionResponse, ListOffsetsTopicResponse,
};
use kafka_protocol::messages::{ListOffsetsRequest, ListOffsetsResponse};

use super::errors::{blocking, log_error_code};
use super::fetch::epoch_error;
use crate::Broker;

/// Kafka's special timestamps.
const LATEST: i64 = -1;
const EARLIEST: i64 = -2;
const MAX_TIMESTAMP: i64 = -3;
const EARLIEST_LOCAL: i64 = -4;
const LATEST_TIERED: i64 = -5;
const EARLIEST_PENDING_UPLOAD: i64 = -6;

pub(super) async fn handle(
    broker: &Broker,
    req: ListOffsetsRequest,
    _version: i16,
) -> ListOffsetsResponse {
    let mut topics = Vec::with_capacity(req.topics.len());
    for topic in req.topics {
        let mut partitions = Vec::with_capacity(topic.partitions.len());
        for p in topic.partitions {
            let r = ListOffsetsPartitionResponse::default()
                .with_partition_index(p.partition_index)
                .with_leader_epoch(LEADER_EPOCH);
            if let Some(code) = epoch_error(p.current_leader_epoch) {
                partitions.push(r.with_error_code(code).with_offset(-1).with_timestamp(-1));
                continue;
            }
            let found = match broker.log().partition(&topic.name, p.partition_index) {
                Ok(partition) => lookup(partition, p.timestamp).await,
                Err(e) => Err(e),
            };
            partitions.push(match found {
                Ok((offset, timestamp)) => r.with_offset(offset).with_timestamp(timestamp),
                Err(e) => r
                    .with_error_code(log_error_code(&e))
                    .with_offset(-1)
                    .with_timestamp(-1),
            });
        }
        topics.push(
            ListOffsetsTopicResponse::default()
                .with_name(topic.name)
                .with_partitions(partitions),
        );
    }
    ListOffsetsResponse::default().with_topics(topics)
}

/// `(offset, timestamp)` for one partition; `(-1, -1)` when no record
/// qualifies, as Kafka answers.
async fn lookup(partition: Arc<Partition>, timestamp: i64) -> Result<(i64, i64), LogError> {
    // Without transactions the last stable offset is the high watermark, so
    // read_committed and read_uncommitted get the same answer.
    match timestamp {
        LATEST => Ok((partition.high_watermark(), -1)),
        EARLIEST | EARLIEST_LOCAL => Ok((partition.log_start_offset(), -1)),
        // No tiered storage: nothing has been (or is pending to be) uploaded.
        LATEST_TIERED | EARLIEST_PENDING_UPLOAD => Ok((-1, -1)),
        MAX_TIMESTAMP => blocking(move || partition.max_timestamp_offset())
            .await
            .map(|t| t.map_or((-1, -1), |t| (t.offset, t.timestamp))),
        ts if ts >= 0 => blocking(move || partition.offset_for_timestamp(ts))
            .await
            .map(|t| t.map_or((-1, -1), |t| (t.offset, t.timestamp))),
        _ => Ok((-1, -1)),
    }
}
