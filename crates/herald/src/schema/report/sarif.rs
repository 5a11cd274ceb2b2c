//! SARIF 2.1.0 for GitHub code scanning: one rule per finding kind (with
//! its stable id), one result per finding, located in the schema file.
//!
//! Written with `serde_json` rather than a SARIF crate: the few properties
//! code scanning reads are clearer spelled out than built through a full
//! object model of the standard.

use std::collections::BTreeMap;
use std::io::Write;

use herald_schema::Severity;
use serde_json::{Value, json};

use super::{display_pointer, slash_path};
use crate::schema::check::CheckReport;

const SCHEMA: &str = "https://json.schemastore.org/sarif-2.1.0.json";

pub(super) fn write(report: &CheckReport, out: &mut dyn Write) -> anyhow::Result<()> {
    serde_json::to_writer_pretty(&mut *out, &to_value(report))?;
    writeln!(out)?;
    Ok(())
}

fn to_value(report: &CheckReport) -> Value {
    let mut rules: BTreeMap<String, Value> = BTreeMap::new();
    let mut results = Vec::new();
    for s in &report.subjects {
        let uri = slash_path(&s.file);
        if let Some(p) = &s.problem {
            rules
                .entry("herald/INVALID_SCHEMA".to_owned())
                .or_insert_with(|| {
                    json!({
                        "id": "herald/INVALID_SCHEMA",
                        "name": "InvalidSchema",
                        "shortDescription": { "text": "The schema file cannot be read or parsed" },
                        "defaultConfiguration": { "level": "error" },
                    })
                });
            let mut region = json!({});
            if let Some(pos) = p.position {
                region = json!({ "startLine": pos.line, "startColumn": pos.column });
            }
            results.push(json!({
                "ruleId": "herald/INVALID_SCHEMA",
                "level": "error",
                "message": { "text": format!("{}: {}", s.subject, p.message) },
                "locations": [location(&slash_path(&p.file), region)],
            }));
        }
        for f in &s.findings {
            rules.entry(f.rule_id.clone()).or_insert_with(|| {
                json!({
                    "id": f.rule_id,
                    "name": f.finding.kind.name(),
                    "shortDescription": { "text": format!("{} incompatibility {}", kind_format(&f.rule_id), f.finding.kind.name()) },
                    "help": { "text": f.hint },
                    "defaultConfiguration": { "level": match f.finding.severity {
                        Severity::Error => "error",
                        Severity::Warning => "warning",
                    } },
                })
            });
            let level = match (f.ignored, f.finding.severity) {
                (true, _) => "note",
                (false, Severity::Error) => "error",
                (false, Severity::Warning) => "warning",
            };
            let mut result = json!({
                "ruleId": f.rule_id,
                "level": level,
                "message": { "text": format!(
                    "{}: {} (at {}, old {}{}). Hint: {}",
                    s.subject,
                    f.finding.message,
                    display_pointer(&f.finding.new_path),
                    display_pointer(&f.finding.old_path),
                    f.finding.version.map(|v| format!(", against version {v}")).unwrap_or_default(),
                    f.hint,
                ) },
                "locations": [location(&uri, json!({
                    "startLine": f.position.line,
                    "startColumn": f.position.column,
                }))],
                "partialFingerprints": {
                    "heraldFinding/v1": format!("{}|{}|{}|{}", s.subject, f.rule_id, f.finding.new_path, f.finding.old_path),
                },
                "properties": {
                    "subject": s.subject,
                    "compatibility": s.level.as_str(),
                    "direction": f.finding.direction,
                    "version": f.finding.version,
                    "newPath": f.finding.new_path,
                    "oldPath": f.finding.old_path,
                },
            });
            if f.ignored {
                result["suppressions"] = json!([{ "kind": "inSource", "justification": "ignored in the herald manifest" }]);
            }
            results.push(result);
        }
    }
    json!({
        "$schema": SCHEMA,
        "version": "2.1.0",
        "runs": [{
            "tool": { "driver": {
                "name": "herald",
                "informationUri": "https://github.com/herald-rs/herald",
                "version": env!("CARGO_PKG_VERSION"),
                "rules": rules.into_values().collect::<Vec<_>>(),
            } },
            "results": results,
        }],
    })
}

fn kind_format(rule_id: &str) -> &str {
    match rule_id.split_once('/') {
        Some(("avro", _)) => "Avro",
        Some(("json", _)) => "JSON Schema",
        _ => "schema",
    }
}

fn location(uri: &str, region: Value) -> Value {
    json!({ "physicalLocation": {
        "artifactLocation": { "uri": uri, "uriBaseId": "%SRCROOT%" },
        "region": region,
    } })
}

#[cfg(test)]
mod tests {
    use super::super::{Format, fixture};

    #[test]
    fn results_reference_declared_rules_and_point_into_the_file() {
        let v: serde_json::Value = serde_json::from_str(&fixture::render(Format::Sarif)).unwrap();
        assert_eq!(v["version"], "2.1.0");
        let run = &v["runs"][0];
        let rules: Vec<&str> = run["tool"]["driver"]["rules"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r["id"].as_str().unwrap())
            .collect();
        let results = run["results"].as_array().unwrap();
        assert_eq!(results.len(), 2, "{results:#?}");
        for r in results {
            assert!(rules.contains(&r["ruleId"].as_str().unwrap()), "{r}");
            assert!(
                r["locations"][0]["physicalLocation"]["region"]["startLine"]
                    .as_u64()
                    .is_some()
            );
        }
        let finding = results
            .iter()
            .find(|r| r["ruleId"] == "avro/READER_FIELD_MISSING_DEFAULT_VALUE")
            .unwrap();
        assert_eq!(finding["level"], "error");
        assert_eq!(
            finding["locations"][0]["physicalLocation"]["artifactLocation"]["uri"],
            "schemas/orders-value.avsc"
        );
        assert_eq!(
            finding["locations"][0]["physicalLocation"]["region"]["startLine"],
            3
        );
    }
}
