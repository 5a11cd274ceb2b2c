//! What other parts of the broker ask of the consumer groups: how far they
//! consumed a partition (queue topics delete records below it) and which
//! kind of group holds an id (share groups live in the same namespace).

use super::offsets::classic_subscriptions;
use super::registry::{GroupKind, Groups};

impl Groups {
    /// The lowest committed offset of `topic`-`partition` over every group
    /// with interest in it: groups that committed an offset for it, and
    /// groups with members subscribed to the topic (those that committed
    /// nothing for the partition yet count as 0). `None`: no group cares.
    pub(crate) fn consumed_up_to(&self, topic: &str, partition: i32) -> Option<i64> {
        self.groups
            .values()
            .filter_map(|g| {
                let committed = g.offsets.get(topic, partition).map(|c| c.offset);
                let subscribed = match &g.kind {
                    GroupKind::Classic(c) => {
                        !c.is_empty() && classic_subscriptions(c).contains(topic)
                    }
                    GroupKind::Consumer(c) => {
                        !c.is_empty() && c.subscribed_topics().contains(topic)
                    }
                };
                match committed {
                    Some(offset) => Some(offset),
                    None if subscribed => Some(0),
                    None => None,
                }
            })
            .min()
    }

    /// Kafka's group type name (`classic`, `consumer`) of `group_id`, if
    /// such a group exists.
    pub(crate) fn group_type(&self, group_id: &str) -> Option<&'static str> {
        self.groups.get(group_id).map(|g| g.kind.type_name())
    }
}

#[cfg(test)]
mod tests {
    use crate::groups::GroupConfig;
    use crate::groups::state::offsets::CommittedOffset;
    use crate::groups::state::registry::{Groups, StoreRecord};

    fn commit(groups: &mut Groups, group: &str, partition: i32, offset: i64) {
        groups.replay(
            StoreRecord::Offset {
                group: group.to_owned(),
                topic: "q".to_owned(),
                partition,
                value: Some(CommittedOffset {
                    offset,
                    leader_epoch: -1,
                    metadata: String::new(),
                    commit_timestamp: 0,
                    expire_timestamp: None,
                }),
            },
            0,
        );
    }

    #[test]
    fn the_slowest_group_with_interest_decides() {
        let mut groups = Groups::new(GroupConfig::default());
        assert_eq!(groups.consumed_up_to("q", 0), None, "nobody consumes q");
        commit(&mut groups, "fast", 0, 9);
        commit(&mut groups, "slow", 0, 5);
        commit(&mut groups, "slow", 1, 2);
        assert_eq!(groups.consumed_up_to("q", 0), Some(5));
        assert_eq!(groups.consumed_up_to("q", 1), Some(2));
        assert_eq!(groups.consumed_up_to("other", 0), None);
        assert_eq!(groups.group_type("fast"), Some("classic"));
        assert_eq!(groups.group_type("none"), None);
    }
}
