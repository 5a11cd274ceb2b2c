//! Idempotent consumption: run a handler at most once per message id.
//!
//! Producers stamp a UUIDv7 `message-id` header on every record. Kafka
//! delivers at least once (a rebalance or a restart redelivers what was
//! not committed), so a consumer whose effects must not repeat wraps its
//! handler in [`Idempotent`], which remembers the ids it completed in a
//! [`DedupeStore`]: [`MemoryDedupe`] (bounded, lost at exit) or
//! [`FileDedupe`] (append-only file, fsynced, survives restarts).
//!
//! The id is recorded after the handler succeeded and before the caller
//! acknowledges, so a crash in between runs the handler again on
//! redelivery: effects that must be exactly-once belong in the same
//! transaction as the id (the inbox pattern); this helper covers the rest.

mod file;
mod memory;

use std::collections::HashSet;
use std::future::Future;

use parking_lot::Mutex;

pub use file::FileDedupe;
pub use memory::MemoryDedupe;

use crate::{ClientError, Delivery};

/// Where completed message ids are remembered.
pub trait DedupeStore: Send + Sync {
    /// Whether `id` was recorded.
    fn contains(&self, id: &str) -> impl Future<Output = Result<bool, ClientError>> + Send;
    /// Records `id`; once this returns `Ok`, [`contains`](Self::contains)
    /// answers `true` for it (across restarts, for a durable store).
    fn insert(&self, id: &str) -> impl Future<Output = Result<(), ClientError>> + Send;
}

/// What [`Idempotent::handle`] did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Handled<R> {
    /// The handler ran and returned this.
    Ran(R),
    /// The id was already handled (or is being handled now): skipped.
    Duplicate,
}

/// A handler wrapper that runs each message id at most once.
#[derive(Debug)]
pub struct Idempotent<S> {
    store: S,
    in_flight: Mutex<HashSet<String>>,
}

impl<S: DedupeStore> Idempotent<S> {
    /// Wraps `store`.
    pub fn new(store: S) -> Idempotent<S> {
        Idempotent {
            store,
            in_flight: Mutex::new(HashSet::new()),
        }
    }

    /// The store.
    pub fn store(&self) -> &S {
        &self.store
    }

    /// Runs `handler` for `delivery` unless its message id was handled;
    /// records the id when the handler succeeds. A record without a
    /// `message-id` header cannot be deduplicated and always runs.
    pub async fn handle<T, R, E, F, Fut>(
        &self,
        delivery: &Delivery<T>,
        handler: F,
    ) -> Result<Handled<R>, E>
    where
        F: FnOnce() -> Fut,
        Fut: Future<Output = Result<R, E>>,
        E: From<ClientError>,
    {
        let Some(id) = delivery.message_id().map(str::to_owned) else {
            return handler().await.map(Handled::Ran);
        };
        if !self.in_flight.lock().insert(id.clone()) {
            return Ok(Handled::Duplicate);
        }
        let _release = Release {
            set: &self.in_flight,
            id: &id,
        };
        if self.store.contains(&id).await? {
            return Ok(Handled::Duplicate);
        }
        let result = handler().await?;
        self.store.insert(&id).await?;
        Ok(Handled::Ran(result))
    }

    /// [`handle`](Self::handle), then acknowledges the delivery (ran or
    /// duplicate) or, when the handler failed, nacks it with the error.
    pub async fn process<T, R, E, F, Fut>(
        &self,
        delivery: &Delivery<T>,
        handler: F,
    ) -> Result<Handled<R>, E>
    where
        F: FnOnce() -> Fut,
        Fut: Future<Output = Result<R, E>>,
        E: From<ClientError> + std::fmt::Display,
    {
        match self.handle(delivery, handler).await {
            Ok(h) => {
                delivery.ack();
                Ok(h)
            }
            Err(e) => {
                delivery.nack(&e);
                Err(e)
            }
        }
    }
}

struct Release<'a> {
    set: &'a Mutex<HashSet<String>>,
    id: &'a str,
}

impl Drop for Release<'_> {
    fn drop(&mut self) {
        self.set.lock().remove(self.id);
    }
}
