//! Test harness: a Herald broker on an ephemeral loopback port over a
//! temporary directory, a registry over it, and helpers to call the API
//! with `oneshot`.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use std::net::SocketAddr;
use std::sync::Arc;

use axum::Router;
use axum::body::Body;
use axum::http::{Method, Request, StatusCode};
use herald_broker::{Broker, BrokerConfig, run};
use herald_log::{Log, LogOptions};
use herald_registry::{Config, Registry, api};
use http_body_util::BodyExt;
use serde_json::Value;
use tokio::net::TcpListener;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;
use tower::ServiceExt;

/// A broker running in this process.
pub struct TestBroker {
    pub addr: SocketAddr,
    log: Arc<Log>,
    dir: Arc<tempfile::TempDir>,
    stop: Option<oneshot::Sender<()>>,
    task: Option<JoinHandle<()>>,
}

impl TestBroker {
    pub async fn start() -> TestBroker {
        let dir = Arc::new(tempfile::tempdir().unwrap());
        Self::start_on(dir, "127.0.0.1:0".parse().unwrap()).await
    }

    /// A broker whose classic groups accept second-long sessions and
    /// complete their first rebalance at once, so leader elections in
    /// tests take milliseconds.
    pub async fn start_for_elections() -> TestBroker {
        let dir = Arc::new(tempfile::tempdir().unwrap());
        let mut config = BrokerConfig::default();
        config.groups.min_session_timeout_ms = 200;
        config.groups.initial_rebalance_delay_ms = 0;
        Self::start_with(dir, "127.0.0.1:0".parse().unwrap(), config).await
    }

    async fn start_on(dir: Arc<tempfile::TempDir>, bind: SocketAddr) -> TestBroker {
        Self::start_with(dir, bind, BrokerConfig::default()).await
    }

    async fn start_with(
        dir: Arc<tempfile::TempDir>,
        bind: SocketAddr,
        config: BrokerConfig,
    ) -> TestBroker {
        let log = Arc::new(Log::open(dir.path(), LogOptions::default()).unwrap());
        let listener = TcpListener::bind(bind).await.unwrap();
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

    /// Stops cleanly and starts again on the same data and port.
    pub async fn restart(mut self) -> TestBroker {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(task) = self.task.take() {
            task.await.unwrap();
        }
        let log = self.log.clone();
        tokio::task::spawn_blocking(move || log.shutdown())
            .await
            .unwrap()
            .unwrap();
        let (dir, addr) = (self.dir.clone(), self.addr);
        drop(self);
        Self::start_on(dir, addr).await
    }

    pub fn config(&self) -> Config {
        Config::with_bootstrap(self.addr.to_string())
    }
}

impl Drop for TestBroker {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
    }
}

/// A started registry over a broker, called through its router.
pub struct TestRegistry {
    pub registry: Arc<Registry>,
    pub app: Router,
}

impl TestRegistry {
    pub async fn start(config: Config) -> TestRegistry {
        let registry = Registry::new(config);
        tokio::time::timeout(std::time::Duration::from_secs(60), registry.start())
            .await
            .expect("registry start timed out")
            .expect("registry start");
        let app = api::router(registry.clone());
        TestRegistry { registry, app }
    }

    /// Sends a request; returns the status and the body as JSON (or as a
    /// JSON string when the body is not JSON).
    pub async fn call(
        &self,
        method: Method,
        path: &str,
        body: Option<Value>,
    ) -> (StatusCode, Value) {
        self.call_with(method, path, body, &[]).await
    }

    pub async fn call_with(
        &self,
        method: Method,
        path: &str,
        body: Option<Value>,
        headers: &[(&str, &str)],
    ) -> (StatusCode, Value) {
        let mut builder = Request::builder().method(method).uri(path);
        for (k, v) in headers {
            builder = builder.header(*k, *v);
        }
        let request = match body {
            Some(b) => builder
                .header("content-type", "application/vnd.schemaregistry.v1+json")
                .body(Body::from(b.to_string()))
                .unwrap(),
            None => builder.body(Body::empty()).unwrap(),
        };
        let response = self.app.clone().oneshot(request).await.unwrap();
        let status = response.status();
        let bytes = response.into_body().collect().await.unwrap().to_bytes();
        let text = String::from_utf8_lossy(&bytes).into_owned();
        let value = serde_json::from_str(&text).unwrap_or(Value::String(text));
        (status, value)
    }

    pub async fn get(&self, path: &str) -> (StatusCode, Value) {
        self.call(Method::GET, path, None).await
    }

    pub async fn post(&self, path: &str, body: Value) -> (StatusCode, Value) {
        self.call(Method::POST, path, Some(body)).await
    }

    pub async fn put(&self, path: &str, body: Value) -> (StatusCode, Value) {
        self.call(Method::PUT, path, Some(body)).await
    }

    pub async fn delete(&self, path: &str) -> (StatusCode, Value) {
        self.call(Method::DELETE, path, None).await
    }

    /// Registers and expects success; returns the id.
    pub async fn register(&self, subject: &str, body: Value) -> i64 {
        let (status, reply) = self
            .post(&format!("/subjects/{subject}/versions"), body)
            .await;
        assert_eq!(status, StatusCode::OK, "register {subject}: {reply}");
        reply["id"].as_i64().unwrap()
    }
}

/// Asserts a Confluent error: the code, and the HTTP status it implies.
pub fn assert_error(reply: &(StatusCode, Value), code: u64) {
    let (status, body) = reply;
    assert_eq!(
        body["error_code"].as_u64(),
        Some(code),
        "expected {code}, got {status} {body}"
    );
    let expected_status = if code >= 10_000 { code / 100 } else { code };
    assert_eq!(u64::from(status.as_u16()), expected_status, "{body}");
    assert!(
        body["message"].as_str().is_some_and(|m| !m.is_empty()),
        "{body}"
    );
}

/// An Avro record schema with the given `(name, type)` fields.
pub fn avro(name: &str, fields: &[(&str, &str)]) -> Value {
    let fields: Vec<Value> = fields
        .iter()
        .map(|(n, t)| serde_json::json!({"name": n, "type": t}))
        .collect();
    serde_json::json!({"schema": serde_json::json!({"type": "record", "name": name, "fields": fields}).to_string()})
}
