//! Avro schemas: parsing and validation, the canonical text the registry
//! stores, the normalized form, Parsing Canonical Form and fingerprints,
//! and (in [`compat`]) reader/writer compatibility.
//!
//! A schema is parsed once into a compact tree that mirrors Java Avro's
//! object model; every text form and the compatibility checker work from that
//! tree. On request it is handed to the `apache-avro` crate, whose
//! [`apache_avro::Schema`] the SDK encodes and decodes with.
//!
//! Validation follows Java Avro (what the Confluent registry accepts), with
//! the Avro specification's stricter rules for field defaults; it is done by
//! Herald's own parser because only that can say where a schema is wrong
//! and because it is what keeps odd input away from `apache-avro`.
//!
//! ```
//! use herald_schema::{NoReferences, Schema, SchemaType};
//!
//! let s = Schema::parse(SchemaType::Avro,
//!     r#"{"type": "record", "name": "Order", "namespace": "acme",
//!         "fields": [{"name": "id", "type": {"type": "string"}}]}"#,
//!     &[], &NoReferences)?;
//! let Schema::Avro(avro) = &s else { unreachable!() };
//! assert_eq!(avro.canonical(),
//!     r#"{"type":"record","name":"Order","namespace":"acme","fields":[{"name":"id","type":"string"}]}"#);
//! assert_eq!(avro.parsing_canonical_form(),
//!     r#"{"name":"acme.Order","type":"record","fields":[{"name":"id","type":"string"}]}"#);
//! # Ok::<(), herald_schema::SchemaError>(())
//! ```

mod canonical;
pub mod compat;
mod defaults;
mod error;
mod finding;
mod json_in;
mod json_out;
mod logical;
mod model;
mod named;
mod names;
mod normalize;
mod parse;
mod pcf;
mod resolve;
mod text;

use std::sync::{Arc, OnceLock};

use md5::{Digest, Md5};
use sha2::Sha256;

pub use error::AvroError;
pub use finding::AvroFindingKind;

use crate::Reference;
use crate::reference::Dependency;
use json_in::Json;
use model::Tree;
use parse::Builder;

/// A parsed, validated Avro schema with its references resolved.
///
/// Guarantees: [`canonical`](AvroSchema::canonical) is byte for byte what
/// Java Avro's `Schema.toString()` (as the Confluent registry calls it)
/// writes for the same schema; parsing it again yields the same canonical
/// text. Cloning is cheap (the parsed form is shared).
#[derive(Debug, Clone)]
pub struct AvroSchema {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    tree: Tree,
    canonical: String,
    references: Vec<Reference>,
    pcf: String,
    rabin: u64,
    apache: OnceLock<Result<apache_avro::Schema, AvroError>>,
    normalized: OnceLock<String>,
}

impl AvroSchema {
    /// Parses `text`; `dependencies` is the resolved closure of `references`
    /// (dependencies before their dependents), whose named types `text` may
    /// use by full name. With `validate_defaults` off, field defaults that
    /// do not fit their types are kept as written (see
    /// [`Schema::parse_stored`](crate::Schema::parse_stored)).
    pub(crate) fn parse(
        text: &str,
        references: &[Reference],
        dependencies: &[Dependency],
        validate_defaults: bool,
    ) -> Result<AvroSchema, AvroError> {
        let mut builder = Builder::new();
        builder.validate_defaults = validate_defaults;
        let mut dep_top_names = Vec::new();
        for dep in dependencies {
            let reference_error = |pointer: String, reason: String| AvroError::Reference {
                name: dep.reference.name.clone(),
                subject: dep.reference.subject.clone(),
                version: dep.reference.version,
                pointer,
                reason,
            };
            let value: Json = serde_json::from_str(&dep.resolved.text)
                .map_err(|e| reference_error(String::new(), format!("not valid JSON: {e}")))?;
            let root = builder
                .add_document(value)
                .map_err(|e| reference_error(e.pointer, e.reason))?;
            if let Some(name) = builder.nodes[root].name() {
                dep_top_names.push(name.full.clone());
            }
        }
        let value = parse_json(text)?;
        let main_start = builder.nodes.len();
        let dep_names = builder.names.clone();
        let root = builder
            .add_document(value)
            .map_err(|e| AvroError::Invalid {
                pointer: e.pointer,
                reason: e.reason,
            })?;
        let tree = Tree {
            nodes: builder.nodes,
            root,
            main_start,
            dep_names,
            dep_top_names,
        };
        Self::from_tree(tree, references)
    }

    fn from_tree(tree: Tree, references: &[Reference]) -> Result<AvroSchema, AvroError> {
        let canonical = canonical::java_string(&tree.nodes, tree.root, &tree.dep_top_names);
        let pcf = pcf::parsing_canonical_form(&tree.nodes, tree.root);
        let rabin = pcf::rabin(pcf.as_bytes());
        Ok(AvroSchema {
            inner: Arc::new(Inner {
                tree,
                canonical,
                references: references.to_vec(),
                pcf,
                rabin,
                apache: OnceLock::new(),
                normalized: OnceLock::new(),
            }),
        })
    }

    /// The text the registry stores, returns and hashes: Java Avro's
    /// `Schema.toString()` form, with named types from referenced schemas
    /// written by name rather than inlined (as Confluent writes them).
    pub fn canonical(&self) -> &str {
        &self.inner.canonical
    }

    /// The text stored for a registration with `normalize=true`: Confluent's
    /// normalized form (full names, sorted properties and aliases, …) parsed
    /// again and written canonically. Equal for schemas that differ only in
    /// namespace spelling, property order or alias order.
    pub fn normalized(&self) -> &str {
        self.inner.normalized.get_or_init(|| {
            let tree = &self.inner.tree;
            let text = normalize::normalized_text(&tree.nodes, tree.root, &tree.dep_top_names);
            // The normalized text is built from a valid schema, so it parses;
            // should it ever not, the canonical text is the safe answer.
            let reparsed = serde_json::from_str::<Json>(&text).ok().and_then(|value| {
                let mut builder = Builder::with_dependencies_of(tree);
                // Only the text is wanted: the schema's defaults were
                // checked (or deliberately not) when it was parsed.
                builder.validate_defaults = false;
                let root = builder.add_document(value).ok()?;
                Some(canonical::java_string(
                    &builder.nodes,
                    root,
                    &tree.dep_top_names,
                ))
            });
            reparsed.unwrap_or_else(|| self.inner.canonical.clone())
        })
    }

    /// The references it was parsed with, as given.
    pub fn references(&self) -> &[Reference] {
        &self.inner.references
    }

    /// The full name of the top-level type when it is a record, enum or
    /// fixed (what Confluent's record name strategies use).
    pub fn full_name(&self) -> Option<&str> {
        let tree = &self.inner.tree;
        tree.node(tree.root).name().map(|n| n.full.as_str())
    }

    /// Avro's Parsing Canonical Form, with named types from referenced
    /// schemas written out at their first use.
    pub fn parsing_canonical_form(&self) -> &str {
        &self.inner.pcf
    }

    /// The 64-bit Rabin fingerprint (CRC-64-AVRO) of the Parsing Canonical
    /// Form; Java's `SchemaNormalization.parsingFingerprint64` as unsigned bits.
    pub fn rabin_fingerprint(&self) -> u64 {
        self.inner.rabin
    }

    /// The Rabin fingerprint as the little-endian bytes Avro's single-object
    /// encoding puts after its `C3 01` marker.
    pub fn rabin_fingerprint_le_bytes(&self) -> [u8; 8] {
        self.inner.rabin.to_le_bytes()
    }

    /// MD5 of the Parsing Canonical Form.
    pub fn pcf_md5(&self) -> [u8; 16] {
        Md5::digest(self.inner.pcf.as_bytes()).into()
    }

    /// SHA-256 of the Parsing Canonical Form.
    pub fn pcf_sha256(&self) -> [u8; 32] {
        Sha256::digest(self.inner.pcf.as_bytes()).into()
    }

    /// The schema as the `apache-avro` crate models it, self-contained (named
    /// types from references included), ready to encode and decode with.
    ///
    /// Built on first use, because the registry never needs it and it costs
    /// more than the rest of parsing. It fails only for the few valid schemas
    /// that `apache-avro` cannot represent, such as a `uuid` field whose
    /// default is not a UUID or a default on a `duration` field.
    pub fn apache_avro_schema(&self) -> Result<&apache_avro::Schema, AvroError> {
        let built = self.inner.apache.get_or_init(|| {
            let tree = &self.inner.tree;
            let text = canonical::self_contained(&tree.nodes, tree.root);
            apache_avro::Schema::parse_str(&text).map_err(|e| AvroError::Unsupported {
                reason: e.to_string(),
            })
        });
        built.as_ref().map_err(Clone::clone)
    }

    pub(crate) fn tree(&self) -> &Tree {
        &self.inner.tree
    }
}

fn parse_json(text: &str) -> Result<Json, AvroError> {
    serde_json::from_str(text).map_err(|e| {
        let full = e.to_string();
        let reason = match full.rfind(" at line ") {
            Some(i) => full[..i].to_owned(),
            None => full,
        };
        AvroError::Json {
            line: e.line(),
            column: e.column(),
            reason,
        }
    })
}
