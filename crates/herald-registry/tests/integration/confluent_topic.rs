//! Migration: a `_schemas` topic written by Confluent's (or Karapace's)
//! registry, record for record in their format, is replayed by Herald's
//! registry, which then serves it and goes on writing to it.
//!
//! The topic holds what older Confluent registries accepted and Herald would
//! refuse for a new schema (a union field whose default matches a later
//! branch); such schemas still load, are found by look-ups, and take part in
//! compatibility checks. IMPORT mode keeps ids when schemas are copied
//! through the API instead.

use crate::common::{TestBroker, TestRegistry, assert_error};
use axum::http::StatusCode;
use herald_client::transport::{RawProducer, TopicSpec, ensure_topic};
use serde_json::{Value, json};

/// Avro that Avro 1.8-era Confluent registries stored: the default matches
/// the union's second branch, not its first.
const LEGACY_V1: &str = r#"{"type":"record","name":"Order","namespace":"shop","fields":[{"name":"id","type":"string"},{"name":"channel","type":["null","string"],"default":"web"}]}"#;
const LEGACY_V2: &str = r#"{"type":"record","name":"Order","namespace":"shop","fields":[{"name":"id","type":"string"},{"name":"channel","type":["null","string"],"default":"web"},{"name":"qty","type":"int","default":1}]}"#;
const MONEY: &str = r#"{"type":"record","name":"Money","namespace":"shop","fields":[{"name":"cents","type":"long"}]}"#;
const INVOICE: &str = r#"{"type":"record","name":"Invoice","namespace":"shop","fields":[{"name":"total","type":"shop.Money"}]}"#;
const PAYMENT: &str =
    r#"{"type":"object","properties":{"id":{"type":"string"}},"additionalProperties":false}"#;

fn schema_value(subject: &str, version: i32, id: i32, schema: &str, extra: Value) -> Vec<u8> {
    // Field order as Confluent's Jackson writes it; unknown fields of newer
    // registries (`ts`, `md5`) ride along.
    let mut v = json!({"subject": subject, "version": version, "id": id});
    if let (Value::Object(map), Value::Object(extra)) = (&mut v, extra) {
        map.extend(extra);
        map.insert("schema".into(), Value::String(schema.to_owned()));
        map.insert("deleted".into(), Value::Bool(false));
    }
    v.to_string().into_bytes()
}

fn schema_key(subject: &str, version: i32) -> Vec<u8> {
    format!(r#"{{"keytype":"SCHEMA","subject":"{subject}","version":{version},"magic":1}}"#)
        .into_bytes()
}

/// The records, in the order a Confluent registry would have written them.
fn confluent_records() -> Vec<(Vec<u8>, Option<Vec<u8>>)> {
    let none = json!({});
    vec![
        (
            br#"{"keytype":"CONFIG","subject":null,"magic":0}"#.to_vec(),
            Some(br#"{"compatibilityLevel":"FULL"}"#.to_vec()),
        ),
        (
            schema_key("orders-value", 1),
            Some(schema_value("orders-value", 1, 1, LEGACY_V1, none.clone())),
        ),
        (
            schema_key("orders-value", 2),
            Some(schema_value(
                "orders-value",
                2,
                2,
                LEGACY_V2,
                json!({"ts": 1_700_000_000_000_i64, "md5": "AAAAAAAAAAAAAAAAAAAAAA=="}),
            )),
        ),
        (
            schema_key("payments-value", 1),
            Some(schema_value(
                "payments-value",
                1,
                3,
                PAYMENT,
                json!({"schemaType": "JSON"}),
            )),
        ),
        // Karapace writes its keys with spaces after the separators.
        (
            br#"{"keytype": "SCHEMA", "subject": "money", "version": 1, "magic": 1}"#.to_vec(),
            Some(schema_value("money", 1, 4, MONEY, none.clone())),
        ),
        (
            schema_key("invoice-value", 1),
            Some(schema_value(
                "invoice-value",
                1,
                5,
                INVOICE,
                json!({"references": [{"name": "shop.Money", "subject": "money", "version": 1}]}),
            )),
        ),
        (
            schema_key("old-value", 1),
            Some(schema_value("old-value", 1, 6, r#""string""#, none.clone())),
        ),
        (
            br#"{"keytype":"DELETE_SUBJECT","subject":"old-value","magic":0}"#.to_vec(),
            Some(br#"{"subject":"old-value","version":1}"#.to_vec()),
        ),
        (
            schema_key("gone-value", 1),
            Some(schema_value("gone-value", 1, 7, r#""long""#, none)),
        ),
        // A permanent delete is a tombstone.
        (schema_key("gone-value", 1), None),
        (
            br#"{"keytype":"CONFIG","subject":"payments-value","magic":0}"#.to_vec(),
            Some(br#"{"compatibilityLevel":"NONE"}"#.to_vec()),
        ),
        (
            br#"{"keytype":"MODE","subject":"money","magic":0}"#.to_vec(),
            Some(br#"{"mode":"READONLY"}"#.to_vec()),
        ),
        (br#"{"keytype":"NOOP","magic":0}"#.to_vec(), None),
        // Something that is not a registry record is skipped, not fatal.
        (b"not json".to_vec(), Some(b"{}".to_vec())),
    ]
}

async fn write_confluent_topic(broker: &TestBroker) {
    let config = broker.config();
    ensure_topic(&config.kafka, &TopicSpec::compacted("_schemas"))
        .await
        .unwrap();
    let producer = RawProducer::connect(&config.kafka).unwrap();
    for (key, value) in confluent_records() {
        producer
            .send("_schemas", Some(0), Some(&key), value.as_deref())
            .await
            .unwrap();
    }
    producer.close().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_confluent_schemas_topic_is_replayed_and_extended() {
    let broker = TestBroker::start().await;
    write_confluent_topic(&broker).await;
    let r = TestRegistry::start(broker.config()).await;

    // Configs, modes, ids and texts as written.
    assert_eq!(r.get("/config").await.1["compatibilityLevel"], "FULL");
    assert_eq!(
        r.get("/config/payments-value").await.1["compatibilityLevel"],
        "NONE"
    );
    assert_eq!(r.get("/mode/money").await.1["mode"], "READONLY");
    let (status, by_id) = r.get("/schemas/ids/1").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(by_id["schema"], LEGACY_V1);
    assert_eq!(r.get("/schemas/ids/3").await.1["schemaType"], "JSON");
    assert_eq!(
        r.get("/subjects/invoice-value/versions/1").await.1["references"],
        json!([{"name": "shop.Money", "subject": "money", "version": 1}])
    );
    assert_eq!(
        r.get("/subjects/money/versions/1/referencedby").await,
        (StatusCode::OK, json!([5]))
    );
    assert_eq!(
        r.get("/subjects").await,
        (
            StatusCode::OK,
            json!(["invoice-value", "money", "orders-value", "payments-value"])
        )
    );
    assert_eq!(
        r.get("/subjects/old-value/versions?deleted=true").await,
        (StatusCode::OK, json!([1]))
    );
    assert_error(&r.get("/schemas/ids/7").await, 40403);

    // The legacy schema is found, and registering it again returns its id,
    // although Herald would refuse its default in a new schema.
    let legacy = json!({"schema": LEGACY_V1});
    let (status, found) = r.post("/subjects/orders-value", legacy.clone()).await;
    assert_eq!(status, StatusCode::OK, "{found}");
    assert_eq!(
        (found["id"].clone(), found["version"].clone()),
        (json!(1), json!(1))
    );
    assert_eq!(
        r.post("/subjects/orders-value/versions", legacy.clone())
            .await,
        (StatusCode::OK, json!({"id": 1}))
    );
    assert_error(
        &r.post("/subjects/fresh-value/versions", legacy).await,
        42201,
    );

    // New versions are checked against the legacy ones (transitively, so v1
    // with its odd default is read too) and continue the id sequence after
    // the highest id ever written, the hard-deleted 7 included.
    let put = r
        .put(
            "/config/orders-value",
            json!({"compatibility": "FULL_TRANSITIVE"}),
        )
        .await;
    assert_eq!(put.0, StatusCode::OK);
    let v3 = r#"{"type":"record","name":"Order","namespace":"shop","fields":[{"name":"id","type":"string"},{"name":"channel","type":["string","null"],"default":"web"},{"name":"qty","type":"int","default":1},{"name":"note","type":"string","default":""}]}"#;
    assert_eq!(
        r.post("/subjects/orders-value/versions", json!({"schema": v3}))
            .await,
        (StatusCode::OK, json!({"id": 8}))
    );
    let breaking = r#"{"type":"record","name":"Order","namespace":"shop","fields":[{"name":"id","type":"string"},{"name":"price","type":"double"}]}"#;
    let (status, refused) = r
        .post(
            "/compatibility/subjects/orders-value/versions?verbose=true",
            json!({"schema": breaking}),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(refused["is_compatible"], false, "{refused}");
    let messages = refused["messages"].to_string();
    assert!(
        messages.contains("READER_FIELD_MISSING_DEFAULT_VALUE"),
        "{messages}"
    );
    assert!(!messages.contains("UNREADABLE"), "{messages}");

    // IMPORT keeps the ids a migration copies, legacy defaults included.
    assert_eq!(
        r.put("/mode/imported-value", json!({"mode": "IMPORT"}))
            .await,
        (StatusCode::OK, json!({"mode": "IMPORT"}))
    );
    let imported =
        json!({"schema": LEGACY_V1.replace("Order", "Imported"), "id": 100, "version": 4});
    assert_eq!(
        r.post("/subjects/imported-value/versions", imported).await,
        (StatusCode::OK, json!({"id": 100}))
    );
    assert_eq!(
        r.get("/subjects/imported-value/versions").await,
        (StatusCode::OK, json!([4]))
    );
    assert_eq!(
        r.register("after-import", json!({"schema": r#""bytes""#}))
            .await,
        101
    );

    // Herald's own records replay with Confluent's.
    drop(r);
    let again = TestRegistry::start(broker.config()).await;
    assert_eq!(
        again.get("/subjects/orders-value/versions").await,
        (StatusCode::OK, json!([1, 2, 3]))
    );
    assert_eq!(again.get("/schemas/ids/100").await.0, StatusCode::OK);
    assert_eq!(
        again.get("/config/orders-value").await.1["compatibilityLevel"],
        "FULL_TRANSITIVE"
    );
}
