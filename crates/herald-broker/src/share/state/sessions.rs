//! Share sessions (KIP-932): a member's ShareFetch/ShareAcknowledge
//! requests form a session with an epoch, like incremental fetch sessions.
//! Epoch 0 opens a session (replacing any the member had), -1 closes it,
//! and every other request must carry the session's current epoch, which
//! then moves on by one.

use std::collections::{BTreeSet, HashMap};

use uuid::Uuid;

use crate::share::error::ShareError;

/// Epoch that opens a session.
pub(crate) const INITIAL_EPOCH: i32 = 0;
/// Epoch that closes a session.
pub(crate) const FINAL_EPOCH: i32 = -1;

/// A topic partition of a session.
pub(crate) type TopicPartition = (Uuid, i32);

#[derive(Debug, Clone)]
struct Session {
    epoch: i32,
    partitions: BTreeSet<TopicPartition>,
}

/// What a ShareFetch may do in its session.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct FetchContext {
    /// Every partition of the session, to fetch from (empty when closing).
    pub partitions: Vec<TopicPartition>,
    /// A new session: the response lists every partition, not only those
    /// with something to say.
    pub full: bool,
    /// The session closes after this request's acknowledgements.
    pub closing: bool,
}

/// The share sessions of this broker, keyed by (group, member).
#[derive(Debug, Default)]
pub(crate) struct Sessions {
    map: HashMap<(String, String), Session>,
    max: usize,
}

fn next_epoch(epoch: i32) -> i32 {
    if epoch == i32::MAX { 1 } else { epoch + 1 }
}

impl Sessions {
    /// At most `max` sessions at once.
    pub(crate) fn new(max: usize) -> Self {
        Sessions {
            map: HashMap::new(),
            max,
        }
    }

    /// Sessions open now.
    #[cfg(test)]
    pub(crate) fn len(&self) -> usize {
        self.map.len()
    }

    /// Checks a ShareFetch's session epoch and updates the session:
    /// `added` partitions join it, `forgotten` ones leave it.
    pub(crate) fn for_fetch(
        &mut self,
        group: &str,
        member: &str,
        epoch: i32,
        added: &[TopicPartition],
        forgotten: &[TopicPartition],
        has_acknowledgements: bool,
    ) -> Result<FetchContext, ShareError> {
        let key = (group.to_owned(), member.to_owned());
        match epoch {
            INITIAL_EPOCH => {
                if has_acknowledgements {
                    return Err(ShareError::invalid(
                        "a ShareFetch that opens a share session cannot carry acknowledgements",
                    ));
                }
                if !self.map.contains_key(&key) && self.map.len() >= self.max {
                    return Err(ShareError::SessionLimitReached(self.max));
                }
                let partitions: BTreeSet<TopicPartition> = added.iter().copied().collect();
                let list = partitions.iter().copied().collect();
                self.map.insert(
                    key,
                    Session {
                        epoch: next_epoch(INITIAL_EPOCH),
                        partitions,
                    },
                );
                Ok(FetchContext {
                    partitions: list,
                    full: true,
                    closing: false,
                })
            }
            FINAL_EPOCH => {
                if !self.map.contains_key(&key) {
                    return Err(not_found(group, member));
                }
                Ok(FetchContext {
                    partitions: Vec::new(),
                    full: false,
                    closing: true,
                })
            }
            e if e < 0 => Err(ShareError::InvalidSessionEpoch {
                sent: e,
                expected: 0,
            }),
            e => {
                let session = self
                    .map
                    .get_mut(&key)
                    .ok_or_else(|| not_found(group, member))?;
                if session.epoch != e {
                    return Err(ShareError::InvalidSessionEpoch {
                        sent: e,
                        expected: session.epoch,
                    });
                }
                session.epoch = next_epoch(e);
                session.partitions.extend(added.iter().copied());
                for tp in forgotten {
                    session.partitions.remove(tp);
                }
                Ok(FetchContext {
                    partitions: session.partitions.iter().copied().collect(),
                    full: false,
                    closing: false,
                })
            }
        }
    }

    /// Checks a ShareAcknowledge's session epoch; `Ok(true)` if the
    /// session closes after it.
    pub(crate) fn for_acknowledge(
        &mut self,
        group: &str,
        member: &str,
        epoch: i32,
    ) -> Result<bool, ShareError> {
        if epoch == INITIAL_EPOCH {
            return Err(ShareError::InvalidSessionEpoch {
                sent: epoch,
                expected: 1,
            });
        }
        let key = (group.to_owned(), member.to_owned());
        let session = self
            .map
            .get_mut(&key)
            .ok_or_else(|| not_found(group, member))?;
        if epoch == FINAL_EPOCH {
            return Ok(true);
        }
        if session.epoch != epoch {
            return Err(ShareError::InvalidSessionEpoch {
                sent: epoch,
                expected: session.epoch,
            });
        }
        session.epoch = next_epoch(epoch);
        Ok(false)
    }

    /// Closes the member's session; its partitions, if it had one.
    pub(crate) fn close(&mut self, group: &str, member: &str) -> Option<Vec<TopicPartition>> {
        self.map
            .remove(&(group.to_owned(), member.to_owned()))
            .map(|s| s.partitions.into_iter().collect())
    }
}

fn not_found(group: &str, member: &str) -> ShareError {
    ShareError::SessionNotFound {
        group_id: group.to_owned(),
        member_id: member.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tp(p: i32) -> TopicPartition {
        (Uuid::from_u128(7), p)
    }

    #[test]
    fn epochs_open_continue_and_close() {
        let mut s = Sessions::new(10);
        let open = s.for_fetch("g", "m", 0, &[tp(0)], &[], false).unwrap();
        assert_eq!(open.partitions, vec![tp(0)]);
        assert!(open.full && !open.closing);
        let next = s.for_fetch("g", "m", 1, &[tp(1)], &[], true).unwrap();
        assert_eq!(next.partitions, vec![tp(0), tp(1)], "incremental: added");
        assert!(!next.full);
        assert!(!s.for_acknowledge("g", "m", 2).unwrap());
        let next = s.for_fetch("g", "m", 3, &[], &[tp(0)], false).unwrap();
        assert_eq!(next.partitions, vec![tp(1)], "forgotten");
        // A stale epoch is refused and does not move the session on.
        let err = s.for_fetch("g", "m", 3, &[], &[], false).unwrap_err();
        assert_eq!(
            err,
            ShareError::InvalidSessionEpoch {
                sent: 3,
                expected: 4
            }
        );
        assert!(s.for_acknowledge("g", "m", 4).is_ok());
        let close = s.for_fetch("g", "m", -1, &[], &[], true).unwrap();
        assert!(close.closing && close.partitions.is_empty());
        assert_eq!(s.close("g", "m"), Some(vec![tp(1)]));
        assert_eq!(s.len(), 0);
    }

    #[test]
    fn errors_follow_kafka() {
        let mut s = Sessions::new(1);
        let err = s.for_fetch("g", "m", 5, &[], &[], false).unwrap_err();
        assert!(matches!(err, ShareError::SessionNotFound { .. }));
        let err = s.for_fetch("g", "m", -1, &[], &[], false).unwrap_err();
        assert!(matches!(err, ShareError::SessionNotFound { .. }));
        let err = s.for_fetch("g", "m", 0, &[tp(0)], &[], true).unwrap_err();
        assert!(
            matches!(err, ShareError::InvalidRequest(_)),
            "acks when opening"
        );
        let err = s.for_acknowledge("g", "m", 0).unwrap_err();
        assert!(matches!(err, ShareError::InvalidSessionEpoch { .. }));
        s.for_fetch("g", "m", 0, &[tp(0)], &[], false).unwrap();
        let err = s
            .for_fetch("g", "other", 0, &[tp(0)], &[], false)
            .unwrap_err();
        assert_eq!(err, ShareError::SessionLimitReached(1));
        // Reopening one's own session at the limit is fine.
        s.for_fetch("g", "m", 0, &[tp(1)], &[], false).unwrap();
        assert_eq!(s.close("g", "m"), Some(vec![tp(1)]), "replaced");
        let err = s.for_acknowledge("g", "m", 1).unwrap_err();
        assert!(matches!(err, ShareError::SessionNotFound { .. }));
    }

    #[test]
    fn the_epoch_wraps_to_one() {
        assert_eq!(next_epoch(i32::MAX), 1);
        assert_eq!(next_epoch(1), 2);
    }
}
