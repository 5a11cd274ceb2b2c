//! Produce (key 0): append each partition's record batch as sent, with the
//! idempotent-producer checks, and answer with the assigned offsets (or, for
//! `acks=0`, not at all).
//!
//! Versions 0–2 are advertised but refused (Kafka 4 does the same, see
//! KAFKA-18659): librdkafka before 2.11.1 only enables compression when the
//! broker's range starts at 0. The `kafka-protocol` codec cannot decode them,
//! so such a request closes its connection, as it does on Kafka 4.

use std::sync::Arc;

use bytes::Bytes;
use futures_util::future::join_all;
use herald_log::{BatchHeader, LogError, Partition, TopicInfo};
use kafka_protocol::error::ResponseError;
use kafka_protocol::messages::produce_response::{
    BatchIndexAndErrorMessage, PartitionProduceResponse, TopicProduceResponse,
};
use kafka_protocol::messages::{ProduceRequest, ProduceResponse};

use super::Outcome;
use super::errors::{blocking, log_error_code, str_bytes};
use crate::Broker;
use crate::producers::{BatchMeta, PartitionProducers, Verdict};

/// The outcome of one partition's append.
struct Appended {
    base_offset: i64,
    log_append_time: i64,
    log_start_offset: i64,
    /// The partition and the offset everything below which must be durable
    /// before the batch is acknowledged.
    durable: Option<(Arc<Partition>, i64)>,
}

/// Why a partition's batch was not appended.
struct Refused {
    code: i16,
    message: String,
}

impl Refused {
    fn new(code: ResponseError, message: impl Into<String>) -> Self {
        Refused {
            code: code.code(),
            message: message.into(),
        }
    }
}

impl From<LogError> for Refused {
    fn from(e: LogError) -> Self {
        if matches!(
            e,
            LogError::Io { .. } | LogError::Poisoned { .. } | LogError::Corrupt { .. }
        ) {
            tracing::error!(error = %e, "append failed");
        }
        Refused {
            code: log_error_code(&e),
            message: e.to_string(),
        }
    }
}

/// Handles a request. With `acks=0` the client waits for nothing: success
/// sends no response, and a failure closes the connection, as Kafka does, so
/// that the client notices and refreshes its metadata. Otherwise the batches
/// are written now, in request order, and the response is deferred until
/// they are durable, so the next request can be read meanwhile and share the
/// fsync (group commit).
pub(super) async fn handle(broker: &Broker, req: ProduceRequest, version: i16) -> Outcome {
    let acks = req.acks;
    let by_id = version >= 13;
    let mut written = Vec::with_capacity(req.topic_data.len());
    for topic in req.topic_data {
        let info = if by_id {
            broker.log().topic_by_id(topic.topic_id)
        } else {
            broker.log().topic(&topic.name)
        };
        let unknown = if by_id {
            ResponseError::UnknownTopicId
        } else {
            ResponseError::UnknownTopicOrPartition
        };
        let appends = topic.partition_data.into_iter().map(|p| {
            let info = info.clone();
            async move {
                let result = match (&info, acks) {
                    (_, a) if !matches!(a, -1..=1) => Err(Refused::new(
                        ResponseError::InvalidRequiredAcks,
                        format!("acks must be -1, 0 or 1, not {a}"),
                    )),
                    (None, _) => Err(Refused::new(unknown, "unknown topic")),
                    (Some(info), _) => {
                        append_partition(broker, info, p.index, p.records.unwrap_or_default()).await
                    }
                };
                (p.index, result)
            }
        });
        let name = if by_id {
            Default::default()
        } else {
            topic.name
        };
        written.push((name, topic.topic_id, join_all(appends).await));
    }
    if acks == 0 {
        // Nobody waits for the fsync, but it must still happen: on a
        // `flush=always` topic readers see data only once it is durable.
        for (_, _, partitions) in &written {
            for (_, result) in partitions {
                if let Ok(Appended {
                    durable: Some((partition, end)),
                    ..
                }) = result
                {
                    let (partition, end) = (partition.clone(), *end);
                    tokio::task::spawn_blocking(move || {
                        if let Err(e) = partition.wait_durable(end) {
                            tracing::error!(error = %e, "fsync after an acks=0 produce failed");
                        }
                    });
                }
            }
        }
        let failed = written
            .iter()
            .flat_map(|(_, _, partitions)| partitions)
            .find_map(|(index, r)| r.as_ref().err().map(|e| (*index, e.code)));
        return match failed {
            None => Outcome::NoResponse,
            Some((index, code)) => Outcome::Close(format!(
                "acks=0 produce to partition {index} failed with error {code}"
            )),
        };
    }
    // Start every fsync wait now; they run while the connection reads on.
    let waiting: Vec<_> = written
        .into_iter()
        .map(|(name, id, partitions)| {
            let partitions: Vec<_> = partitions
                .into_iter()
                .map(|(index, result)| {
                    let wait = match &result {
                        Ok(Appended {
                            durable: Some((partition, end)),
                            ..
                        }) => {
                            let (partition, end) = (partition.clone(), *end);
                            Some(tokio::task::spawn_blocking(move || {
                                partition.wait_durable(end)
                            }))
                        }
                        _ => None,
                    };
                    (index, result, wait)
                })
                .collect();
            (name, id, partitions)
        })
        .collect();
    Outcome::Deferred(Box::pin(async move {
        let mut topics = Vec::with_capacity(waiting.len());
        for (name, id, partitions) in waiting {
            let mut responses = Vec::with_capacity(partitions.len());
            for (index, result, wait) in partitions {
                let result = match (result, wait) {
                    (Ok(appended), Some(wait)) => match wait.await {
                        Ok(Ok(())) => Ok(appended),
                        Ok(Err(e)) => Err(Refused::from(e)),
                        Err(e) => Err(Refused::new(
                            ResponseError::KafkaStorageError,
                            format!("fsync task failed: {e}"),
                        )),
                    },
                    (result, _) => result,
                };
                responses.push(partition_response(index, result, version));
            }
            topics.push(
                TopicProduceResponse::default()
                    .with_name(name)
                    .with_topic_id(id)
                    .with_partition_responses(responses),
            );
        }
        Outcome::Respond(Box::new(
            ProduceResponse::default().with_responses(topics).into(),
        ))
    }))
}

fn partition_response(
    index: i32,
    result: Result<Appended, Refused>,
    version: i16,
) -> PartitionProduceResponse {
    let r = PartitionProduceResponse::default().with_index(index);
    match result {
        Ok(a) => r
            .with_base_offset(a.base_offset)
            .with_log_append_time_ms(a.log_append_time)
            .with_log_start_offset(a.log_start_offset),
        Err(e) => {
            let r = r
                .with_error_code(e.code)
                .with_base_offset(-1)
                .with_log_append_time_ms(-1)
                .with_log_start_offset(-1);
            if version >= 8 {
                let record_errors = if e.code == ResponseError::InvalidRecord.code() {
                    vec![
                        BatchIndexAndErrorMessage::default()
                            .with_batch_index(0)
                            .with_batch_index_error_message(Some(str_bytes(&e.message))),
                    ]
                } else {
                    Vec::new()
                };
                r.with_error_message(Some(str_bytes(e.message)))
                    .with_record_errors(record_errors)
            } else {
                r
            }
        }
    }
}

async fn append_partition(
    broker: &Broker,
    topic: &TopicInfo,
    index: i32,
    records: Bytes,
) -> Result<Appended, Refused> {
    let partition = broker.log().partition(&topic.name, index)?;
    let header = BatchHeader::new(&records).ok_or_else(|| {
        Refused::new(
            ResponseError::CorruptMessage,
            format!(
                "{} bytes of records are too few for a record batch",
                records.len()
            ),
        )
    })?;
    // Kafka: produce v3+ carries exactly one batch per partition.
    if header.total_len() != Some(records.len()) {
        return Err(Refused::new(
            ResponseError::InvalidRecord,
            "a produce request must carry exactly one record batch per partition",
        ));
    }
    if header.is_transactional() {
        return Err(Refused::new(
            ResponseError::InvalidTxnState,
            "transactions are not supported by this broker",
        ));
    }
    if header.producer_id() < 0 {
        return append(partition, records).await;
    }
    // The check, the append and the bookkeeping run in one blocking task that
    // owns the partition's state lock: atomic, and finished even if this
    // request's future is dropped mid-way.
    let mut guard = broker
        .producers()
        .partition(topic.id, index)
        .lock_owned()
        .await;
    let (pid, epoch) = (header.producer_id(), header.producer_epoch());
    let (first_seq, last_seq) = (header.base_sequence(), header.last_sequence());
    let delta = i64::from(header.last_offset_delta());
    let outcome = blocking(move || {
        let state = match guard.as_mut() {
            Some(state) => state,
            None => guard.insert(PartitionProducers::rebuild(&partition)?),
        };
        let Some(header) = BatchHeader::new(&records) else {
            return Ok(Idempotent::Refused(Refused::new(
                ResponseError::CorruptMessage,
                "record batch too short",
            )));
        };
        match state.check(&header, partition.log_start_offset()) {
            Verdict::Append => {
                let info = partition.append_deferred(&records)?;
                state.record(
                    pid,
                    epoch,
                    BatchMeta {
                        first_seq,
                        last_seq,
                        first_offset: info.base_offset,
                        last_offset: info.base_offset + delta,
                    },
                );
                Ok(Idempotent::Stored(Appended {
                    base_offset: info.base_offset,
                    log_append_time: info.log_append_time.unwrap_or(-1),
                    log_start_offset: info.log_start_offset,
                    durable: Some((partition.clone(), info.last_offset + 1)),
                }))
            }
            Verdict::Duplicate(original) => {
                tracing::debug!(
                    producer_id = pid,
                    sequence = first_seq,
                    offset = original.first_offset,
                    "duplicate batch acknowledged with its original offset"
                );
                // Acknowledged like the original: once that is durable.
                Ok(Idempotent::Stored(Appended {
                    base_offset: original.first_offset,
                    log_append_time: -1,
                    log_start_offset: partition.log_start_offset(),
                    durable: Some((partition.clone(), original.last_offset + 1)),
                }))
            }
            Verdict::StaleEpoch => Ok(Idempotent::Refused(Refused::new(
                ResponseError::InvalidProducerEpoch,
                format!("producer {pid} epoch {epoch} is older than its current epoch"),
            ))),
            Verdict::OutOfOrder { expected } => Ok(Idempotent::Refused(Refused::new(
                ResponseError::OutOfOrderSequenceNumber,
                format!("producer {pid} sent sequence {first_seq} but {expected} was expected"),
            ))),
        }
    })
    .await?;
    match outcome {
        Idempotent::Stored(appended) => Ok(appended),
        Idempotent::Refused(refused) => Err(refused),
    }
}

/// What the idempotent path decided, from inside its blocking task.
enum Idempotent {
    Stored(Appended),
    Refused(Refused),
}

/// Writes the batch; its durability is waited for by the caller.
async fn append(partition: Arc<Partition>, records: Bytes) -> Result<Appended, Refused> {
    let p = partition.clone();
    let info = blocking(move || p.append_deferred(&records)).await?;
    Ok(Appended {
        base_offset: info.base_offset,
        log_append_time: info.log_append_time.unwrap_or(-1),
        log_start_offset: info.log_start_offset,
        durable: Some((partition, info.last_offset + 1)),
    })
}
