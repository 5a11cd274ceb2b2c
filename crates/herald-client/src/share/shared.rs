//! What the fetch loops of one consumer share, and the small protocol
//! helpers they use.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use futures_util::future::BoxFuture;
use kafka_protocol::error::ResponseError;
use kafka_protocol::messages::GroupId;
use kafka_protocol::protocol::StrBytes;
use parking_lot::Mutex;
use tokio::sync::{Notify, mpsc, watch};

use super::ShareError;
use super::acks::{AckQueue, InFlight, PendingAck, Tp, coalesce};
use super::cluster::Cluster;
use super::message::{AckMode, ShareMessage};
use super::router::Routes;
use crate::ClientError;

/// A record to decode into `T`.
#[derive(Debug)]
pub(crate) struct Encoded {
    pub(crate) topic: Arc<str>,
    pub(crate) partition: i32,
    pub(crate) offset: i64,
    /// The value's schema-id header, if the record has one.
    pub(crate) header: Option<Bytes>,
    pub(crate) payload: Option<Bytes>,
}

/// Turns a record into `T` (the registry-backed deserializer, or bytes).
pub(crate) type DecodeFn<T> =
    Arc<dyn Fn(Encoded) -> BoxFuture<'static, Result<T, ClientError>> + Send + Sync>;

/// What every fetch loop of one consumer shares.
pub(crate) struct Shared<T> {
    pub(crate) group: String,
    pub(crate) member_id: String,
    pub(crate) cluster: Arc<Cluster>,
    pub(crate) decode: DecodeFn<T>,
    pub(crate) value_header: &'static str,
    pub(crate) items: mpsc::UnboundedSender<Result<ShareMessage<T>, ShareError>>,
    pub(crate) in_flight: Arc<InFlight>,
    pub(crate) mode: AckMode,
    pub(crate) max_in_flight: usize,
    pub(crate) max_wait: Duration,
    pub(crate) max_bytes: i32,
    /// The most bytes one compressed batch may inflate to.
    pub(crate) max_inflated: usize,
    pub(crate) refresh: Arc<Notify>,
    pub(crate) routes: watch::Receiver<Routes>,
    /// Each broker's acknowledgement queue.
    pub(crate) queues: Mutex<HashMap<i32, Arc<AckQueue>>>,
}

impl<T> Shared<T> {
    pub(crate) fn queue(&self, node: i32) -> Arc<AckQueue> {
        self.queues.lock().entry(node).or_default().clone()
    }
}

/// Error codes after which a partition's leader must be looked up again.
pub(crate) fn is_routing_error(code: i16) -> bool {
    [
        ResponseError::NotLeaderOrFollower,
        ResponseError::UnknownTopicOrPartition,
        ResponseError::UnknownTopicId,
        ResponseError::FencedLeaderEpoch,
        ResponseError::UnknownLeaderEpoch,
        ResponseError::LeaderNotAvailable,
    ]
    .iter()
    .any(|e| e.code() == code)
}

pub(crate) fn is_session_error(code: i16) -> bool {
    code == ResponseError::ShareSessionNotFound.code()
        || code == ResponseError::InvalidShareSessionEpoch.code()
}

pub(crate) fn next_epoch(epoch: i32) -> i32 {
    if epoch == i32::MAX { 1 } else { epoch + 1 }
}

pub(crate) fn group_id(shared: &Shared<impl Sized>) -> GroupId {
    GroupId(StrBytes::from_string(shared.group.clone()))
}

/// Acknowledgements grouped by partition.
pub(crate) type ByPartition = BTreeMap<Tp, Vec<PendingAck>>;

pub(crate) fn by_partition(acks: Vec<PendingAck>) -> ByPartition {
    let mut out = ByPartition::new();
    for a in acks {
        out.entry(a.tp).or_default().push(a);
    }
    out
}

pub(crate) fn batches(acks: &[PendingAck]) -> Vec<(i64, i64, Vec<i8>)> {
    coalesce(&acks.iter().collect::<Vec<_>>())
}

/// Answers a partition's acknowledgements with its acknowledge error code.
pub(crate) fn finish(list: Vec<PendingAck>, code: i16, message: Option<&StrBytes>) {
    for a in list {
        if code == 0 {
            a.finish(Ok(()));
        } else {
            a.refuse(code, message.map(|m| m.to_string()));
        }
    }
}
