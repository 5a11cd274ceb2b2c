//! Applying `_schemas` records to the state.

use std::sync::Arc;

use crate::record::{Key, Record, SchemaValue, Value};
use crate::subject::QualifiedSubject;

use super::{ContentKey, State, StoredSchema, SubjectState, VersionEntry};

impl State {
    /// Applies one record. Records whose value does not fit their key are
    /// ignored (with a warning), as the other registries do, so one bad record
    /// cannot stop a replay.
    pub fn apply(&mut self, record: &Record) {
        self.applied += 1;
        match (&record.key, &record.value) {
            (Key::Schema { subject, version }, Some(Value::Schema(value))) => {
                self.put_version(subject, *version, value);
            }
            (Key::Schema { subject, version }, None) => self.remove_version(subject, *version),
            (Key::Config { subject: None }, Some(Value::Config(c))) => {
                self.global_config = Some(c.clone())
            }
            (Key::Config { subject: None }, None) => self.global_config = None,
            (Key::Config { subject: Some(s) }, Some(Value::Config(c))) => {
                self.subject_mut(s).config = Some(c.clone());
            }
            (Key::Config { subject: Some(s) }, None) => {
                self.edit_subject(s, |st| st.config = None);
            }
            (Key::Mode { subject: None }, Some(Value::Mode(m))) => self.global_mode = Some(m.mode),
            (Key::Mode { subject: None }, None) => self.global_mode = None,
            (Key::Mode { subject: Some(s) }, Some(Value::Mode(m))) => {
                self.subject_mut(s).mode = Some(m.mode)
            }
            (Key::Mode { subject: Some(s) }, None) => self.edit_subject(s, |st| st.mode = None),
            (Key::DeleteSubject { subject }, Some(Value::DeleteSubject(d))) => {
                self.edit_subject(subject, |st| {
                    for (_, entry) in st.versions.range_mut(..=d.version) {
                        entry.deleted = true;
                    }
                });
            }
            (Key::ClearSubject { subject }, Some(_)) => {
                // Confluent writes this to drop a subject's soft-deleted
                // versions from memory; they stay gone.
                let cleared: Vec<i32> = self
                    .subjects
                    .get(subject)
                    .map(|st| {
                        st.versions
                            .iter()
                            .filter(|(_, e)| e.deleted)
                            .map(|(v, _)| *v)
                            .collect()
                    })
                    .unwrap_or_default();
                for version in cleared {
                    self.remove_version(subject, version);
                }
            }
            (Key::Context { context, .. }, Some(_)) => {
                self.known_contexts.insert(context.clone());
            }
            (
                Key::DeleteSubject { .. }
                | Key::ClearSubject { .. }
                | Key::Context { .. }
                | Key::Noop,
                None,
            )
            | (Key::Noop, Some(_)) => {}
            (key, Some(value)) => {
                tracing::warn!(
                    ?key,
                    ?value,
                    "skipping a _schemas record whose value does not match its key"
                );
            }
        }
    }

    fn subject_mut(&mut self, subject: &str) -> &mut SubjectState {
        let key = QualifiedSubject::parse(subject).qualified();
        self.subjects.entry(key).or_default()
    }

    /// Edits an existing subject and forgets it once it holds nothing.
    fn edit_subject(&mut self, subject: &str, edit: impl FnOnce(&mut SubjectState)) {
        let key = QualifiedSubject::parse(subject).qualified();
        if let Some(st) = self.subjects.get_mut(&key) {
            edit(st);
            if st.is_empty() && st.max_version == 0 {
                self.subjects.remove(&key);
            }
        }
    }

    fn put_version(&mut self, key_subject: &str, version: i32, value: &SchemaValue) {
        let q = QualifiedSubject::parse(key_subject);
        let subject = q.qualified();
        let content = ContentKey::new(
            value.schema_type.unwrap_or_default(),
            Arc::from(value.schema.as_str()),
            value.references.clone(),
            value.metadata.as_ref(),
            value.rule_set.as_ref(),
        );
        let ctx = self.contexts.entry(q.context.clone()).or_default();
        match ctx.schema(value.id) {
            Some(existing) if !existing.has_content(&content) => {
                // Only an IMPORT that overwrote an id can do this; the first
                // content keeps the id so readers see one schema per id.
                tracing::warn!(
                    id = value.id,
                    subject,
                    version,
                    "a _schemas record gives an existing id another schema; keeping the first"
                );
            }
            Some(_) => {}
            None => ctx.insert(Arc::new(StoredSchema::new(
                &q.context,
                value.id,
                &content,
                value.metadata.clone(),
                value.rule_set.clone(),
            ))),
        }
        ctx.max_id = ctx.max_id.max(value.id);
        let st = self.subjects.entry(subject.clone()).or_default();
        st.max_version = st.max_version.max(version);
        let previous = st.versions.insert(
            version,
            VersionEntry {
                id: value.id,
                deleted: value.deleted,
            },
        );
        let ctx_name = q.context;
        match previous {
            Some(old) if old.id == value.id => {}
            Some(old) => {
                self.release(&ctx_name, old.id);
                self.retain(&ctx_name, value.id);
            }
            None => self.retain(&ctx_name, value.id),
        }
    }

    fn remove_version(&mut self, key_subject: &str, version: i32) {
        let q = QualifiedSubject::parse(key_subject);
        let subject = q.qualified();
        let Some(st) = self.subjects.get_mut(&subject) else {
            return;
        };
        let Some(old) = st.versions.remove(&version) else {
            return;
        };
        if st.versions.is_empty() {
            // Confluent drops a subject's own config and mode with its last version.
            st.config = None;
            st.mode = None;
        }
        self.release(&q.context, old.id);
    }

    fn retain(&mut self, context: &str, id: i32) {
        if let Some(ctx) = self.contexts.get_mut(context) {
            *ctx.refcount.entry(id).or_insert(0) += 1;
        }
    }

    fn release(&mut self, context: &str, id: i32) {
        let Some(ctx) = self.contexts.get_mut(context) else {
            return;
        };
        let remaining = match ctx.refcount.get_mut(&id) {
            Some(n) => {
                *n = n.saturating_sub(1);
                *n
            }
            None => 0,
        };
        if remaining == 0 {
            ctx.refcount.remove(&id);
            ctx.remove(id);
        }
    }
}
