//! Object schemas: properties, `required`, dependencies, and the content
//! model that decides whether adding or removing a property is safe.

use serde_json::{Map, Value};

use super::diff::{Diff, Differ, nest};
use super::model::{Extra, compare_extra, compare_unevaluated, extra, unevaluated};
use super::node::{Node, Sub, TRUE, has_default};
use super::scalar::{compare_limit, limit_kinds};
use super::shape::{Shape, shape};
use super::table::{Keywords, Kw};
use crate::json::JsonDifference;
use crate::json::keywords::pointer_of;

/// An object model: its declared properties and how it treats other keys.
struct Model<'r> {
    node: Node<'r>,
    properties: Option<&'r Map<String, Value>>,
    required: Vec<&'r str>,
    patterns: Option<&'r Map<String, Value>>,
    additional: Extra<'r>,
    unevaluated: Option<Extra<'r>>,
}

impl<'r> Model<'r> {
    fn new(node: &Node<'r>, kw: &Keywords<'r>) -> Self {
        Model {
            node: node.clone(),
            properties: kw.get(Kw::Properties).and_then(Value::as_object),
            required: kw
                .get(Kw::Required)
                .and_then(Value::as_array)
                .map(|r| r.iter().filter_map(Value::as_str).collect())
                .unwrap_or_default(),
            patterns: kw
                .get(Kw::PatternProperties)
                .and_then(Value::as_object)
                .filter(|m| !m.is_empty()),
            additional: extra(node, kw.get(Kw::AdditionalProperties)),
            unevaluated: unevaluated(node, kw.get(Kw::UnevaluatedProperties)),
        }
    }

    fn property(&self, key: &str) -> Option<Node<'r>> {
        let v = self.properties?.get(key)?;
        Some(self.node.child(v))
    }

    fn required_index(&self, key: &str) -> Option<usize> {
        self.required.iter().position(|r| *r == key)
    }

    /// Open: any undeclared key may hold any value.
    fn is_open(&self) -> bool {
        self.patterns.is_none()
            && matches!(self.additional, Extra::Open)
            && self.unevaluated.is_none()
    }

    /// The schema an undeclared `key` must match in a partially open model,
    /// with its pointer; `None` when the model is closed for that key.
    fn covering(&self, differ: &mut Differ, key: &str) -> Option<(Node<'r>, String)> {
        if let Some(patterns) = self.patterns {
            for (pattern, schema) in patterns {
                if differ.pattern_matches(pattern, key) {
                    return Some((
                        self.node.child(schema),
                        pointer_of(&["patternProperties", pattern]),
                    ));
                }
            }
        }
        match (&self.additional, &self.unevaluated) {
            (Extra::Schema(s), _) => Some((s.clone(), "/additionalProperties".to_owned())),
            (Extra::Closed, _) | (Extra::Open, Some(Extra::Closed | Extra::Open)) => None,
            (Extra::Open, Some(Extra::Schema(s))) => {
                Some((s.clone(), "/unevaluatedProperties".to_owned()))
            }
            // Only pattern properties restrict this model, and none matches
            // `key`: it may hold anything.
            (Extra::Open, None) => {
                Some((self.node.child(&TRUE), "/additionalProperties".to_owned()))
            }
        }
    }
}

fn prop_path(key: &str) -> String {
    pointer_of(&["properties", key])
}

/// Compares two object schemas, each given with its scanned keywords.
pub(crate) fn compare<'r>(
    differ: &mut Differ,
    (o, ok): (&Node<'r>, &Keywords<'r>),
    (u, uk): (&Node<'r>, &Keywords<'r>),
    diffs: &mut Vec<Diff>,
) {
    let (om, um) = (Model::new(o, ok), Model::new(u, uk));
    compare_required(differ, &om, &um, diffs);
    compare_properties(differ, &om, &um, diffs);
    compare_dependencies(differ, (o, ok), (u, uk), diffs);
    compare_extra(
        differ,
        "/additionalProperties",
        om.additional.clone(),
        um.additional.clone(),
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
        om.unevaluated.clone(),
        um.unevaluated.clone(),
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
        ok.number(Kw::MaxProperties),
        uk.number(Kw::MaxProperties),
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
        ok.number(Kw::MinProperties),
        uk.number(Kw::MinProperties),
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
/// Only names in one `required` list but not the other can differ, so the
/// walk is over those short lists, not over every property.
fn compare_required(differ: &Differ, om: &Model<'_>, um: &Model<'_>, diffs: &mut Vec<Diff>) {
    let both_declare = |key: &str| {
        om.properties.is_some_and(|p| p.contains_key(key))
            && um.properties.is_some_and(|p| p.contains_key(key))
    };
    let at = |m: &Model<'_>, key: &str| match m.required_index(key) {
        Some(i) => format!("/required/{i}"),
        None => prop_path(key),
    };
    for key in om.required.iter().copied() {
        if um.required_index(key).is_none() && both_declare(key) {
            differ.record(diffs, JsonDifference::RequiredAttributeRemoved, |k| {
                Diff::at(k, at(om, key), at(um, key)).with_detail(key.to_owned())
            });
        }
    }
    for key in um.required.iter().copied() {
        if om.required_index(key).is_some() || !both_declare(key) {
            continue;
        }
        let kind = match um.property(key) {
            Some(p) if has_default(&p) => JsonDifference::RequiredAttributeWithDefaultAdded,
            _ => JsonDifference::RequiredAttributeAdded,
        };
        differ.record(diffs, kind, |k| {
            Diff::at(k, at(om, key), at(um, key)).with_detail(key.to_owned())
        });
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
        let original = om.node.child(ov);
        match up.get(key) {
            Some(uv) => {
                let d = differ.compare(Sub::whole(original), Sub::whole(um.node.child(uv)));
                if !d.is_empty() {
                    let path = prop_path(key);
                    diffs.extend(nest(d, &path, &path));
                }
            }
            None => property_removed(differ, key, original, um, diffs),
        }
    }
    for (key, uv) in up {
        if !op.contains_key(key) {
            property_added(differ, key, om, um.node.child(uv), um, diffs);
        }
    }
}

/// A property of the original that the update no longer declares: only the
/// update's content model matters, since it is what reads such keys now.
fn property_removed<'r>(
    differ: &mut Differ,
    key: &str,
    original: Node<'r>,
    um: &Model<'r>,
    diffs: &mut Vec<Diff>,
) {
    let kind = if um.is_open() {
        JsonDifference::PropertyRemovedFromOpenContentModel
    } else if let Some((schema, at)) = um.covering(differ, key) {
        let d = differ.compare(Sub::whole(original), Sub::whole(schema));
        let path = prop_path(key);
        covered(
            differ,
            d,
            (&path, &at),
            [
                JsonDifference::PropertyRemovedIsCoveredByPartiallyOpenContentModel,
                JsonDifference::PropertyRemovedNotCoveredByPartiallyOpenContentModel,
            ],
            key,
            diffs,
        );
        return;
    } else if original.value == &Value::Bool(false) {
        JsonDifference::PropertyWithFalseRemovedFromClosedContentModel
    } else {
        JsonDifference::PropertyRemovedFromClosedContentModel
    };
    differ.record(diffs, kind, |k| {
        Diff::both(k, &prop_path(key)).with_detail(key.to_owned())
    });
}

/// A property the update declares that the original did not: only the
/// original's content model matters, since it decided what such keys held.
fn property_added<'r>(
    differ: &mut Differ,
    key: &str,
    om: &Model<'r>,
    update: Node<'r>,
    um: &Model<'r>,
    diffs: &mut Vec<Diff>,
) {
    let required = um.required_index(key).is_some();
    let default = required && has_default(&update);
    let kind = if om.is_open() {
        if required && default {
            JsonDifference::RequiredPropertyWithDefaultAddedToOpenContentModel
        } else if required {
            JsonDifference::RequiredPropertyAddedToOpenContentModel
        } else if matches!(shape(&Sub::whole(update).dereferenced().0), Shape::Empty) {
            JsonDifference::PropertyWithEmptySchemaAddedToOpenContentModel
        } else {
            JsonDifference::OptionalPropertyAddedToOpenContentModel
        }
    } else {
        if let Some((schema, at)) = om.covering(differ, key) {
            let d = differ.compare(Sub::whole(schema), Sub::whole(update));
            let path = prop_path(key);
            covered(
                differ,
                d,
                (&at, &path),
                [
                    JsonDifference::PropertyAddedIsCoveredByPartiallyOpenContentModel,
                    JsonDifference::PropertyAddedNotCoveredByPartiallyOpenContentModel,
                ],
                key,
                diffs,
            );
        }
        match (required, default) {
            (true, true) => JsonDifference::RequiredPropertyWithDefaultAddedToUnopenContentModel,
            (true, false) => JsonDifference::RequiredPropertyAddedToUnopenContentModel,
            (false, _) => JsonDifference::OptionalPropertyAddedToUnopenContentModel,
        }
    };
    differ.record(diffs, kind, |k| {
        Diff::both(k, &prop_path(key)).with_detail(key.to_owned())
    });
}

/// Records whether a property's schema is covered by a partially open model.
/// The nested differences are kept only when they are compatible; otherwise
/// they become the explanation of the NOT_COVERED difference (LENIENT, which
/// allows NOT_COVERED, must not be overruled by them).
fn covered(
    differ: &Differ,
    nested: Vec<Diff>,
    (original_path, update_path): (&str, &str),
    [is_covered, not_covered]: [JsonDifference; 2],
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
        differ.record(diffs, is_covered, |k| {
            Diff::at(k, original_path, update_path).with_detail(key.to_owned())
        });
    } else {
        let why: Vec<&str> = nested
            .iter()
            .filter(|d| !differ.allows(d.kind))
            .map(|d| d.kind.name())
            .collect();
        differ.record(diffs, not_covered, |k| {
            Diff::at(k, original_path, update_path)
                .with_detail(format!("{key}: {}", why.join(", ")))
        });
    }
}

fn compare_dependencies<'r>(
    differ: &mut Differ,
    (o, ok): (&Node<'r>, &Keywords<'r>),
    (u, uk): (&Node<'r>, &Keywords<'r>),
    diffs: &mut Vec<Diff>,
) {
    let (od, ud) = (dependencies(ok), dependencies(uk));
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

fn dependencies<'r>(keywords: &Keywords<'r>) -> Dependencies<'r> {
    let mut out = Dependencies {
        arrays: indexmap_like::Ordered::default(),
        schemas: indexmap_like::Ordered::default(),
    };
    for (kw, id) in [
        ("dependencies", Kw::Dependencies),
        ("dependentRequired", Kw::DependentRequired),
        ("dependentSchemas", Kw::DependentSchemas),
    ] {
        let Some(map) = keywords.get(id).and_then(Value::as_object) else {
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
