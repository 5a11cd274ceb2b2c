//! The Kafka transport: raw bytes in and out of topics, over the
//! `confluent-kafka` crate.
//!
//! - [`RawProducer`]: acks=all, idempotent; a send resolves with the
//!   record's offset once the broker acknowledged it.
//! - [`PartitionReader`]: a consumer without a group that assigns itself one
//!   partition and reads from an offset, to the end (replay) or on (tailing).
//! - [`ensure_topic`] and [`cluster_id`]: the admin calls the registry needs.
//!
//! Everything takes a [`KafkaConfig`]: the bootstrap servers plus any client
//! properties (`security.protocol`, `sasl.*`, …) passed through unchanged.

mod admin;
mod producer;
mod reader;
pub mod tail;
pub mod topics;

use std::collections::{BTreeMap, HashMap};

pub use admin::{TopicSpec, cluster_id, ensure_topic};
pub use producer::{Delivery, RawProducer};
pub use reader::{PartitionReader, RawRecord};

/// Where the cluster is and how to talk to it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KafkaConfig {
    /// `host:port[,host:port…]`.
    pub bootstrap: String,
    /// The `client.id` the broker sees.
    pub client_id: String,
    /// Further client properties, passed to every client as they are.
    pub properties: BTreeMap<String, String>,
}

impl KafkaConfig {
    /// A configuration for `bootstrap` with client id `herald`.
    pub fn new(bootstrap: impl Into<String>) -> KafkaConfig {
        KafkaConfig {
            bootstrap: bootstrap.into(),
            client_id: "herald".to_owned(),
            properties: BTreeMap::new(),
        }
    }

    /// The same configuration with one more client property.
    pub fn with(mut self, key: impl Into<String>, value: impl Into<String>) -> KafkaConfig {
        self.properties.insert(key.into(), value.into());
        self
    }

    /// The properties for one client: the common ones, the user's, then the
    /// ones this client must have (which win).
    pub(crate) fn props(&self, forced: &[(&str, &str)]) -> HashMap<String, String> {
        let mut props = HashMap::new();
        props.insert("bootstrap.servers".to_owned(), self.bootstrap.clone());
        props.insert("client.id".to_owned(), self.client_id.clone());
        for (k, v) in &self.properties {
            props.insert(k.clone(), v.clone());
        }
        for (k, v) in forced {
            props.insert((*k).to_owned(), (*v).to_owned());
        }
        props
    }
}
