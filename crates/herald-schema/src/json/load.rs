//! Turning text into a validated document: JSON syntax, the draft's
//! meta-schema, `$ref` resolution, and the compiled validator.

use std::sync::{Arc, Mutex, PoisonError};

use jsonschema::{Registry, Resource};
use referencing::{ResourceRef, Uri};
use serde_json::Value;

use super::keywords::{has_embedded_ids, has_references, walk};
use super::{JsonDraft, JsonSchemaError};

/// The URI a document without an `$id` is based at (the `jsonschema` crate's default).
const DEFAULT_BASE: &str = "json-schema:///";

/// Parses JSON text, reporting syntax errors with their line and column.
pub(crate) fn parse_json(text: &str) -> Result<Value, JsonSchemaError> {
    serde_json::from_str(text).map_err(|e| {
        let full = e.to_string();
        // serde_json appends " at line L column C"; we report those as fields.
        let reason = match full.rsplit_once(" at line ") {
            Some((reason, _)) => reason.to_owned(),
            None => full,
        };
        JsonSchemaError::InvalidJson {
            line: e.line(),
            column: e.column(),
            reason,
        }
    })
}

/// Checks that a parsed document is a schema of its draft.
pub(crate) fn check_document(value: &Value, draft: JsonDraft) -> Result<(), JsonSchemaError> {
    let found = match value {
        Value::Object(_) | Value::Bool(_) => return meta_validate(value, draft),
        Value::Null => "null",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
    };
    Err(JsonSchemaError::NotASchema { found })
}

fn meta_validate(value: &Value, draft: JsonDraft) -> Result<(), JsonSchemaError> {
    let result = match draft {
        JsonDraft::Draft4 => jsonschema::draft4::meta::validate(value),
        JsonDraft::Draft6 => jsonschema::draft6::meta::validate(value),
        JsonDraft::Draft7 => jsonschema::draft7::meta::validate(value),
        JsonDraft::Draft201909 => jsonschema::draft201909::meta::validate(value),
        JsonDraft::Draft202012 => jsonschema::draft202012::meta::validate(value),
    };
    result.map_err(|e| JsonSchemaError::MetaSchema {
        draft,
        pointer: e.instance_path().as_str().to_owned(),
        reason: e.to_string(),
    })
}

/// A referenced document, parsed, with the URI `$ref`s reach it by.
pub(crate) struct LoadedDependency {
    pub uri: String,
    pub value: Value,
    pub draft: JsonDraft,
}

/// Parses and checks one dependency named `name`, placing it at `name`
/// resolved against the referring document's base URI, as Confluent does.
pub(crate) fn load_dependency(
    name: &str,
    text: &str,
    base: &Uri<String>,
) -> Result<LoadedDependency, JsonSchemaError> {
    let value = parse_json(text).map_err(|e| JsonSchemaError::in_reference(name, e))?;
    let draft = JsonDraft::of(&value);
    check_document(&value, draft).map_err(|e| JsonSchemaError::in_reference(name, e))?;
    let uri = referencing::uri::resolve_against(&base.borrow(), name)
        .map_err(|e| {
            JsonSchemaError::in_reference(
                name,
                JsonSchemaError::Compile {
                    pointer: String::new(),
                    reason: format!("the reference name is not a valid URI reference: {e}"),
                },
            )
        })?
        .as_str()
        .trim_end_matches('#')
        .to_owned();
    Ok(LoadedDependency { uri, value, draft })
}

/// The base URI of a root document: its `$id` (or `id`) resolved against the default.
pub(crate) fn base_uri(root: &Value, draft: JsonDraft) -> Result<Uri<String>, JsonSchemaError> {
    let default = referencing::uri::from_str(DEFAULT_BASE).map_err(|e| compile_error("", e))?;
    match root.get(draft.id_keyword()).and_then(Value::as_str) {
        Some(id) => referencing::uri::resolve_against(&default.borrow(), id.trim_end_matches('#'))
            .map_err(|e| JsonSchemaError::MetaSchema {
                draft,
                pointer: format!("/{}", draft.id_keyword().replace('~', "~0")),
                reason: format!("{id:?} is not a valid URI reference: {e}"),
            }),
        None => Ok(default),
    }
}

fn compile_error(pointer: &str, e: impl std::fmt::Display) -> JsonSchemaError {
    JsonSchemaError::Compile {
        pointer: pointer.to_owned(),
        reason: e.to_string(),
    }
}

/// Everything a parsed document needs to resolve `$ref`s: a registry holding
/// the document itself and every referenced document.
#[derive(Debug)]
pub(crate) struct Documents {
    pub registry: Registry<'static>,
    pub base: Uri<String>,
    /// The root document has no `$id` below its root, so its `#/…`
    /// references can be followed as plain JSON pointers.
    pub plain_pointers: bool,
}

/// Builds the registry for a root document and its dependencies, and checks
/// that every `$ref` in any of them resolves. Returns `None` when no document
/// uses references at all (then nothing needs resolving).
pub(crate) fn resolve_documents(
    root: &Value,
    draft: JsonDraft,
    base: &Uri<String>,
    dependencies: &[LoadedDependency],
) -> Result<Option<Documents>, JsonSchemaError> {
    let uses_refs = has_references(root, draft)
        || dependencies
            .iter()
            .any(|d| has_references(&d.value, d.draft));
    if !uses_refs {
        return Ok(None);
    }
    let mut resources: Vec<(String, Resource)> = dependencies
        .iter()
        .map(|d| {
            (
                d.uri.clone(),
                d.draft.engine().create_resource(d.value.clone()),
            )
        })
        .collect();
    resources.push((
        base.as_str().to_owned(),
        draft.engine().create_resource(root.clone()),
    ));
    let missing = Arc::new(Mutex::new(Vec::new()));
    let registry = Registry::new()
        .draft(draft.engine())
        .retrieve_known_draft_meta_schemas(false)
        .retriever(Placeholder {
            missing: Arc::clone(&missing),
        })
        .extend(resources)
        .and_then(|b| b.prepare())
        .map_err(|e| compile_error("", e))?;
    let missing: Vec<String> = missing
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .clone();
    check_refs(&registry, root, draft, base.clone(), &missing)?;
    for d in dependencies {
        let uri = referencing::uri::from_str(&d.uri).map_err(|e| compile_error("", e))?;
        check_refs(&registry, &d.value, d.draft, uri, &missing)
            .map_err(|e| JsonSchemaError::in_reference(&d.uri, e))?;
    }
    if let Some(uri) = missing.first() {
        return Err(JsonSchemaError::UnresolvableRef {
            pointer: String::new(),
            reference: uri.clone(),
            reason: "no schema is registered under this URI".into(),
        });
    }
    Ok(Some(Documents {
        registry,
        base: base.clone(),
        plain_pointers: !has_embedded_ids(root, draft),
    }))
}

/// Stands in for documents nothing provides, so the registry can be built
/// and the `$ref`s that need them reported one by one. Never fetches anything.
struct Placeholder {
    missing: Arc<Mutex<Vec<String>>>,
}

impl referencing::Retrieve for Placeholder {
    fn retrieve(
        &self,
        uri: &Uri<String>,
    ) -> Result<Value, Box<dyn std::error::Error + Send + Sync>> {
        self.missing
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .push(uri.as_str().to_owned());
        Ok(Value::Bool(true))
    }
}

/// Fails with the first `$ref` in `document` that does not resolve, or that
/// names a document nobody provided (`missing`).
fn check_refs(
    registry: &Registry<'static>,
    document: &Value,
    draft: JsonDraft,
    base: Uri<String>,
    missing: &[String],
) -> Result<(), JsonSchemaError> {
    let engine = draft.engine();
    let mut failure = None;
    let start = registry.resolver(base);
    walk(document, draft, &start, &mut |value, pointer, resolver| {
        if failure.is_some() {
            return None;
        }
        let resolver = match resolver.in_subresource(ResourceRef::new(value, engine)) {
            Ok(r) => r,
            Err(e) => {
                failure = Some(compile_error(pointer, e));
                return None;
            }
        };
        for keyword in ["$ref", "$dynamicRef"] {
            if let Some(reference) = value.get(keyword).and_then(Value::as_str) {
                let document_uri = reference.split('#').next().unwrap_or("");
                let absent = !document_uri.is_empty()
                    && resolver
                        .resolve_uri(&resolver.base_uri().borrow(), document_uri)
                        .is_ok_and(|uri| missing.iter().any(|m| m == uri.as_str()));
                let reason = if absent {
                    Some("no schema with that name is among the references".to_owned())
                } else {
                    resolver.lookup(reference).err().map(|e| e.to_string())
                };
                if let Some(reason) = reason {
                    failure = Some(JsonSchemaError::UnresolvableRef {
                        pointer: pointer.to_owned(),
                        reference: reference.to_owned(),
                        reason,
                    });
                    return None;
                }
            }
        }
        Some(resolver)
    });
    match failure {
        Some(e) => Err(e),
        None => Ok(()),
    }
}

/// Compiles the validator payloads are checked with.
pub(crate) fn compile_validator(
    root: &Value,
    draft: JsonDraft,
    documents: Option<&Documents>,
) -> Result<jsonschema::Validator, JsonSchemaError> {
    let options = jsonschema::options().with_draft(draft.engine());
    let built = match documents {
        Some(docs) => options
            .with_base_uri(docs.base.as_str())
            .with_registry(&docs.registry)
            .build(root),
        None => options.build(root),
    };
    built.map_err(|e| compile_error(e.instance_path().as_str(), &e))
}
