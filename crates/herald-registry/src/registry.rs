//! The registry service: the state in memory, the store behind it, and the
//! single writer that keeps them in step.
//!
//! Every write runs under one async mutex: plan against the state (parse,
//! check compatibility, allocate id and version), append the records to
//! `_schemas` and wait for acks=all, then apply them to the state. Reads
//! take a short read lock on the state and never wait for a write's I/O.
//! So ids and versions are never duplicated or skipped, and nothing is
//! visible before it is durable.
//!
//! With an election configured ([`crate::cluster`]), only the leader
//! writes; every instance also applies what it reads from `_schemas`, and
//! the state remembers the offset it has applied up to, so a record is
//! applied once whether the leader applied it after its ack or read it back.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use herald_client::membership::{GroupMember, GroupSettings};
use herald_client::transport::{PartitionReader, RawRecord};
use parking_lot::RwLock;
use tokio::sync::{Mutex, OnceCell, mpsc, oneshot, watch};
use tokio::task::JoinHandle;

use crate::cluster::{ElectionConfig, Role, election, protocol, tail};
use crate::metrics::Metrics;
use crate::record::{ConfigValue, Mode, Record};
use crate::state::{Candidate, RegisterOptions, RegisterOutcome, SchemaRef, VersionSpec};
use crate::store::{KafkaStore, apply_raw};
use crate::{Config, RegistryError, State};

/// The state and the `_schemas` offset it reflects.
#[derive(Debug)]
struct Replica {
    state: State,
    /// Every record below this offset is applied.
    next: i64,
}

/// What runs beside the HTTP server when instances elect a leader.
#[derive(Debug, Default)]
struct Cluster {
    member: Option<GroupMember>,
    tail: Option<JoinHandle<()>>,
    election: Option<JoinHandle<()>>,
}

/// A running registry, shared by the HTTP handlers.
#[derive(Debug)]
pub struct Registry {
    config: Config,
    replica: RwLock<Replica>,
    /// The `next` offset of the replica, for writes waiting to see their
    /// records applied by the tail.
    applied: watch::Sender<i64>,
    store: OnceCell<KafkaStore>,
    writer: Mutex<()>,
    ready: AtomicBool,
    metrics: Metrics,
    cluster_id: OnceCell<String>,
    role: watch::Sender<Role>,
    catch_up: OnceCell<mpsc::UnboundedSender<tail::CatchUp>>,
    stop_tail: watch::Sender<bool>,
    cluster: Mutex<Cluster>,
    forwarder: std::sync::OnceLock<reqwest::Client>,
}

/// A registration's result.
#[derive(Debug, Clone)]
pub struct Registered {
    /// The version and schema registered (or found).
    pub schema: SchemaRef,
    /// Whether this request wrote it (false when it existed).
    pub created: bool,
}

impl Registry {
    /// A registry that is not ready yet: [`Registry::start`] replays
    /// `_schemas` and makes it ready.
    pub fn new(config: Config) -> Arc<Registry> {
        let role = if config.election.is_some() {
            Role::Electing
        } else {
            Role::Standalone
        };
        Arc::new(Registry {
            config,
            replica: RwLock::new(Replica {
                state: State::new(),
                next: 0,
            }),
            applied: watch::Sender::new(0),
            store: OnceCell::new(),
            writer: Mutex::new(()),
            ready: AtomicBool::new(false),
            metrics: Metrics::new(),
            cluster_id: OnceCell::new(),
            role: watch::Sender::new(role),
            catch_up: OnceCell::new(),
            stop_tail: watch::Sender::new(false),
            cluster: Mutex::new(Cluster::default()),
            forwarder: std::sync::OnceLock::new(),
        })
    }

    /// Connects to Kafka, creates `_schemas` if needed, replays it and marks
    /// the registry ready; with an election configured, also starts tailing
    /// `_schemas` and joins the group. Calling it again once ready does
    /// nothing.
    pub async fn start(self: &Arc<Self>) -> Result<(), RegistryError> {
        if self.is_ready() {
            return Ok(());
        }
        let started = std::time::Instant::now();
        let _writer = self.writer.lock().await;
        let (store, replayed, reader) = KafkaStore::open(&self.config).await?;
        let schemas = replayed.state.schema_count();
        *self.replica.write() = Replica {
            state: replayed.state,
            next: replayed.next_offset,
        };
        self.applied.send_replace(replayed.next_offset);
        if self.store.set(store).is_err() {
            return Ok(());
        }
        if let (Some(election), Some(reader)) = (&self.config.election, reader) {
            self.join_cluster(election, reader).await?;
        }
        self.ready.store(true, Ordering::Release);
        tracing::info!(
            records = replayed.records,
            skipped = replayed.skipped,
            schemas,
            elapsed_ms = started.elapsed().as_millis() as u64,
            "schema registry ready"
        );
        // Only `/v1/metadata/id` needs this; it does not hold up readiness.
        match herald_client::transport::cluster_id(&self.config.kafka).await {
            Ok(id) => {
                let _ = self.cluster_id.set(id);
            }
            Err(e) => tracing::warn!(error = %e, "could not read the Kafka cluster id"),
        }
        Ok(())
    }

    /// Starts the tail over `reader` and joins the leader election.
    async fn join_cluster(
        self: &Arc<Self>,
        election: &ElectionConfig,
        reader: PartitionReader,
    ) -> Result<(), RegistryError> {
        let (requests, received) = mpsc::unbounded_channel();
        let _ = self.catch_up.set(requests);
        let tail = tokio::spawn(tail::run(
            self.clone(),
            reader,
            received,
            self.stop_tail.subscribe(),
        ));
        let identity =
            serde_json::to_vec(&election.identity()).map_err(|e| RegistryError::Http {
                status: 500,
                message: format!("cannot encode this instance's identity: {e}"),
            })?;
        let settings = GroupSettings::new(election.group_id.clone(), protocol::PROTOCOL_TYPE)
            .protocol(protocol::PROTOCOL_V0, bytes::Bytes::from(identity))
            .client_id(self.config.kafka.client_id.clone())
            .timeouts(
                election.session_timeout,
                election.heartbeat_interval,
                election.rebalance_timeout,
            );
        let assign = |_protocol: &str, members: &[herald_client::membership::JoinedMember]| {
            protocol::assign(members)
        };
        // The same security properties as the store's clients.
        let member = GroupMember::join_with(&self.config.kafka, settings, Arc::new(assign))
            .map_err(|e| RegistryError::Store {
                reason: format!("joining the leader election: {e}"),
            })?;
        let election_task = tokio::spawn(election::run(
            self.clone(),
            member.watch(),
            election.eligible,
        ));
        tracing::info!(
            group = election.group_id,
            url = election.identity().url(),
            eligible = election.eligible,
            "joining the schema registry group"
        );
        let mut cluster = self.cluster.lock().await;
        cluster.member = Some(member);
        cluster.tail = Some(tail);
        cluster.election = Some(election_task);
        Ok(())
    }

    /// Whether `_schemas` has been replayed and the registry serves requests.
    pub fn is_ready(&self) -> bool {
        self.ready.load(Ordering::Acquire)
    }

    /// The settings it runs with.
    pub fn config(&self) -> &Config {
        &self.config
    }

    /// Its metrics.
    pub fn metrics(&self) -> &Metrics {
        &self.metrics
    }

    /// The Kafka cluster id, once known.
    pub fn kafka_cluster_id(&self) -> Option<&str> {
        self.cluster_id.get().map(String::as_str)
    }

    /// Runs `f` over the current state (a short read lock: do no I/O in it).
    pub fn read<R>(&self, f: impl FnOnce(&State) -> R) -> R {
        f(&self.replica.read().state)
    }

    /// What this instance does with writes now.
    pub fn role(&self) -> Role {
        self.role.borrow().clone()
    }

    /// A receiver of every change of [`Registry::role`].
    pub fn watch_role(&self) -> watch::Receiver<Role> {
        self.role.subscribe()
    }

    pub(crate) fn set_role(&self, role: Role) {
        self.role.send_if_modified(|now| {
            if *now == role {
                return false;
            }
            tracing::info!(from = ?now, to = ?role, "schema registry role changed");
            *now = role;
            true
        });
    }

    /// The role once no election is in progress, waiting at most the
    /// configured `leader_wait` (then [`Role::Electing`]).
    pub(crate) async fn settled_role(&self) -> Role {
        let Some(election) = &self.config.election else {
            return Role::Standalone;
        };
        let mut role = self.role.subscribe();
        let settled = tokio::time::timeout(
            election.leader_wait,
            role.wait_for(|r| *r != Role::Electing),
        )
        .await;
        match settled {
            Ok(Ok(r)) => r.clone(),
            _ => self.role(),
        }
    }

    /// Applies every record of `_schemas` before its end offset as it is
    /// now (through the tail). Immediate without an election.
    pub(crate) async fn catch_up(&self) -> Result<(), RegistryError> {
        let Some(requests) = self.catch_up.get() else {
            return Ok(());
        };
        let (done, answer) = oneshot::channel();
        let closed = || RegistryError::Store {
            reason: "the _schemas tail has stopped".to_owned(),
        };
        requests.send(done).map_err(|_| closed())?;
        answer
            .await
            .map_err(|_| closed())?
            .map_err(|reason| RegistryError::Store { reason })
    }

    /// Applies records read from `_schemas` that are not applied yet.
    pub(crate) fn apply_log(&self, records: &[RawRecord]) {
        if records.is_empty() {
            return;
        }
        let next = {
            let mut replica = self.replica.write();
            for r in records {
                if r.offset < replica.next {
                    continue;
                }
                replica.next = r.offset + 1;
                apply_raw(&mut replica.state, r);
            }
            replica.next
        };
        self.applied.send_replace(next);
    }

    /// The HTTP client that forwards writes to the leader.
    pub(crate) fn forwarder(&self) -> &reqwest::Client {
        self.forwarder.get_or_init(|| {
            let timeout = self
                .config
                .election
                .as_ref()
                .map_or(Duration::from_secs(30), |e| e.forward_timeout);
            reqwest::Client::builder()
                .timeout(timeout)
                .build()
                .unwrap_or_default()
        })
    }

    /// Stops taking writes, leaves the group (so another instance takes
    /// over at once), stops tailing and closes the store's producer.
    pub async fn close(&self) {
        self.set_role(Role::Stopped);
        let cluster = std::mem::take(&mut *self.cluster.lock().await);
        if let Some(member) = cluster.member {
            member.leave().await;
        }
        let _ = self.stop_tail.send(true);
        for task in [cluster.election, cluster.tail].into_iter().flatten() {
            if tokio::time::timeout(Duration::from_secs(5), task)
                .await
                .is_err()
            {
                tracing::warn!("a schema registry background task did not stop in time");
            }
        }
        if let Some(store) = self.store.get() {
            store.close().await;
        }
    }

    /// Appends `records` and applies them once durable. Callers hold the
    /// writer lock.
    async fn commit(&self, records: &[Record]) -> Result<(), RegistryError> {
        let store = self.store.get().ok_or_else(|| RegistryError::Timeout {
            reason: "The schema registry is still loading _schemas".to_owned(),
        })?;
        // A rebalance may have begun while this write queued for the
        // writer lock: wait for it to settle, as the middleware did.
        let role = self.settled_role().await;
        if !role.writes() {
            return Err(RegistryError::UnknownLeader {
                reason: format!("this instance is not the leader ({role:?})"),
            });
        }
        let offsets = store.append(records).await?;
        let tailing = self.catch_up.get().is_some();
        let mut wait_for = None;
        {
            let mut replica = self.replica.write();
            for (record, offset) in records.iter().zip(&offsets) {
                if *offset < replica.next {
                    // The tail read it back first.
                    continue;
                }
                if *offset > replica.next && tailing {
                    // Records this instance has not read yet come before
                    // it: apply in log order, through the tail.
                    wait_for = offsets.last().map(|o| o + 1);
                    break;
                }
                replica.state.apply(record);
                replica.next = offset + 1;
            }
            if wait_for.is_none() {
                self.applied.send_replace(replica.next);
            }
        }
        if let Some(target) = wait_for {
            let mut applied = self.applied.subscribe();
            tokio::time::timeout(self.config.init_timeout, applied.wait_for(|n| *n >= target))
                .await
                .map_err(|_| RegistryError::Timeout {
                    reason: format!("reading _schemas back to offset {target} timed out"),
                })?
                .map_err(|_| RegistryError::Store {
                    reason: "the _schemas tail has stopped".to_owned(),
                })?;
        }
        Ok(())
    }

    /// Registers a schema under a subject (`POST /subjects/{s}/versions`).
    pub async fn register(
        &self,
        subject: &str,
        candidate: &Candidate,
        opts: RegisterOptions,
    ) -> Result<Registered, RegistryError> {
        let _writer = self.writer.lock().await;
        let outcome = self.read(|s| s.plan_register(subject, candidate, opts));
        if matches!(outcome, Err(RegistryError::Incompatible { .. })) {
            self.metrics.compatibility_check(false);
        }
        match outcome? {
            RegisterOutcome::Existing(schema) => Ok(Registered {
                schema,
                created: false,
            }),
            RegisterOutcome::New {
                version, record, ..
            } => {
                self.metrics.compatibility_check(true);
                self.commit(std::slice::from_ref(&*record)).await?;
                let subject = match &record.key {
                    crate::record::Key::Schema { subject, .. } => subject.clone(),
                    _ => subject.to_owned(),
                };
                let schema =
                    self.read(|s| s.version(&subject, VersionSpec::Number(version), true))?;
                Ok(Registered {
                    schema,
                    created: true,
                })
            }
        }
    }

    /// Deletes one version (soft, or permanent after a soft delete).
    pub async fn delete_version(
        &self,
        subject: &str,
        version: VersionSpec,
        permanent: bool,
    ) -> Result<i32, RegistryError> {
        let _writer = self.writer.lock().await;
        let outcome = self.read(|s| s.plan_delete_version(subject, version, permanent))?;
        self.commit(&outcome.records).await?;
        Ok(outcome.versions.first().copied().unwrap_or_default())
    }

    /// Deletes a subject (soft, or permanent after a soft delete); returns
    /// the versions deleted.
    pub async fn delete_subject(
        &self,
        subject: &str,
        permanent: bool,
    ) -> Result<Vec<i32>, RegistryError> {
        let _writer = self.writer.lock().await;
        let outcome = self.read(|s| s.plan_delete_subject(subject, permanent))?;
        self.commit(&outcome.records).await?;
        Ok(outcome.versions)
    }

    /// Sets (merges into) the global or a subject's configuration.
    pub async fn put_config(
        &self,
        subject: Option<&str>,
        update: &ConfigValue,
    ) -> Result<(), RegistryError> {
        let _writer = self.writer.lock().await;
        let record = self.read(|s| s.plan_config(subject, update))?;
        self.commit(&[record]).await
    }

    /// Removes the global or a subject's configuration; returns what it was.
    pub async fn delete_config(&self, subject: Option<&str>) -> Result<ConfigValue, RegistryError> {
        let _writer = self.writer.lock().await;
        let (previous, record) = self.read(|s| s.plan_delete_config(subject))?;
        self.commit(&[record]).await?;
        Ok(previous)
    }

    /// Sets the global or a subject's mode.
    pub async fn put_mode(
        &self,
        subject: Option<&str>,
        mode: Mode,
        force: bool,
    ) -> Result<(), RegistryError> {
        let _writer = self.writer.lock().await;
        let record = self.read(|s| s.plan_mode(subject, mode, force))?;
        self.commit(&[record]).await
    }

    /// Removes the global or a subject's mode; returns what it was.
    pub async fn delete_mode(&self, subject: Option<&str>) -> Result<Mode, RegistryError> {
        let _writer = self.writer.lock().await;
        let (previous, record) = self.read(|s| s.plan_delete_mode(subject))?;
        self.commit(&[record]).await?;
        Ok(previous)
    }
}
