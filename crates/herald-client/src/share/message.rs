//! [`ShareMessage<T>`]: one acquired record, decoded, with the three ways
//! its delivery can end.

use std::sync::Arc;

use bytes::Bytes;
use tokio::sync::oneshot;

use super::acks::{AckKind, AckQueue, Acknowledgement, InFlight, PendingAck, Tp};

/// What a message does when it is dropped without being acknowledged.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum AckMode {
    /// Kafka's default (`share.acknowledgement.mode=implicit`): a message
    /// dropped without `accept`/`release`/`reject` counts as accepted.
    #[default]
    Implicit,
    /// Every message should be acknowledged; one dropped without it is
    /// released (redelivered, counting against the delivery limit), so a
    /// handler that bails out never loses a record.
    Explicit,
}

/// Where a message sends its acknowledgement.
#[derive(Debug, Clone)]
pub(crate) struct AckRoute {
    pub(crate) queue: Arc<AckQueue>,
    /// The share session the record was acquired in.
    pub(crate) generation: u64,
    pub(crate) in_flight: Arc<InFlight>,
    pub(crate) mode: AckMode,
}

/// One record acquired for this consumer under a time-limited lock (the
/// group's `share.record.lock.duration.ms`, 30 s by default).
///
/// End its delivery with [`accept`](Self::accept),
/// [`release`](Self::release) or [`reject`](Self::reject); each returns an
/// [`Acknowledgement`] to await if the broker's confirmation matters
/// (drop it otherwise). A record whose lock expires before its
/// acknowledgement arrives is handed out again, and the late
/// acknowledgement fails with INVALID_RECORD_STATE.
pub struct ShareMessage<T> {
    /// The decoded value.
    pub value: T,
    pub(crate) tp: Tp,
    pub(crate) topic: Arc<str>,
    pub(crate) offset: i64,
    pub(crate) timestamp: i64,
    pub(crate) delivery_count: i16,
    pub(crate) key: Option<Bytes>,
    pub(crate) payload: Option<Bytes>,
    pub(crate) headers: Vec<(String, Option<Bytes>)>,
    pub(crate) route: Option<AckRoute>,
}

impl<T: std::fmt::Debug> std::fmt::Debug for ShareMessage<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ShareMessage")
            .field("topic", &self.topic)
            .field("partition", &self.tp.1)
            .field("offset", &self.offset)
            .field("delivery_count", &self.delivery_count)
            .field("value", &self.value)
            .finish_non_exhaustive()
    }
}

impl<T> ShareMessage<T> {
    /// The record's topic.
    pub fn topic(&self) -> &str {
        &self.topic
    }

    /// Its partition.
    pub fn partition(&self) -> i32 {
        self.tp.1
    }

    /// Its offset.
    pub fn offset(&self) -> i64 {
        self.offset
    }

    /// Its timestamp (ms since the epoch).
    pub fn timestamp(&self) -> i64 {
        self.timestamp
    }

    /// Which delivery this is: 1 the first time, more after releases or
    /// expired locks.
    pub fn delivery_count(&self) -> i16 {
        self.delivery_count
    }

    /// The record's key as stored.
    pub fn key(&self) -> Option<&[u8]> {
        self.key.as_deref()
    }

    /// The record's value as stored (`None` for a tombstone).
    pub fn payload(&self) -> Option<&[u8]> {
        self.payload.as_deref()
    }

    /// The record's headers, in order.
    pub fn headers(&self) -> &[(String, Option<Bytes>)] {
        &self.headers
    }

    /// The first header called `name`.
    pub fn header(&self, name: &str) -> Option<&[u8]> {
        self.headers
            .iter()
            .find(|(k, _)| k == name)
            .and_then(|(_, v)| v.as_deref())
    }

    /// Processed: the record is never delivered again.
    pub fn accept(mut self) -> Acknowledgement {
        self.settle(AckKind::Accept)
    }

    /// Not processed now: the record goes back to the queue for another
    /// delivery (to any consumer), up to the group's delivery limit.
    pub fn release(mut self) -> Acknowledgement {
        self.settle(AckKind::Release)
    }

    /// Unprocessable: the record is archived, never delivered again, and
    /// copied to the group's dead-letter topic when one is configured.
    pub fn reject(mut self) -> Acknowledgement {
        self.settle(AckKind::Reject)
    }

    /// Whether the record was acquired in a share session that has since
    /// ended (its lock is gone; the broker hands it out again).
    pub(crate) fn is_stale(&self) -> bool {
        self.route
            .as_ref()
            .is_some_and(|r| r.generation != r.queue.generation())
    }

    fn settle(&mut self, kind: AckKind) -> Acknowledgement {
        let (reply, wait) = oneshot::channel();
        self.send(kind, Some(reply));
        Acknowledgement { reply: wait }
    }

    fn send(
        &mut self,
        kind: AckKind,
        reply: Option<oneshot::Sender<Result<(), super::ShareError>>>,
    ) {
        let Some(route) = self.route.take() else {
            return;
        };
        route.queue.push(PendingAck {
            tp: self.tp,
            topic: self.topic.clone(),
            offset: self.offset,
            kind,
            generation: route.generation,
            reply,
        });
        route.in_flight.done();
    }
}

impl<T> Drop for ShareMessage<T> {
    fn drop(&mut self) {
        let kind = match self.route.as_ref().map(|r| r.mode) {
            Some(AckMode::Implicit) => AckKind::Accept,
            Some(AckMode::Explicit) => AckKind::Release,
            None => return,
        };
        self.send(kind, None);
    }
}
