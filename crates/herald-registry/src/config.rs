//! The registry's settings.

use std::net::SocketAddr;
use std::time::Duration;

use herald_client::transport::KafkaConfig;

use crate::cluster::ElectionConfig;

/// How a registry runs. [`Config::default`] is a registry on
/// `0.0.0.0:8081` over a broker on `127.0.0.1:9092`.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Config {
    /// The HTTP address (the caller binds it; kept here for logs and CLI).
    pub listen: SocketAddr,
    /// The Kafka cluster holding `_schemas`.
    pub kafka: KafkaConfig,
    /// The topic name (Confluent's `kafkastore.topic`).
    pub topic: String,
    /// The largest request body accepted; a larger schema is refused with
    /// 42209.
    pub max_body_bytes: usize,
    /// How long the replay of `_schemas` may stall before start-up fails
    /// (Confluent's `kafkastore.init.timeout.ms`).
    pub init_timeout: Duration,
    /// Several instances over one `_schemas`: the leader election this
    /// instance takes part in. `None` (the default, and `herald serve`):
    /// the only instance, which writes without electing anyone.
    pub election: Option<ElectionConfig>,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            listen: SocketAddr::from(([0, 0, 0, 0], 8081)),
            kafka: KafkaConfig::new("127.0.0.1:9092"),
            topic: "_schemas".to_owned(),
            max_body_bytes: 8 * 1024 * 1024,
            init_timeout: Duration::from_secs(60),
            election: None,
        }
    }
}

impl Config {
    /// The defaults, over the Kafka cluster at `bootstrap`.
    pub fn with_bootstrap(bootstrap: impl Into<String>) -> Config {
        Config {
            kafka: KafkaConfig::new(bootstrap),
            ..Config::default()
        }
    }
}
