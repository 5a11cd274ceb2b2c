//! Combined schemas (`allOf`/`anyOf`/`oneOf`, type lists, and the synthetic
//! `allOf` of a multi-kind object), `not`, and `enum`.

use serde_json::Value;

use super::diff::{Diff, Differ, nest};
use super::matching::maximum_matching;
use super::node::{Node, Sub};
use super::shape::{Branch, Criterion};
use crate::json::JsonDifference;

/// A non-combined original against a combined update: compatible when the
/// update is a singleton whose branch is, or a union with a compatible branch.
pub(crate) fn widen_into<'r>(
    differ: &mut Differ,
    original: &Sub<'r>,
    criterion: Criterion,
    branches: &[Branch<'r>],
) -> Option<Vec<Diff>> {
    if let [only] = branches {
        let d = differ.compare_memoized(original.clone(), only.sub.clone());
        return differ
            .compatible(&d)
            .then(|| nest(d, "", &only.path).collect());
    }
    if matches!(criterion, Criterion::Any | Criterion::One) {
        for b in branches {
            let d = differ.compare_memoized(original.clone(), b.sub.clone());
            if differ.compatible(&d) {
                let mut out: Vec<Diff> = nest(d, "", &b.path).collect();
                out.push(Diff::both(JsonDifference::SumTypeExtended, ""));
                return Some(out);
            }
        }
    }
    None
}

/// A combined original against a non-combined update: compatible when the
/// original is a singleton whose branch is, or an `allOf` one of whose
/// branches the update is compatible with (the update dropped constraints).
pub(crate) fn narrow_from<'r>(
    differ: &mut Differ,
    criterion: Criterion,
    branches: &[Branch<'r>],
    update: &Sub<'r>,
) -> Option<Vec<Diff>> {
    if let [only] = branches {
        let d = differ.compare_memoized(only.sub.clone(), update.clone());
        if differ.compatible(&d) {
            return Some(nest(d, &only.path, "").collect());
        }
    }
    if criterion == Criterion::All {
        for b in branches {
            let d = differ.compare_memoized(b.sub.clone(), update.clone());
            if differ.compatible(&d) {
                let mut out: Vec<Diff> = nest(d, &b.path, "").collect();
                out.push(Diff::both(JsonDifference::ProductTypeNarrowed, ""));
                return Some(out);
            }
        }
    }
    None
}

/// Two combined schemas: the criterion, the number of branches, and a
/// maximum matching of branches to compatible branches.
pub(crate) fn compare<'r>(
    differ: &mut Differ,
    oc: Criterion,
    original: &[Branch<'r>],
    uc: Criterion,
    update: &[Branch<'r>],
    diffs: &mut Vec<Diff>,
) {
    match criterion_change(oc, original.len(), uc, update.len()) {
        Some(JsonDifference::CombinedTypeChanged) => {
            diffs.push(
                Diff::both(JsonDifference::CombinedTypeChanged, "").with_detail(format!(
                    "{} became {}",
                    oc.keyword(),
                    uc.keyword()
                )),
            );
            return;
        }
        Some(kind) => diffs.push(Diff::both(kind, "")),
        None => {}
    }
    let original = distinct(original);
    let update = distinct(update);
    let (on, un) = (original.len(), update.len());
    if on != un {
        let kind = match (uc == Criterion::All, on < un) {
            (true, true) => JsonDifference::ProductTypeExtended,
            (true, false) => JsonDifference::ProductTypeNarrowed,
            (false, true) => JsonDifference::SumTypeExtended,
            (false, false) => JsonDifference::SumTypeNarrowed,
        };
        diffs.push(Diff::both(kind, ""));
    }
    let mut edges: Vec<Vec<(usize, Vec<Diff>)>> = Vec::with_capacity(on);
    let mut failures: Vec<Option<Vec<Diff>>> = vec![None; on];
    for (i, ob) in original.iter().enumerate() {
        let mut row = Vec::new();
        for (j, ub) in update.iter().enumerate() {
            let d = differ.compare_memoized(ob.sub.clone(), ub.sub.clone());
            if differ.compatible(&d) {
                row.push((j, d));
            } else if i == j || failures[i].is_none() {
                failures[i] = Some(d);
            }
        }
        edges.push(row);
    }
    let adjacency: Vec<Vec<usize>> = edges
        .iter()
        .map(|row| row.iter().map(|(j, _)| *j).collect())
        .collect();
    let matched = maximum_matching(&adjacency, un);
    let mut covered = vec![false; on];
    for (i, j) in matched.iter().copied().enumerate() {
        let Some(j) = j else { continue };
        covered[i] = true;
        if let Some((_, d)) = edges[i].iter().find(|(jj, _)| *jj == j) {
            diffs.extend(nest(d.clone(), &original[i].path, &update[j].path));
        }
    }
    let matched_count = covered.iter().filter(|c| **c).count();
    if matched_count < on.min(un) {
        let mut detail = Vec::new();
        for (i, ob) in original.iter().enumerate() {
            if covered[i] {
                continue;
            }
            let place = if ob.path.is_empty() {
                format!("a branch of the {}", oc.keyword())
            } else {
                format!("branch {}", ob.path)
            };
            let why = failures[i]
                .as_ref()
                .map(|d| {
                    d.iter()
                        .filter(|x| !differ.allows(x.kind))
                        .map(|x| {
                            let at = if x.original.is_empty() {
                                "/"
                            } else {
                                &x.original
                            };
                            format!("{} at {}", x.kind.name(), at)
                        })
                        .collect::<Vec<_>>()
                        .join(", ")
                })
                .filter(|s| !s.is_empty());
            detail.push(match why {
                Some(why) => format!("{place} has no compatible counterpart ({why})"),
                None => format!("{place} has no compatible counterpart"),
            });
        }
        diffs.push(
            Diff::both(JsonDifference::CombinedTypeSubschemasChanged, "")
                .with_detail(detail.join("; ")),
        );
    }
}

/// Confluent's rules for a change of combinator.
fn criterion_change(oc: Criterion, on: usize, uc: Criterion, un: usize) -> Option<JsonDifference> {
    if oc == uc {
        return None;
    }
    Some(match uc {
        Criterion::Any => JsonDifference::CombinedTypeExtended,
        Criterion::One if on == 1 => JsonDifference::CombinedTypeExtended,
        Criterion::All if on == 1 && un == 1 => JsonDifference::CombinedTypeExtended,
        _ => JsonDifference::CombinedTypeChanged,
    })
}

/// Branches with duplicates (equal JSON, same view) collapsed.
fn distinct<'a, 'r>(branches: &'a [Branch<'r>]) -> Vec<&'a Branch<'r>> {
    let mut out: Vec<&Branch<'r>> = Vec::with_capacity(branches.len());
    for b in branches {
        if !out
            .iter()
            .any(|x| x.sub.facet == b.sub.facet && x.sub.node.value == b.sub.node.value)
        {
            out.push(b);
        }
    }
    out
}

/// `not`: the update must exclude no more than the original did, so the
/// inner schemas are compared in reverse.
pub(crate) fn compare_not<'r>(
    differ: &mut Differ,
    original: Node<'r>,
    update: Node<'r>,
    diffs: &mut Vec<Diff>,
) {
    let reversed = differ.compare_memoized(Sub::whole(update), Sub::whole(original));
    let kind = if differ.compatible(&reversed) {
        JsonDifference::NotTypeNarrowed
    } else {
        JsonDifference::NotTypeExtended
    };
    diffs.push(Diff::both(kind, "/not"));
}

/// `enum` compared as sets of values.
pub(crate) fn compare_enum(original: &[Value], update: &[Value], diffs: &mut Vec<Diff>) {
    let contains_all = |a: &[Value], b: &[Value]| b.iter().all(|v| a.contains(v));
    let update_has_all = contains_all(update, original);
    let original_has_all = contains_all(original, update);
    let kind = match (update_has_all, original_has_all) {
        (true, true) => return,
        (true, false) => JsonDifference::EnumArrayExtended,
        (false, true) => JsonDifference::EnumArrayNarrowed,
        (false, false) => JsonDifference::EnumArrayChanged,
    };
    diffs.push(Diff::both(kind, "/enum"));
}
