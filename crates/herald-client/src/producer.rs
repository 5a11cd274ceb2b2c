//! [`Producer<T>`]: sends values of one type to one topic, each checked
//! against the contract the type was bound to at construction.

use std::sync::Arc;

use serde::Serialize;

use confluent_kafka::common::header::{RecordHeader, RecordHeaders};

use crate::kafka::{self, BytesProducer, HeaderList, Pending, Sent};
use crate::registry::{Normalize, SchemaRegistryClient};
use crate::serdes::{
    Binding, BoundTopic, IdLocation, SchemaSelection, SchemaSource, Serializer, SerializerConfig,
};
use crate::subject::SubjectNameStrategy;
use crate::transport::KafkaConfig;
use crate::{ClientError, headers};

/// Sends `T`s to one topic. The schema is bound when the producer is
/// built — a type that does not fit the subject fails there, with the
/// registry's findings — and every send after that encodes without a
/// registry round trip. Cloning is cheap; clones share one connection.
///
/// Guarantees: a send resolves once the broker acknowledged the record
/// with `acks=all`; the producer is idempotent, so retries write once;
/// records sent from one task to one partition keep their order.
///
/// Throughput: [`send`](Self::send) waits for each record, so one task
/// sends one record per broker round trip. To keep many in flight,
/// [`submit`](Self::submit) records and await their [`PendingSend`]s later.
/// Unless the [`KafkaConfig`] sets them, the producer batches like
/// librdkafka rather than like the Java client: `batch.size` 1 MiB,
/// `buffer.memory` 64 MiB, `linger.ms` 5.
pub struct Producer<T> {
    kafka: Arc<BytesProducer>,
    serializer: Serializer<T>,
    bound: BoundTopic,
    binding: Binding,
    // Shared with every `PendingSend`, so a send copies no topic name.
    topic: Arc<str>,
    message_ids: bool,
}

impl<T> Clone for Producer<T> {
    fn clone(&self) -> Self {
        Producer {
            kafka: self.kafka.clone(),
            serializer: self.serializer.clone(),
            bound: self.bound.clone(),
            binding: self.binding.clone(),
            topic: self.topic.clone(),
            message_ids: self.message_ids,
        }
    }
}

impl<T> std::fmt::Debug for Producer<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Producer")
            .field("topic", &self.topic)
            .field("binding", &self.binding)
            .finish_non_exhaustive()
    }
}

/// One record to send: the value plus optional key, headers and partition.
#[derive(Debug)]
pub struct Message<'a, T> {
    value: &'a T,
    key: Option<&'a [u8]>,
    headers: HeaderList,
    partition: Option<i32>,
}

impl<'a, T> Message<'a, T> {
    /// A record with `value` and nothing else.
    pub fn new(value: &'a T) -> Self {
        Message {
            value,
            key: None,
            headers: Vec::new(),
            partition: None,
        }
    }

    /// Sets the key (raw bytes; it picks the partition).
    pub fn key(mut self, key: &'a [u8]) -> Self {
        self.key = Some(key);
        self
    }

    /// Adds a header.
    pub fn header(mut self, name: impl Into<String>, value: impl Into<Vec<u8>>) -> Self {
        self.headers.push((name.into(), value.into()));
        self
    }

    /// Sends to this partition instead of the partitioner's choice.
    pub fn partition(mut self, partition: i32) -> Self {
        self.partition = Some(partition);
        self
    }
}

/// A record handed to the producer, not yet acknowledged: await
/// [`acknowledged`](PendingSend::acknowledged). Submitting many before
/// awaiting any lets the producer batch them.
///
/// Dropping it does not cancel the send: the record is written (or fails)
/// all the same, only its outcome goes unobserved.
#[derive(Debug)]
pub struct PendingSend {
    pending: Pending,
    topic: Arc<str>,
}

impl PendingSend {
    /// Waits for the broker's acknowledgement.
    pub async fn acknowledged(self) -> Result<Sent, ClientError> {
        kafka::acknowledged(self.pending, &self.topic).await
    }
}

impl<T: Serialize> Producer<T> {
    /// Starts building a producer of `T` to `topic`.
    pub fn builder(
        cluster: &KafkaConfig,
        registry: &SchemaRegistryClient,
        topic: impl Into<String>,
    ) -> ProducerBuilder<T> {
        ProducerBuilder {
            cluster: cluster.clone(),
            registry: registry.clone(),
            topic: topic.into(),
            source: None,
            config: SerializerConfig::default(),
            message_ids: true,
            _type: std::marker::PhantomData,
        }
    }

    /// The subject and schema id the producer writes with.
    pub fn binding(&self) -> &Binding {
        &self.binding
    }

    /// The topic it sends to.
    pub fn topic(&self) -> &str {
        &self.topic
    }

    /// Sends `value` and waits for the acknowledgement. One record at a
    /// time: to keep many in flight, use [`submit`](Self::submit).
    pub async fn send(&self, value: &T) -> Result<Sent, ClientError> {
        self.send_message(Message::new(value)).await
    }

    /// Sends a record with key, headers or partition, and waits.
    pub async fn send_message(&self, message: Message<'_, T>) -> Result<Sent, ClientError> {
        self.submit(message).await?.acknowledged().await
    }

    /// Encodes the record and hands it to the producer's batching without
    /// waiting for the broker; the returned [`PendingSend`] reports this
    /// record's outcome. The await only waits when the producer must: for
    /// the topic's metadata on the first send, or for buffer memory while
    /// `buffer.memory` bytes are unacknowledged (backpressure).
    ///
    /// Records submitted one after another to one partition are written in
    /// that order. An error here (the value does not encode, the producer is
    /// closed) means the record was not sent.
    pub async fn submit(&self, message: Message<'_, T>) -> Result<PendingSend, ClientError> {
        let encoded = self
            .serializer
            .encode_bound(&self.bound, &self.topic, message.value)?;
        let stamp =
            self.message_ids && kafka::header(&message.headers, headers::MESSAGE_ID).is_none();
        let mut headers = Vec::with_capacity(message.headers.len() + usize::from(stamp) + 1);
        headers.extend(
            message
                .headers
                .into_iter()
                .map(|(name, value)| RecordHeader::new(name, Some(value))),
        );
        if stamp {
            headers.push(RecordHeader::new(
                headers::MESSAGE_ID.to_owned(),
                Some(message_id()),
            ));
        }
        if let Some((name, value)) = encoded.header {
            headers.push(RecordHeader::new(name.to_owned(), Some(value)));
        }
        let pending = kafka::submit_record(
            &self.kafka,
            &self.topic,
            message.partition,
            message.key,
            Some(&encoded.payload),
            RecordHeaders::with_header_iter(headers),
        )
        .await?;
        Ok(PendingSend {
            pending,
            topic: self.topic.clone(),
        })
    }

    /// Waits until every submitted record is acknowledged.
    pub async fn flush(&self) -> Result<(), ClientError> {
        confluent_kafka::producer::Producer::flush(self.kafka.as_ref())
            .await
            .map_err(|e| ClientError::kafka("flush producer", e))
    }

    /// Flushes and closes the connection (for every clone).
    pub async fn close(&self) -> Result<(), ClientError> {
        confluent_kafka::producer::Producer::close(self.kafka.as_ref())
            .await
            .map_err(|e| ClientError::kafka("close producer", e))
    }
}

/// Builds a [`Producer`]; see [`Producer::builder`].
#[derive(Debug)]
pub struct ProducerBuilder<T> {
    cluster: KafkaConfig,
    registry: SchemaRegistryClient,
    topic: String,
    source: Option<SchemaSource>,
    config: SerializerConfig,
    message_ids: bool,
    _type: std::marker::PhantomData<fn(&T)>,
}

impl<T: Serialize> ProducerBuilder<T> {
    /// Uses this schema for `T`.
    pub fn schema(mut self, source: SchemaSource) -> Self {
        self.source = Some(source);
        self
    }

    /// Uses the Avro schema `#[derive(AvroSchema)]` gives `T`.
    pub fn avro(self) -> Self
    where
        T: apache_avro::AvroSchema,
    {
        self.schema(SchemaSource::avro::<T>())
    }

    /// Uses the JSON Schema `#[derive(schemars::JsonSchema)]` gives `T`.
    pub fn json(self) -> Self
    where
        T: schemars::JsonSchema,
    {
        self.schema(SchemaSource::json::<T>())
    }

    /// How the value subject is named (default: `<topic>-value`).
    pub fn strategy(mut self, strategy: SubjectNameStrategy) -> Self {
        self.config.strategy = strategy;
        self
    }

    /// Which registered schema to write with (default: auto-register).
    pub fn selection(mut self, selection: SchemaSelection) -> Self {
        self.config.selection = selection;
        self
    }

    /// Where the schema reference goes (default: payload prefix).
    pub fn id_location(mut self, location: IdLocation) -> Self {
        self.config.id_location = location;
        self
    }

    /// Whether the registry normalizes the schema on register/lookup.
    pub fn normalize(mut self, normalize: Normalize) -> Self {
        self.config.normalize = normalize;
        self
    }

    /// Validate JSON payloads before sending (default on).
    pub fn validate(mut self, validate: bool) -> Self {
        self.config.validate = validate;
        self
    }

    /// Stamp a UUIDv7 `message-id` header on every record (default on).
    pub fn message_ids(mut self, on: bool) -> Self {
        self.message_ids = on;
        self
    }

    /// Binds the schema (registering or checking it) and connects.
    pub async fn build(self) -> Result<Producer<T>, ClientError> {
        let source = self.source.ok_or_else(|| {
            ClientError::config(
                "no schema for the producer's type: call .avro(), .json() or .schema()",
            )
        })?;
        let serializer = Serializer::new(&self.registry, &source, self.config).await?;
        let binding = serializer.bind(&self.topic).await?;
        let bound = serializer.bound_topic(&self.topic).ok_or_else(|| {
            ClientError::config(format!("serializer not bound to topic {:?}", self.topic))
        })?;
        let kafka = kafka::producer(&self.cluster)?;
        Ok(Producer {
            kafka: Arc::new(kafka),
            serializer,
            bound,
            binding,
            topic: self.topic.into(),
            message_ids: self.message_ids,
        })
    }
}

/// A fresh UUIDv7 in its hyphenated text form, the `message-id` value.
///
/// The 74 random bits come from `fastrand` (a per-thread generator seeded
/// from the OS) rather than from `uuid`'s default source, which makes a
/// `getrandom` system call per id — a tenth of a send's cost. A message id
/// must be unique, not unguessable: it is no credential.
fn message_id() -> Vec<u8> {
    let millis = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX));
    let mut random = [0u8; 10];
    fastrand::fill(&mut random);
    let id = uuid::Builder::from_unix_timestamp_millis(millis, &random).into_uuid();
    let mut text = [0u8; uuid::fmt::Hyphenated::LENGTH];
    id.hyphenated().encode_lower(&mut text).as_bytes().to_vec()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn message_ids_are_distinct_uuid_v7_text() {
        let a = message_id();
        let b = message_id();
        assert_ne!(a, b);
        let parsed = uuid::Uuid::parse_str(std::str::from_utf8(&a).unwrap()).unwrap();
        assert_eq!(parsed.get_version_num(), 7);
        assert_eq!(parsed.hyphenated().to_string().as_bytes(), a.as_slice());
    }
}
