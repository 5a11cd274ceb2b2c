//! The JSON Schema compatibility table (tests/fixtures/json_compat.json),
//! run through the public API: `Schema::parse` and `herald_schema::check`.
//!
//! Each case names the rule it exercises, the level and policy, the previous
//! versions (oldest first) and the new schema, and expects a verdict and the
//! multiset of finding kinds. A schema entry is either a JSON Schema or
//! `{"$case": {"schema": S, "refs": {"name": S, …}}}` for a schema that
//! references other registered documents by name.

use std::collections::BTreeMap;

use herald_schema::{
    CheckOptions, CompatibilityLevel, JsonCompatibilityPolicy, MapResolver, Previous, Reference,
    ResolvedReference, Schema, SchemaType, check, is_compatible,
};
use serde_json::Value;

#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct Case {
    name: String,
    rule: String,
    level: CompatibilityLevel,
    #[serde(default)]
    policy: JsonCompatibilityPolicy,
    previous: Vec<Value>,
    new: Value,
    compatible: bool,
    #[serde(default)]
    findings: Vec<String>,
    /// Exact locations, as "KIND new_path old_path", for the findings listed.
    #[serde(default)]
    paths: Vec<String>,
    /// The versions the findings are against, when it matters.
    #[serde(default)]
    versions: Option<Vec<i32>>,
}

fn parse(entry: &Value) -> Result<Schema, String> {
    let (schema, refs) = match entry.get("$case") {
        Some(wrapped) => (
            wrapped["schema"].clone(),
            wrapped["refs"].as_object().cloned().unwrap_or_default(),
        ),
        None => (entry.clone(), serde_json::Map::new()),
    };
    let mut resolver = MapResolver::new();
    let mut references = Vec::new();
    for (name, text) in &refs {
        resolver.insert(
            format!("subject-{name}"),
            1,
            ResolvedReference {
                schema_type: SchemaType::Json,
                text: text.to_string(),
                references: vec![],
            },
        );
        references.push(Reference {
            name: name.clone(),
            subject: format!("subject-{name}"),
            version: 1,
        });
    }
    Schema::parse(
        SchemaType::Json,
        &schema.to_string(),
        &references,
        &resolver,
    )
    .map_err(|e| e.to_string())
}

fn run(case: &Case) -> Result<(), String> {
    let previous: Vec<Schema> = case
        .previous
        .iter()
        .map(parse)
        .collect::<Result<_, _>>()
        .map_err(|e| format!("previous schema does not parse: {e}"))?;
    let new = parse(&case.new).map_err(|e| format!("new schema does not parse: {e}"))?;
    let prev: Vec<Previous<'_>> = previous
        .iter()
        .enumerate()
        .map(|(i, schema)| Previous {
            version: i32::try_from(i).unwrap() + 1,
            schema,
        })
        .collect();
    let findings = check(
        case.level,
        &new,
        &prev,
        &CheckOptions::with_json_policy(case.policy),
    );
    let mut problems = Vec::new();
    if is_compatible(&findings) != case.compatible {
        problems.push(format!("expected compatible = {}", case.compatible));
    }
    let mut got: Vec<String> = findings.iter().map(|f| f.kind.name().to_owned()).collect();
    let mut want = case.findings.clone();
    got.sort();
    want.sort();
    if got != want {
        problems.push(format!("expected findings {want:?}, got {got:?}"));
    }
    for f in &findings {
        if f.message.len() < 20 {
            problems.push(format!(
                "finding {} has no real message: {:?}",
                f.kind, f.message
            ));
        }
    }
    for p in &case.paths {
        let mut parts = p.split(' ');
        let (kind, new_path, old_path) = (
            parts.next().unwrap_or(""),
            parts.next().unwrap_or(""),
            parts.next().unwrap_or(""),
        );
        let normalize = |s: &str| {
            if s == "/" {
                String::new()
            } else {
                s.to_owned()
            }
        };
        if !findings.iter().any(|f| {
            f.kind.name() == kind
                && f.new_path == normalize(new_path)
                && f.old_path == normalize(old_path)
        }) {
            let at: Vec<String> = findings
                .iter()
                .map(|f| format!("{} {} {}", f.kind, f.new_path, f.old_path))
                .collect();
            problems.push(format!("no finding {p}; got {at:?}"));
        }
    }
    if let Some(versions) = &case.versions {
        let mut got: Vec<i32> = findings.iter().filter_map(|f| f.version).collect();
        got.sort_unstable();
        got.dedup();
        if &got != versions {
            problems.push(format!(
                "expected findings against versions {versions:?}, got {got:?}"
            ));
        }
    }
    if problems.is_empty() {
        Ok(())
    } else {
        let messages: Vec<String> = findings.iter().map(ToString::to_string).collect();
        Err(format!(
            "{}\n      findings: {messages:#?}",
            problems.join("; ")
        ))
    }
}

#[test]
fn json_compatibility_table() {
    let text = include_str!("fixtures/json_compat.json");
    let cases: Vec<Case> = serde_json::from_str(text).expect("fixture parses");
    assert!(
        cases.len() >= 75,
        "the table has only {} cases",
        cases.len()
    );

    let mut names = BTreeMap::new();
    let mut failures = Vec::new();
    for case in &cases {
        assert!(!case.rule.is_empty(), "case {:?} names no rule", case.name);
        if names.insert(case.name.clone(), ()).is_some() {
            failures.push(format!("duplicate case name {:?}", case.name));
        }
        if let Err(e) = run(case) {
            failures.push(format!(
                "[{}] {} ({}, {:?}): {e}",
                case.rule, case.name, case.level, case.policy
            ));
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} cases failed:\n{}",
        failures.len(),
        cases.len(),
        failures.join("\n")
    );

    // The table covers every level and both policies.
    for level in CompatibilityLevel::ALL {
        assert!(
            cases.iter().any(|c| c.level == level),
            "no case at level {level}"
        );
    }
    for policy in [
        JsonCompatibilityPolicy::Strict,
        JsonCompatibilityPolicy::Lenient,
    ] {
        assert!(
            cases.iter().any(|c| c.policy == policy),
            "no case under {policy:?}"
        );
    }
}
