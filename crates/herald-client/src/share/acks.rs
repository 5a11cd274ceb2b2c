//! Acknowledgements on their way to the broker: queued per broker by the
//! messages, taken by that broker's fetch loop, coalesced into the
//! `AcknowledgementBatches` of ShareFetch / ShareAcknowledge, and answered
//! once the broker confirmed (or refused) them.

use std::collections::BTreeMap;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::task::{Context, Poll};

use parking_lot::Mutex;
use tokio::sync::{Notify, oneshot};
use uuid::Uuid;

use super::ShareError;

/// How a record's delivery ends (Kafka's acknowledge types).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum AckKind {
    /// An offset inside an acquired range that holds no record.
    Gap,
    /// Processed: never delivered again.
    Accept,
    /// Hand it back: another delivery (to any consumer), counted against
    /// the group's delivery limit.
    Release,
    /// Unprocessable: never delivered again (archived, and copied to the
    /// group's dead-letter topic when one is configured).
    Reject,
}

impl AckKind {
    /// The wire value.
    pub(crate) fn code(self) -> i8 {
        match self {
            AckKind::Gap => 0,
            AckKind::Accept => 1,
            AckKind::Release => 2,
            AckKind::Reject => 3,
        }
    }

    fn verb(self) -> &'static str {
        match self {
            AckKind::Gap => "gap",
            AckKind::Accept => "accept",
            AckKind::Release => "release",
            AckKind::Reject => "reject",
        }
    }
}

/// A topic-partition by id, as share RPCs name it.
pub(crate) type Tp = (Uuid, i32);

/// One record's acknowledgement, waiting to be sent.
#[derive(Debug)]
pub(crate) struct PendingAck {
    pub(crate) tp: Tp,
    pub(crate) topic: Arc<str>,
    pub(crate) offset: i64,
    pub(crate) kind: AckKind,
    /// The share session the record was acquired in (see
    /// [`AckQueue::generation`]).
    pub(crate) generation: u64,
    pub(crate) reply: Option<oneshot::Sender<Result<(), ShareError>>>,
}

impl PendingAck {
    /// Answers the waiting [`Acknowledgement`], if anyone waits.
    pub(crate) fn finish(self, result: Result<(), ShareError>) {
        if let Err(e) = &result {
            tracing::debug!(topic = %self.topic, partition = self.tp.1, offset = self.offset, error = %e, "acknowledgement failed");
        }
        if let Some(reply) = self.reply {
            let _ = reply.send(result);
        }
    }

    /// Fails it with a broker error code.
    pub(crate) fn refuse(self, code: i16, message: Option<String>) {
        let operation = format!(
            "{} {}-{}@{}",
            self.kind.verb(),
            self.topic,
            self.tp.1,
            self.offset
        );
        self.finish(Err(ShareError::broker(operation, code, message)));
    }

    /// Fails it because its session is gone.
    pub(crate) fn lose(self, reason: &str) {
        let e = ShareError::AckLost {
            topic: self.topic.to_string(),
            partition: self.tp.1,
            offset: self.offset,
            reason: reason.to_owned(),
        };
        self.finish(Err(e));
    }
}

/// The acknowledgements bound for one broker, and the wake-up of its loop.
#[derive(Debug, Default)]
pub(crate) struct AckQueue {
    pending: Mutex<Vec<PendingAck>>,
    pub(crate) notify: Notify,
    closed: AtomicBool,
    /// Counts the share sessions with the broker. A record acquired in an
    /// earlier session is no longer this consumer's (the broker released
    /// it, or handed it out again): its acknowledgement must not be sent
    /// in a later session, where it could settle the new delivery.
    generation: AtomicU64,
}

impl AckQueue {
    /// The current share session's number.
    pub(crate) fn generation(&self) -> u64 {
        self.generation.load(Ordering::Acquire)
    }

    /// A new share session begins.
    pub(crate) fn next_generation(&self) {
        self.generation.fetch_add(1, Ordering::AcqRel);
    }

    pub(crate) fn push(&self, ack: PendingAck) {
        if self.closed.load(Ordering::Acquire) {
            ack.lose("the consumer closed its session with this broker");
            return;
        }
        self.pending.lock().push(ack);
        self.notify.notify_one();
    }

    pub(crate) fn take(&self) -> Vec<PendingAck> {
        std::mem::take(&mut *self.pending.lock())
    }

    /// Refuses everything queued from now on, failing what is queued.
    pub(crate) fn close(&self, reason: &str) {
        self.closed.store(true, Ordering::Release);
        for ack in self.take() {
            ack.lose(reason);
        }
    }
}

/// Messages handed out and not yet acknowledged, for the in-flight limit.
#[derive(Debug, Default)]
pub(crate) struct InFlight {
    count: AtomicUsize,
    pub(crate) notify: Notify,
}

impl InFlight {
    pub(crate) fn add(&self, n: usize) {
        self.count.fetch_add(n, Ordering::AcqRel);
    }

    pub(crate) fn done(&self) {
        self.count.fetch_sub(1, Ordering::AcqRel);
        self.notify.notify_waiters();
    }

    pub(crate) fn get(&self) -> usize {
        self.count.load(Ordering::Acquire)
    }
}

/// The acknowledgements of one partition as wire batches: consecutive
/// offsets share a batch, with one type per offset, or a single type when
/// all are equal (Kafka's compact form).
pub(crate) fn coalesce(acks: &[&PendingAck]) -> Vec<(i64, i64, Vec<i8>)> {
    let mut by_offset: BTreeMap<i64, i8> = BTreeMap::new();
    for a in acks {
        by_offset.insert(a.offset, a.kind.code());
    }
    let mut out: Vec<(i64, i64, Vec<i8>)> = Vec::new();
    for (offset, code) in by_offset {
        match out.last_mut() {
            Some((_, last, types)) if *last + 1 == offset => {
                *last = offset;
                types.push(code);
            }
            _ => out.push((offset, offset, vec![code])),
        }
    }
    for (_, _, types) in &mut out {
        if types.iter().all(|t| *t == types[0]) {
            types.truncate(1);
        }
    }
    out
}

/// Resolves when the broker has confirmed (or refused) one record's
/// acknowledgement. Dropping it does not cancel the acknowledgement.
#[derive(Debug)]
pub struct Acknowledgement {
    pub(crate) reply: oneshot::Receiver<Result<(), ShareError>>,
}

impl Future for Acknowledgement {
    type Output = Result<(), ShareError>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        Pin::new(&mut self.reply)
            .poll(cx)
            .map(|r| r.unwrap_or(Err(ShareError::Closed)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ack(offset: i64, kind: AckKind) -> PendingAck {
        PendingAck {
            tp: (Uuid::nil(), 0),
            topic: Arc::from("t"),
            offset,
            kind,
            generation: 0,
            reply: None,
        }
    }

    #[test]
    fn consecutive_offsets_share_a_batch() {
        let acks = [
            ack(5, AckKind::Accept),
            ack(3, AckKind::Accept),
            ack(4, AckKind::Accept),
            ack(9, AckKind::Reject),
            ack(10, AckKind::Accept),
            ack(12, AckKind::Gap),
        ];
        let refs: Vec<&PendingAck> = acks.iter().collect();
        assert_eq!(
            coalesce(&refs),
            vec![(3, 5, vec![1]), (9, 10, vec![3, 1]), (12, 12, vec![0])]
        );
    }

    #[tokio::test]
    async fn a_lost_acknowledgement_says_so() {
        let (tx, rx) = oneshot::channel();
        let mut a = ack(7, AckKind::Accept);
        a.reply = Some(tx);
        let queue = AckQueue::default();
        queue.close("gone");
        queue.push(a);
        let err = Acknowledgement { reply: rx }.await.unwrap_err();
        assert!(
            matches!(err, ShareError::AckLost { offset: 7, .. }),
            "{err}"
        );
        assert!(err.is_retriable());
    }
}
