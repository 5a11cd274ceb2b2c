//! Topic metadata: id, partition count and configuration overrides, stored
//! atomically in `topic.properties`.

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Arc;

use uuid::Uuid;

use crate::config::TopicConfig;
use crate::error::{LogError, Result};
use crate::fsutil;

/// Metadata file name inside a topic directory; its presence marks a
/// completely created topic.
pub(crate) const TOPIC_FILE: &str = "topic.properties";

/// A snapshot of a topic's metadata.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TopicInfo {
    /// Topic name.
    pub name: String,
    /// Stable random non-zero topic id, fixed at creation (Kafka topic UUID).
    pub id: Uuid,
    /// Number of partitions.
    pub partitions: i32,
    /// Effective configuration (broker defaults overlaid with the overrides).
    pub config: Arc<TopicConfig>,
    /// The keys set explicitly for this topic (DescribeConfigs reports the
    /// others as defaults).
    pub overrides: BTreeMap<String, String>,
}

/// Kafka's rule: 1–249 characters from `[a-zA-Z0-9._-]`, not `.` or `..`.
pub(crate) fn validate_name(name: &str) -> Result<()> {
    let bad = |reason| {
        Err(LogError::InvalidTopicName {
            name: name.to_owned(),
            reason,
        })
    };
    if name.is_empty() {
        return bad("the name is empty");
    }
    if name.len() > 249 {
        return bad("the name is longer than 249 characters");
    }
    if name == "." || name == ".." {
        return bad("`.` and `..` are not allowed");
    }
    if !name
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || b == b'.' || b == b'_' || b == b'-')
    {
        return bad("only ASCII letters, digits, `.`, `_` and `-` are allowed");
    }
    Ok(())
}

/// A new random topic id; never the nil UUID (Kafka reserves zero).
pub(crate) fn new_topic_id() -> Uuid {
    loop {
        let id = Uuid::new_v4();
        if !id.is_nil() {
            return id;
        }
    }
}

pub(crate) fn encode(id: Uuid, partitions: i32, overrides: &BTreeMap<String, String>) -> String {
    let mut out = format!("# herald topic metadata\ntopic.id={id}\npartitions={partitions}\n");
    for (k, v) in overrides {
        out.push_str(&format!("config.{k}={v}\n"));
    }
    out
}

pub(crate) fn write(
    dir: &Path,
    id: Uuid,
    partitions: i32,
    overrides: &BTreeMap<String, String>,
) -> Result<()> {
    fsutil::write_atomic(
        &dir.join(TOPIC_FILE),
        encode(id, partitions, overrides).as_bytes(),
    )
}

/// Stored topic metadata: id, partition count, config overrides.
pub(crate) type StoredTopic = (Uuid, i32, BTreeMap<String, String>);

/// Reads `topic.properties`; `Ok(None)` if the file does not exist.
pub(crate) fn read(dir: &Path) -> Result<Option<StoredTopic>> {
    let path = dir.join(TOPIC_FILE);
    let text = match std::fs::read_to_string(&path) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(LogError::io("read", path, e)),
    };
    let corrupt = |detail: String| LogError::Corrupt {
        path: path.clone(),
        detail,
    };
    let mut id = None;
    let mut partitions = None;
    let mut overrides = BTreeMap::new();
    for line in text
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
    {
        let (k, v) = line
            .split_once('=')
            .ok_or_else(|| corrupt(format!("line `{line}` is not key=value")))?;
        match k {
            "topic.id" => {
                id = Some(Uuid::parse_str(v).map_err(|e| corrupt(format!("bad topic.id: {e}")))?)
            }
            "partitions" => {
                partitions = Some(
                    v.parse::<i32>()
                        .map_err(|e| corrupt(format!("bad partitions: {e}")))?,
                )
            }
            _ => match k.strip_prefix("config.") {
                Some(key) => {
                    overrides.insert(key.to_owned(), v.to_owned());
                }
                None => return Err(corrupt(format!("unknown key `{k}`"))),
            },
        }
    }
    match (id, partitions) {
        (Some(id), Some(p)) if !id.is_nil() && p > 0 => Ok(Some((id, p, overrides))),
        _ => Err(corrupt("missing topic.id or partitions".to_owned())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_follow_kafka_rules() {
        for ok in ["orders", "_schemas", "__consumer_offsets", "a.b-c_d"] {
            assert!(validate_name(ok).is_ok(), "{ok}");
        }
        for bad in ["", ".", "..", "a/b", "a b", &"x".repeat(250)] {
            assert!(validate_name(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn metadata_round_trips() {
        let dir = tempfile::tempdir().unwrap();
        let id = new_topic_id();
        let mut o = BTreeMap::new();
        o.insert("cleanup.policy".to_owned(), "compact".to_owned());
        write(dir.path(), id, 3, &o).unwrap();
        assert_eq!(read(dir.path()).unwrap(), Some((id, 3, o)));
        assert!(!id.is_nil());
    }
}
