//! The registry API's JSON shapes, as Confluent's entities spell them.
//! Missing optional fields take their Confluent defaults (a missing
//! `schemaType` is AVRO, as Karapace omits it).

use std::collections::BTreeMap;

use herald_schema::{Reference, SchemaType};
use serde::{Deserialize, Serialize};

/// A schema's text with its format and references
/// (`GET /schemas/ids/{id}`, `GET /schemas/guids/{guid}`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SchemaText {
    /// The schema text.
    pub schema: String,
    /// `AVRO`, `JSON` or `PROTOBUF`; absent means AVRO.
    #[serde(
        rename = "schemaType",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub schema_type: Option<String>,
    /// The schemas it references.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub references: Vec<Reference>,
    /// The schema's GUID, when the registry reports it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub guid: Option<String>,
}

impl SchemaText {
    /// The schema's format (AVRO when the registry omitted it).
    pub fn format(&self) -> Result<SchemaType, crate::ClientError> {
        parse_type(self.schema_type.as_deref())
    }
}

pub(crate) fn parse_type(t: Option<&str>) -> Result<SchemaType, crate::ClientError> {
    match t {
        None => Ok(SchemaType::Avro),
        Some(t) => t.parse().map_err(|_| crate::ClientError::Schema {
            what: format!("type {t}"),
            reason: "unknown schema type".to_owned(),
        }),
    }
}

/// A version of a subject (`GET /subjects/{s}/versions/{v}`, lookup, lists).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SubjectSchema {
    /// The subject.
    pub subject: String,
    /// The version within the subject.
    pub version: i32,
    /// The global schema id.
    pub id: u32,
    /// The schema text.
    pub schema: String,
    /// `AVRO`, `JSON` or `PROTOBUF`; absent means AVRO.
    #[serde(
        rename = "schemaType",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub schema_type: Option<String>,
    /// The schemas it references.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub references: Vec<Reference>,
    /// The schema's GUID, when reported.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub guid: Option<String>,
    /// Whether the version is soft-deleted (lists with `deleted=true`).
    #[serde(default)]
    pub deleted: bool,
}

impl SubjectSchema {
    /// The text part, for parsing.
    pub fn text(&self) -> SchemaText {
        SchemaText {
            schema: self.schema.clone(),
            schema_type: self.schema_type.clone(),
            references: self.references.clone(),
            guid: self.guid.clone(),
        }
    }
}

/// What `POST /subjects/{s}/versions` (register), the lookup and the
/// compatibility endpoints take.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SchemaRequest {
    /// The schema text.
    pub schema: String,
    /// Its format; omitted for AVRO, as Confluent clients do.
    #[serde(rename = "schemaType", skip_serializing_if = "Option::is_none")]
    pub schema_type: Option<String>,
    /// Its references.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub references: Vec<Reference>,
}

impl SchemaRequest {
    /// A request for `schema` of `schema_type` with `references`.
    pub fn new(
        schema_type: SchemaType,
        schema: impl Into<String>,
        references: Vec<Reference>,
    ) -> SchemaRequest {
        SchemaRequest {
            schema: schema.into(),
            schema_type: (schema_type != SchemaType::Avro).then(|| schema_type.as_str().to_owned()),
            references,
        }
    }
}

/// What registering answered: the id (always), and the version and GUID
/// when the registry reports them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Registered {
    /// The global schema id.
    pub id: u32,
    /// The version under the subject.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub version: Option<i32>,
    /// The schema GUID.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub guid: Option<String>,
}

/// A compatibility check's answer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Compatibility {
    /// Whether the schema is compatible.
    pub is_compatible: bool,
    /// The findings (with `verbose=true`).
    #[serde(default)]
    pub messages: Vec<String>,
}

/// A (subject, version) pair (`GET /schemas/ids/{id}/versions`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SubjectVersion {
    /// The subject.
    pub subject: String,
    /// The version.
    pub version: i32,
}

/// An id in a context (`GET /schemas/guids/{guid}/ids`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ContextId {
    /// The context (`.` is the default one).
    #[serde(default)]
    pub context: String,
    /// The id in that context.
    pub id: u32,
}

/// A compatibility configuration (`GET /config`, `GET /config/{s}`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
pub struct ConfigEntry {
    /// The level (`BACKWARD`, `FULL_TRANSITIVE`, …); `GET` spells it
    /// `compatibilityLevel`, `PUT` takes `compatibility`.
    #[serde(
        rename = "compatibilityLevel",
        alias = "compatibility",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub compatibility_level: Option<String>,
    /// Whether schemas are normalized on register and lookup.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub normalize: Option<bool>,
    /// Every other property, as the registry sent it.
    #[serde(flatten)]
    pub other: BTreeMap<String, serde_json::Value>,
}

/// A mode (`READWRITE`, `READONLY`, `IMPORT`, …).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ModeEntry {
    /// The mode.
    pub mode: String,
}

/// `GET /v1/metadata/version`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ServerVersion {
    /// The server's version.
    pub version: String,
    /// Its commit.
    #[serde(rename = "commitId", default)]
    pub commit_id: String,
}
