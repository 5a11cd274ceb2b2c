//! The `herald broker` binary: starts, serves a Kafka client, and exits
//! cleanly (status 0, clean-shutdown markers written) on SIGTERM.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use rdkafka::ClientConfig;
use rdkafka::consumer::{BaseConsumer, Consumer};
use rdkafka::message::Message;
use rdkafka::producer::{BaseRecord, DefaultProducerContext, Producer, ThreadedProducer};
use rdkafka::{Offset, TopicPartitionList};

const TIMEOUT: Duration = Duration::from_secs(30);

/// Kills the child if the test fails before it exits.
struct Guard(Child);

impl Drop for Guard {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Starts `herald broker` on a free loopback port; returns the process and
/// the `host:port` it logged as listening on.
fn start(
    data_dir: &std::path::Path,
    extra_env: &[(&str, &str)],
) -> (Guard, String, mpsc::Receiver<String>) {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_herald"));
    cmd.arg("broker")
        .arg("--listen")
        .arg("127.0.0.1:0")
        .env("HERALD_DATA_DIR", data_dir)
        .env("HERALD_LOG", "info")
        .stdout(Stdio::null())
        .stderr(Stdio::piped());
    for (k, v) in extra_env {
        cmd.env(k, v);
    }
    let mut child = Guard(cmd.spawn().expect("spawn herald"));
    let stderr = child.0.stderr.take().unwrap();
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            let _ = tx.send(line);
        }
    });
    let deadline = Instant::now() + TIMEOUT;
    loop {
        let line = rx
            .recv_timeout(deadline.saturating_duration_since(Instant::now()))
            .expect("herald logs that it listens");
        if line.contains("herald broker listening") {
            let listen = line
                .split("listen=")
                .nth(1)
                .and_then(|rest| rest.split_whitespace().next())
                .expect("listen= field")
                .to_owned();
            return (child, listen, rx);
        }
    }
}

#[test]
fn serves_a_client_and_exits_cleanly_on_sigterm() {
    let dir = tempfile::tempdir().unwrap();
    let (mut child, addr, logs) = start(dir.path(), &[]);

    let producer: ThreadedProducer<DefaultProducerContext> = ClientConfig::new()
        .set("bootstrap.servers", &addr)
        .set("enable.idempotence", "true")
        .create()
        .unwrap();
    producer
        .send(BaseRecord::<(), _>::to("cli-topic").payload("hello"))
        .map_err(|(e, _)| e)
        .unwrap();
    producer.flush(TIMEOUT).unwrap();
    let consumer: BaseConsumer = ClientConfig::new()
        .set("bootstrap.servers", &addr)
        .set("group.id", "unused")
        .create()
        .unwrap();
    let mut tpl = TopicPartitionList::new();
    tpl.add_partition_offset("cli-topic", 0, Offset::Beginning)
        .unwrap();
    consumer.assign(&tpl).unwrap();
    let deadline = Instant::now() + TIMEOUT;
    let message = loop {
        assert!(Instant::now() < deadline, "no message within {TIMEOUT:?}");
        if let Some(m) = consumer.poll(Duration::from_millis(100)) {
            break m.unwrap().detach();
        }
    };
    assert_eq!(message.payload(), Some(&b"hello"[..]));
    drop(consumer);
    drop(producer);

    let status = Command::new("kill")
        .arg("-TERM")
        .arg(child.0.id().to_string())
        .status()
        .unwrap();
    assert!(status.success());
    let deadline = Instant::now() + TIMEOUT;
    let exit = loop {
        if let Some(s) = child.0.try_wait().unwrap() {
            break s;
        }
        assert!(
            Instant::now() < deadline,
            "herald did not exit after SIGTERM"
        );
        std::thread::sleep(Duration::from_millis(50));
    };
    assert_eq!(exit.code(), Some(0), "clean exit");
    let logged: Vec<String> = logs.try_iter().collect();
    assert!(
        logged.iter().any(|l| l.contains("stopped cleanly")),
        "{logged:#?}"
    );
    assert!(
        dir.path()
            .join("topics/cli-topic/0/.clean-shutdown")
            .exists(),
        "clean-shutdown marker written"
    );
}

#[test]
fn bad_arguments_and_an_unusable_data_dir_have_distinct_exit_codes() {
    let out = Command::new(env!("CARGO_BIN_EXE_herald"))
        .args(["broker", "--listen", "not-an-address"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2), "usage error");
    let file = tempfile::NamedTempFile::new().unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_herald"))
        .args(["broker", "--listen", "127.0.0.1:0", "--data-dir"])
        .arg(file.path())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1), "runtime failure");
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("data directory"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}
