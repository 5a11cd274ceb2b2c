//! A context's schemas and the two indexes over them (by content, by GUID).
//!
//! The indexes hold schema ids only: their keys (a schema's content, its
//! GUID) are read from the schema each id names. With 10,000 schemas a
//! `HashMap<ContentKey, i32>` kept a second handle on every text plus its
//! references and data-contract key (about 80 bytes a slot), and the GUID
//! map a context name per entry; an id table costs 5 bytes a slot. std's
//! `HashMap` cannot hash a key it does not store, hence hashbrown's
//! `HashTable`.

use std::collections::HashMap;
use std::hash::{BuildHasher, RandomState};
use std::sync::Arc;

use hashbrown::HashTable;
use herald_schema::{Reference, SchemaType};
use uuid::Uuid;

use super::{ContentKey, StoredSchema};

/// The schemas of one context and its id sequence.
///
/// Invariants: every id in `by_content` and `by_guid` names a schema in
/// `schemas`; `by_content` holds one id per distinct content (the first
/// applied, as a lookup by content must give one answer); `by_guid` holds
/// every id, so a GUID resolves while any schema with it remains.
#[derive(Debug, Default)]
pub(crate) struct ContextState {
    schemas: HashMap<i32, Arc<StoredSchema>>,
    by_content: HashTable<i32>,
    by_guid: HashTable<i32>,
    hasher: RandomState,
    /// How many subject versions point at each id; a schema goes when none does.
    pub refcount: HashMap<i32, u32>,
    /// The highest id ever seen in the context: new ids are this plus one.
    pub max_id: i32,
}

impl ContextState {
    /// The schema with `id`.
    pub fn schema(&self, id: i32) -> Option<&Arc<StoredSchema>> {
        self.schemas.get(&id)
    }

    /// Every schema of the context, in no particular order.
    pub fn schemas(&self) -> impl Iterator<Item = &Arc<StoredSchema>> {
        self.schemas.values()
    }

    /// How many schemas the context holds.
    pub fn len(&self) -> usize {
        self.schemas.len()
    }

    /// The id whose schema has this content.
    pub fn id_by_content(&self, key: &ContentKey) -> Option<i32> {
        let hash = content_hash(&self.hasher, key.schema_type, &key.text, &key.references);
        self.by_content
            .find(hash, |id| {
                self.schemas.get(id).is_some_and(|s| s.has_content(key))
            })
            .copied()
    }

    /// The id of a schema with this GUID.
    pub fn id_by_guid(&self, guid: Uuid) -> Option<i32> {
        self.by_guid
            .find(self.hasher.hash_one(guid), |id| {
                self.schemas.get(id).is_some_and(|s| s.guid == guid)
            })
            .copied()
    }

    /// Adds a schema under its id; an id already present keeps its schema.
    pub fn insert(&mut self, schema: Arc<StoredSchema>) {
        let id = schema.id;
        if self.schemas.contains_key(&id) {
            return;
        }
        let hash = stored_hash(&self.hasher, &schema);
        let content_known = self
            .by_content
            .find(hash, |other| {
                self.schemas
                    .get(other)
                    .is_some_and(|s| s.same_content(&schema))
            })
            .is_some();
        let guid = schema.guid;
        self.schemas.insert(id, schema);
        let (schemas, hasher) = (&self.schemas, &self.hasher);
        if !content_known {
            self.by_content
                .insert_unique(hash, id, |id| stored_content_hash(hasher, schemas, *id));
        }
        self.by_guid.insert_unique(hasher.hash_one(guid), id, |id| {
            schemas.get(id).map_or(0, |s| hasher.hash_one(s.guid))
        });
    }

    /// Removes the schema with `id` from the context and its indexes.
    pub fn remove(&mut self, id: i32) -> Option<Arc<StoredSchema>> {
        let schema = self.schemas.get(&id)?;
        let (hash, guid) = (stored_hash(&self.hasher, schema), schema.guid);
        if let Ok(entry) = self.by_content.find_entry(hash, |v| *v == id) {
            entry.remove();
        }
        if let Ok(entry) = self
            .by_guid
            .find_entry(self.hasher.hash_one(guid), |v| *v == id)
        {
            entry.remove();
        }
        self.schemas.remove(&id)
    }
}

/// The hash of a content: type, text and references. Metadata and rules
/// are left out (they are compared, not hashed), so the stored side needs
/// no JSON encoding to be hashed.
fn content_hash(
    hasher: &RandomState,
    schema_type: SchemaType,
    text: &str,
    references: &[Reference],
) -> u64 {
    hasher.hash_one((schema_type, text, references))
}

fn stored_hash(hasher: &RandomState, s: &StoredSchema) -> u64 {
    content_hash(hasher, s.schema_type, &s.text, &s.references)
}

fn stored_content_hash(
    hasher: &RandomState,
    schemas: &HashMap<i32, Arc<StoredSchema>>,
    id: i32,
) -> u64 {
    // Every indexed id has its schema (the invariant above); were one
    // missing, hashing it as 0 would only leave that id unfindable.
    schemas.get(&id).map_or(0, |s| stored_hash(hasher, s))
}
