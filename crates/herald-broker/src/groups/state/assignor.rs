//! KIP-848 server-side assignors: `uniform` (the default) and `range`.
//!
//! Both take the members' resolved subscriptions (topic ids), the partition
//! count of every subscribed topic and the previous target assignment, and
//! return a target assignment in which every partition of a subscribed topic
//! belongs to exactly one member subscribed to that topic.

use std::collections::{BTreeMap, BTreeSet};

use herald_log::Uuid;

/// Partitions by topic id.
pub(crate) type Assignment = BTreeMap<Uuid, BTreeSet<i32>>;

/// The assignors a member may name in `server_assignor`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum AssignorKind {
    /// Spreads partitions evenly over members, keeping each partition with
    /// its previous owner where that keeps the spread even (sticky).
    Uniform,
    /// Per topic, gives each member a contiguous range of partitions, so
    /// members subscribed to co-partitioned topics get the same numbers.
    Range,
}

impl AssignorKind {
    /// The assignor called `name`, as clients spell it.
    pub(crate) fn from_name(name: &str) -> Option<Self> {
        match name {
            "uniform" => Some(AssignorKind::Uniform),
            "range" => Some(AssignorKind::Range),
            _ => None,
        }
    }

    /// The name clients use.
    pub(crate) fn name(self) -> &'static str {
        match self {
            AssignorKind::Uniform => "uniform",
            AssignorKind::Range => "range",
        }
    }

    /// Computes a target assignment. `members` maps each member id to the
    /// topic ids it subscribes to; `topics` gives each topic's partition count.
    pub(crate) fn assign(
        self,
        members: &BTreeMap<String, BTreeSet<Uuid>>,
        topics: &BTreeMap<Uuid, i32>,
        previous: &BTreeMap<String, Assignment>,
    ) -> BTreeMap<String, Assignment> {
        match self {
            AssignorKind::Uniform => uniform(members, topics, previous),
            AssignorKind::Range => range(members, topics),
        }
    }
}

fn empty_result(members: &BTreeMap<String, BTreeSet<Uuid>>) -> BTreeMap<String, Assignment> {
    members
        .keys()
        .map(|m| (m.clone(), Assignment::new()))
        .collect()
}

fn range(
    members: &BTreeMap<String, BTreeSet<Uuid>>,
    topics: &BTreeMap<Uuid, i32>,
) -> BTreeMap<String, Assignment> {
    let mut result = empty_result(members);
    for (&topic, &count) in topics {
        let subscribers: Vec<&String> = members
            .iter()
            .filter(|(_, subs)| subs.contains(&topic))
            .map(|(m, _)| m)
            .collect();
        let Ok(n) = i32::try_from(subscribers.len()) else {
            continue;
        };
        if n == 0 {
            continue;
        }
        let (per, extra) = (count / n, count % n);
        let mut start = 0;
        for (i, member) in (0..).zip(&subscribers) {
            let len = per + i32::from(i < extra);
            if len > 0
                && let Some(a) = result.get_mut(*member)
            {
                a.entry(topic).or_default().extend(start..start + len);
            }
            start += len;
        }
    }
    result
}

/// Sticky and balanced: previous owners keep what they may still have,
/// unowned partitions go to the least-loaded eligible member, then single
/// partitions move from the most- to the least-loaded eligible member while
/// that narrows the spread. For identical subscriptions the counts end at
/// most one apart; every move strictly lowers the sum of squared counts, so
/// the loop ends.
fn uniform(
    members: &BTreeMap<String, BTreeSet<Uuid>>,
    topics: &BTreeMap<Uuid, i32>,
    previous: &BTreeMap<String, Assignment>,
) -> BTreeMap<String, Assignment> {
    let mut owned: BTreeMap<&str, BTreeSet<(Uuid, i32)>> = members
        .keys()
        .map(|m| (m.as_str(), BTreeSet::new()))
        .collect();
    let mut taken: BTreeSet<(Uuid, i32)> = BTreeSet::new();
    for (member, assignment) in previous {
        let Some(subs) = members.get(member) else {
            continue;
        };
        for (topic, partitions) in assignment {
            let Some(&count) = topics.get(topic) else {
                continue;
            };
            if !subs.contains(topic) {
                continue;
            }
            for &p in partitions {
                if p < count
                    && taken.insert((*topic, p))
                    && let Some(set) = owned.get_mut(member.as_str())
                {
                    set.insert((*topic, p));
                }
            }
        }
    }
    let eligible = |topic: &Uuid| -> Vec<&str> {
        members
            .iter()
            .filter(|(_, subs)| subs.contains(topic))
            .map(|(m, _)| m.as_str())
            .collect()
    };
    for (&topic, &count) in topics {
        let candidates = eligible(&topic);
        if candidates.is_empty() {
            continue;
        }
        for p in 0..count {
            if taken.contains(&(topic, p)) {
                continue;
            }
            if let Some(best) = candidates
                .iter()
                .min_by_key(|m| (owned.get(**m).map_or(0, BTreeSet::len), **m))
                && let Some(set) = owned.get_mut(*best)
            {
                set.insert((topic, p));
                taken.insert((topic, p));
            }
        }
    }
    loop {
        let mut order: Vec<(&str, usize)> = owned.iter().map(|(m, s)| (*m, s.len())).collect();
        order.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(b.0)));
        let mut step = None;
        'search: for (from, from_count) in &order {
            let Some(set) = owned.get(from) else {
                continue;
            };
            for &(topic, p) in set.iter().rev() {
                let target = eligible(&topic)
                    .into_iter()
                    .filter(|m| m != from)
                    .min_by_key(|m| (owned.get(m).map_or(0, BTreeSet::len), *m));
                if let Some(to) = target
                    && owned.get(to).map_or(0, BTreeSet::len) + 1 < *from_count
                {
                    step = Some((*from, to, (topic, p)));
                    break 'search;
                }
            }
        }
        let Some((from, to, tp)) = step else {
            break;
        };
        if let Some(set) = owned.get_mut(from) {
            set.remove(&tp);
        }
        if let Some(set) = owned.get_mut(to) {
            set.insert(tp);
        }
    }
    let mut result = empty_result(members);
    for (member, set) in owned {
        if let Some(a) = result.get_mut(member) {
            for (topic, p) in set {
                a.entry(topic).or_default().insert(p);
            }
        }
    }
    result
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn topic(n: u8) -> Uuid {
        Uuid::from_bytes([n; 16])
    }

    fn subs(pairs: &[(&str, &[u8])]) -> BTreeMap<String, BTreeSet<Uuid>> {
        pairs
            .iter()
            .map(|(m, ts)| ((*m).to_owned(), ts.iter().map(|t| topic(*t)).collect()))
            .collect()
    }

    fn counts(result: &BTreeMap<String, Assignment>) -> Vec<usize> {
        result
            .values()
            .map(|a| a.values().map(BTreeSet::len).sum())
            .collect()
    }

    /// Every partition of every subscribed topic is owned exactly once, by
    /// a subscriber of its topic.
    fn assert_complete(
        members: &BTreeMap<String, BTreeSet<Uuid>>,
        topics: &BTreeMap<Uuid, i32>,
        result: &BTreeMap<String, Assignment>,
    ) {
        let mut seen = BTreeSet::new();
        for (m, a) in result {
            for (t, ps) in a {
                assert!(members[m].contains(t), "{m} got unsubscribed topic");
                for p in ps {
                    assert!(seen.insert((*t, *p)), "partition {p} assigned twice");
                }
            }
        }
        let expected: usize = topics
            .iter()
            .filter(|(t, _)| members.values().any(|s| s.contains(t)))
            .map(|(_, n)| usize::try_from(*n).unwrap())
            .sum();
        assert_eq!(seen.len(), expected, "every subscribed partition assigned");
    }

    #[test]
    fn names_round_trip() {
        for k in [AssignorKind::Uniform, AssignorKind::Range] {
            assert_eq!(AssignorKind::from_name(k.name()), Some(k));
        }
        assert_eq!(AssignorKind::from_name("sticky"), None);
    }

    #[test]
    fn range_gives_contiguous_ranges_with_the_remainder_first() {
        let members = subs(&[("a", &[1]), ("b", &[1]), ("c", &[1])]);
        let topics = BTreeMap::from([(topic(1), 7)]);
        let r = AssignorKind::Range.assign(&members, &topics, &BTreeMap::new());
        let parts = |m: &str| r[m][&topic(1)].iter().copied().collect::<Vec<_>>();
        assert_eq!(parts("a"), vec![0, 1, 2]);
        assert_eq!(parts("b"), vec![3, 4]);
        assert_eq!(parts("c"), vec![5, 6]);
    }

    #[test]
    fn range_co_partitions_topics() {
        let members = subs(&[("a", &[1, 2]), ("b", &[1, 2])]);
        let topics = BTreeMap::from([(topic(1), 4), (topic(2), 4)]);
        let r = AssignorKind::Range.assign(&members, &topics, &BTreeMap::new());
        assert_eq!(r["a"][&topic(1)], r["a"][&topic(2)]);
        assert_complete(&members, &topics, &r);
    }

    #[test]
    fn uniform_spreads_six_partitions_over_three_members() {
        let members = subs(&[("a", &[1]), ("b", &[1]), ("c", &[1])]);
        let topics = BTreeMap::from([(topic(1), 6)]);
        let r = AssignorKind::Uniform.assign(&members, &topics, &BTreeMap::new());
        assert_eq!(counts(&r), vec![2, 2, 2]);
        assert_complete(&members, &topics, &r);
    }

    #[test]
    fn uniform_is_sticky_when_a_member_joins() {
        let topics = BTreeMap::from([(topic(1), 6)]);
        let two = subs(&[("a", &[1]), ("b", &[1])]);
        let before = AssignorKind::Uniform.assign(&two, &topics, &BTreeMap::new());
        let three = subs(&[("a", &[1]), ("b", &[1]), ("c", &[1])]);
        let after = AssignorKind::Uniform.assign(&three, &topics, &before);
        assert_eq!(counts(&after), vec![2, 2, 2]);
        for m in ["a", "b"] {
            let kept = after[m][&topic(1)].is_subset(&before[m][&topic(1)]);
            assert!(kept, "{m} only loses partitions, never swaps them");
        }
    }

    #[test]
    fn uniform_hands_a_leaving_members_partitions_to_the_rest() {
        let topics = BTreeMap::from([(topic(1), 6)]);
        let three = subs(&[("a", &[1]), ("b", &[1]), ("c", &[1])]);
        let before = AssignorKind::Uniform.assign(&three, &topics, &BTreeMap::new());
        let two = subs(&[("a", &[1]), ("b", &[1])]);
        let after = AssignorKind::Uniform.assign(&two, &topics, &before);
        assert_eq!(counts(&after), vec![3, 3]);
        assert!(before["a"][&topic(1)].is_subset(&after["a"][&topic(1)]));
    }

    #[test]
    fn uniform_respects_heterogeneous_subscriptions() {
        let members = subs(&[("a", &[1]), ("b", &[1, 2]), ("c", &[2])]);
        let topics = BTreeMap::from([(topic(1), 4), (topic(2), 2)]);
        let r = AssignorKind::Uniform.assign(&members, &topics, &BTreeMap::new());
        assert_complete(&members, &topics, &r);
        assert_eq!(counts(&r), vec![2, 2, 2]);
    }

    proptest! {
        #[test]
        fn both_assignors_always_assign_every_partition_once(
            member_topics in proptest::collection::vec(proptest::collection::btree_set(0u8..4, 0..4), 1..6),
            partition_counts in proptest::collection::vec(1i32..9, 4),
            uniform in any::<bool>(),
        ) {
            let members: BTreeMap<String, BTreeSet<Uuid>> = member_topics
                .iter()
                .enumerate()
                .map(|(i, ts)| (format!("m{i}"), ts.iter().map(|t| topic(*t)).collect()))
                .collect();
            let topics: BTreeMap<Uuid, i32> = partition_counts
                .iter()
                .enumerate()
                .map(|(i, n)| (topic(u8::try_from(i).unwrap()), *n))
                .collect();
            let kind = if uniform { AssignorKind::Uniform } else { AssignorKind::Range };
            let first = kind.assign(&members, &topics, &BTreeMap::new());
            assert_complete(&members, &topics, &first);
            // A second run from the first result changes nothing.
            let second = kind.assign(&members, &topics, &first);
            prop_assert_eq!(&first, &second);
            if uniform && members.values().all(|s| s == &members["m0"]) {
                let c = counts(&first);
                let spread = c.iter().max().unwrap() - c.iter().min().unwrap();
                prop_assert!(spread <= 1, "counts {:?}", c);
            }
        }
    }
}
