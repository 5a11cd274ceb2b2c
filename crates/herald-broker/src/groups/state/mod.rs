//! The coordinator's state machines, free of sockets, clocks and storage:
//! every operation takes the current time (ms) and returns its answer; the
//! records that must reach `__consumer_offsets` are collected by
//! [`registry::Groups::take_records`].

pub(crate) mod assignor;
pub(crate) mod classic;
pub(crate) mod consumer;
pub(crate) mod interest;
pub(crate) mod offsets;
pub(crate) mod reconcile;
pub(crate) mod registry;
pub(crate) mod topics;

use tokio::sync::oneshot;

/// An answer now, or later once other members have acted (JoinGroup and
/// SyncGroup wait for the rest of the group).
#[derive(Debug)]
pub(crate) enum Reply<T> {
    /// The answer.
    Ready(T),
    /// Completed by the state machine when the group moves on.
    Pending(oneshot::Receiver<T>),
}
