//! How the diff sees a schema: a node of a document, dereferenced, and
//! classified into one "shape" the way Confluent's loader (Everit) would
//! build it — an object schema, a string schema, a synthetic `allOf` when one
//! JSON object carries keywords of several kinds, an `anyOf` for a type list.

use referencing::{Resolver, ResourceRef};
use serde_json::{Map, Value};

use crate::json::JsonDraft;

/// The schema `true`, used where a model accepts anything for a key.
pub(crate) static TRUE: Value = Value::Bool(true);

/// How many `$ref`s in a row are followed before giving up on a chain that
/// only points at itself.
const MAX_REF_HOPS: usize = 64;

/// A schema node inside one of the documents being compared.
#[derive(Clone)]
pub(crate) struct Node<'r> {
    pub value: &'r Value,
    pub draft: JsonDraft,
    /// Resolves `$ref`s at this node's base URI; `None` when neither the
    /// document nor its references use `$ref` at all.
    pub resolver: Option<Resolver<'r>>,
}

impl<'r> Node<'r> {
    pub fn root(value: &'r Value, draft: JsonDraft, resolver: Option<Resolver<'r>>) -> Self {
        Node {
            value,
            draft,
            resolver,
        }
    }

    /// A subschema of this node: it inherits the base URI unless it has its own `$id`.
    pub fn child(&self, value: &'r Value) -> Node<'r> {
        let resolver = self.resolver.as_ref().map(|r| {
            r.in_subresource(ResourceRef::new(value, self.draft.engine()))
                .unwrap_or_else(|_| r.clone())
        });
        Node {
            value,
            draft: self.draft,
            resolver,
        }
    }

    /// The schema under `keyword`, if it is one.
    pub fn keyword(&self, keyword: &str) -> Option<Node<'r>> {
        let v = self.value.get(keyword)?;
        (v.is_object() || v.is_boolean()).then(|| self.child(v))
    }

    pub fn map(&self) -> Option<&'r Map<String, Value>> {
        self.value.as_object()
    }

    pub fn get(&self, keyword: &str) -> Option<&'r Value> {
        self.value.get(keyword)
    }

    /// Follows `reference` from this node, `None` if it does not resolve.
    fn lookup(&self, reference: &str) -> Option<Node<'r>> {
        let resolved = self.resolver.as_ref()?.lookup(reference).ok()?;
        let (value, resolver, draft) = resolved.into_inner();
        Some(Node {
            value,
            draft: JsonDraft::from_engine(draft),
            resolver: Some(resolver),
        })
    }

    /// The reference this node makes, if any (`$ref`, or statically the
    /// dynamic/recursive forms).
    fn reference(&self) -> Option<&'r str> {
        let map = self.map()?;
        ["$ref", "$dynamicRef", "$recursiveRef"]
            .into_iter()
            .find_map(|k| map.get(k).and_then(Value::as_str))
    }

    /// Whether the node's `$ref` has sibling keywords that constrain values
    /// (2019-09 onwards applies them next to the reference).
    fn ref_has_validating_siblings(&self) -> bool {
        if self.draft.ref_overrides_siblings() {
            return false;
        }
        self.map().is_some_and(|m| {
            m.keys().any(|k| {
                !is_annotation(k) && !matches!(k.as_str(), "$ref" | "$dynamicRef" | "$recursiveRef")
            })
        })
    }

    /// Identity of the JSON value this node stands for, for memoization.
    pub fn id(&self) -> usize {
        std::ptr::from_ref(self.value) as usize
    }
}

/// Keywords that never constrain a value.
fn is_annotation(keyword: &str) -> bool {
    matches!(
        keyword,
        "$schema"
            | "$id"
            | "id"
            | "$anchor"
            | "$dynamicAnchor"
            | "$recursiveAnchor"
            | "$comment"
            | "$defs"
            | "definitions"
            | "$vocabulary"
            | "title"
            | "description"
            | "default"
            | "examples"
            | "readOnly"
            | "writeOnly"
            | "deprecated"
    )
}

/// Which view of a node a comparison is about: the node itself, one of the
/// parts a multi-kind node splits into, or one type of a type list.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
pub(crate) enum Facet {
    Whole,
    Part(u8),
    Type(JsonType),
}

/// A node seen through a facet.
#[derive(Clone)]
pub(crate) struct Sub<'r> {
    pub node: Node<'r>,
    pub facet: Facet,
}

impl<'r> Sub<'r> {
    pub fn whole(node: Node<'r>) -> Self {
        Sub {
            node,
            facet: Facet::Whole,
        }
    }

    /// The key this view is memoized under.
    pub fn key(&self) -> (usize, Facet) {
        (self.node.id(), self.facet)
    }

    /// Follows `$ref`s of a whole node (drafts 4–7, or a bare 2019+ `$ref`).
    /// Returns the target and whether a reference was followed.
    pub fn dereferenced(self) -> (Sub<'r>, bool) {
        if self.facet != Facet::Whole {
            return (self, false);
        }
        let mut node = self.node;
        let mut followed = false;
        for _ in 0..MAX_REF_HOPS {
            let Some(reference) = node.reference() else {
                return (Sub::whole(node), followed);
            };
            if node.ref_has_validating_siblings() {
                return (Sub::whole(node), followed);
            }
            match node.lookup(reference) {
                Some(target) => {
                    node = target;
                    followed = true;
                }
                // Parsing guarantees references resolve; if one does not, the
                // reference is compared as a schema that accepts anything.
                None => {
                    return (
                        Sub::whole(Node {
                            value: &TRUE,
                            ..node
                        }),
                        followed,
                    );
                }
            }
        }
        (
            Sub::whole(Node {
                value: &TRUE,
                ..node
            }),
            followed,
        )
    }
}

/// JSON types as `type` names them.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
pub(crate) enum JsonType {
    Object,
    Array,
    String,
    Number,
    Integer,
    Boolean,
    Null,
}

impl JsonType {
    fn from_name(name: &str) -> Option<JsonType> {
        Some(match name {
            "object" => JsonType::Object,
            "array" => JsonType::Array,
            "string" => JsonType::String,
            "number" => JsonType::Number,
            "integer" => JsonType::Integer,
            "boolean" => JsonType::Boolean,
            "null" => JsonType::Null,
            _ => return None,
        })
    }
}

/// `allOf`, `anyOf` or `oneOf`.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) enum Criterion {
    All,
    Any,
    One,
}

impl Criterion {
    pub fn keyword(self) -> &'static str {
        match self {
            Criterion::All => "allOf",
            Criterion::Any => "anyOf",
            Criterion::One => "oneOf",
        }
    }
}

/// A branch of a combined shape and the pointer from the combined node to it
/// (empty for synthetic branches, which are views of the same node).
#[derive(Clone)]
pub(crate) struct Branch<'r> {
    pub sub: Sub<'r>,
    pub path: String,
}

/// What kind of schema a view is, as Confluent's diff tells them apart.
pub(crate) enum Shape<'r> {
    /// Accepts anything: `true`, `{}`, or only annotations.
    Empty,
    /// Accepts nothing.
    False,
    Combined {
        criterion: Criterion,
        branches: Vec<Branch<'r>>,
    },
    Not(Node<'r>),
    Const(&'r Value),
    Enum(&'r [Value]),
    /// `if`/`then`/`else`, which Confluent does not compare beyond its presence.
    Conditional,
    Object(Node<'r>),
    Array(Node<'r>),
    String(Node<'r>),
    Number {
        node: Node<'r>,
        integer: bool,
    },
    Boolean,
    Null,
}

/// The class a shape belongs to; two shapes of different classes are a type change.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) enum Class {
    Empty,
    False,
    Combined,
    Not,
    Const,
    Enum,
    Conditional,
    Object,
    Array,
    String,
    Number,
    Boolean,
    Null,
}

impl Shape<'_> {
    pub fn class(&self) -> Class {
        match self {
            Shape::Empty => Class::Empty,
            Shape::False => Class::False,
            Shape::Combined { .. } => Class::Combined,
            Shape::Not(_) => Class::Not,
            Shape::Const(_) => Class::Const,
            Shape::Enum(_) => Class::Enum,
            Shape::Conditional => Class::Conditional,
            Shape::Object(_) => Class::Object,
            Shape::Array(_) => Class::Array,
            Shape::String(_) => Class::String,
            Shape::Number { .. } => Class::Number,
            Shape::Boolean => Class::Boolean,
            Shape::Null => Class::Null,
        }
    }
}

/// One kind of constraint a JSON object carries.
#[derive(Clone, Copy)]
enum Part {
    /// A 2019+ `$ref` next to validating keywords.
    Ref,
    Combined(Criterion),
    Not,
    Const,
    Enum,
    Conditional,
    Typed(JsonType),
    TypeList,
}

const OBJECT_KEYWORDS: &[&str] = &[
    "properties",
    "required",
    "additionalProperties",
    "patternProperties",
    "dependencies",
    "dependentRequired",
    "dependentSchemas",
    "propertyNames",
    "minProperties",
    "maxProperties",
    "unevaluatedProperties",
];
const ARRAY_KEYWORDS: &[&str] = &[
    "items",
    "additionalItems",
    "prefixItems",
    "contains",
    "minItems",
    "maxItems",
    "uniqueItems",
    "unevaluatedItems",
    "minContains",
    "maxContains",
];
const STRING_KEYWORDS: &[&str] = &["minLength", "maxLength", "pattern", "format"];
const NUMBER_KEYWORDS: &[&str] = &[
    "minimum",
    "maximum",
    "exclusiveMinimum",
    "exclusiveMaximum",
    "multipleOf",
];

/// The parts of a node, at most one of each kind, in a fixed order.
fn parts(node: &Node<'_>, with_ref: bool) -> Vec<Part> {
    let Some(map) = node.map() else {
        return Vec::new();
    };
    let mut parts = Vec::new();
    if with_ref && node.reference().is_some() {
        parts.push(Part::Ref);
    }
    for c in [Criterion::All, Criterion::Any, Criterion::One] {
        if map.get(c.keyword()).is_some_and(Value::is_array) {
            parts.push(Part::Combined(c));
        }
    }
    if map.contains_key("not") {
        parts.push(Part::Not);
    }
    if map.contains_key("const") && node.draft >= JsonDraft::Draft6 {
        parts.push(Part::Const);
    }
    if map.get("enum").is_some_and(Value::is_array) {
        parts.push(Part::Enum);
    }
    if map.contains_key("if") {
        parts.push(Part::Conditional);
    }
    match map.get("type") {
        Some(Value::String(t)) => {
            if let Some(t) = JsonType::from_name(t) {
                parts.push(Part::Typed(t));
            }
        }
        Some(Value::Array(_)) => parts.push(Part::TypeList),
        _ => {
            let has = |kws: &[&str]| kws.iter().any(|k| map.contains_key(*k));
            for (kws, t) in [
                (OBJECT_KEYWORDS, JsonType::Object),
                (ARRAY_KEYWORDS, JsonType::Array),
                (STRING_KEYWORDS, JsonType::String),
                (NUMBER_KEYWORDS, JsonType::Number),
            ] {
                if has(kws) {
                    parts.push(Part::Typed(t));
                }
            }
        }
    }
    parts
}

/// Classifies a (dereferenced) view.
pub(crate) fn shape<'r>(sub: &Sub<'r>) -> Shape<'r> {
    let node = &sub.node;
    match node.value {
        Value::Bool(true) => return Shape::Empty,
        Value::Bool(false) => return Shape::False,
        Value::Object(_) => {}
        _ => return Shape::Empty,
    }
    match sub.facet {
        Facet::Type(t) => typed(node, t),
        Facet::Part(i) => {
            let all = parts(node, false);
            match all.get(usize::from(i)) {
                Some(p) => part_shape(node, *p),
                None => Shape::Empty,
            }
        }
        Facet::Whole => {
            let all = parts(node, true);
            match all.as_slice() {
                [] => Shape::Empty,
                [Part::Ref] => Shape::Empty,
                [p] => part_shape(node, *p),
                _ => {
                    let mut index = 0u8;
                    let branches = all
                        .iter()
                        .map(|p| match p {
                            Part::Ref => Branch {
                                sub: Sub::whole(node.clone()).ref_target(),
                                path: String::new(),
                            },
                            _ => {
                                let b = Branch {
                                    sub: Sub {
                                        node: node.clone(),
                                        facet: Facet::Part(index),
                                    },
                                    path: String::new(),
                                };
                                index += 1;
                                b
                            }
                        })
                        .collect();
                    Shape::Combined {
                        criterion: Criterion::All,
                        branches,
                    }
                }
            }
        }
    }
}

impl<'r> Sub<'r> {
    /// The target of a node's `$ref`, ignoring its siblings.
    fn ref_target(self) -> Sub<'r> {
        let node = self.node;
        match node.reference().and_then(|r| node.lookup(r)) {
            Some(target) => Sub::whole(target),
            None => Sub::whole(Node {
                value: &TRUE,
                ..node
            }),
        }
    }
}

fn part_shape<'r>(node: &Node<'r>, part: Part) -> Shape<'r> {
    let map = match node.map() {
        Some(m) => m,
        None => return Shape::Empty,
    };
    match part {
        Part::Ref => Shape::Empty,
        Part::Combined(criterion) => {
            let kw = criterion.keyword();
            let branches = map
                .get(kw)
                .and_then(Value::as_array)
                .map(|items| {
                    items
                        .iter()
                        .enumerate()
                        .map(|(i, v)| Branch {
                            sub: Sub::whole(node.child(v)),
                            path: format!("/{kw}/{i}"),
                        })
                        .collect()
                })
                .unwrap_or_default();
            Shape::Combined {
                criterion,
                branches,
            }
        }
        Part::Not => match node.keyword("not") {
            Some(n) => Shape::Not(n),
            None => Shape::Empty,
        },
        Part::Const => map.get("const").map_or(Shape::Empty, Shape::Const),
        Part::Enum => match map.get("enum").and_then(Value::as_array) {
            Some(values) => Shape::Enum(values),
            None => Shape::Empty,
        },
        Part::Conditional => Shape::Conditional,
        Part::Typed(t) => typed(node, t),
        Part::TypeList => {
            let types: Vec<JsonType> = map
                .get("type")
                .and_then(Value::as_array)
                .map(|ts| {
                    let mut out: Vec<JsonType> = Vec::new();
                    for t in ts
                        .iter()
                        .filter_map(Value::as_str)
                        .filter_map(JsonType::from_name)
                    {
                        if !out.contains(&t) {
                            out.push(t);
                        }
                    }
                    out
                })
                .unwrap_or_default();
            Shape::Combined {
                criterion: Criterion::Any,
                branches: types
                    .into_iter()
                    .map(|t| Branch {
                        sub: Sub {
                            node: node.clone(),
                            facet: Facet::Type(t),
                        },
                        path: String::new(),
                    })
                    .collect(),
            }
        }
    }
}

fn typed<'r>(node: &Node<'r>, t: JsonType) -> Shape<'r> {
    match t {
        JsonType::Object => Shape::Object(node.clone()),
        JsonType::Array => Shape::Array(node.clone()),
        JsonType::String => Shape::String(node.clone()),
        JsonType::Number => Shape::Number {
            node: node.clone(),
            integer: false,
        },
        JsonType::Integer => Shape::Number {
            node: node.clone(),
            integer: true,
        },
        JsonType::Boolean => Shape::Boolean,
        JsonType::Null => Shape::Null,
    }
}

/// Whether a schema value accepts anything (`true`, `{}`, only annotations),
/// judged without following references.
pub(crate) fn is_trivially_true(node: &Node<'_>) -> bool {
    match node.value {
        Value::Bool(b) => *b,
        Value::Object(_) => node.reference().is_none() && parts(node, false).is_empty(),
        _ => true,
    }
}

/// Whether a property's schema declares a `default` (on the node or, through
/// a `$ref`, on its target).
pub(crate) fn has_default(node: &Node<'_>) -> bool {
    if node.get("default").is_some() {
        return true;
    }
    let (target, followed) = Sub::whole(node.clone()).dereferenced();
    followed && target.node.get("default").is_some()
}
