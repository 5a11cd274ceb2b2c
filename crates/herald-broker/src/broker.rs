//! The state every connection shares.

use std::net::SocketAddr;
use std::sync::Arc;

use herald_log::Log;

use crate::BrokerConfig;
use crate::groups::GroupCoordinator;
use crate::producers::Producers;
use crate::share::ShareCoordinator;

/// One broker: its configuration, its log, and the state its request
/// handlers share.
#[derive(Debug)]
pub struct Broker {
    config: BrokerConfig,
    /// Where clients reach this broker, as reported in Metadata.
    advertised: (String, u16),
    log: Arc<Log>,
    groups: GroupCoordinator,
    share: ShareCoordinator,
    producers: Producers,
}

impl Broker {
    /// A broker with `config` serving `log`, listening on `bound`.
    pub fn new(config: BrokerConfig, log: Arc<Log>, bound: SocketAddr) -> Self {
        let advertised = config.advertised_or(bound);
        let groups = GroupCoordinator::new(log.clone(), config.groups.clone());
        let share = ShareCoordinator::new(
            log.clone(),
            config.share.clone(),
            groups.clone(),
            config.auto_create_topics,
            config.default_partitions,
        );
        let producers = Producers::new(log.dir());
        Broker {
            config,
            advertised,
            log,
            groups,
            share,
            producers,
        }
    }

    /// The configuration.
    pub fn config(&self) -> &BrokerConfig {
        &self.config
    }

    /// The host and port clients are told to connect to.
    pub fn advertised(&self) -> (&str, u16) {
        (&self.advertised.0, self.advertised.1)
    }

    /// The log the broker serves.
    pub fn log(&self) -> &Arc<Log> {
        &self.log
    }

    /// Idempotent-producer ids and sequence state.
    pub(crate) fn producers(&self) -> &Producers {
        &self.producers
    }

    /// The consumer-group coordinator.
    pub(crate) fn groups(&self) -> &GroupCoordinator {
        &self.groups
    }

    /// The share-group coordinator (queues).
    pub(crate) fn share(&self) -> &ShareCoordinator {
        &self.share
    }
}
