//! The registry service: the state in memory, the store behind it, and the
//! single writer that keeps them in step.
//!
//! Every write runs under one async mutex: plan against the state (parse,
//! check compatibility, allocate id and version), append the records to
//! `_schemas` and wait for acks=all, then apply them to the state. Reads
//! take a short read lock on the state and never wait for a write's I/O.
//! So ids and versions are never duplicated or skipped, and nothing is
//! visible before it is durable.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use parking_lot::RwLock;
use tokio::sync::{Mutex, OnceCell};

use crate::metrics::Metrics;
use crate::record::{ConfigValue, Mode, Record};
use crate::state::{Candidate, RegisterOptions, RegisterOutcome, SchemaRef, VersionSpec};
use crate::store::KafkaStore;
use crate::{Config, RegistryError, State};

/// A running registry, shared by the HTTP handlers.
#[derive(Debug)]
pub struct Registry {
    config: Config,
    state: RwLock<State>,
    store: OnceCell<KafkaStore>,
    writer: Mutex<()>,
    ready: AtomicBool,
    metrics: Metrics,
    cluster_id: OnceCell<String>,
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
        Arc::new(Registry {
            config,
            state: RwLock::new(State::new()),
            store: OnceCell::new(),
            writer: Mutex::new(()),
            ready: AtomicBool::new(false),
            metrics: Metrics::new(),
            cluster_id: OnceCell::new(),
        })
    }

    /// Connects to Kafka, creates `_schemas` if needed, replays it and marks
    /// the registry ready. Calling it again once ready does nothing.
    pub async fn start(&self) -> Result<(), RegistryError> {
        if self.is_ready() {
            return Ok(());
        }
        let started = std::time::Instant::now();
        let _writer = self.writer.lock().await;
        let (store, replayed) = KafkaStore::open(&self.config).await?;
        let schemas = replayed.state.schema_count();
        *self.state.write() = replayed.state;
        if self.store.set(store).is_err() {
            return Ok(());
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
        f(&self.state.read())
    }

    /// Flushes and closes the store's producer.
    pub async fn close(&self) {
        if let Some(store) = self.store.get() {
            store.close().await;
        }
    }

    /// Appends `records` and applies them once durable. Callers hold the writer lock.
    async fn commit(&self, records: &[Record]) -> Result<(), RegistryError> {
        let store = self.store.get().ok_or_else(|| RegistryError::Timeout {
            reason: "The schema registry is still loading _schemas".to_owned(),
        })?;
        store.append(records).await?;
        let mut state = self.state.write();
        for r in records {
            state.apply(r);
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
