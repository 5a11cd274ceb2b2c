//! Producer ids that survive restarts.
//!
//! Ids are handed out from blocks: before the first id of a block is given,
//! the start of the *next* block is written to `producer-ids` in the data
//! directory (temp file, fsync, rename, fsync directory). After a crash the
//! broker resumes at the persisted value, so an id is never handed out twice,
//! at the cost of skipping the rest of a block (as Kafka's id manager does).

use std::fs::{self, File, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};

use parking_lot::Mutex;

/// Ids reserved per write of the state file.
const BLOCK: i64 = 1000;

/// File under the data directory holding the first id not yet reserved.
pub(crate) const FILE: &str = "producer-ids";

/// Why a producer id could not be handed out.
#[derive(Debug, thiserror::Error)]
pub(crate) enum IdError {
    #[error("{op} {}: {source}", path.display())]
    Io {
        op: &'static str,
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("{} holds `{text}`, not a producer id", path.display())]
    Corrupt { path: PathBuf, text: String },
    #[error("producer ids are exhausted")]
    Exhausted,
}

#[derive(Debug, Default)]
struct Range {
    /// The state file has been read.
    loaded: bool,
    next: i64,
    /// First id not covered by the persisted reservation.
    limit: i64,
}

/// Allocates producer ids, persisting reservations under `dir`.
#[derive(Debug)]
pub(crate) struct ProducerIds {
    path: PathBuf,
    range: Mutex<Range>,
}

impl ProducerIds {
    pub(crate) fn new(dir: &Path) -> Self {
        ProducerIds {
            path: dir.join(FILE),
            range: Mutex::new(Range::default()),
        }
    }

    /// The next id. Blocks on I/O at the start of every block.
    pub(crate) fn allocate(&self) -> Result<i64, IdError> {
        let mut r = self.range.lock();
        if !r.loaded {
            let start = self.read()?;
            *r = Range {
                loaded: true,
                next: start,
                limit: start,
            };
        }
        if r.next >= r.limit {
            let limit = r.next.checked_add(BLOCK).ok_or(IdError::Exhausted)?;
            self.write(limit)?;
            r.limit = limit;
        }
        let id = r.next;
        r.next += 1;
        Ok(id)
    }

    fn read(&self) -> Result<i64, IdError> {
        match fs::read_to_string(&self.path) {
            Ok(text) => text
                .trim()
                .parse::<i64>()
                .ok()
                .filter(|v| *v >= 0)
                .ok_or_else(|| IdError::Corrupt {
                    path: self.path.clone(),
                    text: text.chars().take(40).collect(),
                }),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(0),
            Err(source) => Err(self.io("read", source)),
        }
    }

    fn io(&self, op: &'static str, source: std::io::Error) -> IdError {
        IdError::Io {
            op,
            path: self.path.clone(),
            source,
        }
    }

    fn write(&self, limit: i64) -> Result<(), IdError> {
        let tmp = self.path.with_extension("tmp");
        let mut f = OpenOptions::new()
            .write(true)
            .create(true)
            .truncate(true)
            .open(&tmp)
            .map_err(|e| self.io("create", e))?;
        f.write_all(format!("{limit}\n").as_bytes())
            .map_err(|e| self.io("write", e))?;
        f.sync_all().map_err(|e| self.io("fsync", e))?;
        drop(f);
        fs::rename(&tmp, &self.path).map_err(|e| self.io("rename", e))?;
        if let Some(dir) = self.path.parent() {
            File::open(dir)
                .and_then(|d| d.sync_all())
                .map_err(|e| self.io("fsync directory of", e))?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_unique_across_restarts() {
        let dir = tempfile::tempdir().unwrap();
        let ids = ProducerIds::new(dir.path());
        let first: Vec<i64> = (0..3).map(|_| ids.allocate().unwrap()).collect();
        assert_eq!(first, vec![0, 1, 2]);
        drop(ids);
        // A restart (clean or not) resumes after the reserved block.
        let ids = ProducerIds::new(dir.path());
        let next = ids.allocate().unwrap();
        assert_eq!(next, BLOCK);
        for _ in 0..BLOCK {
            ids.allocate().unwrap();
        }
        assert_eq!(ids.allocate().unwrap(), 2 * BLOCK + 1);
    }

    #[test]
    fn a_corrupt_state_file_is_an_error_not_a_reuse() {
        let dir = tempfile::tempdir().unwrap();
        fs::write(dir.path().join(FILE), "banana").unwrap();
        let ids = ProducerIds::new(dir.path());
        assert!(matches!(ids.allocate(), Err(IdError::Corrupt { .. })));
    }
}
