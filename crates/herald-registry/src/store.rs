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
    let raw = match reader.read_to_end_within(timeout).await {
        Ok(raw) => raw,
        Err(e) => {
            if let Err(e) = reader.close().await {
                tracing::warn!(error = %e, "closing the schemas reader");
            }
            return Err(store_error(e));
        }
    };
    let after_last = raw.last().map_or(0, |r| r.offset + 1);
    // Past any offsets without a record (compacted away at the end).
    let next_offset = reader
        .position()
        .await
        .map_or(after_last, |p| p.max(after_last));
    let mut state = State::new();
    let skipped = raw.iter().filter(|r| !apply_raw(&mut state, r)).count();
    Ok((
        Replayed {
            state,
            records: raw.len(),
            skipped,
            next_offset,
        },
        reader,
    ))
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
