//! The registry state machine: everything the registry knows, rebuilt by
//! applying `_schemas` records in order. No I/O: the store feeds it records,
//! the API reads it, and writes are planned against it ([`State::plan_register`]
//! and friends) before their records are appended and applied.
//!
//! Invariants: applying the same record sequence always yields the same
//! state; applying a record twice in a row changes nothing the second time;
//! any record, however malformed its content, leaves the state consistent
//! (no panics, no dangling ids).

mod apply;
mod compat;
mod delete;
mod index;
mod query;
mod resolver;
mod write;

#[cfg(test)]
mod index_tests;
#[cfg(test)]
mod tests;

use std::collections::{BTreeMap, BTreeSet};
use std::sync::{Arc, OnceLock};

use herald_schema::{Reference, Schema, SchemaType};
use md5::{Digest, Md5};
use serde_json::Value as Json;
use uuid::Uuid;

use crate::record::{ConfigValue, Mode};

pub use compat::CompatibilityVerdict;
pub(crate) use index::ContextState;
pub use query::{SchemaRef, SubjectFilter, VersionSpec};
pub use resolver::StateResolver;
pub use write::{Candidate, DeleteOutcome, RegisterOptions, RegisterOutcome};

/// The identity of a schema's content within a context: two registrations
/// with equal keys get the same id.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ContentKey {
    pub schema_type: SchemaType,
    pub text: Arc<str>,
    pub references: Vec<Reference>,
    /// `metadata` and `ruleSet` as compact JSON, part of identity as in Confluent.
    pub extra: String,
}

impl ContentKey {
    pub(crate) fn new(
        schema_type: SchemaType,
        text: Arc<str>,
        references: Vec<Reference>,
        metadata: Option<&Json>,
        rule_set: Option<&Json>,
    ) -> ContentKey {
        ContentKey {
            schema_type,
            text,
            references,
            extra: contract_key(metadata, rule_set),
        }
    }
}

/// The data-contract part of a content's identity: empty without one.
fn contract_key(metadata: Option<&Json>, rule_set: Option<&Json>) -> String {
    match (metadata, rule_set) {
        (None, None) => String::new(),
        (m, r) => serde_json::json!([m, r]).to_string(),
    }
}

/// One registered schema content, shared by every subject version that uses it.
///
/// Kept small, as the registry holds one per id for as long as it runs:
/// the text is held once, here (the indexes hold ids, and responses are
/// serialized from this copy), and what most schemas lack (data-contract
/// fields) or have not built yet (the parsed form) is boxed.
#[derive(Debug)]
pub struct StoredSchema {
    /// Its id within its context.
    pub id: i32,
    /// The context it belongs to.
    pub context: String,
    /// Its format.
    pub schema_type: SchemaType,
    /// The stored text (canonical, or normalized if registered with `normalize`).
    pub text: Arc<str>,
    /// Its references, as stored.
    pub references: Vec<Reference>,
    /// The GUID clients may use instead of the id: the MD5 of the content.
    pub guid: Uuid,
    /// Data-contract metadata and rules, as registered; `None` without either.
    contract: Option<Box<Contract>>,
    /// The parsed schema, built on first use (replay does not parse, so
    /// start-up stays fast).
    parsed: OnceLock<Box<Result<Schema, String>>>,
}

#[derive(Debug)]
struct Contract {
    metadata: Option<Json>,
    rule_set: Option<Json>,
}

impl StoredSchema {
    fn new(
        context: &str,
        id: i32,
        key: &ContentKey,
        metadata: Option<Json>,
        rule_set: Option<Json>,
    ) -> StoredSchema {
        let mut md5 = Md5::new();
        md5.update(key.text.as_bytes());
        if !key.references.is_empty() || !key.extra.is_empty() {
            md5.update(serde_json::to_vec(&key.references).unwrap_or_default());
            md5.update(key.extra.as_bytes());
        }
        let digest: [u8; 16] = md5.finalize().into();
        let contract = (metadata.is_some() || rule_set.is_some())
            .then(|| Box::new(Contract { metadata, rule_set }));
        StoredSchema {
            id,
            context: context.to_owned(),
            schema_type: key.schema_type,
            text: key.text.clone(),
            references: key.references.clone(),
            guid: Uuid::from_bytes(digest),
            contract,
            parsed: OnceLock::new(),
        }
    }

    /// Data-contract metadata, as registered.
    pub fn metadata(&self) -> Option<&Json> {
        self.contract.as_ref()?.metadata.as_ref()
    }

    /// Data-contract rules, as registered.
    pub fn rule_set(&self) -> Option<&Json> {
        self.contract.as_ref()?.rule_set.as_ref()
    }

    /// Whether this schema's content is `key` (without building its key).
    pub(crate) fn has_content(&self, key: &ContentKey) -> bool {
        self.schema_type == key.schema_type
            && *self.text == *key.text
            && self.references == key.references
            && match &self.contract {
                None => key.extra.is_empty(),
                Some(_) => self.contract_key() == key.extra,
            }
    }

    /// Whether two schemas have the same content (as their keys would say).
    pub(crate) fn same_content(&self, other: &StoredSchema) -> bool {
        self.schema_type == other.schema_type
            && *self.text == *other.text
            && self.references == other.references
            && match (&self.contract, &other.contract) {
                (None, None) => true,
                (Some(_), Some(_)) => self.contract_key() == other.contract_key(),
                _ => false,
            }
    }

    fn contract_key(&self) -> String {
        contract_key(self.metadata(), self.rule_set())
    }
}

/// One version of a subject.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct VersionEntry {
    /// The schema id it points at (in the subject's context).
    pub id: i32,
    /// Whether it is soft-deleted.
    pub deleted: bool,
}

/// A subject: its versions and its own configuration and mode. A subject
/// with no versions may exist to hold a config or mode set ahead of time.
#[derive(Debug, Clone, Default)]
pub(crate) struct SubjectState {
    pub versions: BTreeMap<i32, VersionEntry>,
    /// The highest version ever seen, so a version number is never reused
    /// while the registry runs, even after a permanent delete.
    pub max_version: i32,
    pub config: Option<ConfigValue>,
    pub mode: Option<Mode>,
}

impl SubjectState {
    fn is_empty(&self) -> bool {
        self.versions.is_empty() && self.config.is_none() && self.mode.is_none()
    }

    pub(crate) fn has_live_versions(&self) -> bool {
        self.versions.values().any(|v| !v.deleted)
    }
}

/// The whole registry state.
#[derive(Debug, Default)]
pub struct State {
    pub(crate) contexts: BTreeMap<String, ContextState>,
    pub(crate) subjects: BTreeMap<String, SubjectState>,
    pub(crate) global_config: Option<ConfigValue>,
    pub(crate) global_mode: Option<Mode>,
    /// Contexts announced by `CONTEXT` records.
    pub(crate) known_contexts: BTreeSet<String>,
    /// Records applied, including skipped ones (for logs and metrics).
    pub(crate) applied: u64,
}

impl State {
    /// An empty registry.
    pub fn new() -> State {
        State::default()
    }

    /// How many distinct schemas (ids) the registry holds, over all contexts.
    pub fn schema_count(&self) -> usize {
        self.contexts.values().map(ContextState::len).sum()
    }

    /// How many subjects have at least one live version.
    pub fn subject_count(&self) -> usize {
        self.subjects
            .values()
            .filter(|s| s.has_live_versions())
            .count()
    }

    /// How many records have been applied.
    pub fn records_applied(&self) -> u64 {
        self.applied
    }
}
