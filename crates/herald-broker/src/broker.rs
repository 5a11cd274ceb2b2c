//! The state every connection shares.

use std::net::SocketAddr;

use crate::BrokerConfig;

/// One broker: its configuration and the state its request handlers share.
#[derive(Debug)]
pub struct Broker {
    config: BrokerConfig,
    /// Where clients reach this broker, as reported in Metadata.
    advertised: (String, u16),
}

impl Broker {
    /// A broker with `config`, listening on `bound`.
    pub fn new(config: BrokerConfig, bound: SocketAddr) -> Self {
        let advertised = config.advertised_or(bound);
        Broker { config, advertised }
    }

    /// The configuration.
    pub fn config(&self) -> &BrokerConfig {
        &self.config
    }

    /// The host and port clients are told to connect to.
    pub fn advertised(&self) -> (&str, u16) {
        (&self.advertised.0, self.advertised.1)
    }
}
