//! Compatibility levels and the check that applies them.
//!
//! The per-format rules live in [`crate::avro::compat`] and
//! [`crate::json::compat`]; this module decides which previous versions a
//! level compares with, and in which direction.

use std::fmt;
use std::str::FromStr;

use crate::{Schema, avro, json};

/// A Confluent compatibility level.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, Default, serde::Serialize, serde::Deserialize,
)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum CompatibilityLevel {
    /// Any change is allowed.
    None,
    /// The new schema can read data written with the latest version (the registry default).
    #[default]
    Backward,
    /// The new schema can read data written with every previous version.
    BackwardTransitive,
    /// The latest version can read data written with the new schema.
    Forward,
    /// Every previous version can read data written with the new schema.
    ForwardTransitive,
    /// Backward and forward against the latest version.
    Full,
    /// Backward and forward against every previous version.
    FullTransitive,
}

impl CompatibilityLevel {
    /// All seven levels.
    pub const ALL: [CompatibilityLevel; 7] = [
        CompatibilityLevel::None,
        CompatibilityLevel::Backward,
        CompatibilityLevel::BackwardTransitive,
        CompatibilityLevel::Forward,
        CompatibilityLevel::ForwardTransitive,
        CompatibilityLevel::Full,
        CompatibilityLevel::FullTransitive,
    ];

    /// The name the Confluent API uses.
    pub fn as_str(self) -> &'static str {
        match self {
            CompatibilityLevel::None => "NONE",
            CompatibilityLevel::Backward => "BACKWARD",
            CompatibilityLevel::BackwardTransitive => "BACKWARD_TRANSITIVE",
            CompatibilityLevel::Forward => "FORWARD",
            CompatibilityLevel::ForwardTransitive => "FORWARD_TRANSITIVE",
            CompatibilityLevel::Full => "FULL",
            CompatibilityLevel::FullTransitive => "FULL_TRANSITIVE",
        }
    }

    /// Whether the level compares with every previous version, not only the latest.
    pub fn is_transitive(self) -> bool {
        matches!(
            self,
            CompatibilityLevel::BackwardTransitive
                | CompatibilityLevel::ForwardTransitive
                | CompatibilityLevel::FullTransitive
        )
    }

    fn directions(self) -> &'static [Direction] {
        match self {
            CompatibilityLevel::None => &[],
            CompatibilityLevel::Backward | CompatibilityLevel::BackwardTransitive => {
                &[Direction::Backward]
            }
            CompatibilityLevel::Forward | CompatibilityLevel::ForwardTransitive => {
                &[Direction::Forward]
            }
            CompatibilityLevel::Full | CompatibilityLevel::FullTransitive => {
                &[Direction::Backward, Direction::Forward]
            }
        }
    }
}

impl fmt::Display for CompatibilityLevel {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A compatibility level name that Confluent does not define.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "unknown compatibility level {0:?}: expected one of NONE, BACKWARD, BACKWARD_TRANSITIVE, FORWARD, FORWARD_TRANSITIVE, FULL, FULL_TRANSITIVE"
)]
pub struct UnknownCompatibilityLevel(pub String);

impl FromStr for CompatibilityLevel {
    type Err = UnknownCompatibilityLevel;

    /// Accepts the Confluent names in any letter case.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let upper = s.to_ascii_uppercase();
        CompatibilityLevel::ALL
            .into_iter()
            .find(|l| l.as_str() == upper)
            .ok_or_else(|| UnknownCompatibilityLevel(s.to_owned()))
    }
}

/// How strictly JSON Schema changes are judged (Confluent's `compatibilityPolicy`).
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, Default, serde::Serialize, serde::Deserialize,
)]
#[serde(rename_all = "UPPERCASE")]
pub enum JsonCompatibilityPolicy {
    /// Documents may carry keys the schema does not declare, so adding an
    /// optional property to an open content model is breaking (the default).
    #[default]
    Strict,
    /// Assumes documents never carry undeclared keys: additions and removals
    /// of properties are judged as if every model were closed where that helps.
    Lenient,
}

/// Options of a compatibility check.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub struct CheckOptions {
    /// The JSON Schema policy; ignored for Avro.
    pub json_policy: JsonCompatibilityPolicy,
}

impl CheckOptions {
    /// Options with the given JSON Schema policy.
    pub fn with_json_policy(json_policy: JsonCompatibilityPolicy) -> Self {
        CheckOptions { json_policy }
    }
}

/// Which side reads which in one pairwise comparison.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Direction {
    /// The new schema reads data written with the old one.
    Backward,
    /// The old schema reads data written with the new one.
    Forward,
}

/// A previous version of the subject a new schema is checked against.
#[derive(Debug, Clone, Copy)]
pub struct Previous<'a> {
    /// Its version number in the subject.
    pub version: i32,
    /// The schema.
    pub schema: &'a Schema,
}

/// How much a finding matters.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// Worth knowing, but compatible (e.g. a changed Avro logical type).
    Warning,
    /// Makes the change incompatible at the level checked.
    Error,
}

/// What kind of change a finding reports.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum FindingKind {
    /// An Avro reader/writer incompatibility or warning.
    Avro(avro::AvroFindingKind),
    /// A JSON Schema difference.
    Json(json::JsonDifference),
    /// The two schemas are of different formats, which is never compatible.
    SchemaTypeMismatch,
}

impl FindingKind {
    /// The name Confluent reports for this kind (e.g. `TYPE_MISMATCH`).
    pub fn name(&self) -> &'static str {
        match self {
            FindingKind::Avro(k) => k.name(),
            FindingKind::Json(k) => k.name(),
            FindingKind::SchemaTypeMismatch => "SCHEMA_TYPE_MISMATCH",
        }
    }

    /// A stable identifier for this kind across releases, usable in ignore
    /// lists: the format, a slash, and the Confluent name (`avro/TYPE_MISMATCH`).
    pub fn rule_id(&self) -> String {
        let format = match self {
            FindingKind::Avro(_) => "avro",
            FindingKind::Json(_) => "json",
            FindingKind::SchemaTypeMismatch => "schema",
        };
        format!("{format}/{}", self.name())
    }
}

impl fmt::Display for FindingKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// One reason a schema change is (or may be) unsafe.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finding {
    /// What kind of change it is.
    pub kind: FindingKind,
    /// Whether it breaks compatibility.
    pub severity: Severity,
    /// JSON pointer to the place in the new schema (`""` is the root).
    pub new_path: String,
    /// JSON pointer to the place in the previous schema.
    pub old_path: String,
    /// The previous version it conflicts with (set by [`check`]).
    pub version: Option<i32>,
    /// Whether the new schema failed as reader of old data or the old one as
    /// reader of new data.
    pub direction: Direction,
    /// A sentence a person understands, saying what changed and why it breaks.
    pub message: String,
}

impl fmt::Display for Finding {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.kind)?;
        if let Some(v) = self.version {
            write!(f, " (against version {v})")?;
        }
        write!(
            f,
            " at {} (old: {}): {}",
            display_pointer(&self.new_path),
            display_pointer(&self.old_path),
            self.message
        )
    }
}

fn display_pointer(p: &str) -> &str {
    if p.is_empty() { "/" } else { p }
}

/// Whether a list of findings allows the change: no finding is an error.
pub fn is_compatible(findings: &[Finding]) -> bool {
    findings.iter().all(|f| f.severity != Severity::Error)
}

/// Checks `new` against the subject's live previous versions (oldest first)
/// at `level`, returning every finding — errors and warnings — in order of
/// the versions compared, newest first.
///
/// Non-transitive levels compare with the last entry of `previous` only;
/// transitive ones with every entry. No previous version means compatible.
/// A schema of another format than a previous version is always incompatible.
pub fn check(
    level: CompatibilityLevel,
    new: &Schema,
    previous: &[Previous<'_>],
    options: &CheckOptions,
) -> Vec<Finding> {
    let compared: &[Previous<'_>] = if level.is_transitive() {
        previous
    } else {
        match previous.last() {
            Some(_) => &previous[previous.len() - 1..],
            None => &[],
        }
    };
    let mut findings = Vec::new();
    for prev in compared.iter().rev() {
        for &direction in level.directions() {
            let mut pair = check_pair(new, prev.schema, direction, options);
            for f in &mut pair {
                f.version = Some(prev.version);
            }
            findings.extend(pair);
        }
    }
    findings
}

/// Compares two schemas in one direction; findings carry no version yet.
pub(crate) fn check_pair(
    new: &Schema,
    old: &Schema,
    direction: Direction,
    options: &CheckOptions,
) -> Vec<Finding> {
    match (new, old) {
        (Schema::Avro(n), Schema::Avro(o)) => avro::compat::check(n, o, direction),
        (Schema::Json(n), Schema::Json(o)) => {
            json::compat::check(n, o, direction, options.json_policy)
        }
        _ => vec![Finding {
            kind: FindingKind::SchemaTypeMismatch,
            severity: Severity::Error,
            new_path: String::new(),
            old_path: String::new(),
            version: None,
            direction,
            message: format!(
                "the new schema is {} but the previous one is {}; a subject cannot change its schema type",
                new.schema_type(),
                old.schema_type()
            ),
        }],
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn level_names_round_trip_in_any_case() {
        for l in CompatibilityLevel::ALL {
            assert_eq!(l.as_str().parse::<CompatibilityLevel>(), Ok(l));
            assert_eq!(
                l.as_str().to_lowercase().parse::<CompatibilityLevel>(),
                Ok(l)
            );
            assert_eq!(
                serde_json::to_string(&l).unwrap(),
                format!("\"{}\"", l.as_str())
            );
        }
        assert!("SIDEWAYS".parse::<CompatibilityLevel>().is_err());
    }
}
