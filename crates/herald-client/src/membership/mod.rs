//! A member of a Kafka **classic group** with a protocol of its own:
//! JoinGroup, SyncGroup, Heartbeat and LeaveGroup to the group
//! coordinator, as Kafka Connect workers and Confluent's Schema Registry
//! (protocol type `sr`) use the group protocol to elect a leader or share
//! out work that is not partitions.
//!
//! ```no_run
//! # async fn demo() -> Result<(), herald_client::membership::GroupError> {
//! use std::sync::Arc;
//! use bytes::Bytes;
//! use herald_client::membership::{GroupMember, GroupSettings, JoinedMember, Membership};
//!
//! let settings = GroupSettings::new("workers", "demo")
//!     .protocol("v0", Bytes::from_static(b"{\"url\":\"http://a:1\"}"));
//! // The member the coordinator picks as group leader runs this over every
//! // member's metadata; here each member is told who came first.
//! let assign = Arc::new(|_protocol: &str, members: &[JoinedMember]| {
//!     let first = members.iter().map(|m| m.member_id.clone()).min().unwrap_or_default();
//!     members.iter().map(|m| (m.member_id.clone(), Bytes::from(first.clone()))).collect()
//! });
//! let member = GroupMember::join("localhost:9092", settings, assign)?;
//! let mut changes = member.watch();
//! while changes.changed().await.is_ok() {
//!     if let Membership::Joined(generation) = &*changes.borrow() {
//!         println!("generation {}: {:?}", generation.generation_id, generation.assignment);
//!     }
//! }
//! member.leave().await;
//! # Ok(()) }
//! ```
//!
//! What it guarantees: [`Membership::Joined`] is published only after a
//! SyncGroup succeeded, and is withdrawn (back to [`Membership::Joining`])
//! as soon as the member learns of a rebalance, is fenced, or has not had
//! a heartbeat accepted for a whole session timeout — so two members never
//! both hold an assignment of the same generation, and a member that lost
//! contact stops acting on its old one by the time the coordinator evicts
//! it. [`GroupMember::leave`] sends LeaveGroup so the others rebalance at
//! once instead of after the session timeout.
//!
//! [`GroupMember::join_with`] takes a [`KafkaConfig`] whose properties
//! secure every connection as the `confluent-kafka` clients are secured,
//! from the same names: `security.protocol` SSL, SASL_PLAINTEXT or
//! SASL_SSL, `ssl.truststore.*` and a client certificate in
//! `ssl.keystore.*` (PEM), SASL PLAIN, SCRAM-SHA-256 or SCRAM-SHA-512 from
//! `sasl.jaas.config` (librdkafka's names as aliases; see
//! [`KafkaConfig::properties`]). The share consumer opens its connections
//! the same way.
//!
//! Non-goals: static membership (`group.instance.id`), SASL GSSAPI and
//! OAUTHBEARER, and the KIP-848 consumer protocol (this is for custom
//! protocols; consumers use [`Consumer`](crate::Consumer)).

mod error;
mod session;

use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use parking_lot::Mutex;
use tokio::sync::watch;
use tokio::task::JoinHandle;

pub use error::GroupError;

use crate::net::Security;
use crate::share::cluster::Cluster;
use crate::transport::KafkaConfig;

/// How a member joins its group. Defaults are Kafka's for a classic
/// member: 45 s session timeout, 3 s heartbeat interval, 5 min rebalance
/// timeout.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct GroupSettings {
    /// The group id.
    pub group_id: String,
    /// The protocol type all members share (`sr`, `connect`, …); the
    /// coordinator refuses members of another type.
    pub protocol_type: String,
    /// The protocols this member speaks, preferred first, each with the
    /// metadata the group leader sees.
    pub protocols: Vec<(String, Bytes)>,
    /// The `client.id` the broker sees.
    pub client_id: String,
    /// Without an accepted heartbeat for this long, the coordinator evicts
    /// the member (the broker clamps it to its allowed range).
    pub session_timeout: Duration,
    /// How long the coordinator waits for all members to rejoin during a
    /// rebalance.
    pub rebalance_timeout: Duration,
    /// How often a heartbeat is sent; must be below the session timeout.
    pub heartbeat_interval: Duration,
}

impl GroupSettings {
    /// Settings for `group_id` with `protocol_type`, Kafka's timeouts and
    /// no protocol yet (add one with [`GroupSettings::protocol`]).
    pub fn new(group_id: impl Into<String>, protocol_type: impl Into<String>) -> GroupSettings {
        GroupSettings {
            group_id: group_id.into(),
            protocol_type: protocol_type.into(),
            protocols: Vec::new(),
            client_id: "herald".to_owned(),
            session_timeout: Duration::from_secs(45),
            rebalance_timeout: Duration::from_secs(300),
            heartbeat_interval: Duration::from_secs(3),
        }
    }

    /// Adds a protocol this member speaks, with its metadata.
    pub fn protocol(mut self, name: impl Into<String>, metadata: Bytes) -> GroupSettings {
        self.protocols.push((name.into(), metadata));
        self
    }

    /// Sets the client id.
    pub fn client_id(mut self, client_id: impl Into<String>) -> GroupSettings {
        self.client_id = client_id.into();
        self
    }

    /// Sets the session timeout, heartbeat interval and rebalance timeout.
    pub fn timeouts(
        mut self,
        session: Duration,
        heartbeat: Duration,
        rebalance: Duration,
    ) -> GroupSettings {
        self.session_timeout = session;
        self.heartbeat_interval = heartbeat;
        self.rebalance_timeout = rebalance;
        self
    }

    fn check(&self) -> Result<(), GroupError> {
        if self.group_id.is_empty() {
            return Err(GroupError::config("the group id is empty"));
        }
        if self.protocol_type.is_empty() {
            return Err(GroupError::config("the protocol type is empty"));
        }
        if self.protocols.is_empty() {
            return Err(GroupError::config("no protocol given"));
        }
        if self.heartbeat_interval.is_zero() || self.heartbeat_interval >= self.session_timeout {
            return Err(GroupError::config(format!(
                "the heartbeat interval ({} ms) must be above zero and below the session timeout ({} ms)",
                self.heartbeat_interval.as_millis(),
                self.session_timeout.as_millis()
            )));
        }
        for (what, d) in [
            ("session timeout", self.session_timeout),
            ("rebalance timeout", self.rebalance_timeout),
        ] {
            if d.as_millis() > i32::MAX as u128 || d.is_zero() {
                return Err(GroupError::config(format!(
                    "the {what} must be between 1 ms and {} ms",
                    i32::MAX
                )));
            }
        }
        Ok(())
    }
}

/// One member as the group leader sees it during an assignment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JoinedMember {
    /// The member id the coordinator gave it.
    pub member_id: String,
    /// Its metadata for the chosen protocol.
    pub metadata: Bytes,
}

/// Computes the assignment when this member is the group leader: given the
/// chosen protocol and every member, the assignment bytes of each member
/// (by member id). Members left out get an empty assignment.
pub trait Assignor: Send + Sync + 'static {
    /// The assignment of each member.
    fn assign(&self, protocol: &str, members: &[JoinedMember]) -> Vec<(String, Bytes)>;
}

impl<F> Assignor for F
where
    F: Fn(&str, &[JoinedMember]) -> Vec<(String, Bytes)> + Send + Sync + 'static,
{
    fn assign(&self, protocol: &str, members: &[JoinedMember]) -> Vec<(String, Bytes)> {
        self(protocol, members)
    }
}

/// A generation this member completed (JoinGroup and SyncGroup both
/// answered).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Generation {
    /// The generation id.
    pub generation_id: i32,
    /// This member's id.
    pub member_id: String,
    /// The group leader's member id (the member that computed the
    /// assignment; not necessarily what the application calls a leader).
    pub group_leader: String,
    /// The protocol the coordinator chose.
    pub protocol: String,
    /// This member's assignment, as the group leader wrote it.
    pub assignment: Bytes,
}

/// Where the member stands.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Membership {
    /// Not in a completed generation: joining, rejoining during a
    /// rebalance, or out of contact with the coordinator.
    Joining,
    /// In a generation, with its assignment.
    Joined(Generation),
    /// Left the group (or its task ended); nothing follows.
    Stopped,
}

/// A running member: a background task joins the group, heartbeats and
/// rejoins on every rebalance until [`GroupMember::leave`].
#[derive(Debug)]
pub struct GroupMember {
    state: watch::Receiver<Membership>,
    last_error: Arc<Mutex<Option<Arc<GroupError>>>>,
    stop: watch::Sender<bool>,
    task: JoinHandle<()>,
}

impl GroupMember {
    /// Starts joining `group` on the cluster at `bootstrap`
    /// (`host:port[,…]`) over PLAINTEXT connections; returns at once, with
    /// [`Membership::Joining`] published until the first generation
    /// completes. Must be called in a Tokio runtime.
    pub fn join(
        bootstrap: &str,
        settings: GroupSettings,
        assignor: Arc<dyn Assignor>,
    ) -> Result<GroupMember, GroupError> {
        settings.check()?;
        let cluster = Cluster::new(bootstrap, &settings.client_id, Security::plaintext())?;
        Ok(GroupMember::start(cluster, settings, assignor))
    }

    /// Like [`GroupMember::join`], on the cluster `kafka` names, with its
    /// connections secured by `kafka`'s properties — the Java client's
    /// names, which the `confluent-kafka` clients read too:
    /// `security.protocol` (PLAINTEXT, SSL, SASL_PLAINTEXT, SASL_SSL),
    /// `ssl.truststore.location` or `ssl.truststore.certificates`,
    /// `ssl.keystore.location` (key and chain in one PEM file) or
    /// `ssl.keystore.key` + `ssl.keystore.certificate.chain`,
    /// `ssl.truststore.type` / `ssl.keystore.type` (PEM only),
    /// `ssl.endpoint.identification.algorithm` (`https`, the default,
    /// checks the broker's host name; empty does not), `sasl.mechanism`
    /// (PLAIN, SCRAM-SHA-256, SCRAM-SHA-512), `sasl.jaas.config`.
    /// librdkafka's `ssl.ca.location`, `ssl.ca.pem`,
    /// `ssl.certificate.location` + `ssl.key.location`, `sasl.username` +
    /// `sasl.password` are accepted as aliases.
    /// The client id is `settings`' (not `kafka.client_id`). A setting that
    /// cannot be honoured (GSSAPI, OAUTHBEARER, an unreadable CA file, an
    /// unknown `ssl.*` property) is a [`GroupError::Config`] now, never a
    /// fallback to PLAINTEXT.
    pub fn join_with(
        kafka: &KafkaConfig,
        settings: GroupSettings,
        assignor: Arc<dyn Assignor>,
    ) -> Result<GroupMember, GroupError> {
        settings.check()?;
        let security = Security::from_properties(&kafka.properties)?;
        let cluster = Cluster::new(&kafka.bootstrap, &settings.client_id, security)?;
        Ok(GroupMember::start(cluster, settings, assignor))
    }

    fn start(
        cluster: Cluster,
        settings: GroupSettings,
        assignor: Arc<dyn Assignor>,
    ) -> GroupMember {
        let (state_tx, state) = watch::channel(Membership::Joining);
        let (stop, stop_rx) = watch::channel(false);
        let last_error = Arc::new(Mutex::new(None));
        let session = session::Session::new(
            Arc::new(cluster),
            settings,
            assignor,
            state_tx,
            last_error.clone(),
        );
        let task = tokio::spawn(session.run(stop_rx));
        GroupMember {
            state,
            last_error,
            stop,
            task,
        }
    }

    /// Why the last attempt to join or heartbeat failed, until a
    /// generation completes or a heartbeat is accepted (then `None`
    /// again). The member retries on
    /// its own; this says why it is still [`Membership::Joining`] — a
    /// [`GroupError::Security`] (an untrusted certificate, a refused
    /// password) will not go away by waiting.
    pub fn last_error(&self) -> Option<Arc<GroupError>> {
        self.last_error.lock().clone()
    }

    /// A receiver of every change of [`Membership`].
    pub fn watch(&self) -> watch::Receiver<Membership> {
        self.state.clone()
    }

    /// Where the member stands now.
    pub fn current(&self) -> Membership {
        self.state.borrow().clone()
    }

    /// Publishes [`Membership::Stopped`], sends LeaveGroup (waiting at most
    /// a few seconds for the answer) and ends the task.
    pub async fn leave(mut self) {
        let _ = self.stop.send(true);
        if let Err(e) = (&mut self.task).await {
            tracing::warn!(error = %e, "the group membership task failed");
        }
    }
}

impl Drop for GroupMember {
    fn drop(&mut self) {
        // Dropped without `leave`: the task still publishes Stopped and
        // sends LeaveGroup in the background.
        let _ = self.stop.send(true);
    }
}
