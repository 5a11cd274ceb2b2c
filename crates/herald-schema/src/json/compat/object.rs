//! Object schemas: content models, properties, `required`, dependencies.

use serde_json::{Map, Value};

use super::diff::{Diff, Differ, nest};
use super::node::{Node, Shape, Sub, TRUE, has_default, is_trivially_true, shape};
use super::scalar::{compare_limit, limit_kinds, number};
use crate::json::JsonDifference;
use crate::json::keywords::pointer_of;

/// What a model does with keys it does not declare.
#[derive(Clone)]
pub(crate) enum Extra<'r> {
    /// Absent, `true` or `{}`: any value.
    Open,
    /// `false`: not allowed.
    Closed,
    /// A schema the value must match.
    Schema(Node<'r>),
}

impl Extra<'_> {
    fn permits(&self) -> bool {
        !matches!(self, Extra::Closed)
    }
}

/// Reads `additionalProperties`/`additionalItems`-style keywords.
pub(crate) fn extra<'r>(node: &Node<'r>, keyword: &str) -> Extra<'r> {
    match node.keyword(keyword) {
        None => Extra::Open,
        Some(n) if n.value == &Value::Bool(false) => Extra::Closed,
        Some(n) if is_trivially_true(&n) => Extra::Open,
        Some(n) => Extra::Schema(n),
    }
}

/// `unevaluatedProperties`/`unevaluatedItems`: `None` when absent or `true`.
pub(crate) fn unevaluated<'r>(node: &Node<'r>, keyword: &str) -> Option<Extra<'r>> {
    match extra(node, keyword) {
        Extra::Open => None,
        other => Some(other),
    }
}

/// Compares the "extra" keyword of two models (`additionalProperties`,
/// `additionalItems`) under Confluent's ADDED/REMOVED/EXTENDED/NARROWED rules.
pub(crate) fn compare_extra(
    differ: &mut Differ,
    path: &str,
    original: Extra<'_>,
    update: Extra<'_>,
    kinds: [JsonDifference; 4],
    diffs: &mut Vec<Diff>,
) {
    let [added, removed, extended, narrowed] = kinds;
    if original.permits() != update.permits() {
        diffs.push(Diff::both(
            if update.permits() { added } else { removed },
            path,
        ));
        return;
    }
    match (original, update) {
        (Extra::Open, Extra::Schema(_)) => diffs.push(Diff::both(narrowed, path)),
        (Extra::Schema(_), Extra::Open) => diffs.push(Diff::both(extended, path)),
        (Extra::Schema(o), Extra::Schema(u)) => {
            let d = differ.compare(Sub::whole(o), Sub::whole(u));
            diffs.extend(nest(d, path, path));
        }
        _ => {}
    }
}

/// Compares `unevaluatedProperties`/`unevaluatedItems`.
pub(crate) fn compare_unevaluated(
    differ: &mut Differ,
    path: &str,
    original: Option<Extra<'_>>,
    update: Option<Extra<'_>>,
    kinds: [JsonDifference; 4],
    diffs: &mut Vec<Diff>,
) {
    let [added, removed, extended, narrowed] = kinds;
    let kind = match (original, update) {
        (None, None) => return,
        (None, Some(Extra::Closed)) | (Some(Extra::Schema(_)), Some(Extra::Closed)) => removed,
        (None, Some(_)) => narrowed,
        (Some(Extra::Closed), None) | (Some(Extra::Closed), Some(Extra::Schema(_))) => added,
        (Some(_), None) => extended,
        (Some(Extra::Schema(o)), Some(Extra::Schema(u))) => {
            let d = differ.compare(Sub::whole(o), Sub::whole(u));
            diffs.extend(nest(d, path, path));
            return;
        }
        _ => return,
    };
    diffs.push(Diff::both(kind, path));
}

/// An object model: its declared properties and how it treats other keys.
struct Model<'r> {
    node: Node<'r>,
    properties: Option<&'r Map<String, Value>>,
    required: Vec<&'r str>,
}

impl<'r> Model<'r> {
    fn new(node: &Node<'r>) -> Self {
        Model {
            node: node.clone(),
            properties: node.get("properties").and_then(Value::as_object),
            required: node
                .get("required")
                .and_then(Value::as_array)
                .map(|r| r.iter().filter_map(Value::as_str).collect())
                .unwrap_or_default(),
        }
    }

    fn property(&self, key: &str) -> Option<Node<'r>> {
        let v = self.properties?.get(key)?;
        Some(self.node.child(v))
    }

    fn required_index(&self, key: &str) -> Option<usize> {
        self.required.iter().position(|r| *r == key)
    }

    fn pattern_properties(&self) -> Option<&'r Map<String, Value>> {
        self.node
            .get("patternProperties")
            .and_then(Value::as_object)
            .filter(|m| !m.is_empty())
    }

    /// Open: any undeclared key may hold any value.
    fn is_open(&self) -> bool {
        self.pattern_properties().is_none()
            && matches!(extra(&self.node, "additionalProperties"), Extra::Open)
            && unevaluated(&self.node, "unevaluatedProperties").is_none()
    }

    /// The schema an undeclared `key` must match in a partially open model,
    /// with its pointer; `None` when the model is closed for that key.
    fn covering(&self, differ: &mut Differ, key: &str) -> Option<(Node<'r>, String)> {
        if let Some(patterns) = self.pattern_properties() {
            for (pattern, schema) in patterns {
                if differ.pattern_matches(pattern, key) {
                    return Some((
                        self.node.child(schema),
                        pointer_of(&["patternProperties", pattern]),
                    ));
                }
            }
        }
        match extra(&self.node, "additionalProperties") {
            Extra::Schema(s) => Some((s, "/additionalProperties".to_owned())),
            Extra::Closed => None,
            Extra::Open => match unevaluated(&self.node, "unevaluatedProperties") {
                Some(Extra::Schema(s)) => Some((s, "/unevaluatedProperties".to_owned())),
                Some(_) => None,
                // Only pattern properties restrict this model, and none
                // matches `key`: it may hold anything.
                None => Some((self.node.child(&TRUE), "/additionalProperties".to_owned())),
            },
        }
    }
}

fn prop_path(key: &str) -> String {
    pointer_of(&["properties", key])
}

pub(crate) fn compare<'r>(differ: &mut Differ, o: &Node<'r>, u: &Node<'r>, diffs: &mut Vec<Diff>) {
    let (om, um) = (Model::new(o), Model::new(u));
    compare_required(&om, &um, diffs);
    compare_properties(differ, &om, &um, diffs);
    compare_dependencies(differ, o, u, diffs);
    compare_extra(
        differ,
        "/additionalProperties",
        extra(o, "additionalProperties"),
        extra(u, "additionalProperties"),
        [
            JsonDifference::AdditionalPropertiesAdded,
            JsonDifference::AdditionalPropertiesRemoved,
            JsonDifference::AdditionalPropertiesExtended,
            JsonDifference::AdditionalPropertiesNarrowed,
        ],
        diffs,
    );
    compare_unevaluated(
        differ,
        "/unevaluatedProperties",
        unevaluated(o, "unevaluatedProperties"),
        unevaluated(u, "unevaluatedProperties"),
        [
            JsonDifference::UnevaluatedPropertiesAdded,
            JsonDifference::UnevaluatedPropertiesRemoved,
            JsonDifference::UnevaluatedPropertiesExtended,
            JsonDifference::UnevaluatedPropertiesNarrowed,
        ],
        diffs,
    );
    compare_limit(
        "maxProperties",
        number(o, "maxProperties"),
        number(u, "maxProperties"),
        &limit_kinds!(
            MaxPropertiesAdded,
            MaxPropertiesRemoved,
            MaxPropertiesIncreased,
            MaxPropertiesDecreased
        ),
        diffs,
    );
    compare_limit(
        "minProperties",
        number(o, "minProperties"),
        number(u, "minProperties"),
        &limit_kinds!(
            MinPropertiesAdded,
            MinPropertiesRemoved,
            MinPropertiesIncreased,
            MinPropertiesDecreased
        ),
        diffs,
    );
}

/// Properties declared on both sides that became (or stopped being) required.
fn compare_required(om: &Model<'_>, um: &Model<'_>, diffs: &mut Vec<Diff>) {
    let Some(props) = om.properties else { return };
    for key in props.keys() {
        let Some(update_prop) = um.property(key) else {
            continue;
        };
        let at = |m: &Model<'_>| match m.required_index(key) {
            Some(i) => format!("/required/{i}"),
            None => prop_path(key),
        };
        let kind = match (
            om.required_index(key).is_some(),
            um.required_index(key).is_some(),
        ) {
            (true, false) => JsonDifference::RequiredAttributeRemoved,
            (false, true) if has_default(&update_prop) => {
                JsonDifference::RequiredAttributeWithDefaultAdded
            }
            (false, true) => JsonDifference::RequiredAttributeAdded,
            _ => continue,
        };
        diffs.push(Diff::at(kind, at(om), at(um)).with_detail(key.clone()));
    }
}

fn compare_properties<'r>(
    differ: &mut Differ,
    om: &Model<'r>,
    um: &Model<'r>,
    diffs: &mut Vec<Diff>,
) {
    let empty = Map::new();
    let (op, up) = (
        om.properties.unwrap_or(&empty),
        um.properties.unwrap_or(&empty),
    );
    for (key, ov) in op {
        let path = prop_path(key);
        let original = om.node.child(ov);
        match up.get(key) {
            Some(uv) => {
                let d = differ.compare(Sub::whole(original), Sub::whole(um.node.child(uv)));
                diffs.extend(nest(d, &path, &path));
            }
            None => property_removed(differ, key, &path, original, um, diffs),
        }
    }
    for (key, uv) in up {
        if !op.contains_key(key) {
            let path = prop_path(key);
            property_added(differ, key, &path, om, um.node.child(uv), um, diffs);
        }
    }
}

/// A property of the original that the update no longer declares: only the
/// update's content model matters, since it is what reads such keys now.
fn property_removed<'r>(
    differ: &mut Differ,
    key: &str,
    path: &str,
    original: Node<'r>,
    um: &Model<'r>,
    diffs: &mut Vec<Diff>,
) {
    let named = |d: Diff| d.with_detail(key.to_owned());
    if um.is_open() {
        diffs.push(named(Diff::both(
            JsonDifference::PropertyRemovedFromOpenContentModel,
            path,
        )));
    } else if let Some((schema, at)) = um.covering(differ, key) {
        let d = differ.compare(Sub::whole(original), Sub::whole(schema));
        covered(
            differ,
            d,
            path,
            &at,
            JsonDifference::PropertyRemovedIsCoveredByPartiallyOpenContentModel,
            JsonDifference::PropertyRemovedNotCoveredByPartiallyOpenContentModel,
            key,
            diffs,
        );
    } else if original.value == &Value::Bool(false) {
        diffs.push(named(Diff::both(
            JsonDifference::PropertyWithFalseRemovedFromClosedContentModel,
            path,
        )));
    } else {
        diffs.push(named(Diff::both(
            JsonDifference::PropertyRemovedFromClosedContentModel,
            path,
        )));
    }
}

/// A property the update declares that the original did not: only the
/// original's content model matters, since it decided what such keys held.
fn property_added<'r>(
    differ: &mut Differ,
    key: &str,
    path: &str,
    om: &Model<'r>,
    update: Node<'r>,
    um: &Model<'r>,
    diffs: &mut Vec<Diff>,
) {
    let required = um.required_index(key).is_some();
    let default = has_default(&update);
    let named = |d: Diff| d.with_detail(key.to_owned());
    if om.is_open() {
        let kind = if required && default {
            JsonDifference::RequiredPropertyWithDefaultAddedToOpenContentModel
        } else if required {
            JsonDifference::RequiredPropertyAddedToOpenContentModel
        } else if matches!(shape(&Sub::whole(update).dereferenced().0), Shape::Empty) {
            JsonDifference::PropertyWithEmptySchemaAddedToOpenContentModel
        } else {
            JsonDifference::OptionalPropertyAddedToOpenContentModel
        };
        diffs.push(named(Diff::both(kind, path)));
        return;
    }
    if let Some((schema, at)) = om.covering(differ, key) {
        let d = differ.compare(Sub::whole(schema), Sub::whole(update));
        covered(
            differ,
            d,
            &at,
            path,
            JsonDifference::PropertyAddedIsCoveredByPartiallyOpenContentModel,
            JsonDifference::PropertyAddedNotCoveredByPartiallyOpenContentModel,
            key,
            diffs,
        );
    }
    let kind = match (required, default) {
        (true, true) => JsonDifference::RequiredPropertyWithDefaultAddedToUnopenContentModel,
        (true, false) => JsonDifference::RequiredPropertyAddedToUnopenContentModel,
        (false, _) => JsonDifference::OptionalPropertyAddedToUnopenContentModel,
    };
    diffs.push(named(Diff::both(kind, path)));
}

/// Records whether a property's schema is covered by a partially open model.
/// The nested differences are kept only when they are compatible; otherwise
/// they become the explanation of the NOT_COVERED difference (LENIENT, which
/// allows NOT_COVERED, must not be overruled by them).
#[allow(clippy::too_many_arguments)]
fn covered(
    differ: &Differ,
    nested: Vec<Diff>,
    original_path: &str,
    update_path: &str,
    is_covered: JsonDifference,
    not_covered: JsonDifference,
    key: &str,
    diffs: &mut Vec<Diff>,
) {
    // The property's own place is what a person edits, on both sides.
    let place = if original_path.starts_with("/properties/") {
        original_path
    } else {
        update_path
    };
    if differ.compatible(&nested) {
        diffs.extend(nest(nested, place, place));
        diffs.push(Diff::at(is_covered, original_path, update_path).with_detail(key.to_owned()));
    } else {
        let why: Vec<String> = nested
            .iter()
            .filter(|d| !differ.allows(d.kind))
            .map(|d| d.kind.name().to_owned())
            .collect();
        diffs.push(
            Diff::at(not_covered, original_path, update_path)
                .with_detail(format!("{key}: {}", why.join(", "))),
        );
    }
}

fn compare_dependencies<'r>(
    differ: &mut Differ,
    o: &Node<'r>,
    u: &Node<'r>,
    diffs: &mut Vec<Diff>,
) {
    let (od, ud) = (dependencies(o), dependencies(u));
    for (key, (okw, ov)) in &od.arrays {
        let Some((ukw, uv)) = ud.arrays.get(key) else {
            diffs.push(Diff::at(
                JsonDifference::DependencyArrayRemoved,
                pointer_of(&[okw, key]),
                pointer_of(&[okw, key]),
            ));
            continue;
        };
        let kind = if ov.iter().all(|x| uv.contains(x)) && uv.iter().all(|x| ov.contains(x)) {
            continue;
        } else if ov.iter().all(|x| uv.contains(x)) {
            JsonDifference::DependencyArrayExtended
        } else if uv.iter().all(|x| ov.contains(x)) {
            JsonDifference::DependencyArrayNarrowed
        } else {
            JsonDifference::DependencyArrayChanged
        };
        diffs.push(Diff::at(
            kind,
            pointer_of(&[okw, key]),
            pointer_of(&[ukw, key]),
        ));
    }
    for (key, (ukw, _)) in &ud.arrays {
        if !od.arrays.contains_key(key) {
            let p = pointer_of(&[ukw, key]);
            diffs.push(Diff::at(JsonDifference::DependencyArrayAdded, p.clone(), p));
        }
    }
    for (key, (okw, ov)) in &od.schemas {
        let op = pointer_of(&[okw, key]);
        match ud.schemas.get(key) {
            None => diffs.push(Diff::at(
                JsonDifference::DependencySchemaRemoved,
                op.clone(),
                op,
            )),
            Some((ukw, uv)) => {
                let up = pointer_of(&[ukw, key]);
                let d = differ.compare(Sub::whole(o.child(ov)), Sub::whole(u.child(uv)));
                diffs.extend(nest(d, &op, &up));
            }
        }
    }
    for (key, (ukw, _)) in &ud.schemas {
        if !od.schemas.contains_key(key) {
            let p = pointer_of(&[ukw, key]);
            diffs.push(Diff::at(
                JsonDifference::DependencySchemaAdded,
                p.clone(),
                p,
            ));
        }
    }
}

/// Property and schema dependencies, whichever keyword declares them
/// (`dependencies` before 2019-09, `dependentRequired`/`dependentSchemas` after).
struct Dependencies<'r> {
    arrays: indexmap_like::Ordered<(&'static str, Vec<&'r str>)>,
    schemas: indexmap_like::Ordered<(&'static str, &'r Value)>,
}

fn dependencies<'r>(node: &Node<'r>) -> Dependencies<'r> {
    let mut out = Dependencies {
        arrays: indexmap_like::Ordered::default(),
        schemas: indexmap_like::Ordered::default(),
    };
    for kw in ["dependencies", "dependentRequired", "dependentSchemas"] {
        let Some(map) = node.get(kw).and_then(Value::as_object) else {
            continue;
        };
        for (key, value) in map {
            match value {
                Value::Array(names) if kw != "dependentSchemas" => {
                    out.arrays
                        .insert(key, (kw, names.iter().filter_map(Value::as_str).collect()));
                }
                Value::Object(_) | Value::Bool(_) if kw != "dependentRequired" => {
                    out.schemas.insert(key, (kw, value));
                }
                _ => {}
            }
        }
    }
    out
}

/// A small insertion-ordered map keyed by property name, so differences come
/// out in document order.
mod indexmap_like {
    #[derive(Default)]
    pub(super) struct Ordered<V> {
        entries: Vec<(String, V)>,
    }

    impl<V> Ordered<V> {
        pub fn insert(&mut self, key: &str, value: V) {
            match self.entries.iter_mut().find(|(k, _)| k == key) {
                Some(e) => e.1 = value,
                None => self.entries.push((key.to_owned(), value)),
            }
        }

        pub fn get(&self, key: &str) -> Option<&V> {
            self.entries.iter().find(|(k, _)| k == key).map(|(_, v)| v)
        }

        pub fn contains_key(&self, key: &str) -> bool {
            self.get(key).is_some()
        }
    }

    impl<'a, V> IntoIterator for &'a Ordered<V> {
        type Item = (&'a String, &'a V);
        type IntoIter = std::iter::Map<
            std::slice::Iter<'a, (String, V)>,
            fn(&'a (String, V)) -> (&'a String, &'a V),
        >;

        fn into_iter(self) -> Self::IntoIter {
            self.entries.iter().map(|(k, v)| (k, v))
        }
    }
}
