//! Reading one partition without a consumer group.

use std::time::{Duration, Instant};

use confluent_kafka::common::TopicPartition;
use confluent_kafka::common::serialization::ByteArrayDeserializer;
use confluent_kafka::consumer::{Consumer, ConsumerConfig, KafkaConsumer};

use super::KafkaConfig;
use crate::ClientError;

/// One record as stored: its offset, key and value (`None` for a tombstone).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RawRecord {
    /// The record's offset in its partition.
    pub offset: i64,
    /// The key, if any.
    pub key: Option<Vec<u8>>,
    /// The value; `None` is a tombstone.
    pub value: Option<Vec<u8>>,
}

/// A consumer without a group, assigned to one partition: it never commits
/// offsets and never joins a group, so any number of readers can read the
/// same partition independently.
pub struct PartitionReader {
    consumer: KafkaConsumer<Vec<u8>, Vec<u8>>,
    partition: TopicPartition,
    operation: String,
}

impl std::fmt::Debug for PartitionReader {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PartitionReader")
            .field("partition", &self.operation)
            .finish_non_exhaustive()
    }
}

impl PartitionReader {
    /// Assigns `topic`/`partition` and positions the reader at `from` (an
    /// offset before the log start reads from the log start).
    pub async fn open(
        config: &KafkaConfig,
        topic: &str,
        partition: i32,
        from: i64,
    ) -> Result<PartitionReader, ClientError> {
        let props = config.props(&[
            ("group.protocol", "consumer"),
            ("enable.auto.commit", "false"),
            ("auto.offset.reset", "earliest"),
            ("isolation.level", "read_uncommitted"),
        ])?;
        let consumer_config = ConsumerConfig::new(&props).map_err(|e| ClientError::Config {
            reason: e.to_string(),
        })?;
        let mut consumer = KafkaConsumer::new(
            consumer_config,
            ByteArrayDeserializer::new(),
            ByteArrayDeserializer::new(),
        )
        .map_err(|e| ClientError::Config {
            reason: e.to_string(),
        })?;
        let tp = TopicPartition::new(topic, partition);
        let operation = format!("read {topic}-{partition}");
        consumer
            .assign(vec![tp.clone()])
            .await
            .map_err(|e| ClientError::kafka(operation.clone(), e))?;
        if from <= 0 {
            consumer
                .seek_to_beginning(std::slice::from_ref(&tp))
                .await
                .map_err(|e| ClientError::kafka(operation.clone(), e))?;
        } else {
            consumer
                .seek_with_offset(tp.clone(), from)
                .await
                .map_err(|e| ClientError::kafka(operation.clone(), e))?;
        }
        Ok(PartitionReader {
            consumer,
            partition: tp,
            operation,
        })
    }

    /// The partition's end offset (the offset the next record will get).
    pub async fn end_offset(&mut self) -> Result<i64, ClientError> {
        let ends = self
            .consumer
            .end_offsets(std::slice::from_ref(&self.partition))
            .await
            .map_err(|e| ClientError::kafka(self.operation.clone(), e))?;
        Ok(ends.get(&self.partition).copied().unwrap_or(0))
    }

    /// The offset of the next record this reader will return.
    pub async fn position(&mut self) -> Result<i64, ClientError> {
        self.consumer
            .position(&self.partition)
            .await
            .map_err(|e| ClientError::kafka(self.operation.clone(), e))
    }

    /// Waits up to `timeout` for records and returns those that came (maybe none).
    pub async fn poll(&mut self, timeout: Duration) -> Result<Vec<RawRecord>, ClientError> {
        let records = self
            .consumer
            .poll(timeout)
            .await
            .map_err(|e| ClientError::kafka(self.operation.clone(), e))?;
        Ok(records
            .into_iter()
            .map(|r| RawRecord {
                offset: r.offset(),
                key: r.key().cloned(),
                value: r.value().cloned(),
            })
            .collect())
    }

    /// Reads every record from the current position up to the end offset as
    /// it was when called; gives up after `timeout` without progress.
    pub async fn read_to_end_within(
        &mut self,
        timeout: Duration,
    ) -> Result<Vec<RawRecord>, ClientError> {
        let end = self.end_offset().await?;
        let mut out = Vec::new();
        let mut last_progress = Instant::now();
        while self.position().await? < end {
            let batch = self.poll(Duration::from_millis(200)).await?;
            if batch.is_empty() {
                if last_progress.elapsed() > timeout {
                    return Err(ClientError::Timeout {
                        operation: format!("{} to offset {end}", self.operation),
                        millis: timeout.as_millis(),
                    });
                }
                continue;
            }
            last_progress = Instant::now();
            out.extend(batch);
        }
        Ok(out)
    }

    /// [`read_to_end_within`](Self::read_to_end_within) with a 60 s stall limit
    /// (Confluent's `kafkastore.init.timeout.ms`).
    pub async fn read_to_end(&mut self) -> Result<Vec<RawRecord>, ClientError> {
        self.read_to_end_within(Duration::from_secs(60)).await
    }

    /// Leaves the partition and closes the connections.
    pub async fn close(mut self) -> Result<(), ClientError> {
        self.consumer
            .close()
            .await
            .map_err(|e| ClientError::kafka(self.operation.clone(), e))
    }
}
