//! [`ShareConsumer<T>`]: queues on Kafka's share groups (KIP-932, "Queues
//! for Kafka"). Many instances of a service consume the same topics as
//! competing consumers: each record is acquired by one of them under a
//! time-limited lock and then accepted, released for another delivery, or
//! rejected (archived, and copied to the group's dead-letter topic when
//! one is configured).
//!
//! ```no_run
//! # async fn demo() -> Result<(), herald_client::share::ShareError> {
//! use herald_client::share::ShareConsumer;
//! use herald_client::transport::KafkaConfig;
//! use herald_client::registry::{RegistryConfig, SchemaRegistryClient};
//!
//! #[derive(Debug, serde::Deserialize, apache_avro::AvroSchema)]
//! struct Order { id: String, cents: i64 }
//!
//! let kafka = KafkaConfig::new("localhost:9092");
//! let registry = SchemaRegistryClient::new(RegistryConfig::new("http://localhost:8081"))?;
//! let mut orders = ShareConsumer::<Order>::builder(&kafka, &registry)
//!     .group("billing")
//!     .topic("orders")
//!     .avro()
//!     .max_in_flight(100)
//!     .build()
//!     .await?;
//! while let Some(item) = orders.next().await {
//!     let message = item?;
//!     if message.value.cents >= 0 {
//!         message.accept();
//!     } else {
//!         message.reject();
//!     }
//! }
//! # Ok(()) }
//! ```
//!
//! The Kafka protocol is spoken directly on the `kafka-protocol` codecs
//! (no released Rust client has a share consumer): ShareGroupHeartbeat to
//! the group coordinator, ShareFetch and ShareAcknowledge to each
//! partition's leader over its own connection, with ApiVersions
//! negotiation, leader routing from Metadata by topic id and a metadata
//! refresh when a leader moves or a topic id is unknown.
//!
//! Invariants: a message is acknowledged at most once (the methods take
//! it by value; dropping it settles it by the [`AckMode`]); at most
//! `max_in_flight` messages are out (plus the rest of one broker batch);
//! an acknowledgement that cannot reach the broker is reported as
//! [`ShareError::AckLost`] and its record comes back — never silently
//! taken as done.
//!
//! Connections are secured as the [`KafkaConfig`] properties say
//! (`security.protocol`, `ssl.*`, `sasl.*`: TLS, SASL PLAIN and SCRAM).
//!
//! Non-goals: SASL GSSAPI and OAUTHBEARER, the RENEW acknowledgement
//! and the acquire modes of ShareFetch v2 (the codecs carry v1).

mod acks;
mod builder;
pub(crate) mod cluster;
pub(crate) mod conn;
mod error;
mod fetcher;
mod inflate;
mod membership;
mod message;
mod records;
mod router;
mod shared;

use std::collections::BTreeSet;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use futures_core::Stream;
use parking_lot::Mutex;
use serde::de::DeserializeOwned;
use tokio::sync::{mpsc, watch};
use tokio::task::JoinHandle;

pub use acks::{AckKind, Acknowledgement};
pub use builder::ShareConsumerBuilder;
pub use error::ShareError;
pub use message::{AckMode, ShareMessage};

use acks::Tp;
use shared::{Encoded, Shared};

use crate::registry::SchemaRegistryClient;
use crate::transport::KafkaConfig;

/// The consumer's background tasks.
#[derive(Debug)]
struct Tasks {
    member: Option<JoinHandle<()>>,
    router: Option<JoinHandle<()>>,
    fetchers: Arc<Mutex<Vec<JoinHandle<()>>>>,
}

/// A member of a share group handing out acquired records as typed
/// [`ShareMessage`]s.
///
/// Items are messages or errors: a record that cannot be decoded arrives
/// as [`ShareError::Client`] holding the [`DecodeError`](crate::DecodeError)
/// — it has already been rejected (so it reaches the dead-letter topic, if
/// the group has one); a fatal group error (an authorization failure, say)
/// arrives once as [`ShareError::Broker`]. The stream ends after
/// It does not end on its own: stop with [`close`](Self::close).
///
/// Call [`close`](Self::close) to stop: it sends the acknowledgements
/// still queued, closes the share sessions and leaves the group, so the
/// partitions' other members take over at once. Dropping the consumer
/// instead stops its tasks; the group then notices the member is gone
/// after its session timeout and the records it held come back after
/// their locks expire.
pub struct ShareConsumer<T> {
    items: mpsc::UnboundedReceiver<Result<ShareMessage<T>, ShareError>>,
    errors: mpsc::UnboundedReceiver<ShareError>,
    group: String,
    member_id: String,
    assignment: watch::Receiver<BTreeSet<Tp>>,
    shared: Arc<Shared<T>>,
    stop_fetch: watch::Sender<bool>,
    stop_member: watch::Sender<bool>,
    tasks: Tasks,
}

impl<T> std::fmt::Debug for ShareConsumer<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ShareConsumer")
            .field("group", &self.group)
            .field("member_id", &self.member_id)
            .finish_non_exhaustive()
    }
}

impl<T: DeserializeOwned + Send + 'static> ShareConsumer<T> {
    /// Starts building a consumer of `T`, decoded with the schema the
    /// registry holds for each record's id (Confluent wire format).
    pub fn builder(
        cluster: &KafkaConfig,
        registry: &SchemaRegistryClient,
    ) -> ShareConsumerBuilder<T> {
        ShareConsumerBuilder::new(cluster, Some(registry.clone()), None)
    }
}

impl ShareConsumer<Vec<u8>> {
    /// Starts building a consumer of values as stored, without a registry
    /// (a tombstone arrives as an empty value; see
    /// [`ShareMessage::payload`]).
    pub fn raw(cluster: &KafkaConfig) -> ShareConsumerBuilder<Vec<u8>> {
        let decode: shared::DecodeFn<Vec<u8>> = Arc::new(|e: Encoded| {
            Box::pin(async move { Ok(e.payload.map(|b| b.to_vec()).unwrap_or_default()) })
        });
        ShareConsumerBuilder::new(cluster, None, Some(decode))
    }
}

impl<T> ShareConsumer<T> {
    /// The next message or error; `None` once the consumer is closed.
    pub async fn next(&mut self) -> Option<Result<ShareMessage<T>, ShareError>> {
        std::future::poll_fn(|cx| Pin::new(&mut *self).poll_next(cx)).await
    }

    /// The share group.
    pub fn group(&self) -> &str {
        &self.group
    }

    /// This member's id in the group.
    pub fn member_id(&self) -> &str {
        &self.member_id
    }

    /// The partitions assigned to this member now, as (topic, partition);
    /// empty until the first assignment. Several members may share one
    /// partition.
    pub fn assignment(&self) -> Vec<(String, i32)> {
        let assigned = self.assignment.borrow().clone();
        self.shared.cluster.read(|s| {
            assigned
                .iter()
                .map(|(id, p)| {
                    let name = s
                        .topics
                        .get(id)
                        .map_or_else(|| id.to_string(), |t| t.name.clone());
                    (name, *p)
                })
                .collect()
        })
    }

    /// Messages handed out and not yet acknowledged.
    pub fn in_flight(&self) -> usize {
        self.shared.in_flight.get()
    }

    /// Sends the queued acknowledgements, closes the share sessions and
    /// leaves the group. Messages still held are not acknowledged by it:
    /// settle them first, or their records come back after their locks
    /// expire.
    pub async fn close(mut self) -> Result<(), ShareError> {
        let _ = self.stop_fetch.send(true);
        if let Some(router) = self.tasks.router.take() {
            let _ = router.await;
        }
        let fetchers = std::mem::take(&mut *self.tasks.fetchers.lock());
        for f in fetchers {
            let _ = f.await;
        }
        let _ = self.stop_member.send(true);
        if let Some(member) = self.tasks.member.take() {
            member.await.map_err(|e| {
                ShareError::protocol("", format!("the membership task failed: {e}"))
            })?;
        }
        Ok(())
    }
}

impl<T> Stream for ShareConsumer<T> {
    type Item = Result<ShareMessage<T>, ShareError>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        if let Poll::Ready(Some(e)) = self.errors.poll_recv(cx) {
            return Poll::Ready(Some(Err(e)));
        }
        loop {
            match self.items.poll_recv(cx) {
                // Its session ended before it was taken: the broker hands
                // the record out again, so this copy is dropped unseen.
                Poll::Ready(Some(Ok(m))) if m.is_stale() => drop(m),
                other => return other,
            }
        }
    }
}

impl<T> Drop for ShareConsumer<T> {
    fn drop(&mut self) {
        if let Some(t) = self.tasks.router.take() {
            t.abort();
        }
        for t in self.tasks.fetchers.lock().drain(..) {
            t.abort();
        }
        if let Some(t) = self.tasks.member.take() {
            t.abort();
        }
        for queue in self.shared.queues.lock().values() {
            queue.close("the consumer was dropped");
        }
    }
}
