//! The durable half of the registry: `_schemas` on a Kafka cluster.

use herald_client::ClientError;
use herald_client::transport::{
    KafkaConfig, PartitionReader, RawProducer, TopicSpec, ensure_topic,
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
}

impl KafkaStore {
    /// Creates the topic if it is missing, replays it into a fresh state,
    /// and connects the producer that appends to it.
    pub async fn open(config: &Config) -> Result<(KafkaStore, Replayed), RegistryError> {
        let created = ensure_topic(&config.kafka, &TopicSpec::compacted(config.topic.clone()))
            .await
            .map_err(store_error)?;
        if created {
            tracing::info!(topic = config.topic, "created the schemas topic");
        }
        let replayed = replay(&config.kafka, &config.topic, config.init_timeout).await?;
        let producer = RawProducer::connect(&config.kafka).map_err(store_error)?;
        Ok((
            KafkaStore {
                producer,
                topic: config.topic.clone(),
            },
            replayed,
        ))
    }

    /// Appends records in order, each acknowledged (acks=all) before the next
    /// is sent, so a failure leaves a prefix written and nothing after it.
    pub async fn append(&self, records: &[Record]) -> Result<(), RegistryError> {
        for record in records {
            let (key, value) = record.encode();
            self.producer
                .send(&self.topic, Some(0), Some(&key), value.as_deref())
                .await
                .map_err(store_error)?;
        }
        Ok(())
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
) -> Result<Replayed, RegistryError> {
    let mut reader = PartitionReader::open(kafka, topic, 0, 0)
        .await
        .map_err(store_error)?;
    let raw = reader.read_to_end_within(timeout).await;
    if let Err(e) = reader.close().await {
        tracing::warn!(error = %e, "closing the schemas reader");
    }
    let raw = raw.map_err(store_error)?;
    let mut state = State::new();
    let mut skipped = 0;
    for r in &raw {
        let Some(key) = &r.key else {
            skipped += 1;
            continue;
        };
        match Record::decode(key, r.value.as_deref()) {
            Ok(record) => state.apply(&record),
            Err(e) => {
                skipped += 1;
                tracing::warn!(offset = r.offset, error = %e, "skipping a record of the schemas topic");
            }
        }
    }
    Ok(Replayed {
        state,
        records: raw.len(),
        skipped,
    })
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
