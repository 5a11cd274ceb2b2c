//! JUnit XML for CI test reports: one test suite, one test case per
//! subject; an incompatible subject fails with its findings, an invalid one
//! is an error.

use std::io::Write;

use herald_schema::Severity;
use quick_junit::{NonSuccessKind, Report, TestCase, TestCaseStatus, TestSuite};

use super::display_pointer;
use crate::schema::check::{CheckReport, Status};

pub(super) fn write(report: &CheckReport, out: &mut dyn Write) -> anyhow::Result<()> {
    let mut suite = TestSuite::new(format!("herald schema check against {}", report.against));
    for s in &report.subjects {
        let details: Vec<String> = s
            .findings
            .iter()
            .map(|f| {
                format!(
                    "{}{}[{}] {}:{}:{} at {} (old {}): {}\n  hint: {}",
                    if f.ignored { "ignored " } else { "" },
                    match f.finding.severity {
                        Severity::Error => "error",
                        Severity::Warning => "warning",
                    },
                    f.rule_id,
                    s.file.display(),
                    f.position.line,
                    f.position.column,
                    display_pointer(&f.finding.new_path),
                    display_pointer(&f.finding.old_path),
                    f.finding.message,
                    f.hint
                )
            })
            .collect();
        let status = match s.status {
            Status::Compatible | Status::New => TestCaseStatus::success(),
            Status::Incompatible => {
                let failing: Vec<&str> = s
                    .findings
                    .iter()
                    .filter(|f| f.fails())
                    .map(|f| f.rule_id.as_str())
                    .collect();
                let mut status = TestCaseStatus::non_success(NonSuccessKind::Failure);
                status
                    .set_message(format!(
                        "{} is not {} compatible: {}",
                        s.subject,
                        s.level,
                        failing.join(", ")
                    ))
                    .set_type("incompatible")
                    .set_description(details.join("\n"));
                status
            }
            Status::Invalid => {
                let mut status = TestCaseStatus::non_success(NonSuccessKind::Error);
                if let Some(p) = &s.problem {
                    status.set_message(p.to_string()).set_type("invalid");
                }
                status
            }
        };
        let mut case = TestCase::new(s.subject.clone(), status);
        case.set_classname(format!(
            "herald.schema.{}",
            s.schema_type.as_str().to_lowercase()
        ));
        if matches!(s.status, Status::Compatible | Status::New) && !details.is_empty() {
            case.set_system_out(details.join("\n"));
        }
        suite.add_test_case(case);
    }
    let mut junit = Report::new("herald");
    junit.add_test_suite(suite);
    junit.serialize(&mut *out)?;
    writeln!(out)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::super::{Format, fixture};

    #[test]
    fn one_case_per_subject_failures_and_errors_counted_and_xml_escaped() {
        let xml = fixture::render(Format::Junit);
        assert!(xml.starts_with("<?xml"), "{xml}");
        assert!(xml.contains("tests=\"3\""), "{xml}");
        assert!(xml.contains("failures=\"1\""), "{xml}");
        assert!(xml.contains("errors=\"1\""), "{xml}");
        assert!(xml.contains("<testcase name=\"orders-value\""), "{xml}");
        assert!(
            xml.contains("avro/READER_FIELD_MISSING_DEFAULT_VALUE"),
            "{xml}"
        );
        assert!(xml.contains("&lt;a &amp; b&gt;"), "{xml}");
    }
}
