//! The REST API.

/// Confluent's preferred media type.
pub const V1_JSON: &str = "application/vnd.schemaregistry.v1+json";
