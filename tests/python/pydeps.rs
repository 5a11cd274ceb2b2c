//! Python for Rust integration tests that drive third-party clients (the
//! `confluent-kafka` package): installs `tests/python/requirements.txt` once
//! per requirements content and interpreter, then runs scripts of
//! `tests/python/` with those packages on `PYTHONPATH`.
//!
//! Include it from a crate's `tests/integration/main.rs` with
//! `#[path = "../../../../tests/python/pydeps.rs"] mod pydeps;`
//! (a path module rather than a crate, so any crate's tests can use it
//! without a dependency).
//!
//! The packages go under Cargo's `CARGO_TARGET_TMPDIR`, in a directory named
//! by a hash of the requirements file and the interpreter's version. An
//! install is written to a temporary sibling and renamed into place, so
//! concurrent test processes never see a half-installed directory. Set
//! `HERALD_PYTHON` to use another interpreter than `python3`.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

/// How long `pip install` may take (it downloads from PyPI).
const INSTALL_TIMEOUT: Duration = Duration::from_secs(600);

/// The interpreter: `HERALD_PYTHON`, or `python3`.
pub fn interpreter() -> String {
    std::env::var("HERALD_PYTHON").unwrap_or_else(|_| "python3".to_owned())
}

/// The repository's `tests/python` directory, found from the including
/// crate's manifest directory upwards.
pub fn python_dir() -> PathBuf {
    let start = Path::new(env!("CARGO_MANIFEST_DIR"));
    start
        .ancestors()
        .map(|dir| dir.join("tests").join("python"))
        .find(|dir| dir.join("requirements.txt").is_file())
        .unwrap_or_else(|| panic!("no tests/python/requirements.txt above {}", start.display()))
}

/// The directory holding the installed packages, installing them on first
/// use in this process (later calls return at once).
pub fn site_packages() -> &'static Path {
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    DIR.get_or_init(install)
}

/// A command running `tests/python/<script>` with the packages importable.
pub fn script(script: &str) -> Command {
    let path = python_dir().join(script);
    assert!(path.is_file(), "no Python script at {}", path.display());
    let mut command = Command::new(interpreter());
    command
        .arg(path)
        .env("PYTHONPATH", site_packages())
        .env("PYTHONUNBUFFERED", "1")
        .env("PYTHONDONTWRITEBYTECODE", "1");
    command
}

/// Runs `command` to completion, killing it after `timeout`; panics with its
/// output if it could not start or ran out of time. Returns its output
/// whatever its exit status (callers assert on it).
pub fn run(mut command: Command, timeout: Duration) -> Output {
    let description = format!("{command:?}");
    let mut child = command
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("could not start {description}: {e}"));
    // Pipes are drained on their own threads so a chatty child never blocks
    // on a full pipe while we wait for it.
    let stdout = drain(&mut child, true);
    let stderr = drain(&mut child, false);
    let deadline = Instant::now() + timeout;
    let status = loop {
        if let Some(status) = child.try_wait().expect("wait for the child") {
            break status;
        }
        if Instant::now() >= deadline {
            let _ = child.kill();
            let _ = child.wait();
            panic!(
                "{description} did not finish within {timeout:?}\n--- stdout ---\n{}\n--- stderr ---\n{}",
                String::from_utf8_lossy(&stdout.join().unwrap_or_default()),
                String::from_utf8_lossy(&stderr.join().unwrap_or_default()),
            );
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    Output {
        status,
        stdout: stdout.join().unwrap_or_default(),
        stderr: stderr.join().unwrap_or_default(),
    }
}

fn drain(child: &mut Child, stdout: bool) -> std::thread::JoinHandle<Vec<u8>> {
    let mut pipe: Box<dyn Read + Send> = if stdout {
        Box::new(child.stdout.take().expect("piped stdout"))
    } else {
        Box::new(child.stderr.take().expect("piped stderr"))
    };
    std::thread::spawn(move || {
        let mut buf = Vec::new();
        let _ = pipe.read_to_end(&mut buf);
        buf
    })
}

fn install() -> PathBuf {
    let requirements = python_dir().join("requirements.txt");
    let content = std::fs::read(&requirements).expect("read tests/python/requirements.txt");
    let version = run(
        {
            let mut c = Command::new(interpreter());
            c.arg("--version");
            c
        },
        Duration::from_secs(30),
    );
    assert!(
        version.status.success(),
        "{} --version failed: {}",
        interpreter(),
        String::from_utf8_lossy(&version.stderr)
    );
    let mut key = content;
    key.extend_from_slice(&version.stdout);
    key.extend_from_slice(&version.stderr);
    let root = Path::new(env!("CARGO_TARGET_TMPDIR")).join("python-deps");
    let target = root.join(format!("{:016x}", fnv1a(&key)));
    if target.is_dir() {
        return target;
    }
    std::fs::create_dir_all(&root).expect("create the python-deps directory");
    let partial = root.join(format!(
        "partial-{}-{:016x}",
        std::process::id(),
        fnv1a(&key)
    ));
    let _ = std::fs::remove_dir_all(&partial);
    let mut pip = Command::new(interpreter());
    pip.args([
        "-m",
        "pip",
        "install",
        "--quiet",
        "--disable-pip-version-check",
        // The wheels are unpacked into the target directory; a second copy in
        // pip's cache would only cost disk on CI machines.
        "--no-cache-dir",
    ])
    .args(["--no-input", "--target"])
    .arg(&partial)
    .arg("-r")
    .arg(&requirements)
    .env("PIP_ROOT_USER_ACTION", "ignore");
    let out = run(pip, INSTALL_TIMEOUT);
    assert!(
        out.status.success(),
        "pip install -r {} failed ({}):\n{}\n{}",
        requirements.display(),
        out.status,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    if std::fs::rename(&partial, &target).is_err() {
        // Another test process finished the same install first.
        let _ = std::fs::remove_dir_all(&partial);
        assert!(
            target.is_dir(),
            "could not move {} into place",
            partial.display()
        );
    }
    target
}

/// FNV-1a: a stable content hash for the cache key, written out because
/// std's hashers may change between Rust releases and this file must not
/// need a dependency in every crate that includes it.
fn fnv1a(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |h, b| {
        (h ^ u64::from(*b)).wrapping_mul(0x0000_0100_0000_01b3)
    })
}
