//! Herald's SDK: a Rust service declares its message type once, and every
//! message it sends or receives matches a contract registered in a
//! Confluent-compatible schema registry — over Herald's broker or any
//! Kafka 4 cluster, with the same code.
#![deny(missing_docs)]
#![forbid(unsafe_code)]

mod error;
pub mod registry;
pub mod serdes;
pub mod subject;
pub mod transport;
pub mod wire;

pub use error::{ClientError, DecodeError};
