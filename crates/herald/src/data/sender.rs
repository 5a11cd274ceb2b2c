//! The producer behind `herald produce`: raw key, value and headers, with
//! `acks=all` and idempotence, so an acknowledged line is durable and a
//! retried send is written once.
//!
//! Written on the `confluent-kafka` crate here because herald-client's raw
//! producer sends no headers and its typed one encodes a Rust type, not a
//! line the CLI has already encoded.

use std::collections::HashMap;

use anyhow::Context;
use confluent_kafka::common::header::{RecordHeader, RecordHeaders};
use confluent_kafka::common::serialization::ByteArraySerializer;
use confluent_kafka::producer::{KafkaProducer, Producer, ProducerConfig, ProducerRecord};
use herald_client::transport::KafkaConfig;

/// A record header: a name and a value, which Kafka allows to be absent.
pub(crate) type Header = (String, Option<Vec<u8>>);

/// Sends records of raw bytes.
pub(crate) struct RecordSender {
    inner: KafkaProducer<Vec<u8>, Vec<u8>>,
}

impl std::fmt::Debug for RecordSender {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RecordSender").finish_non_exhaustive()
    }
}

impl RecordSender {
    /// The producer for `config` (it connects on the first send).
    pub fn connect(config: &KafkaConfig) -> anyhow::Result<RecordSender> {
        let mut props: HashMap<String, String> = HashMap::new();
        props.insert("bootstrap.servers".to_owned(), config.bootstrap.clone());
        props.insert("client.id".to_owned(), config.client_id.clone());
        for (k, v) in &config.properties {
            props.insert(k.clone(), v.clone());
        }
        // What the CLI promises: a line reported as sent is on disk once.
        for (k, v) in [
            ("acks", "all"),
            ("enable.idempotence", "true"),
            ("max.in.flight.requests.per.connection", "5"),
        ] {
            props.insert(k.to_owned(), v.to_owned());
        }
        let producer_config =
            ProducerConfig::new(&props).map_err(|e| anyhow::anyhow!("Kafka producer: {e}"))?;
        let inner = KafkaProducer::new(
            producer_config,
            ByteArraySerializer::new(),
            ByteArraySerializer::new(),
        )
        .map_err(|e| anyhow::anyhow!("Kafka producer: {e}"))?;
        Ok(RecordSender { inner })
    }

    /// Hands one record to the producer and returns what resolves once the
    /// broker acknowledged it; a `value` of `None` is a tombstone. Records
    /// handed over one after the other keep that order in a partition.
    pub async fn submit(
        &self,
        topic: &str,
        key: Option<&[u8]>,
        value: Option<&[u8]>,
        headers: Vec<Header>,
    ) -> anyhow::Result<impl std::future::Future<Output = anyhow::Result<()>> + Send + 'static>
    {
        let headers = RecordHeaders::with_header_iter(
            headers.into_iter().map(|(k, v)| RecordHeader::new(k, v)),
        );
        let record =
            ProducerRecord::with_partition_key_headers(topic.to_owned(), None, key, value, headers)
                .map_err(|e| anyhow::anyhow!("{e}"))?;
        let pending = self
            .inner
            .send(record, None)
            .await
            .map_err(|e| anyhow::anyhow!("{e}"))?;
        Ok(async move {
            pending.get().await.map_err(|e| anyhow::anyhow!("{e}"))?;
            Ok(())
        })
    }

    /// Flushes what is in flight and closes the connections.
    pub async fn close(&self) -> anyhow::Result<()> {
        Producer::close(&self.inner)
            .await
            .map_err(|e| anyhow::anyhow!("{e}"))
            .context("closing the producer")
    }
}
