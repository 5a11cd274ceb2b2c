//! The JSON shapes of the API (Confluent's REST entities). Empty and absent
//! fields are omitted, as Confluent's `@JsonInclude(NON_EMPTY)` does, and
//! Avro's `schemaType` is left out as Confluent leaves it out.

use herald_schema::{Reference, SchemaType};
use serde::{Deserialize, Deserializer, Serialize};
use serde_json::Value as Json;

use crate::state::{Candidate, SchemaRef, StoredSchema};

/// The body of register, lookup and compatibility requests. Every field but
/// `schema` may be missing or `null`; unknown fields are ignored.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct SchemaRequest {
    #[serde(default)]
    pub schema: Option<String>,
    #[serde(default)]
    pub schema_type: Option<String>,
    #[serde(default, deserialize_with = "null_as_default")]
    pub references: Vec<Reference>,
    #[serde(default)]
    pub metadata: Option<Json>,
    #[serde(default)]
    pub rule_set: Option<Json>,
    #[serde(default)]
    pub id: Option<i32>,
    #[serde(default)]
    pub version: Option<i32>,
}

impl SchemaRequest {
    /// The candidate it describes (42201 for a missing schema or an unknown type).
    pub fn candidate(self) -> Result<Candidate, crate::RegistryError> {
        let schema_type = match self.schema_type.as_deref() {
            None | Some("") => SchemaType::Avro,
            Some(t) => t
                .parse::<SchemaType>()
                .map_err(|e| crate::RegistryError::invalid_schema(e.to_string()))?,
        };
        let text = self
            .schema
            .ok_or_else(|| crate::RegistryError::invalid_schema("Empty schema".to_owned()))?;
        // An empty metadata or rule set is no metadata, as Confluent treats it.
        let meaningful = |v: Option<Json>| {
            v.filter(|j| !j.is_null() && j.as_object().is_none_or(|o| !o.is_empty()))
        };
        Ok(Candidate {
            schema_type,
            text,
            references: self.references,
            metadata: meaningful(self.metadata),
            rule_set: meaningful(self.rule_set),
            id: self.id.filter(|id| *id >= 0),
            version: self.version.filter(|v| *v != 0),
        })
    }
}

fn null_as_default<'de, D, T>(deserializer: D) -> Result<T, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de> + Default,
{
    Ok(Option::<T>::deserialize(deserializer)?.unwrap_or_default())
}

fn type_name(t: SchemaType) -> Option<&'static str> {
    (t != SchemaType::Avro).then_some(t.as_str())
}

/// `GET /schemas/ids/{id}`.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct SchemaString<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub schema_type: Option<&'static str>,
    pub schema: &'a str,
    #[serde(skip_serializing_if = "<[_]>::is_empty")]
    pub references: &'a [Reference],
    #[serde(skip_serializing_if = "Option::is_none")]
    pub metadata: Option<&'a Json>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rule_set: Option<&'a Json>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub guid: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_id: Option<i32>,
}

impl<'a> SchemaString<'a> {
    pub fn new(s: &'a StoredSchema, new_fields: bool) -> Self {
        SchemaString {
            schema_type: type_name(s.schema_type),
            schema: &s.text,
            references: &s.references,
            metadata: s.metadata(),
            rule_set: s.rule_set(),
            guid: new_fields.then(|| s.guid.to_string()),
            max_id: None,
        }
    }
}

/// A subject version (`GET /subjects/{s}/versions/{v}`, lookup, `GET /schemas`).
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct SchemaEntity<'a> {
    pub subject: &'a str,
    pub version: i32,
    pub id: i32,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub guid: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub schema_type: Option<&'static str>,
    #[serde(skip_serializing_if = "<[_]>::is_empty")]
    pub references: &'a [Reference],
    #[serde(skip_serializing_if = "Option::is_none")]
    pub metadata: Option<&'a Json>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rule_set: Option<&'a Json>,
    pub schema: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub deleted: Option<bool>,
}

impl<'a> SchemaEntity<'a> {
    pub fn new(r: &'a SchemaRef, new_fields: bool) -> Self {
        let s = &r.schema;
        SchemaEntity {
            subject: &r.subject,
            version: r.version,
            id: s.id,
            guid: new_fields.then(|| s.guid.to_string()),
            schema_type: type_name(s.schema_type),
            references: &s.references,
            metadata: s.metadata(),
            rule_set: s.rule_set(),
            schema: &s.text,
            deleted: (new_fields && r.deleted).then_some(true),
        }
    }
}

/// `{"subject": …, "version": …}` of `GET /schemas/ids/{id}/versions`.
#[derive(Debug, Serialize)]
pub(crate) struct SubjectVersion {
    pub subject: String,
    pub version: i32,
}

/// `{"context": …, "id": …}` of `GET /schemas/guids/{guid}/ids`.
#[derive(Debug, Serialize)]
pub(crate) struct ContextId {
    pub context: String,
    pub id: i32,
}

/// `POST /compatibility/…`.
#[derive(Debug, Serialize)]
pub(crate) struct CompatibilityResponse {
    pub is_compatible: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub messages: Option<Vec<String>>,
}
