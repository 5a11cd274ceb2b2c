//! A bounded map whose entries expire: the cache of subjects' latest
//! versions (ids are immutable and cached without expiry elsewhere).

use std::collections::HashMap;
use std::hash::Hash;
use std::time::{Duration, Instant};

/// Entries live for `ttl`; past `capacity` the oldest entry is dropped.
/// Only successful answers are ever inserted, so an error is never cached.
#[derive(Debug)]
pub(crate) struct TtlCache<K, V> {
    ttl: Duration,
    capacity: usize,
    entries: HashMap<K, (V, Instant)>,
}

impl<K: Eq + Hash + Clone, V: Clone> TtlCache<K, V> {
    pub(crate) fn new(ttl: Duration, capacity: usize) -> Self {
        TtlCache {
            ttl,
            capacity: capacity.max(1),
            entries: HashMap::new(),
        }
    }

    pub(crate) fn get(&self, key: &K) -> Option<V> {
        self.get_at(key, Instant::now())
    }

    pub(crate) fn get_at(&self, key: &K, now: Instant) -> Option<V> {
        let (value, at) = self.entries.get(key)?;
        (now.saturating_duration_since(*at) < self.ttl).then(|| value.clone())
    }

    pub(crate) fn insert(&mut self, key: K, value: V) {
        self.insert_at(key, value, Instant::now());
    }

    pub(crate) fn insert_at(&mut self, key: K, value: V, now: Instant) {
        if !self.entries.contains_key(&key) && self.entries.len() >= self.capacity {
            let ttl = self.ttl;
            self.entries
                .retain(|_, (_, at)| now.saturating_duration_since(*at) < ttl);
            if self.entries.len() >= self.capacity
                && let Some(oldest) = self
                    .entries
                    .iter()
                    .min_by_key(|(_, (_, at))| *at)
                    .map(|(k, _)| k.clone())
            {
                self.entries.remove(&oldest);
            }
        }
        self.entries.insert(key, (value, now));
    }

    pub(crate) fn remove(&mut self, key: &K) {
        self.entries.remove(key);
    }

    #[cfg(test)]
    pub(crate) fn len(&self) -> usize {
        self.entries.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn entries_expire_after_the_ttl() {
        let t0 = Instant::now();
        let mut c = TtlCache::new(Duration::from_secs(10), 8);
        c.insert_at("s", 1, t0);
        assert_eq!(c.get_at(&"s", t0 + Duration::from_secs(9)), Some(1));
        assert_eq!(c.get_at(&"s", t0 + Duration::from_secs(10)), None);
        c.insert_at("s", 2, t0 + Duration::from_secs(11));
        assert_eq!(c.get_at(&"s", t0 + Duration::from_secs(12)), Some(2));
        c.remove(&"s");
        assert_eq!(c.get_at(&"s", t0 + Duration::from_secs(12)), None);
    }

    #[test]
    fn the_oldest_entry_goes_first_when_full() {
        let t0 = Instant::now();
        let mut c = TtlCache::new(Duration::from_secs(100), 2);
        c.insert_at(1, 'a', t0);
        c.insert_at(2, 'b', t0 + Duration::from_secs(1));
        c.insert_at(3, 'c', t0 + Duration::from_secs(2));
        let now = t0 + Duration::from_secs(3);
        assert_eq!(
            (c.get_at(&1, now), c.get_at(&2, now), c.get_at(&3, now)),
            (None, Some('b'), Some('c'))
        );
    }

    proptest! {
        #[test]
        fn never_exceeds_capacity(keys in proptest::collection::vec(0u8..50, 0..200), cap in 1usize..10) {
            let t0 = Instant::now();
            let mut c = TtlCache::new(Duration::from_secs(5), cap);
            for (i, k) in keys.iter().enumerate() {
                c.insert_at(*k, i, t0 + Duration::from_millis(i as u64 * 10));
                prop_assert!(c.len() <= cap);
                prop_assert_eq!(c.get_at(k, t0 + Duration::from_millis(i as u64 * 10)), Some(i));
            }
        }
    }
}
