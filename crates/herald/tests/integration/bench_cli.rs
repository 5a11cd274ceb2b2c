//! `herald bench` against `herald serve`: small runs whose reports have
//! their documented shape, and whose records really are in the topic.

use std::time::Duration;

use crate::common::{expect, serve, text};
use rdkafka::ClientConfig;
use rdkafka::consumer::{BaseConsumer, Consumer};
use serde_json::Value;

/// The records in `topic` by rdkafka's count (high − low watermark),
/// independent of the herald client the bench uses.
fn records_in(bootstrap: &str, topic: &str, partitions: i32) -> i64 {
    let consumer: BaseConsumer = ClientConfig::new()
        .set("bootstrap.servers", bootstrap)
        .create()
        .unwrap();
    (0..partitions)
        .map(|p| {
            let (low, high) = consumer
                .fetch_watermarks(topic, p, Duration::from_secs(10))
                .unwrap();
            high - low
        })
        .sum()
}

#[track_caller]
fn check_latency(span: &Value, what: &str, count: u64) {
    assert_eq!(span["what"], what, "{span}");
    assert_eq!(span["count"].as_u64(), Some(count), "{span}");
    let (p50, p99, max) = (
        span["p50_ms"].as_f64().unwrap(),
        span["p99_ms"].as_f64().unwrap(),
        span["max_ms"].as_f64().unwrap(),
    );
    assert!(0.0 < p50 && p50 <= p99 && p99 <= max, "{span}");
}

#[test]
fn bench_produce_consume_and_end_to_end() {
    let server = serve();

    // Produce: 3,000 records of 120 bytes over two partitions.
    let out = expect(
        &mut server.herald(&[
            "bench",
            "produce",
            "--topic",
            "bench-t",
            "--records",
            "3000",
            "--record-size",
            "120",
            "--partitions",
            "2",
            "--in-flight",
            "500",
            "--format",
            "json",
        ]),
        0,
    );
    let report: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(report["bench"], "produce");
    assert_eq!(report["records"], 3000);
    assert_eq!(report["failed"], 0);
    let bytes = report["bytes"].as_u64().unwrap();
    // Every value is 120 bytes, or 119 at an Avro length-prefix boundary.
    assert!((3000 * 119..=3000 * 120).contains(&bytes), "{report}");
    assert!(report["records_per_sec"].as_f64().unwrap() > 0.0);
    let rate = report["records_per_sec"].as_f64().unwrap();
    let seconds = report["seconds"].as_f64().unwrap();
    assert!((rate * seconds - 3000.0).abs() < 1.0, "{report}");
    assert_eq!(report["settings"]["acks"], "all");
    assert_eq!(report["settings"]["partitions"], 2);
    check_latency(&report["latency"][0], "send→ack", 3000);
    assert_eq!(records_in(&server.bootstrap, "bench-t", 2), 3000);

    // Consume: everything the topic holds, the same bytes.
    let out = expect(
        &mut server.herald(&["bench", "consume", "--topic", "bench-t", "--format", "json"]),
        0,
    );
    let report: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(report["bench"], "consume");
    assert_eq!(report["records"], 3000);
    assert_eq!(report["bytes"].as_u64(), Some(bytes));
    assert_eq!(report["latency"], Value::Array(vec![]));

    // Asking for more than there is: the report of what came, exit 1.
    let out = server
        .herald(&[
            "bench",
            "consume",
            "--topic",
            "bench-t",
            "--records",
            "3500",
            "--idle-timeout",
            "1s",
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));
    assert!(
        text(&out.stderr).contains("only 3000 of 3500 records arrived"),
        "{}",
        text(&out.stderr)
    );
    assert!(text(&out.stdout).contains("consume bench-t: 3000 records"));

    // End to end, in the human format: both latency spans.
    let out = expect(
        &mut server.herald(&[
            "bench",
            "e2e",
            "--topic",
            "bench-e2e",
            "--records",
            "2000",
            "--record-size",
            "64",
        ]),
        0,
    );
    assert!(
        out.starts_with("end-to-end bench-e2e: 2000 records"),
        "{out}"
    );
    assert!(out.contains("records/s") && out.contains("MB/s"), "{out}");
    for span in ["send→ack", "send→delivery"] {
        let line = out
            .lines()
            .find(|l| l.contains(span))
            .unwrap_or_else(|| panic!("{out}"));
        assert!(line.contains("p50") && line.contains("p99"), "{out}");
    }
    assert_eq!(records_in(&server.bootstrap, "bench-e2e", 1), 2000);

    // A size that cannot hold a record is a usage error.
    let out = server
        .herald(&["bench", "produce", "--record-size", "10"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out.stderr).contains("a record size is 32"),
        "{}",
        text(&out.stderr)
    );
}
