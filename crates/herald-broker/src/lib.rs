//! Herald's broker: a Kafka wire-protocol server over `herald-log`.
//!
//! Any Kafka client (librdkafka, the Java client, kafka-python, kafkajs, the
//! `confluent-kafka` Rust crate) connects to it as to a single-node Kafka
//! cluster: this node is the only broker, the controller, the leader of every
//! partition (with the constant leader epoch `herald_log::LEADER_EPOCH`) and
//! the group coordinator.
//!
//! ```no_run
//! # async fn example() -> std::io::Result<()> {
//! use std::sync::Arc;
//! use herald_broker::{Broker, BrokerConfig, run};
//!
//! let listener = tokio::net::TcpListener::bind("127.0.0.1:9092").await?;
//! let log = Arc::new(herald_log::Log::open("./data", Default::default()).expect("data dir"));
//! let broker = Arc::new(Broker::new(BrokerConfig::default(), log.clone(), listener.local_addr()?));
//! run(listener, broker, async { let _ = tokio::signal::ctrl_c().await; }).await;
//! log.shutdown().expect("clean shutdown"); // flush, clean-shutdown markers
//! # Ok(()) }
//! ```
//!
//! Layers: [`frame`] reads and writes length-prefixed frames; [`codec`] turns
//! them into `kafka-protocol` requests and responses; `handlers` hold one file
//! per Kafka API plus the table ApiVersions answers from; `producers` keeps
//! idempotent-producer ids and sequence state; `groups` the consumer groups;
//! [`run`] accepts connections and drains them on shutdown.
//!
//! Served: ApiVersions, Metadata (auto-creation, topic ids), Produce (acks 0,
//! 1, all; idempotent producers), Fetch (long poll, sessionless), ListOffsets,
//! InitProducerId, DescribeCluster, CreateTopics, DeleteTopics,
//! CreatePartitions, DeleteRecords, DescribeConfigs, AlterConfigs,
//! IncrementalAlterConfigs, and the consumer-group APIs. Other APIs get an
//! error in their response shape where they have one, else the connection is
//! closed, as Kafka does.
//!
//! Non-goals: replication and multi-broker clusters (Herald scales out by
//! running its SDK and registry on an Apache Kafka cluster instead);
//! transactions; incremental fetch sessions; SASL/TLS for now.
//!
//! Invariants: a malformed frame closes only its own connection; a client
//! cannot make the broker allocate more than `max_request_bytes` for a frame;
//! responses leave a connection in request order; an idempotent batch is
//! checked and appended atomically per partition, so a retry is never stored
//! twice; acks=all (`flush=always`) means fsynced before acknowledged.
#![deny(missing_docs)]
#![forbid(unsafe_code)]

mod broker;
pub mod codec;
mod config;
mod connection;
pub mod frame;
mod groups;
mod handlers;
mod internal_topic;
mod producers;
mod server;
mod shape;
mod share;

pub use broker::Broker;
pub use config::BrokerConfig;
pub use groups::GroupConfig;
pub use server::run;
pub use share::ShareConfig;
