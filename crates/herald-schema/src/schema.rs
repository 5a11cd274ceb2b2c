//! A parsed schema of any supported format.

use md5::{Digest, Md5};
use sha2::Sha256;

use crate::reference::resolve_closure;
use crate::{Reference, ReferenceResolver, SchemaError, SchemaType, avro, json};

/// A schema that parsed and validated, with its references resolved.
///
/// Guarantees: its [`canonical`](Schema::canonical) text is the text the
/// Confluent registry would store for it, and parsing that text again yields
/// an equal schema.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub enum Schema {
    /// An Avro schema.
    Avro(avro::AvroSchema),
    /// A JSON Schema document.
    Json(json::JsonSchema),
}

impl Schema {
    /// Parses and validates `text` as a schema of `schema_type`, resolving its
    /// `references` (transitively) through `resolver`.
    pub fn parse(
        schema_type: SchemaType,
        text: &str,
        references: &[Reference],
        resolver: &dyn ReferenceResolver,
    ) -> Result<Schema, SchemaError> {
        Self::parse_with(schema_type, text, references, resolver, true)
    }

    /// Parses a schema a registry has already stored (a replayed `_schemas`
    /// record, or one imported with its id), as Confluent parses stored
    /// schemas: like [`Schema::parse`], except that Avro field defaults are
    /// not checked against their types (Java's `Schema.Parser` with
    /// `setValidateDefaults(false)`). Confluent validates defaults of new
    /// schemas only, and older registries did not at all, so existing topics
    /// hold schemas such as a union field whose default matches a later
    /// branch; they must still load and take part in compatibility checks.
    /// Such a default is kept as written (a missing-field check counts it as
    /// present). Everything else is validated as by [`Schema::parse`].
    pub fn parse_stored(
        schema_type: SchemaType,
        text: &str,
        references: &[Reference],
        resolver: &dyn ReferenceResolver,
    ) -> Result<Schema, SchemaError> {
        Self::parse_with(schema_type, text, references, resolver, false)
    }

    fn parse_with(
        schema_type: SchemaType,
        text: &str,
        references: &[Reference],
        resolver: &dyn ReferenceResolver,
        validate_defaults: bool,
    ) -> Result<Schema, SchemaError> {
        if schema_type == SchemaType::Protobuf {
            return Err(SchemaError::Unsupported(schema_type));
        }
        let dependencies = resolve_closure(schema_type, references, resolver)?;
        match schema_type {
            SchemaType::Avro => Ok(Schema::Avro(avro::AvroSchema::parse(
                text,
                references,
                &dependencies,
                validate_defaults,
            )?)),
            SchemaType::Json => Ok(Schema::Json(json::JsonSchema::parse(
                text,
                references,
                &dependencies,
            )?)),
            SchemaType::Protobuf => Err(SchemaError::Unsupported(schema_type)),
        }
    }

    /// The schema's format.
    pub fn schema_type(&self) -> SchemaType {
        match self {
            Schema::Avro(_) => SchemaType::Avro,
            Schema::Json(_) => SchemaType::Json,
        }
    }

    /// The text the registry stores, returns and hashes for this schema.
    pub fn canonical(&self) -> &str {
        match self {
            Schema::Avro(s) => s.canonical(),
            Schema::Json(s) => s.canonical(),
        }
    }

    /// The normalized text used when a client asks for `normalize=true`:
    /// equal for schemas that differ only in ways that cannot matter.
    pub fn normalized(&self) -> &str {
        match self {
            Schema::Avro(s) => s.normalized(),
            Schema::Json(s) => s.normalized(),
        }
    }

    /// The references this schema was parsed with, as given.
    pub fn references(&self) -> &[Reference] {
        match self {
            Schema::Avro(s) => s.references(),
            Schema::Json(s) => s.references(),
        }
    }

    /// MD5 of the canonical text (the digest Confluent uses for identity).
    pub fn md5(&self) -> [u8; 16] {
        Md5::digest(self.canonical().as_bytes()).into()
    }

    /// SHA-256 of the canonical text.
    pub fn sha256(&self) -> [u8; 32] {
        Sha256::digest(self.canonical().as_bytes()).into()
    }
}
