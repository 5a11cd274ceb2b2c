//! String and number constraints.

use serde_json::Value;

use super::diff::Diff;
use super::table::{Keywords, Kw};
use crate::json::{JsonDifference, JsonDraft};

/// The four outcomes of comparing an optional numeric limit.
pub(crate) struct LimitKinds {
    pub added: JsonDifference,
    pub removed: JsonDifference,
    pub increased: JsonDifference,
    pub decreased: JsonDifference,
}

macro_rules! limit_kinds {
    ($a:ident, $r:ident, $i:ident, $d:ident) => {
        super::scalar::LimitKinds {
            added: JsonDifference::$a,
            removed: JsonDifference::$r,
            increased: JsonDifference::$i,
            decreased: JsonDifference::$d,
        }
    };
}
pub(crate) use limit_kinds;

/// Compares an optional numeric limit and records the change at `/keyword`.
pub(crate) fn compare_limit(
    keyword: &str,
    original: Option<f64>,
    update: Option<f64>,
    kinds: &LimitKinds,
    diffs: &mut Vec<Diff>,
) {
    let kind = match (original, update) {
        (None, None) => return,
        (None, Some(_)) => kinds.added,
        (Some(_), None) => kinds.removed,
        (Some(o), Some(u)) if o < u => kinds.increased,
        (Some(o), Some(u)) if o > u => kinds.decreased,
        _ => return,
    };
    diffs.push(Diff::both(kind, &format!("/{keyword}")));
}

pub(crate) fn compare_string(o: &Keywords<'_>, u: &Keywords<'_>, diffs: &mut Vec<Diff>) {
    compare_limit(
        "maxLength",
        o.number(Kw::MaxLength),
        u.number(Kw::MaxLength),
        &limit_kinds!(
            MaxLengthAdded,
            MaxLengthRemoved,
            MaxLengthIncreased,
            MaxLengthDecreased
        ),
        diffs,
    );
    compare_limit(
        "minLength",
        o.number(Kw::MinLength),
        u.number(Kw::MinLength),
        &limit_kinds!(
            MinLengthAdded,
            MinLengthRemoved,
            MinLengthIncreased,
            MinLengthDecreased
        ),
        diffs,
    );
    let kind = match (o.string(Kw::Pattern), u.string(Kw::Pattern)) {
        (None, Some(_)) => JsonDifference::PatternAdded,
        (Some(_), None) => JsonDifference::PatternRemoved,
        (Some(a), Some(b)) if a != b => JsonDifference::PatternChanged,
        _ => return,
    };
    diffs.push(Diff::both(kind, "/pattern"));
}

/// The effective bounds of a number schema. Draft 4 writes an exclusive bound
/// as `maximum` plus `exclusiveMaximum: true`; it is read here as an
/// exclusive limit so every draft compares alike.
struct Bounds {
    maximum: Option<f64>,
    minimum: Option<f64>,
    exclusive_maximum: Option<f64>,
    exclusive_minimum: Option<f64>,
}

fn bounds(draft: JsonDraft, kw: &Keywords<'_>) -> Bounds {
    let maximum = kw.number(Kw::Maximum);
    let minimum = kw.number(Kw::Minimum);
    if draft == JsonDraft::Draft4 {
        let flag = |k: Kw| kw.get(k).and_then(Value::as_bool).unwrap_or(false);
        let (max_x, min_x) = (flag(Kw::ExclusiveMaximum), flag(Kw::ExclusiveMinimum));
        return Bounds {
            maximum: maximum.filter(|_| !max_x),
            minimum: minimum.filter(|_| !min_x),
            exclusive_maximum: maximum.filter(|_| max_x),
            exclusive_minimum: minimum.filter(|_| min_x),
        };
    }
    Bounds {
        maximum,
        minimum,
        exclusive_maximum: kw.number(Kw::ExclusiveMaximum),
        exclusive_minimum: kw.number(Kw::ExclusiveMinimum),
    }
}

/// Compares two number schemas, each given as (draft, keywords, integer only).
pub(crate) fn compare_number(
    (o_draft, o, o_integer): (JsonDraft, &Keywords<'_>, bool),
    (u_draft, u, u_integer): (JsonDraft, &Keywords<'_>, bool),
    diffs: &mut Vec<Diff>,
) {
    let (ob, ub) = (bounds(o_draft, o), bounds(u_draft, u));
    compare_limit(
        "maximum",
        ob.maximum,
        ub.maximum,
        &limit_kinds!(
            MaximumAdded,
            MaximumRemoved,
            MaximumIncreased,
            MaximumDecreased
        ),
        diffs,
    );
    compare_limit(
        "minimum",
        ob.minimum,
        ub.minimum,
        &limit_kinds!(
            MinimumAdded,
            MinimumRemoved,
            MinimumIncreased,
            MinimumDecreased
        ),
        diffs,
    );
    compare_limit(
        "exclusiveMaximum",
        ob.exclusive_maximum,
        ub.exclusive_maximum,
        &limit_kinds!(
            ExclusiveMaximumAdded,
            ExclusiveMaximumRemoved,
            ExclusiveMaximumIncreased,
            ExclusiveMaximumDecreased
        ),
        diffs,
    );
    compare_limit(
        "exclusiveMinimum",
        ob.exclusive_minimum,
        ub.exclusive_minimum,
        &limit_kinds!(
            ExclusiveMinimumAdded,
            ExclusiveMinimumRemoved,
            ExclusiveMinimumIncreased,
            ExclusiveMinimumDecreased
        ),
        diffs,
    );
    let kind = match (o.number(Kw::MultipleOf), u.number(Kw::MultipleOf)) {
        (None, None) => None,
        (None, Some(_)) => Some(JsonDifference::MultipleOfAdded),
        (Some(_), None) => Some(JsonDifference::MultipleOfRemoved),
        (Some(a), Some(b)) if a == b => None,
        // Every multiple of the new step is a multiple of the old: stricter.
        (Some(a), Some(b)) if divides(a, b) => Some(JsonDifference::MultipleOfExpanded),
        // Every multiple of the old step is a multiple of the new: looser.
        (Some(a), Some(b)) if divides(b, a) => Some(JsonDifference::MultipleOfReduced),
        _ => Some(JsonDifference::MultipleOfChanged),
    };
    if let Some(kind) = kind {
        diffs.push(Diff::both(kind, "/multipleOf"));
    }
    if o_integer != u_integer {
        let kind = if o_integer {
            JsonDifference::TypeExtended
        } else {
            JsonDifference::TypeNarrowed
        };
        diffs.push(Diff::both(kind, ""));
    }
}

/// Whether `step` divides `value` a whole number of times (within float error).
fn divides(step: f64, value: f64) -> bool {
    if step <= 0.0 || !step.is_finite() || !value.is_finite() {
        return false;
    }
    let q = value / step;
    (q - q.round()).abs() <= 1e-9 * q.abs().max(1.0)
}

#[cfg(test)]
mod tests {
    use super::divides;

    #[test]
    fn divisibility_handles_decimals() {
        assert!(divides(2.0, 10.0));
        assert!(!divides(10.0, 2.0));
        assert!(divides(0.1, 0.3));
        assert!(divides(0.5, 2.0));
        assert!(!divides(3.0, 10.0));
        assert!(!divides(0.0, 10.0));
    }
}
