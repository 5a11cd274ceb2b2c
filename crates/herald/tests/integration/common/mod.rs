//! What the CLI tests share: `herald serve` on free loopback ports over a
//! temporary directory, a copy of the example schemas, and running the
//! `herald` binary.
#![allow(dead_code)]

use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

pub const TIMEOUT: Duration = Duration::from_secs(60);

/// Kills the server if the test fails before it stops.
pub struct Server {
    child: Child,
    pub bootstrap: String,
    pub registry: String,
    _data: tempfile::TempDir,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The address in the `listen=` field of the first log line containing `what`.
pub fn listen_field(rx: &mpsc::Receiver<String>, what: &str, deadline: Instant) -> String {
    loop {
        let line = rx
            .recv_timeout(deadline.saturating_duration_since(Instant::now()))
            .unwrap_or_else(|_| panic!("herald did not log `{what}`"));
        if line.contains(what) {
            return line
                .split("listen=")
                .nth(1)
                .and_then(|rest| rest.split_whitespace().next())
                .expect("listen= field")
                .to_owned();
        }
    }
}

/// Starts `herald serve` and waits until the registry answers.
pub fn serve() -> Server {
    let data = tempfile::tempdir().unwrap();
    let mut child = Command::new(env!("CARGO_BIN_EXE_herald"))
        .args([
            "serve",
            "--listen",
            "127.0.0.1:0",
            "--registry-listen",
            "127.0.0.1:0",
            "--data-dir",
        ])
        .arg(data.path())
        .env("HERALD_LOG", "info")
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn herald serve");
    let stderr = child.stderr.take().unwrap();
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            let _ = tx.send(line);
        }
    });
    let deadline = Instant::now() + TIMEOUT;
    let bootstrap = listen_field(&rx, "herald broker listening", deadline);
    let registry = format!(
        "http://{}",
        listen_field(&rx, "herald registry listening", deadline)
    );
    let server = Server {
        child,
        bootstrap,
        registry,
        _data: data,
    };
    // Listening is not ready: wait until the registry has read `_schemas`.
    loop {
        let out = server.herald(&["schema", "list"]).output().unwrap();
        if out.status.success() {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "registry not ready: {}",
            text(&out.stderr)
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    server
}

impl Server {
    /// `herald ARGS` pointed at this server.
    pub fn herald(&self, args: &[&str]) -> Command {
        let mut cmd = herald(args);
        cmd.env("HERALD_REGISTRY", &self.registry)
            .env("HERALD_BOOTSTRAP", &self.bootstrap);
        cmd
    }
}

/// `herald ARGS` with no server environment.
pub fn herald(args: &[&str]) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_herald"));
    cmd.args(args)
        .env_remove("HERALD_REGISTRY")
        .env_remove("HERALD_BOOTSTRAP")
        .env_remove("HERALD_MANIFEST")
        .env("HERALD_LOG", "warn")
        .stdin(Stdio::null());
    cmd
}

/// Runs `cmd` with `input` on stdin.
pub fn with_stdin(mut cmd: Command, input: &str) -> Output {
    let mut child = cmd
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(input.as_bytes())
        .unwrap();
    child.wait_with_output().unwrap()
}

pub fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// Runs `cmd`, asserts its exit code, returns stdout.
#[track_caller]
pub fn expect(cmd: &mut Command, code: i32) -> String {
    let out = cmd.output().unwrap();
    assert_eq!(
        out.status.code(),
        Some(code),
        "{cmd:?}\nstdout:\n{}\nstderr:\n{}",
        text(&out.stdout),
        text(&out.stderr)
    );
    text(&out.stdout)
}

/// A copy of the repository's `schemas/` in a temporary directory.
pub fn example_schemas() -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../schemas");
    copy_dir(&src, &dir.path().join("schemas"));
    let manifest = dir.path().join("schemas/herald.toml");
    (dir, manifest)
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), target).unwrap();
        }
    }
}

/// Replaces `from` with `to` in a file (which must contain `from`).
pub fn edit(path: &Path, from: &str, to: &str) {
    let text = std::fs::read_to_string(path).unwrap();
    assert!(
        text.contains(from),
        "{} does not contain {from:?}",
        path.display()
    );
    std::fs::write(path, text.replacen(from, to, 1)).unwrap();
}

/// A field without a default, added in front of `coupon_code`: new readers
/// cannot read old orders.
pub const BREAK_ORDERS: (&str, &str) = (
    "    {\n      \"name\": \"coupon_code\",",
    "    {\"name\": \"channel\", \"type\": \"string\", \"doc\": \"Sales channel.\"},\n    {\n      \"name\": \"coupon_code\",",
);
