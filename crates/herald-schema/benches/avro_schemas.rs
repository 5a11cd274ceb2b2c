//! Avro benchmarks (`cargo bench -p herald-schema --bench avro_schemas`):
//! 1. compatibility of a 500-field record against 100 previous versions at
//!    FULL_TRANSITIVE (target: under 50 ms);
//! 2. parse + canonicalize + fingerprint 10,000 distinct schemas of about 30
//!    fields each (target: under 1 s).
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

use std::hint::black_box;
use std::time::Duration;

use criterion::{Criterion, criterion_group, criterion_main};
use herald_schema::{
    CheckOptions, CompatibilityLevel, NoReferences, Previous, Schema, SchemaType, check,
    is_compatible,
};

/// The JSON of field `i`; every type a real schema uses, all with defaults so
/// adding any of them is compatible in both directions.
fn field(i: usize, salt: usize) -> String {
    let name = format!("f{i}_{salt}");
    match i % 10 {
        0 => format!(r#"{{"name":"{name}","type":"int","default":0}}"#),
        1 => format!(r#"{{"name":"{name}","type":"long","default":0,"doc":"a counter"}}"#),
        2 => format!(r#"{{"name":"{name}","type":["null","string"],"default":null}}"#),
        3 => format!(r#"{{"name":"{name}","type":"double","default":0.5}}"#),
        4 => format!(
            r#"{{"name":"{name}","type":{{"type":"long","logicalType":"timestamp-millis"}},"default":0}}"#
        ),
        5 => format!(
            r#"{{"name":"{name}","type":{{"type":"enum","name":"E{i}_{salt}","symbols":["A","B","C"],"default":"A"}},"default":"A"}}"#
        ),
        6 => format!(
            r#"{{"name":"{name}","type":{{"type":"array","items":"string"}},"default":[]}}"#
        ),
        7 => {
            format!(r#"{{"name":"{name}","type":{{"type":"map","values":"long"}},"default":{{}}}}"#)
        }
        8 => format!(
            r#"{{"name":"{name}","type":{{"type":"bytes","logicalType":"decimal","precision":12,"scale":2}},"default":"\u0000"}}"#
        ),
        _ => format!(
            r#"{{"name":"{name}","type":{{"type":"record","name":"N{i}_{salt}","fields":[{{"name":"a","type":"string","default":""}},{{"name":"b","type":["null","int"],"default":null}},{{"name":"c","type":"boolean","default":false}}]}},"default":{{"a":"","b":null,"c":false}}}}"#
        ),
    }
}

fn record(name: &str, namespace: &str, fields: usize, salt: usize) -> String {
    let fields: Vec<String> = (0..fields).map(|i| field(i, salt)).collect();
    format!(
        r#"{{"type":"record","name":"{name}","namespace":"{namespace}","doc":"generated","fields":[{}]}}"#,
        fields.join(",")
    )
}

fn parse(text: &str) -> Schema {
    Schema::parse(SchemaType::Avro, text, &[], &NoReferences).unwrap()
}

fn compat_500_fields_100_versions(c: &mut Criterion) {
    // Version k has 400 + k fields; the new schema has 500.
    let versions: Vec<Schema> = (1..=100)
        .map(|k| parse(&record("Big", "bench", 400 + k - 1, 0)))
        .collect();
    let new = parse(&record("Big", "bench", 500, 0));
    let previous: Vec<Previous<'_>> = versions
        .iter()
        .enumerate()
        .map(|(i, schema)| Previous {
            version: i as i32 + 1,
            schema,
        })
        .collect();
    assert!(is_compatible(&check(
        CompatibilityLevel::FullTransitive,
        &new,
        &previous,
        &CheckOptions::default()
    )));
    c.bench_function(
        "avro compat: 500 fields vs 100 versions, FULL_TRANSITIVE",
        |b| {
            b.iter(|| {
                black_box(check(
                    CompatibilityLevel::FullTransitive,
                    black_box(&new),
                    black_box(&previous),
                    &CheckOptions::default(),
                ))
            })
        },
    );
}

fn parse_10k_schemas(c: &mut Criterion) {
    let texts: Vec<String> = (0..10_000)
        .map(|i| record(&format!("Rec{i}"), &format!("ns{}", i % 97), 30, i))
        .collect();
    let mut group = c.benchmark_group("avro parse");
    group
        .sample_size(10)
        .measurement_time(Duration::from_secs(20));
    group.bench_function(
        "parse + canonical + fingerprints, 10,000 schemas of 30 fields",
        |b| {
            b.iter(|| {
                for t in &texts {
                    let s = parse(t);
                    let Schema::Avro(a) = &s else {
                        unreachable!("parsed as Avro")
                    };
                    black_box((s.md5(), a.rabin_fingerprint(), s.canonical().len()));
                }
            })
        },
    );
    group.finish();
}

criterion_group!(benches, compat_500_fields_100_versions, parse_10k_schemas);
criterion_main!(benches);
