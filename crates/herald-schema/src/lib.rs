//! Herald's contracts: the library every other part of Herald uses to decide
//! whether a message schema is valid and whether a change to it is safe.
//!
//! It parses Avro and JSON Schema documents (resolving references through a
//! [`ReferenceResolver`] the caller supplies), produces the canonical text the
//! Confluent Schema Registry stores and hashes, the normalized form used for
//! `normalize=true`, fingerprints, and checks compatibility at the seven
//! Confluent levels, reporting structured [`Finding`]s.
//!
//! ```
//! use herald_schema::{check, CheckOptions, CompatibilityLevel, NoReferences, Previous, Schema, SchemaType};
//!
//! let v1 = Schema::parse(SchemaType::Avro,
//!     r#"{"type":"record","name":"Order","fields":[{"name":"id","type":"string"}]}"#,
//!     &[], &NoReferences)?;
//! // Adding a field without a default breaks BACKWARD: new readers cannot read old data.
//! let v2 = Schema::parse(SchemaType::Avro,
//!     r#"{"type":"record","name":"Order","fields":[{"name":"id","type":"string"},{"name":"qty","type":"int"}]}"#,
//!     &[], &NoReferences)?;
//! let findings = check(CompatibilityLevel::Backward, &v2, &[Previous { version: 1, schema: &v1 }], &CheckOptions::default());
//! assert!(!herald_schema::is_compatible(&findings));
//! assert_eq!(findings[0].kind.name(), "READER_FIELD_MISSING_DEFAULT_VALUE");
//! # Ok::<(), herald_schema::SchemaError>(())
//! ```
//!
//! Non-goals: no I/O of any kind (the registry and the CLI fetch referenced
//! schemas and hand them over through the resolver); Protobuf is named in
//! [`SchemaType`] but not parsed yet.
//!
//! Invariants: nothing in this crate panics on any input; a parsed [`Schema`]
//! always has a canonical form; every schema is compatible with itself at
//! every level.
#![deny(missing_docs)]
#![forbid(unsafe_code)]

pub mod avro;
mod compat;
mod error;
pub mod json;
mod reference;
mod schema;
mod schema_type;

pub use compat::{
    CheckOptions, CompatibilityLevel, Direction, Finding, FindingKind, JsonCompatibilityPolicy,
    Previous, Severity, UnknownCompatibilityLevel, check, is_compatible,
};
pub use error::SchemaError;
pub use reference::{
    MapResolver, NoReferences, Reference, ReferenceError, ReferenceResolver, ResolvedReference,
};
pub use schema::Schema;
pub use schema_type::{SchemaType, UnknownSchemaType};
