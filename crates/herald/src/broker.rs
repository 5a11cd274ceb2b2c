//! `herald broker`: the Kafka-compatible broker on a data directory.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;

use anyhow::{Context, bail};
use clap::Args;
use herald_broker::{Broker, BrokerConfig};
use herald_log::{Log, LogOptions};

/// Flags of `herald broker`.
#[derive(Debug, Args)]
pub(crate) struct BrokerArgs {
    /// Address to listen on for Kafka clients.
    #[arg(long, env = "HERALD_LISTEN", default_value = "0.0.0.0:9092")]
    pub(crate) listen: SocketAddr,
    /// `host:port` clients are told to connect to (Metadata); defaults to the
    /// listen address (loopback when listening on all interfaces).
    #[arg(long, env = "HERALD_ADVERTISED_LISTENER", value_parser = parse_host_port)]
    pub(crate) advertised_listener: Option<(String, u16)>,
    /// Directory holding topics and broker state.
    #[arg(long, env = "HERALD_DATA_DIR", default_value = "./data")]
    pub(crate) data_dir: PathBuf,
}

fn parse_host_port(s: &str) -> Result<(String, u16), String> {
    let (host, port) = s
        .rsplit_once(':')
        .ok_or_else(|| format!("`{s}` is not host:port"))?;
    let host = host.trim_start_matches('[').trim_end_matches(']');
    if host.is_empty() {
        return Err(format!("`{s}` has no host"));
    }
    let port = port
        .parse::<u16>()
        .map_err(|_| format!("`{port}` is not a port number"))?;
    Ok((host.to_owned(), port))
}

/// Runs the broker until SIGTERM or ctrl-c, then shuts down cleanly.
pub(crate) fn run(args: BrokerArgs) -> anyhow::Result<()> {
    runtime()?.block_on(async {
        let running = RunningBroker::start(&args).await?;
        running.serve_until(shutdown_signal()).await
    })
}

/// The multi-threaded runtime every long-running command uses.
pub(crate) fn runtime() -> anyhow::Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("starting the async runtime")
}

/// A broker whose data directory is open and whose listener is bound, not
/// yet accepting: binding before serving lets `herald serve` fail fast when
/// either of its ports is taken, before anything runs.
pub(crate) struct RunningBroker {
    broker: Arc<Broker>,
    log: Arc<Log>,
    listener: tokio::net::TcpListener,
    data_dir: PathBuf,
}

impl RunningBroker {
    /// Opens the data directory (recovering it after an unclean stop) and
    /// binds the Kafka listener.
    pub(crate) async fn start(args: &BrokerArgs) -> anyhow::Result<RunningBroker> {
        let data_dir = args.data_dir.clone();
        let log = tokio::task::spawn_blocking(move || Log::open(&data_dir, LogOptions::default()))
            .await
            .context("opening the data directory")?
            .with_context(|| format!("opening data directory {}", args.data_dir.display()))?;
        let log = Arc::new(log);
        let listener = tokio::net::TcpListener::bind(args.listen)
            .await
            .with_context(|| format!("listening on {}", args.listen))?;
        let bound = listener.local_addr().context("reading the bound address")?;
        let mut config = BrokerConfig::default();
        config.advertised = args.advertised_listener.clone();
        let broker = Arc::new(Broker::new(config, log.clone(), bound));
        let (host, port) = broker.advertised();
        tracing::info!(
            listen = %bound,
            advertised = %format!("{host}:{port}"),
            data_dir = %args.data_dir.display(),
            "herald broker listening"
        );
        Ok(RunningBroker {
            broker,
            log,
            listener,
            data_dir: args.data_dir.clone(),
        })
    }

    /// The `host:port` Kafka clients (the embedded registry among them)
    /// should bootstrap from.
    pub(crate) fn bootstrap(&self) -> String {
        let (host, port) = self.broker.advertised();
        if host.contains(':') {
            format!("[{host}]:{port}")
        } else {
            format!("{host}:{port}")
        }
    }

    /// Closes the log cleanly without having served (another part of the
    /// process failed to start), so the next start skips recovery.
    pub(crate) async fn close(self) -> anyhow::Result<()> {
        close_log(self.log).await
    }

    /// Serves Kafka clients until `shutdown` completes, then drains the
    /// connections and closes the log cleanly (writing the clean-shutdown
    /// markers that let the next start skip recovery).
    pub(crate) async fn serve_until(
        self,
        shutdown: impl std::future::Future<Output = ()> + Send + 'static,
    ) -> anyhow::Result<()> {
        herald_broker::run(self.listener, self.broker, shutdown).await;
        tracing::info!(data_dir = %self.data_dir.display(), "shutting down: flushing the log");
        close_log(self.log).await?;
        tracing::info!("stopped cleanly");
        Ok(())
    }
}

/// Flushes every partition and writes the clean-shutdown markers.
async fn close_log(log: Arc<Log>) -> anyhow::Result<()> {
    let closed = tokio::task::spawn_blocking(move || log.shutdown())
        .await
        .context("log shutdown task")?;
    if let Err(e) = closed {
        bail!("clean shutdown of the log failed: {e}");
    }
    Ok(())
}

/// Completes on SIGTERM or ctrl-c (SIGINT).
pub(crate) async fn shutdown_signal() {
    let ctrl_c = async {
        if let Err(e) = tokio::signal::ctrl_c().await {
            tracing::error!(error = %e, "cannot listen for ctrl-c");
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(e) => {
                tracing::error!(error = %e, "cannot listen for SIGTERM");
                std::future::pending::<()>().await;
            }
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => tracing::info!("ctrl-c received"),
        _ = term => tracing::info!("SIGTERM received"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn host_port_parsing() {
        assert_eq!(
            parse_host_port("kafka.local:9093"),
            Ok(("kafka.local".to_owned(), 9093))
        );
        assert_eq!(parse_host_port("[::1]:9092"), Ok(("::1".to_owned(), 9092)));
        assert!(parse_host_port("nohost").is_err());
        assert!(parse_host_port(":9092").is_err());
        assert!(parse_host_port("h:99999").is_err());
    }
}
