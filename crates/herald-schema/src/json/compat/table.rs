//! One pass over a schema object that finds every keyword the diff reads.
//!
//! Schema objects are small, and the diff asks each one for dozens of
//! keywords; matching every key once against a fixed table is several times
//! faster than hashing each keyword the diff asks for.

use serde_json::Value;

macro_rules! keywords {
    ($( $variant:ident = $name:literal, )*) => {
        /// The keywords the diff reads.
        #[derive(Clone, Copy, PartialEq, Eq, Debug)]
        pub(crate) enum Kw {
            $( $variant, )*
        }

        const COUNT: usize = [$( $name, )*].len();

        fn classify(key: &str) -> Option<Kw> {
            match key {
                $( $name => Some(Kw::$variant), )*
                _ => None,
            }
        }
    };
}

keywords! {
    Ref = "$ref",
    DynamicRef = "$dynamicRef",
    RecursiveRef = "$recursiveRef",
    AllOf = "allOf",
    AnyOf = "anyOf",
    OneOf = "oneOf",
    Not = "not",
    Const = "const",
    Enum = "enum",
    If = "if",
    Type = "type",
    Properties = "properties",
    Required = "required",
    AdditionalProperties = "additionalProperties",
    PatternProperties = "patternProperties",
    Dependencies = "dependencies",
    DependentRequired = "dependentRequired",
    DependentSchemas = "dependentSchemas",
    PropertyNames = "propertyNames",
    MinProperties = "minProperties",
    MaxProperties = "maxProperties",
    UnevaluatedProperties = "unevaluatedProperties",
    Items = "items",
    AdditionalItems = "additionalItems",
    PrefixItems = "prefixItems",
    Contains = "contains",
    MinItems = "minItems",
    MaxItems = "maxItems",
    UniqueItems = "uniqueItems",
    UnevaluatedItems = "unevaluatedItems",
    MinContains = "minContains",
    MaxContains = "maxContains",
    MinLength = "minLength",
    MaxLength = "maxLength",
    Pattern = "pattern",
    Format = "format",
    Minimum = "minimum",
    Maximum = "maximum",
    ExclusiveMinimum = "exclusiveMinimum",
    ExclusiveMaximum = "exclusiveMaximum",
    MultipleOf = "multipleOf",
    Id = "$id",
    LegacyId = "id",
    Title = "title",
    Description = "description",
    Default = "default",
    ConnectType = "connect.type",
}

/// The keywords of one schema object, found in a single pass.
pub(crate) struct Keywords<'r> {
    slots: [Option<&'r Value>; COUNT],
}

impl<'r> Keywords<'r> {
    /// Scans `value` (a schema object; anything else has no keywords).
    pub fn of(value: &'r Value) -> Self {
        let mut slots = [None; COUNT];
        if let Value::Object(map) = value {
            for (key, v) in map {
                if let Some(kw) = classify(key) {
                    slots[kw as usize] = Some(v);
                }
            }
        }
        Keywords { slots }
    }

    pub fn get(&self, kw: Kw) -> Option<&'r Value> {
        self.slots[kw as usize]
    }

    pub fn has(&self, kw: Kw) -> bool {
        self.get(kw).is_some()
    }

    pub fn number(&self, kw: Kw) -> Option<f64> {
        self.get(kw).and_then(Value::as_f64)
    }

    pub fn string(&self, kw: Kw) -> Option<&'r str> {
        self.get(kw).and_then(Value::as_str)
    }

    /// Whether any of `kws` is present.
    pub fn any(&self, kws: &[Kw]) -> bool {
        kws.iter().any(|k| self.has(*k))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn finds_keywords_in_one_pass() {
        let v = json!({"type": "string", "maxLength": 3, "x-custom": 1, "$ref": "#"});
        let k = Keywords::of(&v);
        assert_eq!(k.string(Kw::Type), Some("string"));
        assert_eq!(k.number(Kw::MaxLength), Some(3.0));
        assert_eq!(k.string(Kw::Ref), Some("#"));
        assert!(!k.has(Kw::MinLength));
        assert!(!Keywords::of(&json!(true)).has(Kw::Type));
    }
}
