//! JSON Schema speed: parsing + canonicalizing many distinct schemas, and a
//! FULL_TRANSITIVE compatibility check of a large object schema against a
//! long history.
//!
//! `cargo bench -p herald-schema --bench json`
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::hint::black_box;

use criterion::{Criterion, criterion_group, criterion_main};
use herald_schema::{
    CheckOptions, CompatibilityLevel, NoReferences, Previous, Schema, SchemaType, check,
    is_compatible,
};
use serde_json::{Map, Value, json};

/// One property schema of a realistic mix, varied by `i` and `salt`.
fn property(i: usize, salt: usize) -> Value {
    match (i + salt) % 7 {
        0 => {
            json!({"type": "string", "maxLength": 64 + salt % 50, "description": format!("field {i}")})
        }
        1 => json!({"type": "integer", "minimum": 0}),
        2 => json!({"type": "number", "maximum": 1_000_000}),
        3 => json!({"type": "boolean", "default": false}),
        4 => json!({"type": "array", "items": {"type": "string", "pattern": "^[a-z]+$"}}),
        5 => json!({"enum": ["NEW", "PAID", "SHIPPED", format!("S{salt}")]}),
        _ => json!({
            "type": "object",
            "properties": {"street": {"type": "string"}, "zip": {"type": ["string", "null"]}},
            "required": ["street"],
            "additionalProperties": false
        }),
    }
}

/// 10,000 distinct documents of 30 properties each.
fn distinct_schemas(count: usize, properties: usize) -> Vec<String> {
    (0..count)
        .map(|n| {
            let props: Map<String, Value> = (0..properties)
                .map(|i| (format!("f{n}_{i}"), property(i, n)))
                .collect();
            json!({
                "$schema": "http://json-schema.org/draft-07/schema#",
                "title": format!("Event{n}"),
                "type": "object",
                "properties": props,
                "required": [format!("f{n}_0"), format!("f{n}_1")]
            })
            .to_string()
        })
        .collect()
}

/// Version `k` of a subject whose object keeps 300 fixed properties and has
/// string properties added over time; its partially open content model
/// (`additionalProperties: {"type": "string"}`) makes every addition FULL
/// compatible under STRICT. Descriptions change between versions.
fn version(k: usize, total: usize, via_refs: bool) -> Schema {
    let mut props = Map::new();
    let mut definitions = Map::new();
    for i in 0..total {
        let schema = if i < 300 {
            property(i, 0)
        } else {
            json!({"type": "string", "description": format!("added field {i}, revision {k}")})
        };
        if via_refs {
            definitions.insert(format!("D{i}"), schema);
            props.insert(
                format!("p{i}"),
                json!({"$ref": format!("#/definitions/D{i}")}),
            );
        } else {
            props.insert(format!("p{i}"), schema);
        }
    }
    let mut doc = json!({
        "type": "object",
        "description": format!("revision {k}"),
        "properties": props,
        "required": ["p0", "p1"],
        "additionalProperties": {"type": "string"}
    });
    if via_refs {
        doc["definitions"] = Value::Object(definitions);
    }
    Schema::parse(SchemaType::Json, &doc.to_string(), &[], &NoReferences).unwrap()
}

fn bench_parse(c: &mut Criterion) {
    let texts = distinct_schemas(10_000, 30);
    let mut group = c.benchmark_group("json_parse");
    group.sample_size(10);
    group.bench_function("parse_and_canonicalize_10k_schemas_of_30_properties", |b| {
        b.iter(|| {
            for text in &texts {
                let schema = Schema::parse(SchemaType::Json, text, &[], &NoReferences).unwrap();
                black_box(schema.canonical());
            }
        });
    });
    // `normalized` is computed on first use (registrations with normalize=true).
    group.bench_function(
        "parse_canonicalize_and_normalize_10k_schemas_of_30_properties",
        |b| {
            b.iter(|| {
                for text in &texts {
                    let schema = Schema::parse(SchemaType::Json, text, &[], &NoReferences).unwrap();
                    black_box(schema.canonical());
                    black_box(schema.normalized());
                }
            });
        },
    );
    group.finish();
}

fn bench_check(c: &mut Criterion) {
    let mut group = c.benchmark_group("json_check");
    group.sample_size(20);
    for via_refs in [false, true] {
        // 100 previous versions with 401..=500 properties; the new one has 500.
        let history: Vec<Schema> = (0..100).map(|k| version(k, 401 + k, via_refs)).collect();
        let new = version(100, 500, via_refs);
        let previous: Vec<Previous<'_>> = history
            .iter()
            .enumerate()
            .map(|(i, schema)| Previous {
                version: i32::try_from(i).unwrap() + 1,
                schema,
            })
            .collect();
        let findings = check(
            CompatibilityLevel::FullTransitive,
            &new,
            &previous,
            &CheckOptions::default(),
        );
        assert!(is_compatible(&findings), "{findings:?}");
        let name = if via_refs {
            "full_transitive_500_properties_via_refs_against_100_versions"
        } else {
            "full_transitive_500_properties_against_100_versions"
        };
        group.bench_function(name, |b| {
            b.iter(|| {
                black_box(check(
                    CompatibilityLevel::FullTransitive,
                    &new,
                    &previous,
                    &CheckOptions::default(),
                ))
            });
        });
    }
    group.finish();
}

criterion_group!(benches, bench_parse, bench_check);
criterion_main!(benches);
