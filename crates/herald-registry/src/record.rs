//! The records of the `_schemas` topic, in the format the Confluent Schema
//! Registry and Karapace write, so Herald can replay a topic either of them
//! wrote and either of them can replay Herald's.
//!
//! Keys are small JSON objects tagged by `keytype`; compaction keeps the last
//! value per key, so keys are written with the exact field order and spelling
//! the other registries use (`{"keytype":"SCHEMA","subject":"s","version":1,"magic":1}`).
//! A record without a value (a tombstone) is a hard delete.

use herald_schema::{CompatibilityLevel, JsonCompatibilityPolicy, Reference, SchemaType};
use serde::{Deserialize, Deserializer, Serialize};
use serde_json::{Map, Value as Json};

use crate::RegistryError;

/// A record's key: which piece of registry state the record sets.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Key {
    /// One version of one subject (`SCHEMA`, magic 1).
    Schema {
        /// The qualified subject (`name` or `:.ctx:name`).
        subject: String,
        /// The version number.
        version: i32,
    },
    /// The compatibility configuration of a subject, a context (`:.ctx:`) or,
    /// without a subject, the registry (`CONFIG`).
    Config {
        /// The subject, or `None` for the global configuration.
        subject: Option<String>,
    },
    /// The mode of a subject, a context or the registry (`MODE`).
    Mode {
        /// The subject, or `None` for the global mode.
        subject: Option<String>,
    },
    /// A soft delete of a whole subject up to a version (`DELETE_SUBJECT`).
    DeleteSubject {
        /// The subject.
        subject: String,
    },
    /// Removal of a subject's soft-deleted versions (`CLEAR_SUBJECT`).
    ClearSubject {
        /// The subject.
        subject: String,
    },
    /// A context's existence (`CONTEXT`).
    Context {
        /// The tenant (`default`).
        tenant: String,
        /// The context name (`.ctx`).
        context: String,
    },
    /// A record that changes nothing (`NOOP`), written by Confluent's leader
    /// to learn the end of the topic.
    Noop,
}

/// The value of a `SCHEMA` record.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SchemaValue {
    /// The qualified subject.
    pub subject: String,
    /// The version within the subject.
    pub version: i32,
    /// The schema id (per context).
    pub id: i32,
    /// The format; absent means Avro.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub schema_type: Option<SchemaType>,
    /// References to other registered schemas.
    #[serde(
        default,
        skip_serializing_if = "Vec::is_empty",
        deserialize_with = "null_as_default"
    )]
    pub references: Vec<Reference>,
    /// Confluent data-contract metadata, kept as given.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub metadata: Option<Json>,
    /// Confluent data-contract rules, kept as given.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rule_set: Option<Json>,
    /// The stored (canonical or normalized) schema text.
    pub schema: String,
    /// Whether the version is soft-deleted.
    #[serde(default)]
    pub deleted: bool,
}

/// The value of a `CONFIG` record: Confluent's `Config` entity. Fields Herald
/// does not interpret are kept and written back unchanged.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ConfigValue {
    /// The compatibility level.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "lenient"
    )]
    pub compatibility_level: Option<CompatibilityLevel>,
    /// How strictly JSON Schema changes are judged.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "lenient"
    )]
    pub compatibility_policy: Option<JsonCompatibilityPolicy>,
    /// Whether schemas are normalized before they are stored and compared.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "lenient"
    )]
    pub normalize: Option<bool>,
    /// Other Confluent configuration fields (`validateFields`, `alias`, …).
    #[serde(flatten)]
    pub other: Map<String, Json>,
}

/// A registry or subject mode.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum Mode {
    /// Reads and writes (the default).
    Readwrite,
    /// Reads only: registrations of new schemas and deletes are refused.
    Readonly,
    /// Deprecated spelling of a global READONLY, kept for old topics.
    ReadonlyOverride,
    /// Registrations carry their own ids and versions; no compatibility check.
    Import,
    /// Global only: writes are forwarded elsewhere (schema linking); no
    /// compatibility check here.
    Forward,
}

impl Mode {
    /// The name the Confluent API uses.
    pub fn as_str(self) -> &'static str {
        match self {
            Mode::Readwrite => "READWRITE",
            Mode::Readonly => "READONLY",
            Mode::ReadonlyOverride => "READONLY_OVERRIDE",
            Mode::Import => "IMPORT",
            Mode::Forward => "FORWARD",
        }
    }

    /// Parses a mode name in any letter case.
    pub fn parse(name: &str) -> Option<Mode> {
        match name.to_ascii_uppercase().as_str() {
            "READWRITE" => Some(Mode::Readwrite),
            "READONLY" => Some(Mode::Readonly),
            "READONLY_OVERRIDE" => Some(Mode::ReadonlyOverride),
            "IMPORT" => Some(Mode::Import),
            "FORWARD" => Some(Mode::Forward),
            _ => None,
        }
    }

    /// Whether writes that change schemas are refused.
    pub fn is_read_only(self) -> bool {
        matches!(self, Mode::Readonly | Mode::ReadonlyOverride)
    }
}

/// The value of a `MODE` record.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct ModeValue {
    /// The mode.
    pub mode: Mode,
}

/// The value of a `DELETE_SUBJECT` record: versions up to `version` are
/// soft-deleted.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeleteSubjectValue {
    /// The qualified subject.
    pub subject: String,
    /// The highest version deleted (the watermark).
    pub version: i32,
}

/// A record's value, by key type.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum Value {
    /// A schema version.
    Schema(SchemaValue),
    /// A configuration.
    Config(ConfigValue),
    /// A mode.
    Mode(ModeValue),
    /// A subject soft delete.
    DeleteSubject(DeleteSubjectValue),
    /// Any other value (`CLEAR_SUBJECT`, `CONTEXT`, `NOOP`): its content does
    /// not change how Herald applies the record.
    Opaque(Json),
}

/// One `_schemas` record: a key and, unless it is a tombstone, a value.
#[derive(Debug, Clone, PartialEq)]
pub struct Record {
    /// What the record sets.
    pub key: Key,
    /// The new value, or `None` to delete the key.
    pub value: Option<Value>,
}

#[derive(Serialize)]
struct SchemaKeyOut<'a> {
    keytype: &'static str,
    subject: &'a str,
    version: i32,
    magic: i32,
}

#[derive(Serialize)]
struct SubjectKeyOut<'a> {
    keytype: &'static str,
    subject: Option<&'a str>,
    magic: i32,
}

#[derive(Serialize)]
struct ContextKeyOut<'a> {
    keytype: &'static str,
    tenant: &'a str,
    context: &'a str,
    magic: i32,
}

#[derive(Serialize)]
struct NoopKeyOut {
    keytype: &'static str,
    magic: i32,
}

#[derive(Deserialize)]
struct KeyIn {
    keytype: String,
    #[serde(default)]
    subject: Option<String>,
    #[serde(default)]
    version: Option<i32>,
    #[serde(default)]
    tenant: Option<String>,
    #[serde(default)]
    context: Option<String>,
}

impl Key {
    /// The key's bytes, exactly as Confluent writes them.
    pub fn encode(&self) -> Vec<u8> {
        let json = match self {
            Key::Schema { subject, version } => serde_json::to_vec(&SchemaKeyOut {
                keytype: "SCHEMA",
                subject,
                version: *version,
                magic: 1,
            }),
            Key::Config { subject } => serde_json::to_vec(&SubjectKeyOut {
                keytype: "CONFIG",
                subject: subject.as_deref(),
                magic: 0,
            }),
            Key::Mode { subject } => serde_json::to_vec(&SubjectKeyOut {
                keytype: "MODE",
                subject: subject.as_deref(),
                magic: 0,
            }),
            Key::DeleteSubject { subject } => serde_json::to_vec(&SubjectKeyOut {
                keytype: "DELETE_SUBJECT",
                subject: Some(subject),
                magic: 0,
            }),
            Key::ClearSubject { subject } => serde_json::to_vec(&SubjectKeyOut {
                keytype: "CLEAR_SUBJECT",
                subject: Some(subject),
                magic: 0,
            }),
            Key::Context { tenant, context } => serde_json::to_vec(&ContextKeyOut {
                keytype: "CONTEXT",
                tenant,
                context,
                magic: 0,
            }),
            Key::Noop => serde_json::to_vec(&NoopKeyOut {
                keytype: "NOOP",
                magic: 0,
            }),
        };
        // Serializing these plain structs cannot fail; an empty key would be
        // skipped at replay rather than corrupt anything.
        json.unwrap_or_default()
    }

    /// Parses a key; unknown key types are an error the caller may skip.
    pub fn decode(bytes: &[u8]) -> Result<Key, RegistryError> {
        let raw: KeyIn = serde_json::from_slice(bytes)
            .map_err(|e| bad(format!("key is not a registry key: {e}")))?;
        let need_subject = |s: Option<String>| {
            s.ok_or_else(|| bad(format!("{} key without a subject", raw.keytype)))
        };
        match raw.keytype.as_str() {
            "SCHEMA" => Ok(Key::Schema {
                subject: need_subject(raw.subject.clone())?,
                version: raw
                    .version
                    .ok_or_else(|| bad("SCHEMA key without a version".into()))?,
            }),
            "CONFIG" => Ok(Key::Config {
                subject: raw.subject,
            }),
            "MODE" => Ok(Key::Mode {
                subject: raw.subject,
            }),
            "DELETE_SUBJECT" => Ok(Key::DeleteSubject {
                subject: need_subject(raw.subject.clone())?,
            }),
            "CLEAR_SUBJECT" => Ok(Key::ClearSubject {
                subject: need_subject(raw.subject.clone())?,
            }),
            "CONTEXT" => Ok(Key::Context {
                tenant: raw.tenant.unwrap_or_else(|| "default".to_owned()),
                context: raw
                    .context
                    .ok_or_else(|| bad("CONTEXT key without a context".into()))?,
            }),
            "NOOP" => Ok(Key::Noop),
            other => Err(bad(format!("unknown key type {other:?}"))),
        }
    }
}

impl Record {
    /// A record that sets `key` to `value`.
    pub fn new(key: Key, value: Value) -> Record {
        Record {
            key,
            value: Some(value),
        }
    }

    /// A tombstone for `key`.
    pub fn tombstone(key: Key) -> Record {
        Record { key, value: None }
    }

    /// The record's key and value bytes.
    pub fn encode(&self) -> (Vec<u8>, Option<Vec<u8>>) {
        let value = self.value.as_ref().map(|v| {
            let json = match v {
                Value::Schema(s) => serde_json::to_vec(s),
                Value::Config(c) => serde_json::to_vec(c),
                Value::Mode(m) => serde_json::to_vec(m),
                Value::DeleteSubject(d) => serde_json::to_vec(d),
                Value::Opaque(j) => serde_json::to_vec(j),
            };
            json.unwrap_or_default()
        });
        (self.key.encode(), value)
    }

    /// Parses a record as found in `_schemas`. A value of JSON `null` or an
    /// empty value counts as a tombstone, as Confluent's deserializer does.
    pub fn decode(key: &[u8], value: Option<&[u8]>) -> Result<Record, RegistryError> {
        let key = Key::decode(key)?;
        let value = match value {
            None => None,
            Some(bytes) if bytes.is_empty() || bytes == b"null" => None,
            Some(bytes) => Some(decode_value(&key, bytes)?),
        };
        Ok(Record { key, value })
    }
}

fn decode_value(key: &Key, bytes: &[u8]) -> Result<Value, RegistryError> {
    let what = |e: serde_json::Error| bad(format!("value of {key:?} does not parse: {e}"));
    Ok(match key {
        Key::Schema { .. } => Value::Schema(serde_json::from_slice(bytes).map_err(what)?),
        Key::Config { .. } => Value::Config(serde_json::from_slice(bytes).map_err(what)?),
        Key::Mode { .. } => {
            let raw: Map<String, Json> = serde_json::from_slice(bytes).map_err(what)?;
            let name = raw.get("mode").and_then(Json::as_str).unwrap_or_default();
            let mode = Mode::parse(name).ok_or_else(|| bad(format!("unknown mode {name:?}")))?;
            Value::Mode(ModeValue { mode })
        }
        Key::DeleteSubject { .. } => {
            Value::DeleteSubject(serde_json::from_slice(bytes).map_err(what)?)
        }
        Key::ClearSubject { .. } | Key::Context { .. } | Key::Noop => {
            Value::Opaque(serde_json::from_slice(bytes).map_err(what)?)
        }
    })
}

fn bad(reason: String) -> RegistryError {
    RegistryError::BadRecord { reason }
}

/// Deserializes a field that other registries may fill with values Herald
/// does not know (a newer level, `LOGICAL` policy): those read as absent
/// rather than making the whole record unreadable.
fn lenient<'de, D, T>(deserializer: D) -> Result<Option<T>, D::Error>
where
    D: Deserializer<'de>,
    T: serde::de::DeserializeOwned,
{
    let raw = Option::<Json>::deserialize(deserializer)?;
    Ok(raw.and_then(|v| serde_json::from_value(v).ok()))
}

fn null_as_default<'de, D, T>(deserializer: D) -> Result<T, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de> + Default,
{
    Ok(Option::<T>::deserialize(deserializer)?.unwrap_or_default())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_written_byte_for_byte_as_confluent_writes_them() {
        let cases = [
            (
                Key::Schema {
                    subject: "orders-value".into(),
                    version: 3,
                },
                r#"{"keytype":"SCHEMA","subject":"orders-value","version":3,"magic":1}"#,
            ),
            (
                Key::Config { subject: None },
                r#"{"keytype":"CONFIG","subject":null,"magic":0}"#,
            ),
            (
                Key::Config {
                    subject: Some("s".into()),
                },
                r#"{"keytype":"CONFIG","subject":"s","magic":0}"#,
            ),
            (
                Key::Mode { subject: None },
                r#"{"keytype":"MODE","subject":null,"magic":0}"#,
            ),
            (
                Key::DeleteSubject {
                    subject: "s".into(),
                },
                r#"{"keytype":"DELETE_SUBJECT","subject":"s","magic":0}"#,
            ),
            (
                Key::ClearSubject {
                    subject: "s".into(),
                },
                r#"{"keytype":"CLEAR_SUBJECT","subject":"s","magic":0}"#,
            ),
            (Key::Noop, r#"{"keytype":"NOOP","magic":0}"#),
        ];
        for (key, text) in cases {
            assert_eq!(String::from_utf8(key.encode()).unwrap(), text);
            assert_eq!(Key::decode(text.as_bytes()).unwrap(), key);
        }
    }

    #[test]
    fn karapace_and_confluent_schema_values_parse() {
        // Karapace: no schemaType for Avro, no references.
        let karapace = br#"{"subject": "t-value", "version": 1, "id": 7, "schema": "\"string\"", "deleted": false}"#;
        let rec = Record::decode(
            br#"{"keytype": "SCHEMA", "subject": "t-value", "version": 1, "magic": 1}"#,
            Some(karapace),
        )
        .unwrap();
        let Some(Value::Schema(v)) = rec.value else {
            panic!("not a schema value: {rec:?}")
        };
        assert_eq!(
            (v.id, v.version, v.schema_type, v.deleted),
            (7, 1, None, false)
        );

        // Confluent: schemaType, references, null metadata/ruleSet, ts.
        let confluent = br#"{"subject":"t-value","version":2,"id":8,"schemaType":"JSON","references":[{"name":"a.json","subject":"a","version":1}],"metadata":null,"ruleSet":null,"schema":"{}","deleted":true,"ts":1700000000000}"#;
        let rec = Record::decode(
            br#"{"keytype":"SCHEMA","subject":"t-value","version":2,"magic":1}"#,
            Some(confluent),
        )
        .unwrap();
        let Some(Value::Schema(v)) = rec.value else {
            panic!("not a schema value")
        };
        assert_eq!(v.schema_type, Some(SchemaType::Json));
        assert_eq!(v.references.len(), 1);
        assert!(v.deleted);
        assert_eq!(v.metadata, None);
    }

    #[test]
    fn tombstones_and_null_values_are_deletes() {
        let key = br#"{"keytype":"SCHEMA","subject":"s","version":1,"magic":1}"#;
        assert_eq!(Record::decode(key, None).unwrap().value, None);
        assert_eq!(Record::decode(key, Some(b"null")).unwrap().value, None);
        assert_eq!(Record::decode(key, Some(b"")).unwrap().value, None);
    }

    #[test]
    fn config_values_keep_unknown_fields_and_tolerate_unknown_levels() {
        let rec = Record::decode(
            br#"{"keytype":"CONFIG","subject":null,"magic":0}"#,
            Some(br#"{"compatibilityLevel":"FULL_TRANSITIVE","compatibilityPolicy":"LOGICAL","validateFields":true}"#),
        )
        .unwrap();
        let Some(Value::Config(c)) = &rec.value else {
            panic!("not a config")
        };
        assert_eq!(
            c.compatibility_level,
            Some(CompatibilityLevel::FullTransitive)
        );
        assert_eq!(c.compatibility_policy, None);
        assert_eq!(c.other.get("validateFields"), Some(&Json::Bool(true)));
        let (_, value) = rec.encode();
        let again: Json = serde_json::from_slice(&value.unwrap()).unwrap();
        assert_eq!(again["validateFields"], Json::Bool(true));
        assert_eq!(again["compatibilityLevel"], "FULL_TRANSITIVE");
    }

    #[test]
    fn modes_and_subject_deletes_round_trip() {
        for mode in [
            "READWRITE",
            "READONLY",
            "IMPORT",
            "FORWARD",
            "READONLY_OVERRIDE",
        ] {
            let value = format!(r#"{{"mode":"{mode}"}}"#);
            let rec = Record::decode(
                br#"{"keytype":"MODE","subject":"s","magic":0}"#,
                Some(value.as_bytes()),
            )
            .unwrap();
            let (_, bytes) = rec.encode();
            assert_eq!(String::from_utf8(bytes.unwrap()).unwrap(), value);
        }
        let rec = Record::decode(
            br#"{"keytype":"DELETE_SUBJECT","subject":"s","magic":0}"#,
            Some(br#"{"subject":"s","version":4}"#),
        )
        .unwrap();
        assert_eq!(
            rec.value,
            Some(Value::DeleteSubject(DeleteSubjectValue {
                subject: "s".into(),
                version: 4
            }))
        );
    }

    #[test]
    fn garbage_is_an_error_not_a_panic() {
        for key in [
            &b"not json"[..],
            b"{}",
            br#"{"keytype":"WHAT","magic":0}"#,
            br#"{"keytype":"SCHEMA"}"#,
        ] {
            assert!(Key::decode(key).is_err(), "{key:?}");
        }
        let key = br#"{"keytype":"SCHEMA","subject":"s","version":1,"magic":1}"#;
        assert!(Record::decode(key, Some(b"{\"id\":\"x\"}")).is_err());
        let mode = br#"{"keytype":"MODE","subject":null,"magic":0}"#;
        assert!(Record::decode(mode, Some(br#"{"mode":"SIDEWAYS"}"#)).is_err());
    }
}
