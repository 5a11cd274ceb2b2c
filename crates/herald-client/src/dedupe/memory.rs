//! A bounded in-memory dedupe store.

use std::collections::{HashSet, VecDeque};

use parking_lot::Mutex;

use super::DedupeStore;
use crate::ClientError;

/// Remembers the last `capacity` ids in memory; the oldest is forgotten
/// first. Lost when the process exits.
#[derive(Debug)]
pub struct MemoryDedupe {
    capacity: usize,
    state: Mutex<(HashSet<String>, VecDeque<String>)>,
}

impl MemoryDedupe {
    /// A store for up to `capacity` ids (at least 1).
    pub fn new(capacity: usize) -> MemoryDedupe {
        MemoryDedupe {
            capacity: capacity.max(1),
            state: Mutex::new((HashSet::new(), VecDeque::new())),
        }
    }

    /// How many ids it holds.
    pub fn len(&self) -> usize {
        self.state.lock().0.len()
    }

    /// Whether it holds none.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

impl DedupeStore for MemoryDedupe {
    async fn contains(&self, id: &str) -> Result<bool, ClientError> {
        Ok(self.state.lock().0.contains(id))
    }

    async fn insert(&self, id: &str) -> Result<(), ClientError> {
        let mut state = self.state.lock();
        if state.0.insert(id.to_owned()) {
            state.1.push_back(id.to_owned());
            while state.1.len() > self.capacity {
                if let Some(old) = state.1.pop_front() {
                    state.0.remove(&old);
                }
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn forgets_the_oldest_past_capacity() {
        let s = MemoryDedupe::new(2);
        for id in ["a", "b", "a", "c"] {
            s.insert(id).await.unwrap();
        }
        assert!(!s.contains("a").await.unwrap());
        assert!(s.contains("b").await.unwrap() && s.contains("c").await.unwrap());
        assert_eq!(s.len(), 2);
    }
}
