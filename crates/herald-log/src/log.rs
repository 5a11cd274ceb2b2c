//! The data directory: topics and their partitions.
//!
//! Layout:
//! ```text
//! <data>/topics/<topic>/topic.properties          id, partition count, config overrides
//! <data>/topics/<topic>/<partition>/<base>.log      segments (20-digit base offset)
//! <data>/topics/<topic>/<partition>/<base>.index    sparse offset index
//! <data>/topics/<topic>/<partition>/<base>.timeindex
//! <data>/topics/<topic>/<partition>/log-start-offset  DeleteRecords checkpoint
//! <data>/trash/                                      topics being deleted
//! ```

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use parking_lot::{Condvar, Mutex, RwLock};
use uuid::Uuid;

use crate::clock::{Clock, SystemClock};
use crate::config::{StorageKind, TopicConfig};
use crate::error::{LogError, Result};
use crate::fsutil;
use crate::partition::Partition;
use crate::topic::{self, TopicInfo};

/// How a [`Log`] is opened.
#[derive(Clone, Debug)]
pub struct LogOptions {
    /// Time source for retention, compaction, segment age and log-append time.
    pub clock: Arc<dyn Clock>,
    /// Broker-level defaults that topic overrides are laid over.
    pub defaults: TopicConfig,
    /// Run a background thread for `flush=interval` syncs (checked every
    /// 10 ms) and for retention and compaction (every
    /// `retention_check_interval`). Without it the owner calls
    /// [`Log::run_maintenance`] / [`Log::flush_due`].
    pub background: bool,
    /// How often the background thread applies retention and compaction
    /// (Kafka's `log.retention.check.interval.ms`, default 5 minutes).
    pub retention_check_interval: Duration,
}

impl Default for LogOptions {
    fn default() -> Self {
        Self {
            clock: Arc::new(SystemClock),
            defaults: TopicConfig::default(),
            background: true,
            retention_check_interval: Duration::from_secs(300),
        }
    }
}

#[derive(Debug)]
struct Topic {
    id: Uuid,
    dir: PathBuf,
    overrides: BTreeMap<String, String>,
    config: Arc<TopicConfig>,
    partitions: Vec<Arc<Partition>>,
}

impl Topic {
    fn info(&self, name: &str) -> TopicInfo {
        TopicInfo {
            name: name.to_owned(),
            id: self.id,
            partitions: self.partitions.len() as i32,
            config: self.config.clone(),
            overrides: self.overrides.clone(),
        }
    }
}

#[derive(Debug)]
struct Inner {
    dir: PathBuf,
    options: LogOptions,
    topics: RwLock<BTreeMap<String, Arc<Topic>>>,
    /// Serializes topic administration (create, delete, alter, add partitions).
    admin: Mutex<()>,
    stop: Mutex<bool>,
    wake: Condvar,
}

/// A data directory of topics. Cheap to share behind an `Arc`; all methods
/// take `&self`. Administrative calls and [`Log::open`] block on I/O.
#[derive(Debug)]
pub struct Log {
    inner: Arc<Inner>,
    background: Mutex<Option<JoinHandle<()>>>,
}

impl Log {
    /// Opens (creating if needed) the data directory and every topic in it,
    /// recovering partitions that were not closed cleanly and finishing
    /// interrupted topic creations and deletions. Blocks on I/O.
    pub fn open(dir: impl AsRef<Path>, options: LogOptions) -> Result<Self> {
        let dir = dir.as_ref().to_path_buf();
        let topics_dir = dir.join("topics");
        let trash = dir.join("trash");
        for d in [&dir, &topics_dir, &trash] {
            fs::create_dir_all(d).map_err(|e| LogError::io("create directory", d, e))?;
        }
        remove_dir_contents(&trash)?;
        let mut topics = BTreeMap::new();
        let entries = fs::read_dir(&topics_dir)
            .map_err(|e| LogError::io("list directory", &topics_dir, e))?;
        for entry in entries {
            let entry = entry.map_err(|e| LogError::io("list directory", &topics_dir, e))?;
            let path = entry.path();
            let Some(name) = entry.file_name().to_str().map(str::to_owned) else {
                continue;
            };
            if !path.is_dir() {
                continue;
            }
            let Some((id, count, overrides)) = topic::read(&path)? else {
                tracing::info!(topic = %name, "removing a topic whose creation did not finish");
                fs::remove_dir_all(&path)
                    .map_err(|e| LogError::io("remove directory", &path, e))?;
                continue;
            };
            let config = Arc::new(options.defaults.with_overrides(&overrides)?);
            remove_extra_partitions(&path, count)?;
            let partitions = (0..count)
                .map(|p| open_partition(&path, &name, p, &config, &options.clock).map(Arc::new))
                .collect::<Result<Vec<_>>>()?;
            topics.insert(
                name,
                Arc::new(Topic {
                    id,
                    dir: path,
                    overrides,
                    config,
                    partitions,
                }),
            );
        }
        let inner = Arc::new(Inner {
            dir,
            options,
            topics: RwLock::new(topics),
            admin: Mutex::new(()),
            stop: Mutex::new(false),
            wake: Condvar::new(),
        });
        let background = if inner.options.background {
            let worker = inner.clone();
            let handle = std::thread::Builder::new()
                .name("herald-log-maintenance".to_owned())
                .spawn(move || background_loop(&worker))
                .map_err(|e| LogError::io("spawn maintenance thread", &inner.dir, e))?;
            Some(handle)
        } else {
            None
        };
        Ok(Self {
            inner,
            background: Mutex::new(background),
        })
    }

    /// The data directory.
    pub fn dir(&self) -> &Path {
        &self.inner.dir
    }

    /// The defaults topic overrides are laid over ([`LogOptions::defaults`]):
    /// what DescribeConfigs reports for keys a topic does not override.
    ///
    /// ```
    /// # let dir = tempfile::tempdir().unwrap();
    /// let mut options = herald_log::LogOptions::default();
    /// options.defaults.max_message_bytes = 2_000_000;
    /// let log = herald_log::Log::open(dir.path(), options).unwrap();
    /// assert_eq!(log.defaults().max_message_bytes, 2_000_000);
    /// let t = log.create_topic("t", 1, &Default::default()).unwrap();
    /// assert_eq!(t.config.max_message_bytes, 2_000_000);
    /// ```
    pub fn defaults(&self) -> &TopicConfig {
        &self.inner.options.defaults
    }

    /// The clock the log was opened with.
    pub fn clock(&self) -> Arc<dyn Clock> {
        self.inner.options.clock.clone()
    }

    /// Creates a topic with `partitions` partitions and the given config
    /// overrides (Kafka key names, validated). The topic gets a new random
    /// topic id. Atomic: after a crash the topic either exists completely or
    /// not at all. Blocks on I/O.
    pub fn create_topic(
        &self,
        name: &str,
        partitions: i32,
        overrides: &BTreeMap<String, String>,
    ) -> Result<TopicInfo> {
        topic::validate_name(name)?;
        let _admin = self.inner.admin.lock();
        if self.inner.topics.read().contains_key(name) {
            return Err(LogError::TopicExists {
                topic: name.to_owned(),
            });
        }
        if partitions <= 0 {
            return Err(LogError::InvalidPartitionCount {
                topic: name.to_owned(),
                requested: partitions,
                current: 0,
            });
        }
        let config = Arc::new(self.inner.options.defaults.with_overrides(overrides)?);
        let dir = self.inner.dir.join("topics").join(name);
        if dir.exists() {
            fs::remove_dir_all(&dir).map_err(|e| LogError::io("remove directory", &dir, e))?;
        }
        fs::create_dir_all(&dir).map_err(|e| LogError::io("create directory", &dir, e))?;
        let parts = (0..partitions)
            .map(|p| {
                open_partition(&dir, name, p, &config, &self.inner.options.clock).map(Arc::new)
            })
            .collect::<Result<Vec<_>>>()?;
        let id = topic::new_topic_id();
        // The metadata file is the commit point of the creation.
        topic::write(&dir, id, partitions, overrides)?;
        fsutil::sync_dir(&self.inner.dir.join("topics"))?;
        let topic = Arc::new(Topic {
            id,
            dir,
            overrides: overrides.clone(),
            config,
            partitions: parts,
        });
        let info = topic.info(name);
        self.inner.topics.write().insert(name.to_owned(), topic);
        tracing::info!(topic = name, partitions, %id, "created topic");
        Ok(info)
    }

    /// Deletes a topic and all its data. Readers holding its partitions can
    /// finish their reads; appends to them fail. Blocks on I/O.
    pub fn delete_topic(&self, name: &str) -> Result<()> {
        let _admin = self.inner.admin.lock();
        let topic =
            self.inner
                .topics
                .write()
                .remove(name)
                .ok_or_else(|| LogError::UnknownTopic {
                    topic: name.to_owned(),
                })?;
        for p in &topic.partitions {
            // Closing stops appends; the data is about to go anyway.
            let _ = p.close();
        }
        let trash = self
            .inner
            .dir
            .join("trash")
            .join(format!("{name}.{}", topic.id.simple()));
        fs::rename(&topic.dir, &trash).map_err(|e| LogError::io("rename", &topic.dir, e))?;
        fsutil::sync_dir(&self.inner.dir.join("topics"))?;
        fs::remove_dir_all(&trash).map_err(|e| LogError::io("remove directory", &trash, e))?;
        tracing::info!(topic = name, "deleted topic");
        Ok(())
    }

    /// Grows a topic to `total` partitions (Kafka CreatePartitions). Blocks on I/O.
    pub fn add_partitions(&self, name: &str, total: i32) -> Result<TopicInfo> {
        let _admin = self.inner.admin.lock();
        let topic = self.topic_state(name)?;
        let current = topic.partitions.len() as i32;
        if total <= current {
            return Err(LogError::InvalidPartitionCount {
                topic: name.to_owned(),
                requested: total,
                current,
            });
        }
        let mut partitions = topic.partitions.clone();
        for p in current..total {
            partitions.push(Arc::new(open_partition(
                &topic.dir,
                name,
                p,
                &topic.config,
                &self.inner.options.clock,
            )?));
        }
        topic::write(&topic.dir, topic.id, total, &topic.overrides)?;
        let updated = Arc::new(Topic {
            id: topic.id,
            dir: topic.dir.clone(),
            overrides: topic.overrides.clone(),
            config: topic.config.clone(),
            partitions,
        });
        let info = updated.info(name);
        self.inner.topics.write().insert(name.to_owned(), updated);
        Ok(info)
    }

    /// Replaces a topic's configuration overrides (Kafka AlterConfigs; compute
    /// the full set for IncrementalAlterConfigs). `storage` cannot change.
    /// Persisted atomically and applied to every partition. Blocks on I/O.
    pub fn alter_topic_config(
        &self,
        name: &str,
        overrides: &BTreeMap<String, String>,
    ) -> Result<TopicInfo> {
        let _admin = self.inner.admin.lock();
        let topic = self.topic_state(name)?;
        let config = self.inner.options.defaults.with_overrides(overrides)?;
        if config.storage != topic.config.storage {
            return Err(crate::error::ConfigError::InvalidValue {
                key: "storage".to_owned(),
                value: overrides.get("storage").cloned().unwrap_or_default(),
                reason: "storage is fixed when the topic is created",
            }
            .into());
        }
        topic::write(
            &topic.dir,
            topic.id,
            topic.partitions.len() as i32,
            overrides,
        )?;
        for p in &topic.partitions {
            p.set_config(config.clone());
        }
        let updated = Arc::new(Topic {
            id: topic.id,
            dir: topic.dir.clone(),
            overrides: overrides.clone(),
            config: Arc::new(config),
            partitions: topic.partitions.clone(),
        });
        let info = updated.info(name);
        self.inner.topics.write().insert(name.to_owned(), updated);
        Ok(info)
    }

    fn topic_state(&self, name: &str) -> Result<Arc<Topic>> {
        self.inner
            .topics
            .read()
            .get(name)
            .cloned()
            .ok_or_else(|| LogError::UnknownTopic {
                topic: name.to_owned(),
            })
    }

    /// Metadata of one topic, `None` if it does not exist.
    pub fn topic(&self, name: &str) -> Option<TopicInfo> {
        self.inner.topics.read().get(name).map(|t| t.info(name))
    }

    /// The topic with this id, if any.
    pub fn topic_by_id(&self, id: Uuid) -> Option<TopicInfo> {
        self.inner
            .topics
            .read()
            .iter()
            .find(|(_, t)| t.id == id)
            .map(|(n, t)| t.info(n))
    }

    /// All topics, ordered by name.
    pub fn topics(&self) -> Vec<TopicInfo> {
        self.inner
            .topics
            .read()
            .iter()
            .map(|(n, t)| t.info(n))
            .collect()
    }

    /// One partition of a topic.
    pub fn partition(&self, topic: &str, partition: i32) -> Result<Arc<Partition>> {
        let t = self.topic_state(topic)?;
        usize::try_from(partition)
            .ok()
            .and_then(|i| t.partitions.get(i).cloned())
            .ok_or_else(|| LogError::UnknownPartition {
                topic: topic.to_owned(),
                partition,
            })
    }

    /// All partitions of a topic, in index order.
    pub fn partitions(&self, topic: &str) -> Result<Vec<Arc<Partition>>> {
        Ok(self.topic_state(topic)?.partitions.clone())
    }

    fn all_partitions(&self) -> Vec<Arc<Partition>> {
        all_partitions(&self.inner)
    }

    /// Syncs partitions whose `flush=interval` is due. Blocks on I/O.
    pub fn flush_due(&self) -> Result<()> {
        for p in self.all_partitions() {
            p.flush_if_due()?;
        }
        Ok(())
    }

    /// One retention and compaction pass over every partition (what the
    /// background thread does every `retention_check_interval`). Blocks on I/O.
    pub fn run_maintenance(&self) -> Result<()> {
        maintenance_pass(&self.inner)
    }

    /// Clean shutdown: stops the background thread, syncs and closes every
    /// partition and writes their clean-shutdown markers, so the next open is
    /// fast. Blocks on I/O.
    pub fn shutdown(&self) -> Result<()> {
        *self.inner.stop.lock() = true;
        self.inner.wake.notify_all();
        if let Some(handle) = self.background.lock().take() {
            let _ = handle.join();
        }
        let mut first_error = None;
        for p in self.all_partitions() {
            if let Err(e) = p.close() {
                tracing::error!(partition = p.name(), error = %e, "closing partition failed");
                first_error.get_or_insert(e);
            }
        }
        first_error.map_or(Ok(()), Err)
    }
}

impl Drop for Log {
    fn drop(&mut self) {
        // Stop the thread; closing partitions is left to an explicit shutdown
        // so that a dropped log behaves like a crash, never like a clean stop.
        *self.inner.stop.lock() = true;
        self.inner.wake.notify_all();
        if let Some(handle) = self.background.lock().take() {
            let _ = handle.join();
        }
    }
}

fn open_partition(
    topic_dir: &Path,
    topic: &str,
    index: i32,
    config: &Arc<TopicConfig>,
    clock: &Arc<dyn Clock>,
) -> Result<Partition> {
    let name = format!("{topic}-{index}");
    match config.storage {
        StorageKind::Memory => Ok(Partition::open_memory(
            name,
            TopicConfig::clone(config),
            clock.clone(),
        )),
        StorageKind::Disk => Partition::open(
            topic_dir.join(index.to_string()),
            name,
            TopicConfig::clone(config),
            clock.clone(),
        ),
    }
}

/// Partition directories at or beyond the committed count are leftovers of an
/// interrupted CreatePartitions.
fn remove_extra_partitions(topic_dir: &Path, count: i32) -> Result<()> {
    let entries =
        fs::read_dir(topic_dir).map_err(|e| LogError::io("list directory", topic_dir, e))?;
    for entry in entries {
        let entry = entry.map_err(|e| LogError::io("list directory", topic_dir, e))?;
        let index = entry
            .file_name()
            .to_str()
            .and_then(|n| n.parse::<i32>().ok());
        if index.is_some_and(|i| i >= count) && entry.path().is_dir() {
            let path = entry.path();
            fs::remove_dir_all(&path).map_err(|e| LogError::io("remove directory", &path, e))?;
        }
    }
    Ok(())
}

fn remove_dir_contents(dir: &Path) -> Result<()> {
    let entries = fs::read_dir(dir).map_err(|e| LogError::io("list directory", dir, e))?;
    for entry in entries {
        let path = entry
            .map_err(|e| LogError::io("list directory", dir, e))?
            .path();
        let result = if path.is_dir() {
            fs::remove_dir_all(&path)
        } else {
            fs::remove_file(&path)
        };
        result.map_err(|e| LogError::io("remove", &path, e))?;
    }
    Ok(())
}

fn all_partitions(inner: &Inner) -> Vec<Arc<Partition>> {
    inner
        .topics
        .read()
        .values()
        .flat_map(|t| t.partitions.iter().cloned())
        .collect()
}

fn maintenance_pass(inner: &Inner) -> Result<()> {
    let mut first_error = None;
    for p in all_partitions(inner) {
        if p.is_poisoned() {
            continue;
        }
        let result = p.enforce_retention().and_then(|_| p.compact().map(|_| ()));
        if let Err(e) = result {
            tracing::error!(partition = p.name(), error = %e, "retention or compaction failed");
            first_error.get_or_insert(e);
        }
    }
    first_error.map_or(Ok(()), Err)
}

fn background_loop(inner: &Inner) {
    const FLUSH_TICK: Duration = Duration::from_millis(10);
    let mut next_maintenance = Instant::now() + inner.options.retention_check_interval;
    loop {
        {
            let mut stop = inner.stop.lock();
            if *stop {
                return;
            }
            inner.wake.wait_for(&mut stop, FLUSH_TICK);
            if *stop {
                return;
            }
        }
        for p in all_partitions(inner) {
            if let Err(e) = p.flush_if_due() {
                tracing::error!(partition = p.name(), error = %e, "interval flush failed");
            }
        }
        if Instant::now() >= next_maintenance {
            let _ = maintenance_pass(inner);
            next_maintenance = Instant::now() + inner.options.retention_check_interval;
        }
    }
}
