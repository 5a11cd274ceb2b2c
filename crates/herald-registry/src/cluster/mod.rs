//! Several registry instances over one `_schemas` topic: a leader elected
//! through a Kafka classic group, as Confluent's registry does, and
//! followers that tail `_schemas` and forward writes to it.
//!
//! - [`protocol`]: the `sr` group protocol (identities, assignment);
//! - `election`: turns the group membership into a [`Role`], making an
//!   elected instance leader only once it has read `_schemas` to its end;
//! - `tail`: applies what other instances write to the in-memory state;
//! - `forward`: the HTTP middleware that sends a follower's writes to the
//!   leader and answers 50003/50004 when it cannot.
//!
//! The election's group member connects with the same Kafka properties
//! as the registry's other clients ([`Config::kafka`](crate::Config)):
//! `security.protocol` SSL, SASL_PLAINTEXT or SASL_SSL with `ssl.*` and
//! `sasl.*` (PLAIN, SCRAM-SHA-256, SCRAM-SHA-512) secure it too.
//!
//! Invariant: an instance writes to `_schemas` only while its role is
//! [`Role::Leader`] (or [`Role::Standalone`]), and it became leader only
//! after applying every record that was in `_schemas` when it was elected,
//! so new ids are max + 1 and versions are never reused.

pub(crate) mod election;
pub(crate) mod forward;
pub mod protocol;
pub(crate) mod tail;

use std::time::Duration;

/// How an instance takes part in the election. [`ElectionConfig::new`]
/// gives Confluent's defaults: group `schema-registry`, eligible to lead.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct ElectionConfig {
    /// The group the instances join (`schema.registry.group.id`).
    pub group_id: String,
    /// Whether this instance may become the leader (`leader.eligibility`);
    /// an instance that may not only ever forwards writes.
    pub eligible: bool,
    /// `http` or `https`: how other instances reach this one.
    pub scheme: String,
    /// The host other instances reach this one at (`host.name`).
    pub host: String,
    /// The port other instances reach this one at.
    pub port: u16,
    /// Without an accepted heartbeat for this long, the coordinator
    /// evicts an instance and another takes over (10 s).
    pub session_timeout: Duration,
    /// How often an instance heartbeats (3 s).
    pub heartbeat_interval: Duration,
    /// How long a rebalance waits for every instance to rejoin (60 s).
    pub rebalance_timeout: Duration,
    /// How long a write waits for a leader while one is being elected
    /// before it is answered 50004 (5 s).
    pub leader_wait: Duration,
    /// How long a forwarded write may take (30 s).
    pub forward_timeout: Duration,
}

impl ElectionConfig {
    /// An eligible instance of group `schema-registry`, reached at
    /// `http://{host}:{port}`.
    pub fn new(host: impl Into<String>, port: u16) -> ElectionConfig {
        ElectionConfig {
            group_id: "schema-registry".to_owned(),
            eligible: true,
            scheme: "http".to_owned(),
            host: host.into(),
            port,
            session_timeout: Duration::from_secs(10),
            heartbeat_interval: Duration::from_secs(3),
            rebalance_timeout: Duration::from_secs(60),
            leader_wait: Duration::from_secs(5),
            forward_timeout: Duration::from_secs(30),
        }
    }

    /// This instance's identity in the group.
    pub fn identity(&self) -> protocol::Identity {
        protocol::Identity {
            version: 1,
            host: self.host.clone(),
            port: self.port,
            eligible: self.eligible,
            scheme: self.scheme.clone(),
        }
    }
}

/// What an instance does with a write.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Role {
    /// The only instance (no election configured): it writes.
    Standalone,
    /// A leader is being elected, or this instance was elected and is
    /// still reading `_schemas` to its end: writes wait.
    Electing,
    /// The elected leader, caught up: it writes.
    Leader,
    /// Another instance leads: writes are forwarded to `url`.
    Follower {
        /// The leader's URL.
        url: String,
    },
    /// The group settled without a usable leader (no eligible instance,
    /// or instances advertising the same URL): writes fail with 50004.
    NoLeader {
        /// Why.
        reason: String,
    },
    /// The instance is shutting down.
    Stopped,
}

impl Role {
    /// Whether this instance writes to `_schemas` itself.
    pub fn writes(&self) -> bool {
        matches!(self, Role::Standalone | Role::Leader)
    }
}
