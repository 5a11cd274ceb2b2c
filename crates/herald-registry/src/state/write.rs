//! Planning writes: each operation is decided against the current state and
//! yields the records that carry it out, without changing anything. The
//! caller appends the records to `_schemas` and, once they are durable,
//! applies them — so what a client is told and what a replay rebuilds are
//! the same thing.

use std::sync::Arc;

use herald_schema::{Reference, Schema, SchemaType};
use serde_json::Value as Json;

use crate::RegistryError;
use crate::record::{ConfigValue, Key, Mode, ModeValue, Record, SchemaValue, Value};
use crate::subject::{self, QualifiedSubject};

use super::compat::Against;
use super::{ContentKey, SchemaRef, State, StateResolver, VersionSpec};

/// A schema as a client sent it for registration, lookup or a check.
#[derive(Debug, Clone, Default)]
pub struct Candidate {
    /// Its format.
    pub schema_type: SchemaType,
    /// Its text.
    pub text: String,
    /// Its references (version `-1` = latest).
    pub references: Vec<Reference>,
    /// Data-contract metadata, kept as given.
    pub metadata: Option<Json>,
    /// Data-contract rules, kept as given.
    pub rule_set: Option<Json>,
    /// The id to register under (IMPORT mode only).
    pub id: Option<i32>,
    /// The version to register as (IMPORT mode; otherwise it must be the next).
    pub version: Option<i32>,
}

/// Options of a registration.
#[derive(Debug, Clone, Copy, Default)]
pub struct RegisterOptions {
    /// `normalize=true` was asked for.
    pub normalize: bool,
    /// Skip the compatibility check (`force=true`).
    pub force: bool,
}

/// What a registration comes to.
#[derive(Debug, Clone)]
pub enum RegisterOutcome {
    /// The schema is a live version of the subject already: nothing to write.
    Existing(SchemaRef),
    /// A new version: append `record`, then apply it.
    New {
        /// The id the schema gets.
        id: i32,
        /// The version it gets.
        version: i32,
        /// The `SCHEMA` record to write.
        record: Box<Record>,
    },
}

/// What a delete comes to: the versions it deletes and the records to write.
#[derive(Debug, Clone)]
pub struct DeleteOutcome {
    /// The deleted versions, oldest first.
    pub versions: Vec<i32>,
    /// The records to write, in order.
    pub records: Vec<Record>,
}

/// A candidate parsed in its subject's context.
#[derive(Debug, Clone)]
pub(crate) struct Prepared {
    pub schema: Schema,
    pub content: ContentKey,
    pub metadata: Option<Json>,
    pub rule_set: Option<Json>,
}

impl State {
    /// Parses a candidate for `subject` (42201 when it does not parse or a
    /// reference does not resolve), in normalized form if asked. A `new`
    /// schema is fully validated; otherwise (lookups, IMPORT) it is read as
    /// a stored schema, as Confluent does (field defaults unchecked).
    pub(crate) fn prepare(
        &self,
        subject: &QualifiedSubject,
        c: &Candidate,
        normalize: bool,
        new: bool,
    ) -> Result<Prepared, RegistryError> {
        let mut references = Vec::with_capacity(c.references.len());
        for r in &c.references {
            let mut r = r.clone();
            if r.version == -1 {
                let target = QualifiedSubject::in_context(&subject.context, &r.subject).qualified();
                r.version = self
                    .version(&target, VersionSpec::Latest, false)
                    .map_err(|_| {
                        RegistryError::invalid_schema(format!(
                            "reference {:?} points at subject {:?}, which has no versions",
                            r.name, r.subject
                        ))
                    })?
                    .version;
            }
            references.push(r);
        }
        if normalize {
            references.sort();
            references.dedup();
        }
        let resolver = StateResolver::new(self, &subject.context);
        let parsed = if new {
            Schema::parse(c.schema_type, &c.text, &references, &resolver)
        } else {
            Schema::parse_stored(c.schema_type, &c.text, &references, &resolver)
        };
        let schema = parsed.map_err(|e| RegistryError::invalid_schema(e.to_string()))?;
        let text: Arc<str> = Arc::from(if normalize {
            schema.normalized()
        } else {
            schema.canonical()
        });
        let content = ContentKey::new(
            c.schema_type,
            text,
            references,
            c.metadata.as_ref(),
            c.rule_set.as_ref(),
        );
        Ok(Prepared {
            schema,
            content,
            metadata: c.metadata.clone(),
            rule_set: c.rule_set.clone(),
        })
    }

    /// Whether normalization applies: asked for, or configured for the subject.
    pub(crate) fn normalize_for(&self, subject: &str, asked: bool) -> bool {
        asked || self.effective_config(Some(subject)).normalize == Some(true)
    }

    /// The version of `subject` whose content equals `content`, newest first.
    fn find_content(
        &self,
        subject: &str,
        content: &ContentKey,
        include_deleted: bool,
    ) -> Option<SchemaRef> {
        let q = QualifiedSubject::parse(subject);
        let id = self.contexts.get(&q.context)?.id_by_content(content)?;
        let st = self.subjects.get(&q.qualified())?;
        let (version, entry) = st
            .versions
            .iter()
            .rev()
            .find(|(_, e)| e.id == id && (include_deleted || !e.deleted))?;
        self.schema_ref(subject, *version, *entry).ok()
    }

    /// Looks a schema up under a subject (`POST /subjects/{s}`): 40401 when
    /// the subject has no versions, 40403 when none of them is this schema.
    /// Falls back to comparing normalized forms, so a schema sent with other
    /// formatting or namespace spelling is still found.
    pub fn lookup(
        &self,
        subject: &str,
        c: &Candidate,
        normalize: bool,
        include_deleted: bool,
    ) -> Result<SchemaRef, RegistryError> {
        let q = subject::validate(subject)?;
        let qs = q.qualified();
        self.visible_subject(&qs, include_deleted)?;
        let prepared = self.prepare(&q, c, self.normalize_for(&qs, normalize), false)?;
        if let Some(found) = self.find_content(&qs, &prepared.content, include_deleted) {
            return Ok(found);
        }
        let wanted = prepared.schema.normalized();
        let st = self.visible_subject(&qs, include_deleted)?;
        for (version, entry) in st.versions.iter().rev() {
            if entry.deleted && !include_deleted {
                continue;
            }
            let found = self.schema_ref(&qs, *version, *entry)?;
            let same = found.schema.schema_type == c.schema_type
                && found.schema.parsed(self).is_ok_and(|s| {
                    s.normalized() == wanted && s.references() == prepared.schema.references()
                });
            if same {
                return Ok(found);
            }
        }
        Err(RegistryError::SchemaNotFound {
            what: "Schema not found".to_owned(),
        })
    }

    /// Plans a registration (`POST /subjects/{s}/versions`), following
    /// Confluent's order: an existing live version is returned even in
    /// READONLY mode; then the mode, the compatibility check, the id (the
    /// content's id in the context, else max + 1) and the version (max + 1).
    pub fn plan_register(
        &self,
        subject: &str,
        c: &Candidate,
        opts: RegisterOptions,
    ) -> Result<RegisterOutcome, RegistryError> {
        let q = subject::validate(subject)?;
        let qs = q.qualified();
        let mode = self.effective_mode(Some(&qs));
        let importing = mode == Mode::Import;
        let normalize = self.normalize_for(&qs, opts.normalize);
        let prepared = match self.prepare(&q, c, normalize, !importing) {
            Ok(p) => p,
            Err(refused) => {
                // A schema already stored (say, by a Confluent registry that did
                // not validate defaults) is found as it is, as Confluent's
                // look-up before registering does; only new schemas must pass.
                let stored = self.prepare(&q, c, normalize, false).ok();
                return match stored.and_then(|p| self.find_content(&qs, &p.content, false)) {
                    Some(existing) if c.id.is_none() => Ok(RegisterOutcome::Existing(existing)),
                    _ => Err(refused),
                };
            }
        };
        if c.id.is_none()
            && let Some(existing) = self.find_content(&qs, &prepared.content, false)
        {
            return Ok(RegisterOutcome::Existing(existing));
        }
        if mode.is_read_only() {
            return Err(RegistryError::not_permitted(format!(
                "Subject {qs} is in read-only mode"
            )));
        }
        if c.id.is_some() && !importing {
            return Err(RegistryError::not_permitted(format!(
                "Subject {qs} is not in import mode: a schema id may only be given in IMPORT mode"
            )));
        }
        if importing && c.id.is_none() {
            return Err(RegistryError::not_permitted(format!(
                "Subject {qs} is in import mode: a registration must give the schema id"
            )));
        }
        if mode == Mode::Readwrite && !opts.force {
            let verdict = self.check_prepared(&qs, &prepared, &Against::Level);
            if !verdict.compatible {
                return Err(RegistryError::Incompatible {
                    subject: qs,
                    messages: verdict.messages,
                });
            }
        }
        let ctx = self.contexts.get(&q.context);
        let st = self.subjects.get(&qs);
        let next_version = st.map_or(0, |s| s.max_version).saturating_add(1);
        let id = match c.id {
            Some(id) => {
                if id < 1 {
                    return Err(RegistryError::invalid_schema(format!(
                        "schema id {id} must be positive"
                    )));
                }
                if let Some(existing) = ctx.and_then(|x| x.schema(id))
                    && !existing.has_content(&prepared.content)
                {
                    return Err(RegistryError::not_permitted(format!(
                        "Overwrite new schema with id {id} is not permitted."
                    )));
                }
                id
            }
            None => match ctx.and_then(|x| x.id_by_content(&prepared.content)) {
                Some(id) => id,
                None => ctx.map_or(0, |x| x.max_id).checked_add(1).ok_or_else(|| {
                    RegistryError::Store {
                        reason: "schema ids are exhausted".to_owned(),
                    }
                })?,
            },
        };
        let version = match c.version {
            None | Some(-1) => next_version,
            Some(v) if importing => {
                if v < 1 {
                    return Err(RegistryError::InvalidVersion {
                        version: v.to_string(),
                    });
                }
                if let Some(existing) = st.and_then(|s| s.versions.get(&v))
                    && existing.id != id
                {
                    return Err(RegistryError::IdMismatch {
                        reason: format!(
                            "Version {v} of subject {qs} already exists with id {}, not the imported id {id}",
                            existing.id
                        ),
                    });
                }
                v
            }
            Some(v) if v == next_version => v,
            Some(v) => {
                return Err(RegistryError::not_permitted(format!(
                    "Version {v} is not the next version of subject {qs} ({next_version})"
                )));
            }
        };
        let schema_type = prepared.content.schema_type;
        let record = Record::new(
            Key::Schema {
                subject: qs.clone(),
                version,
            },
            Value::Schema(SchemaValue {
                subject: qs,
                version,
                id,
                schema_type: (schema_type != SchemaType::Avro).then_some(schema_type),
                references: prepared.content.references.clone(),
                metadata: prepared.metadata,
                rule_set: prepared.rule_set,
                schema: prepared.content.text.to_string(),
                deleted: false,
            }),
        );
        Ok(RegisterOutcome::New {
            id,
            version,
            record: Box::new(record),
        })
    }

    /// Plans `PUT /config[/{s}]`: the update's fields over the current ones.
    pub fn plan_config(
        &self,
        subject: Option<&str>,
        update: &ConfigValue,
    ) -> Result<Record, RegistryError> {
        let subject = subject.map(validate_config_subject).transpose()?;
        let current = match &subject {
            Some(s) => self.subject_config(s),
            None => self.global_config(),
        };
        let mut merged = current.cloned().unwrap_or_default();
        if update.compatibility_level.is_some() {
            merged.compatibility_level = update.compatibility_level;
        }
        if update.compatibility_policy.is_some() {
            merged.compatibility_policy = update.compatibility_policy;
        }
        if update.normalize.is_some() {
            merged.normalize = update.normalize;
        }
        for (k, v) in &update.other {
            merged.other.insert(k.clone(), v.clone());
        }
        Ok(Record::new(Key::Config { subject }, Value::Config(merged)))
    }

    /// Plans `DELETE /config[/{s}]`, returning the configuration removed
    /// (40401 for a subject without its own).
    pub fn plan_delete_config(
        &self,
        subject: Option<&str>,
    ) -> Result<(ConfigValue, Record), RegistryError> {
        match subject {
            Some(s) => {
                let qs = validate_config_subject(s)?;
                let previous = self.subject_config(&qs).cloned().ok_or_else(|| {
                    RegistryError::SubjectNotFound {
                        subject: qs.clone(),
                    }
                })?;
                Ok((
                    previous,
                    Record::tombstone(Key::Config { subject: Some(qs) }),
                ))
            }
            None => Ok((
                self.effective_config(None),
                Record::tombstone(Key::Config { subject: None }),
            )),
        }
    }

    /// Plans `PUT /mode[/{s}]`. FORWARD is global only; IMPORT over live
    /// schemas needs `force`.
    pub fn plan_mode(
        &self,
        subject: Option<&str>,
        mode: Mode,
        force: bool,
    ) -> Result<Record, RegistryError> {
        let subject = subject.map(validate_config_subject).transpose()?;
        if mode == Mode::Forward && subject.is_some() {
            return Err(RegistryError::InvalidMode {
                mode: "FORWARD is only valid for the global mode".to_owned(),
            });
        }
        let current = match &subject {
            Some(s) => self.effective_mode(Some(s)),
            None => self.effective_mode(None),
        };
        if mode == Mode::Import
            && current != Mode::Import
            && !force
            && self.has_live_schemas(subject.as_deref())
        {
            return Err(RegistryError::not_permitted(
                "Cannot import since found existing subjects; use force=true to set IMPORT mode anyway",
            ));
        }
        Ok(Record::new(
            Key::Mode { subject },
            Value::Mode(ModeValue { mode }),
        ))
    }

    /// Plans `DELETE /mode[/{s}]`, returning the mode removed (40401 for a
    /// subject without its own).
    pub fn plan_delete_mode(&self, subject: Option<&str>) -> Result<(Mode, Record), RegistryError> {
        match subject {
            Some(s) => {
                let qs = validate_config_subject(s)?;
                let previous =
                    self.subject_mode(&qs)
                        .ok_or_else(|| RegistryError::SubjectNotFound {
                            subject: qs.clone(),
                        })?;
                Ok((previous, Record::tombstone(Key::Mode { subject: Some(qs) })))
            }
            None => Ok((
                self.effective_mode(None),
                Record::tombstone(Key::Mode { subject: None }),
            )),
        }
    }
}

/// A subject for a config or mode: a subject or a context (`:.ctx:`).
fn validate_config_subject(subject: &str) -> Result<String, RegistryError> {
    let q = QualifiedSubject::parse(subject);
    if q.is_context_level() && subject.starts_with(":.") {
        return Ok(q.qualified());
    }
    Ok(subject::validate(subject)?.qualified())
}
