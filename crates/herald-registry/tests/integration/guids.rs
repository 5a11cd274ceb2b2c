//! `GET /schemas/guids/{guid}/ids`: the ids a GUID has, one entry per
//! context (and per id) that holds the content, through the router over a
//! real `_schemas` on an in-process Herald broker.

use crate::common::{TestBroker, TestRegistry, assert_error, avro};
use axum::http::{Method, StatusCode};
use serde_json::{Value, json};

/// The GUID of schema `id` (`GET /schemas/ids/{id}` with the header that
/// asks for newer fields), in `context`.
async fn guid_of(r: &TestRegistry, id: i64, subject: &str) -> String {
    let (status, body) = r
        .call_with(
            Method::GET,
            &format!("/schemas/ids/{id}?subject={subject}"),
            None,
            &[("Confluent-Accept-Unknown-Properties", "true")],
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    body["guid"].as_str().unwrap().to_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ids_by_guid_across_contexts_deletes_and_unknown_guids() {
    let broker = TestBroker::start().await;
    let r = TestRegistry::start(broker.config()).await;
    let user = avro("User", &[("name", "string")]);
    // `Other` takes id 1 in the default context, so `User` has id 2 there
    // and id 1 in `.prod`: the same content, so the same GUID.
    assert_eq!(r.register("other", avro("Other", &[("n", "int")])).await, 1);
    assert_eq!(r.register("users", user.clone()).await, 2);
    assert_eq!(r.register(":.prod:users", user.clone()).await, 1);
    let guid = guid_of(&r, 2, "users").await;
    assert_eq!(guid_of(&r, 1, ":.prod:users").await, guid);
    assert_ne!(guid_of(&r, 1, "other").await, guid);

    let both = json!([{"context": ".", "id": 2}, {"context": ".prod", "id": 1}]);
    let path = format!("/schemas/guids/{guid}/ids");
    assert_eq!(r.get(&path).await, (StatusCode::OK, both.clone()));
    // A GUID is global: the context prefix does not narrow the answer.
    assert_eq!(
        r.get(&format!("/contexts/.prod/schemas/guids/{guid}/ids"))
            .await,
        (StatusCode::OK, both.clone())
    );
    // `format` is accepted (it only shapes schema text elsewhere).
    assert_eq!(r.get(&format!("{path}?format=resolved")).await.1, both);

    // A soft-deleted version keeps its schema, so its id still counts; a
    // hard-deleted one takes the `.prod` id away.
    assert_eq!(
        r.delete("/subjects/:.prod:users/versions/1").await.0,
        StatusCode::OK
    );
    assert_eq!(r.get(&path).await.1, both);
    assert_eq!(
        r.delete("/subjects/:.prod:users/versions/1?permanent=true")
            .await
            .0,
        StatusCode::OK
    );
    assert_eq!(
        r.get(&path).await,
        (StatusCode::OK, json!([{"context": ".", "id": 2}]))
    );
    // The schema still resolves by GUID through the id that remains.
    let (status, body) = r.get(&format!("/schemas/guids/{guid}")).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert!(body["schema"].as_str().unwrap().contains("User"), "{body}");

    // Unknown and malformed GUIDs: 40403, as for `GET /schemas/guids/{guid}`.
    let nil = "00000000-0000-0000-0000-000000000000";
    let reply = r.get(&format!("/schemas/guids/{nil}/ids")).await;
    assert_error(&reply, 40403);
    assert_eq!(
        reply.1["message"],
        Value::String(format!("Schema {nil} not found"))
    );
    assert_error(&r.get("/schemas/guids/not-a-guid/ids").await, 40403);
    assert_error(
        &r.get(&format!("/contexts/.prod/schemas/guids/{nil}/ids"))
            .await,
        40403,
    );
}
