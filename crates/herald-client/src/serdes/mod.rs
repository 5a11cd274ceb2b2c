//! Serializers and deserializers bound to a Rust type and a registry
//! subject, writing and reading the Confluent wire format.
//!
//! - [`Serializer<T>`]: resolves the subject and schema id once per topic
//!   ([`Serializer::bind`]) and then encodes without touching the network.
//! - [`Deserializer<T>`]: finds the writer's schema from the record (header
//!   first, then payload prefix), and decodes into `T`; for Avro through a
//!   resolution plan compiled once per writer schema and cached.

mod avro;
mod contract;
mod de;
mod plan;
mod ser;
mod transcode;

pub use contract::SchemaSource;
pub use de::{Deserializer, Origin};
pub(crate) use ser::BoundTopic;
pub use ser::{Binding, Encoded, Serializer};

pub(crate) use contract::Local;

use crate::registry::Normalize;
use crate::subject::{Side, SubjectNameStrategy};

/// Which registered schema a serializer writes with. One enum, so that
/// contradictory settings (auto-register *and* a fixed id) cannot be written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum SchemaSelection {
    /// Register the local type's schema under the subject if it is not
    /// there yet (the registry checks compatibility), and write with it.
    #[default]
    AutoRegister,
    /// Write with the local type's schema, which must already be registered
    /// under the subject (`auto.register.schemas=false`).
    Registered,
    /// Write with the subject's latest version. With `check_compatibility`
    /// (the default via [`SchemaSelection::latest`]) the latest version must
    /// be able to read what the local type writes, checked at bind time.
    Latest {
        /// Check the local type against the latest version.
        check_compatibility: bool,
    },
    /// Write with the schema that has this id (`use.schema.id`), checked
    /// against the local type like [`Latest`](Self::Latest).
    Id {
        /// The schema id.
        id: u32,
        /// Check the local type against it.
        check_compatibility: bool,
    },
}

impl SchemaSelection {
    /// The latest version, with the compatibility check on.
    pub fn latest() -> SchemaSelection {
        SchemaSelection::Latest {
            check_compatibility: true,
        }
    }

    /// A fixed id, with the compatibility check on.
    pub fn id(id: u32) -> SchemaSelection {
        SchemaSelection::Id {
            id,
            check_compatibility: true,
        }
    }
}

/// Where a serializer writes the schema reference.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum IdLocation {
    /// Magic byte `0` + id before the datum (every Confluent client reads it).
    #[default]
    Prefix,
    /// The `__key_schema_id` / `__value_schema_id` header, as magic `1` +
    /// GUID; the payload is the bare datum (Confluent Platform 8.0+ readers).
    Header,
}

/// How a [`Serializer`] picks and writes its schema.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SerializerConfig {
    /// Key or value.
    pub side: Side,
    /// How the subject is named.
    pub strategy: SubjectNameStrategy,
    /// Which schema to write with.
    pub selection: SchemaSelection,
    /// Where the schema reference goes.
    pub id_location: IdLocation,
    /// Whether the registry normalizes the schema on register/lookup.
    pub normalize: Normalize,
    /// Validate JSON payloads against the schema before sending (default
    /// on; Avro is always checked by encoding).
    pub validate: bool,
}

impl Default for SerializerConfig {
    fn default() -> Self {
        SerializerConfig {
            side: Side::Value,
            strategy: SubjectNameStrategy::TopicName,
            selection: SchemaSelection::AutoRegister,
            id_location: IdLocation::Prefix,
            normalize: Normalize::No,
            validate: true,
        }
    }
}

/// How a [`Deserializer`] reads.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeserializerConfig {
    /// Key or value.
    pub side: Side,
    /// How the subject checked at construction is named.
    pub strategy: SubjectNameStrategy,
    /// Check at construction that the local type may read the subject
    /// (the registry's compatibility check; default on).
    pub check_compatibility: bool,
    /// Validate JSON payloads against the writer's schema (default off).
    pub validate: bool,
}

impl Default for DeserializerConfig {
    fn default() -> Self {
        DeserializerConfig {
            side: Side::Value,
            strategy: SubjectNameStrategy::TopicName,
            check_compatibility: true,
            validate: false,
        }
    }
}
