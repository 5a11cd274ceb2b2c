//! Runtime-agnostic wake-ups for readers waiting on new data (long-poll Fetch).

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use event_listener::{EventListener, Listener};

/// Completes after data becomes readable on the partition it was created from
/// (the high watermark moved), or the partition's log start moved, or it closed.
///
/// Create it *before* checking the high watermark, then wait: a notification
/// that lands between the check and the wait is not lost.
///
/// ```
/// # let dir = tempfile::tempdir().unwrap();
/// # let p = herald_log::Partition::open_memory("t-0", Default::default(), std::sync::Arc::new(herald_log::SystemClock));
/// let listener = p.listen();
/// if p.high_watermark() <= 0 {
///     // In async code: `listener.await` (with the runtime's timeout).
///     let woke = listener.wait_timeout(std::time::Duration::from_millis(1));
///     assert!(!woke);
/// }
/// ```
#[derive(Debug)]
pub struct AppendListener {
    inner: EventListener,
}

impl AppendListener {
    pub(crate) fn new(inner: EventListener) -> Self {
        Self { inner }
    }

    /// Blocks the calling thread until notified or `timeout` passes; true if notified.
    pub fn wait_timeout(self, timeout: Duration) -> bool {
        self.inner.wait_timeout(timeout).is_some()
    }

    /// Blocks the calling thread until notified.
    pub fn wait(self) {
        self.inner.wait();
    }
}

impl Future for AppendListener {
    type Output = ();

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        Pin::new(&mut self.inner).poll(cx)
    }
}
