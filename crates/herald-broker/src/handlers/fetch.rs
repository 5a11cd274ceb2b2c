//! Fetch (key 1): stored batches as they lie on disk, long-polling until
//! `min_bytes` are available or `max_wait_ms` passes.
//!
//! Fetch sessions (KIP-227) are answered sessionless: a request with session
//! id 0 gets session id 0 back, which tells the client that no session was
//! created and that every fetch names all its partitions (a full fetch).
//! That is always correct, only more verbose than incremental fetches.

use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use futures_util::future::select_all;
use herald_log::{LEADER_EPOCH, LogError, Partition};
use kafka_protocol::error::ResponseError;
use kafka_protocol::messages::fetch_response::{FetchableTopicResponse, PartitionData};
use kafka_protocol::messages::{FetchRequest, FetchResponse, TopicName};
use tokio::time::Instant;
use uuid::Uuid;

use super::errors::{blocking, log_error_code};
use crate::Broker;

/// One requested partition, resolved.
struct Slot {
    topic: usize,
    index: i32,
    offset: i64,
    max_bytes: usize,
    /// The partition, or the error code that answers for it.
    target: Result<Arc<Partition>, i16>,
}

/// What one read produced.
#[derive(Default)]
struct Read {
    error: i16,
    records: Bytes,
    high_watermark: i64,
    log_start_offset: i64,
}

pub(super) async fn handle(broker: &Broker, req: FetchRequest, version: i16) -> FetchResponse {
    if version >= 7 && req.session_id != 0 {
        // We never hand out sessions, so a client cannot hold one of ours.
        return FetchResponse::default()
            .with_error_code(ResponseError::FetchSessionIdNotFound.code())
            .with_session_id(0);
    }
    let by_id = version >= 13;
    let mut names: Vec<(TopicName, Uuid)> = Vec::with_capacity(req.topics.len());
    let mut slots = Vec::new();
    for topic in req.topics {
        let info = if by_id {
            broker.log().topic_by_id(topic.topic_id)
        } else {
            broker.log().topic(&topic.topic)
        };
        let unknown = if by_id {
            ResponseError::UnknownTopicId.code()
        } else {
            ResponseError::UnknownTopicOrPartition.code()
        };
        let t = names.len();
        names.push((topic.topic, topic.topic_id));
        for p in topic.partitions {
            let target = match &info {
                None => Err(unknown),
                Some(info) => match epoch_error(p.current_leader_epoch) {
                    Some(code) => Err(code),
                    None => broker
                        .log()
                        .partition(&info.name, p.partition)
                        .map_err(|e| log_error_code(&e)),
                },
            };
            slots.push(Slot {
                topic: t,
                index: p.partition,
                offset: p.fetch_offset,
                max_bytes: usize::try_from(p.partition_max_bytes).unwrap_or(0),
                target,
            });
        }
    }
    let slots = Arc::new(slots);
    let max_bytes = usize::try_from(req.max_bytes).unwrap_or(0);
    let min_bytes = usize::try_from(req.min_bytes).unwrap_or(0);
    let deadline =
        Instant::now() + Duration::from_millis(u64::try_from(req.max_wait_ms).unwrap_or(0));
    let reads = loop {
        // Listen before reading, so an append between the read and the wait
        // still wakes us.
        let listeners: Vec<_> = slots
            .iter()
            .filter_map(|s| s.target.as_ref().ok())
            .map(|p| Box::pin(p.listen()))
            .collect();
        let s = slots.clone();
        let reads = match blocking(move || Ok(read_all(&s, max_bytes))).await {
            Ok(r) => r,
            Err(e) => {
                tracing::error!(error = %e, "fetch read task failed");
                slots.iter().map(|_| error_read(&e)).collect()
            }
        };
        let bytes: usize = reads.iter().map(|r| r.records.len()).sum();
        let errors = reads.iter().any(|r| r.error != 0);
        let now = Instant::now();
        if bytes >= min_bytes || errors || now >= deadline || listeners.is_empty() {
            break reads;
        }
        // Nothing yet (or too little): wait for an append or the deadline.
        let _ = tokio::time::timeout(deadline - now, select_all(listeners)).await;
    };
    let isolation_committed = req.isolation_level == 1;
    let mut topics: Vec<FetchableTopicResponse> = names
        .into_iter()
        .map(|(name, id)| {
            FetchableTopicResponse::default()
                .with_topic(if by_id { Default::default() } else { name })
                .with_topic_id(id)
        })
        .collect();
    for (slot, read) in slots.iter().zip(reads) {
        let data = PartitionData::default()
            .with_partition_index(slot.index)
            .with_error_code(read.error)
            .with_high_watermark(read.high_watermark)
            // No transactions: everything below the high watermark is stable.
            .with_last_stable_offset(read.high_watermark)
            .with_log_start_offset(read.log_start_offset)
            .with_aborted_transactions(isolation_committed.then(Vec::new))
            .with_preferred_read_replica(kafka_protocol::messages::BrokerId(-1))
            .with_records(Some(read.records));
        if let Some(t) = topics.get_mut(slot.topic) {
            t.partitions.push(data);
        }
    }
    FetchResponse::default()
        .with_session_id(0)
        .with_responses(topics)
}

/// FENCED_LEADER_EPOCH / UNKNOWN_LEADER_EPOCH for a client whose idea of the
/// leader epoch differs from the constant one this node uses (−1 skips the check).
pub(crate) fn epoch_error(current_leader_epoch: i32) -> Option<i16> {
    use std::cmp::Ordering::*;
    if current_leader_epoch < 0 {
        return None;
    }
    match current_leader_epoch.cmp(&LEADER_EPOCH) {
        Less => Some(ResponseError::FencedLeaderEpoch.code()),
        Greater => Some(ResponseError::UnknownLeaderEpoch.code()),
        Equal => None,
    }
}

fn error_read(e: &LogError) -> Read {
    Read {
        error: log_error_code(e),
        high_watermark: -1,
        log_start_offset: -1,
        ..Read::default()
    }
}

/// Reads every slot within the response budget. The first partition with
/// data returns at least one whole batch even if larger than the limits
/// (KIP-74); later ones only what still fits.
fn read_all(slots: &[Slot], max_bytes: usize) -> Vec<Read> {
    let mut budget = max_bytes;
    let mut got_any = false;
    slots
        .iter()
        .map(|slot| {
            let partition = match &slot.target {
                Ok(p) => p,
                Err(code) => {
                    return Read {
                        error: *code,
                        high_watermark: -1,
                        log_start_offset: -1,
                        ..Read::default()
                    };
                }
            };
            let limit = slot.max_bytes.min(budget);
            if got_any && limit == 0 {
                return Read {
                    high_watermark: partition.high_watermark(),
                    log_start_offset: partition.log_start_offset(),
                    ..Read::default()
                };
            }
            match partition.read(slot.offset, limit) {
                Ok(r) => {
                    let mut records = r.records;
                    if got_any && records.len() > budget {
                        records = Bytes::new();
                    }
                    budget = budget.saturating_sub(records.len());
                    got_any |= !records.is_empty();
                    Read {
                        error: 0,
                        records,
                        high_watermark: r.high_watermark,
                        log_start_offset: r.log_start_offset,
                    }
                }
                Err(e) => Read {
                    error: log_error_code(&e),
                    records: Bytes::new(),
                    high_watermark: partition.high_watermark(),
                    log_start_offset: partition.log_start_offset(),
                },
            }
        })
        .collect()
}
