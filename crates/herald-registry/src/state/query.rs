//! Read-only questions the API asks of the state.

use std::sync::Arc;

use herald_schema::CompatibilityLevel;
use uuid::Uuid;

use crate::RegistryError;
use crate::record::{ConfigValue, Mode};
use crate::subject::{DEFAULT_CONTEXT, QualifiedSubject};

use super::{State, StoredSchema, SubjectState, VersionEntry};

/// A version named in a path: a number or `latest` (also spelled `-1`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum VersionSpec {
    /// The newest version.
    Latest,
    /// A version number in [1, 2^31-1].
    Number(i32),
}

impl VersionSpec {
    /// Parses a path's version (42202 for anything else).
    pub fn parse(text: &str) -> Result<VersionSpec, RegistryError> {
        if text.eq_ignore_ascii_case("latest") || text == "-1" {
            return Ok(VersionSpec::Latest);
        }
        match text.parse::<i32>() {
            Ok(n) if n >= 1 => Ok(VersionSpec::Number(n)),
            _ => Err(RegistryError::InvalidVersion {
                version: text.to_owned(),
            }),
        }
    }
}

/// One subject version together with its schema.
#[derive(Debug, Clone)]
pub struct SchemaRef {
    /// The qualified subject.
    pub subject: String,
    /// The version.
    pub version: i32,
    /// Whether the version is soft-deleted.
    pub deleted: bool,
    /// The schema.
    pub schema: Arc<StoredSchema>,
}

/// Which subjects `GET /subjects` lists.
#[derive(Debug, Clone, Default)]
pub struct SubjectFilter {
    /// Only subjects starting with this (qualified) prefix; `None` or `:*:`
    /// means every context.
    pub prefix: Option<String>,
    /// Include soft-deleted subjects.
    pub deleted: bool,
    /// Only soft-deleted subjects.
    pub deleted_only: bool,
}

impl State {
    /// The schema with `id` in `context`, soft-deleted versions included.
    pub fn schema_by_id(&self, context: &str, id: i32) -> Option<&Arc<StoredSchema>> {
        self.contexts.get(context)?.schema(id)
    }

    /// The schema with this GUID, in any context.
    pub fn schema_by_guid(&self, guid: Uuid) -> Option<&Arc<StoredSchema>> {
        self.contexts
            .values()
            .find_map(|ctx| ctx.schema(ctx.id_by_guid(guid)?))
    }

    /// Every `(context, id)` whose schema has this GUID, in context then
    /// id order. The GUID hashes the content alone, so the same schema in
    /// several contexts (or imported under several ids) has one GUID and
    /// several ids; soft-deleted versions' schemas count, as for
    /// [`State::schema_by_guid`]. A scan of the schemas: this endpoint is
    /// rare, and the scan needs no second index to keep in order.
    pub fn ids_by_guid(&self, guid: Uuid) -> Vec<(String, i32)> {
        let mut out = Vec::new();
        for (name, ctx) in &self.contexts {
            let mut ids: Vec<i32> = ctx
                .schemas()
                .filter(|s| s.guid == guid)
                .map(|s| s.id)
                .collect();
            ids.sort_unstable();
            out.extend(ids.into_iter().map(|id| (name.clone(), id)));
        }
        out
    }

    /// The highest id ever allocated in `context`.
    pub fn max_id(&self, context: &str) -> i32 {
        self.contexts.get(context).map_or(0, |c| c.max_id)
    }

    fn subject(&self, subject: &str) -> Option<&SubjectState> {
        self.subjects
            .get(&QualifiedSubject::parse(subject).qualified())
    }

    /// Subjects with versions, in name order.
    pub fn subjects(&self, filter: &SubjectFilter) -> Vec<String> {
        let prefix = filter.prefix.as_deref().filter(|p| *p != ":*:");
        self.subjects
            .iter()
            .filter(|(name, _)| prefix.is_none_or(|p| matches_prefix(name, p)))
            .filter(|(_, st)| {
                let live = st.has_live_versions();
                let soft_deleted = !live && !st.versions.is_empty();
                if filter.deleted_only {
                    soft_deleted
                } else {
                    live || (filter.deleted && soft_deleted)
                }
            })
            .map(|(name, _)| name.clone())
            .collect()
    }

    /// A subject's versions: live ones, or with `deleted` soft-deleted ones
    /// too, or with `deleted_only` only those. 40401 when there are none.
    pub fn versions(
        &self,
        subject: &str,
        deleted: bool,
        deleted_only: bool,
    ) -> Result<Vec<(i32, VersionEntry)>, RegistryError> {
        let st = self.visible_subject(subject, deleted || deleted_only)?;
        Ok(st
            .versions
            .iter()
            .filter(|(_, e)| {
                if deleted_only {
                    e.deleted
                } else {
                    deleted || !e.deleted
                }
            })
            .map(|(v, e)| (*v, *e))
            .collect())
    }

    /// The subject, if it has versions a reader may see (40401 otherwise).
    pub(crate) fn visible_subject(
        &self,
        subject: &str,
        include_deleted: bool,
    ) -> Result<&SubjectState, RegistryError> {
        self.subject(subject)
            .filter(|st| {
                if include_deleted {
                    !st.versions.is_empty()
                } else {
                    st.has_live_versions()
                }
            })
            .ok_or_else(|| RegistryError::SubjectNotFound {
                subject: subject.to_owned(),
            })
    }

    /// One version of a subject (40401, 40402).
    pub fn version(
        &self,
        subject: &str,
        spec: VersionSpec,
        include_deleted: bool,
    ) -> Result<SchemaRef, RegistryError> {
        let st = self.visible_subject(subject, include_deleted)?;
        let found = match spec {
            VersionSpec::Latest => st
                .versions
                .iter()
                .rev()
                .find(|(_, e)| include_deleted || !e.deleted),
            VersionSpec::Number(n) => st
                .versions
                .get_key_value(&n)
                .filter(|(_, e)| include_deleted || !e.deleted),
        };
        let (version, entry) = found.ok_or_else(|| RegistryError::VersionNotFound {
            version: match spec {
                VersionSpec::Latest => "latest".to_owned(),
                VersionSpec::Number(n) => n.to_string(),
            },
        })?;
        self.schema_ref(subject, *version, *entry)
    }

    pub(crate) fn schema_ref(
        &self,
        subject: &str,
        version: i32,
        entry: VersionEntry,
    ) -> Result<SchemaRef, RegistryError> {
        let q = QualifiedSubject::parse(subject);
        let schema = self
            .schema_by_id(&q.context, entry.id)
            .ok_or_else(|| RegistryError::SchemaNotFound {
                what: format!("Schema {} not found", entry.id),
            })?
            .clone();
        Ok(SchemaRef {
            subject: q.qualified(),
            version,
            deleted: entry.deleted,
            schema,
        })
    }

    /// The live versions of a subject, oldest first (what compatibility
    /// checks compare with).
    pub fn live_versions(&self, subject: &str) -> Vec<SchemaRef> {
        let Some(st) = self.subject(subject) else {
            return Vec::new();
        };
        st.versions
            .iter()
            .filter(|(_, e)| !e.deleted)
            .filter_map(|(v, e)| self.schema_ref(subject, *v, *e).ok())
            .collect()
    }

    /// Every (subject, version) that uses schema `id` of `context`.
    pub fn usages(&self, context: &str, id: i32, include_deleted: bool) -> Vec<(String, i32)> {
        self.subjects
            .iter()
            .filter(|(name, _)| QualifiedSubject::parse(name).context == context)
            .flat_map(|(name, st)| {
                st.versions
                    .iter()
                    .filter(move |(_, e)| e.id == id && (include_deleted || !e.deleted))
                    .map(move |(v, _)| (name.clone(), *v))
            })
            .collect()
    }

    /// The (subject, version, id) of every version whose schema references
    /// `subject` at `version`.
    pub fn referrers(
        &self,
        subject: &str,
        version: i32,
        include_deleted: bool,
    ) -> Vec<(String, i32, i32)> {
        let target = QualifiedSubject::parse(subject).qualified();
        let mut out = Vec::new();
        for (name, st) in &self.subjects {
            let ctx = QualifiedSubject::parse(name).context;
            for (v, e) in &st.versions {
                if e.deleted && !include_deleted {
                    continue;
                }
                let Some(schema) = self.schema_by_id(&ctx, e.id) else {
                    continue;
                };
                let refers = schema.references.iter().any(|r| {
                    r.version == version
                        && QualifiedSubject::in_context(&ctx, &r.subject).qualified() == target
                });
                if refers {
                    out.push((name.clone(), *v, e.id));
                }
            }
        }
        out
    }

    /// The subject's own configuration, if it has one.
    pub fn subject_config(&self, subject: &str) -> Option<&ConfigValue> {
        self.subject(subject)?.config.as_ref()
    }

    /// The global configuration as set, without defaults.
    pub fn global_config(&self) -> Option<&ConfigValue> {
        self.global_config.as_ref()
    }

    /// The configuration in force for a subject (or, with `None`, globally):
    /// the subject's own fields over its context's over the global ones over
    /// the default level BACKWARD.
    pub fn effective_config(&self, subject: Option<&str>) -> ConfigValue {
        let mut merged = ConfigValue {
            compatibility_level: Some(CompatibilityLevel::Backward),
            ..ConfigValue::default()
        };
        let mut layers: Vec<&ConfigValue> = Vec::new();
        if let Some(g) = &self.global_config {
            layers.push(g);
        }
        if let Some(s) = subject {
            let q = QualifiedSubject::parse(s);
            if q.context != DEFAULT_CONTEXT
                && !q.is_context_level()
                && let Some(c) = self.subject_config(&format!(":{}:", q.context))
            {
                layers.push(c);
            }
            if let Some(c) = self.subject_config(s) {
                layers.push(c);
            }
        }
        for layer in layers {
            merge_config(&mut merged, layer);
        }
        merged
    }

    /// The subject's own mode, if it has one.
    pub fn subject_mode(&self, subject: &str) -> Option<Mode> {
        self.subject(subject)?.mode
    }

    /// The global mode as set.
    pub fn global_mode(&self) -> Option<Mode> {
        self.global_mode
    }

    /// The mode in force for a subject (or globally): subject, context,
    /// global, READWRITE.
    pub fn effective_mode(&self, subject: Option<&str>) -> Mode {
        if let Some(s) = subject {
            if let Some(m) = self.subject_mode(s) {
                return m;
            }
            let q = QualifiedSubject::parse(s);
            if q.context != DEFAULT_CONTEXT
                && let Some(m) = self.subject_mode(&format!(":{}:", q.context))
            {
                return m;
            }
        }
        self.global_mode.unwrap_or(Mode::Readwrite)
    }

    /// Every context that holds subjects or was announced, `.` first.
    pub fn context_names(&self) -> Vec<String> {
        let mut names: std::collections::BTreeSet<String> = self.known_contexts.clone();
        names.insert(DEFAULT_CONTEXT.to_owned());
        for name in self.subjects.keys() {
            names.insert(QualifiedSubject::parse(name).context);
        }
        names.into_iter().collect()
    }

    /// Whether any subject in scope (one subject, or everything when `None`)
    /// has live versions.
    pub fn has_live_schemas(&self, subject: Option<&str>) -> bool {
        match subject {
            Some(s) => {
                let q = QualifiedSubject::parse(s);
                if q.is_context_level() {
                    self.subjects.iter().any(|(n, st)| {
                        QualifiedSubject::parse(n).context == q.context && st.has_live_versions()
                    })
                } else {
                    self.subject(s).is_some_and(SubjectState::has_live_versions)
                }
            }
            None => self.subjects.values().any(SubjectState::has_live_versions),
        }
    }

    /// Every subject version for `GET /schemas`: subjects matching the
    /// prefix, live versions (or all with `deleted`), optionally only the
    /// latest of each subject.
    pub fn all_versions(
        &self,
        prefix: Option<&str>,
        deleted: bool,
        latest_only: bool,
    ) -> Vec<SchemaRef> {
        let prefix = prefix.filter(|p| !p.is_empty() && *p != ":*:");
        let mut out = Vec::new();
        for (name, st) in &self.subjects {
            if prefix.is_some_and(|p| !matches_prefix(name, p)) {
                continue;
            }
            let visible: Vec<(&i32, &VersionEntry)> = st
                .versions
                .iter()
                .filter(|(_, e)| deleted || !e.deleted)
                .collect();
            let chosen: Vec<(&i32, &VersionEntry)> = if latest_only {
                visible.last().copied().into_iter().collect()
            } else {
                visible
            };
            out.extend(
                chosen
                    .into_iter()
                    .filter_map(|(v, e)| self.schema_ref(name, *v, *e).ok()),
            );
        }
        out
    }
}

/// Whether a qualified subject name matches a prefix given by a client: a
/// context-qualified prefix (`:.ctx:ord`) matches within that context, a
/// plain one within the default context.
fn matches_prefix(name: &str, prefix: &str) -> bool {
    let target = QualifiedSubject::parse(prefix);
    let q = QualifiedSubject::parse(name);
    q.context == target.context && q.name.starts_with(&target.name)
}

fn merge_config(into: &mut ConfigValue, layer: &ConfigValue) {
    if layer.compatibility_level.is_some() {
        into.compatibility_level = layer.compatibility_level;
    }
    if layer.compatibility_policy.is_some() {
        into.compatibility_policy = layer.compatibility_policy;
    }
    if layer.normalize.is_some() {
        into.normalize = layer.normalize;
    }
    for (k, v) in &layer.other {
        into.other.insert(k.clone(), v.clone());
    }
}
