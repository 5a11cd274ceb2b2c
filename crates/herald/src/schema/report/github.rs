//! GitHub Actions workflow commands: one `::error` / `::warning` annotation
//! per finding, on the schema file and line, plus a summary notice.

use std::io::Write;

use herald_schema::Severity;

use super::{display_pointer, slash_path};
use crate::schema::check::CheckReport;

pub(super) fn write(report: &CheckReport, out: &mut dyn Write) -> std::io::Result<()> {
    for s in &report.subjects {
        if let Some(p) = &s.problem {
            let mut props = format!("file={}", property(&slash_path(&p.file)));
            if let Some(pos) = p.position {
                props.push_str(&format!(",line={},col={}", pos.line, pos.column));
            }
            props.push_str(&format!(
                ",title={}",
                property(&format!("{}: invalid schema", s.subject))
            ));
            writeln!(out, "::error {props}::{}", data(&p.message))?;
        }
        for f in s.findings.iter().filter(|f| !f.ignored) {
            let level = match f.finding.severity {
                Severity::Error => "error",
                Severity::Warning => "warning",
            };
            let title = format!("{} {}", s.subject, f.rule_id);
            let message = format!(
                "{} (at {}, old {}, {}) Hint: {}",
                f.finding.message,
                display_pointer(&f.finding.new_path),
                display_pointer(&f.finding.old_path),
                f.finding
                    .version
                    .map(|v| format!("against version {v}"))
                    .unwrap_or_else(|| "no version".to_owned()),
                f.hint
            );
            writeln!(
                out,
                "::{level} file={},line={},col={},title={}::{}",
                property(&slash_path(&s.file)),
                f.position.line,
                f.position.column,
                property(&title),
                data(&message)
            )?;
        }
    }
    let broken: Vec<&str> = report
        .subjects
        .iter()
        .filter(|s| s.problem.is_some() || s.findings.iter().any(|f| f.fails()))
        .map(|s| s.subject.as_str())
        .collect();
    let summary = if broken.is_empty() {
        format!(
            "{} subjects compatible with {}",
            report.subjects.len(),
            report.against
        )
    } else {
        format!(
            "incompatible or invalid against {}: {}",
            report.against,
            broken.join(", ")
        )
    };
    writeln!(
        out,
        "::notice title=herald schema check::{}",
        data(&summary)
    )
}

/// Escapes a command's message (GitHub's `escapeData`).
fn data(s: &str) -> String {
    s.replace('%', "%25")
        .replace('\r', "%0D")
        .replace('\n', "%0A")
}

/// Escapes a command property value (GitHub's `escapeProperty`).
fn property(s: &str) -> String {
    data(s).replace(':', "%3A").replace(',', "%2C")
}

#[cfg(test)]
mod tests {
    use super::super::{Format, fixture};

    #[test]
    fn annotations_point_at_file_and_line_with_escaping() {
        let text = fixture::render(Format::Github);
        let lines: Vec<&str> = text.lines().collect();
        assert!(
            lines.iter().any(|l| l.starts_with(
                "::error file=schemas/orders-value.avsc,line=3,col=3,title=orders-value avro/READER_FIELD_MISSING_DEFAULT_VALUE::"
            )),
            "{text}"
        );
        assert!(
            lines.iter().any(|l| l.starts_with(
                "::error file=schemas/broken-value.avsc,line=2,col=5,title=broken-value%3A invalid schema::"
            )),
            "{text}"
        );
        assert!(
            lines
                .last()
                .unwrap()
                .starts_with("::notice title=herald schema check::incompatible")
        );
        assert_eq!(super::data("50%\nx"), "50%25%0Ax");
        assert_eq!(super::property("a:b,c"), "a%3Ab%2Cc");
    }
}
