//! Array schemas: the items schema, tuples and their content model, and the
//! item-count constraints.

use serde_json::Value;

use super::diff::{Diff, Differ, nest};
use super::node::{Node, Shape, Sub, shape};
use super::object::{Extra, compare_extra, compare_unevaluated, extra, unevaluated};
use super::scalar::{compare_limit, limit_kinds, number};
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
}

fn layout<'r>(node: &Node<'r>) -> Layout<'r> {
    let (all, tuple, tuple_keyword, rest, rest_keyword) = if node.draft >= JsonDraft::Draft202012 {
        match node.get("prefixItems").and_then(Value::as_array) {
            Some(prefix) => (
                None,
                prefix.as_slice(),
                "prefixItems",
                extra(node, "items"),
                "items",
            ),
            None => (
                node.keyword("items"),
                &[][..],
                "prefixItems",
                Extra::Open,
                "items",
            ),
        }
    } else {
        match node.get("items") {
            Some(Value::Array(tuple)) => (
                None,
                tuple.as_slice(),
                "items",
                extra(node, "additionalItems"),
                "additionalItems",
            ),
            _ => (
                node.keyword("items"),
                &[][..],
                "items",
                extra(node, "additionalItems"),
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
    }
}

impl<'r> Layout<'r> {
    fn is_open(&self) -> bool {
        matches!(self.rest, Extra::Open) && unevaluated(&self.node, "unevaluatedItems").is_none()
    }

    /// The schema items past the tuple must match in a partially open model.
    fn covering(&self) -> Option<(Node<'r>, String)> {
        match &self.rest {
            Extra::Schema(s) => Some((s.clone(), format!("/{}", self.rest_keyword))),
            Extra::Closed => None,
            Extra::Open => match unevaluated(&self.node, "unevaluatedItems") {
                Some(Extra::Schema(s)) => Some((s, "/unevaluatedItems".to_owned())),
                _ => None,
            },
        }
    }

    fn item(&self, i: usize) -> Option<Node<'r>> {
        self.tuple.get(i).map(|v| self.node.child(v))
    }
}

pub(crate) fn compare<'r>(differ: &mut Differ, o: &Node<'r>, u: &Node<'r>, diffs: &mut Vec<Diff>) {
    let (ol, ul) = (layout(o), layout(u));
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
        unevaluated(o, "unevaluatedItems"),
        unevaluated(u, "unevaluatedItems"),
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
        number(o, "maxItems"),
        number(u, "maxItems"),
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
        number(o, "minItems"),
        number(u, "minItems"),
        &limit_kinds!(
            MinItemsAdded,
            MinItemsRemoved,
            MinItemsIncreased,
            MinItemsDecreased
        ),
        diffs,
    );
    let unique = |n: &Node<'_>| {
        n.get("uniqueItems")
            .and_then(Value::as_bool)
            .unwrap_or(false)
    };
    match (unique(o), unique(u)) {
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
        o.keyword("contains").map(Sub::whole),
        u.keyword("contains").map(Sub::whole),
    );
    diffs.extend(nest(d, "/contains", "/contains"));
    compare_limit(
        "maxContains",
        number(o, "maxContains"),
        number(u, "maxContains"),
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
        number(o, "minContains"),
        number(u, "minContains"),
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
