//! A durable dedupe store: an append-only file of ids, fsynced per insert.

use std::collections::HashSet;
use std::fs::{File, OpenOptions};
use std::io::{Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use parking_lot::Mutex;

use super::DedupeStore;
use crate::ClientError;

/// Ids in an append-only file, one per line, each insert written and
/// fsynced before it returns, so an id recorded before a crash is still
/// known after a restart. A torn last line (a crash mid-write) is dropped
/// at open: that id was never reported recorded.
#[derive(Debug, Clone)]
pub struct FileDedupe {
    path: PathBuf,
    state: Arc<Mutex<State>>,
}

#[derive(Debug)]
struct State {
    file: File,
    ids: HashSet<String>,
}

fn io(operation: String) -> impl FnOnce(std::io::Error) -> ClientError {
    move |source| ClientError::Io { operation, source }
}

impl FileDedupe {
    /// Opens (or creates) the store at `path` and loads its ids.
    pub fn open(path: impl AsRef<Path>) -> Result<FileDedupe, ClientError> {
        let path = path.as_ref().to_path_buf();
        let what = format!("open dedupe store {}", path.display());
        let mut file = OpenOptions::new()
            .read(true)
            .append(true)
            .create(true)
            .open(&path)
            .map_err(io(what.clone()))?;
        let mut text = Vec::new();
        file.read_to_end(&mut text).map_err(io(what.clone()))?;
        let complete = text.iter().rposition(|b| *b == b'\n').map_or(0, |i| i + 1);
        if complete < text.len() {
            file.set_len(complete as u64).map_err(io(what.clone()))?;
            file.seek(SeekFrom::End(0)).map_err(io(what.clone()))?;
            file.sync_data().map_err(io(what))?;
        }
        let ids = String::from_utf8_lossy(&text[..complete])
            .lines()
            .filter(|l| !l.is_empty())
            .map(str::to_owned)
            .collect();
        Ok(FileDedupe {
            path,
            state: Arc::new(Mutex::new(State { file, ids })),
        })
    }

    /// How many ids it holds.
    pub fn len(&self) -> usize {
        self.state.lock().ids.len()
    }

    /// Whether it holds none.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

impl DedupeStore for FileDedupe {
    async fn contains(&self, id: &str) -> Result<bool, ClientError> {
        Ok(self.state.lock().ids.contains(id))
    }

    async fn insert(&self, id: &str) -> Result<(), ClientError> {
        if id.contains('\n') {
            return Err(ClientError::config("a message id cannot contain a newline"));
        }
        let state = self.state.clone();
        let id = id.to_owned();
        let what = format!("append to dedupe store {}", self.path.display());
        // fsync blocks; keep it off the async workers.
        tokio::task::spawn_blocking(move || {
            let mut s = state.lock();
            if s.ids.contains(&id) {
                return Ok(());
            }
            let mut line = id.clone().into_bytes();
            line.push(b'\n');
            s.file.write_all(&line).map_err(io(what.clone()))?;
            s.file.sync_data().map_err(io(what))?;
            s.ids.insert(id);
            Ok(())
        })
        .await
        .map_err(|e| ClientError::Io {
            operation: "dedupe store writer".to_owned(),
            source: std::io::Error::other(e.to_string()),
        })?
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn ids_survive_reopen_and_a_torn_tail_is_dropped() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("seen");
        let s = FileDedupe::open(&path).unwrap();
        s.insert("a").await.unwrap();
        s.insert("b").await.unwrap();
        s.insert("a").await.unwrap();
        drop(s);
        std::fs::OpenOptions::new()
            .append(true)
            .open(&path)
            .unwrap()
            .write_all(b"tor")
            .unwrap();
        let s = FileDedupe::open(&path).unwrap();
        assert_eq!(s.len(), 2);
        assert!(s.contains("a").await.unwrap() && s.contains("b").await.unwrap());
        assert!(!s.contains("tor").await.unwrap());
        s.insert("c").await.unwrap();
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "a\nb\nc\n");
        assert!(s.insert("x\ny").await.is_err());
    }
}
