//! JSON Schema compatibility, as Confluent's Schema Registry decides it.
//!
//! The check is a diff of an *original* schema against an *update*: BACKWARD
//! compares original = old with update = new (the new schema must accept
//! every document the old one accepted), FORWARD the other way round. Each
//! [`JsonDifference`] is either allowed or not under the policy
//! ([`JsonCompatibilityPolicy`]); the disallowed ones become [`Finding`]s.
//!
//! The central idea is the *content model* of an object: open (undeclared
//! keys may hold anything), closed (`additionalProperties: false`) or
//! partially open (undeclared keys must match a schema). Under STRICT, adding
//! an optional property to an open model is breaking, because old documents
//! may already hold that key with another type.

mod array;
mod combined;
mod diff;
mod matching;
mod message;
mod model;
mod node;
mod object;
mod scalar;
mod shape;
mod table;

use diff::{Diff, Differ};
use message::{Sides, describe};
use node::{Node, Sub};

use super::{JsonDifference, JsonSchema};
use crate::{Direction, Finding, FindingKind, JsonCompatibilityPolicy, Severity};

/// Compares `new` with `old` in `direction` under `policy`, returning one
/// finding (severity error) per difference the policy does not allow; an
/// empty list means compatible. Findings carry no version (the caller adds it).
pub fn check(
    new: &JsonSchema,
    old: &JsonSchema,
    direction: Direction,
    policy: JsonCompatibilityPolicy,
) -> Vec<Finding> {
    let (original, update) = match direction {
        Direction::Backward => (old, new),
        Direction::Forward => (new, old),
    };
    let sides = match direction {
        Direction::Backward => Sides {
            writer: "old",
            reader: "new",
        },
        Direction::Forward => Sides {
            writer: "new",
            reader: "old",
        },
    };
    differences(original, update, policy, false)
        .into_iter()
        .filter(|d| !d.kind.is_compatible(policy))
        .map(|d| {
            let message = describe(&d, &sides);
            let (new_path, old_path) = match direction {
                Direction::Backward => (d.update, d.original),
                Direction::Forward => (d.original, d.update),
            };
            Finding {
                kind: FindingKind::Json(d.kind),
                severity: Severity::Error,
                new_path,
                old_path,
                version: None,
                direction,
                message,
            }
        })
        .collect()
}

/// Every difference between `original` and `update`, compatible or not, as
/// Confluent's `SchemaDiff.compare(original, update)` lists them: the kind
/// and the JSON pointers in the original and in the update.
pub fn diff(
    original: &JsonSchema,
    update: &JsonSchema,
    policy: JsonCompatibilityPolicy,
) -> Vec<(JsonDifference, String, String)> {
    differences(original, update, policy, true)
        .into_iter()
        .map(|d| (d.kind, d.original, d.update))
        .collect()
}

fn differences(
    original: &JsonSchema,
    update: &JsonSchema,
    policy: JsonCompatibilityPolicy,
    everything: bool,
) -> Vec<Diff> {
    let mut differ = Differ::new(policy, everything);
    differ.compare_root(Sub::whole(root(original)), Sub::whole(root(update)))
}

/// The document's root as the diff walks it: taken from the registry when
/// the document uses `$ref`, so references back into it land on the same nodes.
fn root(schema: &JsonSchema) -> Node<'_> {
    match schema.documents() {
        Some(docs) => {
            let resolver = docs.registry.resolver(docs.base.clone());
            match resolver.lookup("#") {
                Ok(resolved) => {
                    let (value, resolver, _) = resolved.into_inner();
                    let local = docs.plain_pointers.then_some(value);
                    Node::root(value, schema.draft(), Some(resolver), local)
                }
                Err(_) => Node::root(schema.value(), schema.draft(), Some(resolver), None),
            }
        }
        None => Node::root(schema.value(), schema.draft(), None, None),
    }
}
