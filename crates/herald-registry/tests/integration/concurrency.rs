//! Many clients at once: one id per distinct schema, contiguous versions.

use std::collections::{BTreeMap, BTreeSet};

use crate::common::{TestBroker, TestRegistry};
use axum::body::Body;
use axum::http::Request;
use http_body_util::BodyExt;
use serde_json::{Value, json};
use tower::ServiceExt;

const CLIENTS: usize = 50;

async fn post(app: &axum::Router, path: &str, body: Value) -> Value {
    let request = Request::builder()
        .method("POST")
        .uri(path)
        .header("content-type", "application/vnd.schemaregistry.v1+json")
        .body(Body::from(body.to_string()))
        .unwrap();
    let response = app.clone().oneshot(request).await.unwrap();
    assert!(
        response.status().is_success(),
        "{path}: {}",
        response.status()
    );
    serde_json::from_slice(&response.into_body().collect().await.unwrap().to_bytes()).unwrap()
}

fn record(name: &str) -> Value {
    json!({"schema": json!({"type": "record", "name": name, "fields": [{"name": "a", "type": "int"}]}).to_string()})
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn fifty_clients_register_at_once() {
    let broker = TestBroker::start().await;
    let r = TestRegistry::start(broker.config()).await;
    r.put("/config", json!({"compatibility": "NONE"})).await;
    let mut tasks = Vec::new();
    for c in 0..CLIENTS {
        let app = r.app.clone();
        tasks.push(tokio::spawn(async move {
            // The same schema, under one subject and under the client's own.
            let shared = post(&app, "/subjects/common/versions", record("Shared")).await["id"]
                .as_i64()
                .unwrap();
            let own_subject = post(
                &app,
                &format!("/subjects/own-{c}/versions"),
                record("Shared"),
            )
            .await["id"]
                .as_i64()
                .unwrap();
            // A schema of its own, under a subject every client writes to.
            let mine = post(&app, "/subjects/busy/versions", record(&format!("C{c}"))).await["id"]
                .as_i64()
                .unwrap();
            // Half the clients also register their schema a second time elsewhere.
            let again = if c % 2 == 0 {
                Some(
                    post(&app, "/subjects/busy-2/versions", record(&format!("C{c}"))).await["id"]
                        .as_i64()
                        .unwrap(),
                )
            } else {
                None
            };
            (c, shared, own_subject, mine, again)
        }));
    }
    let mut by_client = BTreeMap::new();
    for t in tasks {
        let (c, shared, own, mine, again) = t.await.unwrap();
        assert_eq!(shared, own, "one content, one id");
        if let Some(again) = again {
            assert_eq!(again, mine, "one content, one id across subjects");
        }
        by_client.insert(c, (shared, mine));
    }
    let shared_ids: BTreeSet<i64> = by_client.values().map(|(s, _)| *s).collect();
    assert_eq!(shared_ids.len(), 1);
    let own_ids: BTreeSet<i64> = by_client.values().map(|(_, m)| *m).collect();
    assert_eq!(own_ids.len(), CLIENTS, "distinct schemas, distinct ids");
    assert!(!own_ids.contains(shared_ids.iter().next().unwrap()));
    // Ids were handed out without gaps: 1 + 50 distinct schemas.
    let all: BTreeSet<i64> = shared_ids.union(&own_ids).copied().collect();
    assert_eq!(all, (1..=(CLIENTS as i64 + 1)).collect());
    // Versions are contiguous and each names the schema its client sent.
    let (_, versions) = r.get("/subjects/busy/versions").await;
    assert_eq!(versions, json!((1..=CLIENTS).collect::<Vec<_>>()));
    assert_eq!(r.get("/subjects/common/versions").await.1, json!([1]));
    assert_eq!(
        r.get("/subjects/busy-2/versions").await.1,
        json!((1..=CLIENTS / 2).collect::<Vec<_>>())
    );
    for (c, (_, mine)) in &by_client {
        let (_, schema) = r.get(&format!("/schemas/ids/{mine}")).await;
        assert!(
            schema["schema"]
                .as_str()
                .unwrap()
                .contains(&format!("\"C{c}\"")),
            "{schema}"
        );
    }
}
