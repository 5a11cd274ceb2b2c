//! Why a text is not a valid JSON Schema document.

use super::JsonDraft;

/// Why a text is not a valid JSON Schema document. The registry answers every
/// variant with HTTP 422 / error code 42201, as Confluent does.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum JsonSchemaError {
    /// The text is not JSON at all.
    #[error("invalid JSON at line {line}, column {column}: {reason}")]
    InvalidJson {
        /// 1-based line of the offending character.
        line: usize,
        /// 1-based column of the offending character.
        column: usize,
        /// What the JSON parser expected.
        reason: String,
    },
    /// The document is JSON but not a schema: its root is neither an object nor a boolean.
    #[error("a JSON Schema must be an object or a boolean, but the document is {found}")]
    NotASchema {
        /// The JSON type found at the root (`"an array"`, `"a number"`, …).
        found: &'static str,
    },
    /// The document breaks a rule of its draft's meta-schema.
    #[error(
        "invalid JSON Schema ({draft}) at {}: {reason}",
        display_pointer(pointer)
    )]
    MetaSchema {
        /// The draft whose meta-schema was applied.
        draft: JsonDraft,
        /// JSON pointer to the offending value in the document (`""` is the root).
        pointer: String,
        /// Which rule it breaks.
        reason: String,
    },
    /// A `$ref` names nothing this document or its references define.
    #[error(
        "cannot resolve \"$ref\": {reference:?} at {}: {reason}; a reference to another registered schema must be listed in `references` under that name",
        display_pointer(pointer)
    )]
    UnresolvableRef {
        /// JSON pointer to the `$ref` keyword's schema object.
        pointer: String,
        /// The reference as written.
        reference: String,
        /// Why it does not resolve.
        reason: String,
    },
    /// The schema is valid against its meta-schema but cannot be compiled into
    /// a validator (for example a `pattern` the regular-expression engine rejects).
    #[error(
        "cannot compile the JSON Schema at {}: {reason}",
        display_pointer(pointer)
    )]
    Compile {
        /// JSON pointer to the offending place, as far as it is known.
        pointer: String,
        /// What went wrong.
        reason: String,
    },
    /// A referenced schema (from `references`) is itself invalid.
    #[error("referenced schema {name:?} is invalid: {error}")]
    InReference {
        /// The reference's name.
        name: String,
        /// What is wrong with it.
        error: Box<JsonSchemaError>,
    },
}

fn display_pointer(p: &str) -> &str {
    if p.is_empty() { "/" } else { p }
}

impl JsonSchemaError {
    /// JSON pointer to the offending place in the document that failed, when
    /// the failure has one (`""` is the root).
    pub fn pointer(&self) -> Option<&str> {
        match self {
            JsonSchemaError::MetaSchema { pointer, .. }
            | JsonSchemaError::UnresolvableRef { pointer, .. }
            | JsonSchemaError::Compile { pointer, .. } => Some(pointer),
            JsonSchemaError::NotASchema { .. } => Some(""),
            JsonSchemaError::InReference { error, .. } => error.pointer(),
            JsonSchemaError::InvalidJson { .. } => None,
        }
    }

    pub(crate) fn in_reference(name: &str, error: JsonSchemaError) -> Self {
        JsonSchemaError::InReference {
            name: name.to_owned(),
            error: Box::new(error),
        }
    }
}
