//! Per-message acknowledgements turned into commit offsets: the SDK
//! commits, per partition, just past the longest prefix of delivered
//! records that are all acknowledged, so no offset arithmetic reaches the
//! user and an unacknowledged record is never committed past.

use std::collections::{HashMap, VecDeque};

/// A partition of a topic.
pub(crate) type Tp = (String, i32);

#[derive(Debug, Default)]
struct PartitionAcks {
    /// Delivered offsets in delivery (= offset) order, with their ack flag.
    pending: VecDeque<(i64, bool)>,
    /// The next offset to commit, once it differs from what was committed.
    commit_at: Option<i64>,
    committed: Option<i64>,
    /// Bumped by a seek, so deliveries from before it are recognised.
    epoch: u64,
}

/// The acknowledgement state of every assigned partition.
#[derive(Debug, Default)]
pub(crate) struct AckTracker {
    partitions: HashMap<Tp, PartitionAcks>,
}

impl AckTracker {
    /// Records that `offset` was handed to the user; returns the
    /// partition's epoch for the delivery to carry. Offsets of one
    /// partition arrive in increasing order; gaps (compaction, transaction
    /// markers) are fine.
    pub(crate) fn delivered(&mut self, tp: &Tp, offset: i64) -> u64 {
        let p = self.partitions.entry(tp.clone()).or_default();
        if p.pending.back().is_none_or(|(last, _)| *last < offset) {
            p.pending.push_back((offset, false));
        }
        p.epoch
    }

    /// Marks `offset` acknowledged (a second ack, or an ack from before a
    /// seek, changes nothing) and advances the commit point over the
    /// acknowledged prefix.
    pub(crate) fn ack(&mut self, tp: &Tp, offset: i64, epoch: u64) {
        let Some(p) = self.partitions.get_mut(tp) else {
            return;
        };
        if p.epoch != epoch {
            return;
        }
        if let Ok(i) = p.pending.binary_search_by_key(&offset, |(o, _)| *o) {
            p.pending[i].1 = true;
        }
        while let Some(&(o, true)) = p.pending.front() {
            p.pending.pop_front();
            p.commit_at = Some(o + 1);
        }
    }

    /// The epoch deliveries of `tp` must carry to still count.
    pub(crate) fn epoch(&self, tp: &Tp) -> u64 {
        self.partitions.get(tp).map_or(0, |p| p.epoch)
    }

    /// Forgets what was delivered from `tp` (after a seek or when the
    /// partition is revoked); deliveries made before are ignored from now on.
    pub(crate) fn reset(&mut self, tp: &Tp) {
        let p = self.partitions.entry(tp.clone()).or_default();
        p.pending.clear();
        p.commit_at = None;
        p.committed = None;
        p.epoch += 1;
    }

    /// Partitions whose commit point moved since the last commit, with the
    /// offset to commit (one past the last acknowledged of the prefix).
    pub(crate) fn to_commit(&self) -> Vec<(Tp, i64)> {
        self.partitions
            .iter()
            .filter_map(|(tp, p)| match p.commit_at {
                Some(at) if p.committed != Some(at) => Some((tp.clone(), at)),
                _ => None,
            })
            .collect()
    }

    /// The offset to commit for `tp`, if its commit point moved since the
    /// last commit.
    pub(crate) fn due(&self, tp: &Tp) -> Option<i64> {
        let p = self.partitions.get(tp)?;
        p.commit_at.filter(|at| p.committed != Some(*at))
    }

    /// Records that `offset` was committed for `tp`.
    pub(crate) fn committed(&mut self, tp: &Tp, offset: i64) {
        if let Some(p) = self.partitions.get_mut(tp) {
            p.committed = Some(offset);
        }
    }

    /// Partitions tracked, for dropping the revoked ones.
    pub(crate) fn partitions(&self) -> Vec<Tp> {
        self.partitions.keys().cloned().collect()
    }

    pub(crate) fn forget(&mut self, tp: &Tp) {
        self.partitions.remove(tp);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn tp() -> Tp {
        ("t".to_owned(), 0)
    }

    #[test]
    fn only_the_contiguous_acknowledged_prefix_is_committed() {
        let mut a = AckTracker::default();
        for o in [10, 11, 13, 14] {
            a.delivered(&tp(), o);
        }
        a.ack(&tp(), 11, 0);
        a.ack(&tp(), 13, 0);
        assert!(a.to_commit().is_empty(), "10 is not acknowledged yet");
        a.ack(&tp(), 10, 0);
        assert_eq!(
            a.to_commit(),
            [(tp(), 14)],
            "10, 11, 13 done; the gap at 12 is no record"
        );
        assert_eq!(a.due(&tp()), Some(14));
        a.committed(&tp(), 14);
        assert!(a.to_commit().is_empty());
        assert_eq!(a.due(&tp()), None);
        a.ack(&tp(), 14, 0);
        assert_eq!(a.to_commit(), [(tp(), 15)]);
    }

    #[test]
    fn acks_from_before_a_seek_are_ignored() {
        let mut a = AckTracker::default();
        let e = a.delivered(&tp(), 5);
        a.reset(&tp());
        a.ack(&tp(), 5, e);
        assert!(a.to_commit().is_empty());
        let e2 = a.delivered(&tp(), 0);
        assert_eq!(e2, e + 1);
        a.ack(&tp(), 0, e2);
        assert_eq!(a.to_commit(), [(tp(), 1)]);
    }

    proptest! {
        #[test]
        fn commit_point_never_passes_an_unacknowledged_offset(
            n in 1usize..40,
            acked in proptest::collection::vec(any::<bool>(), 40),
            order in Just(()).prop_perturb(|_, mut rng| { let mut v: Vec<usize> = (0..40).collect(); for i in (1..v.len()).rev() { let j = (rng.next_u32() as usize) % (i + 1); v.swap(i, j); } v }),
        ) {
            let mut a = AckTracker::default();
            for o in 0..n { a.delivered(&tp(), o as i64 * 2); }
            for &i in &order { if i < n && acked[i] { a.ack(&tp(), i as i64 * 2, 0); } }
            let first_unacked = (0..n).find(|&i| !acked[i]);
            let expected = match first_unacked { Some(0) => None, Some(i) => Some((i as i64 - 1) * 2 + 1), None => Some((n as i64 - 1) * 2 + 1) };
            prop_assert_eq!(a.to_commit().first().map(|(_, o)| *o), expected);
        }
    }
}
