//! The typed layer's use of the `confluent-kafka` crate: one place that
//! builds producers and consumers and converts headers.

use confluent_kafka::common::header::{Header, Headers, RecordHeader, RecordHeaders};
use confluent_kafka::common::serialization::{ByteArrayDeserializer, ByteArraySerializer};
use confluent_kafka::consumer::{ConsumerConfig, KafkaConsumer};
use confluent_kafka::producer::{KafkaProducer, ProducerConfig, ProducerRecord};

use crate::ClientError;
use crate::transport::KafkaConfig;

pub(crate) type BytesProducer = KafkaProducer<Vec<u8>, Vec<u8>>;
pub(crate) type BytesConsumer = KafkaConsumer<Vec<u8>, Vec<u8>>;

/// Record headers as (name, value) pairs, in record order.
pub type HeaderList = Vec<(String, Vec<u8>)>;

/// Producer properties herald-client sets unless the [`KafkaConfig`] sets
/// them. The Java client's `batch.size` of 16 KiB makes a produce request
/// carry a few hundred small records, so a busy topic pays a broker round
/// trip (and, on Herald, a flush) per 16 KiB; librdkafka batches up to
/// 1,000,000 bytes for the same reason. The buffer grows with it so that
/// 64 partitions can fill a batch at once before a send waits for memory.
pub(crate) const PRODUCER_DEFAULTS: &[(&str, &str)] = &[
    ("batch.size", "1048576"),
    ("buffer.memory", "67108864"),
    ("linger.ms", "5"),
];

/// An idempotent `acks=all` producer: an acknowledged record is durable and
/// a retried send is written once.
pub(crate) fn producer(config: &KafkaConfig) -> Result<BytesProducer, ClientError> {
    let mut forced = vec![
        ("acks", "all"),
        ("enable.idempotence", "true"),
        ("max.in.flight.requests.per.connection", "5"),
    ];
    for (key, value) in PRODUCER_DEFAULTS {
        if !config.properties.contains_key(*key) {
            forced.push((key, value));
        }
    }
    let props = config.props(&forced)?;
    let producer_config =
        ProducerConfig::new(&props).map_err(|e| ClientError::config(e.to_string()))?;
    KafkaProducer::new(
        producer_config,
        ByteArraySerializer::new(),
        ByteArraySerializer::new(),
    )
    .map_err(|e| ClientError::config(e.to_string()))
}

/// A KIP-848 consumer; `group` `None` makes a group-less consumer that is
/// assigned partitions by the caller and never commits.
pub(crate) fn consumer(
    config: &KafkaConfig,
    group: Option<&str>,
    from_latest: bool,
) -> Result<BytesConsumer, ClientError> {
    let reset = if from_latest { "latest" } else { "earliest" };
    let mut forced = vec![
        ("group.protocol", "consumer"),
        ("enable.auto.commit", "false"),
        ("auto.offset.reset", reset),
    ];
    if let Some(g) = group {
        forced.push(("group.id", g));
    }
    let props = config.props(&forced)?;
    let consumer_config =
        ConsumerConfig::new(&props).map_err(|e| ClientError::config(e.to_string()))?;
    KafkaConsumer::new(
        consumer_config,
        ByteArrayDeserializer::new(),
        ByteArrayDeserializer::new(),
    )
    .map_err(|e| ClientError::config(e.to_string()))
}

pub(crate) fn to_record_headers(headers: &[(String, Vec<u8>)]) -> RecordHeaders {
    RecordHeaders::with_header_iter(
        headers
            .iter()
            .map(|(k, v)| RecordHeader::new(k.clone(), Some(v.clone()))),
    )
}

pub(crate) fn from_record_headers(headers: &RecordHeaders) -> HeaderList {
    headers
        .iter()
        .map(|h| {
            (
                h.key().to_owned(),
                h.value().map(<[u8]>::to_vec).unwrap_or_default(),
            )
        })
        .collect()
}

/// The last value of header `name`.
pub fn header<'a>(headers: &'a [(String, Vec<u8>)], name: &str) -> Option<&'a [u8]> {
    headers
        .iter()
        .rev()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.as_slice())
}

/// Where an acknowledged record landed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Sent {
    /// The partition.
    pub partition: i32,
    /// The record's offset.
    pub offset: i64,
}

/// A record handed to the producer and not yet acknowledged.
pub(crate) type Pending =
    confluent_kafka::common::KafkaFuture<confluent_kafka::producer::RecordMetadata>;

/// Hands one record to the producer's batching; the returned future
/// resolves when the broker acknowledged it.
pub(crate) async fn submit(
    producer: &BytesProducer,
    topic: &str,
    partition: Option<i32>,
    key: Option<&[u8]>,
    value: Option<&[u8]>,
    headers: &[(String, Vec<u8>)],
) -> Result<Pending, ClientError> {
    submit_record(
        producer,
        topic,
        partition,
        key,
        value,
        to_record_headers(headers),
    )
    .await
}

/// [`submit`] with the headers already built, so none is copied again.
pub(crate) async fn submit_record(
    producer: &BytesProducer,
    topic: &str,
    partition: Option<i32>,
    key: Option<&[u8]>,
    value: Option<&[u8]>,
    headers: RecordHeaders,
) -> Result<Pending, ClientError> {
    let record = ProducerRecord::with_partition_key_headers(
        topic.to_owned(),
        partition,
        key,
        value,
        headers,
    )
    .map_err(|e| ClientError::config(e.to_string()))?;
    producer
        .send(record, None)
        .await
        .map_err(|e| ClientError::kafka(format!("send to {topic}"), e))
}

/// Waits for a submitted record's acknowledgement.
pub(crate) async fn acknowledged(pending: Pending, topic: &str) -> Result<Sent, ClientError> {
    let metadata = pending
        .get()
        .await
        .map_err(|e| ClientError::kafka(format!("send to {topic}"), e))?;
    Ok(Sent {
        partition: metadata.partition(),
        offset: metadata.offset(),
    })
}
