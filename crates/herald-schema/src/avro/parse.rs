//! From JSON to the compiled [`Node`] arena, validating as Java Avro's
//! `Schema.Parser` does (and a little stricter where Java silently drops
//! input), with a JSON pointer on every error.
//!
//! The parser consumes the JSON value, moving names, defaults and properties
//! into the tree instead of copying them: parsing is on the registry's hot
//! path (every registration and lookup parses).

use std::collections::HashMap;

use super::json_in::Json;

use super::logical::logical_of;
use super::model::{Kind, Node, NodeId, Primitive, Props, Tree};
use super::names::qualify;
use super::resolve;

/// A problem at a place in a document.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Located {
    pub pointer: String,
    pub reason: String,
}

/// One step of a JSON pointer.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Seg {
    Key(&'static str),
    Index(usize),
}

/// Renders segments as a JSON pointer (`/fields/2/default`).
pub(crate) fn render(path: &[Seg]) -> String {
    let mut s = String::new();
    for seg in path {
        s.push('/');
        match seg {
            Seg::Key(k) => s.push_str(k),
            Seg::Index(i) => s.push_str(&i.to_string()),
        }
    }
    s
}

/// Attributes Java reserves on every schema object (they never become properties).
pub(crate) const SCHEMA_RESERVED: [&str; 10] = [
    "doc",
    "fields",
    "items",
    "name",
    "namespace",
    "size",
    "symbols",
    "values",
    "type",
    "aliases",
];
/// Enums also reserve their `default`.
pub(crate) const ENUM_RESERVED: [&str; 11] = [
    "doc",
    "fields",
    "items",
    "name",
    "namespace",
    "size",
    "symbols",
    "values",
    "type",
    "aliases",
    "default",
];
/// Attributes Java reserves on a record field.
pub(crate) const FIELD_RESERVED: [&str; 6] = ["default", "doc", "name", "order", "type", "aliases"];

/// A JSON object split into the attributes Avro defines for it and its
/// custom properties, which keep their order (Java writes them back in it).
pub(crate) struct Object {
    known: Vec<(String, Json)>,
    pub props: Props,
}

impl Object {
    pub(crate) fn split(entries: Vec<(String, Json)>, reserved: &[&str]) -> Object {
        let mut known = Vec::with_capacity(4);
        let mut props = Vec::new();
        for (k, v) in entries {
            if reserved.contains(&k.as_str()) {
                known.push((k, v));
            } else {
                props.push((k, v.into_value()));
            }
        }
        Object { known, props }
    }

    pub(crate) fn get(&self, key: &str) -> Option<&Json> {
        self.known.iter().find(|(k, _)| k == key).map(|(_, v)| v)
    }

    pub(crate) fn take(&mut self, key: &str) -> Option<Json> {
        let i = self.known.iter().position(|(k, _)| k == key)?;
        Some(self.known.swap_remove(i).1)
    }
}

/// A field default whose type uses names not resolved yet; checked once
/// the whole document is parsed.
pub(crate) struct PendingDefault {
    pub record: NodeId,
    pub field: usize,
    pub pointer: String,
}

/// Builds the arena document by document: referenced schemas first, so the
/// names they define are known to the schemas after them.
pub(crate) struct Builder {
    pub nodes: Vec<Node>,
    pub names: HashMap<String, NodeId>,
    pub(crate) path: Vec<Seg>,
    pub(crate) doc_start: NodeId,
    pub(crate) refs: Vec<NodeId>,
    pub(crate) defaults: Vec<PendingDefault>,
    pub(crate) redefinitions: Vec<(NodeId, NodeId, String)>,
    /// Whether field defaults must fit their types. Off for schemas a
    /// registry already stored: Confluent validates defaults of new schemas
    /// only, so older `_schemas` topics hold schemas that would fail today.
    pub(crate) validate_defaults: bool,
}

impl Builder {
    /// A builder that knows no names.
    pub(crate) fn new() -> Builder {
        Builder {
            nodes: Vec::new(),
            names: HashMap::new(),
            path: Vec::new(),
            doc_start: 0,
            refs: Vec::new(),
            defaults: Vec::new(),
            redefinitions: Vec::new(),
            validate_defaults: true,
        }
    }

    /// A builder that knows the referenced schemas of `tree`.
    pub(crate) fn with_dependencies_of(tree: &Tree) -> Builder {
        let mut b = Builder::new();
        b.nodes = tree.nodes[..tree.main_start].to_vec();
        b.names = tree.dep_names.clone();
        b
    }

    /// Parses one document, resolves its names and checks what needs them.
    /// Returns the id of its root node.
    pub(crate) fn add_document(&mut self, value: Json) -> Result<NodeId, Located> {
        self.doc_start = self.nodes.len();
        self.refs.clear();
        self.defaults.clear();
        self.redefinitions.clear();
        self.path.clear();
        let root = self.parse(value, None)?;
        resolve::finish_document(self, root)
    }

    pub(crate) fn at(&self, reason: impl Into<String>) -> Located {
        Located {
            pointer: render(&self.path),
            reason: reason.into(),
        }
    }

    pub(crate) fn at_key(&mut self, key: &'static str, reason: impl Into<String>) -> Located {
        self.path.push(Seg::Key(key));
        let e = self.at(reason);
        self.path.pop();
        e
    }

    pub(crate) fn at_index(
        &mut self,
        key: &'static str,
        i: usize,
        reason: impl Into<String>,
    ) -> Located {
        self.path.extend([Seg::Key(key), Seg::Index(i)]);
        let e = self.at(reason);
        self.path.truncate(self.path.len() - 2);
        e
    }

    pub(crate) fn push(&mut self, kind: Kind, props: Props) -> NodeId {
        let logical = logical_of(&kind, &props);
        self.nodes.push(Node {
            kind,
            props,
            logical,
        });
        self.nodes.len() - 1
    }

    pub(crate) fn parse(&mut self, value: Json, space: Option<&str>) -> Result<NodeId, Located> {
        match value {
            Json::String(s) => Ok(self.parse_type_name(&s, space)),
            Json::Array(branches) => self.parse_union(branches, space),
            Json::Object(entries) => self.parse_object(entries, space),
            other => Err(self.at(format!(
                "expected a type: a type name such as \"string\", a schema object or a union array, found {}",
                json_kind(&other)
            ))),
        }
    }

    fn parse_type_name(&mut self, s: &str, space: Option<&str>) -> NodeId {
        if let Some(p) = Primitive::from_name(s) {
            return self.push(Kind::Primitive(p), Vec::new());
        }
        let id = self.push(
            Kind::Ref {
                full: qualify(s, space),
                written: s.to_owned(),
                pointer: render(&self.path),
            },
            Vec::new(),
        );
        self.refs.push(id);
        id
    }

    /// Parses a union and checks Java's rules for it: no union directly in a
    /// union, and each type (each array, map or full name) at most once. A
    /// named branch used by name is keyed by the full name it is looked up
    /// under, which is the name it resolves to.
    fn parse_union(&mut self, branches: Vec<Json>, space: Option<&str>) -> Result<NodeId, Located> {
        let mut ids: Vec<NodeId> = Vec::with_capacity(branches.len());
        for (i, branch) in branches.into_iter().enumerate() {
            self.path.push(Seg::Index(i));
            let id = self.parse(branch, space)?;
            let node = &self.nodes[id];
            let problem = if matches!(node.kind, Kind::Union { .. }) {
                Some(
                    "a union may not contain another union directly; list the types in one union"
                        .to_owned(),
                )
            } else {
                let key = node.union_key();
                ids.iter().any(|&other| self.nodes[other].union_key() == key).then(|| {
                    format!(
                        "the union already has a branch of type {key:?}; a union may hold each type (and each array, map or named type) once"
                    )
                })
            };
            if let Some(reason) = problem {
                return Err(self.at(reason));
            }
            self.path.pop();
            ids.push(id);
        }
        Ok(self.push(Kind::Union { branches: ids }, Vec::new()))
    }

    fn parse_object(
        &mut self,
        map: Vec<(String, Json)>,
        space: Option<&str>,
    ) -> Result<NodeId, Located> {
        let ty = match map.iter().find(|(k, _)| k == "type").map(|(_, v)| v) {
            Some(Json::String(t)) => t.clone(),
            Some(Json::Null) | None => {
                return Err(self.at("a schema object needs a \"type\""));
            }
            Some(other) => {
                let reason = format!(
                    "the \"type\" of a schema object must be a string naming the type, found {}; \
                     write a union or nested type directly instead of wrapping it in {{\"type\": ...}}",
                    json_kind(other)
                );
                return Err(self.at_key("type", reason));
            }
        };
        if let Some(p) = Primitive::from_name(&ty) {
            let obj = Object::split(map, &SCHEMA_RESERVED);
            return Ok(self.push(Kind::Primitive(p), obj.props));
        }
        match ty.as_str() {
            "record" | "error" => {
                self.parse_record(Object::split(map, &SCHEMA_RESERVED), space, ty == "error")
            }
            "enum" => self.parse_enum(Object::split(map, &ENUM_RESERVED), space),
            "fixed" => self.parse_fixed(Object::split(map, &SCHEMA_RESERVED), space),
            "array" | "map" => {
                let (key, what) = if ty == "array" {
                    ("items", "an array")
                } else {
                    ("values", "a map")
                };
                let mut obj = Object::split(map, &SCHEMA_RESERVED);
                let inner = obj
                    .take(key)
                    .ok_or_else(|| self.at(format!("{what} needs \"{key}\"")))?;
                self.path.push(Seg::Key(key));
                let inner = self.parse(inner, space)?;
                self.path.pop();
                let kind = if ty == "array" {
                    Kind::Array { items: inner }
                } else {
                    Kind::Map { values: inner }
                };
                Ok(self.push(kind, obj.props))
            }
            // Java treats any other type string as a reference to a named type
            // and ignores the object's other keys.
            other => {
                self.path.push(Seg::Key("type"));
                let id = self.parse_type_name(other, space);
                self.path.pop();
                Ok(id)
            }
        }
    }
}

/// What kind of JSON value this is, for messages.
pub(crate) fn json_kind(v: &Json) -> &'static str {
    match v {
        Json::Null => "null",
        Json::Bool(_) => "a boolean",
        Json::Number(_) => "a number",
        Json::String(_) => "a string",
        Json::Array(_) => "an array",
        Json::Object(_) => "an object",
    }
}
