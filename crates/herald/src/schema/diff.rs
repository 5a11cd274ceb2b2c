//! `herald schema diff`: what changed between two versions of a subject
//! (or between a registered version and a local file), as a line diff of
//! the pretty-printed schemas followed by what the change means for
//! readers in each direction.

use std::io::Write;
use std::path::PathBuf;

use anstyle::{AnsiColor, Style};
use anyhow::Context;
use clap::Args;
use herald_client::registry::{DeletedFilter, SchemaText, Version};
use herald_schema::{
    CheckOptions, CompatibilityLevel, Previous, Schema, SchemaType, Severity, check,
};
use similar::{ChangeTag, TextDiff};

use super::manifest::type_from_extension;
use super::{RegistryFlag, registry_error};

/// Flags of `herald schema diff`.
#[derive(Debug, Args)]
pub(crate) struct DiffArgs {
    /// The subject.
    subject: String,
    /// The older version (default: the one before the newer).
    old: Option<i32>,
    /// The newer version (default: the latest).
    new: Option<i32>,
    /// Compare the registered version (`OLD`, default the latest) with this file instead.
    #[arg(long)]
    file: Option<PathBuf>,
    #[command(flatten)]
    registry: RegistryFlag,
}

const RED: Style = AnsiColor::Red.on_default();
const GREEN: Style = AnsiColor::Green.on_default();
const CYAN: Style = AnsiColor::Cyan.on_default();
const BOLD: Style = Style::new().bold();

pub(crate) async fn run(args: DiffArgs) -> anyhow::Result<u8> {
    let client = args.registry.client()?;
    let versions = client
        .versions(&args.subject, DeletedFilter::Live)
        .await
        .map_err(|e| registry_error(e, &format!("listing versions of {}", args.subject)))?;
    let latest = versions
        .last()
        .copied()
        .context("the subject has no live version")?;
    let fetch = |v: i32| {
        let client = client.clone();
        let subject = args.subject.clone();
        async move {
            let registered = client
                .version(&subject, Version::Number(v))
                .await
                .map_err(|e| registry_error(e, &format!("reading {subject} version {v}")))?;
            let schema = client
                .parse(&registered.text(), &format!("{subject} version {v}"))
                .await
                .map_err(|e| registry_error(e, &format!("parsing {subject} version {v}")))?;
            anyhow::Ok((format!("{subject} version {v}"), schema))
        }
    };
    let (old, new) = match &args.file {
        Some(file) => {
            let old = fetch(args.old.unwrap_or(latest)).await?;
            let text = std::fs::read_to_string(file)
                .with_context(|| format!("reading {}", file.display()))?;
            let t = type_from_extension(&file.to_string_lossy())?;
            // The file may use the same references as the registered version.
            let local = SchemaText {
                schema: text,
                schema_type: (t != SchemaType::Avro).then(|| t.as_str().to_owned()),
                references: old.1.references().to_vec(),
                guid: None,
            };
            let schema = client
                .parse(&local, &file.display().to_string())
                .await
                .map_err(|e| anyhow::anyhow!("{}: {e}", file.display()))?;
            (old, (file.display().to_string(), schema))
        }
        None => {
            let new_v = args.new.unwrap_or(latest);
            let old_v = match args.old {
                Some(v) => v,
                None => *versions.iter().rev().find(|v| **v < new_v).context(
                    "the subject has only one version: name two, or compare with --file",
                )?,
            };
            (fetch(old_v).await?, fetch(new_v).await?)
        }
    };
    let stdout = std::io::stdout();
    let mut out = anstream::AutoStream::auto(stdout.lock());
    write_diff(&mut out, &old.0, &old.1, &new.0, &new.1)?;
    Ok(0)
}

fn pretty(schema: &Schema) -> String {
    serde_json::from_str::<serde_json::Value>(schema.canonical())
        .and_then(|v| serde_json::to_string_pretty(&v))
        .unwrap_or_else(|_| schema.canonical().to_owned())
        + "\n"
}

fn write_diff(
    out: &mut dyn Write,
    old_name: &str,
    old: &Schema,
    new_name: &str,
    new: &Schema,
) -> std::io::Result<()> {
    let (a, b) = (pretty(old), pretty(new));
    writeln!(out, "{BOLD}--- {old_name}{BOLD:#}")?;
    writeln!(out, "{BOLD}+++ {new_name}{BOLD:#}")?;
    let diff = TextDiff::from_lines(&a, &b);
    if a == b {
        writeln!(out, "(no change)")?;
    }
    for group in diff.grouped_ops(3) {
        let (first, last) = (&group[0], &group[group.len() - 1]);
        writeln!(
            out,
            "{CYAN}@@ -{},{} +{},{} @@{CYAN:#}",
            first.old_range().start + 1,
            last.old_range().end - first.old_range().start,
            first.new_range().start + 1,
            last.new_range().end - first.new_range().start
        )?;
        for op in &group {
            for change in diff.iter_changes(op) {
                let (style, sign) = match change.tag() {
                    ChangeTag::Delete => (RED, "-"),
                    ChangeTag::Insert => (GREEN, "+"),
                    ChangeTag::Equal => (Style::new(), " "),
                };
                write!(out, "{style}{sign}{}{style:#}", change.value())?;
                if change.missing_newline() {
                    writeln!(out)?;
                }
            }
        }
    }
    writeln!(out)?;
    let previous = [Previous {
        version: 1,
        schema: old,
    }];
    for (level, meaning) in [
        (CompatibilityLevel::Backward, "new readers, old data"),
        (CompatibilityLevel::Forward, "old readers, new data"),
    ] {
        let findings = check(level, new, &previous, &CheckOptions::default());
        let errors = findings
            .iter()
            .filter(|f| f.severity == Severity::Error)
            .count();
        let (style, verdict) = if errors == 0 {
            (GREEN, "compatible")
        } else {
            (RED, "incompatible")
        };
        writeln!(
            out,
            "{BOLD}{level}{BOLD:#} ({meaning}): {style}{verdict}{style:#}"
        )?;
        for f in findings {
            writeln!(
                out,
                "  {}[{}] at {}: {}",
                if f.severity == Severity::Error {
                    "error"
                } else {
                    "warning"
                },
                f.kind.rule_id(),
                if f.new_path.is_empty() {
                    "/"
                } else {
                    &f.new_path
                },
                f.message
            )?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shows_changed_lines_and_the_verdict_per_direction() {
        let parse = |t: &str| {
            Schema::parse(SchemaType::Avro, t, &[], &herald_schema::NoReferences).unwrap()
        };
        let old = parse(r#"{"type":"record","name":"R","fields":[{"name":"a","type":"int"}]}"#);
        let new = parse(
            r#"{"type":"record","name":"R","fields":[{"name":"a","type":"int"},{"name":"b","type":"string"}]}"#,
        );
        let mut out = Vec::new();
        write_diff(&mut out, "r version 1", &old, "r version 2", &new).unwrap();
        let text = anstream::adapter::strip_str(&String::from_utf8(out).unwrap()).to_string();
        assert!(
            text.contains("--- r version 1\n+++ r version 2\n"),
            "{text}"
        );
        assert!(text.contains("+      \"name\": \"b\",\n"), "{text}");
        assert!(
            text.contains("BACKWARD (new readers, old data): incompatible"),
            "{text}"
        );
        assert!(
            text.contains("error[avro/READER_FIELD_MISSING_DEFAULT_VALUE]"),
            "{text}"
        );
        assert!(
            text.contains("FORWARD (old readers, new data): compatible"),
            "{text}"
        );
    }
}
