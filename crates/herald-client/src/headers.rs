//! The record headers the SDK writes and reads, by name.

/// A UUIDv7 every [`Producer`](crate::Producer) stamps on a record (unless
/// turned off), which idempotent handlers deduplicate on.
pub const MESSAGE_ID: &str = "message-id";
/// The topic a request's reply goes to.
pub const REPLY_TO: &str = "reply-to";
/// Pairs a reply with its request.
pub const CORRELATION_ID: &str = "correlation-id";
/// Dead letters: the topic the record was read from.
pub const DLQ_SOURCE_TOPIC: &str = "herald.dlq.source.topic";
/// Dead letters: its partition (decimal text).
pub const DLQ_SOURCE_PARTITION: &str = "herald.dlq.source.partition";
/// Dead letters: its offset (decimal text).
pub const DLQ_SOURCE_OFFSET: &str = "herald.dlq.source.offset";
/// Dead letters: the last error, as text.
pub const DLQ_ERROR: &str = "herald.dlq.error";
/// Dead letters: how many times it was tried (decimal text).
pub const DLQ_ATTEMPTS: &str = "herald.dlq.attempts";
