//! Sentences for findings: what changed, why data breaks, how to fix it.
//!
//! The diff speaks of a "writer" schema (the one whose data must stay
//! readable) and a "reader" (the one that must read it): for BACKWARD the
//! writer is the old schema and the reader the new one, for FORWARD the other
//! way round. Locations are not repeated here: a finding carries both paths.

use super::diff::Diff;
use crate::json::JsonDifference as D;

/// Names the two sides of one comparison for a person.
pub(crate) struct Sides {
    pub writer: &'static str,
    pub reader: &'static str,
}

const OPEN_MODEL_EXPLAINED: &str = "A JSON object schema without \"additionalProperties\": false has an open content model: \
documents may carry keys it does not declare, with values of any type. So data written with the {w} schema may \
already contain a key named '{p}' holding anything, and the {r} schema, which now gives '{p}' a schema, would \
reject such data. Fixes: close the content model first (\"additionalProperties\": false, which itself needs a \
compatible step), declare a partially open model whose \"additionalProperties\" (or \"patternProperties\") schema \
the new property's schema accepts, or set the subject's compatibilityPolicy to LENIENT if producers never write \
undeclared keys.";

/// The message for a difference that breaks compatibility.
pub(crate) fn describe(diff: &Diff, sides: &Sides) -> String {
    let (w, r) = (sides.writer, sides.reader);
    let p = diff.detail.as_deref().unwrap_or("?");
    let keyword = keyword_of(diff);
    let text = match diff.kind {
        D::OptionalPropertyAddedToOpenContentModel => format!(
            "The {r} schema adds optional property '{p}' to an object with an open content model. {}",
            OPEN_MODEL_EXPLAINED
        ),
        D::RequiredPropertyWithDefaultAddedToOpenContentModel => format!(
            "The {r} schema adds required property '{p}' (with a default) to an object with an open content model. {}",
            OPEN_MODEL_EXPLAINED
        ),
        D::RequiredPropertyAddedToOpenContentModel | D::PropertyAddedToOpenContentModel => format!(
            "The {r} schema adds property '{p}' as required, but data written with the {w} schema does not \
             have it (and, the model being open, may hold '{p}' with any value). Add it as optional instead; \
             a required property with a \"default\" is accepted only in a closed content model \
             (\"additionalProperties\": false)."
        ),
        D::RequiredPropertyAddedToUnopenContentModel => format!(
            "The {r} schema adds required property '{p}', which data written with the {w} schema does not have. \
             Make it optional, or give it a \"default\"."
        ),
        D::RequiredAttributeAdded => format!(
            "Property '{p}' is required in the {r} schema but optional in the {w} schema, so {w} data without \
             it is rejected. Keep it optional, or give it a \"default\"."
        ),
        D::PropertyRemovedFromClosedContentModel => format!(
            "The {r} schema drops property '{p}' while its content model is closed (\"additionalProperties\": \
             false), so {w} data that has '{p}' is rejected. Keep the property (it may stay optional), or let \
             \"additionalProperties\" (or \"patternProperties\") accept its values."
        ),
        D::PropertyRemovedNotCoveredByPartiallyOpenContentModel => format!(
            "The {r} schema drops property '{}', and the schema its partially open content model gives \
             undeclared keys does not accept everything the {w} schema allowed for it ({}). Keep the \
             property, or widen \"additionalProperties\"/\"patternProperties\".",
            key_of(p),
            reasons_of(p)
        ),
        D::PropertyAddedNotCoveredByPartiallyOpenContentModel => format!(
            "The {r} schema adds property '{}', but the {w} schema's partially open content model let \
             undeclared keys of that name hold values the new property's schema rejects ({}). Make the new \
             property accept what \"additionalProperties\"/\"patternProperties\" allowed.",
            key_of(p),
            reasons_of(p)
        ),
        D::AdditionalPropertiesRemoved => format!(
            "The {r} schema forbids undeclared properties (\"additionalProperties\": false), which the {w} schema \
             allowed, so {w} data carrying extra keys is rejected. Keep the model open, or use the LENIENT \
             policy if producers never write undeclared keys."
        ),
        D::AdditionalPropertiesNarrowed => format!(
            "The {r} schema gives undeclared properties a schema (\"additionalProperties\"), while the {w} schema \
             allowed any value for them, so {w} data with extra keys may be rejected. Keep \"additionalProperties\" \
             absent or true, or use the LENIENT policy."
        ),
        D::UnevaluatedPropertiesRemoved | D::UnevaluatedPropertiesNarrowed => format!(
            "The {r} schema restricts unevaluated properties more than the {w} schema, so {w} data with extra \
             keys may be rejected. Keep \"unevaluatedProperties\" as it was, or use the LENIENT policy."
        ),
        D::AdditionalItemsRemoved
        | D::AdditionalItemsNarrowed
        | D::UnevaluatedItemsRemoved
        | D::UnevaluatedItemsNarrowed => format!(
            "The {r} schema restricts array items past the declared tuple more than the {w} schema, so longer \
             {w} arrays may be rejected. Keep the rule for additional items as it was."
        ),
        D::ItemAddedToOpenContentModel => format!(
            "The {r} schema adds a tuple position that the {w} schema left open (any value was allowed there), \
             so {w} arrays may hold values the new position rejects. Give the position a schema that accepts \
             anything, or close the tuple first (\"additionalItems\": false)."
        ),
        D::ItemRemovedFromClosedContentModel => format!(
            "The {r} schema drops a tuple position while forbidding additional items, so longer {w} arrays are \
             rejected. Keep the position, or allow additional items."
        ),
        D::ItemAddedNotCoveredByPartiallyOpenContentModel
        | D::ItemRemovedNotCoveredByPartiallyOpenContentModel => {
            format!(
                "A tuple position changed, and the schema for additional items does not accept what the {w} \
                 schema allowed there. Keep the tuple as it was, or widen the additional-items schema."
            )
        }
        D::TypeChanged => match &diff.detail {
            Some(d) => format!("The type changed: {d}."),
            None => format!(
                "The type differs between the {w} and the {r} schema, so values valid under the {w} schema are \
                 rejected by the {r} schema. Keep the type, or accept both (a type list such as \
                 [\"string\", \"null\"], or anyOf)."
            ),
        },
        D::TypeNarrowed => format!(
            "The {r} schema accepts only integers where the {w} schema accepted any number, so values such as \
             1.5 are rejected. Keep \"type\": \"number\"."
        ),
        D::SchemaAdded => format!(
            "The {r} schema adds a subschema (\"{keyword}\") that the {w} schema did not have, so {w} values \
             may be rejected. Remove it, or make it accept everything the {w} schema allowed."
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
        | D::DependencySchemaAdded => {
            format!(
                "The {r} schema adds the constraint \"{keyword}\", which the {w} schema did not have, so {w} \
                 values may be rejected. Drop the constraint, or put the constrained value in a new property."
            )
        }
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
            "\"{keyword}\" is stricter in the {r} schema than in the {w} schema, so some {w} values are \
             rejected. Keep the {w} limit, or loosen it."
        ),
        D::PatternChanged => format!(
            "\"pattern\" changed, so strings that matched the {w} pattern may not match the {r} one. Keep the \
             pattern, or make the {r} one accept everything the {w} one did and drop it from the check by \
             removing \"pattern\"."
        ),
        D::MultipleOfExpanded | D::MultipleOfChanged => format!(
            "\"multipleOf\" changed so that some multiples allowed by the {w} schema are rejected by the {r} \
             schema. Use a divisor of the {w} value, or remove \"multipleOf\"."
        ),
        D::DependencyArrayExtended | D::DependencyArrayChanged => format!(
            "A property dependency (\"{keyword}\") requires properties in the {r} schema that the {w} schema did \
             not require, so {w} data may be rejected. Keep the dependency as it was, or only remove names."
        ),
        D::EnumArrayNarrowed => format!(
            "The {r} schema's enum lacks values the {w} schema allowed, so {w} data holding them is rejected. \
             Keep every {w} value; adding values is safe."
        ),
        D::EnumArrayChanged => format!(
            "The allowed values (\"enum\"/\"const\") changed, so {w} values may be rejected by the {r} schema. \
             Only add values."
        ),
        D::CombinedTypeChanged => format!(
            "The combinator changed ({}), which changes which values are accepted. Keep it, or change to anyOf, \
             which accepts more.",
            diff.detail.as_deref().unwrap_or("allOf/anyOf/oneOf")
        ),
        D::ProductTypeExtended => format!(
            "The {r} schema adds an allOf branch: every branch must match, so {w} values may be rejected. Remove \
             the branch."
        ),
        D::SumTypeNarrowed => format!(
            "The {r} schema offers fewer alternatives (anyOf/oneOf branches or types) than the {w} schema, so \
             {w} values of a dropped alternative are rejected. Keep every alternative."
        ),
        D::CombinedTypeSubschemasChanged => format!(
            "The alternatives could not be paired one-to-one with compatible ones in the {r} schema: {}. Keep \
             each {w} alternative, changed only in compatible ways.",
            diff.detail
                .as_deref()
                .unwrap_or("a branch changed incompatibly")
        ),
        D::NotTypeExtended => format!(
            "The schema under \"not\" accepts more in the {r} schema, so it now excludes values the {w} schema \
             allowed. Keep the \"not\" schema, or narrow it."
        ),
        other => format!(
            "{} makes data valid under the {w} schema unreadable with the {r} schema.",
            other.name()
        ),
    };
    text.replace("{w}", w).replace("{r}", r).replace("{p}", p)
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
