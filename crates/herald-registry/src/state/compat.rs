//! Compatibility checks: which versions a level compares with, and
//! Confluent-style messages for what breaks.

use herald_schema::{CheckOptions, Finding, Previous, Severity, check, is_compatible};

use crate::RegistryError;
use crate::subject;

use super::write::{Candidate, Prepared};
use super::{SchemaRef, State, VersionSpec};

/// The verdict of a compatibility check.
#[derive(Debug, Clone, PartialEq)]
pub struct CompatibilityVerdict {
    /// Whether the schema may be registered.
    pub compatible: bool,
    /// Confluent-style messages: one per breaking finding, then the version
    /// and text compared with, then the level.
    pub messages: Vec<String>,
}

/// Which versions a check compares with.
#[derive(Debug, Clone)]
pub(crate) enum Against {
    /// The live versions the subject's level names.
    Level,
    /// One version.
    Version(SchemaRef),
}

impl State {
    /// Checks a candidate against a subject (`POST /compatibility/...`).
    /// `version` `None` compares with what the subject's level names; a
    /// version compares with that one only. A subject without versions is
    /// compatible with anything when asked about `latest` or all versions.
    pub fn check_compatibility(
        &self,
        subject: &str,
        version: Option<VersionSpec>,
        c: &Candidate,
        normalize: bool,
    ) -> Result<CompatibilityVerdict, RegistryError> {
        let q = subject::validate(subject)?;
        let qs = q.qualified();
        let against = match version {
            None => Against::Level,
            Some(spec) => match self.version(&qs, spec, false) {
                Ok(found) => Against::Version(found),
                Err(RegistryError::SubjectNotFound { .. }) if spec == VersionSpec::Latest => {
                    return Ok(CompatibilityVerdict {
                        compatible: true,
                        messages: Vec::new(),
                    });
                }
                Err(RegistryError::SubjectNotFound { .. }) => {
                    return Err(RegistryError::VersionNotFound {
                        version: match spec {
                            VersionSpec::Number(n) => n.to_string(),
                            VersionSpec::Latest => "latest".to_owned(),
                        },
                    });
                }
                Err(e) => return Err(e),
            },
        };
        let prepared = self.prepare(&q, c, self.normalize_for(&qs, normalize), true)?;
        Ok(self.check_prepared(&qs, &prepared, &against))
    }

    pub(crate) fn check_prepared(
        &self,
        subject: &str,
        prepared: &Prepared,
        against: &Against,
    ) -> CompatibilityVerdict {
        let config = self.effective_config(Some(subject));
        let level = config.compatibility_level.unwrap_or_default();
        let options =
            CheckOptions::with_json_policy(config.compatibility_policy.unwrap_or_default());
        let compared: Vec<SchemaRef> = match against {
            Against::Level => self.live_versions(subject),
            Against::Version(v) => vec![v.clone()],
        };
        let mut parsed = Vec::with_capacity(compared.len());
        let mut messages = Vec::new();
        for v in &compared {
            match v.schema.parsed(self) {
                Ok(s) => parsed.push((v, s)),
                Err(reason) => messages.push(format!(
                    "{{errorType:'UNREADABLE_PREVIOUS_VERSION', description:'version {} of the subject could not be read: {}'}}",
                    v.version,
                    reason.replace('\'', "\\'")
                )),
            }
        }
        let previous: Vec<Previous<'_>> = parsed
            .iter()
            .map(|(v, s)| Previous {
                version: v.version,
                schema: s,
            })
            .collect();
        let findings = check(level, &prepared.schema, &previous, &options);
        let compatible = messages.is_empty() && is_compatible(&findings);
        messages.extend(describe(&findings, &compared));
        if !compatible {
            messages.push(format!(
                "{{validateFields: 'false', compatibility: '{level}'}}"
            ));
        }
        CompatibilityVerdict {
            compatible,
            messages,
        }
    }
}

/// Confluent's verbose messages: per breaking finding an `errorType` and a
/// description, then for each version that broke, its number and text.
fn describe(findings: &[Finding], compared: &[SchemaRef]) -> Vec<String> {
    let mut out = Vec::new();
    let mut versions_seen: Vec<i32> = Vec::new();
    for f in findings.iter().filter(|f| f.severity == Severity::Error) {
        let path = if f.new_path.is_empty() {
            "/"
        } else {
            f.new_path.as_str()
        };
        out.push(format!(
            "{{errorType:'{}', description:'{} (at {} in the new schema)', additionalInfo:'{}'}}",
            f.kind.name(),
            f.message.replace('\'', "\\'"),
            path,
            f.kind.rule_id()
        ));
        if let Some(v) = f.version
            && !versions_seen.contains(&v)
        {
            versions_seen.push(v);
        }
    }
    for v in versions_seen {
        if let Some(prev) = compared.iter().find(|c| c.version == v) {
            out.push(format!("{{oldSchemaVersion: {v}}}"));
            out.push(format!("{{oldSchema: '{}'}}", prev.schema.text));
        }
    }
    out
}
