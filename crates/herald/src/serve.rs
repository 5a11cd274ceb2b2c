//! `herald serve`: the embedded default — the broker and the schema
//! registry in one process over one data directory, the registry storing
//! its `_schemas` topic in the broker beside it.

use std::net::SocketAddr;

use anyhow::anyhow;
use clap::Args;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

use crate::broker::{BrokerArgs, RunningBroker, runtime, shutdown_signal};
use crate::registry::BoundRegistry;

/// Flags of `herald serve`.
#[derive(Debug, Args)]
pub(crate) struct ServeArgs {
    #[command(flatten)]
    broker: BrokerArgs,
    /// Address to listen on for HTTP (the Confluent Schema Registry API).
    #[arg(long, env = "HERALD_REGISTRY_LISTEN", default_value = "0.0.0.0:8081")]
    registry_listen: SocketAddr,
}

/// Runs broker and registry until SIGTERM or ctrl-c (or until either
/// fails), then stops the registry first — it is a client of the broker —
/// and the broker last, so the log closes cleanly.
pub(crate) fn run(args: ServeArgs) -> anyhow::Result<()> {
    runtime()?.block_on(async move {
        let broker = RunningBroker::start(&args.broker).await?;
        let config = herald_registry::Config::with_bootstrap(broker.bootstrap());
        let registry = match BoundRegistry::bind(args.registry_listen, config).await {
            Ok(registry) => registry,
            Err(e) => {
                if let Err(closing) = broker.close().await {
                    tracing::error!("{closing:#}");
                }
                return Err(e);
            }
        };

        let (stop_broker, broker_stopped) = oneshot::channel::<()>();
        let mut broker_task = tokio::spawn(broker.serve_until(async {
            let _ = broker_stopped.await;
        }));
        let (stop_registry, registry_stopped) = oneshot::channel::<()>();
        let mut registry_task = tokio::spawn(registry.serve_until(async {
            let _ = registry_stopped.await;
        }));

        let (registry_result, broker_result) = tokio::select! {
            () = shutdown_signal() => {
                let _ = stop_registry.send(());
                let registry = joined(registry_task).await;
                let _ = stop_broker.send(());
                (registry, joined(broker_task).await)
            }
            result = &mut registry_task => {
                let _ = stop_broker.send(());
                (flatten(result, "registry"), joined(broker_task).await)
            }
            result = &mut broker_task => {
                let _ = stop_registry.send(());
                let registry = joined(registry_task).await;
                (registry, flatten(result, "broker"))
            }
        };
        match (registry_result, broker_result) {
            (Ok(()), Ok(())) => Ok(()),
            (Err(e), Ok(())) | (Ok(()), Err(e)) => Err(e),
            (Err(registry), Err(broker)) => {
                tracing::error!("{registry:#}");
                Err(broker)
            }
        }
    })
}

async fn joined(task: JoinHandle<anyhow::Result<()>>) -> anyhow::Result<()> {
    flatten(task.await, "service")
}

fn flatten(
    result: Result<anyhow::Result<()>, tokio::task::JoinError>,
    what: &str,
) -> anyhow::Result<()> {
    result.map_err(|e| anyhow!("the {what} task failed: {e}"))?
}
