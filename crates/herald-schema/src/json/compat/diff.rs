//! The walk that compares an "original" schema (whose data must stay
//! readable) with an "update" (that reads it), the way Confluent's
//! `SchemaDiff` does: both documents in parallel, `$ref`s dereferenced,
//! pairs already in progress treated as compatible so recursion terminates.

use std::collections::{HashMap, HashSet};

use serde_json::Value;

use super::node::{Facet, Sub};
use super::shape::{Class, Shape, shape_with};
use super::table::{Keywords, Kw};
use super::{array, combined, object, scalar};
use crate::JsonCompatibilityPolicy;
use crate::json::JsonDifference;

/// How deep the walk goes before comparing the rest by equality only, so a
/// pathological document cannot exhaust the stack.
const MAX_DEPTH: usize = 256;

/// One difference, with JSON pointers relative to the pair being compared.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Diff {
    pub kind: JsonDifference,
    /// Where it is in the original.
    pub original: String,
    /// Where it is in the update.
    pub update: String,
    /// What a person needs to know beyond the kind (the uncovered branch, the
    /// nested reason…).
    pub detail: Option<String>,
}

impl Diff {
    pub fn at(
        kind: JsonDifference,
        original: impl Into<String>,
        update: impl Into<String>,
    ) -> Diff {
        Diff {
            kind,
            original: original.into(),
            update: update.into(),
            detail: None,
        }
    }

    /// The same difference at a path on both sides.
    pub fn both(kind: JsonDifference, path: &str) -> Diff {
        Diff::at(kind, path, path)
    }

    pub fn with_detail(mut self, detail: String) -> Diff {
        self.detail = Some(detail);
        self
    }
}

/// Prefixes the paths of `diffs` (relative to a nested pair) with the pair's own paths.
pub(crate) fn nest(diffs: Vec<Diff>, original: &str, update: &str) -> impl Iterator<Item = Diff> {
    // Most comparisons find nothing: only copy the prefixes when there is something to prefix.
    let (original, update) = if diffs.is_empty() {
        (String::new(), String::new())
    } else {
        (original.to_owned(), update.to_owned())
    };
    diffs.into_iter().map(move |mut d| {
        if !original.is_empty() {
            d.original.insert_str(0, &original);
        }
        if !update.is_empty() {
            d.update.insert_str(0, &update);
        }
        d
    })
}

type PairKey = ((usize, Facet), (usize, Facet));

/// State of one comparison: the policy, memoized pairs, pairs in progress.
pub(crate) struct Differ {
    policy: JsonCompatibilityPolicy,
    /// Whether compatible differences are wanted too (a full diff), or only
    /// the ones that decide compatibility (a check). Dropping compatible ones
    /// early changes no verdict: compatibility only ever looks for
    /// incompatible differences.
    everything: bool,
    memo: HashMap<PairKey, Vec<Diff>>,
    in_progress: HashSet<PairKey>,
    depth: usize,
    patterns: HashMap<String, Option<jsonschema::Validator>>,
}

impl Differ {
    pub fn new(policy: JsonCompatibilityPolicy, everything: bool) -> Self {
        Differ {
            policy,
            everything,
            memo: HashMap::new(),
            in_progress: HashSet::new(),
            depth: 0,
            patterns: HashMap::new(),
        }
    }

    /// Records a difference unless this is a check and the difference is
    /// compatible (a check only needs the ones that break); `make` builds it
    /// only when it is kept.
    pub fn record(
        &self,
        diffs: &mut Vec<Diff>,
        kind: JsonDifference,
        make: impl FnOnce(JsonDifference) -> Diff,
    ) {
        if self.everything || !self.allows(kind) {
            diffs.push(make(kind));
        }
    }

    pub fn compatible(&self, diffs: &[Diff]) -> bool {
        diffs.iter().all(|d| self.allows(d.kind))
    }

    pub fn allows(&self, kind: JsonDifference) -> bool {
        kind.is_compatible(self.policy)
    }

    /// Compares two optional subschemas: one missing is SCHEMA_ADDED/REMOVED.
    pub fn compare_opt<'r>(
        &mut self,
        original: Option<Sub<'r>>,
        update: Option<Sub<'r>>,
    ) -> Vec<Diff> {
        match (original, update) {
            (None, None) => Vec::new(),
            (None, Some(_)) => vec![Diff::both(JsonDifference::SchemaAdded, "")],
            (Some(_), None) => vec![Diff::both(JsonDifference::SchemaRemoved, "")],
            (Some(o), Some(u)) => self.compare(o, u),
        }
    }

    /// Compares two subschemas.
    pub fn compare<'r>(&mut self, original: Sub<'r>, update: Sub<'r>) -> Vec<Diff> {
        self.compare_with(original, update, false)
    }

    /// Compares two subschemas, remembering the result: used where the same
    /// pair may be compared many times (branches of combinators).
    pub fn compare_memoized<'r>(&mut self, original: Sub<'r>, update: Sub<'r>) -> Vec<Diff> {
        self.compare_with(original, update, true)
    }

    /// Compares the roots: the pair is marked in progress, so a `$ref` back
    /// to a root finds it, but not memoized (nothing else can ask for it).
    pub fn compare_root<'r>(&mut self, original: Sub<'r>, update: Sub<'r>) -> Vec<Diff> {
        let (o, _) = original.dereferenced();
        let (u, _) = update.dereferenced();
        let key = (o.key(), u.key());
        self.in_progress.insert(key);
        let diffs = self.guarded(o, u);
        self.in_progress.remove(&key);
        diffs
    }

    fn compare_with<'r>(&mut self, original: Sub<'r>, update: Sub<'r>, memoize: bool) -> Vec<Diff> {
        let (o, o_followed) = original.dereferenced();
        let (u, u_followed) = update.dereferenced();
        if o.facet == Facet::Whole
            && u.facet == Facet::Whole
            && o.node.draft == u.node.draft
            && same(o.node.value, u.node.value)
        {
            return Vec::new();
        }
        if !(memoize || o_followed || u_followed) {
            return self.guarded(o, u);
        }
        let key = (o.key(), u.key());
        if let Some(done) = self.memo.get(&key) {
            return done.clone();
        }
        if !self.in_progress.insert(key) {
            // The pair is being compared further up: a recursive schema. Its
            // differences are reported there; here it counts as compatible.
            return Vec::new();
        }
        let diffs = self.guarded(o, u);
        self.in_progress.remove(&key);
        self.memo.insert(key, diffs.clone());
        diffs
    }

    fn guarded<'r>(&mut self, o: Sub<'r>, u: Sub<'r>) -> Vec<Diff> {
        if self.depth >= MAX_DEPTH {
            return if o.node.value == u.node.value && o.facet == u.facet {
                Vec::new()
            } else {
                vec![Diff::both(JsonDifference::TypeChanged, "").with_detail(format!(
                    "the schemas nest more than {MAX_DEPTH} levels deep here and are only compared for equality"
                ))]
            };
        }
        self.depth += 1;
        let diffs = self.compare_shapes(o, u);
        self.depth -= 1;
        diffs
    }

    fn compare_shapes<'r>(&mut self, o: Sub<'r>, u: Sub<'r>) -> Vec<Diff> {
        let (ok, uk) = (Keywords::of(o.node.value), Keywords::of(u.node.value));
        let so = shape_with(&o, &ok);
        let su = shape_with(&u, &uk);
        match (&so, &su) {
            (Shape::Combined { .. }, Shape::Combined { .. }) => {}
            (
                _,
                Shape::Combined {
                    criterion,
                    branches,
                },
            ) => {
                if let Some(d) = combined::widen_into(self, &o, *criterion, branches) {
                    return d;
                }
            }
            (
                Shape::Combined {
                    criterion,
                    branches,
                },
                _,
            ) => {
                if let Some(d) = combined::narrow_from(self, *criterion, branches, &u) {
                    return d;
                }
            }
            _ => {}
        }
        if so.class() != su.class() {
            let bytes = |k: &Keywords<'_>| k.string(Kw::ConnectType) == Some("bytes");
            if so.class() == Class::False
                || su.class() == Class::Empty
                || (bytes(&ok) && bytes(&uk))
            {
                return Vec::new();
            }
            return vec![
                Diff::both(JsonDifference::TypeChanged, "").with_detail(format!(
                    "{} in the {{w}} schema, {} in the {{r}} schema",
                    so.describe(),
                    su.describe()
                )),
            ];
        }
        let mut diffs = Vec::new();
        if self.everything && o.facet == Facet::Whole && u.facet == Facet::Whole {
            annotations(&o, &ok, &u, &uk, &mut diffs);
        }
        match (so, su) {
            (
                Shape::Combined {
                    criterion: oc,
                    branches: ob,
                },
                Shape::Combined {
                    criterion: uc,
                    branches: ub,
                },
            ) => {
                combined::compare(self, oc, &ob, uc, &ub, &mut diffs);
            }
            (Shape::Not(on), Shape::Not(un)) => combined::compare_not(self, on, un, &mut diffs),
            (Shape::Const(ov), Shape::Const(uv)) if ov != uv => {
                diffs.push(Diff::both(JsonDifference::EnumArrayChanged, "/const"));
            }
            (Shape::Enum(ov), Shape::Enum(uv)) => combined::compare_enum(ov, uv, &mut diffs),
            (Shape::Object, Shape::Object) => {
                object::compare(self, (&o.node, &ok), (&u.node, &uk), &mut diffs);
            }
            (Shape::Array, Shape::Array) => {
                array::compare(self, (&o.node, &ok), (&u.node, &uk), &mut diffs);
            }
            (Shape::String, Shape::String) => scalar::compare_string(&ok, &uk, &mut diffs),
            (Shape::Number { integer: oi }, Shape::Number { integer: ui }) => {
                scalar::compare_number(
                    (o.node.draft, &ok, oi),
                    (u.node.draft, &uk, ui),
                    &mut diffs,
                );
            }
            _ => {}
        }
        if !self.everything {
            diffs.retain(|d| !self.allows(d.kind));
        }
        diffs
    }

    /// Whether `key` matches the ECMA-262 `pattern` (as payload validation
    /// would judge it); a pattern that does not compile matches nothing.
    pub fn pattern_matches(&mut self, pattern: &str, key: &str) -> bool {
        let validator = self.patterns.entry(pattern.to_owned()).or_insert_with(|| {
            jsonschema::validator_for(&serde_json::json!({"type": "string", "pattern": pattern}))
                .ok()
        });
        validator
            .as_ref()
            .is_some_and(|v| v.is_valid(&Value::String(key.to_owned())))
    }
}

/// Whether two schema values are the same JSON and use no reference
/// keyword: then they mean the same whatever surrounds them, and their
/// comparison has nothing to report. (With a `$ref` inside, equal text may
/// point at different targets.)
fn same(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Object(x), Value::Object(y)) => {
            if x.len() != y.len() {
                return false;
            }
            // Versions of one schema usually list keys in the same order:
            // compare in step, falling back to lookups where the order differs.
            for ((ka, va), (kb, vb)) in x.iter().zip(y.iter()) {
                if matches!(ka.as_str(), "$ref" | "$dynamicRef" | "$recursiveRef") {
                    return false;
                }
                if ka != kb {
                    return x.iter().all(|(k, v)| {
                        !matches!(k.as_str(), "$ref" | "$dynamicRef" | "$recursiveRef")
                            && y.get(k).is_some_and(|w| same(v, w))
                    });
                }
                if !same(va, vb) {
                    return false;
                }
            }
            true
        }
        (Value::Array(x), Value::Array(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|(v, w)| same(v, w))
        }
        _ => a == b,
    }
}

/// Annotation changes: always compatible, reported for completeness.
fn annotations(
    o: &Sub<'_>,
    ok: &Keywords<'_>,
    u: &Sub<'_>,
    uk: &Keywords<'_>,
    diffs: &mut Vec<Diff>,
) {
    let id = |s: &Sub<'_>| {
        if s.node.draft == crate::json::JsonDraft::Draft4 {
            Kw::LegacyId
        } else {
            Kw::Id
        }
    };
    let pairs = [
        (ok.get(id(o)), uk.get(id(u)), JsonDifference::IdChanged),
        (
            ok.get(Kw::Title),
            uk.get(Kw::Title),
            JsonDifference::TitleChanged,
        ),
        (
            ok.get(Kw::Description),
            uk.get(Kw::Description),
            JsonDifference::DescriptionChanged,
        ),
        (
            ok.get(Kw::Default),
            uk.get(Kw::Default),
            JsonDifference::DefaultChanged,
        ),
    ];
    for (a, b, kind) in pairs {
        if a != b {
            diffs.push(Diff::both(kind, ""));
        }
    }
}
