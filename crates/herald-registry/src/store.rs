//! The durable half of the registry: `_schemas` on a Kafka cluster.

use herald_client::ClientError;
use herald_client::transport::{
    KafkaConfig, PartitionReader, RawProducer, RawRecord, TopicSpec, ensure_topic,
};

use crate::record::Record;
use crate::{Config, RegistryError, State};

/// Appends records to `_schemas` (one partition, compacted) and replays it.
#[derive(Debug)]
pub struct KafkaStore {
    producer: RawProducer,
    topic: String,
}

/// What a replay found.
#[derive(Debug)]
pub struct Replayed {
    /// The state the records build.
    pub state: State,
    /// Records read.
    pub records: usize,
    /// Records skipped because they are not registry records.
    pub skipped: usize,
    /// The offset after the last record read: where tailing goes on.
    pub next_offset: i64,
}

impl KafkaStore {
    /// Creates the topic if it is missing, replays it into a fresh state,
    /// and connects the producer that appends to it. With an election
    /// configured, the reader that replayed is handed back to go on
    /// tailing; otherwise it is closed.
    pub async fn open(
        config: &Config,
    ) -> Result<(KafkaStore, Replayed, Option<PartitionReader>), RegistryError> {
        let created = ensure_topic(&config.kafka, &TopicSpec::compacted(config.topic.clone()))
            .await
            .map_err(store_error)?;
        if created {
            tracing::info!(topic = config.topic, "created the schemas topic");
        }
        let (replayed, reader) = replay(&config.kafka, &config.topic, config.init_timeout).await?;
        let reader = if config.election.is_some() {
            Some(reader)
        } else {
            if let Err(e) = reader.close().await {
                tracing::warn!(error = %e, "closing the schemas reader");
            }
            None
        };
        let producer = RawProducer::connect(&config.kafka).map_err(store_error)?;
        Ok((
            KafkaStore {
                producer,
                topic: config.topic.clone(),
            },
            replayed,
            reader,
        ))
    }

    /// Appends records in order, each acknowledged (acks=all) before the next
    /// is sent, so a failure leaves a prefix written and nothing after it.
    /// Returns the offset of each record.
    pub async fn append(&self, records: &[Record]) -> Result<Vec<i64>, RegistryError> {
        let mut offsets = Vec::with_capacity(records.len());
        for record in records {
            let (key, value) = record.encode();
            let delivery = self
                .producer
                .send(&self.topic, Some(0), Some(&key), value.as_deref())
                .await
                .map_err(store_error)?;
            offsets.push(delivery.offset);
        }
        Ok(offsets)
    }

    /// Flushes and closes the producer.
    pub async fn close(&self) {
        if let Err(e) = self.producer.close().await {
            tracing::warn!(error = %e, "closing the schemas producer");
        }
    }
}

async fn replay(
    kafka: &KafkaConfig,
    topic: &str,
    timeout: std::time::Duration,
) -> Result<(Replayed, PartitionReader), RegistryError> {
    let mut reader = PartitionReader::open(kafka, topic, 0, 0)
        .await
        .map_err(store_error)?;
    match replay_into(&mut reader, topic, timeout).await {
        Ok(replayed) => Ok((replayed, reader)),
        Err(e) => {
            if let Err(e) = reader.close().await {
                tracing::warn!(error = %e, "closing the schemas reader");
            }
            Err(e)
        }
    }
}

/// Applies each polled batch as it comes rather than collecting the whole
/// topic first: the raw records of a large `_schemas` never sit in memory
/// all at once next to the state they build, which keeps the peak, and so
/// the resident size the allocator keeps afterwards, down.
async fn replay_into(
    reader: &mut PartitionReader,
    topic: &str,
    timeout: std::time::Duration,
) -> Result<Replayed, RegistryError> {
    let end = reader.end_offset().await.map_err(store_error)?;
    let mut state = State::new();
    let (mut records, mut skipped, mut after_last) = (0, 0, 0);
    let mut last_progress = std::time::Instant::now();
    while reader.position().await.map_err(store_error)? < end {
        let batch = reader
            .poll(std::time::Duration::from_millis(200))
            .await
            .map_err(store_error)?;
        if batch.is_empty() {
            if last_progress.elapsed() > timeout {
                return Err(RegistryError::Timeout {
                    reason: format!(
                        "reading {topic} to offset {end} made no progress for {} ms",
                        timeout.as_millis()
                    ),
                });
            }
            continue;
        }
        last_progress = std::time::Instant::now();
        for r in &batch {
            records += 1;
            after_last = r.offset + 1;
            if !apply_raw(&mut state, r) {
                skipped += 1;
            }
        }
    }
    // Past any offsets without a record (compacted away at the end).
    let next_offset = reader
        .position()
        .await
        .map_or(after_last, |p| p.max(after_last));
    Ok(Replayed {
        state,
        records,
        skipped,
        next_offset,
    })
}

/// Applies one record read from `_schemas`; false (and a log line) when it
/// is not a registry record.
pub(crate) fn apply_raw(state: &mut State, r: &RawRecord) -> bool {
    let Some(key) = &r.key else {
        return false;
    };
    match Record::decode(key, r.value.as_deref()) {
        Ok(record) => {
            state.apply(&record);
            true
        }
        Err(e) => {
            tracing::warn!(offset = r.offset, error = %e, "skipping a record of the schemas topic");
            false
        }
    }
}

fn store_error(e: ClientError) -> RegistryError {
    match e {
        ClientError::Timeout { .. } => RegistryError::Timeout {
            reason: e.to_string(),
        },
        other => RegistryError::Store {
            reason: other.to_string(),
        },
    }
}
