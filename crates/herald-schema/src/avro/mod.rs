//! Avro schemas: parsing and validation, the canonical text the registry
//! stores, the normalized form, Parsing Canonical Form and fingerprints.
//!
//! PLACEHOLDER: the skeleton's signatures; the real implementation replaces this file.

pub mod compat;

use crate::Reference;
use crate::reference::Dependency;

/// A parsed, validated Avro schema.
#[derive(Debug, Clone)]
pub struct AvroSchema {
    canonical: String,
    references: Vec<Reference>,
}

impl AvroSchema {
    pub(crate) fn parse(
        text: &str,
        references: &[Reference],
        _dependencies: &[Dependency],
    ) -> Result<AvroSchema, AvroError> {
        let _ = (text, references);
        Err(AvroError {
            pointer: String::new(),
            reason: "not implemented".into(),
        })
    }

    /// The text the registry stores: Avro's `Schema.toString()` form.
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

/// Why a text is not a valid Avro schema.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid Avro schema at {pointer}: {reason}")]
pub struct AvroError {
    /// JSON pointer to the offending place.
    pub pointer: String,
    /// What is wrong.
    pub reason: String,
}

/// The kinds of Avro finding.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum AvroFindingKind {
    /// Placeholder.
    TypeMismatch,
}

impl AvroFindingKind {
    /// The Confluent name.
    pub fn name(&self) -> &'static str {
        "TYPE_MISMATCH"
    }
}
