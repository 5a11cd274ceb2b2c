//! `herald schema validate` (does a file parse?) and `herald schema lint`
//! (style warnings that make schemas easier to evolve), with positions.

use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::Context;
use clap::Args;
use herald_schema::{NoReferences, Schema, SchemaType};
use serde_json::Value;

use super::ManifestFlag;
use super::load::{self, Problem};
use super::locate::{Position, locate};
use super::manifest::{Manifest, type_from_extension};
use super::source::WorkTree;

/// Flags of `herald schema validate`.
#[derive(Debug, Args)]
pub(crate) struct ValidateArgs {
    /// The schema file (`.avsc` or a JSON Schema `.json`).
    file: PathBuf,
    /// Its format when the extension does not tell (AVRO or JSON).
    #[arg(long = "type")]
    schema_type: Option<SchemaType>,
    #[command(flatten)]
    manifest: ManifestFlag,
}

/// Output formats of `lint`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub(crate) enum LintFormat {
    /// `file:line:col: warning[rule]: message`.
    Human,
    /// A JSON array of warnings.
    Json,
    /// GitHub Actions annotations.
    Github,
}

/// Flags of `herald schema lint`.
#[derive(Debug, Args)]
pub(crate) struct LintArgs {
    /// Files to lint; by default every file of the manifest.
    files: Vec<PathBuf>,
    #[command(flatten)]
    manifest: ManifestFlag,
    /// Output format.
    #[arg(long, value_enum, default_value_t = LintFormat::Human)]
    format: LintFormat,
    /// Exit with 1 when there are warnings.
    #[arg(long)]
    deny_warnings: bool,
}

/// One lint warning.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Warning {
    /// `lint/MISSING_DOC`, …
    pub rule: &'static str,
    /// JSON pointer of the place.
    pub pointer: String,
    /// What is missing and why it matters.
    pub message: String,
}

pub(crate) fn validate(args: ValidateArgs) -> anyhow::Result<u8> {
    let text = std::fs::read_to_string(&args.file)
        .with_context(|| format!("reading {}", args.file.display()))?;
    let schema_type = match args.schema_type {
        Some(t) => t,
        None => type_from_extension(&args.file.to_string_lossy())?,
    };
    // A file of the manifest may reference other entries: parse it the way
    // `check` does. Any other file stands alone.
    let result = match manifest_schema(&args.manifest.manifest, &args.file)? {
        Some(result) => result,
        None => Schema::parse(schema_type, &text, &[], &NoReferences)
            .map_err(|e| load::problem(&args.file, &text, &e)),
    };
    match result {
        Ok(schema) => {
            println!(
                "{}: valid {} schema (sha256 {})",
                args.file.display(),
                schema.schema_type(),
                hex(&schema.sha256())
            );
            Ok(0)
        }
        Err(problem) => {
            println!("{problem}");
            Ok(1)
        }
    }
}

/// The parse result of `file` when the manifest lists it.
fn manifest_schema(
    manifest: &Path,
    file: &Path,
) -> anyhow::Result<Option<Result<Schema, Problem>>> {
    if !manifest.exists() {
        return Ok(None);
    }
    let manifest = Manifest::load(manifest)?;
    let Some(entry) = manifest
        .entries
        .iter()
        .find(|e| same_file(&manifest.file_path(&e.file), file))
    else {
        return Ok(None);
    };
    let side = load::load(
        &manifest,
        &WorkTree {
            dir: manifest.dir.clone(),
        },
    )?;
    Ok(side
        .by_subject
        .get(&entry.subject)
        .map(|l| l.schema.clone()))
}

fn same_file(a: &Path, b: &Path) -> bool {
    match (a.canonicalize(), b.canonicalize()) {
        (Ok(a), Ok(b)) => a == b,
        _ => a == b,
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// A file to lint: its format, the rules ignored for it, and its parse
/// result when the manifest already parsed it (with its references).
type Target = (
    PathBuf,
    SchemaType,
    Vec<String>,
    Option<Result<Schema, Problem>>,
);

pub(crate) fn run(args: LintArgs) -> anyhow::Result<u8> {
    let mut targets: Vec<Target> = Vec::new();
    if args.files.is_empty() {
        let manifest = Manifest::load(&args.manifest.manifest)?;
        let side = load::load(
            &manifest,
            &WorkTree {
                dir: manifest.dir.clone(),
            },
        )?;
        for e in &manifest.entries {
            let parsed = side.by_subject.get(&e.subject).map(|l| l.schema.clone());
            targets.push((
                manifest.file_path(&e.file),
                e.schema_type,
                e.ignore.clone(),
                parsed,
            ));
        }
    } else {
        for f in &args.files {
            let t = type_from_extension(&f.to_string_lossy())?;
            targets.push((f.clone(), t, Vec::new(), None));
        }
    }
    let mut rows: Vec<(PathBuf, Position, &'static str, String, bool)> = Vec::new();
    for (file, schema_type, ignore, parsed) in targets {
        let text = std::fs::read_to_string(&file)
            .with_context(|| format!("reading {}", file.display()))?;
        let parsed = parsed.unwrap_or_else(|| {
            Schema::parse(schema_type, &text, &[], &NoReferences)
                .map_err(|e| load::problem(&file, &text, &e))
        });
        if let Err(p) = parsed {
            let pos = p.position.unwrap_or(Position { line: 1, column: 1 });
            rows.push((file.clone(), pos, "error", p.message, true));
            continue;
        }
        let Ok(value) = serde_json::from_str::<Value>(&text) else {
            continue;
        };
        for w in lint(schema_type, &value) {
            if ignore.iter().any(|r| r == w.rule) {
                continue;
            }
            rows.push((
                file.clone(),
                locate(&text, &w.pointer),
                w.rule,
                w.message,
                false,
            ));
        }
    }
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    match args.format {
        LintFormat::Human => {
            for (file, pos, rule, message, error) in &rows {
                let kind = if *error { "error" } else { "warning" };
                let rule = if *error {
                    String::new()
                } else {
                    format!("[{rule}]")
                };
                writeln!(
                    out,
                    "{}:{}:{}: {kind}{rule}: {message}",
                    file.display(),
                    pos.line,
                    pos.column
                )?;
            }
            let errors = rows.iter().filter(|r| r.4).count();
            writeln!(out, "{errors} errors, {} warnings", rows.len() - errors)?;
        }
        LintFormat::Json => {
            let items: Vec<Value> = rows
                .iter()
                .map(|(file, pos, rule, message, error)| {
                    serde_json::json!({
                        "file": super::report::slash_path(file),
                        "line": pos.line,
                        "column": pos.column,
                        "severity": if *error { "error" } else { "warning" },
                        "rule": if *error { None } else { Some(rule) },
                        "message": message,
                    })
                })
                .collect();
            serde_json::to_writer_pretty(&mut out, &items)?;
            writeln!(out)?;
        }
        LintFormat::Github => {
            for (file, pos, rule, message, error) in &rows {
                let kind = if *error { "error" } else { "warning" };
                writeln!(
                    out,
                    "::{kind} file={},line={},col={},title={}::{}",
                    super::report::slash_path(file),
                    pos.line,
                    pos.column,
                    rule,
                    message.replace('%', "%25").replace('\n', "%0A")
                )?;
            }
        }
    }
    let errors = rows.iter().any(|r| r.4);
    Ok(if errors || (args.deny_warnings && !rows.is_empty()) {
        1
    } else {
        0
    })
}

/// The warnings for a schema document that parsed.
pub(crate) fn lint(schema_type: SchemaType, value: &Value) -> Vec<Warning> {
    let mut out = Vec::new();
    match schema_type {
        SchemaType::Avro => avro(value, "", &mut out),
        _ => json_schema(value, "", true, &mut out),
    }
    out
}

fn push(out: &mut Vec<Warning>, rule: &'static str, pointer: String, message: String) {
    out.push(Warning {
        rule,
        pointer,
        message,
    });
}

fn avro(value: &Value, pointer: &str, out: &mut Vec<Warning>) {
    match value {
        Value::Array(branches) => {
            for (i, b) in branches.iter().enumerate() {
                avro(b, &format!("{pointer}/{i}"), out);
            }
        }
        Value::Object(o) => {
            let name = o.get("name").and_then(Value::as_str).unwrap_or("?");
            match o.get("type") {
                Some(Value::String(t)) if t == "record" || t == "error" => {
                    if o.get("doc").is_none() {
                        push(
                            out,
                            "lint/MISSING_DOC",
                            pointer.to_owned(),
                            format!(
                                "record {name} has no \"doc\": say what it means and who writes it"
                            ),
                        );
                    }
                    let fields = o
                        .get("fields")
                        .and_then(Value::as_array)
                        .map(Vec::as_slice)
                        .unwrap_or(&[]);
                    for (i, f) in fields.iter().enumerate() {
                        let p = format!("{pointer}/fields/{i}");
                        let fname = f.get("name").and_then(Value::as_str).unwrap_or("?");
                        if f.get("default").is_none() {
                            push(
                                out,
                                "lint/FIELD_WITHOUT_DEFAULT",
                                p.clone(),
                                format!(
                                    "field {fname} of {name} has no \"default\": it can never be removed, and readers of older data cannot add it"
                                ),
                            );
                        }
                        if f.get("doc").is_none() {
                            push(
                                out,
                                "lint/MISSING_DOC",
                                p.clone(),
                                format!("field {fname} of {name} has no \"doc\""),
                            );
                        }
                        if let Some(t) = f.get("type") {
                            avro(t, &format!("{p}/type"), out);
                        }
                    }
                }
                Some(Value::String(t)) if t == "enum" => {
                    if o.get("doc").is_none() {
                        push(
                            out,
                            "lint/MISSING_DOC",
                            pointer.to_owned(),
                            format!("enum {name} has no \"doc\""),
                        );
                    }
                    if o.get("default").is_none() {
                        push(
                            out,
                            "lint/ENUM_WITHOUT_DEFAULT",
                            pointer.to_owned(),
                            format!(
                                "enum {name} has no \"default\" symbol: adding a symbol later breaks readers that do not know it"
                            ),
                        );
                    }
                }
                Some(Value::String(t)) if t == "fixed" && o.get("doc").is_none() => {
                    push(
                        out,
                        "lint/MISSING_DOC",
                        pointer.to_owned(),
                        format!("fixed {name} has no \"doc\""),
                    );
                }
                Some(Value::String(t)) if t == "array" => {
                    if let Some(items) = o.get("items") {
                        avro(items, &format!("{pointer}/items"), out);
                    }
                }
                Some(Value::String(t)) if t == "map" => {
                    if let Some(values) = o.get("values") {
                        avro(values, &format!("{pointer}/values"), out);
                    }
                }
                Some(nested @ (Value::Object(_) | Value::Array(_))) => {
                    avro(nested, &format!("{pointer}/type"), out);
                }
                _ => {}
            }
        }
        _ => {}
    }
}

fn json_schema(value: &Value, pointer: &str, root: bool, out: &mut Vec<Warning>) {
    let Value::Object(o) = value else { return };
    if (root || o.contains_key("type")) && !o.contains_key("description") && !o.contains_key("$ref")
    {
        let what = if root {
            "the schema".to_owned()
        } else {
            format!("property {}", pointer.rsplit('/').next().unwrap_or(""))
        };
        push(
            out,
            "lint/MISSING_DOC",
            pointer.to_owned(),
            format!("{what} has no \"description\""),
        );
    }
    let is_object =
        o.get("type").and_then(Value::as_str) == Some("object") || o.contains_key("properties");
    if is_object
        && !o.contains_key("additionalProperties")
        && !o.contains_key("unevaluatedProperties")
    {
        push(out, "lint/OPEN_CONTENT_MODEL", pointer.to_owned(), "object without \"additionalProperties\": under the default (strict) policy adding any property later is incompatible; set it to false to allow that".to_owned());
    }
    for key in ["properties", "definitions", "$defs", "patternProperties"] {
        if let Some(Value::Object(children)) = o.get(key) {
            for (name, child) in children {
                let escaped = name.replace('~', "~0").replace('/', "~1");
                json_schema(child, &format!("{pointer}/{key}/{escaped}"), false, out);
            }
        }
    }
    if let Some(items) = o.get("items") {
        json_schema(items, &format!("{pointer}/items"), false, out);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rules(t: SchemaType, text: &str) -> Vec<(&'static str, String)> {
        lint(t, &serde_json::from_str(text).unwrap())
            .into_iter()
            .map(|w| (w.rule, w.pointer))
            .collect()
    }

    #[test]
    fn avro_fields_without_default_or_doc_and_enums_without_default() {
        let found = rules(
            SchemaType::Avro,
            r#"{"type":"record","name":"R","doc":"d","fields":[
                {"name":"a","type":"int","doc":"x"},
                {"name":"b","type":{"type":"enum","name":"E","symbols":["X"]},"default":"X","doc":"y"},
                {"name":"c","type":["null",{"type":"record","name":"In","doc":"z","fields":[]}],"default":null}
            ]}"#,
        );
        assert_eq!(
            found,
            [
                ("lint/FIELD_WITHOUT_DEFAULT", "/fields/0".to_owned()),
                ("lint/MISSING_DOC", "/fields/1/type".to_owned()),
                ("lint/ENUM_WITHOUT_DEFAULT", "/fields/1/type".to_owned()),
                ("lint/MISSING_DOC", "/fields/2".to_owned()),
            ]
        );
    }

    #[test]
    fn json_schema_descriptions_and_open_models() {
        let found = rules(
            SchemaType::Json,
            r#"{"type":"object","description":"d","additionalProperties":false,
                "properties":{"a":{"type":"string"},"b":{"type":"object","description":"x","properties":{}}}}"#,
        );
        assert_eq!(
            found,
            [
                ("lint/MISSING_DOC", "/properties/a".to_owned()),
                ("lint/OPEN_CONTENT_MODEL", "/properties/b".to_owned()),
            ]
        );
    }

    #[test]
    fn the_example_schemas_are_lint_clean() {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../schemas");
        for (file, t) in [
            ("common/money.avsc", SchemaType::Avro),
            ("orders/order-placed.avsc", SchemaType::Avro),
            ("orders/history/order-placed.v1.avsc", SchemaType::Avro),
            ("payments/payment-captured.json", SchemaType::Json),
        ] {
            let text = std::fs::read_to_string(dir.join(file)).unwrap();
            assert_eq!(lint(t, &serde_json::from_str(&text).unwrap()), [], "{file}");
        }
    }
}
