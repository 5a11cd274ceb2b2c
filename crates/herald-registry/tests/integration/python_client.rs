//! Confluent's own Python client (`confluent-kafka`) against Herald: its
//! `SchemaRegistryClient` registers, looks up, reads by id, lists versions,
//! checks compatibility (an incompatible schema raises 409/40901), sets and
//! reads configs and modes, deletes; its Avro and JSON Schema serializers
//! round-trip records through Herald's broker with Confluent framing.
//!
//! The broker and the registry run in this process on ephemeral ports; the
//! script is `tests/python/registry_client.py`, with packages installed by
//! `tests/python/pydeps.rs` from `tests/python/requirements.txt`.

use crate::pydeps;

use std::time::{Duration, Instant};

use crate::common::TestBroker;
use herald_registry::state::VersionSpec;
use herald_registry::{Registry, serve_registry};
use serde_json::Value;
use tokio::net::TcpListener;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn confluent_python_client_and_serializers() {
    // Installing (first run only) happens before anything is started.
    tokio::task::spawn_blocking(pydeps::site_packages)
        .await
        .unwrap();

    let broker = TestBroker::start().await;
    let registry = Registry::new(broker.config());
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(serve_registry(listener, registry.clone(), async {
        let _ = stopped.await;
    }));
    let deadline = Instant::now() + Duration::from_secs(30);
    while !registry.is_ready() {
        assert!(Instant::now() < deadline, "registry not ready in 30 s");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }

    let mut command = pydeps::script("registry_client.py");
    command
        .args(["--registry", &url])
        .args(["--bootstrap", &broker.addr.to_string()]);
    let out = tokio::task::spawn_blocking(move || pydeps::run(command, Duration::from_secs(180)))
        .await
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success(),
        "the Python client failed ({}):\n--- stdout ---\n{stdout}\n--- stderr ---\n{stderr}",
        out.status
    );
    let summary: Value = serde_json::from_str(stdout.lines().last().unwrap_or_default())
        .unwrap_or_else(|e| panic!("no JSON summary ({e}):\n{stdout}"));
    assert_eq!(summary["checks"], 13, "{stdout}");

    // What the client was told is what the registry holds.
    let id = |k: &str| i32::try_from(summary[k].as_i64().unwrap()).unwrap();
    registry.read(|state| {
        let v1 = state
            .version("orders-value", VersionSpec::Number(1), false)
            .unwrap();
        assert_eq!(v1.schema.id, id("order_v1_id"));
        let latest = state
            .version("orders-value", VersionSpec::Latest, false)
            .unwrap();
        assert_eq!((latest.version, latest.schema.id), (2, id("order_v2_id")));
        // Version 3 was deleted permanently; orders-copy is gone.
        assert!(
            state
                .version("orders-value", VersionSpec::Number(3), true)
                .is_err()
        );
        assert!(
            state
                .version("orders-copy", VersionSpec::Number(1), true)
                .is_err()
        );
        let orders = state
            .version("py-orders-value", VersionSpec::Latest, false)
            .unwrap();
        assert_eq!(orders.schema.id, id("avro_serde_id"));
        let payments = state
            .version("py-payments-value", VersionSpec::Latest, false)
            .unwrap();
        assert_eq!(payments.schema.id, id("json_serde_id"));
    });

    let _ = stop.send(());
    server.await.unwrap().unwrap();
}
