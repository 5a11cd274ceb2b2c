//! JSON Schema documents: parsing and validation, canonical and normalized text.
//!
//! PLACEHOLDER: the skeleton's signatures; the real implementation replaces this file.

pub mod compat;

use crate::Reference;
use crate::reference::Dependency;

/// A parsed, validated JSON schema.
#[derive(Debug, Clone)]
pub struct JsonSchema {
    canonical: String,
    references: Vec<Reference>,
}

impl JsonSchema {
    pub(crate) fn parse(
        text: &str,
        references: &[Reference],
        _dependencies: &[Dependency],
    ) -> Result<JsonSchema, JsonSchemaError> {
        let _ = (text, references);
        Err(JsonSchemaError {
            pointer: String::new(),
            reason: "not implemented".into(),
        })
    }

    /// The text the registry stores: JSON's `Schema.toString()` form.
    pub fn canonical(&self) -> &str {
        &self.canonical
    }

    /// The form used for `normalize=true`.
    pub fn normalized(&self) -> &str {
        &self.canonical
    }

    /// The references it was parsed with.
    pub fn references(&self) -> &[Reference] {
        &self.references
    }
}

/// Why a text is not a valid JSON schema.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid JSON schema at {pointer}: {reason}")]
pub struct JsonSchemaError {
    /// JSON pointer to the offending place.
    pub pointer: String,
    /// What is wrong.
    pub reason: String,
}

/// The kinds of JSON finding.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum JsonDifference {
    /// Placeholder.
    TypeMismatch,
}

impl JsonDifference {
    /// The Confluent name.
    pub fn name(&self) -> &'static str {
        "TYPE_MISMATCH"
    }
}
