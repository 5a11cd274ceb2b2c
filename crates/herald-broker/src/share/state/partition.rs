//! One share-partition (a share group's view of one topic partition) as a
//! pure state machine: which records are available, acquired (by whom,
//! until when, how often delivered), acknowledged or archived.
//!
//! Records below the share-partition start offset (SPSO) are all complete.
//! From the SPSO up to the end offset (the next offset never fetched yet)
//! every offset has an entry; the window is bounded by the in-flight limit
//! (`max_record_locks`), so fetching stops while it is full.
//!
//! States and transitions (KIP-932): Available → Acquired on delivery;
//! Acquired → Available on release or lock expiry (Archived instead once
//! the delivery count reached the limit), → Acknowledged on accept,
//! → Archived on reject or gap. Acknowledged and Archived are final.
//!
//! A record archived for a reason the dead-letter topic wants (reject,
//! delivery limit) is *pending* until its copy is written: it is persisted
//! as Available and the SPSO does not pass it, so a crash before the copy
//! redelivers it rather than losing it.

use std::collections::VecDeque;
use std::sync::Arc;

use crate::share::error::ShareError;

/// A member id, shared by every entry it holds.
pub(crate) type MemberId = Arc<str>;

/// Where a record is in its life (Kafka's `RecordState` codes).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum RecordState {
    Available,
    Acquired,
    Acknowledged,
    Archived,
}

impl RecordState {
    /// Kafka's code: 0 available, 1 acquired, 2 acknowledged, 4 archived.
    pub(crate) fn code(self) -> i8 {
        match self {
            RecordState::Available => 0,
            RecordState::Acquired => 1,
            RecordState::Acknowledged => 2,
            RecordState::Archived => 4,
        }
    }

    pub(crate) fn from_code(code: i8) -> Option<Self> {
        match code {
            0 => Some(RecordState::Available),
            1 => Some(RecordState::Acquired),
            2 => Some(RecordState::Acknowledged),
            4 => Some(RecordState::Archived),
            _ => None,
        }
    }

    fn is_complete(self) -> bool {
        matches!(self, RecordState::Acknowledged | RecordState::Archived)
    }
}

/// An acknowledgement type of ShareFetch/ShareAcknowledge v1.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum AckType {
    /// Not a deliverable record (compaction gap, control record): archived.
    Gap,
    /// Processed: acknowledged.
    Accept,
    /// Give it back for redelivery (counts toward the delivery limit).
    Release,
    /// Unprocessable: archived, never redelivered.
    Reject,
}

impl AckType {
    /// The wire value: 0 gap, 1 accept, 2 release, 3 reject.
    pub(crate) fn from_wire(v: i8) -> Option<Self> {
        match v {
            0 => Some(AckType::Gap),
            1 => Some(AckType::Accept),
            2 => Some(AckType::Release),
            3 => Some(AckType::Reject),
            _ => None,
        }
    }
}

/// One acknowledgement batch: `types` has one entry for the whole range or
/// one per offset.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct AckBatch {
    pub first: i64,
    pub last: i64,
    pub types: Vec<i8>,
}

/// A stored batch as seen by acquisition: its offset range and whether it
/// is a control batch (never delivered).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct BatchSpan {
    pub base: i64,
    pub last: i64,
    pub control: bool,
}

/// Records handed to a member: ShareFetch's `AcquiredRecords`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct AcquiredRange {
    pub first: i64,
    pub last: i64,
    pub delivery_count: u16,
}

/// Why a record went to the dead-letter topic.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ArchiveReason {
    /// A consumer rejected it.
    Rejected,
    /// Its delivery attempts reached the limit.
    DeliveryLimit,
}

impl ArchiveReason {
    /// The text of the `__dlq.errors.message` header.
    pub(crate) fn message(self) -> &'static str {
        match self {
            ArchiveReason::Rejected => "record rejected by a share consumer",
            ArchiveReason::DeliveryLimit => "delivery count limit reached",
        }
    }
}

/// A record that must be copied to the dead-letter topic.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct DeadLetter {
    pub offset: i64,
    pub delivery_count: u16,
    pub reason: ArchiveReason,
}

/// The group settings a share-partition obeys.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Limits {
    pub delivery_count_limit: u16,
    pub max_record_locks: usize,
    pub lock_duration_ms: i64,
    /// The group has a dead-letter topic.
    pub dead_letters: bool,
}

/// What a change did beyond the state itself.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub(crate) struct Effects {
    /// Records became available again (waiting fetches should look).
    pub released: bool,
    /// Records to copy to the dead-letter topic.
    pub dead: Vec<DeadLetter>,
    /// The persisted form changed.
    pub dirty: bool,
}

impl Effects {
    pub(crate) fn merge(&mut self, other: Effects) {
        self.released |= other.released;
        self.dirty |= other.dirty;
        self.dead.extend(other.dead);
    }
}

#[derive(Debug, Clone)]
struct Entry {
    state: RecordState,
    delivery_count: u16,
    member: Option<MemberId>,
    lock_until: i64,
    /// Archived, but its dead-letter copy is not written yet.
    pending_dead_letter: bool,
}

impl Entry {
    fn new(state: RecordState, delivery_count: u16) -> Self {
        Entry {
            state,
            delivery_count,
            member: None,
            lock_until: 0,
            pending_dead_letter: false,
        }
    }

    /// Whether the SPSO may move past it.
    fn is_done(&self) -> bool {
        self.state.is_complete() && !self.pending_dead_letter
    }
}

/// A run of consecutive offsets with the same persisted state and count.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct StateRun {
    pub first: i64,
    pub last: i64,
    pub state: RecordState,
    pub delivery_count: u16,
}

/// What `__share_group_state` keeps of a share-partition.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct PartitionSnapshot {
    pub state_epoch: i32,
    pub start_offset: i64,
    /// Cover `start_offset..end` exactly, in order; never Acquired.
    pub runs: Vec<StateRun>,
}

/// One share-partition.
#[derive(Debug, Clone)]
pub(crate) struct SharePartition {
    start: i64,
    entries: VecDeque<Entry>,
    state_epoch: i32,
    /// Earliest lock expiry of an acquired entry (`i64::MAX`: none).
    next_expiry: i64,
}

impl SharePartition {
    /// A share-partition starting at `start_offset` with nothing in flight.
    pub(crate) fn new(start_offset: i64, state_epoch: i32) -> Self {
        SharePartition {
            start: start_offset.max(0),
            entries: VecDeque::new(),
            state_epoch,
            next_expiry: i64::MAX,
        }
    }

    /// The share-partition start offset (SPSO).
    pub(crate) fn start_offset(&self) -> i64 {
        self.start
    }

    /// The next offset never fetched.
    pub(crate) fn end_offset(&self) -> i64 {
        self.start + self.entries.len() as i64
    }

    /// Incremented when the admin APIs reset the state.
    pub(crate) fn state_epoch(&self) -> i32 {
        self.state_epoch
    }

    /// Offsets between the SPSO and the end offset (Kafka's in-flight count).
    #[cfg(test)]
    pub(crate) fn in_flight(&self) -> usize {
        self.entries.len()
    }

    /// The state and delivery count of `offset` if it is in the window.
    #[cfg(test)]
    pub(crate) fn record(&self, offset: i64) -> Option<(RecordState, u16)> {
        self.entry(offset).map(|e| (e.state, e.delivery_count))
    }

    fn index(&self, offset: i64) -> Option<usize> {
        let i = usize::try_from(offset.checked_sub(self.start)?).ok()?;
        (i < self.entries.len()).then_some(i)
    }

    #[cfg(test)]
    fn entry(&self, offset: i64) -> Option<&Entry> {
        self.index(offset).and_then(|i| self.entries.get(i))
    }

    /// The first offset at or after `from` worth reading for a fetch: an
    /// available record in the window, or the end offset if the in-flight
    /// limit leaves room for new records. `None`: nothing can be acquired.
    pub(crate) fn fetch_offset(&self, from: i64, limits: &Limits) -> Option<i64> {
        let from = from.max(self.start);
        let skip = usize::try_from(from - self.start).unwrap_or(usize::MAX);
        if let Some(i) = self
            .entries
            .iter()
            .skip(skip)
            .position(|e| e.state == RecordState::Available)
        {
            return Some(from + i as i64);
        }
        (self.entries.len() < limits.max_record_locks && from <= self.end_offset())
            .then(|| self.end_offset())
    }

    /// Acquires for `member`, in offset order, from `spans` (batches read
    /// from the log): available records of the window one by one up to
    /// `max_records`, and new records past the end offset a whole batch at
    /// a time (as Kafka's default `batch_optimized` mode does, so a batch
    /// is not sent again and again for a few records each time) while
    /// `max_records` and the in-flight limit allow starting one. Offsets
    /// missing between batches are archived as gaps; control batches are
    /// archived without being delivered.
    pub(crate) fn acquire(
        &mut self,
        spans: &[BatchSpan],
        member: &MemberId,
        now: i64,
        max_records: usize,
        limits: &Limits,
    ) -> (Vec<AcquiredRange>, Effects) {
        let mut ranges: Vec<AcquiredRange> = Vec::new();
        let mut effects = Effects::default();
        let mut taken = 0usize;
        let lock_until = now.saturating_add(limits.lock_duration_ms);
        'spans: for span in spans {
            let mut offset = span.base.max(self.start);
            // Whether this batch's new records are being taken.
            let mut whole_batch = false;
            while offset <= span.last {
                let end = self.end_offset();
                if offset < end && taken >= max_records {
                    break 'spans;
                }
                if offset > end {
                    // Offsets no batch holds (removed by compaction).
                    if self.entries.is_empty() {
                        self.start = offset;
                    } else {
                        let gap = usize::try_from(offset - end).unwrap_or(usize::MAX);
                        if self.entries.len().saturating_add(gap) >= limits.max_record_locks {
                            break 'spans;
                        }
                        for _ in 0..gap {
                            self.entries.push_back(Entry::new(RecordState::Archived, 0));
                        }
                    }
                    effects.dirty = true;
                    continue;
                }
                if offset == end {
                    if !whole_batch
                        && (taken >= max_records || self.entries.len() >= limits.max_record_locks)
                    {
                        break 'spans;
                    }
                    whole_batch = true;
                    let state = if span.control {
                        RecordState::Archived
                    } else {
                        RecordState::Available
                    };
                    self.entries.push_back(Entry::new(state, 0));
                    effects.dirty = true;
                }
                let Some(i) = self.index(offset) else {
                    break 'spans;
                };
                let entry = &mut self.entries[i];
                if entry.state == RecordState::Available {
                    if entry.delivery_count >= limits.delivery_count_limit {
                        // The limit was lowered since it was released.
                        archive(
                            entry,
                            offset,
                            ArchiveReason::DeliveryLimit,
                            limits,
                            &mut effects,
                        );
                    } else {
                        entry.state = RecordState::Acquired;
                        entry.delivery_count = entry.delivery_count.saturating_add(1);
                        entry.member = Some(member.clone());
                        entry.lock_until = lock_until;
                        self.next_expiry = self.next_expiry.min(lock_until);
                        effects.dirty = true;
                        taken += 1;
                        let count = entry.delivery_count;
                        match ranges.last_mut() {
                            Some(r) if r.last + 1 == offset && r.delivery_count == count => {
                                r.last = offset;
                            }
                            _ => ranges.push(AcquiredRange {
                                first: offset,
                                last: offset,
                                delivery_count: count,
                            }),
                        }
                    }
                }
                offset += 1;
            }
        }
        self.advance();
        (ranges, effects)
    }

    /// Applies `batches` of acknowledgements from `member` atomically:
    /// either every one is valid and all are applied, or none is. Locks
    /// that expired by `now` end first (their effects are returned even
    /// when the acknowledgements are refused).
    pub(crate) fn acknowledge(
        &mut self,
        member: &str,
        batches: &[AckBatch],
        now: i64,
        limits: &Limits,
    ) -> (Effects, Result<(), ShareError>) {
        let mut effects = self.expire(now, limits);
        let result = self.apply_acks(member, batches, limits, &mut effects);
        (effects, result)
    }

    fn apply_acks(
        &mut self,
        member: &str,
        batches: &[AckBatch],
        limits: &Limits,
        effects: &mut Effects,
    ) -> Result<(), ShareError> {
        let mut previous_last: Option<i64> = None;
        let mut plan: Vec<(usize, AckType)> = Vec::new();
        for b in batches {
            if b.first > b.last || b.first < 0 {
                return Err(ShareError::invalid(format!(
                    "acknowledgement batch {}..{} is empty",
                    b.first, b.last
                )));
            }
            if previous_last.is_some_and(|p| b.first <= p) {
                return Err(ShareError::invalid(
                    "acknowledgement batches must be in offset order and must not overlap",
                ));
            }
            previous_last = Some(b.last);
            let len = b.last - b.first + 1;
            if b.types.len() != 1 && b.types.len() as i64 != len {
                return Err(ShareError::invalid(format!(
                    "acknowledgement batch {}..{} has {} types; expected 1 or {len}",
                    b.first,
                    b.last,
                    b.types.len()
                )));
            }
            let mut types = Vec::with_capacity(b.types.len());
            for t in &b.types {
                types.push(
                    AckType::from_wire(*t).ok_or_else(|| {
                        ShareError::invalid(format!("unknown acknowledge type {t}"))
                    })?,
                );
            }
            for (k, offset) in (b.first..=b.last).enumerate() {
                let held = self.index(offset).filter(|&i| {
                    let e = &self.entries[i];
                    e.state == RecordState::Acquired && e.member.as_deref() == Some(member)
                });
                let Some(i) = held else {
                    return Err(ShareError::InvalidRecordState(format!(
                        "offset {offset} is not acquired by member `{member}` (its lock may have expired)"
                    )));
                };
                let t = if types.len() == 1 { types[0] } else { types[k] };
                plan.push((i, t));
            }
        }
        for (i, t) in plan {
            let offset = self.start + i as i64;
            let entry = &mut self.entries[i];
            entry.member = None;
            effects.dirty = true;
            match t {
                AckType::Accept => entry.state = RecordState::Acknowledged,
                AckType::Gap => entry.state = RecordState::Archived,
                AckType::Reject => archive(entry, offset, ArchiveReason::Rejected, limits, effects),
                AckType::Release => {
                    if entry.delivery_count >= limits.delivery_count_limit {
                        archive(entry, offset, ArchiveReason::DeliveryLimit, limits, effects);
                    } else {
                        entry.state = RecordState::Available;
                        effects.released = true;
                    }
                }
            }
        }
        self.advance();
        Ok(())
    }

    /// Ends the locks that expired by `now`: the records become available
    /// again, or archived once their delivery count reached the limit.
    pub(crate) fn expire(&mut self, now: i64, limits: &Limits) -> Effects {
        let mut effects = Effects::default();
        if now < self.next_expiry {
            return effects;
        }
        let mut next = i64::MAX;
        let start = self.start;
        for (i, entry) in self.entries.iter_mut().enumerate() {
            if entry.state != RecordState::Acquired {
                continue;
            }
            if entry.lock_until > now {
                next = next.min(entry.lock_until);
                continue;
            }
            entry.member = None;
            effects.dirty = true;
            if entry.delivery_count >= limits.delivery_count_limit {
                archive(
                    entry,
                    start + i as i64,
                    ArchiveReason::DeliveryLimit,
                    limits,
                    &mut effects,
                );
            } else {
                entry.state = RecordState::Available;
                effects.released = true;
            }
        }
        self.next_expiry = next;
        self.advance();
        effects
    }

    /// When the next lock expires (`i64::MAX`: none held).
    pub(crate) fn next_expiry(&self) -> i64 {
        self.next_expiry
    }

    /// Gives back every record `member` holds, as Kafka does when a share
    /// session closes or a member leaves: fetched, perhaps never delivered
    /// to the application, so the delivery count goes back down.
    pub(crate) fn release_member(&mut self, member: &str) -> Effects {
        let mut effects = Effects::default();
        for entry in &mut self.entries {
            if entry.state == RecordState::Acquired && entry.member.as_deref() == Some(member) {
                entry.state = RecordState::Available;
                entry.member = None;
                entry.delivery_count = entry.delivery_count.saturating_sub(1);
                effects.released = true;
                effects.dirty = true;
            }
        }
        effects
    }

    /// Marks the dead-letter copies of `offsets` as written.
    pub(crate) fn dead_letters_written(&mut self, offsets: &[i64]) -> bool {
        let mut changed = false;
        for &offset in offsets {
            if let Some(i) = self.index(offset)
                && self.entries[i].pending_dead_letter
            {
                self.entries[i].pending_dead_letter = false;
                changed = true;
            }
        }
        self.advance();
        changed
    }

    /// Moves the SPSO to the log start offset when retention or
    /// DeleteRecords removed records the share-partition still tracked.
    pub(crate) fn advance_to_log_start(&mut self, log_start: i64) -> bool {
        if log_start <= self.start {
            return false;
        }
        let drop = usize::try_from(log_start - self.start)
            .unwrap_or(usize::MAX)
            .min(self.entries.len());
        self.entries.drain(..drop);
        self.start = log_start;
        true
    }

    /// Pops the completed prefix, moving the SPSO forward.
    fn advance(&mut self) {
        while self.entries.front().is_some_and(Entry::is_done) {
            self.entries.pop_front();
            self.start += 1;
        }
    }

    /// The persisted form: acquired records (and archived ones whose
    /// dead-letter copy is pending) are kept as available with their count.
    pub(crate) fn snapshot(&self) -> PartitionSnapshot {
        let mut runs: Vec<StateRun> = Vec::new();
        for (i, e) in self.entries.iter().enumerate() {
            let offset = self.start + i as i64;
            let state = match e.state {
                RecordState::Acquired => RecordState::Available,
                RecordState::Archived if e.pending_dead_letter => RecordState::Available,
                s => s,
            };
            let count = if state.is_complete() {
                0
            } else {
                e.delivery_count
            };
            match runs.last_mut() {
                Some(r) if r.state == state && r.delivery_count == count => r.last = offset,
                _ => runs.push(StateRun {
                    first: offset,
                    last: offset,
                    state,
                    delivery_count: count,
                }),
            }
        }
        PartitionSnapshot {
            state_epoch: self.state_epoch,
            start_offset: self.start,
            runs,
        }
    }

    /// The share-partition a snapshot describes; runs that do not continue
    /// the window exactly end it (what follows is read again from the log).
    pub(crate) fn restore(snapshot: &PartitionSnapshot) -> Self {
        let mut p = SharePartition::new(snapshot.start_offset, snapshot.state_epoch);
        for run in &snapshot.runs {
            if run.first != p.end_offset() || run.last < run.first {
                break;
            }
            let state = match run.state {
                RecordState::Acquired => RecordState::Available,
                s => s,
            };
            let len = usize::try_from(run.last - run.first + 1).unwrap_or(0);
            for _ in 0..len {
                p.entries.push_back(Entry::new(state, run.delivery_count));
            }
        }
        p.advance();
        p
    }

    /// Counts of records per state in the window, for describing.
    #[cfg(test)]
    pub(crate) fn count(&self, state: RecordState) -> usize {
        self.entries.iter().filter(|e| e.state == state).count()
    }
}

/// Archives `entry`; with a dead-letter topic the copy is pending first.
fn archive(
    entry: &mut Entry,
    offset: i64,
    reason: ArchiveReason,
    limits: &Limits,
    effects: &mut Effects,
) {
    entry.state = RecordState::Archived;
    entry.member = None;
    effects.dirty = true;
    if limits.dead_letters {
        entry.pending_dead_letter = true;
        effects.dead.push(DeadLetter {
            offset,
            delivery_count: entry.delivery_count,
            reason,
        });
    }
}

#[cfg(test)]
#[path = "partition_tests.rs"]
mod tests;
