//! Herald end to end: broker + registry + SDK in one process.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod group;
mod harness;
mod idempotent;
mod interop;
mod policy;
mod request;
mod seek;
mod typed;

pub use harness::{TestCluster, eventually};

use std::time::Duration;

use herald_client::{ClientError, Consumer, Delivery};

/// Takes `n` deliveries (acknowledging each), failing on any error or if
/// they do not come within 60 s.
pub async fn take<T: serde::de::DeserializeOwned + Send + 'static>(
    consumer: &mut Consumer<T>,
    n: usize,
) -> Vec<Delivery<T>> {
    let out = receive(consumer, n).await;
    for d in &out {
        d.ack();
    }
    out
}

/// Takes `n` deliveries without acknowledging them, failing on any error
/// or if they do not come within 60 s.
pub async fn receive<T: serde::de::DeserializeOwned + Send + 'static>(
    consumer: &mut Consumer<T>,
    n: usize,
) -> Vec<Delivery<T>> {
    let mut out = Vec::new();
    while out.len() < n {
        let item = tokio::time::timeout(Duration::from_secs(60), consumer.next())
            .await
            .unwrap_or_else(|_| panic!("only {} of {n} deliveries within 60 s", out.len()))
            .expect("consumer ended");
        out.push(item.unwrap_or_else(|e: ClientError| panic!("delivery failed: {e}")));
    }
    out
}
