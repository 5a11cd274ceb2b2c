//! [`Consumer<T>`]: an async stream of typed deliveries with per-message
//! acknowledgements, seek, pause/resume, and retry/dead-letter policy.

mod acks;
mod delivery;
mod driver;
mod policy;
mod rebalance;

use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use confluent_kafka::common::TopicPartition;
use confluent_kafka::consumer::Consumer as _;
use futures_core::Stream;
use parking_lot::Mutex;
use serde::de::DeserializeOwned;
use tokio::sync::{mpsc, oneshot};

pub use delivery::Delivery;
pub use driver::Item;
pub use policy::RetryPolicy;

use crate::ClientError;
use crate::kafka;
use crate::registry::SchemaRegistryClient;
use crate::serdes::{Deserializer, DeserializerConfig, SchemaSource};
use crate::subject::SubjectNameStrategy;
use crate::transport::KafkaConfig;
use acks::AckTracker;
use delivery::Shared;
use driver::{Command, Decoder, Driver};

/// Where a consumer without committed offsets starts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum StartFrom {
    /// The oldest retained record.
    Earliest,
    /// Records produced from now on (Kafka's default).
    #[default]
    Latest,
}

/// Where [`Consumer::seek`] moves a partition.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SeekTo {
    /// The oldest retained record.
    Earliest,
    /// The end: only records produced from now on.
    Latest,
    /// This offset.
    Offset(i64),
    /// The first record with a timestamp at or after this one (ms since
    /// the epoch); the end when there is none.
    Timestamp(i64),
}

/// A stream of `T`s from one or more topics.
///
/// Each item is a [`Delivery`] to acknowledge, or an error: a record that
/// could not be decoded arrives as [`ClientError::Decode`] (a value, never
/// a panic, never skipped silently) — it has already been dead-lettered
/// per the [`RetryPolicy`] and acknowledged. Offsets are committed in the
/// background, each partition just past its acknowledged prefix.
///
/// With a group, partitions are balanced across the group's members
/// (KIP-848 protocol). Without one, the consumer takes every partition of
/// its topics and commits nothing: an ephemeral subscription.
pub struct Consumer<T> {
    items: mpsc::Receiver<Item<T>>,
    commands: mpsc::UnboundedSender<Command>,
    shared: Arc<Shared>,
}

impl<T> std::fmt::Debug for Consumer<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Consumer").finish_non_exhaustive()
    }
}

impl<T: DeserializeOwned + Send + 'static> Consumer<T> {
    /// Starts building a consumer of `T`.
    pub fn builder(cluster: &KafkaConfig, registry: &SchemaRegistryClient) -> ConsumerBuilder<T> {
        ConsumerBuilder {
            cluster: cluster.clone(),
            registry: registry.clone(),
            topics: Vec::new(),
            group: None,
            source: None,
            config: DeserializerConfig::default(),
            start: StartFrom::default(),
            policy: RetryPolicy::default(),
            commit_interval: Duration::from_millis(500),
            buffer: 1024,
            _type: std::marker::PhantomData,
        }
    }

    /// The next item; `None` once the consumer is closed.
    pub async fn next(&mut self) -> Option<Item<T>> {
        std::future::poll_fn(|cx| Pin::new(&mut *self).poll_next(cx)).await
    }

    async fn call(
        &self,
        make: impl FnOnce(oneshot::Sender<Result<(), ClientError>>) -> Command,
    ) -> Result<(), ClientError> {
        let (done, wait) = oneshot::channel();
        let closed = || ClientError::Closed {
            what: "consumer".to_owned(),
        };
        self.commands.send(make(done)).map_err(|_| closed())?;
        wait.await.map_err(|_| closed())?
    }

    /// Moves `topic`'s assigned partitions (or only `partition`) to `to`.
    /// Deliveries read before the seek and not yet taken from the stream are
    /// dropped; their acknowledgements no longer count.
    pub async fn seek(
        &self,
        topic: &str,
        partition: Option<i32>,
        to: SeekTo,
    ) -> Result<(), ClientError> {
        let topic = topic.to_owned();
        self.call(|done| Command::Seek {
            topic,
            partition,
            to,
            done,
        })
        .await
    }

    /// Stops fetching from every assigned partition until
    /// [`resume`](Self::resume); the consumer keeps polling, so a group
    /// member keeps its partitions. Partitions assigned later start unpaused.
    pub async fn pause(&self) -> Result<(), ClientError> {
        self.call(|done| Command::Pause(true, done)).await
    }

    /// Fetches again after [`pause`](Self::pause).
    pub async fn resume(&self) -> Result<(), ClientError> {
        self.call(|done| Command::Pause(false, done)).await
    }

    /// The partitions currently assigned to this consumer, as (topic,
    /// partition), sorted. With a group this changes as members come and
    /// go; without one it is every partition of the consumer's topics.
    pub async fn assignment(&self) -> Result<Vec<(String, i32)>, ClientError> {
        let (done, wait) = oneshot::channel();
        let closed = || ClientError::Closed {
            what: "consumer".to_owned(),
        };
        self.commands
            .send(Command::Assignment(done))
            .map_err(|_| closed())?;
        wait.await.map_err(|_| closed())
    }

    /// Commits the acknowledged prefixes now instead of at the next tick.
    pub async fn commit(&self) -> Result<(), ClientError> {
        self.call(Command::Commit).await
    }

    /// Commits what is acknowledged, leaves the group and closes.
    pub async fn close(self) -> Result<(), ClientError> {
        self.call(Command::Close).await
    }
}

impl<T> Stream for Consumer<T> {
    type Item = Item<T>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        loop {
            match self.items.poll_recv(cx) {
                // A delivery read before a seek of its partition is stale.
                Poll::Ready(Some(Ok(d)))
                    if d.epoch != self.shared.acks.lock().epoch(&d.raw.tp()) =>
                {
                    continue;
                }
                other => return other,
            }
        }
    }
}

/// Builds a [`Consumer`]; see [`Consumer::builder`].
#[derive(Debug)]
pub struct ConsumerBuilder<T> {
    cluster: KafkaConfig,
    registry: SchemaRegistryClient,
    topics: Vec<String>,
    group: Option<String>,
    source: Option<SchemaSource>,
    config: DeserializerConfig,
    start: StartFrom,
    policy: RetryPolicy,
    commit_interval: Duration,
    buffer: usize,
    _type: std::marker::PhantomData<fn() -> T>,
}

impl<T: DeserializeOwned + Send + 'static> ConsumerBuilder<T> {
    /// Reads `topic` (call again for more topics).
    pub fn topic(mut self, topic: impl Into<String>) -> Self {
        self.topics.push(topic.into());
        self
    }

    /// Joins consumer group `group`; without a group the consumer is
    /// ephemeral (all partitions, no commits).
    pub fn group(mut self, group: impl Into<String>) -> Self {
        self.group = Some(group.into());
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

    /// How the subject checked at construction is named.
    pub fn strategy(mut self, strategy: SubjectNameStrategy) -> Self {
        self.config.strategy = strategy;
        self
    }

    /// Check at construction that `T` may read the subject (default on).
    pub fn check_compatibility(mut self, on: bool) -> Self {
        self.config.check_compatibility = on;
        self
    }

    /// Validate JSON payloads against their writer schema (default off).
    pub fn validate(mut self, on: bool) -> Self {
        self.config.validate = on;
        self
    }

    /// Where to start without committed offsets (default: latest).
    pub fn start_from(mut self, start: StartFrom) -> Self {
        self.start = start;
        self
    }

    /// Retry and dead-letter policy.
    pub fn retry(mut self, policy: RetryPolicy) -> Self {
        self.policy = policy;
        self
    }

    /// How often acknowledged prefixes are committed (default 500 ms).
    pub fn commit_interval(mut self, every: Duration) -> Self {
        self.commit_interval = every;
        self
    }

    /// How many decoded deliveries may wait for the application (default 1024).
    pub fn buffer(mut self, records: usize) -> Self {
        self.buffer = records.max(1);
        self
    }

    /// Checks `T` against the registry, joins the group (or assigns every
    /// partition), and starts reading.
    pub async fn build(self) -> Result<Consumer<T>, ClientError> {
        if self.topics.is_empty() {
            return Err(ClientError::config("the consumer has no topic"));
        }
        let source = self.source.ok_or_else(|| {
            ClientError::config(
                "no schema for the consumer's type: call .avro(), .json() or .schema()",
            )
        })?;
        let de: Deserializer<T> =
            Deserializer::new(&self.registry, &source, self.config.clone()).await?;
        if self.config.check_compatibility {
            for topic in &self.topics {
                de.check(topic).await?;
            }
        }
        let mut consumer = kafka::consumer(
            &self.cluster,
            self.group.as_deref(),
            self.start == StartFrom::Latest,
        )?;
        let (nack_tx, nack_rx) = mpsc::unbounded_channel();
        let shared = Arc::new(Shared {
            acks: Mutex::new(AckTracker::default()),
            nacks: nack_tx,
        });
        match &self.group {
            Some(_) => {
                let listener = Arc::new(rebalance::CommitOnRevoke {
                    handle: consumer.handle(),
                    shared: shared.clone(),
                });
                consumer
                    .subscribe_with_topics_listener(self.topics.clone(), listener)
                    .await
                    .map_err(|e| ClientError::kafka("subscribe", e))?
            }
            None => assign_all(&mut consumer, &self.topics, self.start).await?,
        }
        let dlq = match &self.policy.dead_letter_topic {
            Some(_) => Some(Arc::new(kafka::producer(&self.cluster)?)),
            None => None,
        };
        let decoder = Arc::new(Decoder {
            de,
            side: self.config.side,
            shared: shared.clone(),
            policy: self.policy,
            dlq,
        });
        let (out, items) = mpsc::channel(self.buffer);
        let (commands, command_rx) = mpsc::unbounded_channel();
        tokio::spawn(driver::retrier(decoder.clone(), nack_rx, out.clone()));
        tokio::spawn(
            Driver {
                consumer,
                decoder,
                out,
                commands: command_rx,
                grouped: self.group.is_some(),
                commit_interval: self.commit_interval,
            }
            .run(),
        );
        Ok(Consumer {
            items,
            commands,
            shared,
        })
    }
}

/// Assigns every partition of `topics` and positions each at `start`,
/// resolving the positions now so that "latest" means the end as of now.
async fn assign_all(
    consumer: &mut kafka::BytesConsumer,
    topics: &[String],
    start: StartFrom,
) -> Result<(), ClientError> {
    let mut all = Vec::new();
    for topic in topics {
        let partitions = consumer
            .partitions_for(topic)
            .await
            .map_err(|e| ClientError::kafka(format!("partitions of {topic}"), e))?;
        all.extend(
            partitions
                .iter()
                .map(|p| TopicPartition::new(topic.as_str(), p.partition())),
        );
    }
    let op = |e| ClientError::kafka("assign", e);
    consumer.assign(all.clone()).await.map_err(op)?;
    match start {
        StartFrom::Earliest => consumer.seek_to_beginning(&all).await.map_err(op)?,
        StartFrom::Latest => consumer.seek_to_end(&all).await.map_err(op)?,
    }
    for tp in &all {
        consumer.position(tp).await.map_err(op)?;
    }
    Ok(())
}
