//! Herald's SDK: a Rust service declares its message type once, and every
//! message it sends or receives matches a contract registered in a
//! Confluent-compatible schema registry — over Herald's broker or any
//! Kafka 4 cluster, with the same code.
#![deny(missing_docs)]
#![forbid(unsafe_code)]

pub mod consumer;
pub mod dedupe;
mod error;
pub mod headers;
mod kafka;
mod producer;
pub mod registry;
mod request;
pub mod serdes;
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
pub use subject::{Side, SubjectNameStrategy};
