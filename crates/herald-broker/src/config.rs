//! The broker's settings.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};

use crate::{GroupConfig, ShareConfig};

/// Settings of one broker. The defaults are Kafka's where Kafka has one.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct BrokerConfig {
    /// This broker's node id, reported in Metadata and as the controller.
    pub node_id: i32,
    /// The host and port clients are told to connect to (Metadata's broker
    /// list). When `None`, the address the listener is bound to.
    pub advertised: Option<(String, u16)>,
    /// The cluster id reported in Metadata and DescribeCluster.
    pub cluster_id: String,
    /// The largest request frame accepted (Kafka's `socket.request.max.bytes`).
    pub max_request_bytes: usize,
    /// How many client connections may be open at once; further clients wait
    /// in the accept backlog.
    pub max_connections: usize,
    /// Create a topic when Metadata asks for one that does not exist and the
    /// client allows it (Kafka's `auto.create.topics.enable`, default on).
    pub auto_create_topics: bool,
    /// Partitions of auto-created topics and of CreateTopics requests that
    /// leave the count to the broker (Kafka's `num.partitions`, default 1).
    pub default_partitions: i32,
    /// Consumer-group coordinator settings (session bounds, rebalance
    /// delay, KIP-848 heartbeat interval, offset retention).
    pub groups: GroupConfig,
    /// Share-group settings (lock duration, delivery limit, in-flight
    /// records, sessions; Kafka's `group.share.*`).
    pub share: ShareConfig,
}

impl Default for BrokerConfig {
    fn default() -> Self {
        BrokerConfig {
            node_id: 1,
            advertised: None,
            cluster_id: "herald-cluster".to_owned(),
            max_request_bytes: 100 * 1024 * 1024,
            max_connections: 10_000,
            auto_create_topics: true,
            default_partitions: 1,
            groups: GroupConfig::default(),
            share: ShareConfig::default(),
        }
    }
}

impl BrokerConfig {
    /// The address clients are told to use, given the address actually
    /// bound. A wildcard bind (`0.0.0.0`, `::`) is not an address a client
    /// can dial, so it is advertised as the loopback of its family; clients
    /// on other hosts need an explicit advertised address.
    pub fn advertised_or(&self, bound: SocketAddr) -> (String, u16) {
        self.advertised.clone().unwrap_or_else(|| {
            let ip = match bound.ip() {
                IpAddr::V4(ip) if ip.is_unspecified() => IpAddr::V4(Ipv4Addr::LOCALHOST),
                IpAddr::V6(ip) if ip.is_unspecified() => IpAddr::V6(Ipv6Addr::LOCALHOST),
                ip => ip,
            };
            (ip.to_string(), bound.port())
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wildcard_binds_advertise_loopback_and_explicit_addresses_win() {
        let c = BrokerConfig::default();
        let bound: SocketAddr = "0.0.0.0:9092".parse().unwrap();
        assert_eq!(c.advertised_or(bound), ("127.0.0.1".to_owned(), 9092));
        let bound: SocketAddr = "[::]:9092".parse().unwrap();
        assert_eq!(c.advertised_or(bound), ("::1".to_owned(), 9092));
        let bound: SocketAddr = "10.1.2.3:9092".parse().unwrap();
        assert_eq!(c.advertised_or(bound), ("10.1.2.3".to_owned(), 9092));
        let c = BrokerConfig {
            advertised: Some(("kafka".to_owned(), 1)),
            ..BrokerConfig::default()
        };
        assert_eq!(c.advertised_or(bound), ("kafka".to_owned(), 1));
    }
}
