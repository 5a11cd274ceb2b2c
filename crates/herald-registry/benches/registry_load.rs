//! Registry load benchmark: `cargo bench -p herald-registry --bench registry_load`
//! (or `crates/herald-registry/benches/run-load.sh`, which installs `wrk`).
//!
//! The registry runs in a child process of its own (this binary, started
//! again with `HERALD_BENCH_ROLE=server`) over a Herald broker in this
//! process, so its RSS is its own and the load comes from another process
//! (`wrk`). Measured:
//! - time to register 10,000 schemas over HTTP, one client, one at a time;
//! - time from process start to `/health` 200 with those 10,000 stored;
//! - idle RSS of that fresh process;
//! - `GET /schemas/ids/{id}` requests/s and latency percentiles under
//!   `wrk -t2 -c64 -d10s` over random ids.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::net::SocketAddr;
use std::process::{Child, Command};
use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::client::conn::http1::SendRequest;
use hyper_util::rt::TokioIo;

const SCHEMAS: usize = 10_000;
const PER_SUBJECT: usize = 10;

fn main() {
    if std::env::var("HERALD_BENCH_ROLE").as_deref() == Ok("server") {
        return server();
    }
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(orchestrate());
}

/// The registry process.
fn server() {
    let bootstrap = std::env::var("HERALD_BENCH_BOOTSTRAP").unwrap();
    let addr: SocketAddr = std::env::var("HERALD_BENCH_ADDR").unwrap().parse().unwrap();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async move {
        let listener = tokio::net::TcpListener::bind(addr).await.unwrap();
        let config = herald_registry::Config::with_bootstrap(bootstrap);
        herald_registry::serve(listener, config, std::future::pending())
            .await
            .unwrap();
    });
}

async fn orchestrate() {
    which_wrk();
    let dir = tempfile::tempdir().unwrap();
    let log =
        Arc::new(herald_log::Log::open(dir.path(), herald_log::LogOptions::default()).unwrap());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let broker_addr = listener.local_addr().unwrap();
    let broker = Arc::new(herald_broker::Broker::new(
        herald_broker::BrokerConfig::default(),
        log,
        broker_addr,
    ));
    tokio::spawn(herald_broker::run(listener, broker, std::future::pending()));

    let addr = free_addr();
    let mut child = spawn_registry(broker_addr, addr);
    let empty_ready = wait_ready(addr).await;
    println!("ready with an empty _schemas: {empty_ready:?}");

    let mut client = connect(addr).await;
    let (status, _) = request(
        &mut client,
        "PUT",
        "/config",
        Some(r#"{"compatibility":"NONE"}"#.to_owned()),
    )
    .await;
    assert_eq!(status, 200);
    let started = Instant::now();
    for i in 0..SCHEMAS {
        let subject = format!("subject-{}", i / PER_SUBJECT);
        let schema = format!(
            r#"{{"type":"record","name":"R{i}","namespace":"bench","fields":[{{"name":"id","type":"long"}},{{"name":"f{i}","type":"string","default":""}}]}}"#
        );
        let body = serde_json::json!({ "schema": schema }).to_string();
        let (status, reply) = request(
            &mut client,
            "POST",
            &format!("/subjects/{subject}/versions"),
            Some(body),
        )
        .await;
        assert_eq!(status, 200, "{}", String::from_utf8_lossy(&reply));
    }
    let register_time = started.elapsed();
    println!(
        "registered {SCHEMAS} schemas in {register_time:?} ({:.0} registrations/s, one client)",
        SCHEMAS as f64 / register_time.as_secs_f64()
    );
    drop(client);
    child.kill().unwrap();
    child.wait().unwrap();

    let mut child = spawn_registry(broker_addr, addr);
    let ready = wait_ready(addr).await;
    println!("ready with {SCHEMAS} schemas stored: {ready:?} from process start");
    tokio::time::sleep(Duration::from_secs(2)).await;
    let idle_rss = rss_kib(child.id());
    println!(
        "idle RSS with {SCHEMAS} schemas: {:.1} MiB",
        idle_rss as f64 / 1024.0
    );

    let script = dir.path().join("ids.lua");
    std::fs::write(
        &script,
        format!("request = function()\n  return wrk.format(\"GET\", \"/schemas/ids/\" .. math.random(1, {SCHEMAS}))\nend\n"),
    )
    .unwrap();
    let output = tokio::task::spawn_blocking(move || {
        Command::new("wrk")
            .args(["-t2", "-c64", "-d10s", "--latency", "-s"])
            .arg(&script)
            .arg(format!("http://{addr}"))
            .output()
            .unwrap()
    })
    .await
    .unwrap();
    let report = String::from_utf8_lossy(&output.stdout);
    println!("wrk -t2 -c64 -d10s --latency GET /schemas/ids/{{random id}}:\n{report}");
    let loaded_rss = rss_kib(child.id());
    println!("RSS after the load: {:.1} MiB", loaded_rss as f64 / 1024.0);
    child.kill().unwrap();
    child.wait().unwrap();
}

fn which_wrk() {
    let found = Command::new("wrk").arg("--version").output().is_ok();
    assert!(
        found,
        "wrk is not installed: run crates/herald-registry/benches/run-load.sh, which installs it"
    );
}

fn free_addr() -> SocketAddr {
    let probe = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    probe.local_addr().unwrap()
}

fn spawn_registry(bootstrap: SocketAddr, addr: SocketAddr) -> Child {
    Command::new(std::env::current_exe().unwrap())
        .env("HERALD_BENCH_ROLE", "server")
        .env("HERALD_BENCH_BOOTSTRAP", bootstrap.to_string())
        .env("HERALD_BENCH_ADDR", addr.to_string())
        .spawn()
        .unwrap()
}

/// Time from now (just after the spawn) until `/health` answers 200.
async fn wait_ready(addr: SocketAddr) -> Duration {
    let started = Instant::now();
    loop {
        assert!(
            started.elapsed() < Duration::from_secs(60),
            "registry not ready after 60 s"
        );
        if let Ok(stream) = tokio::net::TcpStream::connect(addr).await {
            let (mut sender, conn) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
                .await
                .unwrap();
            tokio::spawn(conn);
            let (status, _) = send(&mut sender, "GET", "/health", None).await;
            if status == 200 {
                return started.elapsed();
            }
        }
        tokio::time::sleep(Duration::from_millis(2)).await;
    }
}

async fn connect(addr: SocketAddr) -> SendRequest<Full<Bytes>> {
    let stream = tokio::net::TcpStream::connect(addr).await.unwrap();
    let (sender, conn) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
        .await
        .unwrap();
    tokio::spawn(conn);
    sender
}

async fn request(
    sender: &mut SendRequest<Full<Bytes>>,
    method: &str,
    path: &str,
    body: Option<String>,
) -> (u16, Bytes) {
    send(sender, method, path, body).await
}

async fn send(
    sender: &mut SendRequest<Full<Bytes>>,
    method: &str,
    path: &str,
    body: Option<String>,
) -> (u16, Bytes) {
    sender.ready().await.unwrap();
    let request = hyper::Request::builder()
        .method(method)
        .uri(path)
        .header("host", "localhost")
        .header("content-type", "application/vnd.schemaregistry.v1+json")
        .body(Full::new(Bytes::from(body.unwrap_or_default())))
        .unwrap();
    let response = sender.send_request(request).await.unwrap();
    let status = response.status().as_u16();
    let bytes = response.into_body().collect().await.unwrap().to_bytes();
    (status, bytes)
}

fn rss_kib(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap_or(0)
}
