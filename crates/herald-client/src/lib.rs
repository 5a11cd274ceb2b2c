//! Herald's SDK: a Rust service declares its message type once, and every
//! message it sends or receives matches a contract registered in a
//! Confluent-compatible schema registry — over Herald's broker or any
//! Kafka 4 cluster, with the same code.
//!
//! ```no_run
//! use apache_avro::AvroSchema;
//! use herald_client::transport::KafkaConfig;
//! use herald_client::{Consumer, Producer, SchemaRegistryClient, StartFrom};
//! use serde::{Deserialize, Serialize};
//!
//! #[derive(Debug, Serialize, Deserialize, AvroSchema)]
//! #[avro(namespace = "shop")]
//! struct Order { id: String, cents: i64 }
//!
//! # async fn run() -> Result<(), herald_client::ClientError> {
//! let kafka = KafkaConfig::new("localhost:9092");
//! let registry = SchemaRegistryClient::with_urls("http://localhost:8081")?;
//!
//! // Order's schema is registered under `orders-value` here: a change the
//! // subject's compatibility level refuses fails now, not at the first send.
//! let orders = Producer::<Order>::builder(&kafka, &registry, "orders").avro().build().await?;
//! orders.send(&Order { id: "o-1".into(), cents: 1250 }).await?;
//!
//! let mut billing = Consumer::<Order>::builder(&kafka, &registry)
//!     .topic("orders").group("billing").start_from(StartFrom::Earliest).avro()
//!     .build().await?; // checks that Order can read what `orders-value` holds
//! while let Some(item) = billing.next().await {
//!     let delivery = item?; // an undecodable record is an error value, never a panic
//!     println!("{} paid {} cents", delivery.value.id, delivery.value.cents);
//!     delivery.ack(); // committed once it and every record before it are acked
//! }
//! # Ok(()) }
//! ```
//!
//! What is here:
//! - [`Producer<T>`] / [`Consumer<T>`]: typed handles built with a builder;
//!   the schema comes from `#[derive(AvroSchema)]`, `schemars::JsonSchema`
//!   or a file ([`SchemaSource`]) and is bound at construction. Which
//!   registered schema a producer writes with is one [`SchemaSelection`].
//!   The consumer is a `Stream` of [`Delivery<T>`] with per-message `ack`,
//!   `nack`, seek, pause/resume, and a [`RetryPolicy`] with dead letters.
//! - [`Requester`] / [`Responder`]: request/reply with `reply-to` and
//!   `correlation-id` headers and a timeout.
//! - [`dedupe`]: run a handler at most once per `message-id` (every
//!   producer stamps a UUIDv7), with an in-memory or a durable store.
//! - [`serdes`], [`wire`], [`subject`], [`registry`]: the Confluent wire
//!   format (id prefix and header form, dual read), subject name
//!   strategies, and a registry client with caches and retries.
//! - [`transport`]: raw Kafka access over the `confluent-kafka` crate (pure
//!   Rust, KIP-848 consumer groups), which the typed layer is built on.
//!
//! Invariants: every payload a producer writes names (by id or GUID) a
//! registered schema whose bytes it was written with; a consumer commits a
//! partition only past records that are all acknowledged, so a record is
//! delivered at least once; [`ClientError::is_retriable`] separates what may
//! succeed later from what cannot.
//!
//! Non-goals: exactly-once processing across systems (the dedupe store
//! narrows duplicates to a crash between a handler's effect and the store's
//! write; put both in one transaction where that matters), Kafka
//! transactions, and Protobuf schemas (Avro and JSON Schema only).
#![deny(missing_docs)]
#![forbid(unsafe_code)]

pub mod consumer;
pub mod dedupe;
mod error;
pub mod headers;
mod jaas;
mod kafka;
pub mod membership;
mod net;
mod producer;
pub mod registry;
mod request;
mod security_names;
pub mod serdes;
pub mod share;
pub mod subject;
pub mod transport;
pub mod wire;

pub use consumer::{Consumer, ConsumerBuilder, Delivery, RetryPolicy, SeekTo, StartFrom};
pub use error::{ClientError, DecodeError};
pub use kafka::{HeaderList, Sent};
pub use producer::{Message, PendingSend, Producer, ProducerBuilder};
pub use registry::{RegistryConfig, SchemaRegistryClient};
pub use request::{Requester, Responder};
pub use serdes::{IdLocation, SchemaSelection, SchemaSource};
pub use share::{ShareConsumer, ShareMessage};
pub use subject::{Side, SubjectNameStrategy};
