//! JSON Schema documents: parsing and validation against the draft's
//! meta-schema, `$ref` resolution (local and across registered references),
//! the canonical and normalized text, a compiled payload validator, and
//! Confluent-compatible compatibility checking ([`compat`]).
//!
//! Drafts 4, 6, 7, 2019-09 and 2020-12 are accepted; the draft comes from
//! `$schema`, and a document without one (or with one Herald does not know)
//! is read as draft 7, as Confluent does. Nothing is fetched: a `$ref` to
//! another document must name one of the schema's `references`.
//!
//! ```
//! use herald_schema::{check, CheckOptions, CompatibilityLevel, JsonCompatibilityPolicy,
//!     NoReferences, Previous, Schema, SchemaType};
//!
//! let v1 = Schema::parse(SchemaType::Json,
//!     r#"{"type":"object","properties":{"id":{"type":"string"}}}"#, &[], &NoReferences)?;
//! let v2 = Schema::parse(SchemaType::Json,
//!     r#"{"type":"object","properties":{"id":{"type":"string"},"qty":{"type":"integer"}}}"#,
//!     &[], &NoReferences)?;
//! assert_eq!(v2.canonical(), r#"{"type":"object","properties":{"id":{"type":"string"},"qty":{"type":"integer"}}}"#);
//!
//! // v1's content model is open: old documents may already hold a "qty" of any
//! // type, so declaring it breaks BACKWARD under the default STRICT policy...
//! let previous = [Previous { version: 1, schema: &v1 }];
//! let findings = check(CompatibilityLevel::Backward, &v2, &previous, &CheckOptions::default());
//! assert_eq!(findings[0].kind.name(), "OPTIONAL_PROPERTY_ADDED_TO_OPEN_CONTENT_MODEL");
//! assert_eq!(findings[0].new_path, "/properties/qty");
//!
//! // ...and is accepted under LENIENT, which assumes no undeclared keys.
//! let lenient = CheckOptions::with_json_policy(JsonCompatibilityPolicy::Lenient);
//! assert!(check(CompatibilityLevel::Backward, &v2, &previous, &lenient).is_empty());
//! # Ok::<(), herald_schema::SchemaError>(())
//! ```
//!
//! Non-goals: fetching remote `$ref`s, Protobuf, and comparing keywords
//! Confluent's diff ignores (`if`/`then`/`else` beyond their presence,
//! `propertyNames`, `format`). Invariants: parsing never panics; a parsed
//! schema's canonical text parses back to it; every schema is compatible
//! with itself at every level and policy.

pub mod compat;
mod difference;
mod draft;
mod error;
mod keywords;
mod load;

use std::fmt;
use std::sync::{Arc, OnceLock};

use serde_json::Value;

use crate::Reference;
use crate::reference::Dependency;

pub use difference::JsonDifference;
pub use draft::JsonDraft;
pub use error::JsonSchemaError;
pub(crate) use load::Documents;

/// A parsed, validated JSON Schema document with its references resolved.
///
/// Guarantees: the document is valid against its draft's meta-schema, every
/// `$ref` in it and in its referenced documents resolves, and
/// [`canonical`](JsonSchema::canonical) parses back to an equal document.
/// The payload validator and the normalized text are built on first use and
/// then kept (clones share them), so registering a schema pays for neither.
#[derive(Clone)]
pub struct JsonSchema {
    value: Value,
    draft: JsonDraft,
    canonical: String,
    normalized: Arc<OnceLock<String>>,
    references: Vec<Reference>,
    documents: Option<Arc<Documents>>,
    validator: Arc<OnceLock<Result<jsonschema::Validator, JsonSchemaError>>>,
}

impl JsonSchema {
    /// Parses `text`; `dependencies` is the already resolved transitive
    /// closure of `references`, each addressable in `$ref` by its name.
    pub(crate) fn parse(
        text: &str,
        references: &[Reference],
        dependencies: &[Dependency],
    ) -> Result<JsonSchema, JsonSchemaError> {
        let value = load::parse_json(text)?;
        let draft = JsonDraft::of(&value);
        load::check_document(&value, draft)?;
        let base = load::base_uri(&value, draft)?;
        let loaded = dependencies
            .iter()
            .map(|d| load::load_dependency(&d.reference.name, &d.resolved.text, &base))
            .collect::<Result<Vec<_>, _>>()?;
        let documents = load::resolve_documents(&value, draft, &base, &loaded)?;
        Ok(JsonSchema {
            canonical: canonical_text(&value),
            normalized: Arc::new(OnceLock::new()),
            value,
            draft,
            references: references.to_vec(),
            documents: documents.map(Arc::new),
            validator: Arc::new(OnceLock::new()),
        })
    }

    /// The text the registry stores: compact JSON, keys in the order written.
    pub fn canonical(&self) -> &str {
        &self.canonical
    }

    /// The form used for `normalize=true`: compact JSON with every object's
    /// keys sorted, so documents that differ only in key order or whitespace
    /// normalize to the same text (Confluent's `JsonSchema.normalize`).
    pub fn normalized(&self) -> &str {
        self.normalized.get_or_init(|| normalized_text(&self.value))
    }

    /// The references it was parsed with, as given.
    pub fn references(&self) -> &[Reference] {
        &self.references
    }

    /// The parsed document.
    pub fn value(&self) -> &Value {
        &self.value
    }

    /// The draft the document is read as.
    pub fn draft(&self) -> JsonDraft {
        self.draft
    }

    /// The compiled validator for payloads, with `$ref`s to referenced
    /// documents bound; compiled on first use. Parsing already checked
    /// everything compilation depends on, so an error here is exceptional
    /// (the regular-expression engine refusing a pattern the meta-schema
    /// accepted, for instance).
    pub fn validator(&self) -> Result<&jsonschema::Validator, JsonSchemaError> {
        self.validator
            .get_or_init(|| {
                load::compile_validator(&self.value, self.draft, self.documents.as_deref())
            })
            .as_ref()
            .map_err(Clone::clone)
    }

    /// Validates a payload, returning every violation as
    /// `"<instance pointer>: <why>"` (the pointer is `/` for the root).
    pub fn validate(&self, instance: &Value) -> Result<(), Vec<String>> {
        let validator = self.validator().map_err(|e| vec![e.to_string()])?;
        let errors: Vec<String> = validator
            .iter_errors(instance)
            .map(|e| {
                let path = e.instance_path().as_str();
                let path = if path.is_empty() { "/" } else { path };
                format!("{path}: {e}")
            })
            .collect();
        if errors.is_empty() {
            Ok(())
        } else {
            Err(errors)
        }
    }

    pub(crate) fn documents(&self) -> Option<&Documents> {
        self.documents.as_deref()
    }
}

impl fmt::Debug for JsonSchema {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("JsonSchema")
            .field("draft", &self.draft)
            .field("canonical", &self.canonical)
            .field("references", &self.references)
            .finish_non_exhaustive()
    }
}

/// Compact JSON, keys in document order (`serde_json` keeps insertion order).
fn canonical_text(value: &Value) -> String {
    value.to_string()
}

/// Compact JSON with object keys sorted recursively, written directly
/// rather than through a sorted copy of the document.
fn normalized_text(value: &Value) -> String {
    let mut out = Vec::with_capacity(256);
    write_sorted(value, &mut out);
    // serde_json writes UTF-8 only; the lossy path is never taken.
    String::from_utf8(out).unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned())
}

fn write_sorted(value: &Value, out: &mut Vec<u8>) {
    match value {
        Value::Object(map) => {
            let mut entries: Vec<(&String, &Value)> = map.iter().collect();
            entries.sort_unstable_by(|a, b| a.0.cmp(b.0));
            out.push(b'{');
            for (i, (key, v)) in entries.into_iter().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                write_plain(key, out);
                out.push(b':');
                write_sorted(v, out);
            }
            out.push(b'}');
        }
        Value::Array(items) => {
            out.push(b'[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                write_sorted(item, out);
            }
            out.push(b']');
        }
        scalar => write_plain(scalar, out),
    }
}

/// Appends a string or scalar exactly as `serde_json` writes it.
fn write_plain<T: serde::Serialize + ?Sized>(value: &T, out: &mut Vec<u8>) {
    // Writing into a Vec cannot fail, and these values always serialize.
    let _ = serde_json::to_writer(&mut *out, value);
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<JsonSchema, JsonSchemaError> {
        JsonSchema::parse(text, &[], &[])
    }

    #[test]
    fn canonical_keeps_order_and_normalized_sorts() {
        let s = parse(
            r#"{ "type": "object",
            "properties": { "b": {"type": "string"}, "a": {"type": "integer", "minimum": 1.5} } }"#,
        )
        .unwrap();
        assert_eq!(
            s.canonical(),
            r#"{"type":"object","properties":{"b":{"type":"string"},"a":{"type":"integer","minimum":1.5}}}"#
        );
        assert_eq!(
            s.normalized(),
            r#"{"properties":{"a":{"minimum":1.5,"type":"integer"},"b":{"type":"string"}},"type":"object"}"#
        );
        assert_eq!(s.draft(), JsonDraft::Draft7);
    }

    #[test]
    fn json_errors_carry_line_and_column() {
        let err = parse("{\n  \"type\": \"string\",\n}").unwrap_err();
        assert_eq!(
            err,
            JsonSchemaError::InvalidJson {
                line: 3,
                column: 1,
                reason: "trailing comma".into()
            }
        );
        assert!(err.to_string().contains("line 3, column 1"), "{err}");
    }

    #[test]
    fn validates_payloads_with_every_error() {
        let s = parse(
            r#"{"type":"object","properties":{"n":{"type":"integer","minimum":5}},"required":["id"]}"#,
        )
        .unwrap();
        assert_eq!(s.validate(&serde_json::json!({"id": 1, "n": 7})), Ok(()));
        let errors = s.validate(&serde_json::json!({"n": 1})).unwrap_err();
        assert_eq!(errors.len(), 2, "{errors:?}");
        assert!(errors.iter().any(|e| e.starts_with("/n: ")), "{errors:?}");
        assert!(
            s.validator()
                .unwrap()
                .is_valid(&serde_json::json!({"id": "x"}))
        );
    }

    #[test]
    fn is_send_and_sync() {
        fn check<T: Send + Sync>() {}
        check::<JsonSchema>();
    }
}
