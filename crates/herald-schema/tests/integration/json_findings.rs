//! What a JSON Schema finding tells a person: the kind, both JSON pointers
//! mapped back to new/old per direction, the version, and a message that
//! explains the problem and the fix.

use herald_schema::json::{JsonDifference, JsonSchema};
use herald_schema::{
    CheckOptions, CompatibilityLevel, Direction, FindingKind, JsonCompatibilityPolicy,
    NoReferences, Previous, Schema, SchemaType, Severity, check,
};

fn parse(text: &str) -> Schema {
    Schema::parse(SchemaType::Json, text, &[], &NoReferences).unwrap()
}

fn json(schema: &Schema) -> &JsonSchema {
    match schema {
        Schema::Json(s) => s,
        other => panic!("{other:?}"),
    }
}

const OPEN_A: &str = r#"{"type":"object","properties":{"a":{"type":"string"}}}"#;
const OPEN_AB: &str =
    r#"{"type":"object","properties":{"a":{"type":"string"},"b":{"type":"integer"}}}"#;
const CLOSED_A: &str =
    r#"{"type":"object","properties":{"a":{"type":"string"}},"additionalProperties":false}"#;
const CLOSED_AB: &str = r#"{"type":"object","properties":{"a":{"type":"string"},"b":{"type":"integer"}},"additionalProperties":false}"#;

#[test]
fn open_content_model_finding_explains_the_model_and_the_fixes() {
    let (old, new) = (parse(OPEN_A), parse(OPEN_AB));
    let findings = check(
        CompatibilityLevel::Backward,
        &new,
        &[Previous {
            version: 7,
            schema: &old,
        }],
        &CheckOptions::default(),
    );
    assert_eq!(findings.len(), 1, "{findings:?}");
    let f = &findings[0];
    assert_eq!(
        f.kind,
        FindingKind::Json(JsonDifference::OptionalPropertyAddedToOpenContentModel)
    );
    assert_eq!(
        f.kind.rule_id(),
        "json/OPTIONAL_PROPERTY_ADDED_TO_OPEN_CONTENT_MODEL"
    );
    assert_eq!(f.severity, Severity::Error);
    assert_eq!(f.direction, Direction::Backward);
    assert_eq!(f.version, Some(7));
    assert_eq!(
        (f.new_path.as_str(), f.old_path.as_str()),
        ("/properties/b", "/properties/b")
    );
    for needle in [
        "'b'",
        "open content model",
        "\"additionalProperties\": false",
        "partially open",
        "LENIENT",
        "old schema",
        "new schema",
    ] {
        assert!(
            f.message.contains(needle),
            "message lacks {needle:?}: {}",
            f.message
        );
    }
    let shown = f.to_string();
    assert!(
        shown.starts_with(
            "OPTIONAL_PROPERTY_ADDED_TO_OPEN_CONTENT_MODEL (against version 7) at /properties/b"
        ),
        "{shown}"
    );
}

#[test]
fn forward_findings_name_the_new_schema_as_the_writer() {
    let (old, new) = (parse(CLOSED_A), parse(CLOSED_AB));
    let findings = herald_schema::json::compat::check(
        json(&new),
        json(&old),
        Direction::Forward,
        JsonCompatibilityPolicy::Strict,
    );
    assert_eq!(findings.len(), 1, "{findings:?}");
    let f = &findings[0];
    assert_eq!(
        f.kind,
        FindingKind::Json(JsonDifference::PropertyRemovedFromClosedContentModel)
    );
    assert_eq!(f.direction, Direction::Forward);
    assert_eq!(f.version, None);
    assert!(
        f.message
            .starts_with("The new schema declares property 'b', but the old schema does not"),
        "{}",
        f.message
    );
    // The same change is fine BACKWARD.
    assert!(
        herald_schema::json::compat::check(
            json(&new),
            json(&old),
            Direction::Backward,
            JsonCompatibilityPolicy::Strict
        )
        .is_empty()
    );
}

#[test]
fn paths_follow_each_side_when_documents_differ_in_shape() {
    // The old schema inlines the type, the new one moves it behind a $ref and
    // narrows it: the pointers name the property on both sides.
    let old = parse(r#"{"type":"object","properties":{"n":{"type":"number"}}}"#);
    let new = parse(
        r##"{"type":"object","properties":{"n":{"$ref":"#/definitions/N"}},"definitions":{"N":{"type":"integer"}}}"##,
    );
    let findings = check(
        CompatibilityLevel::Backward,
        &new,
        &[Previous {
            version: 1,
            schema: &old,
        }],
        &CheckOptions::default(),
    );
    assert_eq!(findings.len(), 1, "{findings:?}");
    assert_eq!(findings[0].kind.name(), "TYPE_NARROWED");
    assert_eq!(findings[0].new_path, "/properties/n");
    assert_eq!(findings[0].old_path, "/properties/n");

    // Branch pointers come from each side's own combinator.
    let old = parse(
        r#"{"oneOf":[{"type":"string"},{"type":"object","properties":{"x":{"type":"integer"}}}]}"#,
    );
    let new = parse(
        r#"{"oneOf":[{"type":"object","properties":{"x":{"type":"number"}}},{"type":"string"}]}"#,
    );
    let all =
        herald_schema::json::compat::diff(json(&old), json(&new), JsonCompatibilityPolicy::Strict);
    assert!(
        all.contains(&(
            JsonDifference::TypeExtended,
            "/oneOf/1/properties/x".into(),
            "/oneOf/0/properties/x".into()
        )),
        "{all:?}"
    );
}

#[test]
fn diff_lists_compatible_differences_too() {
    let old = parse(r#"{"title":"A","type":"string","maxLength":5}"#);
    let new = parse(r#"{"title":"B","type":"string","maxLength":9}"#);
    let all =
        herald_schema::json::compat::diff(json(&old), json(&new), JsonCompatibilityPolicy::Strict);
    let kinds: Vec<JsonDifference> = all.iter().map(|d| d.0).collect();
    assert_eq!(
        kinds,
        [
            JsonDifference::TitleChanged,
            JsonDifference::MaxLengthIncreased
        ]
    );
    assert!(
        kinds
            .iter()
            .all(|k| k.is_compatible(JsonCompatibilityPolicy::Strict))
    );
    assert!(
        check(
            CompatibilityLevel::Backward,
            &new,
            &[Previous {
                version: 1,
                schema: &old
            }],
            &CheckOptions::default()
        )
        .is_empty()
    );
}

#[test]
fn not_covered_finding_names_the_property_and_the_reason() {
    let old = parse(
        r#"{"type":"object","properties":{"a":{"type":"string"}},"additionalProperties":{"type":"string"}}"#,
    );
    let new = parse(
        r#"{"type":"object","properties":{"a":{"type":"string"},"qty":{"type":"integer"}},"additionalProperties":{"type":"string"}}"#,
    );
    let findings = check(
        CompatibilityLevel::Backward,
        &new,
        &[Previous {
            version: 1,
            schema: &old,
        }],
        &CheckOptions::default(),
    );
    assert_eq!(findings.len(), 1, "{findings:?}");
    assert_eq!(findings[0].new_path, "/properties/qty");
    assert_eq!(findings[0].old_path, "/additionalProperties");
    assert!(
        findings[0].message.contains("'qty'"),
        "{}",
        findings[0].message
    );
    assert!(
        findings[0].message.contains("TYPE_CHANGED"),
        "{}",
        findings[0].message
    );
}
