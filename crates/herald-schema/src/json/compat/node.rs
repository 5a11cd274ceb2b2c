//! How the diff walks a document: a node (a JSON value plus what resolves
//! its references), the view of it being compared, and `$ref` following.

use std::rc::Rc;

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
    /// document nor its references use `$ref` at all. Shared (`Rc`) because
    /// nodes are cloned at every step of the walk and most share a base.
    pub resolver: Option<Rc<Resolver<'r>>>,
    /// The root of the document this node is in, when that document has no
    /// embedded `$id`: then `#/…` references are plain JSON pointers into it
    /// and the base URI never changes, which spares the registry lookups.
    pub local: Option<&'r Value>,
}

impl<'r> Node<'r> {
    pub fn root(
        value: &'r Value,
        draft: JsonDraft,
        resolver: Option<Resolver<'r>>,
        local: Option<&'r Value>,
    ) -> Self {
        Node {
            value,
            draft,
            resolver: resolver.map(Rc::new),
            local,
        }
    }

    /// A subschema of this node: it inherits the base URI unless it has its own `$id`.
    pub fn child(&self, value: &'r Value) -> Node<'r> {
        let resolver = match (&self.resolver, self.local) {
            (Some(r), None) if ResourceRef::new(value, self.draft.engine()).id().is_some() => {
                match r.in_subresource(ResourceRef::new(value, self.draft.engine())) {
                    Ok(inner) => Some(Rc::new(inner)),
                    Err(_) => Some(Rc::clone(r)),
                }
            }
            (r, _) => r.clone(),
        };
        Node {
            value,
            draft: self.draft,
            resolver,
            local: self.local,
        }
    }

    pub fn map(&self) -> Option<&'r Map<String, Value>> {
        self.value.as_object()
    }

    pub fn get(&self, keyword: &str) -> Option<&'r Value> {
        self.value.get(keyword)
    }

    /// Follows `reference` from this node, `None` if it does not resolve.
    pub fn lookup(&self, reference: &str) -> Option<Node<'r>> {
        if let (Some(root), Some(fragment)) = (self.local, reference.strip_prefix('#'))
            && (fragment.is_empty() || (fragment.starts_with('/') && !fragment.contains('%')))
        {
            return Some(Node {
                value: pointer(root, fragment)?,
                ..self.clone()
            });
        }
        let resolved = self.resolver.as_ref()?.lookup(reference).ok()?;
        let (value, resolver, draft) = resolved.into_inner();
        Some(Node {
            value,
            draft: JsonDraft::from_engine(draft),
            resolver: Some(Rc::new(resolver)),
            local: None,
        })
    }

    /// The reference this node makes, if any (`$ref`, or statically the
    /// dynamic/recursive forms).
    pub fn reference(&self) -> Option<&'r str> {
        // Schema objects are small: one pass over the entries beats hashing
        // each candidate keyword.
        self.map()?.iter().find_map(|(k, v)| match k.as_str() {
            "$ref" | "$dynamicRef" | "$recursiveRef" => v.as_str(),
            _ => None,
        })
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

/// Follows a JSON pointer, without allocating unless a segment is escaped.
fn pointer<'r>(root: &'r Value, pointer: &str) -> Option<&'r Value> {
    if pointer.is_empty() {
        return Some(root);
    }
    let mut at = root;
    for segment in pointer.strip_prefix('/')?.split('/') {
        let segment: std::borrow::Cow<'_, str> = if segment.contains('~') {
            segment.replace("~1", "/").replace("~0", "~").into()
        } else {
            segment.into()
        };
        at = match at {
            Value::Object(map) => map.get(segment.as_ref())?,
            Value::Array(items) => items.get(segment.parse::<usize>().ok()?)?,
            _ => return None,
        };
    }
    Some(at)
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
        // Without a resolver the document has no reference at all.
        if self.facet != Facet::Whole || self.node.resolver.is_none() {
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
    pub fn from_name(name: &str) -> Option<JsonType> {
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

/// Whether a property's schema declares a `default` (on the node or, through
/// a `$ref`, on its target).
pub(crate) fn has_default(node: &Node<'_>) -> bool {
    if node.get("default").is_some() {
        return true;
    }
    let (target, followed) = Sub::whole(node.clone()).dereferenced();
    followed && target.node.get("default").is_some()
}
