//! Durability: everything the API shows survives a restart of the registry
//! and of the broker, because it is all rebuilt from `_schemas`.

use crate::common::{TestBroker, TestRegistry};
use axum::http::{Method, StatusCode};
use serde_json::{Value, json};

const SUBJECTS: usize = 100;
const PER_SUBJECT: usize = 10;

fn subject(i: usize) -> String {
    // A tenth of the subjects live in another context.
    if i % 10 == 9 {
        format!(":.ctx:s{i}")
    } else {
        format!("s{i}")
    }
}

fn schema(i: usize, j: usize) -> Value {
    // Subjects i and i+50 register the same contents, so ids are shared.
    let fields: Vec<Value> = (0..=j)
        .map(|k| json!({"name": format!("f{k}"), "type": "int", "default": 0}))
        .collect();
    json!({"schema": json!({"type": "record", "name": format!("R{}", i % 50), "fields": fields}).to_string()})
}

/// Everything a client can read, as one JSON document.
async fn dump(r: &TestRegistry) -> Value {
    let new = [("Confluent-Accept-Unknown-Properties", "true")];
    let get = |path: String| async move {
        let (status, body) = r.call_with(Method::GET, &path, None, &new).await;
        json!([status.as_u16(), body])
    };
    let mut out = serde_json::Map::new();
    for path in [
        "/subjects?deleted=true",
        "/subjects",
        "/config",
        "/mode",
        "/contexts",
        "/schemas?deleted=true",
    ] {
        out.insert(path.to_owned(), get(path.to_owned()).await);
    }
    let (_, subjects) = r.get("/subjects?deleted=true").await;
    for s in subjects.as_array().unwrap() {
        let s = s.as_str().unwrap();
        for path in [
            format!("/subjects/{s}/versions?deleted=true"),
            format!("/subjects/{s}/versions"),
            format!("/config/{s}"),
            format!("/mode/{s}"),
        ] {
            out.insert(path.clone(), get(path).await);
        }
        let (_, versions) = r.get(&format!("/subjects/{s}/versions?deleted=true")).await;
        for v in versions.as_array().unwrap() {
            let path = format!("/subjects/{s}/versions/{v}?deleted=true");
            out.insert(path.clone(), get(path).await);
        }
    }
    for ctx in ["", "?subject=:.ctx:x"] {
        let (_, max) = r
            .get(&format!(
                "/schemas/ids/1?fetchMaxId=true{}",
                ctx.replace('?', "&")
            ))
            .await;
        let max = max["maxId"].as_i64().unwrap_or(0);
        for id in 1..=max + 1 {
            let path = format!("/schemas/ids/{id}{ctx}");
            out.insert(path.clone(), get(path).await);
        }
    }
    Value::Object(out)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_thousand_schemas_survive_a_restart_of_registry_and_broker() {
    let broker = TestBroker::start().await;
    let config = broker.config();
    let r = TestRegistry::start(config.clone()).await;
    assert_eq!(
        r.put("/config", json!({"compatibility": "NONE"})).await.0,
        StatusCode::OK
    );
    for i in 0..SUBJECTS {
        for j in 0..PER_SUBJECT {
            r.register(&subject(i), schema(i, j)).await;
        }
    }
    for i in 0..SUBJECTS {
        let s = subject(i);
        if i % 7 == 0 {
            r.put(
                &format!("/config/{s}"),
                json!({"compatibility": "FULL_TRANSITIVE", "compatibilityPolicy": "LENIENT"}),
            )
            .await;
        }
        if i % 5 == 0 {
            assert_eq!(
                r.delete(&format!("/subjects/{s}/versions/3")).await.0,
                StatusCode::OK
            );
        }
        if i % 10 == 1 {
            assert_eq!(
                r.delete(&format!("/subjects/{s}/versions/4")).await.0,
                StatusCode::OK
            );
            assert_eq!(
                r.delete(&format!("/subjects/{s}/versions/4?permanent=true"))
                    .await
                    .0,
                StatusCode::OK
            );
        }
        if i % 13 == 0 {
            assert_eq!(r.delete(&format!("/subjects/{s}")).await.0, StatusCode::OK);
        }
        if i % 26 == 0 {
            assert_eq!(
                r.delete(&format!("/subjects/{s}?permanent=true")).await.0,
                StatusCode::OK
            );
        }
        if i % 11 == 3 {
            r.put(&format!("/mode/{s}"), json!({"mode": "READONLY"}))
                .await;
        }
    }
    r.put("/config/:.ctx:", json!({"compatibility": "FORWARD"}))
        .await;
    let before = dump(&r).await;
    assert!(
        before.as_object().unwrap().len() > 1000,
        "the dump covers the registry"
    );
    assert_eq!(
        before["/subjects?deleted=true"][1]
            .as_array()
            .unwrap()
            .len(),
        SUBJECTS - 4
    );

    // Restart the registry alone.
    r.registry.close().await;
    drop(r);
    let r = TestRegistry::start(config.clone()).await;
    assert_eq!(dump(&r).await, before, "after a registry restart");

    // Restart the broker too: the data comes back from its disk.
    r.registry.close().await;
    drop(r);
    let broker = broker.restart().await;
    let r = TestRegistry::start(config.clone()).await;
    assert_eq!(dump(&r).await, before, "after a broker restart");

    // New ids continue after the highest one.
    let (_, max) = r.get("/schemas/ids/1?fetchMaxId=true").await;
    let next = r.register("fresh", json!({"schema": "\"string\""})).await;
    assert_eq!(next, max["maxId"].as_i64().unwrap() + 1);
    drop(broker);
}
