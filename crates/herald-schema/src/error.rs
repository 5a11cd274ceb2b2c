//! The error a schema can fail to parse with.

use crate::{ReferenceError, SchemaType, avro::AvroError, json::JsonSchemaError};

/// Why a schema text is not a valid schema. The registry maps every variant to
/// HTTP 422 with Confluent error code 42201 (invalid schema), except
/// [`SchemaError::Reference`] that names a missing reference (42201 as well, as
/// Confluent does) — the mapping lives at the edge, not here.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum SchemaError {
    /// The text is not a valid Avro schema.
    #[error(transparent)]
    Avro(#[from] AvroError),
    /// The text is not a valid JSON Schema document.
    #[error(transparent)]
    Json(#[from] JsonSchemaError),
    /// A reference could not be resolved.
    #[error(transparent)]
    Reference(#[from] ReferenceError),
    /// The format is known by name but not supported yet.
    #[error("{0} schemas are not supported yet")]
    Unsupported(SchemaType),
}
