//! `herald produce --envelope` with keys encoded by a key schema and
//! headers, read back by `consume --verbose` (and sent again from its
//! output); `consume --group` started from an offset or a time only where
//! the group has committed nothing, or everywhere with `--reset`.

use std::path::Path;
use std::time::{Duration, UNIX_EPOCH};

use crate::common::{example_schemas, expect, serve, text, with_stdin};
use serde_json::{Value, json};

fn lines(s: &str) -> Vec<Value> {
    s.lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

fn offsets(records: &[Value]) -> Vec<i64> {
    records
        .iter()
        .map(|r| r["offset"].as_i64().unwrap())
        .collect()
}

const ORDER_KEY: &str = r#"{"type": "record", "name": "OrderKey", "namespace": "com.acme.orders",
  "doc": "The key of order events.",
  "fields": [{"name": "order_id", "type": "string", "doc": "The order."}]}"#;

#[test]
fn envelope_keys_with_their_schema_and_headers_round_trip() {
    let server = serve();
    let (dir, manifest) = example_schemas();
    std::fs::write(dir.path().join("schemas/orders/order-key.avsc"), ORDER_KEY).unwrap();
    let mut toml = std::fs::read_to_string(&manifest).unwrap();
    toml.push_str(
        "\n[[subject]]\nname = \"orders-key\"\nfile = \"orders/order-key.avsc\"\ntype = \"AVRO\"\n",
    );
    std::fs::write(&manifest, toml).unwrap();
    expect(
        &mut server.herald(&[
            "schema",
            "register",
            "--manifest",
            manifest.to_str().unwrap(),
        ]),
        0,
    );
    expect(&mut server.herald(&["topic", "create", "orders"]), 0);
    expect(&mut server.herald(&["topic", "create", "orders-copy"]), 0);

    let examples = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../schemas/examples");
    let orders = lines(&std::fs::read_to_string(examples.join("orders.jsonl")).unwrap());
    let envelope = |i: usize, key: Value| {
        json!({"key": key, "value": orders[i], "headers": {"source": "test", "n": i.to_string()}})
            .to_string()
    };
    // Line 2's key does not fit orders-key, line 4's header is not text:
    // both reported by number and not sent; the three others are.
    let input = [
        envelope(0, json!({"order_id": orders[0]["order_id"]})),
        envelope(1, json!({"order": 5})),
        envelope(1, json!({"order_id": orders[1]["order_id"]})),
        json!({"key": {"order_id": "o-x"}, "value": orders[2], "headers": {"n": 4}}).to_string(),
        envelope(2, json!({"order_id": orders[2]["order_id"]})),
    ]
    .join("\n");
    let out = with_stdin(
        server.herald(&[
            "produce",
            "orders",
            "--envelope",
            "--key-subject",
            "orders-key",
        ]),
        &input,
    );
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));
    let stderr = text(&out.stderr);
    assert!(
        stderr.contains("line 2: key does not match the Avro schema"),
        "{stderr}"
    );
    assert!(
        stderr.contains("line 4: header \"n\": expected a string"),
        "{stderr}"
    );
    assert!(stderr.contains("sent 3 records to orders"), "{stderr}");
    assert!(
        stderr.contains("(orders-key); 2 lines rejected"),
        "{stderr}"
    );

    let printed = expect(
        &mut server.herald(&[
            "consume",
            "orders",
            "--from",
            "earliest",
            "-n",
            "3",
            "--verbose",
        ]),
        0,
    );
    let records = lines(&printed);
    assert_eq!(offsets(&records), [0, 1, 2]);
    for (i, r) in records.iter().enumerate() {
        assert_eq!(r["key"], json!({"order_id": orders[i]["order_id"]}), "{r}");
        assert_eq!(r["value"], orders[i], "{r}");
        assert_eq!(
            r["headers"],
            json!({"source": "test", "n": i.to_string()}),
            "{r}"
        );
        assert_eq!(r["key_schema"]["subject"], "orders-key", "{r}");
        assert_eq!(r["key_schema"]["version"], 1, "{r}");
        assert!(r["key_schema"]["id"].as_u64().is_some(), "{r}");
        assert_eq!(r["value_schema"]["subject"], "orders-value", "{r}");
    }

    // What consume --verbose prints, produce --envelope sends again.
    let out = with_stdin(
        server.herald(&[
            "produce",
            "orders-copy",
            "--envelope",
            "--subject",
            "orders-value",
            "--key-subject",
            "orders-key",
        ]),
        &printed,
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let copied = lines(&expect(
        &mut server.herald(&[
            "consume",
            "orders-copy",
            "--from",
            "earliest",
            "-n",
            "3",
            "--verbose",
        ]),
        0,
    ));
    for (a, b) in records.iter().zip(&copied) {
        for field in ["key", "value", "headers", "key_schema", "value_schema"] {
            assert_eq!(a[field], b[field], "{field}");
        }
    }

    // Without a key schema a string key is sent as its text, and shown
    // without one; a tombstone has a key and no value.
    let input = format!(
        "{}\n{}\n",
        json!({"key": "plain-1", "value": orders[0]}),
        json!({"key": "plain-1", "value": null})
    );
    let out = with_stdin(server.herald(&["produce", "orders", "--envelope"]), &input);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let records = lines(&expect(
        &mut server.herald(&["consume", "orders", "--from", "3", "-n", "2", "--verbose"]),
        0,
    ));
    assert_eq!(records[0]["key"], "plain-1");
    assert!(records[0].get("key_schema").is_none(), "{}", records[0]);
    assert_eq!(records[0]["value"], orders[0]);
    assert_eq!(records[1]["value"], Value::Null);

    // A key schema with nowhere to take keys from is a usage error.
    let out = with_stdin(
        server.herald(&["produce", "orders", "--key-subject", "orders-key"]),
        "{}\n",
    );
    assert_eq!(out.status.code(), Some(2), "{}", text(&out.stderr));
}

#[test]
fn a_group_starts_from_an_offset_or_a_time_only_where_it_has_committed_nothing() {
    let server = serve();
    let (_dir, manifest) = example_schemas();
    expect(
        &mut server.herald(&[
            "schema",
            "register",
            "--manifest",
            manifest.to_str().unwrap(),
        ]),
        0,
    );
    expect(&mut server.herald(&["topic", "create", "events"]), 0);
    let examples = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../schemas/examples");
    let payment = std::fs::read_to_string(examples.join("payments.jsonl"))
        .unwrap()
        .lines()
        .next()
        .unwrap()
        .to_owned();
    let produce = |n: usize| {
        let out = with_stdin(
            server.herald(&["produce", "events", "--subject", "payments-value"]),
            &format!("{payment}\n").repeat(n),
        );
        assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    };
    // Two runs, so offset 3 is the first record written after offset 2's
    // millisecond.
    produce(3);
    produce(2);
    let all = lines(&expect(
        &mut server.herald(&[
            "consume",
            "events",
            "--from",
            "earliest",
            "-n",
            "5",
            "--verbose",
        ]),
        0,
    ));
    let t3 = all[3]["timestamp"].as_i64().unwrap();
    assert!(all[2]["timestamp"].as_i64().unwrap() < t3, "{all:?}");

    let consume = |args: &[&str]| {
        let mut full = vec!["consume", "events", "--verbose"];
        full.extend_from_slice(args);
        let out = server.herald(&full).output().unwrap();
        assert_eq!(
            out.status.code(),
            Some(0),
            "{full:?}: {}",
            text(&out.stderr)
        );
        (offsets(&lines(&text(&out.stdout))), text(&out.stderr))
    };

    // A new group starts at the offset given, and commits what it printed.
    let (got, stderr) = consume(&["--group", "g-offset", "--from", "3", "-n", "2"]);
    assert_eq!(got, [3, 4]);
    assert!(
        stderr.contains("group g-offset: events-0 starts at offset 3"),
        "{stderr}"
    );
    // Once it has committed, --from no longer applies (auto.offset.reset).
    produce(1);
    let (got, stderr) = consume(&["--group", "g-offset", "--from", "0", "-n", "1"]);
    assert_eq!(got, [5]);
    assert!(!stderr.contains("starts at"), "{stderr}");
    // --reset moves it anyway (kafka-consumer-groups --reset-offsets).
    let (got, _) = consume(&["--group", "g-offset", "--from", "1", "--reset", "-n", "1"]);
    assert_eq!(got, [1]);
    let out = expect(&mut server.herald(&["group", "describe", "g-offset"]), 0);
    assert!(
        out.lines()
            .any(|l| l.split_whitespace().collect::<Vec<_>>() == ["events", "0", "2", "6", "4"]),
        "{out}"
    );

    // A time, as epoch milliseconds and as RFC 3339: the first record at
    // or after it, for a group and without one.
    let (got, _) = consume(&["--group", "g-ms", "--from", &format!("@{t3}"), "-n", "1"]);
    assert_eq!(got, [3]);
    let rfc3339 =
        humantime::format_rfc3339_millis(UNIX_EPOCH + Duration::from_millis(t3 as u64)).to_string();
    let (got, _) = consume(&["--group", "g-rfc", "--from", &rfc3339, "-n", "1"]);
    assert_eq!(got, [3]);
    let (got, _) = consume(&["--from", &rfc3339, "-n", "1"]);
    assert_eq!(got, [3]);

    // --reset needs a group.
    let out = server
        .herald(&["consume", "events", "--reset"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
}

#[derive(Debug, serde::Serialize, apache_avro::AvroSchema)]
#[avro(namespace = "com.acme.sensors")]
struct Reading {
    sensor: String,
    celsius: f64,
}

#[test]
fn records_framed_by_a_schema_header_are_decoded_and_named() {
    use herald_client::transport::KafkaConfig;
    use herald_client::{IdLocation, Message, Producer, SchemaRegistryClient};

    let server = serve();
    expect(&mut server.herald(&["topic", "create", "readings"]), 0);
    // The SDK in Confluent's header framing: the schema GUID in
    // `__value_schema_id`, the bare Avro datum as the value.
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        let kafka = KafkaConfig::new(&server.bootstrap);
        let registry = SchemaRegistryClient::with_urls(&server.registry).unwrap();
        let producer = Producer::<Reading>::builder(&kafka, &registry, "readings")
            .avro()
            .id_location(IdLocation::Header)
            .build()
            .await
            .unwrap();
        let reading = Reading {
            sensor: "s-1".into(),
            celsius: 21.5,
        };
        producer
            .send_message(Message::new(&reading).key(b"s-1"))
            .await
            .unwrap();
        producer.close().await.unwrap();
    });
    let record = lines(&expect(
        &mut server.herald(&[
            "consume",
            "readings",
            "--from",
            "earliest",
            "-n",
            "1",
            "--verbose",
        ]),
        0,
    ))
    .remove(0);
    assert_eq!(record["value"], json!({"sensor": "s-1", "celsius": 21.5}));
    assert_eq!(record["key"], "s-1");
    assert_eq!(
        record["value_schema"]["subject"], "readings-value",
        "{record}"
    );
    assert_eq!(record["value_schema"]["version"], 1, "{record}");
    assert!(record["value_schema"]["guid"].is_string(), "{record}");
    assert!(record["value_schema"]["id"].is_u64(), "{record}");
    let headers = record["headers"].as_object().unwrap();
    assert!(headers.contains_key("message-id"), "{record}");
    assert!(!headers.contains_key("__value_schema_id"), "{record}");
    // The plain output is the value alone.
    let value = expect(
        &mut server.herald(&["consume", "readings", "--from", "earliest", "-n", "1"]),
        0,
    );
    assert_eq!(lines(&value), [json!({"sensor": "s-1", "celsius": 21.5})]);
}
