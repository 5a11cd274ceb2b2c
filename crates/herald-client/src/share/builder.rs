//! [`ShareConsumerBuilder`]: the settings of a share consumer, and the
//! start of its tasks.

use std::collections::{BTreeSet, HashMap};
use std::marker::PhantomData;
use std::sync::Arc;
use std::time::Duration;

use parking_lot::Mutex;
use serde::de::DeserializeOwned;
use tokio::sync::{Notify, mpsc, watch};

use super::acks::InFlight;
use super::cluster::Cluster;
use super::fetcher::Fetcher;
use super::inflate::DEFAULT_MAX_INFLATED;
use super::membership::Member;
use super::message::AckMode;
use super::router::{Router, Routes};
use super::shared::{DecodeFn, Encoded, Shared};
use super::{ShareConsumer, ShareError, Tasks};
use crate::net::Security;
use crate::registry::SchemaRegistryClient;
use crate::serdes::{Deserializer, DeserializerConfig, Origin, SchemaSource};
use crate::subject::{Side, SubjectNameStrategy};
use crate::transport::KafkaConfig;
use crate::wire::schema_id_header;
use crate::{ClientError, DecodeError};

/// Builds a [`ShareConsumer`]; see [`ShareConsumer::builder`] and
/// [`ShareConsumer::raw`].
pub struct ShareConsumerBuilder<T> {
    cluster: KafkaConfig,
    registry: Option<SchemaRegistryClient>,
    raw: Option<DecodeFn<T>>,
    group: Option<String>,
    topics: Vec<String>,
    source: Option<SchemaSource>,
    config: DeserializerConfig,
    mode: AckMode,
    max_in_flight: usize,
    max_wait: Duration,
    max_bytes: i32,
    max_inflated: usize,
    _type: PhantomData<fn() -> T>,
}

impl<T> std::fmt::Debug for ShareConsumerBuilder<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ShareConsumerBuilder")
            .field("group", &self.group)
            .field("topics", &self.topics)
            .field("mode", &self.mode)
            .field("max_in_flight", &self.max_in_flight)
            .field("max_inflated", &self.max_inflated)
            .finish_non_exhaustive()
    }
}

impl<T> ShareConsumerBuilder<T> {
    pub(crate) fn new(
        cluster: &KafkaConfig,
        registry: Option<SchemaRegistryClient>,
        raw: Option<DecodeFn<T>>,
    ) -> Self {
        ShareConsumerBuilder {
            cluster: cluster.clone(),
            registry,
            raw,
            group: None,
            topics: Vec::new(),
            source: None,
            config: DeserializerConfig::default(),
            mode: AckMode::default(),
            max_in_flight: 500,
            max_wait: Duration::from_millis(500),
            max_bytes: 50 << 20,
            max_inflated: DEFAULT_MAX_INFLATED,
            _type: PhantomData,
        }
    }

    /// Joins share group `group` (required). Every consumer of one group
    /// competes for the same records: each goes to one of them.
    pub fn group(mut self, group: impl Into<String>) -> Self {
        self.group = Some(group.into());
        self
    }

    /// Consumes `topic` (call again for more topics).
    pub fn topic(mut self, topic: impl Into<String>) -> Self {
        self.topics.push(topic.into());
        self
    }

    /// What a message dropped without acknowledgement means (default
    /// [`AckMode::Implicit`], as Kafka's share consumer).
    pub fn acknowledgement(mut self, mode: AckMode) -> Self {
        self.mode = mode;
        self
    }

    /// The most messages handed out and not yet acknowledged (default
    /// 500, Kafka's `max.poll.records`). The consumer acquires no more
    /// records while that many are out; a broker that sends whole batches
    /// may overshoot by the rest of one batch.
    pub fn max_in_flight(mut self, n: usize) -> Self {
        self.max_in_flight = n.max(1);
        self
    }

    /// How long the broker may hold a fetch while there is nothing to
    /// acquire (default 500 ms, Kafka's `fetch.max.wait.ms`).
    pub fn max_wait(mut self, wait: Duration) -> Self {
        self.max_wait = wait;
        self
    }

    /// The most bytes one fetch may return (default 50 MiB).
    pub fn max_bytes(mut self, bytes: i32) -> Self {
        self.max_bytes = bytes.max(1);
        self
    }

    /// The most bytes one compressed record batch may inflate to (default
    /// 64 MiB; Kafka producers write batches of about 1 MiB). A batch that
    /// inflates further is not decoded: its records are released (so they
    /// end archived after the delivery limit) and the stream yields
    /// [`ShareError::BatchTooLarge`]. Decompression stops at the limit, so
    /// a small batch that would expand to gigabytes costs at most this.
    pub fn max_batch_inflated(mut self, bytes: usize) -> Self {
        self.max_inflated = bytes.max(1);
        self
    }

    /// Uses this schema as the reader schema of `T`.
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

    /// How the subject checked at start is named (default: topic name).
    pub fn strategy(mut self, strategy: SubjectNameStrategy) -> Self {
        self.config.strategy = strategy;
        self
    }

    /// Whether to ask the registry at start that `T` may read each topic's
    /// subject (default on).
    pub fn check_compatibility(mut self, check: bool) -> Self {
        self.config.check_compatibility = check;
        self
    }
}

impl<T: DeserializeOwned + Send + 'static> ShareConsumerBuilder<T> {
    /// Checks the settings, prepares the decoder, and starts the
    /// consumer's tasks: membership, routing and one fetch loop per
    /// broker that leads an assigned partition. Needs a Tokio runtime.
    ///
    /// The [`KafkaConfig`] properties `security.protocol`, `ssl.*` and
    /// `sasl.*` (the Java client's names, librdkafka's as aliases; see
    /// [`KafkaConfig::properties`]) secure every broker connection: TLS
    /// and SASL PLAIN / SCRAM-SHA-256 / SCRAM-SHA-512; a value that cannot
    /// be honoured (GSSAPI, OAUTHBEARER, a missing CA file, …) is a
    /// [`ShareError::Config`] here.
    pub async fn build(self) -> Result<ShareConsumer<T>, ShareError> {
        let config_error = |reason: &str| ShareError::Config {
            reason: reason.to_owned(),
        };
        let group = self
            .group
            .clone()
            .ok_or_else(|| config_error("a share group is required"))?;
        if self.topics.is_empty() {
            return Err(config_error("subscribe to at least one topic"));
        }
        let security = Security::from_properties(&self.cluster.properties)?;
        let cluster = Cluster::new(&self.cluster.bootstrap, &self.cluster.client_id, security)?;
        let decode = match self.raw.clone() {
            Some(raw) => raw,
            None => self.typed_decoder().await?,
        };
        Ok(self.start(group, decode, cluster))
    }

    async fn typed_decoder(&self) -> Result<DecodeFn<T>, ShareError> {
        let registry = self.registry.as_ref().ok_or_else(|| ShareError::Config {
            reason: "a typed consumer needs a schema registry".to_owned(),
        })?;
        let source = self.source.as_ref().ok_or_else(|| ShareError::Config {
            reason: "no schema for the consumer's type: call .avro(), .json() or .schema()"
                .to_owned(),
        })?;
        let config = DeserializerConfig {
            side: Side::Value,
            ..self.config.clone()
        };
        let check = config.check_compatibility;
        let de: Deserializer<T> = Deserializer::new(registry, source, config).await?;
        if check {
            for topic in &self.topics {
                de.check(topic).await?;
            }
        }
        Ok(Arc::new(move |e: Encoded| {
            let de = de.clone();
            Box::pin(async move {
                let Some(payload) = e.payload else {
                    return Err(ClientError::Decode(DecodeError {
                        topic: e.topic.to_string(),
                        partition: e.partition,
                        offset: e.offset,
                        schema: None,
                        reason: "the record has no value (a tombstone)".to_owned(),
                    }));
                };
                let origin = Origin {
                    topic: &e.topic,
                    partition: e.partition,
                    offset: e.offset,
                };
                de.deserialize(origin, e.header.as_deref(), &payload).await
            })
        }))
    }

    fn start(self, group: String, decode: DecodeFn<T>, cluster: Cluster) -> ShareConsumer<T> {
        let cluster = Arc::new(cluster);
        let member_id = uuid::Uuid::new_v4().simple().to_string();
        let (items_tx, items) = mpsc::unbounded_channel();
        let (errors_tx, errors) = mpsc::unbounded_channel();
        let (assignment_tx, assignment) = watch::channel(BTreeSet::new());
        let (routes_tx, routes) = watch::channel(Routes::new());
        let (stop_fetch, stop_fetch_rx) = watch::channel(false);
        let (stop_member, stop_member_rx) = watch::channel(false);
        let refresh = Arc::new(Notify::new());
        let shared = Arc::new(Shared {
            group: group.clone(),
            member_id: member_id.clone(),
            cluster: cluster.clone(),
            decode,
            value_header: schema_id_header(Side::Value),
            items: items_tx,
            in_flight: Arc::new(InFlight::default()),
            mode: self.mode,
            max_in_flight: self.max_in_flight,
            max_wait: self.max_wait,
            max_bytes: self.max_bytes,
            max_inflated: self.max_inflated,
            refresh: refresh.clone(),
            routes,
            queues: Mutex::new(HashMap::new()),
        });
        let fetchers = Arc::new(Mutex::new(Vec::new()));
        let spawn = {
            let shared = shared.clone();
            let fetchers = fetchers.clone();
            let stop = stop_fetch_rx.clone();
            Box::new(move |node: i32| {
                let fetcher = Fetcher::new(shared.clone(), node);
                fetchers
                    .lock()
                    .push(tokio::spawn(fetcher.run(stop.clone())));
            })
        };
        let router = Router {
            cluster: cluster.clone(),
            topics: self.topics.clone(),
            assignment: assignment.clone(),
            refresh,
            routes: routes_tx,
            spawn,
        };
        let member = Member {
            group: group.clone(),
            member_id: member_id.clone(),
            topics: self.topics.clone(),
            cluster,
            assignment: assignment_tx,
            errors: errors_tx,
        };
        let tasks = Tasks {
            member: Some(tokio::spawn(member.run(stop_member_rx))),
            router: Some(tokio::spawn(router.run(stop_fetch_rx))),
            fetchers,
        };
        ShareConsumer {
            items,
            errors,
            group,
            member_id,
            assignment,
            shared,
            stop_fetch,
            stop_member,
            tasks,
        }
    }
}
