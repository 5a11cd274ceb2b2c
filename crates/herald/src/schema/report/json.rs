//! The report as one JSON document, for scripts.

use std::io::Write;

use serde_json::{Value, json};

use super::slash_path;
use crate::schema::check::{CheckReport, Status};

/// The report as a JSON value (also the basis of other formats' tests).
pub(super) fn to_value(report: &CheckReport) -> Value {
    let subjects: Vec<Value> = report
        .subjects
        .iter()
        .map(|s| {
            let findings: Vec<Value> = s
                .findings
                .iter()
                .map(|f| {
                    json!({
                        "rule": f.rule_id,
                        "kind": f.finding.kind.name(),
                        "severity": f.finding.severity,
                        "ignored": f.ignored,
                        "direction": f.finding.direction,
                        "version": f.finding.version,
                        "new_path": f.finding.new_path,
                        "old_path": f.finding.old_path,
                        "line": f.position.line,
                        "column": f.position.column,
                        "message": f.finding.message,
                        "hint": f.hint,
                    })
                })
                .collect();
            let error = s.problem.as_ref().map(|p| {
                json!({
                    "file": slash_path(&p.file),
                    "line": p.position.map(|p| p.line),
                    "column": p.position.map(|p| p.column),
                    "message": p.message,
                })
            });
            json!({
                "subject": s.subject,
                "file": slash_path(&s.file),
                "type": s.schema_type.as_str(),
                "compatibility": s.level.as_str(),
                "status": s.status.as_str(),
                "compared_versions": s.compared,
                "findings": findings,
                "error": error,
            })
        })
        .collect();
    json!({
        "against": report.against,
        "passed": report.exit_code() == 0,
        "summary": {
            "subjects": report.subjects.len(),
            "compatible": report.count(Status::Compatible),
            "new": report.count(Status::New),
            "incompatible": report.count(Status::Incompatible),
            "invalid": report.count(Status::Invalid),
        },
        "subjects": subjects,
    })
}

pub(super) fn write(report: &CheckReport, out: &mut dyn Write) -> anyhow::Result<()> {
    serde_json::to_writer_pretty(&mut *out, &to_value(report))?;
    writeln!(out)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::super::{Format, fixture};

    #[test]
    fn carries_status_rule_ids_and_positions() {
        let v: serde_json::Value = serde_json::from_str(&fixture::render(Format::Json)).unwrap();
        assert_eq!(v["passed"], false);
        assert_eq!(v["summary"]["incompatible"], 1);
        assert_eq!(v["summary"]["invalid"], 1);
        let orders = &v["subjects"][0];
        assert_eq!(orders["status"], "incompatible");
        let f = &orders["findings"][0];
        assert_eq!(f["rule"], "avro/READER_FIELD_MISSING_DEFAULT_VALUE");
        assert_eq!(f["severity"], "error");
        assert_eq!(f["direction"], "backward");
        assert_eq!(
            (f["line"].as_u64(), f["version"].as_i64()),
            (Some(3), Some(1))
        );
        assert_eq!(v["subjects"][2]["error"]["line"], 2);
    }
}
