//! The topics the coordinator sees: names, ids and partition counts, taken
//! from the log once per request so the state machines stay pure.

use std::collections::{BTreeMap, HashMap};

use herald_log::{Log, Uuid};

/// True for Kafka's internal topics, which regex subscriptions never match.
pub(crate) fn is_internal(name: &str) -> bool {
    crate::handlers::errors::is_internal_topic(name)
}

/// A snapshot of the topics: name → (id, partition count), and id → name.
#[derive(Debug, Clone, Default)]
pub(crate) struct TopicsView {
    by_name: BTreeMap<String, (Uuid, i32)>,
    by_id: HashMap<Uuid, String>,
}

impl TopicsView {
    /// A view of the given `(name, id, partitions)` triples.
    pub(crate) fn new(topics: impl IntoIterator<Item = (String, Uuid, i32)>) -> Self {
        let mut view = TopicsView::default();
        for (name, id, partitions) in topics {
            view.by_id.insert(id, name.clone());
            view.by_name.insert(name, (id, partitions));
        }
        view
    }

    /// The log's topics now.
    pub(crate) fn of(log: &Log) -> Self {
        TopicsView::new(
            log.topics()
                .into_iter()
                .map(|t| (t.name, t.id, t.partitions)),
        )
    }

    /// The id and partition count of `name`.
    pub(crate) fn get(&self, name: &str) -> Option<(Uuid, i32)> {
        self.by_name.get(name).copied()
    }

    /// The name of the topic with `id`.
    pub(crate) fn name(&self, id: &Uuid) -> Option<&str> {
        self.by_id.get(id).map(String::as_str)
    }

    /// True if `topic` exists and has partition `partition`.
    pub(crate) fn has_partition(&self, topic: &str, partition: i32) -> bool {
        self.get(topic)
            .is_some_and(|(_, count)| (0..count).contains(&partition))
    }

    /// Every topic, by name.
    pub(crate) fn iter(&self) -> impl Iterator<Item = (&str, Uuid, i32)> {
        self.by_name
            .iter()
            .map(|(n, (id, p))| (n.as_str(), *id, *p))
    }
}
