//! Array schemas: the items schema, tuples and their content model, and the
//! item-count constraints.

use serde_json::Value;

use super::diff::{Diff, Differ, nest};
use super::model::{Extra, compare_extra, compare_unevaluated, extra, unevaluated};
use super::node::{Node, Sub};
use super::scalar::{compare_limit, limit_kinds};
use super::shape::{Shape, shape};
use super::table::{Keywords, Kw};
use crate::json::{JsonDifference, JsonDraft};

/// How an array schema lays out its items. Before 2020-12 a tuple is an
/// `items` array with `additionalItems` for the rest; from 2020-12 it is
/// `prefixItems` with `items` for the rest.
struct Layout<'r> {
    node: Node<'r>,
    /// The schema every item must match (no tuple).
    all: Option<Node<'r>>,
    tuple: &'r [Value],
    tuple_keyword: &'static str,
    rest: Extra<'r>,
    rest_keyword: &'static str,
    unevaluated: Option<Extra<'r>>,
}

fn schema_at<'r>(node: &Node<'r>, value: Option<&'r Value>) -> Option<Node<'r>> {
    value
        .filter(|v| v.is_object() || v.is_boolean())
        .map(|v| node.child(v))
}

fn layout<'r>(node: &Node<'r>, kw: &Keywords<'r>) -> Layout<'r> {
    let items = kw.get(Kw::Items);
    let (all, tuple, tuple_keyword, rest, rest_keyword) = if node.draft >= JsonDraft::Draft202012 {
        match kw.get(Kw::PrefixItems).and_then(Value::as_array) {
            Some(prefix) => (
                None,
                prefix.as_slice(),
                "prefixItems",
                extra(node, items),
                "items",
            ),
            None => (
                schema_at(node, items),
                &[][..],
                "prefixItems",
                Extra::Open,
                "items",
            ),
        }
    } else {
        let additional = extra(node, kw.get(Kw::AdditionalItems));
        match items {
            Some(Value::Array(tuple)) => (
                None,
                tuple.as_slice(),
                "items",
                additional,
                "additionalItems",
            ),
            _ => (
                schema_at(node, items),
                &[][..],
                "items",
                additional,
                "additionalItems",
            ),
        }
    };
    Layout {
        node: node.clone(),
        all,
        tuple,
        tuple_keyword,
        rest,
        rest_keyword,
        unevaluated: unevaluated(node, kw.get(Kw::UnevaluatedItems)),
    }
}

impl<'r> Layout<'r> {
    fn is_open(&self) -> bool {
        matches!(self.rest, Extra::Open) && self.unevaluated.is_none()
    }

    /// The schema items past the tuple must match in a partially open model.
    fn covering(&self) -> Option<(Node<'r>, String)> {
        match (&self.rest, &self.unevaluated) {
            (Extra::Schema(s), _) => Some((s.clone(), format!("/{}", self.rest_keyword))),
            (Extra::Open, Some(Extra::Schema(s))) => {
                Some((s.clone(), "/unevaluatedItems".to_owned()))
            }
            _ => None,
        }
    }

    fn item(&self, i: usize) -> Option<Node<'r>> {
        self.tuple.get(i).map(|v| self.node.child(v))
    }
}

/// Compares two array schemas, each given with its scanned keywords.
pub(crate) fn compare<'r>(
    differ: &mut Differ,
    (o, ok): (&Node<'r>, &Keywords<'r>),
    (u, uk): (&Node<'r>, &Keywords<'r>),
    diffs: &mut Vec<Diff>,
) {
    let (ol, ul) = (layout(o, ok), layout(u, uk));
    let d = differ.compare_opt(
        ol.all.clone().map(Sub::whole),
        ul.all.clone().map(Sub::whole),
    );
    diffs.extend(nest(d, "/items", "/items"));
    compare_tuple(differ, &ol, &ul, diffs);
    compare_rest(differ, &ol, &ul, diffs);
    compare_unevaluated(
        differ,
        "/unevaluatedItems",
        ol.unevaluated.clone(),
        ul.unevaluated.clone(),
        [
            JsonDifference::UnevaluatedItemsAdded,
            JsonDifference::UnevaluatedItemsRemoved,
            JsonDifference::UnevaluatedItemsExtended,
            JsonDifference::UnevaluatedItemsNarrowed,
        ],
        diffs,
    );
    compare_limit(
        "maxItems",
        ok.number(Kw::MaxItems),
        uk.number(Kw::MaxItems),
        &limit_kinds!(
            MaxItemsAdded,
            MaxItemsRemoved,
            MaxItemsIncreased,
            MaxItemsDecreased
        ),
        diffs,
    );
    compare_limit(
        "minItems",
        ok.number(Kw::MinItems),
        uk.number(Kw::MinItems),
        &limit_kinds!(
            MinItemsAdded,
            MinItemsRemoved,
            MinItemsIncreased,
            MinItemsDecreased
        ),
        diffs,
    );
    let unique = |k: &Keywords<'_>| {
        k.get(Kw::UniqueItems)
            .and_then(Value::as_bool)
            .unwrap_or(false)
    };
    match (unique(ok), unique(uk)) {
        (true, false) => diffs.push(Diff::both(
            JsonDifference::UniqueItemsRemoved,
            "/uniqueItems",
        )),
        (false, true) => diffs.push(Diff::both(JsonDifference::UniqueItemsAdded, "/uniqueItems")),
        _ => {}
    }
    // `contains` has no kind of its own: an added one restricts like any added
    // subschema, a removed one loosens.
    let d = differ.compare_opt(
        schema_at(o, ok.get(Kw::Contains)).map(Sub::whole),
        schema_at(u, uk.get(Kw::Contains)).map(Sub::whole),
    );
    diffs.extend(nest(d, "/contains", "/contains"));
    compare_limit(
        "maxContains",
        ok.number(Kw::MaxContains),
        uk.number(Kw::MaxContains),
        &limit_kinds!(
            MaxContainsAdded,
            MaxContainsRemoved,
            MaxContainsIncreased,
            MaxContainsDecreased
        ),
        diffs,
    );
    compare_limit(
        "minContains",
        ok.number(Kw::MinContains),
        uk.number(Kw::MinContains),
        &limit_kinds!(
            MinContainsAdded,
            MinContainsRemoved,
            MinContainsIncreased,
            MinContainsDecreased
        ),
        diffs,
    );
}

fn compare_rest(differ: &mut Differ, ol: &Layout<'_>, ul: &Layout<'_>, diffs: &mut Vec<Diff>) {
    let mut found = Vec::new();
    compare_extra(
        differ,
        "",
        ol.rest.clone(),
        ul.rest.clone(),
        [
            JsonDifference::AdditionalItemsAdded,
            JsonDifference::AdditionalItemsRemoved,
            JsonDifference::AdditionalItemsExtended,
            JsonDifference::AdditionalItemsNarrowed,
        ],
        &mut found,
    );
    diffs.extend(nest(
        found,
        &format!("/{}", ol.rest_keyword),
        &format!("/{}", ul.rest_keyword),
    ));
}

fn compare_tuple<'r>(differ: &mut Differ, ol: &Layout<'r>, ul: &Layout<'r>, diffs: &mut Vec<Diff>) {
    let (on, un) = (ol.tuple.len(), ul.tuple.len());
    let op = |i: usize| format!("/{}/{i}", ol.tuple_keyword);
    let up = |i: usize| format!("/{}/{i}", ul.tuple_keyword);
    for i in 0..on.min(un) {
        if let (Some(o), Some(u)) = (ol.item(i), ul.item(i)) {
            let d = differ.compare(Sub::whole(o), Sub::whole(u));
            diffs.extend(nest(d, &op(i), &up(i)));
        }
    }
    for i in un..on {
        let Some(original) = ol.item(i) else { continue };
        if ul.is_open() {
            diffs.push(Diff::at(
                JsonDifference::ItemRemovedFromOpenContentModel,
                op(i),
                up(i),
            ));
        } else if let Some((schema, at)) = ul.covering() {
            let d = differ.compare(Sub::whole(original), Sub::whole(schema));
            let kind = if differ.compatible(&d) {
                diffs.extend(nest(d, &op(i), &at));
                JsonDifference::ItemRemovedIsCoveredByPartiallyOpenContentModel
            } else {
                JsonDifference::ItemRemovedNotCoveredByPartiallyOpenContentModel
            };
            diffs.push(Diff::at(kind, op(i), at));
        } else if original.value == &Value::Bool(false) {
            diffs.push(Diff::at(
                JsonDifference::ItemWithFalseRemovedFromClosedContentModel,
                op(i),
                up(i),
            ));
        } else {
            diffs.push(Diff::at(
                JsonDifference::ItemRemovedFromClosedContentModel,
                op(i),
                up(i),
            ));
        }
    }
    for i in on..un {
        let Some(update) = ul.item(i) else { continue };
        if ol.is_open() {
            let kind = if matches!(shape(&Sub::whole(update).dereferenced().0), Shape::Empty) {
                JsonDifference::ItemWithEmptySchemaAddedToOpenContentModel
            } else {
                JsonDifference::ItemAddedToOpenContentModel
            };
            diffs.push(Diff::at(kind, op(i), up(i)));
        } else if let Some((schema, at)) = ol.covering() {
            let d = differ.compare(Sub::whole(schema), Sub::whole(update));
            let kind = if differ.compatible(&d) {
                diffs.extend(nest(d, &at, &up(i)));
                JsonDifference::ItemAddedIsCoveredByPartiallyOpenContentModel
            } else {
                JsonDifference::ItemAddedNotCoveredByPartiallyOpenContentModel
            };
            diffs.push(Diff::at(kind, at, up(i)));
        } else {
            diffs.push(Diff::at(
                JsonDifference::ItemAddedToClosedContentModel,
                op(i),
                up(i),
            ));
        }
    }
}
