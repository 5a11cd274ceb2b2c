//! Reading a whole topic as a tool does (`herald consume`): every
//! partition from a chosen start, or as a member of a consumer group, with
//! each record's headers and timestamp.

use std::collections::HashMap;
use std::time::Duration;

use confluent_kafka::common::TopicPartition;
use confluent_kafka::common::header::Header;
use confluent_kafka::common::serialization::ByteArrayDeserializer;
use confluent_kafka::consumer::{Consumer, ConsumerConfig, KafkaConsumer};

use super::KafkaConfig;
use crate::ClientError;

/// Where a reader starts in each partition.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StartAt {
    /// The log start.
    Earliest,
    /// The end: only records written from now on.
    Latest,
    /// This offset in every partition (clamped by the broker's reset to the earliest).
    Offset(i64),
    /// The first record at or after this time (milliseconds since the epoch).
    Timestamp(i64),
}

/// A record with everything a tool shows about it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TailRecord {
    /// Its partition.
    pub partition: i32,
    /// Its offset.
    pub offset: i64,
    /// Its timestamp (milliseconds since the epoch).
    pub timestamp: i64,
    /// The key, if any.
    pub key: Option<Vec<u8>>,
    /// The value; `None` is a tombstone.
    pub value: Option<Vec<u8>>,
    /// The headers, in order.
    pub headers: Vec<(String, Option<Vec<u8>>)>,
}

/// A consumer over a whole topic: without a group it assigns itself every
/// partition and commits nothing; with a group it subscribes and commits
/// what it returned when asked to.
pub struct TopicReader {
    consumer: KafkaConsumer<Vec<u8>, Vec<u8>>,
    operation: String,
    grouped: bool,
}

impl std::fmt::Debug for TopicReader {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TopicReader")
            .field("operation", &self.operation)
            .finish_non_exhaustive()
    }
}

impl TopicReader {
    /// Opens a reader on `topic`. With `group`, `start` only applies where
    /// the group has no committed offset, and must be earliest or latest.
    pub async fn open(
        config: &KafkaConfig,
        topic: &str,
        group: Option<&str>,
        start: StartAt,
    ) -> Result<TopicReader, ClientError> {
        let reset = match start {
            StartAt::Latest => "latest",
            _ => "earliest",
        };
        let mut forced = vec![
            ("group.protocol", "consumer"),
            ("auto.offset.reset", reset),
            ("enable.auto.commit", "false"),
        ];
        if let Some(g) = group {
            if matches!(start, StartAt::Offset(_) | StartAt::Timestamp(_)) {
                return Err(ClientError::config(
                    "a consumer group starts from its committed offsets: use earliest or latest, or move the group's offsets first",
                ));
            }
            forced.push(("group.id", g));
        }
        let consumer_config =
            ConsumerConfig::new(&config.props(&forced)?).map_err(|e| ClientError::Config {
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
        let operation = format!("read {topic}");
        let err = |e| ClientError::kafka(operation.clone(), e);
        if group.is_some() {
            consumer
                .subscribe_with_topics(vec![topic.to_owned()])
                .await
                .map_err(err)?;
        } else {
            let partitions: Vec<TopicPartition> = consumer
                .partitions_for(topic)
                .await
                .map_err(err)?
                .iter()
                .map(|p| TopicPartition::new(topic, p.partition()))
                .collect();
            if partitions.is_empty() {
                return Err(ClientError::config(format!(
                    "topic {topic} has no partitions (does it exist?)"
                )));
            }
            consumer.assign(partitions.clone()).await.map_err(err)?;
            match start {
                StartAt::Earliest => consumer.seek_to_beginning(&partitions).await.map_err(err)?,
                StartAt::Latest => consumer.seek_to_end(&partitions).await.map_err(err)?,
                StartAt::Offset(o) => {
                    for tp in &partitions {
                        consumer
                            .seek_with_offset(tp.clone(), o.max(0))
                            .await
                            .map_err(err)?;
                    }
                }
                StartAt::Timestamp(ts) => {
                    let query: HashMap<TopicPartition, i64> =
                        partitions.iter().map(|tp| (tp.clone(), ts)).collect();
                    let found = consumer.offsets_for_times(query).await.map_err(err)?;
                    for tp in &partitions {
                        match found.get(tp).and_then(|o| o.as_ref()) {
                            Some(o) => consumer
                                .seek_with_offset(tp.clone(), o.offset())
                                .await
                                .map_err(err)?,
                            // Nothing at or after the time: wait for new records.
                            None => consumer
                                .seek_to_end(std::slice::from_ref(tp))
                                .await
                                .map_err(err)?,
                        }
                    }
                }
            }
        }
        Ok(TopicReader {
            consumer,
            operation,
            grouped: group.is_some(),
        })
    }

    /// Waits up to `timeout` for records and returns those that came.
    pub async fn poll(&mut self, timeout: Duration) -> Result<Vec<TailRecord>, ClientError> {
        let records = self
            .consumer
            .poll(timeout)
            .await
            .map_err(|e| ClientError::kafka(self.operation.clone(), e))?;
        Ok(records
            .into_iter()
            .map(|r| TailRecord {
                partition: r.partition(),
                offset: r.offset(),
                timestamp: r.timestamp(),
                key: r.key().cloned(),
                value: r.value().cloned(),
                headers: r
                    .headers()
                    .into_iter()
                    .map(|h| (h.key().to_owned(), h.value().map(<[u8]>::to_vec)))
                    .collect(),
            })
            .collect())
    }

    /// Commits the group's position up to `(partition, offset)` for each
    /// record handed out (the next offset to read); a no-op without a group.
    pub async fn commit(
        &mut self,
        topic: &str,
        next: &HashMap<i32, i64>,
    ) -> Result<(), ClientError> {
        if !self.grouped || next.is_empty() {
            return Ok(());
        }
        let offsets = next
            .iter()
            .map(|(p, o)| {
                confluent_kafka::consumer::OffsetAndMetadata::new(*o)
                    .map(|om| (TopicPartition::new(topic, *p), om))
                    .map_err(|e| ClientError::kafka(self.operation.clone(), e))
            })
            .collect::<Result<HashMap<_, _>, _>>()?;
        self.consumer
            .commit_sync_with_offsets(offsets)
            .await
            .map_err(|e| ClientError::kafka(format!("commit {}", self.operation), e))
    }

    /// Leaves the group (if any) and closes the connections.
    pub async fn close(mut self) -> Result<(), ClientError> {
        self.consumer
            .close()
            .await
            .map_err(|e| ClientError::kafka(self.operation.clone(), e))
    }
}
