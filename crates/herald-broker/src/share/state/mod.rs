//! The share coordinator's state, free of sockets, clocks and storage:
//! every operation takes the current time (ms); what must reach
//! `__share_group_state` is tracked as dirty keys and snapshotted by
//! [`ShareState::take_dirty`] when the writer is ready; records to
//! dead-letter and "records became available" are collected for the shell.

pub(crate) mod admin;
pub(crate) mod group;
pub(crate) mod partition;
pub(crate) mod sessions;

use std::collections::{BTreeMap, BTreeSet, HashMap};

use uuid::Uuid;

use self::group::{GroupSnapshot, Heartbeat, HeartbeatOk, LEAVE_EPOCH, ShareGroup, Topics};
use self::partition::{AckBatch, DeadLetter, Effects, Limits, PartitionSnapshot, SharePartition};
use self::sessions::{Sessions, TopicPartition};
use crate::share::ShareConfig;
use crate::share::config::GroupSettings;
use crate::share::error::ShareError;

/// What a record of `__share_group_state` is about.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum Key {
    /// A group's configuration.
    Config(String),
    /// A group's membership.
    Group(String),
    /// A share-partition.
    Partition(String, Uuid, i32),
}

/// One record of `__share_group_state` (`None`: a tombstone).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum StoreRecord {
    Config {
        group: String,
        value: Option<BTreeMap<String, String>>,
    },
    Group {
        group: String,
        value: Option<GroupSnapshot>,
    },
    Partition {
        group: String,
        topic: Uuid,
        partition: i32,
        value: Option<PartitionSnapshot>,
    },
}

/// A record to copy to a group's dead-letter topic.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct DeadLetterJob {
    pub group: String,
    pub topic: Uuid,
    pub partition: i32,
    pub letter: DeadLetter,
    pub dlq_topic: String,
    pub copy_record: bool,
}

/// Every share group, its share-partitions, configurations and sessions.
#[derive(Debug)]
pub(crate) struct ShareState {
    config: ShareConfig,
    pub(crate) groups: HashMap<String, ShareGroup>,
    configs: HashMap<String, BTreeMap<String, String>>,
    pub(crate) sessions: Sessions,
    dirty: BTreeSet<Key>,
    seq: u64,
    dead: Vec<DeadLetterJob>,
    released: bool,
}

impl ShareState {
    pub(crate) fn new(config: ShareConfig) -> Self {
        ShareState {
            sessions: Sessions::new(config.max_share_sessions),
            config,
            groups: HashMap::new(),
            configs: HashMap::new(),
            dirty: BTreeSet::new(),
            seq: 0,
            dead: Vec::new(),
            released: false,
        }
    }

    /// The effective settings of `group`.
    pub(crate) fn settings(&self, group: &str) -> GroupSettings {
        let empty = BTreeMap::new();
        let overrides = self.configs.get(group).unwrap_or(&empty);
        self.config
            .settings(overrides)
            .or_else(|e| {
                tracing::warn!(group, error = %e, "stored group config no longer valid; using broker defaults");
                self.config.settings(&empty)
            })
            .unwrap_or_else(|_| GroupSettings::kafka_defaults())
    }

    /// The configuration overrides of `group`.
    pub(crate) fn group_configs(&self, group: &str) -> BTreeMap<String, String> {
        self.configs.get(group).cloned().unwrap_or_default()
    }

    /// Replaces the configuration overrides of `group` (already validated).
    pub(crate) fn set_group_configs(&mut self, group: &str, overrides: BTreeMap<String, String>) {
        if overrides.is_empty() {
            self.configs.remove(group);
        } else {
            self.configs.insert(group.to_owned(), overrides);
        }
        self.mark(Key::Config(group.to_owned()));
    }

    fn limits(settings: &GroupSettings) -> Limits {
        Limits {
            delivery_count_limit: settings.delivery_count_limit,
            max_record_locks: settings.max_record_locks,
            lock_duration_ms: i64::from(settings.record_lock_duration_ms),
            dead_letters: settings.dlq_topic.is_some(),
        }
    }

    /// Records that `key` must be written; moves the change sequence on.
    pub(crate) fn mark(&mut self, key: Key) {
        self.dirty.insert(key);
        self.seq += 1;
    }

    /// The change sequence: a caller that changed the state waits until
    /// the writer made this much durable.
    pub(crate) fn seq(&self) -> u64 {
        self.seq
    }

    /// Whether anything waits to be written.
    pub(crate) fn has_dirty(&self) -> bool {
        !self.dirty.is_empty()
    }

    fn absorb(&mut self, group: &str, tp: TopicPartition, effects: Effects, s: &GroupSettings) {
        if effects.dirty {
            self.mark(Key::Partition(group.to_owned(), tp.0, tp.1));
        }
        self.released |= effects.released;
        if let Some(dlq) = &s.dlq_topic {
            for letter in effects.dead {
                self.dead.push(DeadLetterJob {
                    group: group.to_owned(),
                    topic: tp.0,
                    partition: tp.1,
                    letter,
                    dlq_topic: dlq.clone(),
                    copy_record: s.dlq_copy_record,
                });
            }
        }
    }

    /// Dead letters produced since the last call.
    pub(crate) fn take_dead_letters(&mut self) -> Vec<DeadLetterJob> {
        std::mem::take(&mut self.dead)
    }

    /// Whether records became available since the last call.
    pub(crate) fn take_released(&mut self) -> bool {
        std::mem::take(&mut self.released)
    }

    /// ShareGroupHeartbeat. Also returns the assigned share-partitions that
    /// have no state yet (the shell initialises them from the log).
    pub(crate) fn heartbeat(
        &mut self,
        group_id: &str,
        req: Heartbeat,
        topics: &Topics,
        now: i64,
    ) -> Result<(HeartbeatOk, Vec<TopicPartition>), ShareError> {
        if !self.groups.contains_key(group_id) {
            match req.member_epoch {
                0 => {
                    self.groups
                        .insert(group_id.to_owned(), ShareGroup::default());
                }
                LEAVE_EPOCH => return Err(ShareError::not_found(group_id, "does not exist")),
                _ => return Err(ShareError::unknown_member(group_id, &req.member_id)),
            }
        }
        let settings = self.settings(group_id);
        let member = req.member_id.clone();
        let leaving = req.member_epoch == LEAVE_EPOCH;
        let group = self
            .groups
            .get_mut(group_id)
            .ok_or_else(|| ShareError::not_found(group_id, "does not exist"))?;
        let (ok, changed) =
            group.heartbeat(group_id, req, topics, settings.heartbeat_interval_ms, now)?;
        let to_init = ok
            .assignment
            .iter()
            .flat_map(|a| {
                a.iter()
                    .flat_map(|(t, ps)| ps.iter().map(move |p| (*t, *p)))
            })
            .filter(|tp| !group.partitions.contains_key(tp))
            .collect();
        if changed {
            self.mark(Key::Group(group_id.to_owned()));
        }
        if leaving {
            self.member_gone(group_id, &member);
        }
        Ok((ok, to_init))
    }

    /// A member left or timed out: its session closes and its records go back.
    fn member_gone(&mut self, group_id: &str, member: &str) {
        self.sessions.close(group_id, member);
        self.release_member(group_id, member, None);
    }

    /// Gives back what `member` holds in `only` (or every) share-partition.
    pub(crate) fn release_member(
        &mut self,
        group_id: &str,
        member: &str,
        only: Option<&[TopicPartition]>,
    ) {
        let settings = self.settings(group_id);
        let Some(group) = self.groups.get_mut(group_id) else {
            return;
        };
        let mut all = Vec::new();
        for (tp, p) in group.partitions.iter_mut() {
            if only.is_some_and(|o| !o.contains(tp)) {
                continue;
            }
            all.push((*tp, p.release_member(member)));
        }
        for (tp, fx) in all {
            self.absorb(group_id, tp, fx, &settings);
        }
    }

    /// Closes `member`'s share session, releasing what it holds there.
    pub(crate) fn close_session(&mut self, group_id: &str, member: &str) {
        if let Some(partitions) = self.sessions.close(group_id, member) {
            self.release_member(group_id, member, Some(&partitions));
        }
    }

    /// Whether the share-partition has state.
    pub(crate) fn has_partition(&self, group_id: &str, tp: TopicPartition) -> bool {
        self.groups
            .get(group_id)
            .is_some_and(|g| g.partitions.contains_key(&tp))
    }

    /// Gives the share-partition its initial SPSO, unless it has state.
    /// A fetch may use a group no heartbeat created yet.
    pub(crate) fn initialize(&mut self, group_id: &str, tp: TopicPartition, start: i64) {
        let group = self.groups.entry(group_id.to_owned()).or_default();
        if group.partitions.contains_key(&tp) {
            return;
        }
        group.partitions.insert(tp, SharePartition::new(start, 0));
        self.mark(Key::Partition(group_id.to_owned(), tp.0, tp.1));
    }

    /// Runs `f` on a share-partition after ending its expired locks, and
    /// takes in what it changed. `None` if the share-partition has no state.
    pub(crate) fn with_partition<R>(
        &mut self,
        group_id: &str,
        tp: TopicPartition,
        now: i64,
        f: impl FnOnce(&mut SharePartition, &Limits) -> (R, Effects),
    ) -> Option<R> {
        let settings = self.settings(group_id);
        let limits = Self::limits(&settings);
        let p = self.groups.get_mut(group_id)?.partitions.get_mut(&tp)?;
        let mut effects = p.expire(now, &limits);
        let (result, more) = f(p, &limits);
        effects.merge(more);
        self.absorb(group_id, tp, effects, &settings);
        Some(result)
    }

    /// Applies one partition's acknowledgements atomically.
    pub(crate) fn acknowledge(
        &mut self,
        group_id: &str,
        member: &str,
        tp: TopicPartition,
        batches: &[AckBatch],
        now: i64,
    ) -> Result<(), ShareError> {
        self.with_partition(group_id, tp, now, |p, limits| {
            let (fx, result) = p.acknowledge(member, batches, now, limits);
            (result, fx)
        })
        .unwrap_or_else(|| {
            Err(ShareError::InvalidRecordState(format!(
                "share group `{group_id}` has acquired nothing from partition {} of topic {}",
                tp.1, tp.0
            )))
        })
    }

    /// Marks dead-letter copies as written.
    pub(crate) fn dead_letters_written(
        &mut self,
        group_id: &str,
        tp: TopicPartition,
        offsets: &[i64],
    ) {
        let changed = self
            .groups
            .get_mut(group_id)
            .and_then(|g| g.partitions.get_mut(&tp))
            .is_some_and(|p| p.dead_letters_written(offsets));
        if changed {
            self.mark(Key::Partition(group_id.to_owned(), tp.0, tp.1));
        }
    }

    /// Applies every timeout due at `now`: silent members leave, expired
    /// locks end.
    pub(crate) fn tick(&mut self, now: i64) {
        let ids: Vec<String> = self.groups.keys().cloned().collect();
        for id in ids {
            let settings = self.settings(&id);
            let gone = match self.groups.get_mut(&id) {
                Some(g) => g.expire_members(now, settings.session_timeout_ms),
                None => continue,
            };
            if !gone.is_empty() {
                self.mark(Key::Group(id.clone()));
            }
            for member in gone {
                tracing::info!(group = %id, %member, "share group member timed out");
                self.member_gone(&id, &member);
            }
            let due: Vec<TopicPartition> = self
                .groups
                .get(&id)
                .map(|g| {
                    g.partitions
                        .iter()
                        .filter(|(_, p)| p.next_expiry() <= now)
                        .map(|(tp, _)| *tp)
                        .collect()
                })
                .unwrap_or_default();
            for tp in due {
                self.with_partition(&id, tp, now, |_, _| ((), Effects::default()));
            }
        }
    }

    /// Drops the share-partitions of topics that no longer exist.
    pub(crate) fn forget_deleted_topics(&mut self, exists: impl Fn(Uuid) -> bool) {
        let mut gone = Vec::new();
        for (id, g) in self.groups.iter_mut() {
            g.partitions.retain(|tp, _| {
                let keep = exists(tp.0);
                if !keep {
                    gone.push(Key::Partition(id.clone(), tp.0, tp.1));
                }
                keep
            });
            g.durable_starts.retain(|tp, _| exists(tp.0));
        }
        for key in gone {
            self.mark(key);
        }
    }

    /// The snapshots (or tombstones) of everything changed since the last
    /// call, and the change sequence they cover.
    pub(crate) fn take_dirty(&mut self) -> (Vec<StoreRecord>, u64) {
        let keys = std::mem::take(&mut self.dirty);
        let records = keys
            .into_iter()
            .map(|key| match key {
                Key::Config(group) => StoreRecord::Config {
                    value: self.configs.get(&group).cloned(),
                    group,
                },
                Key::Group(group) => StoreRecord::Group {
                    value: self.groups.get(&group).map(ShareGroup::snapshot),
                    group,
                },
                Key::Partition(group, topic, partition) => StoreRecord::Partition {
                    value: self
                        .groups
                        .get(&group)
                        .and_then(|g| g.partitions.get(&(topic, partition)))
                        .map(SharePartition::snapshot),
                    group,
                    topic,
                    partition,
                },
            })
            .collect();
        (records, self.seq)
    }

    /// Puts keys back after a failed write, so the next write retries them.
    pub(crate) fn redo(&mut self, records: &[StoreRecord]) {
        for r in records {
            let key = match r {
                StoreRecord::Config { group, .. } => Key::Config(group.clone()),
                StoreRecord::Group { group, .. } => Key::Group(group.clone()),
                StoreRecord::Partition {
                    group,
                    topic,
                    partition,
                    ..
                } => Key::Partition(group.clone(), *topic, *partition),
            };
            self.dirty.insert(key);
        }
    }

    /// Notes the SPSOs that `records` made durable (queue topics delete
    /// only below them).
    pub(crate) fn written(&mut self, records: &[StoreRecord]) {
        for r in records {
            if let StoreRecord::Partition {
                group,
                topic,
                partition,
                value,
            } = r
                && let Some(g) = self.groups.get_mut(group)
            {
                match value {
                    Some(s) => {
                        g.durable_starts
                            .insert((*topic, *partition), s.start_offset);
                    }
                    None => {
                        g.durable_starts.remove(&(*topic, *partition));
                    }
                }
            }
        }
    }

    /// The lowest durable SPSO any share group has for `tp`; `None` if no
    /// share group consumes it.
    pub(crate) fn min_durable_start(&self, tp: TopicPartition) -> Option<i64> {
        self.groups
            .values()
            .filter_map(|g| {
                let p = g.partitions.get(&tp)?;
                Some(
                    g.durable_starts
                        .get(&tp)
                        .copied()
                        .unwrap_or(p.start_offset())
                        .min(p.start_offset()),
                )
            })
            .min()
    }

    /// Applies one record read back at start-up.
    pub(crate) fn replay(&mut self, record: StoreRecord, now: i64) {
        match record {
            StoreRecord::Config { group, value } => match value {
                Some(v) => {
                    self.configs.insert(group, v);
                }
                None => {
                    self.configs.remove(&group);
                }
            },
            StoreRecord::Group { group, value } => match value {
                Some(snapshot) => self
                    .groups
                    .entry(group)
                    .or_default()
                    .restore_members(snapshot, now),
                None => {
                    if let Some(g) = self.groups.get_mut(&group) {
                        g.members.clear();
                    }
                }
            },
            StoreRecord::Partition {
                group,
                topic,
                partition,
                value,
            } => {
                let g = self.groups.entry(group).or_default();
                let tp = (topic, partition);
                match value {
                    Some(snapshot) => {
                        g.durable_starts.insert(tp, snapshot.start_offset);
                        g.partitions.insert(tp, SharePartition::restore(&snapshot));
                    }
                    None => {
                        g.partitions.remove(&tp);
                        g.durable_starts.remove(&tp);
                    }
                }
            }
        }
    }
}

#[cfg(test)]
#[path = "registry_tests.rs"]
mod tests;
