//! Herald's SDK. This first slice holds only the Kafka transport the
//! registry needs ([`transport`]); typed `Producer<T>` / `Consumer<T>`,
//! the registry client and the serdes come on top of it in this crate.
//!
//! ```no_run
//! # async fn example() -> Result<(), herald_client::ClientError> {
//! use herald_client::transport::{KafkaConfig, RawProducer, PartitionReader};
//!
//! let config = KafkaConfig::new("127.0.0.1:9092");
//! let producer = RawProducer::connect(&config)?;
//! let at = producer.send("events", Some(0), Some(b"k"), Some(b"v")).await?;
//! let mut reader = PartitionReader::open(&config, "events", 0, at.offset).await?;
//! let records = reader.read_to_end().await?;
//! assert_eq!(records[0].value.as_deref(), Some(&b"v"[..]));
//! # Ok(()) }
//! ```
//!
//! Non-goals: the transport does not reimplement Kafka's client protocol;
//! it wraps the `confluent-kafka` crate (Confluent's pure-Rust translation
//! of the Java client) and only narrows its surface.
//!
//! Invariants: a send resolves only once the broker acknowledged the record
//! with acks=all; the producer is idempotent, so a retried send is written
//! once; a reader delivers a partition's records in offset order, each once.
#![deny(missing_docs)]
#![forbid(unsafe_code)]

mod error;
pub mod transport;

pub use error::ClientError;
