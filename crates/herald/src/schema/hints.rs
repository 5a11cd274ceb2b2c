//! A one-line hint per finding kind: what to change so the check passes.

use herald_schema::{Direction, Finding, FindingKind};

/// How to fix `finding`, in one sentence.
pub(crate) fn hint(finding: &Finding) -> &'static str {
    let name = finding.kind.name();
    let backward = finding.direction == Direction::Backward;
    match &finding.kind {
        FindingKind::SchemaTypeMismatch => {
            "a subject keeps one format: register the new format under a new subject"
        }
        FindingKind::Avro(_) => avro_hint(name, backward),
        _ => json_hint(name),
    }
}

fn avro_hint(name: &str, backward: bool) -> &'static str {
    match name {
        "READER_FIELD_MISSING_DEFAULT_VALUE" if backward => {
            "give the new field a default (for an optional value: \"type\": [\"null\", …], \"default\": null)"
        }
        "READER_FIELD_MISSING_DEFAULT_VALUE" => {
            "keep the field: old readers need it and have no default for it (or first release a version that gives it a default)"
        }
        "TYPE_MISMATCH" => {
            "keep the old type (Avro only promotes int→long→float→double and string↔bytes); add a new field for the new type instead"
        }
        "MISSING_ENUM_SYMBOLS" => {
            "keep every enum symbol, or give the reading enum a \"default\" symbol for the ones it does not know"
        }
        "MISSING_UNION_BRANCH" => "keep every union branch that the other side can write",
        "NAME_MISMATCH" => {
            "keep the type's name and namespace, or list the old full name in \"aliases\""
        }
        "FIXED_SIZE_MISMATCH" => "a fixed type's size cannot change: add a new field instead",
        "AMBIGUOUS_FIELD_ALIAS" => "make each alias match exactly one field of the other schema",
        "LOGICAL_TYPE_CHANGED" => {
            "data still decodes, but its meaning changed: prefer a new field with the new logical type"
        }
        _ => "keep data written with one version readable by the other",
    }
}

fn json_hint(name: &str) -> &'static str {
    if name.contains("REQUIRED") && name.contains("ADDED") {
        "make the property optional (leave it out of \"required\") so documents without it stay valid"
    } else if name.contains("REMOVED_FROM_CLOSED_CONTENT_MODEL")
        || name.contains("REMOVED_NOT_COVERED")
    {
        "keep the property (mark it deprecated in its description) instead of removing it"
    } else if name.contains("ADDED_TO_OPEN_CONTENT_MODEL") || name.contains("ADDED_NOT_COVERED") {
        "an open model may already carry this property with any value: close the model (\"additionalProperties\": false) or use the LENIENT policy"
    } else if name.contains("ADDED_TO_CLOSED_CONTENT_MODEL") {
        "a closed model rejects the new item for old readers: open the model or keep the change out"
    } else if name.starts_with("TYPE_") || name.starts_with("COMBINED_TYPE") {
        "keep the property's type; add a new property for the new type"
    } else if name.ends_with("_NARROWED")
        || name.ends_with("_DECREASED")
        || name.ends_with("_ADDED")
    {
        "relax the constraint: every document valid under the old schema must stay valid"
    } else {
        "keep every document valid under the old schema valid under the new one"
    }
}

#[cfg(test)]
mod tests {
    use herald_schema::{
        CheckOptions, CompatibilityLevel, NoReferences, Previous, Schema, SchemaType, check,
    };

    use super::*;

    fn findings(old: &str, new: &str, t: SchemaType, level: CompatibilityLevel) -> Vec<Finding> {
        let old = Schema::parse(t, old, &[], &NoReferences).unwrap();
        let new = Schema::parse(t, new, &[], &NoReferences).unwrap();
        check(
            level,
            &new,
            &[Previous {
                version: 1,
                schema: &old,
            }],
            &CheckOptions::default(),
        )
    }

    #[test]
    fn every_reported_kind_gets_a_specific_hint() {
        let old = r#"{"type":"record","name":"R","fields":[{"name":"a","type":"int"}]}"#;
        let new = r#"{"type":"record","name":"R","fields":[{"name":"a","type":"int"},{"name":"b","type":"string"}]}"#;
        let f = findings(old, new, SchemaType::Avro, CompatibilityLevel::Backward);
        assert_eq!(f[0].kind.name(), "READER_FIELD_MISSING_DEFAULT_VALUE");
        assert!(hint(&f[0]).contains("default"), "{}", hint(&f[0]));
        let f = findings(new, old, SchemaType::Avro, CompatibilityLevel::Forward);
        assert!(hint(&f[0]).starts_with("keep the field"), "{}", hint(&f[0]));

        let old = r#"{"type":"object","properties":{"a":{"type":"string"}}}"#;
        let new = r#"{"type":"object","properties":{"a":{"type":"string"}},"required":["a"]}"#;
        let f = findings(old, new, SchemaType::Json, CompatibilityLevel::Backward);
        assert!(!f.is_empty());
        assert!(
            hint(&f[0]).contains("required"),
            "{}: {}",
            f[0].kind,
            hint(&f[0])
        );
    }
}
