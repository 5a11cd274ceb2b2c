//! `herald serve`: broker and registry from one command over one data
//! directory; a schema registered through the registry is stored in the
//! broker beside it and survives a clean restart.

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use serde_json::{Value, json};

use crate::common::{TIMEOUT, listen_field};

const MEDIA: &str = "application/vnd.schemaregistry.v1+json";

/// Kills the child if the test fails before it exits.
struct Guard(Child);

impl Drop for Guard {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

struct Served {
    child: Guard,
    broker: String,
    registry: String,
    logs: mpsc::Receiver<String>,
}

/// Starts `herald serve` on free loopback ports over `data_dir`.
fn serve(data_dir: &Path) -> Served {
    let mut child = Guard(
        Command::new(env!("CARGO_BIN_EXE_herald"))
            .args(["serve", "--listen", "127.0.0.1:0"])
            .args(["--registry-listen", "127.0.0.1:0", "--data-dir"])
            .arg(data_dir)
            .env("HERALD_LOG", "info")
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawn herald"),
    );
    let stderr = child.0.stderr.take().unwrap();
    let (tx, logs) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            let _ = tx.send(line);
        }
    });
    let deadline = Instant::now() + TIMEOUT;
    let broker = listen_field(&logs, "herald broker listening", deadline);
    let registry = format!(
        "http://{}",
        listen_field(&logs, "herald registry listening", deadline)
    );
    Served {
        child,
        broker,
        registry,
        logs,
    }
}

/// Sends SIGTERM and waits for a clean exit (status 0).
fn stop(mut served: Served) -> Vec<String> {
    let status = Command::new("kill")
        .arg("-TERM")
        .arg(served.child.0.id().to_string())
        .status()
        .unwrap();
    assert!(status.success());
    let deadline = Instant::now() + TIMEOUT;
    let exit = loop {
        if let Some(s) = served.child.0.try_wait().unwrap() {
            break s;
        }
        assert!(
            Instant::now() < deadline,
            "herald did not exit after SIGTERM"
        );
        std::thread::sleep(Duration::from_millis(50));
    };
    let logged: Vec<String> = served.logs.try_iter().collect();
    assert_eq!(exit.code(), Some(0), "clean exit: {logged:#?}");
    logged
}

/// GETs `url` until the registry has replayed its topic and answers 200.
async fn get_when_ready(http: &reqwest::Client, url: &str) -> Value {
    let deadline = Instant::now() + TIMEOUT;
    loop {
        if let Ok(r) = http.get(url).send().await
            && r.status().is_success()
        {
            return r.json().await.unwrap();
        }
        assert!(Instant::now() < deadline, "{url} not ready");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[test]
fn serve_runs_broker_and_registry_and_keeps_schemas_across_restarts() {
    let dir = tempfile::tempdir().unwrap();
    let rt = tokio::runtime::Runtime::new().unwrap();
    let http = reqwest::Client::new();
    let schema = r#"{"type":"record","name":"Order","namespace":"acme","fields":[{"name":"id","type":"string"}]}"#;

    let served = serve(dir.path());
    assert!(served.broker.starts_with("127.0.0.1:"), "{}", served.broker);
    let registry = served.registry.clone();
    let id = rt.block_on(async {
        get_when_ready(&http, &format!("{registry}/subjects")).await;
        let r = http
            .post(format!("{registry}/subjects/orders-value/versions"))
            .header("content-type", MEDIA)
            .body(json!({ "schema": schema }).to_string())
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200);
        let body: Value = r.json().await.unwrap();
        body["id"].as_i64().expect("an id")
    });
    let logged = stop(served);
    assert!(
        logged.iter().any(|l| l.contains("stopped cleanly")),
        "{logged:#?}"
    );
    assert!(
        dir.path()
            .join("topics/_schemas/0/.clean-shutdown")
            .exists(),
        "the registry's topic lives in the broker's data directory"
    );

    let served = serve(dir.path());
    let registry = served.registry.clone();
    rt.block_on(async {
        let got = get_when_ready(&http, &format!("{registry}/schemas/ids/{id}")).await;
        let text = got["schema"].as_str().expect("schema text");
        assert!(text.contains("\"acme\""), "{text}");
        let versions =
            get_when_ready(&http, &format!("{registry}/subjects/orders-value/versions")).await;
        assert_eq!(versions, json!([1]));
    });
    stop(served);
}

#[test]
fn a_taken_registry_port_fails_fast_with_status_1() {
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = taken.local_addr().unwrap().port();
    let dir = tempfile::tempdir().unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_herald"))
        .args(["serve", "--listen", "127.0.0.1:0", "--registry-listen"])
        .arg(format!("127.0.0.1:{port}"))
        .arg("--data-dir")
        .arg(dir.path())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains(&format!("127.0.0.1:{port}")), "{stderr}");
}

#[test]
fn registry_requires_a_kafka_bootstrap() {
    let out = Command::new(env!("CARGO_BIN_EXE_herald"))
        .args(["registry", "--listen", "127.0.0.1:0"])
        .env_remove("HERALD_KAFKA_BOOTSTRAP")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2), "usage error");
    assert!(String::from_utf8_lossy(&out.stderr).contains("--kafka-bootstrap"));
}
