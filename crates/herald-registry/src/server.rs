//! Running the registry: `serve(listener, config, shutdown)`.

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use tokio::net::TcpListener;

use crate::{Config, Registry, RegistryError, api};

/// Serves the registry on `listener` until `shutdown` resolves, then drains
/// in-flight requests and closes the Kafka producer.
///
/// HTTP is up at once (`/health` answers 503 while `_schemas` replays);
/// start-up retries with backoff while Kafka is unreachable, so the registry
/// may start before its broker.
pub async fn serve(
    listener: TcpListener,
    config: Config,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> Result<(), RegistryError> {
    let registry = Registry::new(config);
    serve_registry(listener, registry, shutdown).await
}

/// [`serve`] for a registry the caller holds (to read its state or metrics).
pub async fn serve_registry(
    listener: TcpListener,
    registry: Arc<Registry>,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> Result<(), RegistryError> {
    let local = listener.local_addr().ok();
    tracing::info!(address = ?local, topic = registry.config().topic, "schema registry listening");
    let starter = tokio::spawn(start_with_retries(registry.clone()));
    let upkeep = tokio::spawn(upkeep(registry.clone()));
    let app = api::router(registry.clone());
    let served = axum::serve(listener, app)
        .with_graceful_shutdown(shutdown)
        .await;
    starter.abort();
    upkeep.abort();
    registry.close().await;
    served.map_err(|e| RegistryError::Http {
        status: 500,
        message: format!("the HTTP server failed: {e}"),
    })
}

async fn start_with_retries(registry: Arc<Registry>) {
    let mut delay = Duration::from_millis(200);
    loop {
        match registry.start().await {
            Ok(()) => return,
            Err(e) => {
                tracing::warn!(error = %e, retry_in_ms = delay.as_millis() as u64, "schema registry start failed");
                tokio::time::sleep(delay).await;
                delay = (delay * 2).min(Duration::from_secs(5));
            }
        }
    }
}

async fn upkeep(registry: Arc<Registry>) {
    let mut tick = tokio::time::interval(Duration::from_secs(5));
    loop {
        tick.tick().await;
        registry.metrics().upkeep();
    }
}
