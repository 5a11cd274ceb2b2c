//! Test harness: a broker on an ephemeral loopback port over a temporary
//! data directory, that can be stopped cleanly and restarted on its data.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;

pub mod raw;

use herald_broker::{Broker, BrokerConfig, run};
use herald_log::{Log, LogOptions};
use tokio::net::TcpListener;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

/// A running broker.
pub struct TestBroker {
    /// Where it listens.
    pub addr: SocketAddr,
    /// Its log, for assertions that look under the protocol.
    pub log: Arc<Log>,
    dir: Arc<tempfile::TempDir>,
    stop: Option<oneshot::Sender<()>>,
    task: Option<JoinHandle<()>>,
}

impl TestBroker {
    /// Starts a broker with default settings on a fresh temporary directory.
    pub async fn start() -> Self {
        Self::start_with(BrokerConfig::default(), LogOptions::default()).await
    }

    /// Starts a broker with the given settings on a fresh temporary directory.
    pub async fn start_with(config: BrokerConfig, options: LogOptions) -> Self {
        let dir = Arc::new(tempfile::tempdir().expect("temp dir"));
        Self::start_on(dir, "127.0.0.1:0".parse().unwrap(), config, options).await
    }

    async fn start_on(
        dir: Arc<tempfile::TempDir>,
        bind: SocketAddr,
        config: BrokerConfig,
        options: LogOptions,
    ) -> Self {
        let log = Arc::new(Log::open(dir.path(), options).expect("open log"));
        let listener = TcpListener::bind(bind).await.expect("bind");
        let addr = listener.local_addr().unwrap();
        let broker = Arc::new(Broker::new(config, log.clone(), addr));
        let (stop, stopped) = oneshot::channel();
        let task = tokio::spawn(run(listener, broker, async {
            let _ = stopped.await;
        }));
        TestBroker {
            addr,
            log,
            dir,
            stop: Some(stop),
            task: Some(task),
        }
    }

    /// `host:port` for a client's `bootstrap.servers`.
    pub fn bootstrap(&self) -> String {
        self.addr.to_string()
    }

    /// The data directory.
    pub fn data_dir(&self) -> &Path {
        self.dir.path()
    }

    /// The data directory as an owned path.
    pub fn data_path(&self) -> PathBuf {
        self.dir.path().to_path_buf()
    }

    /// Stops the broker cleanly: connections drain, the log shuts down and
    /// writes its clean-shutdown markers.
    pub async fn stop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(task) = self.task.take() {
            task.await.expect("broker task");
        }
        let log = self.log.clone();
        tokio::task::spawn_blocking(move || log.shutdown())
            .await
            .expect("join")
            .expect("log shutdown");
    }

    /// Stops the broker cleanly and starts it again on the same data
    /// directory and the same port, so clients can reconnect.
    pub async fn restart(mut self, config: BrokerConfig, options: LogOptions) -> Self {
        self.stop().await;
        let dir = self.dir.clone();
        let addr = self.addr;
        drop(self);
        Self::start_on(dir, addr, config, options).await
    }
}

impl Drop for TestBroker {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
    }
}
