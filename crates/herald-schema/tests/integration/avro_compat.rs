//! The Avro compatibility table (tests/fixtures/avro_compat.json): each case
//! names the rule it exercises, the level, the previous versions (oldest
//! first) and the new schema, and states whether the change is compatible
//! and which finding kinds it produces. Everything goes through the public
//! API: `Schema::parse` and `herald_schema::check`.

use std::collections::BTreeSet;

use herald_schema::{
    CheckOptions, CompatibilityLevel, Direction, Finding, MapResolver, Previous, Reference,
    ResolvedReference, Schema, SchemaType, Severity, check, is_compatible,
};
use serde_json::Value;

/// A version entry is either a schema, or `{"schema": ..., "references": [...]}`
/// (a wrapper has no `type` key, which every Avro schema object has).
fn parse_entry(entry: &Value, resolver: &MapResolver, rule: &str) -> Schema {
    let (schema, references) = match entry {
        Value::Object(m) if !m.contains_key("type") && m.contains_key("schema") => {
            let refs: Vec<Reference> = serde_json::from_value(m["references"].clone()).unwrap();
            (&m["schema"], refs)
        }
        other => (other, Vec::new()),
    };
    let text = serde_json::to_string(schema).unwrap();
    Schema::parse(SchemaType::Avro, &text, &references, resolver)
        .unwrap_or_else(|e| panic!("case {rule:?}: {text} does not parse: {e}"))
}

fn resolver_of(case: &Value) -> MapResolver {
    let mut m = MapResolver::new();
    if let Some(Value::Array(entries)) = case.get("registry") {
        for e in entries {
            m.insert(
                e["subject"].as_str().unwrap(),
                e["version"].as_i64().unwrap() as i32,
                ResolvedReference {
                    schema_type: SchemaType::Avro,
                    text: serde_json::to_string(&e["schema"]).unwrap(),
                    references: vec![],
                },
            );
        }
    }
    m
}

fn strings(v: Option<&Value>) -> Vec<String> {
    v.and_then(Value::as_array)
        .map(|a| a.iter().map(|s| s.as_str().unwrap().to_owned()).collect())
        .unwrap_or_default()
}

fn describe(findings: &[Finding]) -> String {
    findings
        .iter()
        .map(|f| format!("\n  {f} [{:?}]", f.direction))
        .collect()
}

/// Runs one case and returns a description of what went wrong, if anything.
fn run(case: &Value) -> Result<(), String> {
    let rule = case["rule"].as_str().unwrap();
    let level: CompatibilityLevel = case["level"].as_str().unwrap().parse().unwrap();
    let resolver = resolver_of(case);
    let previous: Vec<Schema> = case["previous"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| parse_entry(e, &resolver, rule))
        .collect();
    let new = parse_entry(&case["new"], &resolver, rule);
    let prev: Vec<Previous<'_>> = previous
        .iter()
        .enumerate()
        .map(|(i, schema)| Previous {
            version: i as i32 + 1,
            schema,
        })
        .collect();
    let findings = check(level, &new, &prev, &CheckOptions::default());
    let got = describe(&findings);

    let compatible = case["compatible"].as_bool().unwrap();
    if is_compatible(&findings) != compatible {
        return Err(format!(
            "expected compatible = {compatible}, findings:{got}"
        ));
    }
    let kinds: BTreeSet<String> = findings.iter().map(|f| f.kind.name().to_owned()).collect();
    let expected: BTreeSet<String> = strings(case.get("kinds")).into_iter().collect();
    if kinds != expected {
        return Err(format!("expected kinds {expected:?}, got {kinds:?}:{got}"));
    }
    if let Some(n) = case.get("count").and_then(Value::as_u64)
        && findings.len() as u64 != n
    {
        return Err(format!(
            "expected {n} findings, got {}:{got}",
            findings.len()
        ));
    }
    if let Some(Value::Array(paths)) = case.get("paths") {
        for p in paths {
            let (kind, new_path, old_path) = (
                p[0].as_str().unwrap(),
                p[1].as_str().unwrap(),
                p[2].as_str().unwrap(),
            );
            if !findings
                .iter()
                .any(|f| f.kind.name() == kind && f.new_path == new_path && f.old_path == old_path)
            {
                return Err(format!(
                    "expected {kind} at new {new_path:?} / old {old_path:?}:{got}"
                ));
            }
        }
    }
    for phrase in strings(case.get("messages")) {
        if !findings.iter().any(|f| f.message.contains(&phrase)) {
            return Err(format!("expected a message containing {phrase:?}:{got}"));
        }
    }
    let errors: Vec<&Finding> = findings
        .iter()
        .filter(|f| f.severity == Severity::Error)
        .collect();
    if let Some(Value::Array(versions)) = case.get("versions") {
        let mut seen: Vec<i64> = Vec::new();
        for f in &errors {
            let v = i64::from(f.version.unwrap());
            if !seen.contains(&v) {
                seen.push(v);
            }
        }
        let expected: Vec<i64> = versions.iter().map(|v| v.as_i64().unwrap()).collect();
        if seen != expected {
            return Err(format!(
                "expected errors against versions {expected:?}, got {seen:?}:{got}"
            ));
        }
    }
    if let Some(Value::Array(dirs)) = case.get("directions") {
        let seen: BTreeSet<&str> = errors
            .iter()
            .map(|f| match f.direction {
                Direction::Backward => "backward",
                Direction::Forward => "forward",
            })
            .collect();
        let expected: BTreeSet<&str> = dirs.iter().map(|d| d.as_str().unwrap()).collect();
        if seen != expected {
            return Err(format!(
                "expected errors in directions {expected:?}, got {seen:?}:{got}"
            ));
        }
    }
    for f in &findings {
        if f.version.is_none() || f.message.len() < 20 {
            return Err(format!("finding without version or sentence:{got}"));
        }
    }
    Ok(())
}

#[test]
fn compatibility_table() {
    let cases: Vec<Value> =
        serde_json::from_str(include_str!("fixtures/avro_compat.json")).unwrap();
    assert!(cases.len() >= 85, "the table must keep at least 85 cases");
    let levels: BTreeSet<&str> = cases.iter().map(|c| c["level"].as_str().unwrap()).collect();
    assert_eq!(levels.len(), 7, "every level is exercised: {levels:?}");
    let failures: Vec<String> = cases
        .iter()
        .filter_map(|c| {
            run(c)
                .err()
                .map(|e| format!("[{}] {}: {e}", c["level"], c["rule"]))
        })
        .collect();
    assert!(
        failures.is_empty(),
        "{} of {} cases failed:\n{}",
        failures.len(),
        cases.len(),
        failures.join("\n")
    );
}
