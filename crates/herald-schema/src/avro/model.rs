//! The compiled form of an Avro schema: an arena of nodes that mirrors Java
//! Avro's object model (so the canonical text can be written exactly as Java
//! writes it) and that the compatibility checker walks without re-parsing.
//!
//! A named type is one node; every place that uses it links to that node, so
//! recursive types are cycles in the arena and a pair of node ids identifies
//! a reader/writer pair for memoization.

use std::collections::HashMap;

use serde_json::Value;

/// Index of a node in [`Tree::nodes`].
pub(crate) type NodeId = usize;

/// Custom properties in the order they were written (Java keeps insertion order).
pub(crate) type Props = Vec<(String, Value)>;

/// The eight primitive types.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) enum Primitive {
    Null,
    Boolean,
    Int,
    Long,
    Float,
    Double,
    Bytes,
    String,
}

impl Primitive {
    pub(crate) fn from_name(name: &str) -> Option<Primitive> {
        Some(match name {
            "null" => Primitive::Null,
            "boolean" => Primitive::Boolean,
            "int" => Primitive::Int,
            "long" => Primitive::Long,
            "float" => Primitive::Float,
            "double" => Primitive::Double,
            "bytes" => Primitive::Bytes,
            "string" => Primitive::String,
            _ => return None,
        })
    }

    pub(crate) fn name(self) -> &'static str {
        match self {
            Primitive::Null => "null",
            Primitive::Boolean => "boolean",
            Primitive::Int => "int",
            Primitive::Long => "long",
            Primitive::Float => "float",
            Primitive::Double => "double",
            Primitive::Bytes => "bytes",
            Primitive::String => "string",
        }
    }
}

/// Every name Java's `Schema.Type` knows; a named type called like one of
/// these is always written with its full name when referenced.
pub(crate) const TYPE_NAMES: [&str; 14] = [
    "record", "enum", "array", "map", "union", "fixed", "string", "bytes", "int", "long", "float",
    "double", "boolean", "null",
];

/// A validated name with its namespace.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Name {
    /// `namespace.name`, or just `name` without a namespace.
    pub full: String,
    /// Byte offset of the unqualified name in `full`.
    name_start: usize,
}

impl Name {
    pub(crate) fn new(name: &str, space: Option<&str>) -> Name {
        match space {
            Some(space) if !space.is_empty() => Name {
                full: format!("{space}.{name}"),
                name_start: space.len() + 1,
            },
            _ => Name {
                full: name.to_owned(),
                name_start: 0,
            },
        }
    }

    /// The unqualified name.
    pub(crate) fn name(&self) -> &str {
        &self.full[self.name_start..]
    }

    /// The namespace, `None` when there is none.
    pub(crate) fn space(&self) -> Option<&str> {
        if self.name_start == 0 {
            None
        } else {
            Some(&self.full[..self.name_start - 1])
        }
    }

    /// Java's `Name.getQualified`: the short name when the namespace equals
    /// `default_space` (unless the short name is a type name), else the full one.
    pub(crate) fn qualified(&self, default_space: Option<&str>) -> &str {
        match self.space() {
            Some(space) if Some(space) == default_space && !TYPE_NAMES.contains(&self.name()) => {
                self.name()
            }
            _ => &self.full,
        }
    }
}

/// A logical type that Java Avro recognises as valid on its underlying type.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) enum Logical {
    Decimal { precision: u32, scale: u32 },
    BigDecimal,
    Uuid,
    Date,
    TimeMillis,
    TimeMicros,
    TimestampMillis,
    TimestampMicros,
    TimestampNanos,
    LocalTimestampMillis,
    LocalTimestampMicros,
    LocalTimestampNanos,
    Duration,
}

impl Logical {
    pub(crate) fn name(self) -> &'static str {
        match self {
            Logical::Decimal { .. } => "decimal",
            Logical::BigDecimal => "big-decimal",
            Logical::Uuid => "uuid",
            Logical::Date => "date",
            Logical::TimeMillis => "time-millis",
            Logical::TimeMicros => "time-micros",
            Logical::TimestampMillis => "timestamp-millis",
            Logical::TimestampMicros => "timestamp-micros",
            Logical::TimestampNanos => "timestamp-nanos",
            Logical::LocalTimestampMillis => "local-timestamp-millis",
            Logical::LocalTimestampMicros => "local-timestamp-micros",
            Logical::LocalTimestampNanos => "local-timestamp-nanos",
            Logical::Duration => "duration",
        }
    }

    /// A short description for messages: `decimal(10,2)`, `date`.
    pub(crate) fn describe(self) -> String {
        match self {
            Logical::Decimal { precision, scale } => format!("decimal({precision},{scale})"),
            other => other.name().to_owned(),
        }
    }
}

/// How a field sorts (only matters for Avro's binary comparison).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Order {
    Ascending,
    Descending,
    Ignore,
}

impl Order {
    pub(crate) fn name(self) -> &'static str {
        match self {
            Order::Ascending => "ascending",
            Order::Descending => "descending",
            Order::Ignore => "ignore",
        }
    }
}

/// A record field.
#[derive(Debug, Clone)]
pub(crate) struct Field {
    pub name: String,
    pub ty: NodeId,
    pub doc: Option<String>,
    pub default: Option<Value>,
    pub order: Order,
    /// Field aliases as written (Java keeps them as raw strings, de-duplicated).
    pub aliases: Vec<String>,
    pub props: Props,
}

/// What a node is.
#[derive(Debug, Clone)]
pub(crate) enum Kind {
    Primitive(Primitive),
    Record {
        name: Name,
        doc: Option<String>,
        fields: Vec<Field>,
        aliases: Vec<Name>,
        /// Written as `"type":"error"` (Avro protocols' error records).
        is_error: bool,
        /// Field name to position for records with many fields (empty for
        /// small ones); use [`field_position`].
        index: HashMap<String, usize>,
    },
    Enum {
        name: Name,
        doc: Option<String>,
        symbols: Vec<String>,
        default: Option<String>,
        aliases: Vec<Name>,
    },
    Fixed {
        name: Name,
        doc: Option<String>,
        size: u32,
        aliases: Vec<Name>,
    },
    Array {
        items: NodeId,
    },
    Map {
        values: NodeId,
    },
    Union {
        branches: Vec<NodeId>,
    },
    /// A use of a named type by name, before resolution links the user to
    /// the definition. No `Ref` is reachable from a finished tree.
    Ref {
        /// The name qualified with the namespace in force where it was used.
        full: String,
        /// The name as written (Java falls back to it when `full` is unknown).
        written: String,
        /// Where it was used, for the error when it names nothing.
        pointer: String,
    },
}

/// One schema node.
#[derive(Debug, Clone)]
pub(crate) struct Node {
    pub kind: Kind,
    /// Custom properties, `logicalType` and its parameters included (Java keeps them there too).
    pub props: Props,
    pub logical: Option<Logical>,
}

impl Node {
    /// The name of a record, enum or fixed.
    pub(crate) fn name(&self) -> Option<&Name> {
        match &self.kind {
            Kind::Record { name, .. } | Kind::Enum { name, .. } | Kind::Fixed { name, .. } => {
                Some(name)
            }
            _ => None,
        }
    }

    /// A short description of the type for messages: `int`, `com.acme.Order`, `array`.
    pub(crate) fn describe(&self) -> String {
        match &self.kind {
            Kind::Primitive(p) => match self.logical {
                Some(l) => format!("{} ({})", p.name(), l.describe()),
                None => p.name().to_owned(),
            },
            Kind::Record { name, .. } => format!("record {}", name.full),
            Kind::Enum { name, .. } => format!("enum {}", name.full),
            Kind::Fixed { name, size, .. } => format!("fixed {} ({size} bytes)", name.full),
            Kind::Array { .. } => "array".to_owned(),
            Kind::Map { .. } => "map".to_owned(),
            Kind::Union { .. } => "union".to_owned(),
            Kind::Ref { full, .. } => full.clone(),
        }
    }

    /// The key Java uses to find duplicates in a union (`getFullName`).
    pub(crate) fn union_key(&self) -> String {
        match &self.kind {
            Kind::Primitive(p) => p.name().to_owned(),
            Kind::Record { name, .. } | Kind::Enum { name, .. } | Kind::Fixed { name, .. } => {
                name.full.clone()
            }
            Kind::Array { .. } => "array".to_owned(),
            Kind::Map { .. } => "map".to_owned(),
            Kind::Union { .. } => "union".to_owned(),
            Kind::Ref { full, .. } => full.clone(),
        }
    }
}

/// A compiled schema together with the schemas it references.
#[derive(Debug, Clone)]
pub(crate) struct Tree {
    pub nodes: Vec<Node>,
    pub root: NodeId,
    /// Nodes below this index belong to referenced schemas.
    pub main_start: NodeId,
    /// Full names defined by referenced schemas, for re-parsing with them.
    pub dep_names: HashMap<String, NodeId>,
    /// Full names of the referenced schemas' top-level types: Confluent writes
    /// these by name in the canonical text instead of inlining them.
    pub dep_top_names: Vec<String>,
}

impl Tree {
    pub(crate) fn node(&self, id: NodeId) -> &Node {
        &self.nodes[id]
    }
}

/// The position of the field called `name` in a record.
pub(crate) fn field_position(
    fields: &[Field],
    index: &HashMap<String, usize>,
    name: &str,
) -> Option<usize> {
    if index.is_empty() {
        fields.iter().position(|f| f.name == name)
    } else {
        index.get(name).copied()
    }
}
