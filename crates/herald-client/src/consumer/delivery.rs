//! [`Delivery<T>`]: one decoded record with its acknowledgement handle.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use parking_lot::Mutex;
use tokio::sync::mpsc;

use super::acks::{AckTracker, Tp};
use crate::headers;
use crate::kafka::{HeaderList, header};

/// A record as it was read, kept for redelivery and dead-lettering.
#[derive(Debug)]
pub(crate) struct RawRecord {
    pub(crate) topic: String,
    pub(crate) partition: i32,
    pub(crate) offset: i64,
    pub(crate) timestamp: i64,
    pub(crate) key: Option<Vec<u8>>,
    pub(crate) value: Option<Vec<u8>>,
    pub(crate) headers: HeaderList,
}

impl RawRecord {
    pub(crate) fn tp(&self) -> Tp {
        (self.topic.clone(), self.partition)
    }
}

/// A record the user gave up on for now: redeliver, or dead-letter.
#[derive(Debug)]
pub(crate) struct Nack {
    pub(crate) raw: Arc<RawRecord>,
    pub(crate) attempt: u32,
    pub(crate) error: String,
    pub(crate) epoch: u64,
}

/// What deliveries share with the consumer's tasks.
#[derive(Debug)]
pub(crate) struct Shared {
    pub(crate) acks: Mutex<AckTracker>,
    pub(crate) nacks: mpsc::UnboundedSender<Nack>,
}

impl Shared {
    pub(crate) fn ack(&self, raw: &RawRecord, epoch: u64) {
        self.acks.lock().ack(&raw.tp(), raw.offset, epoch);
    }
}

/// One record, decoded into `T`, with everything Kafka said about it.
///
/// Call [`ack`](Delivery::ack) when it is handled: the consumer commits
/// past a record only once it and every record before it in its partition
/// are acknowledged. [`nack`](Delivery::nack) hands it to the consumer's
/// retry policy (redelivery with backoff, then the dead-letter topic). A
/// delivery dropped without either stays unacknowledged: its partition's
/// committed offset stops before it, so it is read again after a restart.
pub struct Delivery<T> {
    /// The decoded value.
    pub value: T,
    pub(crate) raw: Arc<RawRecord>,
    pub(crate) attempt: u32,
    pub(crate) epoch: u64,
    pub(crate) shared: Arc<Shared>,
    pub(crate) settled: AtomicBool,
}

impl<T: std::fmt::Debug> std::fmt::Debug for Delivery<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Delivery")
            .field("topic", &self.raw.topic)
            .field("partition", &self.raw.partition)
            .field("offset", &self.raw.offset)
            .field("attempt", &self.attempt)
            .field("value", &self.value)
            .finish_non_exhaustive()
    }
}

impl<T> Delivery<T> {
    /// Splits the value from the rest, which keeps the metadata and the
    /// acknowledgement handle.
    pub fn into_parts(self) -> (T, Delivery<()>) {
        let rest = Delivery {
            value: (),
            raw: self.raw,
            attempt: self.attempt,
            epoch: self.epoch,
            shared: self.shared,
            settled: self.settled,
        };
        (self.value, rest)
    }

    /// The record's key bytes, if any.
    pub fn key(&self) -> Option<&[u8]> {
        self.raw.key.as_deref()
    }

    /// The record's headers, in order.
    pub fn headers(&self) -> &[(String, Vec<u8>)] {
        &self.raw.headers
    }

    /// The last value of header `name`.
    pub fn header(&self, name: &str) -> Option<&[u8]> {
        header(&self.raw.headers, name)
    }

    /// The `message-id` header a Herald producer stamps, if present.
    pub fn message_id(&self) -> Option<&str> {
        self.header(headers::MESSAGE_ID)
            .and_then(|v| std::str::from_utf8(v).ok())
    }

    /// The topic.
    pub fn topic(&self) -> &str {
        &self.raw.topic
    }

    /// The partition.
    pub fn partition(&self) -> i32 {
        self.raw.partition
    }

    /// The offset.
    pub fn offset(&self) -> i64 {
        self.raw.offset
    }

    /// The record's timestamp (milliseconds since the epoch).
    pub fn timestamp(&self) -> i64 {
        self.raw.timestamp
    }

    /// 1 for the first delivery, then 2, 3, … for redeliveries after `nack`.
    pub fn attempt(&self) -> u32 {
        self.attempt
    }

    /// Marks the record handled. Acknowledging twice, or after `nack`, does
    /// nothing.
    pub fn ack(&self) {
        if !self.settled.swap(true, Ordering::AcqRel) {
            self.shared.ack(&self.raw, self.epoch);
        }
    }

    /// Marks the record failed with `error`: the retry policy redelivers it
    /// after a backoff, or, past its attempts, copies it to the dead-letter
    /// topic and acknowledges it.
    pub fn nack(&self, error: impl std::fmt::Display) {
        if !self.settled.swap(true, Ordering::AcqRel) {
            let _ = self.shared.nacks.send(Nack {
                raw: self.raw.clone(),
                attempt: self.attempt,
                error: error.to_string(),
                epoch: self.epoch,
            });
        }
    }
}
