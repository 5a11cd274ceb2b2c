//! `herald schema check`: every manifest entry against its baseline (the
//! registry's versions, or the manifest at a git revision), at the
//! subject's compatibility level, with structured findings.

use std::path::PathBuf;

use anyhow::Context;
use herald_client::SchemaRegistryClient;
use herald_client::registry::{DeletedFilter, Version};
use herald_schema::{
    CheckOptions, CompatibilityLevel, Finding, Previous, Schema, SchemaType, Severity, check,
};

use super::hints::hint;
use super::load::{Loaded, Problem, Side};
use super::locate::{Position, locate};
use super::manifest::{Entry, Manifest};
use super::registry_error;

/// What a subject's file was compared with.
pub(crate) enum Baseline<'a> {
    /// The versions registered under the subject.
    Registry(&'a SchemaRegistryClient),
    /// The same manifest in another tree (`None`: that tree has no manifest).
    Tree {
        /// Where the tree is (`git revision origin/main`).
        description: String,
        /// Its manifest.
        manifest: Option<Manifest>,
        /// Its schemas.
        side: Side,
    },
}

/// How a subject fared.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Status {
    /// No error finding (warnings and ignored findings allowed).
    Compatible,
    /// At least one error finding that is not ignored.
    Incompatible,
    /// The baseline has no version of the subject: nothing to break.
    New,
    /// The file (or the baseline's) could not be read or parsed.
    Invalid,
}

impl Status {
    /// Lower-case name used by the machine-readable formats.
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Compatible => "compatible",
            Status::Incompatible => "incompatible",
            Status::New => "new",
            Status::Invalid => "invalid",
        }
    }
}

/// One finding as reported: where it points in the new file and whether
/// the manifest ignores its rule.
#[derive(Debug, Clone)]
pub(crate) struct Reported {
    /// The finding.
    pub finding: Finding,
    /// Its stable rule id (`avro/TYPE_MISMATCH`).
    pub rule_id: String,
    /// Whether the manifest ignores the rule for this subject.
    pub ignored: bool,
    /// Where `new_path` is in the new file.
    pub position: Position,
    /// How to fix it.
    pub hint: &'static str,
}

impl Reported {
    /// Whether it fails the check.
    pub fn fails(&self) -> bool {
        self.finding.severity == Severity::Error && !self.ignored
    }
}

/// The result for one subject.
#[derive(Debug, Clone)]
pub(crate) struct SubjectReport {
    /// The subject.
    pub subject: String,
    /// The schema file, as the user would type its path.
    pub file: PathBuf,
    /// Its format.
    pub schema_type: SchemaType,
    /// The level checked.
    pub level: CompatibilityLevel,
    /// The verdict.
    pub status: Status,
    /// The baseline's versions compared with, newest first.
    pub compared: Vec<i32>,
    /// Every finding, errors and warnings, ignored ones included.
    pub findings: Vec<Reported>,
    /// Why the subject could not be checked.
    pub problem: Option<Problem>,
}

/// The whole check.
#[derive(Debug, Clone)]
pub(crate) struct CheckReport {
    /// What was checked against (`registry http://…`, `git revision main`).
    pub against: String,
    /// Per subject, in manifest dependency order.
    pub subjects: Vec<SubjectReport>,
}

impl CheckReport {
    /// 0 when everything passes, 1 when a subject is incompatible, 2 when
    /// a file could not be read or parsed.
    pub fn exit_code(&self) -> u8 {
        if self.subjects.iter().any(|s| s.status == Status::Invalid) {
            2
        } else if self
            .subjects
            .iter()
            .any(|s| s.status == Status::Incompatible)
        {
            1
        } else {
            0
        }
    }

    /// How many subjects have `status`.
    pub fn count(&self, status: Status) -> usize {
        self.subjects.iter().filter(|s| s.status == status).count()
    }
}

/// Checks the selected entries of `manifest` (loaded into `new`) against `baseline`.
pub(crate) async fn run(
    entries: &[&Entry],
    new: &Side,
    baseline: &Baseline<'_>,
) -> anyhow::Result<CheckReport> {
    let against = match baseline {
        Baseline::Registry(client) => format!("registry {}", client.config().urls.join(",")),
        Baseline::Tree { description, .. } => description.clone(),
    };
    let mut subjects = Vec::with_capacity(entries.len());
    for entry in entries {
        let loaded = new
            .by_subject
            .get(&entry.subject)
            .with_context(|| format!("subject {} was not loaded", entry.subject))?;
        let report = match &loaded.schema {
            Err(problem) => invalid(
                entry,
                loaded,
                problem.clone(),
                entry.compatibility.unwrap_or_default(),
            ),
            Ok(schema) => match baseline {
                Baseline::Registry(client) => {
                    against_registry(entry, loaded, schema, client).await?
                }
                Baseline::Tree {
                    manifest: old_manifest,
                    side,
                    ..
                } => against_tree(entry, loaded, schema, old_manifest.as_ref(), side),
            },
        };
        subjects.push(report);
    }
    Ok(CheckReport { against, subjects })
}

fn invalid(
    entry: &Entry,
    loaded: &Loaded,
    problem: Problem,
    level: CompatibilityLevel,
) -> SubjectReport {
    SubjectReport {
        subject: entry.subject.clone(),
        file: loaded.file.clone(),
        schema_type: entry.schema_type,
        level,
        status: Status::Invalid,
        compared: Vec::new(),
        findings: Vec::new(),
        problem: Some(problem),
    }
}

async fn against_registry(
    entry: &Entry,
    loaded: &Loaded,
    schema: &Schema,
    client: &SchemaRegistryClient,
) -> anyhow::Result<SubjectReport> {
    let versions = match client.versions(&entry.subject, DeletedFilter::Live).await {
        Ok(v) => v,
        // 40401: no such subject; nothing registered yet, so nothing to break.
        Err(e) if e.error_code() == Some(40401) => Vec::new(),
        Err(e) => {
            return Err(registry_error(
                e,
                &format!("listing versions of {}", entry.subject),
            ));
        }
    };
    let level = match entry.compatibility {
        Some(l) => l,
        None => registry_level(client, &entry.subject).await?,
    };
    if versions.is_empty() {
        return Ok(new_subject(entry, loaded, level));
    }
    let wanted: Vec<i32> = if level.is_transitive() {
        versions.clone()
    } else {
        versions.last().copied().into_iter().collect()
    };
    let mut previous = Vec::with_capacity(wanted.len());
    for v in wanted {
        let registered = client
            .version(&entry.subject, Version::Number(v))
            .await
            .map_err(|e| registry_error(e, &format!("reading {} version {v}", entry.subject)))?;
        let parsed = client
            .parse(
                &registered.text(),
                &format!("{} version {v}", entry.subject),
            )
            .await
            .map_err(|e| registry_error(e, &format!("parsing {} version {v}", entry.subject)))?;
        previous.push((v, parsed));
    }
    Ok(compare(entry, loaded, schema, level, &previous))
}

/// The subject's level as the registry applies it (its own, else the global one).
pub(crate) async fn registry_level(
    client: &SchemaRegistryClient,
    subject: &str,
) -> anyhow::Result<CompatibilityLevel> {
    let config = match client.config_of(Some(subject), true).await {
        Ok(c) => c,
        Err(e) if e.error_code() == Some(40408) || e.error_code() == Some(40401) => {
            return Ok(CompatibilityLevel::default());
        }
        Err(e) => {
            return Err(registry_error(
                e,
                &format!("reading the level of {subject}"),
            ));
        }
    };
    Ok(config
        .compatibility_level
        .as_deref()
        .and_then(|l| l.parse().ok())
        .unwrap_or_default())
}

fn against_tree(
    entry: &Entry,
    loaded: &Loaded,
    schema: &Schema,
    old_manifest: Option<&Manifest>,
    old: &Side,
) -> SubjectReport {
    let level = entry.compatibility.unwrap_or_default();
    let Some(old_loaded) = old_manifest
        .and_then(|m| m.entry(&entry.subject))
        .and_then(|_| old.by_subject.get(&entry.subject))
    else {
        return new_subject(entry, loaded, level);
    };
    // The old tree's versions: its history, then its current file.
    let mut previous = Vec::new();
    for (i, s) in old_loaded
        .history
        .iter()
        .chain(std::iter::once(&old_loaded.schema))
        .enumerate()
    {
        match s {
            Ok(s) => previous.push((i as i32 + 1, s.clone())),
            Err(problem) => {
                let mut problem = problem.clone();
                problem.message =
                    format!("the baseline's version is unusable: {}", problem.message);
                return invalid(entry, loaded, problem, level);
            }
        }
    }
    compare(entry, loaded, schema, level, &previous)
}

fn new_subject(entry: &Entry, loaded: &Loaded, level: CompatibilityLevel) -> SubjectReport {
    SubjectReport {
        subject: entry.subject.clone(),
        file: loaded.file.clone(),
        schema_type: entry.schema_type,
        level,
        status: Status::New,
        compared: Vec::new(),
        findings: Vec::new(),
        problem: None,
    }
}

/// Checks `schema` against `previous` (oldest first) at `level`.
fn compare(
    entry: &Entry,
    loaded: &Loaded,
    schema: &Schema,
    level: CompatibilityLevel,
    previous: &[(i32, Schema)],
) -> SubjectReport {
    let prev: Vec<Previous<'_>> = previous
        .iter()
        .map(|(version, schema)| Previous {
            version: *version,
            schema,
        })
        .collect();
    let compared: Vec<i32> = if level == CompatibilityLevel::None {
        Vec::new()
    } else if level.is_transitive() {
        previous.iter().rev().map(|(v, _)| *v).collect()
    } else {
        previous.last().map(|(v, _)| *v).into_iter().collect()
    };
    let text = loaded.text.as_deref().unwrap_or("");
    let findings: Vec<Reported> = check(
        level,
        schema,
        &prev,
        &CheckOptions::with_json_policy(entry.json_policy),
    )
    .into_iter()
    .map(|finding| {
        let rule_id = finding.kind.rule_id();
        Reported {
            ignored: entry.ignores(&rule_id),
            position: locate(text, &finding.new_path),
            hint: hint(&finding),
            rule_id,
            finding,
        }
    })
    .collect();
    let status = if findings.iter().any(Reported::fails) {
        Status::Incompatible
    } else {
        Status::Compatible
    };
    SubjectReport {
        subject: entry.subject.clone(),
        file: loaded.file.clone(),
        schema_type: entry.schema_type,
        level,
        status,
        compared,
        findings,
        problem: None,
    }
}
