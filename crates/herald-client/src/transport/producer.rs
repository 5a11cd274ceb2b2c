//! A raw-bytes producer with the strongest delivery settings.

use confluent_kafka::common::serialization::ByteArraySerializer;
use confluent_kafka::producer::{KafkaProducer, Producer, ProducerConfig, ProducerRecord};

use super::KafkaConfig;
use crate::ClientError;

/// Where an acknowledged record landed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Delivery {
    /// The partition.
    pub partition: i32,
    /// The record's offset.
    pub offset: i64,
}

/// A producer of raw key/value bytes with `acks=all` and idempotence on, so
/// an acknowledged record is durable and a retried send is written once.
/// Sends from one task are written in the order they were made.
pub struct RawProducer {
    inner: KafkaProducer<Vec<u8>, Vec<u8>>,
}

impl std::fmt::Debug for RawProducer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RawProducer").finish_non_exhaustive()
    }
}

impl RawProducer {
    /// Builds the producer. It connects lazily, on the first send.
    pub fn connect(config: &KafkaConfig) -> Result<RawProducer, ClientError> {
        let props = config.props(&[
            ("acks", "all"),
            ("enable.idempotence", "true"),
            ("max.in.flight.requests.per.connection", "5"),
        ])?;
        let producer_config = ProducerConfig::new(&props).map_err(|e| ClientError::Config {
            reason: e.to_string(),
        })?;
        let inner = KafkaProducer::new(
            producer_config,
            ByteArraySerializer::new(),
            ByteArraySerializer::new(),
        )
        .map_err(|e| ClientError::Config {
            reason: e.to_string(),
        })?;
        Ok(RawProducer { inner })
    }

    /// Sends one record and waits for its acknowledgement. A `value` of
    /// `None` is a tombstone; `partition` `None` lets the partitioner choose.
    pub async fn send(
        &self,
        topic: &str,
        partition: Option<i32>,
        key: Option<&[u8]>,
        value: Option<&[u8]>,
    ) -> Result<Delivery, ClientError> {
        let operation = || format!("send to {topic}");
        let record = ProducerRecord::with_partition_key(topic.to_owned(), partition, key, value)
            .map_err(|e| ClientError::Config {
                reason: e.to_string(),
            })?;
        let pending = self
            .inner
            .send(record, None)
            .await
            .map_err(|e| ClientError::kafka(operation(), e))?;
        let metadata = pending
            .get()
            .await
            .map_err(|e| ClientError::kafka(operation(), e))?;
        Ok(Delivery {
            partition: metadata.partition(),
            offset: metadata.offset(),
        })
    }

    /// Flushes what is in flight and closes the connections.
    pub async fn close(&self) -> Result<(), ClientError> {
        Producer::close(&self.inner)
            .await
            .map_err(|e| ClientError::kafka("close producer", e))
    }
}
