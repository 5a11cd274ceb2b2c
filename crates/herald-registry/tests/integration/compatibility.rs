//! Compatibility through the API: all seven levels, Avro and JSON Schema,
//! transitive levels, and soft-deleted versions being left out.

use crate::common::{TestBroker, TestRegistry};
use axum::http::StatusCode;
use serde_json::{Value, json};

const LEVELS: [&str; 7] = [
    "NONE",
    "BACKWARD",
    "BACKWARD_TRANSITIVE",
    "FORWARD",
    "FORWARD_TRANSITIVE",
    "FULL",
    "FULL_TRANSITIVE",
];

fn avro(text: &str) -> Value {
    json!({ "schema": text })
}

fn json_schema(text: &str) -> Value {
    json!({ "schema": text, "schemaType": "JSON" })
}

async fn is_compatible(r: &TestRegistry, path: &str, body: &Value) -> bool {
    let (status, reply) = r.post(path, body.clone()).await;
    assert_eq!(status, StatusCode::OK, "{path}: {reply}");
    reply["is_compatible"].as_bool().unwrap()
}

async fn set_level(r: &TestRegistry, subject: &str, level: &str) {
    let (status, reply) = r
        .put(
            &format!("/config/{subject}"),
            json!({ "compatibility": level }),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{reply}");
}

/// One change from `old` to `new`, and whether new readers can read old data
/// (backward) and old readers new data (forward).
struct Change {
    name: &'static str,
    old: Value,
    new: Value,
    backward: bool,
    forward: bool,
}

fn changes() -> Vec<Change> {
    vec![
        Change {
            name: "avro: add a field with a default",
            old: avro(r#"{"type":"record","name":"R","fields":[{"name":"a","type":"int"}]}"#),
            new: avro(
                r#"{"type":"record","name":"R","fields":[{"name":"a","type":"int"},{"name":"b","type":"string","default":""}]}"#,
            ),
            backward: true,
            forward: true,
        },
        Change {
            name: "avro: add a field without a default",
            old: avro(r#"{"type":"record","name":"R","fields":[{"name":"a","type":"int"}]}"#),
            new: avro(
                r#"{"type":"record","name":"R","fields":[{"name":"a","type":"int"},{"name":"c","type":"string"}]}"#,
            ),
            backward: false,
            forward: true,
        },
        Change {
            name: "avro: remove a field without a default",
            old: avro(
                r#"{"type":"record","name":"R","fields":[{"name":"a","type":"int"},{"name":"c","type":"string"}]}"#,
            ),
            new: avro(r#"{"type":"record","name":"R","fields":[{"name":"a","type":"int"}]}"#),
            backward: true,
            forward: false,
        },
        Change {
            name: "avro: change a type",
            old: avro(r#"{"type":"record","name":"R","fields":[{"name":"a","type":"int"}]}"#),
            new: avro(r#"{"type":"record","name":"R","fields":[{"name":"a","type":"boolean"}]}"#),
            backward: false,
            forward: false,
        },
        Change {
            name: "json: make a property required",
            old: json_schema(r#"{"type":"object","properties":{"a":{"type":"string"}}}"#),
            new: json_schema(
                r#"{"type":"object","properties":{"a":{"type":"string"}},"required":["a"]}"#,
            ),
            backward: false,
            forward: true,
        },
        Change {
            name: "json: drop a requirement",
            old: json_schema(
                r#"{"type":"object","properties":{"a":{"type":"string"}},"required":["a"]}"#,
            ),
            new: json_schema(r#"{"type":"object","properties":{"a":{"type":"string"}}}"#),
            backward: true,
            forward: false,
        },
        Change {
            name: "json: change a type",
            old: json_schema(r#"{"type":"object","properties":{"a":{"type":"string"}}}"#),
            new: json_schema(r#"{"type":"object","properties":{"a":{"type":"integer"}}}"#),
            backward: false,
            forward: false,
        },
    ]
}

fn expected(level: &str, backward: bool, forward: bool) -> bool {
    match level.trim_end_matches("_TRANSITIVE") {
        "NONE" => true,
        "BACKWARD" => backward,
        "FORWARD" => forward,
        "FULL" => backward && forward,
        other => panic!("unknown level {other}"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_level_for_single_changes_by_registration() {
    let broker = TestBroker::start().await;
    let r = TestRegistry::start(broker.config()).await;
    for (i, change) in changes().iter().enumerate() {
        for level in LEVELS {
            let subject = format!("c{i}-{level}");
            set_level(&r, &subject, level).await;
            r.register(&subject, change.old.clone()).await;
            let want = expected(level, change.backward, change.forward);
            let check = is_compatible(
                &r,
                &format!("/compatibility/subjects/{subject}/versions/latest"),
                &change.new,
            )
            .await;
            assert_eq!(check, want, "{} at {level} (check)", change.name);
            let (status, reply) = r
                .post(&format!("/subjects/{subject}/versions"), change.new.clone())
                .await;
            let expected_status = if want {
                StatusCode::OK
            } else {
                StatusCode::CONFLICT
            };
            assert_eq!(
                status, expected_status,
                "{} at {level} (register): {reply}",
                change.name
            );
            if !want {
                assert_eq!(reply["error_code"], 40901);
            }
        }
    }
}

/// A history v1, v2 and a candidate that is compatible with v2 but not
/// with v1, under each level; then again with v1 soft-deleted.
struct History {
    name: &'static str,
    v1: Value,
    v2: Value,
    candidate: Value,
    /// (backward, forward) against v2.
    latest: (bool, bool),
    /// (backward, forward) against v1.
    first: (bool, bool),
}

fn histories() -> Vec<History> {
    vec![
        History {
            // v1 {a}, v2 {a, b=""}, candidate {b}: reads v2 data, not v1's.
            name: "avro",
            v1: avro(r#"{"type":"record","name":"R","fields":[{"name":"a","type":"int"}]}"#),
            v2: avro(
                r#"{"type":"record","name":"R","fields":[{"name":"a","type":"int"},{"name":"b","type":"string","default":""}]}"#,
            ),
            candidate: avro(
                r#"{"type":"record","name":"R","fields":[{"name":"b","type":"string"}]}"#,
            ),
            latest: (true, false),
            first: (false, false),
        },
        History {
            // v1 {a, b (required)}, v2 {a, b=""}, candidate {a}: v2 reads it, v1 does not.
            name: "avro forward",
            v1: avro(
                r#"{"type":"record","name":"F","fields":[{"name":"a","type":"int"},{"name":"b","type":"string"}]}"#,
            ),
            v2: avro(
                r#"{"type":"record","name":"F","fields":[{"name":"a","type":"int"},{"name":"b","type":"string","default":""}]}"#,
            ),
            candidate: avro(r#"{"type":"record","name":"F","fields":[{"name":"a","type":"int"}]}"#),
            latest: (true, true),
            first: (true, false),
        },
        History {
            // v1 without `required`, v2 with it; the candidate equals v2.
            name: "json",
            v1: json_schema(r#"{"type":"object","properties":{"a":{"type":"string"}}}"#),
            v2: json_schema(
                r#"{"type":"object","properties":{"a":{"type":"string"}},"required":["a"]}"#,
            ),
            candidate: json_schema(
                r#"{"type":"object","properties":{"a":{"type":"string"}},"required":["a"]}"#,
            ),
            latest: (true, true),
            first: (false, true),
        },
    ]
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn transitive_levels_and_soft_deleted_versions() {
    let broker = TestBroker::start().await;
    let r = TestRegistry::start(broker.config()).await;
    for h in histories() {
        for level in LEVELS {
            let subject = format!("{}-{level}", h.name.replace(' ', "-"));
            set_level(&r, &subject, "NONE").await;
            r.register(&subject, h.v1.clone()).await;
            r.register(&subject, h.v2.clone()).await;
            set_level(&r, &subject, level).await;
            let transitive = level.ends_with("_TRANSITIVE");
            let against_latest = expected(level, h.latest.0, h.latest.1);
            let against_first = expected(level, h.first.0, h.first.1);
            let want = if transitive {
                against_latest && against_first
            } else {
                against_latest
            };
            let path = format!("/compatibility/subjects/{subject}/versions");
            assert_eq!(
                is_compatible(&r, &path, &h.candidate).await,
                want,
                "{} at {level}",
                h.name
            );
            // Against one named version, whatever the level's reach.
            let one = format!("/compatibility/subjects/{subject}/versions/1");
            assert_eq!(
                is_compatible(&r, &one, &h.candidate).await,
                against_first,
                "{} at {level} vs v1",
                h.name
            );
            // Once v1 is soft-deleted it no longer counts.
            let (status, _) = r.delete(&format!("/subjects/{subject}/versions/1")).await;
            assert_eq!(status, StatusCode::OK);
            assert_eq!(
                is_compatible(&r, &path, &h.candidate).await,
                against_latest,
                "{} at {level} without v1",
                h.name
            );
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn json_policy_lenient_through_config() {
    let broker = TestBroker::start().await;
    let r = TestRegistry::start(broker.config()).await;
    let v1 = json_schema(r#"{"type":"object","properties":{"a":{"type":"string"}}}"#);
    let added = json_schema(
        r#"{"type":"object","properties":{"a":{"type":"string"},"b":{"type":"integer"}}}"#,
    );
    r.register("open", v1).await;
    let path = "/compatibility/subjects/open/versions/latest?verbose=true";
    let (_, strict) = r.post(path, added.clone()).await;
    assert_eq!(strict["is_compatible"], false, "{strict}");
    assert!(
        strict["messages"][0]
            .as_str()
            .unwrap()
            .contains("PROPERTY_ADDED_TO_OPEN_CONTENT_MODEL"),
        "{strict}"
    );
    r.put("/config/open", json!({"compatibilityPolicy": "LENIENT"}))
        .await;
    assert!(is_compatible(&r, path, &added).await);
    assert_eq!(r.register("open", added).await, 2);
}
