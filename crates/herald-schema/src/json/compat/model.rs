//! Content models: what an object (or tuple) does with keys (or items) it
//! does not declare — open, closed, or partially open with a schema — and
//! how the keywords that decide it are compared.

use serde_json::Value;

use super::diff::{Diff, Differ, nest};
use super::node::{Node, Sub};
use super::shape::is_trivially_true;
use crate::json::JsonDifference;

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

/// Reads an `additionalProperties`/`additionalItems`-style keyword of `node`.
pub(crate) fn extra<'r>(node: &Node<'r>, value: Option<&'r Value>) -> Extra<'r> {
    match value {
        None => Extra::Open,
        Some(Value::Bool(false)) => Extra::Closed,
        Some(v) if !(v.is_object() || v.is_boolean()) => Extra::Open,
        Some(v) if is_trivially_true(v, node.draft) => Extra::Open,
        Some(v) => Extra::Schema(node.child(v)),
    }
}

/// `unevaluatedProperties`/`unevaluatedItems`: `None` when absent or `true`.
pub(crate) fn unevaluated<'r>(node: &Node<'r>, value: Option<&'r Value>) -> Option<Extra<'r>> {
    match extra(node, value) {
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
