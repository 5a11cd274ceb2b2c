//! Reading and parsing every schema of a manifest from one tree (the
//! working tree or a git revision), references resolved between entries.

use std::collections::HashMap;
use std::path::PathBuf;

use herald_schema::{
    Reference, ReferenceError, ReferenceResolver, ResolvedReference, Schema, SchemaError,
};

use super::locate::{Position, locate};
use super::manifest::{Entry, Manifest};
use super::source::Files;

/// Why a schema file could not be used, and where.
#[derive(Debug, Clone)]
pub(crate) struct Problem {
    /// The file, as the user would type its path.
    pub file: PathBuf,
    /// Where in the file, when known.
    pub position: Option<Position>,
    /// What is wrong.
    pub message: String,
}

impl std::fmt::Display for Problem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}", self.file.display())?;
        if let Some(p) = self.position {
            write!(f, ":{}:{}", p.line, p.column)?;
        }
        write!(f, ": {}", self.message)
    }
}

/// One entry's schema as found in a tree.
#[derive(Debug, Clone)]
pub(crate) struct Loaded {
    /// The file's path as the user would type it.
    pub file: PathBuf,
    /// The text, when the file exists.
    pub text: Option<String>,
    /// The parsed schema, or why it is unusable.
    pub schema: Result<Schema, Problem>,
    /// The entry's earlier versions (`history`), oldest first.
    pub history: Vec<Result<Schema, Problem>>,
}

/// Every entry's schema in one tree, by subject.
#[derive(Debug, Default)]
pub(crate) struct Side {
    /// Loaded schemas by subject.
    pub by_subject: HashMap<String, Loaded>,
}

/// References as the parser takes them; locally every entry has one
/// version, so `-1` ("latest") names it.
pub(crate) fn references_of(entry: &Entry) -> Vec<Reference> {
    entry
        .references
        .iter()
        .map(|r| Reference {
            name: r.name.clone(),
            subject: r.subject.clone(),
            version: -1,
        })
        .collect()
}

/// Resolves references to other entries of the same tree.
struct EntryResolver<'a> {
    texts: &'a HashMap<String, ResolvedReference>,
}

impl ReferenceResolver for EntryResolver<'_> {
    fn resolve(&self, reference: &Reference) -> Result<ResolvedReference, ReferenceError> {
        self.texts
            .get(&reference.subject)
            .cloned()
            .ok_or_else(|| ReferenceError::NotFound {
                name: reference.name.clone(),
                subject: reference.subject.clone(),
                version: reference.version,
            })
    }
}

/// Reads and parses every entry of `manifest` from `files`. A missing or
/// invalid file is a [`Problem`] of that entry; only failures to read at
/// all (git not working, permissions) are errors.
pub(crate) fn load(manifest: &Manifest, files: &dyn Files) -> anyhow::Result<Side> {
    let mut texts = HashMap::new();
    let mut raw = Vec::new();
    for entry in &manifest.entries {
        let text = files.read(&entry.file)?;
        if let Some(t) = &text {
            texts.insert(
                entry.subject.clone(),
                ResolvedReference {
                    schema_type: entry.schema_type,
                    text: t.clone(),
                    references: references_of(entry),
                },
            );
        }
        let mut history = Vec::new();
        for h in &entry.history {
            history.push((h.clone(), files.read(h)?));
        }
        raw.push((entry, text, history));
    }
    let resolver = EntryResolver { texts: &texts };
    let mut side = Side::default();
    for (entry, text, history) in raw {
        let file = manifest.file_path(&entry.file);
        let schema = parse_file(entry, &file, text.as_deref(), files, &resolver);
        let history = history
            .into_iter()
            .map(|(h, t)| {
                parse_file(
                    entry,
                    &manifest.file_path(&h),
                    t.as_deref(),
                    files,
                    &resolver,
                )
            })
            .collect();
        side.by_subject.insert(
            entry.subject.clone(),
            Loaded {
                file,
                text,
                schema,
                history,
            },
        );
    }
    Ok(side)
}

fn parse_file(
    entry: &Entry,
    file: &std::path::Path,
    text: Option<&str>,
    files: &dyn Files,
    resolver: &dyn ReferenceResolver,
) -> Result<Schema, Problem> {
    let Some(text) = text else {
        return Err(Problem {
            file: file.to_path_buf(),
            position: None,
            message: format!("no such file in {}", files.describe()),
        });
    };
    Schema::parse(entry.schema_type, text, &references_of(entry), resolver)
        .map_err(|e| problem(file, text, &e))
}

/// A parse error with the line and column it concerns.
pub(crate) fn problem(file: &std::path::Path, text: &str, error: &SchemaError) -> Problem {
    let position = match error {
        SchemaError::Avro(herald_schema::avro::AvroError::Json { line, column, .. })
        | SchemaError::Json(herald_schema::json::JsonSchemaError::InvalidJson {
            line,
            column,
            ..
        }) => Some(Position {
            line: *line,
            column: *column,
        }),
        SchemaError::Avro(e @ herald_schema::avro::AvroError::Invalid { .. }) => {
            Some(locate(text, e.pointer()))
        }
        // A pointer into a referenced document says nothing about this file.
        SchemaError::Json(e)
            if !matches!(e, herald_schema::json::JsonSchemaError::InReference { .. }) =>
        {
            e.pointer().map(|p| locate(text, p))
        }
        _ => None,
    };
    Problem {
        file: file.to_path_buf(),
        position,
        message: error.to_string(),
    }
}
