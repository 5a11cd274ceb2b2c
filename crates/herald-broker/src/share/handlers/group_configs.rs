//! The GROUP configuration resource (type 32) of DescribeConfigs and
//! IncrementalAlterConfigs, as Kafka has it for share groups:
//! `kafka-configs.sh --entity-type groups --entity-name g --alter
//! --add-config share.auto.offset.reset=earliest`. Stored in
//! `__share_group_state`; validated against the broker's bounds.

use std::collections::BTreeMap;

use kafka_protocol::error::ResponseError;

use crate::handlers::configs::Entry;
use crate::share::ShareCoordinator;
use crate::share::config::GROUP_CONFIG_KEYS;
use crate::share::error::ShareError;

/// Kafka's `ConfigResource.Type` of a group.
pub(crate) const GROUP_RESOURCE: i8 = 32;

/// Kafka's `ConfigSource` of a group override.
const DYNAMIC_GROUP_CONFIG: i8 = 8;
/// Kafka's `ConfigSource` of a default.
const DEFAULT_CONFIG: i8 = 5;

/// A refusal: error and message.
pub(crate) type Refusal = (ResponseError, String);

fn refusal(e: &ShareError) -> Refusal {
    let code = ResponseError::try_from_code(e.code()).unwrap_or(ResponseError::UnknownServerError);
    (code, e.to_string())
}

/// Kafka's `ConfigType` and documentation of each key.
fn describe_key(key: &str) -> (i8, &'static str) {
    const BOOLEAN: i8 = 1;
    const STRING: i8 = 2;
    const INT: i8 = 3;
    match key {
        "share.session.timeout.ms" => (INT, "Session timeout of share-group members."),
        "share.heartbeat.interval.ms" => (INT, "Heartbeat interval of share-group members."),
        "share.record.lock.duration.ms" => (
            INT,
            "How long an acquired record stays locked to its consumer.",
        ),
        "share.delivery.count.limit" => {
            (INT, "Deliveries after which a record is archived (2-10).")
        }
        "share.partition.max.record.locks" => {
            (INT, "Records in flight per share-partition (100-10000).")
        }
        "share.auto.offset.reset" => (
            STRING,
            "Where a share-partition starts: latest, earliest or by_duration:<ISO-8601>.",
        ),
        "share.isolation.level" => (
            STRING,
            "read_uncommitted or read_committed (herald has no transactions: the same).",
        ),
        "errors.deadletterqueue.topic.name" => (
            STRING,
            "Topic that receives rejected records and records past the delivery limit; blank for none.",
        ),
        "errors.deadletterqueue.copy.record.enable" => (
            BOOLEAN,
            "Copy the record into the dead-letter topic, not only its context headers.",
        ),
        _ => (STRING, ""),
    }
}

/// DescribeConfigs of group `group`: every share-group key, overridden or
/// defaulted.
pub(crate) async fn describe(
    share: &ShareCoordinator,
    group: &str,
    keys: Option<&[String]>,
) -> Result<Vec<Entry>, Refusal> {
    if group.trim().is_empty() {
        return Err((
            ResponseError::InvalidGroupId,
            "the group id must not be empty".to_owned(),
        ));
    }
    let loaded = share.loaded().await.map_err(|e| refusal(&e))?;
    let overrides = loaded.read(|s| s.group_configs(group));
    Ok(share
        .config()
        .describe(&overrides)
        .into_iter()
        .filter(|(k, _, _)| keys.is_none_or(|keys| keys.iter().any(|w| w == k)))
        .map(|(name, value, overridden)| {
            let (kind, doc) = describe_key(name);
            let source = if overridden {
                DYNAMIC_GROUP_CONFIG
            } else {
                DEFAULT_CONFIG
            };
            Entry {
                name,
                synonyms: vec![(name, value.clone(), source)],
                value,
                source,
                read_only: false,
                kind,
                doc,
            }
        })
        .collect())
}

/// One IncrementalAlterConfigs operation: `(op, key, value)` with Kafka's
/// op codes (0 SET, 1 DELETE, 2 APPEND, 3 SUBTRACT).
pub(crate) type Op = (i8, String, Option<String>);

/// IncrementalAlterConfigs of group `group` (or only validation).
pub(crate) async fn alter(
    share: &ShareCoordinator,
    group: &str,
    ops: &[Op],
    validate_only: bool,
) -> Result<(), Refusal> {
    if group.trim().is_empty() {
        return Err((
            ResponseError::InvalidGroupId,
            "the group id must not be empty".to_owned(),
        ));
    }
    let loaded = share.loaded().await.map_err(|e| refusal(&e))?;
    let mut overrides: BTreeMap<String, String> = loaded.read(|s| s.group_configs(group));
    for (op, key, value) in ops {
        if !GROUP_CONFIG_KEYS.contains(&key.as_str()) {
            return Err((
                ResponseError::InvalidConfig,
                format!("unknown group config `{key}`"),
            ));
        }
        match (op, value) {
            (0, Some(v)) => {
                overrides.insert(key.clone(), v.clone());
            }
            (1, _) => {
                overrides.remove(key);
            }
            (0, None) => {
                return Err((
                    ResponseError::InvalidConfig,
                    format!("config `{key}` has a null value"),
                ));
            }
            (2 | 3, _) => {
                return Err((
                    ResponseError::InvalidConfig,
                    format!("`{key}` is not a list; APPEND and SUBTRACT apply to lists only"),
                ));
            }
            (op, _) => {
                return Err((
                    ResponseError::InvalidRequest,
                    format!("unknown config operation {op}"),
                ));
            }
        }
    }
    share
        .config()
        .settings(&overrides)
        .map_err(|e| refusal(&e))?;
    if validate_only {
        return Ok(());
    }
    let ((), seq) = loaded.run(|s, _| s.set_group_configs(group, overrides));
    loaded.durable(seq).await.map_err(|e| refusal(&e))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::share::handlers::testing::Fixture;

    fn set(key: &str, value: &str) -> Op {
        (0, key.to_owned(), Some(value.to_owned()))
    }

    #[tokio::test]
    async fn group_configs_are_set_described_and_deleted() {
        let f = Fixture::new();
        let all = describe(&f.share, "g", None).await.unwrap();
        assert_eq!(all.len(), GROUP_CONFIG_KEYS.len());
        assert!(all.iter().all(|e| e.source == DEFAULT_CONFIG));
        alter(
            &f.share,
            "g",
            &[set("share.delivery.count.limit", "3")],
            true,
        )
        .await
        .unwrap();
        let limit = describe(
            &f.share,
            "g",
            Some(&["share.delivery.count.limit".to_owned()]),
        )
        .await
        .unwrap();
        assert_eq!(limit[0].value, "5", "validate_only changes nothing");
        alter(
            &f.share,
            "g",
            &[
                set("share.delivery.count.limit", "3"),
                set("errors.deadletterqueue.topic.name", "dlq"),
            ],
            false,
        )
        .await
        .unwrap();
        let limit = describe(
            &f.share,
            "g",
            Some(&["share.delivery.count.limit".to_owned()]),
        )
        .await
        .unwrap();
        assert_eq!(
            (limit[0].value.as_str(), limit[0].source),
            ("3", DYNAMIC_GROUP_CONFIG)
        );
        let loaded = f.share.loaded().await.unwrap();
        assert_eq!(loaded.read(|s| s.settings("g").delivery_count_limit), 3);
        alter(
            &f.share,
            "g",
            &[(1, "share.delivery.count.limit".to_owned(), None)],
            false,
        )
        .await
        .unwrap();
        assert_eq!(loaded.read(|s| s.settings("g").delivery_count_limit), 5);
        assert_eq!(
            loaded.read(|s| s.settings("g").dlq_topic),
            Some("dlq".to_owned())
        );
        for (ops, code) in [
            (
                vec![set("share.delivery.count.limit", "50")],
                ResponseError::InvalidConfig,
            ),
            (vec![set("no.such.key", "1")], ResponseError::InvalidConfig),
            (
                vec![(
                    2,
                    "share.auto.offset.reset".to_owned(),
                    Some("x".to_owned()),
                )],
                ResponseError::InvalidConfig,
            ),
            (
                vec![(9, "share.auto.offset.reset".to_owned(), None)],
                ResponseError::InvalidRequest,
            ),
        ] {
            let err = alter(&f.share, "g", &ops, false).await.unwrap_err();
            assert_eq!(err.0, code, "{ops:?}: {}", err.1);
        }
        assert_eq!(
            describe(&f.share, "", None).await.unwrap_err().0,
            ResponseError::InvalidGroupId
        );
    }
}
