//! Every endpoint and every error code, through the router, over a real
//! `_schemas` on an in-process Herald broker.

use crate::common::{TestBroker, TestRegistry, assert_error, avro};
use axum::http::{Method, StatusCode};
use serde_json::{Value, json};

async fn setup() -> (TestBroker, TestRegistry) {
    let broker = TestBroker::start().await;
    let registry = TestRegistry::start(broker.config()).await;
    (broker, registry)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn root_types_health_metrics_metadata() {
    let (_broker, r) = setup().await;
    assert_eq!(r.get("/").await, (StatusCode::OK, json!({})));
    assert_eq!(r.post("/", json!({})).await, (StatusCode::OK, json!({})));
    assert_eq!(
        r.get("/schemas/types").await,
        (StatusCode::OK, json!(["JSON", "AVRO"]))
    );
    assert_eq!(r.get("/health").await.0, StatusCode::OK);
    let (status, id) = r.get("/v1/metadata/id").await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        !id["scope"]["clusters"]["kafka-cluster"]
            .as_str()
            .unwrap()
            .is_empty(),
        "{id}"
    );
    assert_eq!(r.get("/v1/metadata/version").await.0, StatusCode::OK);
    r.register("m", avro("M", &[("a", "int")])).await;
    let (status, text) = r.get("/metrics").await;
    assert_eq!(status, StatusCode::OK);
    let text = text.as_str().unwrap();
    assert!(
        text.contains(r#"route="/subjects/{subject}/versions",status="200""#),
        "{text}"
    );
    assert!(text.contains("herald_registry_schemas 1"), "{text}");
    assert!(text.contains("herald_registry_subjects 1"), "{text}");
    // A registry without an election always writes: it counts as leader.
    assert!(text.contains("herald_registry_leader 1"), "{text}");
    assert!(
        text.contains("herald_registry_request_duration_seconds_bucket"),
        "{text}"
    );
    assert!(
        text.contains(r#"herald_registry_compatibility_checks_total{result="compatible"}"#),
        "{text}"
    );
    // Unknown routes and methods answer in the error shape.
    assert_error(&r.get("/nothing/here").await, 404);
    assert_error(&r.call(Method::PATCH, "/subjects", None).await, 405);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn register_read_and_list() {
    let (_broker, r) = setup().await;
    let v1 = avro("User", &[("name", "string")]);
    let id = r.register("users-value", v1.clone()).await;
    assert_eq!(id, 1);
    // Same schema under another subject: same id. Again: same answer.
    assert_eq!(r.register("people-value", v1.clone()).await, 1);
    assert_eq!(r.register("users-value", v1.clone()).await, 1);

    let canonical = r#"{"type":"record","name":"User","fields":[{"name":"name","type":"string"}]}"#;
    assert_eq!(
        r.get("/schemas/ids/1").await,
        (StatusCode::OK, json!({"schema": canonical}))
    );
    assert_eq!(r.get("/schemas/ids/1?fetchMaxId=true").await.1["maxId"], 1);
    assert_eq!(
        r.get("/schemas/ids/1/schema").await,
        (
            StatusCode::OK,
            serde_json::from_str::<Value>(canonical).unwrap()
        )
    );
    assert_eq!(
        r.get("/schemas/ids/1/subjects").await.1,
        json!(["people-value", "users-value"])
    );
    assert_eq!(
        r.get("/schemas/ids/1/versions").await.1,
        json!([{"subject": "people-value", "version": 1}, {"subject": "users-value", "version": 1}])
    );
    assert_error(&r.get("/schemas/ids/99").await, 40403);
    assert_error(&r.get("/schemas/ids/99/schema").await, 40403);
    assert_error(&r.get("/schemas/ids/99/subjects").await, 40403);
    assert_error(&r.get("/schemas/ids/99/versions").await, 40403);

    assert_eq!(
        r.get("/subjects").await.1,
        json!(["people-value", "users-value"])
    );
    assert_eq!(
        r.get("/subjects?subjectPrefix=us").await.1,
        json!(["users-value"])
    );
    assert_eq!(r.get("/subjects/users-value/versions").await.1, json!([1]));
    let expected = json!({"subject": "users-value", "version": 1, "id": 1, "schema": canonical});
    for v in ["1", "latest", "-1", "LATEST"] {
        assert_eq!(
            r.get(&format!("/subjects/users-value/versions/{v}")).await,
            (StatusCode::OK, expected.clone())
        );
    }
    assert_eq!(
        r.get("/subjects/users-value/versions/1/schema").await.0,
        StatusCode::OK
    );
    assert_eq!(
        r.get("/subjects/users-value/versions/1/referencedby")
            .await
            .1,
        json!([])
    );
    assert_error(&r.get("/subjects/nobody/versions").await, 40401);
    assert_error(&r.get("/subjects/nobody/versions/1").await, 40401);
    assert_error(&r.get("/subjects/users-value/versions/7").await, 40402);
    assert_error(
        &r.get("/subjects/users-value/versions/7/schema").await,
        40402,
    );
    for bad in ["0", "abc", "-2", "2147483648"] {
        assert_error(
            &r.get(&format!("/subjects/users-value/versions/{bad}"))
                .await,
            42202,
        );
    }

    // GET /schemas lists subject versions; the GUID resolves too.
    let (_, all) = r
        .call_with(
            Method::GET,
            "/schemas",
            None,
            &[("Confluent-Accept-Unknown-Properties", "true")],
        )
        .await;
    assert_eq!(all.as_array().unwrap().len(), 2);
    let guid = all[0]["guid"].as_str().unwrap().to_owned();
    assert_eq!(
        r.get(&format!("/schemas/guids/{guid}")).await.1["schema"],
        canonical
    );
    assert_error(
        &r.get("/schemas/guids/00000000-0000-0000-0000-000000000000")
            .await,
        40403,
    );
    assert_eq!(
        r.get("/schemas?subjectPrefix=people")
            .await
            .1
            .as_array()
            .unwrap()
            .len(),
        1
    );
    // Newer fields only for clients that ask for them.
    assert!(
        r.get("/subjects/users-value/versions/1")
            .await
            .1
            .get("guid")
            .is_none()
    );

    // Lookup.
    let (status, found) = r.post("/subjects/users-value", v1.clone()).await;
    assert_eq!(
        (status, found["id"].as_i64(), found["version"].as_i64()),
        (StatusCode::OK, Some(1), Some(1))
    );
    assert_error(
        &r.post("/subjects/users-value", avro("User", &[("other", "int")]))
            .await,
        40403,
    );
    assert_error(&r.post("/subjects/nobody", v1.clone()).await, 40401);
    assert_error(
        &r.post("/subjects/users-value", json!({"schema": "{not json"}))
            .await,
        42201,
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn requests_as_real_clients_send_them() {
    let (_broker, r) = setup().await;
    // The .NET and newer Java clients send nulls and fields we do not use.
    let body = json!({
        "schema": "{\"type\":\"string\"}",
        "schemaType": "AVRO",
        "references": null,
        "metadata": null,
        "ruleSet": null,
        "schemaTagsToAdd": [],
        "somethingNew": {"x": 1}
    });
    let (status, reply) = r
        .call_with(
            Method::POST,
            "/subjects/s/versions?normalize=True",
            Some(body),
            &[("Confluent-Accept-Unknown-Properties", "true")],
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{reply}");
    // The canonical form of {"type":"string"} is "string" (Karapace #411).
    assert_eq!(reply["schema"], "\"string\"");
    assert_eq!(reply["version"], 1);
    assert!(reply["guid"].is_string());
    let (_, plain) = r
        .post("/subjects/s/versions", json!({"schema": "\"string\""}))
        .await;
    assert_eq!(plain, json!({"id": 1}));

    // Media types: all three, octet-stream as JSON, others refused.
    for (ct, ok) in [
        ("application/vnd.schemaregistry.v1+json", true),
        ("application/vnd.schemaregistry+json", true),
        ("application/json; charset=utf-8", true),
        ("application/octet-stream", true),
        ("text/plain", false),
    ] {
        let request = axum::http::Request::builder()
            .method("POST")
            .uri("/subjects/s/versions")
            .header("content-type", ct)
            .body(axum::body::Body::from(r#"{"schema":"\"string\""}"#))
            .unwrap();
        let response = tower::ServiceExt::oneshot(r.app.clone(), request)
            .await
            .unwrap();
        let expected = if ok { 200 } else { 415 };
        assert_eq!(response.status().as_u16(), expected, "{ct}");
    }
    // The response media type follows Accept.
    for (accept, expected) in [
        ("application/json", "application/json"),
        (
            "application/vnd.schemaregistry+json, application/json",
            "application/vnd.schemaregistry+json",
        ),
        ("*/*", "application/vnd.schemaregistry.v1+json"),
    ] {
        let request = axum::http::Request::builder()
            .uri("/subjects")
            .header("accept", accept)
            .body(axum::body::Body::empty())
            .unwrap();
        let response = tower::ServiceExt::oneshot(r.app.clone(), request)
            .await
            .unwrap();
        assert_eq!(response.headers()["content-type"], expected);
    }
    // Malformed bodies answer in the error shape.
    let bad = axum::http::Request::builder()
        .method("POST")
        .uri("/subjects/s/versions")
        .header("content-type", "application/json")
        .body(axum::body::Body::from("{oops"))
        .unwrap();
    let response = tower::ServiceExt::oneshot(r.app.clone(), bad)
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    assert_error(
        &r.post("/subjects/s/versions", json!({"schema": 5})).await,
        422,
    );
    assert_error(&r.post("/subjects/s/versions", json!({})).await, 42201);
    assert_error(
        &r.post(
            "/subjects/s/versions",
            json!({"schema": "\"string\"", "schemaType": "XML"}),
        )
        .await,
        42201,
    );
    assert_error(
        &r.post(
            "/subjects/s/versions",
            json!({"schema": "{\"type\":\"record\"}"}),
        )
        .await,
        42201,
    );
    assert_error(
        &r.post(
            "/subjects/s/versions",
            json!({"schema": "\"x\"", "schemaType": "PROTOBUF"}),
        )
        .await,
        42201,
    );
    // A path that does not decode answers in the error shape too.
    assert_error(&r.get("/subjects/%FF/versions").await, 400);
    // Invalid subjects.
    assert_error(
        &r.post("/subjects/%20/versions", json!({"schema": "\"string\""}))
            .await,
        42208,
    );
    assert_error(
        &r.post(
            "/subjects/:.__GLOBAL:x/versions",
            json!({"schema": "\"string\""}),
        )
        .await,
        42208,
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn oversize_bodies_are_42209() {
    let broker = TestBroker::start().await;
    let mut config = broker.config();
    config.max_body_bytes = 1024;
    let r = TestRegistry::start(config).await;
    let doc = "x".repeat(2000);
    let big = json!({"schema": json!({"type": "record", "name": "Big", "doc": doc, "fields": []}).to_string()});
    assert_error(&r.post("/subjects/big/versions", big).await, 42209);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn deletes_soft_and_permanent() {
    let (_broker, r) = setup().await;
    r.put("/config/d", json!({"compatibility": "NONE"})).await;
    r.register("d", json!({"schema": "\"string\""})).await;
    r.register("d", json!({"schema": "\"int\""})).await;
    r.register("d", json!({"schema": "\"long\""})).await;
    assert_error(
        &r.delete("/subjects/d/versions/1?permanent=true").await,
        40407,
    );
    assert_eq!(
        r.delete("/subjects/d/versions/1").await,
        (StatusCode::OK, json!(1))
    );
    assert_error(&r.delete("/subjects/d/versions/1").await, 40406);
    assert_error(&r.get("/subjects/d/versions/1").await, 40402);
    assert_eq!(
        r.get("/subjects/d/versions/1?deleted=true").await.1["id"],
        1
    );
    assert_eq!(
        r.get("/schemas/ids/1").await.0,
        StatusCode::OK,
        "a soft-deleted version's id resolves"
    );
    assert_eq!(r.get("/subjects/d/versions").await.1, json!([2, 3]));
    assert_eq!(
        r.get("/subjects/d/versions?deleted=true").await.1,
        json!([1, 2, 3])
    );
    assert_eq!(
        r.get("/subjects/d/versions?deletedOnly=true").await.1,
        json!([1])
    );
    assert_eq!(
        r.get("/subjects/d/versions?deletedAsNegative=true").await.1,
        json!([-1, 2, 3])
    );
    assert_eq!(
        r.delete("/subjects/d/versions/1?permanent=true").await,
        (StatusCode::OK, json!(1))
    );
    assert_error(&r.get("/subjects/d/versions/1?deleted=true").await, 40402);
    assert_error(&r.get("/schemas/ids/1").await, 40403);
    assert_eq!(r.delete("/subjects/d/versions/latest").await.1, json!(3));
    assert_eq!(r.get("/subjects/d/versions/latest").await.1["version"], 2);
    assert_error(&r.delete("/subjects/d/versions/x").await, 42202);
    assert_error(&r.delete("/subjects/zz/versions/1").await, 40401);
    assert_error(&r.delete("/subjects/d/versions/9").await, 40402);

    assert_error(&r.delete("/subjects/d?permanent=true").await, 40405);
    assert_eq!(r.delete("/subjects/d").await.1, json!([2]));
    assert_error(&r.delete("/subjects/d").await, 40404);
    assert_eq!(r.get("/subjects").await.1, json!([]));
    assert_eq!(r.get("/subjects?deleted=true").await.1, json!(["d"]));
    assert_eq!(r.get("/subjects?deletedOnly=true").await.1, json!(["d"]));
    assert_error(&r.get("/subjects/d/versions").await, 40401);
    assert_eq!(
        r.delete("/subjects/d?permanent=true").await.1,
        json!([2, 3])
    );
    assert_eq!(r.get("/subjects?deleted=true").await.1, json!([]));
    assert_error(&r.delete("/subjects/d").await, 40401);
    // Versions continue after the highest ever used.
    r.register("d", json!({"schema": "\"string\""})).await;
    assert_eq!(r.get("/subjects/d/versions").await.1, json!([4]));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn references_and_referencedby() {
    let (_broker, r) = setup().await;
    let money = json!({"schema": r#"{"type":"record","name":"Money","namespace":"acme","fields":[{"name":"cents","type":"long"}]}"#});
    let money_id = r.register("money", money).await;
    let order = json!({
        "schema": r#"{"type":"record","name":"Order","namespace":"acme","fields":[{"name":"total","type":"acme.Money"}]}"#,
        "references": [{"name": "acme.Money", "subject": "money", "version": 1}]
    });
    let order_id = r.register("orders", order.clone()).await;
    assert_ne!(order_id, money_id);
    let (_, fetched) = r.get(&format!("/schemas/ids/{order_id}")).await;
    assert_eq!(
        fetched["references"],
        json!([{"name": "acme.Money", "subject": "money", "version": 1}])
    );
    assert_eq!(
        r.get("/subjects/money/versions/1/referencedby").await.1,
        json!([order_id])
    );
    assert_error(&r.delete("/subjects/money/versions/1").await, 42206);
    assert_error(&r.delete("/subjects/money").await, 42206);
    let dangling = json!({
        "schema": r#"{"type":"record","name":"Bad","fields":[{"name":"m","type":"acme.Money"}]}"#,
        "references": [{"name": "acme.Money", "subject": "money", "version": 5}]
    });
    assert_error(&r.post("/subjects/bad/versions", dangling).await, 42201);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn config_endpoints() {
    let (_broker, r) = setup().await;
    assert_eq!(
        r.get("/config").await.1,
        json!({"compatibilityLevel": "BACKWARD"})
    );
    assert_eq!(
        r.put("/config", json!({"compatibility": "FULL"})).await,
        (StatusCode::OK, json!({"compatibility": "FULL"}))
    );
    assert_eq!(
        r.get("/config").await.1,
        json!({"compatibilityLevel": "FULL"})
    );
    assert_error(
        &r.put("/config", json!({"compatibility": "SIDEWAYS"})).await,
        42203,
    );
    assert_error(
        &r.put("/config/s", json!({"compatibilityPolicy": "LOOSE"}))
            .await,
        42203,
    );
    assert_error(&r.get("/config/s").await, 40408);
    assert_eq!(
        r.get("/config/s?defaultToGlobal=true").await.1,
        json!({"compatibilityLevel": "FULL"})
    );
    let echo = r
        .put(
            "/config/s",
            json!({"compatibility": "none", "compatibilityPolicy": "lenient", "normalize": true}),
        )
        .await;
    assert_eq!(
        echo.1,
        json!({"compatibility": "NONE", "compatibilityPolicy": "LENIENT", "normalize": true})
    );
    assert_eq!(
        r.get("/config/s").await.1,
        json!({"compatibilityLevel": "NONE", "compatibilityPolicy": "LENIENT", "normalize": true})
    );
    // A PUT merges: changing the level keeps the policy.
    r.put("/config/s", json!({"compatibility": "FORWARD"}))
        .await;
    assert_eq!(r.get("/config/s").await.1["compatibilityPolicy"], "LENIENT");
    assert_eq!(
        r.delete("/config/s").await.1["compatibilityLevel"],
        "FORWARD"
    );
    assert_error(&r.delete("/config/s").await, 40401);
    assert_eq!(
        r.delete("/config").await.1,
        json!({"compatibilityLevel": "FULL"})
    );
    assert_eq!(
        r.get("/config").await.1,
        json!({"compatibilityLevel": "BACKWARD"})
    );
    assert_error(
        &r.put("/config/%20", json!({"compatibility": "FULL"})).await,
        42208,
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mode_endpoints() {
    let (_broker, r) = setup().await;
    assert_eq!(r.get("/mode").await.1, json!({"mode": "READWRITE"}));
    r.register("s", json!({"schema": "\"string\""})).await;
    assert_error(&r.get("/mode/s").await, 40409);
    assert_eq!(
        r.get("/mode/s?defaultToGlobal=true").await.1,
        json!({"mode": "READWRITE"})
    );
    assert_error(&r.put("/mode", json!({"mode": "SIDEWAYS"})).await, 42204);
    assert_error(&r.put("/mode/s", json!({"mode": "FORWARD"})).await, 42204);
    assert_error(&r.put("/mode/s", json!({"mode": "IMPORT"})).await, 42205);
    assert_eq!(
        r.put("/mode/s?force=true", json!({"mode": "IMPORT"}))
            .await
            .1,
        json!({"mode": "IMPORT"})
    );
    // IMPORT: ids and versions come from the request.
    let imported = json!({"schema": "\"long\"", "id": 50, "version": 9});
    assert_eq!(r.register("s", imported).await, 50);
    assert_eq!(r.get("/subjects/s/versions").await.1, json!([1, 9]));
    let clash = json!({"schema": "\"double\"", "id": 51, "version": 9});
    assert_error(&r.post("/subjects/s/versions", clash).await, 42207);
    let overwrite = json!({"schema": "\"double\"", "id": 50, "version": 10});
    assert_error(&r.post("/subjects/s/versions", overwrite).await, 42205);
    assert_eq!(r.delete("/mode/s").await.1, json!({"mode": "IMPORT"}));
    assert_error(&r.delete("/mode/s").await, 40401);
    // An id outside IMPORT is refused; the next id follows the imported one.
    assert_error(
        &r.post(
            "/subjects/t/versions",
            json!({"schema": "\"float\"", "id": 70}),
        )
        .await,
        42205,
    );
    assert_eq!(r.register("t", json!({"schema": "\"float\""})).await, 51);
    // READONLY: existing schemas still answer, new ones and deletes do not.
    assert_eq!(
        r.put("/mode", json!({"mode": "READONLY"})).await.1,
        json!({"mode": "READONLY"})
    );
    assert_eq!(r.register("t", json!({"schema": "\"float\""})).await, 51);
    assert_error(
        &r.post("/subjects/t/versions", json!({"schema": "\"boolean\""}))
            .await,
        42205,
    );
    assert_error(&r.delete("/subjects/t/versions/1").await, 42205);
    assert_eq!(r.delete("/mode").await.1, json!({"mode": "READONLY"}));
    assert_eq!(
        r.put("/mode", json!({"mode": "FORWARD"})).await.1,
        json!({"mode": "FORWARD"})
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn contexts_through_names_and_paths() {
    let (_broker, r) = setup().await;
    assert_eq!(r.register("a", json!({"schema": "\"string\""})).await, 1);
    assert_eq!(
        r.register(":.prod:a", json!({"schema": "\"int\""})).await,
        1
    );
    let (status, _) = r
        .post(
            "/contexts/.prod/subjects/c/versions",
            json!({"schema": "\"bytes\""}),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(r.get("/contexts").await.1, json!([".", ".prod"]));
    assert_eq!(
        r.get("/subjects").await.1,
        json!([":.prod:a", ":.prod:c", "a"])
    );
    assert_eq!(
        r.get("/contexts/.prod/subjects").await.1,
        json!([":.prod:a", ":.prod:c"])
    );
    assert_eq!(
        r.get("/subjects?subjectPrefix=:.prod:").await.1,
        json!([":.prod:a", ":.prod:c"])
    );
    assert_eq!(
        r.get("/contexts/.prod/schemas/ids/1").await.1["schema"],
        "\"int\""
    );
    assert_eq!(
        r.get("/schemas/ids/1?subject=:.prod:a").await.1["schema"],
        "\"int\""
    );
    assert_eq!(r.get("/schemas/ids/1").await.1["schema"], "\"string\"");
    assert_eq!(
        r.get("/contexts/.prod/subjects/a/versions/1").await.1["subject"],
        ":.prod:a"
    );
    // Context-level config and mode.
    r.put("/contexts/.prod/config", json!({"compatibility": "FULL"}))
        .await;
    assert_eq!(
        r.get("/config/:.prod:").await.1["compatibilityLevel"],
        "FULL"
    );
    assert_eq!(
        r.get("/config/:.prod:a?defaultToGlobal=true").await.1["compatibilityLevel"],
        "FULL"
    );
    assert_eq!(
        r.get("/config/a?defaultToGlobal=true").await.1["compatibilityLevel"],
        "BACKWARD"
    );
    r.put("/contexts/.prod/mode", json!({"mode": "READONLY"}))
        .await;
    assert_error(
        &r.post(
            "/subjects/:.prod:z/versions",
            json!({"schema": "\"float\""}),
        )
        .await,
        42205,
    );
    assert_eq!(r.register("z", json!({"schema": "\"float\""})).await, 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn compatibility_endpoints() {
    let (_broker, r) = setup().await;
    let v1 = avro("R", &[("a", "int")]);
    let breaking = avro("R", &[("a", "int"), ("b", "string")]);
    // Nothing registered: `latest` is compatible, a number is not found.
    assert_eq!(
        r.post(
            "/compatibility/subjects/r/versions/latest",
            breaking.clone()
        )
        .await,
        (StatusCode::OK, json!({"is_compatible": true}))
    );
    assert_error(
        &r.post("/compatibility/subjects/r/versions/1", breaking.clone())
            .await,
        40402,
    );
    r.register("r", v1).await;
    assert_eq!(
        r.post(
            "/compatibility/subjects/r/versions/latest",
            breaking.clone()
        )
        .await
        .1,
        json!({"is_compatible": false})
    );
    let (_, verbose) = r
        .post(
            "/compatibility/subjects/r/versions?verbose=true",
            breaking.clone(),
        )
        .await;
    assert_eq!(verbose["is_compatible"], false);
    let messages: Vec<&str> = verbose["messages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m.as_str().unwrap())
        .collect();
    assert!(
        messages[0].starts_with("{errorType:'READER_FIELD_MISSING_DEFAULT_VALUE'"),
        "{messages:?}"
    );
    assert!(messages.contains(&"{oldSchemaVersion: 1}"), "{messages:?}");
    assert_error(
        &r.post("/compatibility/subjects/r/versions/x", breaking.clone())
            .await,
        42202,
    );
    assert_error(
        &r.post("/compatibility/subjects/r/versions", json!({"schema": "{"}))
            .await,
        42201,
    );
    let (_, invalid) = r
        .post(
            "/compatibility/subjects/r/versions?verbose=true",
            json!({"schema": "{"}),
        )
        .await;
    assert_eq!(invalid["is_compatible"], false);
    // Registering it is a 409 with the findings in the message.
    let reply = r.post("/subjects/r/versions", breaking).await;
    assert_error(&reply, 40901);
    assert!(
        reply.1["message"]
            .as_str()
            .unwrap()
            .contains("READER_FIELD_MISSING_DEFAULT_VALUE"),
        "{}",
        reply.1
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_registry_that_has_not_replayed_answers_50002() {
    let registry =
        herald_registry::Registry::new(herald_registry::Config::with_bootstrap("127.0.0.1:1"));
    let r = TestRegistry {
        app: herald_registry::api::router(registry.clone()),
        registry,
    };
    assert_eq!(r.get("/health").await.0, StatusCode::SERVICE_UNAVAILABLE);
    assert_error(&r.get("/subjects").await, 50002);
    assert_error(
        &r.post("/subjects/s/versions", json!({"schema": "\"string\""}))
            .await,
        50002,
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_lost_broker_is_50001_for_writes_and_reads_go_on() {
    let broker = TestBroker::start().await;
    let mut config = broker.config();
    config.kafka = config
        .kafka
        .with("delivery.timeout.ms", "3000")
        .with("request.timeout.ms", "1000")
        .with("max.block.ms", "2000");
    let r = TestRegistry::start(config).await;
    r.register("s", json!({"schema": "\"string\""})).await;
    drop(broker);
    tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    let reply = tokio::time::timeout(
        std::time::Duration::from_secs(30),
        r.post("/subjects/t/versions", json!({"schema": "\"int\""})),
    )
    .await
    .expect("the write gives up in time");
    assert_error(&reply, 50001);
    assert_eq!(
        r.get("/subjects").await.1,
        json!(["s"]),
        "nothing applied that was not written"
    );
}
