//! Where schema files are read from: the working tree, or a git revision
//! (read with `git show`, so an offline check needs nothing but git).

use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{Context, bail};

/// A tree of files relative to the manifest's directory.
pub(crate) trait Files {
    /// The text of `rel` (a path relative to the manifest's directory), or
    /// `None` when the tree has no such file.
    fn read(&self, rel: &str) -> anyhow::Result<Option<String>>;

    /// Where the files come from, for messages (`git revision origin/main`).
    fn describe(&self) -> String;
}

/// Files in a directory on disk.
#[derive(Debug, Clone)]
pub(crate) struct WorkTree {
    /// The manifest's directory.
    pub dir: PathBuf,
}

impl Files for WorkTree {
    fn read(&self, rel: &str) -> anyhow::Result<Option<String>> {
        let path = join(&self.dir, rel);
        match std::fs::read_to_string(&path) {
            Ok(text) => Ok(Some(text)),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(e).with_context(|| format!("reading {}", path.display())),
        }
    }

    fn describe(&self) -> String {
        format!("directory {}", display_dir(&self.dir))
    }
}

/// Files as they were at a git revision, in the repository that holds the
/// manifest's directory.
#[derive(Debug, Clone)]
pub(crate) struct GitRevision {
    /// The manifest's directory in the working tree (git runs there, so
    /// `rev:./path` resolves relative to it).
    pub dir: PathBuf,
    /// The revision (`origin/main`, a commit id, `HEAD~1`, …).
    pub rev: String,
}

impl GitRevision {
    /// Checks that git runs and `rev` names a commit, so a typo fails with
    /// a clear message instead of "every subject is new".
    pub fn open(dir: &Path, rev: &str) -> anyhow::Result<GitRevision> {
        if rev.is_empty() || rev.starts_with('-') {
            bail!("{rev:?} is not a git revision");
        }
        let dir = if dir.as_os_str().is_empty() {
            PathBuf::from(".")
        } else {
            dir.to_path_buf()
        };
        let out = Command::new("git")
            .arg("-C")
            .arg(&dir)
            .args(["rev-parse", "--verify", "--quiet"])
            .arg(format!("{rev}^{{commit}}"))
            .output()
            .context("running git (is it installed?)")?;
        if !out.status.success() {
            let stderr = String::from_utf8_lossy(&out.stderr);
            bail!(
                "git cannot find revision {rev:?} from {}{}{}",
                dir.display(),
                if stderr.trim().is_empty() { "" } else { ": " },
                stderr.trim()
            );
        }
        Ok(GitRevision {
            dir,
            rev: rev.to_owned(),
        })
    }
}

impl Files for GitRevision {
    fn read(&self, rel: &str) -> anyhow::Result<Option<String>> {
        let rel = rel.trim_start_matches("./");
        let spec = format!("{}:./{}", self.rev, rel);
        let out = Command::new("git")
            .arg("-C")
            .arg(&self.dir)
            .args(["show", "--no-textconv"])
            .arg(&spec)
            .output()
            .context("running git show")?;
        if out.status.success() {
            return String::from_utf8(out.stdout)
                .map(Some)
                .with_context(|| format!("{spec} is not UTF-8"));
        }
        let stderr = String::from_utf8_lossy(&out.stderr);
        // git says "does not exist in" / "exists on disk, but not in" for a
        // path the revision lacks; anything else is a real failure.
        if stderr.contains("does not exist") || stderr.contains("but not in") {
            return Ok(None);
        }
        bail!("git show {spec} failed: {}", stderr.trim())
    }

    fn describe(&self) -> String {
        format!("git revision {}", self.rev)
    }
}

fn join(dir: &Path, rel: &str) -> PathBuf {
    if dir.as_os_str().is_empty() {
        PathBuf::from(rel)
    } else {
        dir.join(rel)
    }
}

fn display_dir(dir: &Path) -> String {
    if dir.as_os_str().is_empty() {
        ".".to_owned()
    } else {
        dir.display().to_string()
    }
}
