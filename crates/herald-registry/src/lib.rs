//! Herald's schema registry: a drop-in replacement for the Confluent Schema
//! Registry REST API, so Confluent's clients and serializers (Java, Go,
//! Python, .NET, JavaScript) work against it unchanged.
//!
//! Layers:
//! - [`record`]: the records of the compacted topic `_schemas`, in the
//!   format Confluent and Karapace write (so an existing topic can be
//!   replayed, and Herald's can be read by them);
//! - [`state`]: a pure state machine that applies those records and plans
//!   writes against the current state (no I/O);
//! - the REST API and the Kafka store come on top of these.
//!
//! Non-goals (for now): Protobuf schemas, multi-instance leader election,
//! schema linking/exporters, associations, the DEK registry.
//!
//! Invariants: an id names one schema content per context; versions of a
//! subject are never reused; what a client is told was written is what a
//! replay of `_schemas` rebuilds.
#![deny(missing_docs)]
#![forbid(unsafe_code)]

pub mod api;
mod error;
pub mod record;
pub mod state;
pub mod subject;

pub use error::RegistryError;
pub use state::State;
