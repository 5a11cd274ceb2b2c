//! The schema formats Herald knows by name.

use std::fmt;
use std::str::FromStr;

/// A schema format, spelled on the wire as the Confluent registry spells it
/// (`AVRO`, `JSON`, `PROTOBUF`). A registration without a `schemaType` is Avro.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, Default, serde::Serialize, serde::Deserialize,
)]
#[serde(rename_all = "UPPERCASE")]
pub enum SchemaType {
    /// Apache Avro.
    #[default]
    Avro,
    /// JSON Schema (drafts 4, 6, 7, 2019-09 and 2020-12).
    Json,
    /// Protocol Buffers: named so the API can answer for it, not parsed yet.
    Protobuf,
}

impl SchemaType {
    /// The name the Confluent API uses for this format.
    pub fn as_str(self) -> &'static str {
        match self {
            SchemaType::Avro => "AVRO",
            SchemaType::Json => "JSON",
            SchemaType::Protobuf => "PROTOBUF",
        }
    }
}

impl fmt::Display for SchemaType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A schema type name that is not `AVRO`, `JSON` or `PROTOBUF`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown schema type {0:?}: expected AVRO, JSON or PROTOBUF")]
pub struct UnknownSchemaType(pub String);

impl FromStr for SchemaType {
    type Err = UnknownSchemaType;

    /// Accepts the Confluent names in any letter case.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.to_ascii_uppercase().as_str() {
            "AVRO" => Ok(SchemaType::Avro),
            "JSON" => Ok(SchemaType::Json),
            "PROTOBUF" => Ok(SchemaType::Protobuf),
            _ => Err(UnknownSchemaType(s.to_owned())),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_any_case_and_round_trips() {
        for t in [SchemaType::Avro, SchemaType::Json, SchemaType::Protobuf] {
            assert_eq!(t.as_str().parse::<SchemaType>(), Ok(t));
            assert_eq!(t.as_str().to_lowercase().parse::<SchemaType>(), Ok(t));
        }
        assert!("XML".parse::<SchemaType>().is_err());
    }
}
