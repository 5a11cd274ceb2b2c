//! KIP-848 reconciliation: moves one member's current assignment towards
//! its target, one safe step per heartbeat.
//!
//! The rule that makes rebalances incremental: a partition a member must give
//! up is first only *withheld* from its assignment (the member keeps its
//! epoch and must revoke it); the member reaches the new epoch once a
//! heartbeat reports it no longer owns those partitions. A partition moves to
//! its new owner only after no other member still holds it, so no partition
//! is ever consumed by two members at once.

use herald_log::Uuid;

use super::assignor::Assignment;

/// Where a member is in its reconciliation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum MemberState {
    /// Its assignment is its target at the group's assignment epoch.
    Stable,
    /// It must revoke partitions before moving on.
    UnrevokedPartitions,
    /// It waits for partitions still held by other members.
    UnreleasedPartitions,
}

impl MemberState {
    /// Stable numbering used by the persisted snapshot.
    pub(crate) fn id(self) -> i8 {
        match self {
            MemberState::Stable => 0,
            MemberState::UnrevokedPartitions => 1,
            MemberState::UnreleasedPartitions => 2,
        }
    }

    /// The state numbered `id`.
    pub(crate) fn from_id(id: i8) -> Option<Self> {
        match id {
            0 => Some(MemberState::Stable),
            1 => Some(MemberState::UnrevokedPartitions),
            2 => Some(MemberState::UnreleasedPartitions),
            _ => None,
        }
    }
}

/// A member's reconciliation state.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Current {
    pub epoch: i32,
    pub state: MemberState,
    /// What the member may own now (sent to it as its assignment).
    pub assigned: Assignment,
    /// What it must still revoke.
    pub pending_revocation: Assignment,
}

/// Everything reconciliation looks at besides the member itself.
pub(crate) struct Inputs<'a> {
    pub target_epoch: i32,
    pub target: &'a Assignment,
    /// The topics the member subscribes to now; assigned partitions of other
    /// topics are revoked.
    pub subscribed: &'a std::collections::BTreeSet<Uuid>,
    /// The partitions the member reported owning (`None`: not sent).
    pub owned: Option<&'a Assignment>,
    /// True if another member holds (or still has to revoke) the partition.
    pub held_by_other: &'a dyn Fn(Uuid, i32) -> bool,
}

fn owns_any(owned: Option<&Assignment>, partitions: &Assignment) -> bool {
    let Some(owned) = owned else {
        // Nothing reported: assume it still owns everything.
        return true;
    };
    owned.iter().any(|(topic, ps)| {
        partitions
            .get(topic)
            .is_some_and(|pending| ps.iter().any(|p| pending.contains(p)))
    })
}

/// The next state of a member, or `current` unchanged when it cannot move yet.
pub(crate) fn reconcile(current: &Current, inputs: &Inputs<'_>) -> Current {
    match current.state {
        MemberState::Stable => {
            if current.epoch != inputs.target_epoch {
                next(current, inputs)
            } else if current
                .assigned
                .keys()
                .any(|t| !inputs.subscribed.contains(t))
            {
                strip_unsubscribed(current, inputs)
            } else {
                current.clone()
            }
        }
        MemberState::UnrevokedPartitions => {
            if owns_any(inputs.owned, &current.pending_revocation) {
                current.clone()
            } else {
                next(current, inputs)
            }
        }
        MemberState::UnreleasedPartitions => next(current, inputs),
    }
}

/// The member unsubscribed from topics it holds: revoke them at once.
fn strip_unsubscribed(current: &Current, inputs: &Inputs<'_>) -> Current {
    let mut assigned = current.assigned.clone();
    let mut pending = current.pending_revocation.clone();
    assigned.retain(|topic, partitions| {
        if inputs.subscribed.contains(topic) {
            true
        } else {
            pending
                .entry(*topic)
                .or_default()
                .extend(partitions.iter().copied());
            false
        }
    });
    if owns_any(inputs.owned, &pending) {
        Current {
            epoch: current.epoch,
            state: MemberState::UnrevokedPartitions,
            assigned,
            pending_revocation: pending,
        }
    } else {
        Current {
            epoch: current.epoch,
            state: current.state,
            assigned,
            pending_revocation: Assignment::new(),
        }
    }
}

fn next(current: &Current, inputs: &Inputs<'_>) -> Current {
    let mut assigned = Assignment::new();
    let mut revoking = Assignment::new();
    let mut to_assign = Assignment::new();
    let mut unreleased = false;
    let topics: std::collections::BTreeSet<Uuid> = inputs
        .target
        .keys()
        .chain(current.assigned.keys())
        .copied()
        .collect();
    let empty = std::collections::BTreeSet::new();
    for topic in topics {
        let target = if inputs.subscribed.contains(&topic) {
            inputs.target.get(&topic).unwrap_or(&empty)
        } else {
            &empty
        };
        let held = current.assigned.get(&topic).unwrap_or(&empty);
        let keep: std::collections::BTreeSet<i32> = held.intersection(target).copied().collect();
        let revoke: std::collections::BTreeSet<i32> = held.difference(&keep).copied().collect();
        let own_pending = current.pending_revocation.get(&topic);
        let mut add = std::collections::BTreeSet::new();
        for &p in target.difference(&keep) {
            let mine = own_pending.is_some_and(|s| s.contains(&p));
            if (inputs.held_by_other)(topic, p) && !mine {
                unreleased = true;
            } else {
                add.insert(p);
            }
        }
        if !keep.is_empty() {
            assigned.insert(topic, keep);
        }
        if !revoke.is_empty() {
            revoking.insert(topic, revoke);
        }
        if !add.is_empty() {
            to_assign.insert(topic, add);
        }
    }
    if !revoking.is_empty() && owns_any(inputs.owned, &revoking) {
        return Current {
            epoch: current.epoch,
            state: MemberState::UnrevokedPartitions,
            assigned,
            pending_revocation: revoking,
        };
    }
    for (topic, partitions) in to_assign {
        assigned.entry(topic).or_default().extend(partitions);
    }
    Current {
        epoch: inputs.target_epoch,
        state: if unreleased {
            MemberState::UnreleasedPartitions
        } else {
            MemberState::Stable
        },
        assigned,
        pending_revocation: Assignment::new(),
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use super::*;

    fn t() -> Uuid {
        Uuid::from_bytes([7; 16])
    }

    fn a(parts: &[i32]) -> Assignment {
        if parts.is_empty() {
            return Assignment::new();
        }
        Assignment::from([(t(), parts.iter().copied().collect())])
    }

    fn stable(epoch: i32, parts: &[i32]) -> Current {
        Current {
            epoch,
            state: MemberState::Stable,
            assigned: a(parts),
            pending_revocation: Assignment::new(),
        }
    }

    fn run(current: &Current, target: &[i32], owned: Option<&[i32]>, held: &[i32]) -> Current {
        let target = a(target);
        let owned = owned.map(a);
        let subscribed = BTreeSet::from([t()]);
        let held: BTreeSet<i32> = held.iter().copied().collect();
        let held_by_other = move |_: Uuid, p: i32| held.contains(&p);
        reconcile(
            current,
            &Inputs {
                target_epoch: 5,
                target: &target,
                subscribed: &subscribed,
                owned: owned.as_ref(),
                held_by_other: &held_by_other,
            },
        )
    }

    #[test]
    fn free_partitions_are_assigned_at_once_with_the_new_epoch() {
        let next = run(&stable(0, &[]), &[0, 1], Some(&[]), &[]);
        assert_eq!(next, stable(5, &[0, 1]));
    }

    #[test]
    fn partitions_to_give_up_are_withheld_until_the_member_revokes_them() {
        let start = stable(4, &[0, 1, 2]);
        let step = run(&start, &[0], Some(&[0, 1, 2]), &[]);
        assert_eq!(step.state, MemberState::UnrevokedPartitions);
        assert_eq!(step.epoch, 4, "the epoch waits for the revocation");
        assert_eq!(step.assigned, a(&[0]));
        assert_eq!(step.pending_revocation, a(&[1, 2]));
        // Still owning 1: no progress.
        assert_eq!(run(&step, &[0], Some(&[0, 1]), &[]), step);
        // Revoked: the member reaches the target epoch.
        assert_eq!(run(&step, &[0], Some(&[0]), &[]), stable(5, &[0]));
    }

    #[test]
    fn partitions_held_by_others_wait_until_released() {
        let step = run(&stable(4, &[]), &[3, 4], Some(&[]), &[4]);
        assert_eq!(step.state, MemberState::UnreleasedPartitions);
        assert_eq!(step.epoch, 5);
        assert_eq!(step.assigned, a(&[3]), "only the free partition for now");
        let done = run(&step, &[3, 4], Some(&[3]), &[]);
        assert_eq!(done, stable(5, &[3, 4]));
    }

    #[test]
    fn revocation_comes_before_new_partitions() {
        let step = run(&stable(4, &[0, 1]), &[0, 2], Some(&[0, 1]), &[]);
        assert_eq!(step.state, MemberState::UnrevokedPartitions);
        assert_eq!(
            step.assigned,
            a(&[0]),
            "2 is not handed out before 1 is revoked"
        );
        let next = run(&step, &[0, 2], Some(&[0]), &[]);
        assert_eq!(next, stable(5, &[0, 2]));
    }

    #[test]
    fn a_member_that_reports_nothing_is_assumed_to_own_everything() {
        let step = run(&stable(4, &[0, 1]), &[0], None, &[]);
        assert_eq!(step.state, MemberState::UnrevokedPartitions);
        assert_eq!(run(&step, &[0], None, &[]), step);
    }

    #[test]
    fn unsubscribed_topics_are_revoked_even_at_the_target_epoch() {
        let current = stable(5, &[0, 1]);
        let target = a(&[0, 1]);
        let subscribed = BTreeSet::new();
        let held_by_other = |_: Uuid, _: i32| false;
        let owned = a(&[0, 1]);
        let next = reconcile(
            &current,
            &Inputs {
                target_epoch: 5,
                target: &target,
                subscribed: &subscribed,
                owned: Some(&owned),
                held_by_other: &held_by_other,
            },
        );
        assert_eq!(next.state, MemberState::UnrevokedPartitions);
        assert!(next.assigned.is_empty());
        assert_eq!(next.pending_revocation, a(&[0, 1]));
    }

    #[test]
    fn state_ids_round_trip() {
        for s in [
            MemberState::Stable,
            MemberState::UnrevokedPartitions,
            MemberState::UnreleasedPartitions,
        ] {
            assert_eq!(MemberState::from_id(s.id()), Some(s));
        }
        assert_eq!(MemberState::from_id(9), None);
    }
}
