//! What kind of schema a view is, decided the way Confluent's loader (Everit)
//! builds schemas: an object schema, a string schema, an `anyOf` for a type
//! list, and a synthetic `allOf` when one JSON object carries keywords of
//! several kinds (`{"type": "string", "enum": [...]}` is string *and* enum).

use serde_json::Value;

use super::node::{Facet, JsonType, Node, Sub, TRUE};
use super::table::{Keywords, Kw};
use crate::json::JsonDraft;

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

    fn kw(self) -> Kw {
        match self {
            Criterion::All => Kw::AllOf,
            Criterion::Any => Kw::AnyOf,
            Criterion::One => Kw::OneOf,
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

/// What kind of schema a view is, as Confluent's diff tells them apart. The
/// type-specific shapes are views of the node being classified.
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
    Object,
    Array,
    String,
    Number {
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
    /// What the shape accepts, for a person.
    pub fn describe(&self) -> &'static str {
        match self {
            Shape::Empty => "any value",
            Shape::False => "no value",
            Shape::Combined {
                criterion: Criterion::Any,
                ..
            } => "a union (anyOf or a type list)",
            Shape::Combined {
                criterion: Criterion::One,
                ..
            } => "a union (oneOf)",
            Shape::Combined {
                criterion: Criterion::All,
                ..
            } => "a combination (allOf, or several kinds of keyword)",
            Shape::Not(_) => "a \"not\" schema",
            Shape::Const(_) => "a constant",
            Shape::Enum(_) => "an enum",
            Shape::Conditional => "an if/then/else schema",
            Shape::Object => "an object",
            Shape::Array => "an array",
            Shape::String => "a string",
            Shape::Number { integer: false } => "a number",
            Shape::Number { integer: true } => "an integer",
            Shape::Boolean => "a boolean",
            Shape::Null => "null",
        }
    }

    pub fn class(&self) -> Class {
        match self {
            Shape::Empty => Class::Empty,
            Shape::False => Class::False,
            Shape::Combined { .. } => Class::Combined,
            Shape::Not(_) => Class::Not,
            Shape::Const(_) => Class::Const,
            Shape::Enum(_) => Class::Enum,
            Shape::Conditional => Class::Conditional,
            Shape::Object => Class::Object,
            Shape::Array => Class::Array,
            Shape::String => Class::String,
            Shape::Number { .. } => Class::Number,
            Shape::Boolean => Class::Boolean,
            Shape::Null => Class::Null,
        }
    }
}

/// One kind of constraint a JSON object carries.
#[derive(Clone, Copy, PartialEq, Eq)]
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

/// The parts of one node, kept inline: there are at most twelve (a
/// reference, three combinators, `not`, `const`, `enum`, `if`, four implied types).
struct Parts {
    buf: [Part; 12],
    len: usize,
}

impl Parts {
    fn new() -> Self {
        Parts {
            buf: [Part::Conditional; 12],
            len: 0,
        }
    }

    fn push(&mut self, part: Part) {
        if let Some(slot) = self.buf.get_mut(self.len) {
            *slot = part;
            self.len += 1;
        }
    }

    fn as_slice(&self) -> &[Part] {
        &self.buf[..self.len]
    }
}

const OBJECT: &[Kw] = &[
    Kw::Properties,
    Kw::Required,
    Kw::AdditionalProperties,
    Kw::PatternProperties,
    Kw::Dependencies,
    Kw::DependentRequired,
    Kw::DependentSchemas,
    Kw::PropertyNames,
    Kw::MinProperties,
    Kw::MaxProperties,
    Kw::UnevaluatedProperties,
];
const ARRAY: &[Kw] = &[
    Kw::Items,
    Kw::AdditionalItems,
    Kw::PrefixItems,
    Kw::Contains,
    Kw::MinItems,
    Kw::MaxItems,
    Kw::UniqueItems,
    Kw::UnevaluatedItems,
    Kw::MinContains,
    Kw::MaxContains,
];
const STRING: &[Kw] = &[Kw::MinLength, Kw::MaxLength, Kw::Pattern, Kw::Format];
const NUMBER: &[Kw] = &[
    Kw::Minimum,
    Kw::Maximum,
    Kw::ExclusiveMinimum,
    Kw::ExclusiveMaximum,
    Kw::MultipleOf,
];

/// The parts of a node, at most one of each kind, in a fixed order.
fn parts(kw: &Keywords<'_>, draft: JsonDraft, with_ref: bool) -> Parts {
    let mut parts = Parts::new();
    let is_array = |k: Kw| kw.get(k).is_some_and(Value::is_array);
    if with_ref
        && [Kw::Ref, Kw::DynamicRef, Kw::RecursiveRef]
            .iter()
            .any(|k| kw.string(*k).is_some())
    {
        parts.push(Part::Ref);
    }
    for c in [Criterion::All, Criterion::Any, Criterion::One] {
        if is_array(c.kw()) {
            parts.push(Part::Combined(c));
        }
    }
    for (present, part) in [
        (kw.has(Kw::Not), Part::Not),
        (kw.has(Kw::Const) && draft >= JsonDraft::Draft6, Part::Const),
        (is_array(Kw::Enum), Part::Enum),
        (kw.has(Kw::If), Part::Conditional),
    ] {
        if present {
            parts.push(part);
        }
    }
    match kw.get(Kw::Type) {
        Some(Value::String(t)) => {
            if let Some(t) = JsonType::from_name(t) {
                parts.push(Part::Typed(t));
            }
        }
        Some(Value::Array(_)) => parts.push(Part::TypeList),
        _ => {
            // Without `type`, each kind of type-specific keyword implies that
            // type (and constrains only values of it).
            for (kws, t) in [
                (OBJECT, JsonType::Object),
                (ARRAY, JsonType::Array),
                (STRING, JsonType::String),
                (NUMBER, JsonType::Number),
            ] {
                if kw.any(kws) {
                    parts.push(Part::Typed(t));
                }
            }
        }
    }
    parts
}

/// Classifies a (dereferenced) view.
pub(crate) fn shape<'r>(sub: &Sub<'r>) -> Shape<'r> {
    shape_with(sub, &Keywords::of(sub.node.value))
}

/// Classifies a (dereferenced) view whose keywords are already scanned.
pub(crate) fn shape_with<'r>(sub: &Sub<'r>, kw: &Keywords<'r>) -> Shape<'r> {
    let node = &sub.node;
    match node.value {
        Value::Bool(true) => return Shape::Empty,
        Value::Bool(false) => return Shape::False,
        Value::Object(_) => {}
        _ => return Shape::Empty,
    }
    match sub.facet {
        Facet::Type(t) => typed(t),
        Facet::Part(i) => match parts(kw, node.draft, false).as_slice().get(usize::from(i)) {
            Some(p) => part_shape(node, kw, *p),
            None => Shape::Empty,
        },
        Facet::Whole => {
            let all = parts(kw, node.draft, true);
            match all.as_slice() {
                [] | [Part::Ref] => Shape::Empty,
                [p] => part_shape(node, kw, *p),
                many => {
                    let mut index = 0u8;
                    let branches = many
                        .iter()
                        .map(|p| {
                            let sub = if *p == Part::Ref {
                                ref_target(node)
                            } else {
                                index += 1;
                                Sub {
                                    node: node.clone(),
                                    facet: Facet::Part(index - 1),
                                }
                            };
                            Branch {
                                sub,
                                path: String::new(),
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

/// The target of a node's `$ref`, ignoring its siblings.
fn ref_target<'r>(node: &Node<'r>) -> Sub<'r> {
    match node.reference().and_then(|r| node.lookup(r)) {
        Some(target) => Sub::whole(target),
        None => Sub::whole(Node {
            value: &TRUE,
            ..node.clone()
        }),
    }
}

fn part_shape<'r>(node: &Node<'r>, kw: &Keywords<'r>, part: Part) -> Shape<'r> {
    match part {
        Part::Ref => Shape::Empty,
        Part::Combined(criterion) => {
            let key = criterion.keyword();
            let branches = kw
                .get(criterion.kw())
                .and_then(Value::as_array)
                .map(|items| {
                    items
                        .iter()
                        .enumerate()
                        .map(|(i, v)| Branch {
                            sub: Sub::whole(node.child(v)),
                            path: format!("/{key}/{i}"),
                        })
                        .collect()
                })
                .unwrap_or_default();
            Shape::Combined {
                criterion,
                branches,
            }
        }
        Part::Not => match kw.get(Kw::Not) {
            Some(v) if v.is_object() || v.is_boolean() => Shape::Not(node.child(v)),
            _ => Shape::Empty,
        },
        Part::Const => kw.get(Kw::Const).map_or(Shape::Empty, Shape::Const),
        Part::Enum => match kw.get(Kw::Enum).and_then(Value::as_array) {
            Some(values) => Shape::Enum(values),
            None => Shape::Empty,
        },
        Part::Conditional => Shape::Conditional,
        Part::Typed(t) => typed(t),
        Part::TypeList => {
            let mut types: Vec<JsonType> = Vec::new();
            for t in kw
                .get(Kw::Type)
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
                .filter_map(Value::as_str)
                .filter_map(JsonType::from_name)
            {
                if !types.contains(&t) {
                    types.push(t);
                }
            }
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

fn typed<'r>(t: JsonType) -> Shape<'r> {
    match t {
        JsonType::Object => Shape::Object,
        JsonType::Array => Shape::Array,
        JsonType::String => Shape::String,
        JsonType::Number => Shape::Number { integer: false },
        JsonType::Integer => Shape::Number { integer: true },
        JsonType::Boolean => Shape::Boolean,
        JsonType::Null => Shape::Null,
    }
}

/// Whether a schema value accepts anything (`true`, `{}`, only annotations),
/// judged without following references.
pub(crate) fn is_trivially_true(value: &Value, draft: JsonDraft) -> bool {
    match value {
        Value::Bool(b) => *b,
        Value::Object(_) => parts(&Keywords::of(value), draft, true)
            .as_slice()
            .is_empty(),
        _ => true,
    }
}
