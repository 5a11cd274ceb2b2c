//! What the admin APIs read and change: group descriptions and the
//! share-partition start offsets (Describe/Alter/DeleteShareGroupOffsets).

use std::collections::BTreeMap;

use uuid::Uuid;

use super::group::ShareMember;
use super::partition::SharePartition;
use super::{Key, ShareState};
use crate::share::error::ShareError;

/// Start offsets per topic: `(partition, SPSO if the group has state)`.
pub(crate) type StartOffsets = BTreeMap<Uuid, Vec<(i32, Option<i64>)>>;

/// A group as ShareGroupDescribe reports it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Described {
    pub state: &'static str,
    pub group_epoch: i32,
    pub assignment_epoch: i32,
    pub members: Vec<ShareMember>,
}

impl ShareState {
    /// ShareGroupDescribe of one group.
    pub(crate) fn describe(&self, group_id: &str) -> Result<Described, ShareError> {
        let g = self
            .groups
            .get(group_id)
            .ok_or_else(|| ShareError::not_found(group_id, "does not exist"))?;
        Ok(Described {
            state: g.state_name(),
            group_epoch: g.group_epoch,
            assignment_epoch: g.assignment_epoch,
            members: g.members.values().cloned().collect(),
        })
    }

    /// Every share group with its state name, by id.
    #[cfg(test)]
    pub(crate) fn list(&self) -> Vec<(String, &'static str)> {
        let mut all: Vec<(String, &'static str)> = self
            .groups
            .iter()
            .map(|(id, g)| (id.clone(), g.state_name()))
            .collect();
        all.sort();
        all
    }

    /// The SPSO of the asked partitions (`None` in the answer: no state),
    /// or of every share-partition of the group when `topics` is `None`.
    pub(crate) fn start_offsets(
        &self,
        group_id: &str,
        topics: Option<Vec<(Uuid, Vec<i32>)>>,
    ) -> Result<StartOffsets, ShareError> {
        let g = self
            .groups
            .get(group_id)
            .ok_or_else(|| ShareError::not_found(group_id, "does not exist"))?;
        let mut out = StartOffsets::new();
        match topics {
            Some(topics) => {
                for (topic, partitions) in topics {
                    let entry = out.entry(topic).or_default();
                    for p in partitions {
                        let start = g
                            .partitions
                            .get(&(topic, p))
                            .map(SharePartition::start_offset);
                        entry.push((p, start));
                    }
                }
            }
            None => {
                for ((topic, p), sp) in &g.partitions {
                    out.entry(*topic)
                        .or_default()
                        .push((*p, Some(sp.start_offset())));
                }
                for parts in out.values_mut() {
                    parts.sort_unstable();
                }
            }
        }
        Ok(out)
    }

    fn empty_group(&mut self, group_id: &str) -> Result<&mut super::group::ShareGroup, ShareError> {
        let g = self.groups.entry(group_id.to_owned()).or_default();
        if !g.members.is_empty() {
            return Err(ShareError::NonEmptyGroup {
                group_id: group_id.to_owned(),
            });
        }
        Ok(g)
    }

    /// AlterShareGroupOffsets: resets the listed share-partitions to start
    /// at the given offsets (nothing in flight, the state epoch moves on).
    /// The group must have no members; a new group id creates the group.
    pub(crate) fn alter_start_offsets(
        &mut self,
        group_id: &str,
        offsets: &[(Uuid, i32, i64)],
    ) -> Result<(), ShareError> {
        let g = self.empty_group(group_id)?;
        for &(topic, p, start) in offsets {
            let epoch = g
                .partitions
                .get(&(topic, p))
                .map_or(0, |sp| sp.state_epoch().saturating_add(1));
            g.partitions
                .insert((topic, p), SharePartition::new(start, epoch));
        }
        for &(topic, p, _) in offsets {
            self.mark(Key::Partition(group_id.to_owned(), topic, p));
        }
        Ok(())
    }

    /// DeleteShareGroupOffsets: forgets every share-partition of `topics`;
    /// true per topic if the group had state for it.
    pub(crate) fn delete_start_offsets(
        &mut self,
        group_id: &str,
        topics: &[Uuid],
    ) -> Result<Vec<bool>, ShareError> {
        if !self.groups.contains_key(group_id) {
            return Err(ShareError::not_found(group_id, "does not exist"));
        }
        let g = self.empty_group(group_id)?;
        let mut gone = Vec::new();
        let found = topics
            .iter()
            .map(|topic| {
                let keys: Vec<(Uuid, i32)> = g
                    .partitions
                    .keys()
                    .filter(|(t, _)| t == topic)
                    .copied()
                    .collect();
                for k in &keys {
                    g.partitions.remove(k);
                    g.durable_starts.remove(k);
                }
                gone.extend(keys.iter().copied());
                !keys.is_empty()
            })
            .collect();
        for (topic, p) in gone {
            self.mark(Key::Partition(group_id.to_owned(), topic, p));
        }
        Ok(found)
    }
}
