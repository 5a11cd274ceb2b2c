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
//! - [`store`]: `_schemas` on a Kafka cluster, through `herald-client`;
//! - [`Registry`]: the state plus the store, with one writer at a time
//!   (plan → append with acks=all → apply → respond);
//! - [`api::router`]: the REST API (axum), testable with `oneshot`;
//! - [`serve`]: HTTP on a listener with graceful shutdown;
//! - [`cluster`]: several instances over one `_schemas`, with
//!   [`Config::election`]: a leader elected through a Kafka classic group
//!   (Confluent's protocol type `sr`, its member metadata and assignment,
//!   group `schema-registry` by default), followers that tail `_schemas`
//!   and forward writes to the leader over HTTP (50003 when that fails,
//!   50004 when no leader is known), and a new leader that reads
//!   `_schemas` to its end before it writes. Without an election (the
//!   default, and `herald serve`) the one instance writes.
//!
//! ```no_run
//! # async fn example() -> Result<(), herald_registry::RegistryError> {
//! let listener = tokio::net::TcpListener::bind("0.0.0.0:8081").await.expect("bind");
//! let config = herald_registry::Config::with_bootstrap("127.0.0.1:9092");
//! herald_registry::serve(listener, config, async {
//!     let _ = tokio::signal::ctrl_c().await;
//! })
//! .await
//! # }
//! ```
//!
//! Migration: a `_schemas` topic written by Confluent's registry or
//! Karapace replays as is (ids, versions, configs, modes, deletes). Schemas
//! read from it, imported in IMPORT mode or looked up are parsed as stored
//! schemas ([`herald_schema::Schema::parse_stored`]): field defaults that
//! older registries accepted but a new registration would be refused for
//! still load and take part in compatibility checks.
//!
//! Non-goals (for now): Protobuf schemas, fencing a leader that lost
//! contact at the Kafka level (as in Confluent's registry, a leader stops
//! writing once it learns of a rebalance or has had no heartbeat accepted
//! for a session timeout; a pause longer than that between its check and
//! its append could still let two instances write), TLS/SASL for the
//! election's connection, schema linking/exporters, associations, the DEK
//! registry.
//!
//! Invariants: an id names one schema content per context; versions of a
//! subject are never reused; what a client is told was written is what a
//! replay of `_schemas` rebuilds.
#![deny(missing_docs)]
#![forbid(unsafe_code)]

pub mod api;
pub mod cluster;
mod config;
mod error;
mod metrics;
pub mod record;
mod registry;
mod server;
pub mod state;
pub mod store;
pub mod subject;

pub use cluster::{ElectionConfig, Role};
pub use config::Config;
pub use error::RegistryError;
pub use metrics::Metrics;
pub use registry::{Registered, Registry};
pub use server::{serve, serve_registry};
pub use state::State;
