//! The data directory: topics, ids, partitions, configs, restart.

use std::collections::BTreeMap;
use std::sync::Arc;

use crate::common::*;
use herald_log::{ConfigError, FlushPolicy, Log, LogError, LogOptions};

fn options(clock: &Arc<herald_log::ManualClock>) -> LogOptions {
    LogOptions {
        clock: clock.clone(),
        background: false,
        ..LogOptions::default()
    }
}

fn overrides(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

#[test]
fn topics_survive_restart_with_stable_ids_and_data() {
    let dir = tempfile::tempdir().unwrap();
    let clock = clock(0);
    let log = Log::open(dir.path(), options(&clock)).unwrap();
    let orders = log.create_topic("orders", 3, &BTreeMap::new()).unwrap();
    let schemas = log
        .create_topic("_schemas", 1, &overrides(&[("cleanup.policy", "compact")]))
        .unwrap();
    assert_ne!(orders.id, schemas.id);
    assert!(!orders.id.is_nil());
    log.partition("orders", 2)
        .unwrap()
        .append(&batch(1, 3, 10, 0))
        .unwrap();
    log.partition("_schemas", 0)
        .unwrap()
        .append(&kv_batch(&[("k", Some("v"))], 0))
        .unwrap();
    log.shutdown().unwrap();
    drop(log);

    let log = Log::open(dir.path(), options(&clock)).unwrap();
    let names: Vec<_> = log.topics().into_iter().map(|t| t.name).collect();
    assert_eq!(names, vec!["_schemas", "orders"]);
    let again = log.topic("orders").unwrap();
    assert_eq!(again.id, orders.id);
    assert_eq!(again.partitions, 3);
    assert_eq!(log.topic_by_id(schemas.id).unwrap().name, "_schemas");
    assert!(log.topic("_schemas").unwrap().config.cleanup_policy.compact);
    assert_eq!(log.partition("orders", 2).unwrap().log_end_offset(), 3);
    assert!(matches!(
        log.partition("orders", 3),
        Err(LogError::UnknownPartition { partition: 3, .. })
    ));
    assert!(matches!(
        log.partition("nope", 0),
        Err(LogError::UnknownTopic { .. })
    ));
}

#[test]
fn admin_errors_are_typed() {
    let dir = tempfile::tempdir().unwrap();
    let clock = clock(0);
    let log = Log::open(dir.path(), options(&clock)).unwrap();
    log.create_topic("t", 1, &BTreeMap::new()).unwrap();
    assert!(matches!(
        log.create_topic("t", 1, &BTreeMap::new()),
        Err(LogError::TopicExists { .. })
    ));
    assert!(matches!(
        log.create_topic("bad/name", 1, &BTreeMap::new()),
        Err(LogError::InvalidTopicName { .. })
    ));
    assert!(matches!(
        log.create_topic("z", 0, &BTreeMap::new()),
        Err(LogError::InvalidPartitionCount { .. })
    ));
    assert!(matches!(
        log.create_topic("y", 1, &overrides(&[("flush", "maybe")])),
        Err(LogError::Config(ConfigError::InvalidValue { .. }))
    ));
    assert!(matches!(
        log.create_topic("x", 1, &overrides(&[("no.such.key", "1")])),
        Err(LogError::Config(ConfigError::UnknownKey { .. }))
    ));
    assert!(matches!(
        log.add_partitions("t", 1),
        Err(LogError::InvalidPartitionCount { .. })
    ));
    assert!(matches!(
        log.delete_topic("nope"),
        Err(LogError::UnknownTopic { .. })
    ));
    // Failed creations leave nothing behind.
    assert_eq!(log.topics().len(), 1);
}

#[test]
fn add_partitions_alter_config_and_delete() {
    let dir = tempfile::tempdir().unwrap();
    let clock = clock(0);
    let log = Log::open(dir.path(), options(&clock)).unwrap();
    log.create_topic("t", 1, &BTreeMap::new()).unwrap();
    let info = log.add_partitions("t", 4).unwrap();
    assert_eq!(info.partitions, 4);
    log.partition("t", 3)
        .unwrap()
        .append(&batch(1, 1, 1, 0))
        .unwrap();
    let info = log
        .alter_topic_config("t", &overrides(&[("flush", "never")]))
        .unwrap();
    assert_eq!(info.config.flush, FlushPolicy::Never);
    assert_eq!(
        log.partition("t", 0).unwrap().config().flush,
        FlushPolicy::Never
    );
    assert!(
        log.alter_topic_config("t", &overrides(&[("storage", "memory")]))
            .is_err()
    );
    drop(log);
    let log = Log::open(dir.path(), options(&clock)).unwrap();
    assert_eq!(log.topic("t").unwrap().partitions, 4);
    assert_eq!(
        log.topic("t").unwrap().overrides,
        overrides(&[("flush", "never")])
    );
    assert_eq!(log.partition("t", 3).unwrap().log_end_offset(), 1);
    let held = log.partition("t", 3).unwrap();
    log.delete_topic("t").unwrap();
    assert!(log.topic("t").is_none());
    assert!(held.append(&batch(1, 1, 1, 0)).is_err());
    drop(log);
    let log = Log::open(dir.path(), options(&clock)).unwrap();
    assert!(log.topics().is_empty());
    // A new topic with the same name gets a new id.
    let again = log.create_topic("t", 1, &BTreeMap::new()).unwrap();
    assert_eq!(log.partition("t", 0).unwrap().log_end_offset(), 0);
    assert!(!again.id.is_nil());
}

#[test]
fn unfinished_topic_creation_is_removed_on_open() {
    let dir = tempfile::tempdir().unwrap();
    let clock = clock(0);
    std::fs::create_dir_all(dir.path().join("topics/half/0")).unwrap();
    let log = Log::open(dir.path(), options(&clock)).unwrap();
    assert!(log.topics().is_empty());
    assert!(!dir.path().join("topics/half").exists());
}

#[test]
fn memory_topics_keep_their_definition_but_not_their_data() {
    let dir = tempfile::tempdir().unwrap();
    let clock = clock(0);
    let log = Log::open(dir.path(), options(&clock)).unwrap();
    let info = log
        .create_topic(
            "scratch",
            2,
            &overrides(&[("storage", "memory"), ("retention.bytes", "100000")]),
        )
        .unwrap();
    let p = log.partition("scratch", 1).unwrap();
    p.append(&batch(1, 5, 10, 0)).unwrap();
    assert_eq!(p.read(0, 1000).unwrap().high_watermark, 5);
    assert!(
        !dir.path().join("topics/scratch/1").exists(),
        "nothing on disk"
    );
    log.shutdown().unwrap();
    drop(log);
    let log = Log::open(dir.path(), options(&clock)).unwrap();
    assert_eq!(log.topic("scratch").unwrap().id, info.id);
    assert_eq!(log.partition("scratch", 1).unwrap().log_end_offset(), 0);
}

#[test]
fn maintenance_and_background_thread_apply_retention_and_interval_flush() {
    let dir = tempfile::tempdir().unwrap();
    let clock = clock(1_000_000);
    let log = Log::open(
        dir.path(),
        LogOptions {
            clock: clock.clone(),
            background: true,
            retention_check_interval: std::time::Duration::from_millis(20),
            ..LogOptions::default()
        },
    )
    .unwrap();
    log.create_topic(
        "t",
        1,
        &overrides(&[
            ("retention.ms", "1000"),
            ("segment.bytes", "500"),
            ("flush", "interval:50"),
        ]),
    )
    .unwrap();
    let p = log.partition("t", 0).unwrap();
    for i in 0..20 {
        p.append(&batch(i, 2, 40, 1_000_000)).unwrap();
    }
    clock.advance(60);
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    while p.sync_count() == 0 && std::time::Instant::now() < deadline {
        std::thread::sleep(std::time::Duration::from_millis(5));
    }
    assert!(p.sync_count() > 0, "interval flush ran");
    clock.advance(10_000);
    while p.log_start_offset() < 40 && std::time::Instant::now() < deadline {
        std::thread::sleep(std::time::Duration::from_millis(5));
    }
    assert_eq!(p.log_start_offset(), 40, "retention ran in the background");
    log.shutdown().unwrap();
}
