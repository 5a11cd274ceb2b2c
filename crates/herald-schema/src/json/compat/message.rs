//! Sentences for findings: what differs, why data breaks, how to fix it.
//!
//! The diff speaks of a "writer" schema (the one whose documents must stay
//! readable) and a "reader" (the one that must accept them): for BACKWARD
//! the writer is the old schema and the reader the new one, for FORWARD the
//! other way round. Sentences therefore say "declared by one, not the other"
//! rather than "added" or "removed", which would be wrong in one direction.
//! Locations are not repeated: a finding carries both paths.

use super::diff::Diff;
use crate::json::JsonDifference as D;

/// Names the two sides of one comparison for a person.
pub(crate) struct Sides {
    pub writer: &'static str,
    pub reader: &'static str,
}

/// Why an open content model makes a new property breaking, and the ways out.
const OPEN_MODEL: &str = "The {w} schema's object has an open content model (no \"additionalProperties\": false), \
so documents written with it may already carry a '{p}' key holding a value of any type; the {r} schema gives \
'{p}' a schema and would reject those whose value does not match it. To evolve it safely: close the content \
model (\"additionalProperties\": false) in a compatible step before declaring new properties, or use a \
partially open model whose \"additionalProperties\" (or \"patternProperties\") schema accepts the new \
property's values, or set the subject's compatibilityPolicy to LENIENT if producers never write undeclared keys.";

/// The message for a difference that breaks compatibility.
pub(crate) fn describe(diff: &Diff, sides: &Sides) -> String {
    let p = diff.detail.as_deref().unwrap_or("?");
    let keyword = keyword_of(diff);
    let text = match diff.kind {
        D::OptionalPropertyAddedToOpenContentModel => {
            format!("The {{r}} schema declares property '{{p}}', which the {{w}} schema does not. {OPEN_MODEL}")
        }
        D::RequiredPropertyWithDefaultAddedToOpenContentModel => format!(
            "The {{r}} schema declares required property '{{p}}' (with a default), which the {{w}} schema does \
             not. {OPEN_MODEL}"
        ),
        D::RequiredPropertyAddedToOpenContentModel | D::PropertyAddedToOpenContentModel => {
            "The {r} schema requires property '{p}', which the {w} schema does not declare, so {w} documents \
             may lack it (and, its model being open, may hold '{p}' with any value). Make '{p}' optional; a \
             required property with a \"default\" is accepted only where the {w} schema's content model is \
             closed (\"additionalProperties\": false)."
                .to_owned()
        }
        D::RequiredPropertyAddedToUnopenContentModel => {
            "The {r} schema requires property '{p}', which the {w} schema does not declare, so {w} documents \
             lack it. Make '{p}' optional, or give it a \"default\"."
                .to_owned()
        }
        D::RequiredAttributeAdded => "Property '{p}' is required in the {r} schema but optional in the {w} \
             schema, so {w} documents without it are rejected. Keep it optional, or give it a \"default\"."
            .to_owned(),
        D::PropertyRemovedFromClosedContentModel => {
            "The {w} schema declares property '{p}', but the {r} schema does not and its content model is \
             closed (\"additionalProperties\": false), so {w} documents that have '{p}' are rejected. Declare \
             '{p}' in both schemas (it may stay optional), or let the {r} schema's \"additionalProperties\" \
             (or \"patternProperties\") accept its values."
                .to_owned()
        }
        D::PropertyRemovedNotCoveredByPartiallyOpenContentModel => format!(
            "The {{w}} schema declares property '{}', which the {{r}} schema does not, and the schema the {{r}} \
             schema gives undeclared keys rejects some of its values ({}). Declare the property in both \
             schemas, or widen \"additionalProperties\"/\"patternProperties\".",
            key_of(p),
            reasons_of(p)
        ),
        D::PropertyAddedNotCoveredByPartiallyOpenContentModel => format!(
            "The {{r}} schema declares property '{}', which the {{w}} schema does not; the {{w}} schema let \
             undeclared keys of that name hold values the new declaration rejects ({}). Make the property's \
             schema accept everything \"additionalProperties\"/\"patternProperties\" allowed.",
            key_of(p),
            reasons_of(p)
        ),
        D::AdditionalPropertiesRemoved => {
            "The {r} schema forbids undeclared properties (\"additionalProperties\": false) where the {w} \
             schema allowed them, so {w} documents carrying extra keys are rejected. Keep the model open, or \
             use the LENIENT policy if producers never write undeclared keys."
                .to_owned()
        }
        D::AdditionalPropertiesNarrowed => {
            "The {r} schema gives undeclared properties a schema (\"additionalProperties\") where the {w} \
             schema allowed any value, so {w} documents with extra keys may be rejected. Keep \
             \"additionalProperties\" absent or true, or use the LENIENT policy."
                .to_owned()
        }
        D::UnevaluatedPropertiesRemoved | D::UnevaluatedPropertiesNarrowed => {
            "The {r} schema restricts unevaluated properties more than the {w} schema, so {w} documents with \
             extra keys may be rejected. Keep \"unevaluatedProperties\" as it was, or use the LENIENT policy."
                .to_owned()
        }
        D::AdditionalItemsRemoved
        | D::AdditionalItemsNarrowed
        | D::UnevaluatedItemsRemoved
        | D::UnevaluatedItemsNarrowed => {
            "The {r} schema restricts array items past the declared tuple more than the {w} schema, so \
             longer {w} arrays may be rejected. Keep the rule for additional items as it was."
                .to_owned()
        }
        D::ItemAddedToOpenContentModel => {
            "The {r} schema declares a tuple position that the {w} schema left open (any value was allowed \
             there), so {w} arrays may hold values it rejects. Give that position a schema that accepts \
             anything, or close the {w} tuple first (\"additionalItems\": false)."
                .to_owned()
        }
        D::ItemRemovedFromClosedContentModel => {
            "The {w} schema declares a tuple position that the {r} schema does not, and the {r} schema \
             forbids additional items, so longer {w} arrays are rejected. Declare the position in both, or \
             allow additional items."
                .to_owned()
        }
        D::ItemAddedNotCoveredByPartiallyOpenContentModel
        | D::ItemRemovedNotCoveredByPartiallyOpenContentModel => {
            "A tuple position is declared by one schema only, and the other's schema for additional items \
             does not accept what the {w} schema allowed there. Declare the position in both, or widen the \
             additional-items schema."
                .to_owned()
        }
        D::TypeChanged => format!(
            "The type differs ({}), so values valid under the {{w}} schema are rejected by the {{r}} schema. \
             Keep the type, or accept both (a type list such as [\"string\", \"null\"], or anyOf).",
            diff.detail.as_deref().unwrap_or("between the {w} and the {r} schema")
        ),
        D::TypeNarrowed => "The {r} schema accepts only integers where the {w} schema accepted any number, so \
             values such as 1.5 are rejected. Accept \"number\" in both."
            .to_owned(),
        D::SchemaAdded => format!(
            "The {{r}} schema has a subschema (\"{keyword}\") that the {{w}} schema does not, so {{w}} values \
             may be rejected. Drop it, or make it accept everything the {{w}} schema allowed."
        ),
        D::MaxLengthAdded
        | D::MinLengthAdded
        | D::PatternAdded
        | D::MaximumAdded
        | D::MinimumAdded
        | D::ExclusiveMaximumAdded
        | D::ExclusiveMinimumAdded
        | D::MultipleOfAdded
        | D::MaxPropertiesAdded
        | D::MinPropertiesAdded
        | D::MaxItemsAdded
        | D::MinItemsAdded
        | D::MaxContainsAdded
        | D::MinContainsAdded
        | D::UniqueItemsAdded
        | D::DependencyArrayAdded
        | D::DependencySchemaAdded => format!(
            "The {{r}} schema has the constraint \"{keyword}\", which the {{w}} schema does not, so {{w}} \
             values may be rejected. Drop the constraint, or put the constrained value in a new property."
        ),
        D::MaxLengthDecreased
        | D::MinLengthIncreased
        | D::MaximumDecreased
        | D::MinimumIncreased
        | D::ExclusiveMaximumDecreased
        | D::ExclusiveMinimumIncreased
        | D::MaxPropertiesDecreased
        | D::MinPropertiesIncreased
        | D::MaxItemsDecreased
        | D::MinItemsIncreased
        | D::MaxContainsDecreased
        | D::MinContainsIncreased => format!(
            "\"{keyword}\" is stricter in the {{r}} schema than in the {{w}} schema, so some {{w}} values are \
             rejected. Use the same limit in both, or make the {{r}} one looser."
        ),
        D::PatternChanged => "\"pattern\" differs, so strings matching the {w} pattern may not match the {r} \
             one. Use the same pattern in both, or drop it."
            .to_owned(),
        D::MultipleOfExpanded | D::MultipleOfChanged => {
            "\"multipleOf\" differs so that some multiples the {w} schema allows are rejected by the {r} \
             schema. Make the {r} value a divisor of the {w} one, or drop \"multipleOf\"."
                .to_owned()
        }
        D::DependencyArrayExtended | D::DependencyArrayChanged => format!(
            "The dependency of property '{keyword}' requires properties in the {{r}} schema that the {{w}} \
             schema does not require, so {{w}} documents may be rejected. Require only what both require."
        ),
        D::EnumArrayNarrowed => "The {r} schema's enum lacks values the {w} schema allows, so {w} documents \
             holding them are rejected. Keep every {w} value; adding values is safe for BACKWARD."
            .to_owned(),
        D::EnumArrayChanged => "The allowed values (\"enum\"/\"const\") differ, so {w} values may be \
             rejected by the {r} schema. Keep every {w} value."
            .to_owned(),
        D::CombinedTypeChanged => format!(
            "The combinator differs ({}), which changes which values are accepted. Keep it, or use anyOf, \
             which accepts the most.",
            diff.detail.as_deref().unwrap_or("allOf/anyOf/oneOf")
        ),
        D::ProductTypeExtended => "The {r} schema has an allOf branch the {w} schema does not; every branch \
             must match, so {w} values may be rejected. Drop the branch."
            .to_owned(),
        D::SumTypeNarrowed => "The {r} schema offers fewer alternatives (anyOf/oneOf branches or types) than \
             the {w} schema, so {w} values of a missing alternative are rejected. Keep every alternative."
            .to_owned(),
        D::CombinedTypeSubschemasChanged => format!(
            "The alternatives cannot be paired one-to-one with compatible ones in the {{r}} schema: {}. Keep \
             each {{w}} alternative, changed only in compatible ways.",
            diff.detail.as_deref().unwrap_or("a branch changed incompatibly")
        ),
        D::NotTypeExtended => "The schema under \"not\" accepts more in the {r} schema, so it excludes values \
             the {w} schema allowed. Keep the \"not\" schema, or make it narrower."
            .to_owned(),
        other => format!(
            "{} makes documents valid under the {{w}} schema unreadable with the {{r}} schema.",
            other.name()
        ),
    };
    text.replace("{w}", sides.writer)
        .replace("{r}", sides.reader)
        .replace("{p}", p)
}

/// The keyword a difference is about: the last segment of its path.
fn keyword_of(diff: &Diff) -> &str {
    let path = if diff.update.is_empty() {
        &diff.original
    } else {
        &diff.update
    };
    path.rsplit('/')
        .next()
        .filter(|s| !s.is_empty())
        .unwrap_or("schema")
}

/// `key: REASONS` details carry the property name first.
fn key_of(detail: &str) -> &str {
    detail.split_once(": ").map_or(detail, |(k, _)| k)
}

fn reasons_of(detail: &str) -> &str {
    detail
        .split_once(": ")
        .map_or("its schema differs", |(_, r)| r)
}
