//! `herald produce` / `consume` / `topic` / `group` against `herald serve`:
//! the example data goes round trip, bad lines are reported with their
//! numbers and not sent, and nothing else is lost.

use std::path::Path;

use crate::common::{example_schemas, expect, serve, text, with_stdin};
use serde_json::Value;

fn lines(s: &str) -> Vec<Value> {
    s.lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

#[test]
fn example_data_round_trip_and_bad_lines() {
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
    let examples = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../schemas/examples");

    // Topics.
    expect(
        &mut server.herald(&["topic", "create", "orders", "--partitions", "2"]),
        0,
    );
    expect(&mut server.herald(&["topic", "create", "payments"]), 0);
    let out = expect(&mut server.herald(&["topic", "list"]), 0);
    assert!(
        out.contains("orders\n") && out.contains("payments\n"),
        "{out}"
    );
    let out = expect(&mut server.herald(&["topic", "describe", "orders"]), 0);
    assert!(out.contains("partitions 2"), "{out}");
    expect(
        &mut server.herald(&[
            "topic",
            "alter",
            "payments",
            "--config",
            "retention.ms=86400000",
        ]),
        0,
    );
    let out = expect(&mut server.herald(&["topic", "describe", "payments"]), 0);
    assert!(out.contains("retention.ms = 86400000"), "{out}");

    // Avro orders, keyed by order id: out exactly as they went in.
    let orders = examples.join("orders.jsonl");
    let out = server
        .herald(&[
            "produce",
            "orders",
            "--key-field",
            "order_id",
            "--file",
            orders.to_str().unwrap(),
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert!(
        text(&out.stderr).contains("sent 3 records"),
        "{}",
        text(&out.stderr)
    );
    let consumed = expect(
        &mut server.herald(&["consume", "orders", "--from", "earliest", "-n", "3"]),
        0,
    );
    let mut got = lines(&consumed);
    let mut want = lines(&std::fs::read_to_string(&orders).unwrap());
    let by_id = |v: &Value| v["order_id"].as_str().unwrap().to_owned();
    got.sort_by_key(by_id);
    want.sort_by_key(by_id);
    assert_eq!(got, want);

    // JSON Schema payments with bad lines in between: those are reported by
    // number and skipped, the others are sent.
    let good = std::fs::read_to_string(examples.join("payments.jsonl")).unwrap();
    let mut good_lines = good.lines();
    let input = format!(
        "{}\n{{not json\n{{\"payment_id\": \"p-1\", \"order_id\": \"o-1\", \"amount_minor\": -5, \"currency\": \"EUR\"}}\n\n{}\n",
        good_lines.next().unwrap(),
        good_lines.next().unwrap()
    );
    let out = with_stdin(server.herald(&["produce", "payments"]), &input);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));
    let stderr = text(&out.stderr);
    assert!(stderr.contains("line 2: not JSON"), "{stderr}");
    assert!(
        stderr.contains("line 3: does not match the JSON Schema"),
        "{stderr}"
    );
    assert!(stderr.contains("sent 2 records to payments"), "{stderr}");
    assert!(stderr.contains("2 lines rejected"), "{stderr}");

    // Verbose output, as a group that commits what it printed.
    let out = expect(
        &mut server.herald(&[
            "consume",
            "payments",
            "--group",
            "audit",
            "--from",
            "earliest",
            "-n",
            "2",
            "--verbose",
        ]),
        0,
    );
    let records = lines(&out);
    assert_eq!(records.len(), 2, "{out}");
    assert_eq!(records[0]["value"], lines(&good)[0]);
    assert_eq!(
        (
            records[0]["partition"].as_i64(),
            records[0]["offset"].as_i64()
        ),
        (Some(0), Some(0))
    );
    assert!(records[1]["timestamp"].as_i64().unwrap() > 0);

    // The group's committed offsets, and a dry-run reset that moves nothing.
    let out = expect(&mut server.herald(&["group", "describe", "audit"]), 0);
    assert!(
        out.lines()
            .any(|l| l.split_whitespace().collect::<Vec<_>>() == ["payments", "0", "2", "2", "0"]),
        "{out}"
    );
    let out = expect(
        &mut server.herald(&[
            "group",
            "reset-offsets",
            "audit",
            "--topic",
            "payments",
            "--to",
            "earliest",
            "--dry-run",
        ]),
        0,
    );
    assert!(out.contains("would move audit payments-0 -> 0"), "{out}");
    let out = expect(&mut server.herald(&["group", "describe", "audit"]), 0);
    assert!(
        out.lines()
            .any(|l| l.split_whitespace().collect::<Vec<_>>() == ["payments", "0", "2", "2", "0"]),
        "{out}"
    );
    expect(
        &mut server.herald(&[
            "group",
            "reset-offsets",
            "audit",
            "--topic",
            "payments",
            "--to",
            "earliest",
        ]),
        0,
    );
    let out = expect(&mut server.herald(&["group", "describe", "audit"]), 0);
    assert!(
        out.lines()
            .any(|l| l.split_whitespace().collect::<Vec<_>>() == ["payments", "0", "0", "2", "2"]),
        "{out}"
    );

    // An unknown subject is an error before anything is read.
    let out = with_stdin(server.herald(&["produce", "nowhere"]), "{}\n");
    assert_eq!(out.status.code(), Some(2), "{}", text(&out.stderr));
    assert!(
        text(&out.stderr).contains("nowhere-value"),
        "{}",
        text(&out.stderr)
    );

    expect(&mut server.herald(&["topic", "delete", "payments"]), 0);
    let out = expect(&mut server.herald(&["topic", "list"]), 0);
    assert!(!out.contains("payments"), "{out}");
}
