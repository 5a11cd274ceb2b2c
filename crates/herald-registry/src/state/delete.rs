//! Planning deletes of versions and subjects.

use herald_schema::SchemaType;

use crate::RegistryError;
use crate::record::{DeleteSubjectValue, Key, Record, SchemaValue, Value};
use crate::subject::QualifiedSubject;

use super::write::DeleteOutcome;
use super::{SchemaRef, State, VersionSpec};

impl State {
    /// Plans `DELETE /subjects/{s}/versions/{v}` (soft, or `permanent`
    /// after a soft delete).
    pub fn plan_delete_version(
        &self,
        subject: &str,
        spec: VersionSpec,
        permanent: bool,
    ) -> Result<DeleteOutcome, RegistryError> {
        let qs = QualifiedSubject::parse(subject).qualified();
        self.refuse_if_read_only(&qs)?;
        // A number finds soft-deleted versions too, so a repeated soft delete
        // answers 40406 rather than 40402; `latest` means the newest live one
        // unless the delete is permanent.
        let found = self.version(
            &qs,
            spec,
            permanent || matches!(spec, VersionSpec::Number(_)),
        )?;
        let key = Key::Schema {
            subject: qs.clone(),
            version: found.version,
        };
        let mut records = Vec::new();
        if permanent {
            if !found.deleted {
                return Err(RegistryError::VersionNotSoftDeleted {
                    subject: qs,
                    version: found.version,
                });
            }
            self.refuse_if_referenced(&qs, found.version, true, false)?;
            records.push(Record::tombstone(key));
            let st = self.visible_subject(&qs, true)?;
            if st.versions.len() == 1 {
                records.extend(self.subject_setting_tombstones(&qs));
            }
        } else {
            if found.deleted {
                return Err(RegistryError::VersionSoftDeleted {
                    subject: qs,
                    version: found.version,
                });
            }
            self.refuse_if_referenced(&qs, found.version, false, false)?;
            records.push(Record::new(key, Value::Schema(schema_value(&found, true))));
        }
        Ok(DeleteOutcome {
            versions: vec![found.version],
            records,
        })
    }

    /// Plans `DELETE /subjects/{s}`: a soft delete marks every live version
    /// deleted with one `DELETE_SUBJECT` record; a permanent one (after a
    /// soft delete) writes a tombstone per version, newest first.
    pub fn plan_delete_subject(
        &self,
        subject: &str,
        permanent: bool,
    ) -> Result<DeleteOutcome, RegistryError> {
        let qs = QualifiedSubject::parse(subject).qualified();
        self.refuse_if_read_only(&qs)?;
        let st = self.visible_subject(&qs, true)?;
        if permanent {
            if st.has_live_versions() {
                return Err(RegistryError::SubjectNotSoftDeleted { subject: qs });
            }
            let versions: Vec<i32> = st.versions.keys().copied().collect();
            for v in &versions {
                self.refuse_if_referenced(&qs, *v, true, true)?;
            }
            let mut records: Vec<Record> = versions
                .iter()
                .rev()
                .map(|v| {
                    Record::tombstone(Key::Schema {
                        subject: qs.clone(),
                        version: *v,
                    })
                })
                .collect();
            records.extend(self.subject_setting_tombstones(&qs));
            Ok(DeleteOutcome { versions, records })
        } else {
            if !st.has_live_versions() {
                return Err(RegistryError::SubjectSoftDeleted { subject: qs });
            }
            let versions: Vec<i32> = st
                .versions
                .iter()
                .filter(|(_, e)| !e.deleted)
                .map(|(v, _)| *v)
                .collect();
            for v in &versions {
                self.refuse_if_referenced(&qs, *v, false, true)?;
            }
            let watermark = versions.last().copied().unwrap_or_default();
            let record = Record::new(
                Key::DeleteSubject {
                    subject: qs.clone(),
                },
                Value::DeleteSubject(DeleteSubjectValue {
                    subject: qs,
                    version: watermark,
                }),
            );
            Ok(DeleteOutcome {
                versions,
                records: vec![record],
            })
        }
    }

    fn refuse_if_read_only(&self, subject: &str) -> Result<(), RegistryError> {
        if self.effective_mode(Some(subject)).is_read_only() {
            return Err(RegistryError::not_permitted(format!(
                "Subject {subject} is in read-only mode"
            )));
        }
        Ok(())
    }

    fn refuse_if_referenced(
        &self,
        subject: &str,
        version: i32,
        include_deleted: bool,
        same_subject_ok: bool,
    ) -> Result<(), RegistryError> {
        let referrers = self.referrers(subject, version, include_deleted);
        if referrers
            .iter()
            .any(|(s, _, _)| !(same_subject_ok && s == subject))
        {
            return Err(RegistryError::ReferenceExists {
                subject: subject.to_owned(),
                version,
            });
        }
        Ok(())
    }

    /// Tombstones for a subject's own config and mode, written with its last
    /// version's permanent delete so compaction cannot bring them back.
    fn subject_setting_tombstones(&self, subject: &str) -> Vec<Record> {
        let mut out = Vec::new();
        if self.subject_config(subject).is_some() {
            out.push(Record::tombstone(Key::Config {
                subject: Some(subject.to_owned()),
            }));
        }
        if self.subject_mode(subject).is_some() {
            out.push(Record::tombstone(Key::Mode {
                subject: Some(subject.to_owned()),
            }));
        }
        out
    }
}

fn schema_value(found: &SchemaRef, deleted: bool) -> SchemaValue {
    let s = &found.schema;
    SchemaValue {
        subject: found.subject.clone(),
        version: found.version,
        id: s.id,
        schema_type: (s.schema_type != SchemaType::Avro).then_some(s.schema_type),
        references: s.references.clone(),
        metadata: s.metadata().cloned(),
        rule_set: s.rule_set().cloned(),
        schema: s.text.to_string(),
        deleted,
    }
}
