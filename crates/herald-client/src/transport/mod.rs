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
//! properties (`security.protocol`, `ssl.*`, `sasl.*`, …), with
//! librdkafka's security names rewritten to the Java names
//! `confluent-kafka` reads (see [`KafkaConfig::properties`]).

mod admin;
mod producer;
mod reader;
pub mod tail;
pub mod topics;

use std::collections::{BTreeMap, HashMap};

use crate::ClientError;

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
    /// Further client properties, passed to every client. The security
    /// properties use the Java client's names (`ssl.truststore.location`,
    /// `ssl.truststore.certificates`, `ssl.keystore.location`,
    /// `ssl.keystore.key` + `ssl.keystore.certificate.chain`,
    /// `sasl.mechanism`, `sasl.jaas.config`), which both the
    /// `confluent-kafka` clients and herald's own connections read;
    /// librdkafka's names (`ssl.ca.location`, `ssl.ca.pem`,
    /// `ssl.certificate.location`, `ssl.key.location`, `sasl.username`,
    /// `sasl.password`) are accepted as aliases and rewritten to them.
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

    /// The properties for one `confluent-kafka` client: the common ones, the
    /// user's with librdkafka's security names rewritten to the Java names
    /// `confluent-kafka` reads ([`crate::security_names`]), then the ones
    /// this client must have (which win).
    pub(crate) fn props(
        &self,
        forced: &[(&str, &str)],
    ) -> Result<HashMap<String, String>, ClientError> {
        let mut props = HashMap::new();
        props.insert("bootstrap.servers".to_owned(), self.bootstrap.clone());
        props.insert("client.id".to_owned(), self.client_id.clone());
        let user =
            crate::security_names::java_names(&self.properties).map_err(ClientError::config)?;
        props.extend(user);
        for (k, v) in forced {
            props.insert((*k).to_owned(), (*v).to_owned());
        }
        Ok(props)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn confluent_kafka_gets_the_java_names_and_forced_values_win() {
        let dir = tempfile::tempdir().unwrap();
        let ca = dir.path().join("ca.pem").display().to_string();
        std::fs::write(&ca, "CA").unwrap();
        let config = KafkaConfig::new("k:9093")
            .with("security.protocol", "SASL_SSL")
            .with("ssl.ca.location", &ca)
            .with("sasl.mechanism", "PLAIN")
            .with("sasl.username", "u")
            .with("sasl.password", "p")
            .with("acks", "1");
        let props = config.props(&[("acks", "all")]).unwrap();
        assert_eq!(props["bootstrap.servers"], "k:9093");
        assert_eq!(props["ssl.truststore.location"], ca);
        assert!(props["sasl.jaas.config"].starts_with(crate::jaas::PLAIN_MODULE));
        assert_eq!(props["acks"], "all");
        for alias in ["ssl.ca.location", "sasl.username", "sasl.password"] {
            assert!(
                !props.contains_key(alias),
                "{alias} left for confluent-kafka"
            );
        }
        let conflicting = config.with("ssl.truststore.location", "/other.pem");
        match conflicting.props(&[]) {
            Err(ClientError::Config { reason }) => assert!(
                reason.contains("ssl.ca.location and ssl.truststore.location"),
                "{reason}"
            ),
            other => panic!("a conflict accepted: {other:?}"),
        }
    }
}
