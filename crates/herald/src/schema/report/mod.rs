//! Writing a [`CheckReport`] for people (colored on a terminal) and for CI
//! tools: JSON, JUnit XML, GitHub Actions annotations and SARIF 2.1.0.

mod github;
mod human;
mod json;
mod junit;
mod sarif;

use std::io::Write;

use super::check::CheckReport;

/// An output format of `herald schema check`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub(crate) enum Format {
    /// Per subject OK / BROKEN with findings, hints and file:line (colored on a terminal).
    #[default]
    Human,
    /// One JSON document.
    Json,
    /// JUnit XML: a test case per subject (CI test reports).
    Junit,
    /// GitHub Actions workflow commands (`::error file=…,line=…::`).
    Github,
    /// SARIF 2.1.0 for GitHub code scanning.
    Sarif,
}

/// Writes `report` in `format` to `out`; the human format is colored when
/// `color` (stdout is a terminal and colors are not turned off).
pub(crate) fn write(
    report: &CheckReport,
    format: Format,
    color: bool,
    out: &mut dyn Write,
) -> anyhow::Result<()> {
    match format {
        Format::Human => human::write(report, out, color)?,
        Format::Json => json::write(report, out)?,
        Format::Junit => junit::write(report, out)?,
        Format::Github => github::write(report, out)?,
        Format::Sarif => sarif::write(report, out)?,
    }
    out.flush()?;
    Ok(())
}

/// A file path with forward slashes, as CI tools and URIs expect.
pub(crate) fn slash_path(path: &std::path::Path) -> String {
    let s = path.to_string_lossy().replace('\\', "/");
    s.strip_prefix("./").map(str::to_owned).unwrap_or(s)
}

/// `"/fields/3"`, or `"/"` for the root.
pub(crate) fn display_pointer(p: &str) -> &str {
    if p.is_empty() { "/" } else { p }
}

#[cfg(test)]
pub(crate) mod fixture {
    //! A report with one subject of each status, for the format tests.

    use std::path::PathBuf;

    use herald_schema::{
        CheckOptions, CompatibilityLevel, NoReferences, Previous, Schema, SchemaType, check,
    };

    use crate::schema::check::{CheckReport, Reported, Status, SubjectReport};
    use crate::schema::hints::hint;
    use crate::schema::load::Problem;
    use crate::schema::locate::{Position, locate};

    pub(crate) const NEW_TEXT: &str = "{\"type\": \"record\", \"name\": \"Order\", \"fields\": [\n  {\"name\": \"id\", \"type\": \"string\"},\n  {\"name\": \"qty\", \"type\": \"int\"}\n]}\n";

    pub(crate) fn report() -> CheckReport {
        let old = Schema::parse(
            SchemaType::Avro,
            r#"{"type":"record","name":"Order","fields":[{"name":"id","type":"string"}]}"#,
            &[],
            &NoReferences,
        )
        .unwrap();
        let new = Schema::parse(SchemaType::Avro, NEW_TEXT, &[], &NoReferences).unwrap();
        let findings = check(
            CompatibilityLevel::Backward,
            &new,
            &[Previous {
                version: 1,
                schema: &old,
            }],
            &CheckOptions::default(),
        )
        .into_iter()
        .map(|finding| Reported {
            rule_id: finding.kind.rule_id(),
            ignored: false,
            position: locate(NEW_TEXT, &finding.new_path),
            hint: hint(&finding),
            finding,
        })
        .collect();
        let subject = |name: &str, status, findings, problem| SubjectReport {
            subject: name.to_owned(),
            file: PathBuf::from(format!("schemas/{name}.avsc")),
            schema_type: SchemaType::Avro,
            level: CompatibilityLevel::Backward,
            status,
            compared: vec![1],
            findings,
            problem,
        };
        CheckReport {
            against: "git revision main".to_owned(),
            subjects: vec![
                subject("orders-value", Status::Incompatible, findings, None),
                subject("money", Status::Compatible, vec![], None),
                subject(
                    "broken-value",
                    Status::Invalid,
                    vec![],
                    Some(Problem {
                        file: PathBuf::from("schemas/broken-value.avsc"),
                        position: Some(Position { line: 2, column: 5 }),
                        message: "invalid Avro schema at /fields: <a & b>".to_owned(),
                    }),
                ),
            ],
        }
    }

    pub(crate) fn render(format: super::Format) -> String {
        let mut out = Vec::new();
        super::write(&report(), format, false, &mut out).unwrap();
        String::from_utf8(out).unwrap()
    }
}
