//! Where a Rust type's schema comes from, and the local schema once parsed.

use std::path::Path;
use std::sync::Arc;

use herald_schema::{Reference, Schema, SchemaType};

use super::avro::AvroCodec;
use crate::ClientError;
use crate::registry::{SchemaRegistryClient, SchemaRequest, SchemaText};

/// The schema a Rust type is bound to: derived from the type, or written by
/// hand in a file or string.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SchemaSource {
    format: SchemaType,
    text: String,
    references: Vec<Reference>,
}

impl SchemaSource {
    /// The Avro schema `#[derive(apache_avro::AvroSchema)]` derives for `T`.
    pub fn avro<T: apache_avro::AvroSchema>() -> SchemaSource {
        let text = serde_json::to_string(&T::get_schema())
            // apache-avro's schemas always serialize; keep the error visible
            // at parse time instead of panicking here.
            .unwrap_or_else(|e| format!("unserializable derived schema: {e}"));
        SchemaSource::text(SchemaType::Avro, text)
    }

    /// The JSON Schema `#[derive(schemars::JsonSchema)]` derives for `T`.
    pub fn json<T: schemars::JsonSchema>() -> SchemaSource {
        let schema = schemars::schema_for!(T);
        let text = serde_json::to_string(&schema)
            .unwrap_or_else(|e| format!("unserializable derived schema: {e}"));
        SchemaSource::text(SchemaType::Json, text)
    }

    /// A schema written out as text.
    pub fn text(format: SchemaType, text: impl Into<String>) -> SchemaSource {
        SchemaSource {
            format,
            text: text.into(),
            references: Vec::new(),
        }
    }

    /// A schema read from a file (`.avsc` or a JSON Schema document).
    pub fn file(format: SchemaType, path: impl AsRef<Path>) -> Result<SchemaSource, ClientError> {
        let path = path.as_ref();
        let text = std::fs::read_to_string(path).map_err(|source| ClientError::Io {
            operation: format!("read schema file {}", path.display()),
            source,
        })?;
        Ok(SchemaSource::text(format, text))
    }

    /// The same schema with references to registered schemas.
    pub fn with_references(mut self, references: Vec<Reference>) -> SchemaSource {
        self.references = references;
        self
    }

    /// The schema's format.
    pub fn format(&self) -> SchemaType {
        self.format
    }

    /// The schema text as given.
    pub fn as_text(&self) -> &str {
        &self.text
    }
}

/// A local schema, parsed and ready to encode and decode with.
#[derive(Debug, Clone)]
pub(crate) struct Local {
    pub(crate) schema: Arc<Schema>,
    pub(crate) record_name: Option<String>,
    pub(crate) avro: Option<Arc<AvroCodec>>,
}

impl Local {
    pub(crate) async fn parse(
        source: &SchemaSource,
        registry: &SchemaRegistryClient,
    ) -> Result<Local, ClientError> {
        let text = SchemaText {
            schema: source.text.clone(),
            schema_type: Some(source.format.as_str().to_owned()),
            references: source.references.clone(),
            guid: None,
        };
        let schema = Arc::new(registry.parse(&text, "of the local type").await?);
        Local::from_schema(schema)
    }

    pub(crate) fn from_schema(schema: Arc<Schema>) -> Result<Local, ClientError> {
        let (record_name, avro) = match schema.as_ref() {
            Schema::Avro(a) => (
                a.full_name().map(str::to_owned),
                Some(Arc::new(AvroCodec::new(a, "of the local type")?)),
            ),
            Schema::Json(j) => (
                j.value()
                    .get("title")
                    .and_then(|t| t.as_str())
                    .map(str::to_owned),
                None,
            ),
            _ => {
                return Err(ClientError::Schema {
                    what: "of the local type".to_owned(),
                    reason: "only Avro and JSON Schema are supported".to_owned(),
                });
            }
        };
        Ok(Local {
            schema,
            record_name,
            avro,
        })
    }

    /// The request that registers or looks up this schema: its canonical
    /// text, so every client sends the same bytes for the same schema.
    pub(crate) fn request(&self) -> SchemaRequest {
        SchemaRequest::new(
            self.schema.schema_type(),
            self.schema.canonical(),
            self.schema.references().to_vec(),
        )
    }
}
