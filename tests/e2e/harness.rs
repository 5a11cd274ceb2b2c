//! `TestCluster`: a Herald broker and a schema registry in this process, on
//! ephemeral loopback ports over temporary directories, plus the clients
//! the SDK needs to reach them.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use herald_broker::{Broker, BrokerConfig, run};
use herald_client::transport::{KafkaConfig, TopicSpec, ensure_topic};
use herald_client::{RegistryConfig, SchemaRegistryClient};
use herald_log::{Log, LogOptions};
use tokio::net::TcpListener;
use tokio::sync::oneshot;

#[derive(Debug)]
pub struct TestCluster {
    pub kafka: KafkaConfig,
    pub registry_url: String,
    pub broker_addr: SocketAddr,
    _dir: tempfile::TempDir,
    stops: Vec<oneshot::Sender<()>>,
}

impl TestCluster {
    /// Starts a broker, then a registry on it, and waits until the
    /// registry answers `/health` with 200.
    pub async fn start() -> TestCluster {
        let dir = tempfile::tempdir().expect("temp dir");
        let log = Arc::new(Log::open(dir.path(), LogOptions::default()).expect("open log"));
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind broker");
        let broker_addr = listener.local_addr().expect("broker addr");
        let broker = Arc::new(Broker::new(BrokerConfig::default(), log, broker_addr));
        let (stop_broker, stopped) = oneshot::channel::<()>();
        tokio::spawn(run(listener, broker, async {
            let _ = stopped.await;
        }));

        let listener = TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind registry");
        let registry_url = format!("http://{}", listener.local_addr().expect("registry addr"));
        let config = herald_registry::Config::with_bootstrap(broker_addr.to_string());
        let (stop_registry, stopped) = oneshot::channel::<()>();
        tokio::spawn(herald_registry::serve(listener, config, async {
            let _ = stopped.await;
        }));
        let http = reqwest::Client::new();
        let deadline = tokio::time::Instant::now() + Duration::from_secs(60);
        loop {
            let healthy = http
                .get(format!("{registry_url}/health"))
                .send()
                .await
                .map(|r| r.status().is_success())
                .unwrap_or(false);
            if healthy {
                break;
            }
            assert!(
                tokio::time::Instant::now() < deadline,
                "registry did not become healthy"
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        TestCluster {
            kafka: KafkaConfig::new(broker_addr.to_string()),
            registry_url,
            broker_addr,
            _dir: dir,
            stops: vec![stop_registry, stop_broker],
        }
    }

    /// A registry client with short retry waits, so failures show quickly.
    pub fn registry(&self) -> SchemaRegistryClient {
        let mut config = RegistryConfig::new(&self.registry_url);
        config.retry_wait = Duration::from_millis(50);
        config.retry_max_wait = Duration::from_millis(500);
        SchemaRegistryClient::new(config).expect("registry client")
    }

    /// Creates `topic` with `partitions` partitions.
    pub async fn topic(&self, topic: &str, partitions: i32) {
        let spec = TopicSpec {
            name: topic.to_owned(),
            partitions,
            replication_factor: -1,
            configs: Default::default(),
        };
        ensure_topic(&self.kafka, &spec)
            .await
            .expect("create topic");
    }
}

impl Drop for TestCluster {
    fn drop(&mut self) {
        for stop in self.stops.drain(..) {
            let _ = stop.send(());
        }
    }
}

/// Runs `f` until it returns `Some`, for at most `limit`.
pub async fn eventually<T, F, Fut>(limit: Duration, mut f: F) -> T
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Option<T>>,
{
    let deadline = tokio::time::Instant::now() + limit;
    loop {
        if let Some(v) = f().await {
            return v;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "condition not met within {limit:?}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}
