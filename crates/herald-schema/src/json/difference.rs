//! The kinds of difference the JSON Schema diff reports, named exactly as
//! Confluent's `Difference.Type`, and which of them each policy allows.

use crate::JsonCompatibilityPolicy;

macro_rules! differences {
    ($( $(#[doc = $doc:literal])* $variant:ident = $name:literal, )*) => {
        /// One kind of change between two JSON Schemas, as Confluent's diff
        /// names it. "Original" is the schema whose data must stay readable,
        /// "update" the schema that reads it.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        #[non_exhaustive]
        pub enum JsonDifference {
            $( $(#[doc = $doc])* $variant, )*
        }

        impl JsonDifference {
            /// Every kind, in Confluent's declaration order.
            pub const ALL: &'static [JsonDifference] = &[$(JsonDifference::$variant,)*];

            /// The Confluent name (`OPTIONAL_PROPERTY_ADDED_TO_OPEN_CONTENT_MODEL`).
            pub fn name(&self) -> &'static str {
                match self {
                    $(JsonDifference::$variant => $name,)*
                }
            }
        }
    };
}

differences! {
    /// `$id` (or `id`) changed.
    IdChanged = "ID_CHANGED",
    /// `description` changed.
    DescriptionChanged = "DESCRIPTION_CHANGED",
    /// `title` changed.
    TitleChanged = "TITLE_CHANGED",
    /// `default` changed.
    DefaultChanged = "DEFAULT_CHANGED",
    /// A subschema (such as `items`) appeared where there was none.
    SchemaAdded = "SCHEMA_ADDED",
    /// A subschema (such as `items`) was dropped.
    SchemaRemoved = "SCHEMA_REMOVED",
    /// The type widened (`integer` to `number`).
    TypeExtended = "TYPE_EXTENDED",
    /// The type narrowed (`number` to `integer`).
    TypeNarrowed = "TYPE_NARROWED",
    /// The type changed to an unrelated one.
    TypeChanged = "TYPE_CHANGED",
    /// `maxLength` added.
    MaxLengthAdded = "MAX_LENGTH_ADDED",
    /// `maxLength` removed.
    MaxLengthRemoved = "MAX_LENGTH_REMOVED",
    /// `maxLength` increased.
    MaxLengthIncreased = "MAX_LENGTH_INCREASED",
    /// `maxLength` decreased.
    MaxLengthDecreased = "MAX_LENGTH_DECREASED",
    /// `minLength` added.
    MinLengthAdded = "MIN_LENGTH_ADDED",
    /// `minLength` removed.
    MinLengthRemoved = "MIN_LENGTH_REMOVED",
    /// `minLength` increased.
    MinLengthIncreased = "MIN_LENGTH_INCREASED",
    /// `minLength` decreased.
    MinLengthDecreased = "MIN_LENGTH_DECREASED",
    /// `pattern` added.
    PatternAdded = "PATTERN_ADDED",
    /// `pattern` removed.
    PatternRemoved = "PATTERN_REMOVED",
    /// `pattern` changed.
    PatternChanged = "PATTERN_CHANGED",
    /// `maximum` added.
    MaximumAdded = "MAXIMUM_ADDED",
    /// `maximum` removed.
    MaximumRemoved = "MAXIMUM_REMOVED",
    /// `maximum` increased.
    MaximumIncreased = "MAXIMUM_INCREASED",
    /// `maximum` decreased.
    MaximumDecreased = "MAXIMUM_DECREASED",
    /// `minimum` added.
    MinimumAdded = "MINIMUM_ADDED",
    /// `minimum` removed.
    MinimumRemoved = "MINIMUM_REMOVED",
    /// `minimum` increased.
    MinimumIncreased = "MINIMUM_INCREASED",
    /// `minimum` decreased.
    MinimumDecreased = "MINIMUM_DECREASED",
    /// `exclusiveMaximum` added.
    ExclusiveMaximumAdded = "EXCLUSIVE_MAXIMUM_ADDED",
    /// `exclusiveMaximum` removed.
    ExclusiveMaximumRemoved = "EXCLUSIVE_MAXIMUM_REMOVED",
    /// `exclusiveMaximum` increased.
    ExclusiveMaximumIncreased = "EXCLUSIVE_MAXIMUM_INCREASED",
    /// `exclusiveMaximum` decreased.
    ExclusiveMaximumDecreased = "EXCLUSIVE_MAXIMUM_DECREASED",
    /// `exclusiveMinimum` added.
    ExclusiveMinimumAdded = "EXCLUSIVE_MINIMUM_ADDED",
    /// `exclusiveMinimum` removed.
    ExclusiveMinimumRemoved = "EXCLUSIVE_MINIMUM_REMOVED",
    /// `exclusiveMinimum` increased.
    ExclusiveMinimumIncreased = "EXCLUSIVE_MINIMUM_INCREASED",
    /// `exclusiveMinimum` decreased.
    ExclusiveMinimumDecreased = "EXCLUSIVE_MINIMUM_DECREASED",
    /// `multipleOf` added.
    MultipleOfAdded = "MULTIPLE_OF_ADDED",
    /// `multipleOf` removed.
    MultipleOfRemoved = "MULTIPLE_OF_REMOVED",
    /// `multipleOf` became a multiple of the old value (stricter).
    MultipleOfExpanded = "MULTIPLE_OF_EXPANDED",
    /// `multipleOf` became a divisor of the old value (looser).
    MultipleOfReduced = "MULTIPLE_OF_REDUCED",
    /// `multipleOf` changed to an unrelated value.
    MultipleOfChanged = "MULTIPLE_OF_CHANGED",
    /// An existing property became required.
    RequiredAttributeAdded = "REQUIRED_ATTRIBUTE_ADDED",
    /// An existing property with a `default` became required.
    RequiredAttributeWithDefaultAdded = "REQUIRED_ATTRIBUTE_WITH_DEFAULT_ADDED",
    /// A property is no longer required.
    RequiredAttributeRemoved = "REQUIRED_ATTRIBUTE_REMOVED",
    /// `maxProperties` added.
    MaxPropertiesAdded = "MAX_PROPERTIES_ADDED",
    /// `maxProperties` removed.
    MaxPropertiesRemoved = "MAX_PROPERTIES_REMOVED",
    /// `maxProperties` increased.
    MaxPropertiesIncreased = "MAX_PROPERTIES_INCREASED",
    /// `maxProperties` decreased.
    MaxPropertiesDecreased = "MAX_PROPERTIES_DECREASED",
    /// `minProperties` added.
    MinPropertiesAdded = "MIN_PROPERTIES_ADDED",
    /// `minProperties` removed.
    MinPropertiesRemoved = "MIN_PROPERTIES_REMOVED",
    /// `minProperties` increased.
    MinPropertiesIncreased = "MIN_PROPERTIES_INCREASED",
    /// `minProperties` decreased.
    MinPropertiesDecreased = "MIN_PROPERTIES_DECREASED",
    /// Undeclared properties became allowed (`additionalProperties: false` dropped).
    AdditionalPropertiesAdded = "ADDITIONAL_PROPERTIES_ADDED",
    /// Undeclared properties became forbidden (`additionalProperties: false` added).
    AdditionalPropertiesRemoved = "ADDITIONAL_PROPERTIES_REMOVED",
    /// The `additionalProperties` schema was dropped, allowing any value.
    AdditionalPropertiesExtended = "ADDITIONAL_PROPERTIES_EXTENDED",
    /// An `additionalProperties` schema now restricts values that were free.
    AdditionalPropertiesNarrowed = "ADDITIONAL_PROPERTIES_NARROWED",
    /// A property dependency (`dependencies`/`dependentRequired`) was added.
    DependencyArrayAdded = "DEPENDENCY_ARRAY_ADDED",
    /// A property dependency was removed.
    DependencyArrayRemoved = "DEPENDENCY_ARRAY_REMOVED",
    /// A property dependency names more properties.
    DependencyArrayExtended = "DEPENDENCY_ARRAY_EXTENDED",
    /// A property dependency names fewer properties.
    DependencyArrayNarrowed = "DEPENDENCY_ARRAY_NARROWED",
    /// A property dependency names different properties.
    DependencyArrayChanged = "DEPENDENCY_ARRAY_CHANGED",
    /// A schema dependency (`dependencies`/`dependentSchemas`) was added.
    DependencySchemaAdded = "DEPENDENCY_SCHEMA_ADDED",
    /// A schema dependency was removed.
    DependencySchemaRemoved = "DEPENDENCY_SCHEMA_REMOVED",
    /// A property was added to an open content model (deprecated by Confluent; never reported).
    PropertyAddedToOpenContentModel = "PROPERTY_ADDED_TO_OPEN_CONTENT_MODEL",
    /// A required property was added to an open content model.
    RequiredPropertyAddedToOpenContentModel = "REQUIRED_PROPERTY_ADDED_TO_OPEN_CONTENT_MODEL",
    /// A required property with a `default` was added to an open content model.
    RequiredPropertyWithDefaultAddedToOpenContentModel =
        "REQUIRED_PROPERTY_WITH_DEFAULT_ADDED_TO_OPEN_CONTENT_MODEL",
    /// An optional property was added to an open content model.
    OptionalPropertyAddedToOpenContentModel = "OPTIONAL_PROPERTY_ADDED_TO_OPEN_CONTENT_MODEL",
    /// A property whose schema accepts anything was added to an open content model.
    PropertyWithEmptySchemaAddedToOpenContentModel =
        "PROPERTY_WITH_EMPTY_SCHEMA_ADDED_TO_OPEN_CONTENT_MODEL",
    /// A required property was added to a closed or partially open content model.
    RequiredPropertyAddedToUnopenContentModel = "REQUIRED_PROPERTY_ADDED_TO_UNOPEN_CONTENT_MODEL",
    /// A required property with a `default` was added to a closed or partially open model.
    RequiredPropertyWithDefaultAddedToUnopenContentModel =
        "REQUIRED_PROPERTY_WITH_DEFAULT_ADDED_TO_UNOPEN_CONTENT_MODEL",
    /// An optional property was added to a closed or partially open content model.
    OptionalPropertyAddedToUnopenContentModel = "OPTIONAL_PROPERTY_ADDED_TO_UNOPEN_CONTENT_MODEL",
    /// A property was removed from a model that stays open.
    PropertyRemovedFromOpenContentModel = "PROPERTY_REMOVED_FROM_OPEN_CONTENT_MODEL",
    /// A property whose schema was `false` was removed from a closed model.
    PropertyWithFalseRemovedFromClosedContentModel =
        "PROPERTY_WITH_FALSE_REMOVED_FROM_CLOSED_CONTENT_MODEL",
    /// A property was removed from a closed content model.
    PropertyRemovedFromClosedContentModel = "PROPERTY_REMOVED_FROM_CLOSED_CONTENT_MODEL",
    /// A removed property is still accepted by the partially open model.
    PropertyRemovedIsCoveredByPartiallyOpenContentModel =
        "PROPERTY_REMOVED_IS_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL",
    /// A removed property is not accepted by the partially open model.
    PropertyRemovedNotCoveredByPartiallyOpenContentModel =
        "PROPERTY_REMOVED_NOT_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL",
    /// An added property narrows nothing the partially open model allowed.
    PropertyAddedIsCoveredByPartiallyOpenContentModel =
        "PROPERTY_ADDED_IS_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL",
    /// An added property rejects values the partially open model allowed.
    PropertyAddedNotCoveredByPartiallyOpenContentModel =
        "PROPERTY_ADDED_NOT_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL",
    /// A reserved property (subject metadata) was removed.
    ReservedPropertyRemoved = "RESERVED_PROPERTY_REMOVED",
    /// A property conflicts with a reserved property (subject metadata).
    ReservedPropertyConflictsWithProperty = "RESERVED_PROPERTY_CONFLICTS_WITH_PROPERTY",
    /// `unevaluatedProperties: false` was dropped.
    UnevaluatedPropertiesAdded = "UNEVALUATED_PROPERTIES_ADDED",
    /// `unevaluatedProperties: false` was added.
    UnevaluatedPropertiesRemoved = "UNEVALUATED_PROPERTIES_REMOVED",
    /// The `unevaluatedProperties` schema was dropped.
    UnevaluatedPropertiesExtended = "UNEVALUATED_PROPERTIES_EXTENDED",
    /// An `unevaluatedProperties` schema now restricts values that were free.
    UnevaluatedPropertiesNarrowed = "UNEVALUATED_PROPERTIES_NARROWED",
    /// `maxItems` added.
    MaxItemsAdded = "MAX_ITEMS_ADDED",
    /// `maxItems` removed.
    MaxItemsRemoved = "MAX_ITEMS_REMOVED",
    /// `maxItems` increased.
    MaxItemsIncreased = "MAX_ITEMS_INCREASED",
    /// `maxItems` decreased.
    MaxItemsDecreased = "MAX_ITEMS_DECREASED",
    /// `minItems` added.
    MinItemsAdded = "MIN_ITEMS_ADDED",
    /// `minItems` removed.
    MinItemsRemoved = "MIN_ITEMS_REMOVED",
    /// `minItems` increased.
    MinItemsIncreased = "MIN_ITEMS_INCREASED",
    /// `minItems` decreased.
    MinItemsDecreased = "MIN_ITEMS_DECREASED",
    /// `maxContains` added.
    MaxContainsAdded = "MAX_CONTAINS_ADDED",
    /// `maxContains` removed.
    MaxContainsRemoved = "MAX_CONTAINS_REMOVED",
    /// `maxContains` increased.
    MaxContainsIncreased = "MAX_CONTAINS_INCREASED",
    /// `maxContains` decreased.
    MaxContainsDecreased = "MAX_CONTAINS_DECREASED",
    /// `minContains` added.
    MinContainsAdded = "MIN_CONTAINS_ADDED",
    /// `minContains` removed.
    MinContainsRemoved = "MIN_CONTAINS_REMOVED",
    /// `minContains` increased.
    MinContainsIncreased = "MIN_CONTAINS_INCREASED",
    /// `minContains` decreased.
    MinContainsDecreased = "MIN_CONTAINS_DECREASED",
    /// `uniqueItems: true` added.
    UniqueItemsAdded = "UNIQUE_ITEMS_ADDED",
    /// `uniqueItems: true` removed.
    UniqueItemsRemoved = "UNIQUE_ITEMS_REMOVED",
    /// Items past the tuple became allowed (`additionalItems: false` dropped).
    AdditionalItemsAdded = "ADDITIONAL_ITEMS_ADDED",
    /// Items past the tuple became forbidden.
    AdditionalItemsRemoved = "ADDITIONAL_ITEMS_REMOVED",
    /// The schema for items past the tuple was dropped.
    AdditionalItemsExtended = "ADDITIONAL_ITEMS_EXTENDED",
    /// A schema now restricts items past the tuple that were free.
    AdditionalItemsNarrowed = "ADDITIONAL_ITEMS_NARROWED",
    /// `unevaluatedItems: false` was dropped.
    UnevaluatedItemsAdded = "UNEVALUATED_ITEMS_ADDED",
    /// `unevaluatedItems: false` was added.
    UnevaluatedItemsRemoved = "UNEVALUATED_ITEMS_REMOVED",
    /// The `unevaluatedItems` schema was dropped.
    UnevaluatedItemsExtended = "UNEVALUATED_ITEMS_EXTENDED",
    /// An `unevaluatedItems` schema now restricts items that were free.
    UnevaluatedItemsNarrowed = "UNEVALUATED_ITEMS_NARROWED",
    /// A tuple item was added to an open content model.
    ItemAddedToOpenContentModel = "ITEM_ADDED_TO_OPEN_CONTENT_MODEL",
    /// A tuple item accepting anything was added to an open content model.
    ItemWithEmptySchemaAddedToOpenContentModel = "ITEM_WITH_EMPTY_SCHEMA_ADDED_TO_OPEN_CONTENT_MODEL",
    /// A tuple item was added to a closed content model.
    ItemAddedToClosedContentModel = "ITEM_ADDED_TO_CLOSED_CONTENT_MODEL",
    /// A tuple item was removed from a model that stays open.
    ItemRemovedFromOpenContentModel = "ITEM_REMOVED_FROM_OPEN_CONTENT_MODEL",
    /// A tuple item whose schema was `false` was removed from a closed model.
    ItemWithFalseRemovedFromClosedContentModel = "ITEM_WITH_FALSE_REMOVED_FROM_CLOSED_CONTENT_MODEL",
    /// A tuple item was removed from a closed content model.
    ItemRemovedFromClosedContentModel = "ITEM_REMOVED_FROM_CLOSED_CONTENT_MODEL",
    /// A removed tuple item is still accepted by the partially open model.
    ItemRemovedIsCoveredByPartiallyOpenContentModel =
        "ITEM_REMOVED_IS_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL",
    /// A removed tuple item is not accepted by the partially open model.
    ItemRemovedNotCoveredByPartiallyOpenContentModel =
        "ITEM_REMOVED_NOT_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL",
    /// An added tuple item narrows nothing the partially open model allowed.
    ItemAddedIsCoveredByPartiallyOpenContentModel =
        "ITEM_ADDED_IS_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL",
    /// An added tuple item rejects values the partially open model allowed.
    ItemAddedNotCoveredByPartiallyOpenContentModel =
        "ITEM_ADDED_NOT_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL",
    /// `enum` gained values.
    EnumArrayExtended = "ENUM_ARRAY_EXTENDED",
    /// `enum` lost values.
    EnumArrayNarrowed = "ENUM_ARRAY_NARROWED",
    /// `enum` (or `const`) changed otherwise.
    EnumArrayChanged = "ENUM_ARRAY_CHANGED",
    /// The combinator became more permissive (to `anyOf`).
    CombinedTypeExtended = "COMBINED_TYPE_EXTENDED",
    /// The combinator changed (`anyOf` to `oneOf`, …).
    CombinedTypeChanged = "COMBINED_TYPE_CHANGED",
    /// `allOf` gained branches.
    ProductTypeExtended = "PRODUCT_TYPE_EXTENDED",
    /// `allOf` lost branches.
    ProductTypeNarrowed = "PRODUCT_TYPE_NARROWED",
    /// `anyOf`/`oneOf` (or a type list) gained branches.
    SumTypeExtended = "SUM_TYPE_EXTENDED",
    /// `anyOf`/`oneOf` (or a type list) lost branches.
    SumTypeNarrowed = "SUM_TYPE_NARROWED",
    /// Branches of a combinator could not be paired with compatible ones.
    CombinedTypeSubschemasChanged = "COMBINED_TYPE_SUBSCHEMAS_CHANGED",
    /// The schema under `not` narrowed, so more values are allowed.
    NotTypeExtended = "NOT_TYPE_EXTENDED",
    /// The schema under `not` widened, so fewer values are allowed.
    NotTypeNarrowed = "NOT_TYPE_NARROWED",
}

impl JsonDifference {
    /// The kind with this Confluent name.
    pub fn from_name(name: &str) -> Option<JsonDifference> {
        JsonDifference::ALL
            .iter()
            .copied()
            .find(|d| d.name() == name)
    }

    /// Whether this kind of change keeps data readable under `policy`
    /// (Confluent's `COMPATIBLE_CHANGES_STRICT` / `_LENIENT` sets).
    pub fn is_compatible(self, policy: JsonCompatibilityPolicy) -> bool {
        self.is_compatible_strict()
            || (policy == JsonCompatibilityPolicy::Lenient && self.is_lenient_extra())
    }

    fn is_compatible_strict(self) -> bool {
        use JsonDifference::*;
        matches!(
            self,
            IdChanged
                | DescriptionChanged
                | TitleChanged
                | DefaultChanged
                | SchemaRemoved
                | TypeExtended
                | MaxLengthIncreased
                | MaxLengthRemoved
                | MinLengthDecreased
                | MinLengthRemoved
                | PatternRemoved
                | MaximumIncreased
                | MaximumRemoved
                | MinimumDecreased
                | MinimumRemoved
                | ExclusiveMaximumIncreased
                | ExclusiveMaximumRemoved
                | ExclusiveMinimumDecreased
                | ExclusiveMinimumRemoved
                | MultipleOfReduced
                | MultipleOfRemoved
                | RequiredAttributeWithDefaultAdded
                | RequiredAttributeRemoved
                | DependencyArrayNarrowed
                | DependencyArrayRemoved
                | DependencySchemaRemoved
                | MaxPropertiesIncreased
                | MaxPropertiesRemoved
                | MinPropertiesDecreased
                | MinPropertiesRemoved
                | AdditionalPropertiesAdded
                | AdditionalPropertiesExtended
                | UnevaluatedPropertiesAdded
                | UnevaluatedPropertiesExtended
                | PropertyWithEmptySchemaAddedToOpenContentModel
                | RequiredPropertyWithDefaultAddedToUnopenContentModel
                | OptionalPropertyAddedToUnopenContentModel
                | PropertyWithFalseRemovedFromClosedContentModel
                | PropertyRemovedFromOpenContentModel
                | PropertyAddedIsCoveredByPartiallyOpenContentModel
                | PropertyRemovedIsCoveredByPartiallyOpenContentModel
                | MaxItemsIncreased
                | MaxItemsRemoved
                | MinItemsDecreased
                | MinItemsRemoved
                | MaxContainsIncreased
                | MaxContainsRemoved
                | MinContainsDecreased
                | MinContainsRemoved
                | UniqueItemsRemoved
                | AdditionalItemsAdded
                | AdditionalItemsExtended
                | UnevaluatedItemsAdded
                | UnevaluatedItemsExtended
                | ItemWithEmptySchemaAddedToOpenContentModel
                | ItemAddedToClosedContentModel
                | ItemWithFalseRemovedFromClosedContentModel
                | ItemRemovedFromOpenContentModel
                | ItemAddedIsCoveredByPartiallyOpenContentModel
                | ItemRemovedIsCoveredByPartiallyOpenContentModel
                | EnumArrayExtended
                | CombinedTypeExtended
                | ProductTypeNarrowed
                | SumTypeExtended
                | NotTypeNarrowed
        )
    }

    /// What LENIENT additionally allows: it assumes documents never carry
    /// keys their schema does not declare.
    fn is_lenient_extra(self) -> bool {
        use JsonDifference::*;
        matches!(
            self,
            AdditionalPropertiesNarrowed
                | AdditionalPropertiesRemoved
                | UnevaluatedPropertiesNarrowed
                | UnevaluatedPropertiesRemoved
                | RequiredPropertyWithDefaultAddedToOpenContentModel
                | OptionalPropertyAddedToOpenContentModel
                | PropertyRemovedFromClosedContentModel
                | PropertyAddedNotCoveredByPartiallyOpenContentModel
                | PropertyRemovedNotCoveredByPartiallyOpenContentModel
        )
    }
}

impl std::fmt::Display for JsonDifference {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use JsonCompatibilityPolicy::{Lenient, Strict};

    #[test]
    fn names_are_unique_and_round_trip() {
        let mut names: Vec<&str> = JsonDifference::ALL.iter().map(|d| d.name()).collect();
        for d in JsonDifference::ALL {
            assert_eq!(JsonDifference::from_name(d.name()), Some(*d));
        }
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), JsonDifference::ALL.len());
        assert_eq!(JsonDifference::from_name("NOPE"), None);
    }

    #[test]
    fn lenient_is_a_superset_of_strict() {
        for d in JsonDifference::ALL {
            if d.is_compatible(Strict) {
                assert!(d.is_compatible(Lenient), "{d}");
            }
        }
        assert!(!JsonDifference::OptionalPropertyAddedToOpenContentModel.is_compatible(Strict));
        assert!(JsonDifference::OptionalPropertyAddedToOpenContentModel.is_compatible(Lenient));
        assert!(!JsonDifference::RequiredPropertyAddedToOpenContentModel.is_compatible(Lenient));
        assert!(!JsonDifference::TypeChanged.is_compatible(Lenient));
    }
}
