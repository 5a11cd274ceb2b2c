//! `Schema::parse_stored`: schemas a registry already stored load even when
//! their field defaults would be refused for a new schema, and take part in
//! compatibility checks; every other rule still applies.

use herald_schema::{
    CheckOptions, CompatibilityLevel, MapResolver, NoReferences, Previous, Reference,
    ResolvedReference, Schema, SchemaType, check, is_compatible,
};

/// Defaults that Confluent registries stored before they validated them.
const STORED_DEFAULTS: &[(&str, &str)] = &[
    // A union default that matches a later branch (Avro 1.8 accepted it).
    (
        r#"{"type":"record","name":"R","fields":[{"name":"a","type":["null","string"],"default":"x"}]}"#,
        r#""default":"x""#,
    ),
    (
        r#"{"type":"record","name":"R","fields":[{"name":"a","type":"int","default":"seven"}]}"#,
        r#""default":"seven""#,
    ),
    (
        r#"{"type":"record","name":"R","fields":[{"name":"a","type":"long","default":1.5}]}"#,
        r#""default":1.5"#,
    ),
    (
        r#"{"type":"record","name":"R","fields":[{"name":"a","type":{"type":"array","items":"int"},"default":{}}]}"#,
        r#""default":{}"#,
    ),
];

fn strict(text: &str) -> Result<Schema, herald_schema::SchemaError> {
    Schema::parse(SchemaType::Avro, text, &[], &NoReferences)
}

fn stored(text: &str) -> Schema {
    Schema::parse_stored(SchemaType::Avro, text, &[], &NoReferences)
        .unwrap_or_else(|e| panic!("{text} should load as a stored schema: {e}"))
}

#[test]
fn stored_schemas_keep_defaults_that_new_ones_may_not_have() {
    for (text, default) in STORED_DEFAULTS {
        assert!(strict(text).is_err(), "{text} should be refused as new");
        let schema = stored(text);
        assert!(
            schema.canonical().contains(default),
            "{text}: {}",
            schema.canonical()
        );
        // The normalized form is computed too (lookups compare it).
        assert!(
            schema.normalized().contains("\"default\""),
            "{}",
            schema.normalized()
        );
    }
}

#[test]
fn other_rules_still_apply_to_stored_schemas() {
    for text in [
        r#"{"type":"record","name":"R","fields":[{"name":"a","type":"int"},{"name":"a","type":"long"}]}"#,
        r#"{"type":"record","name":"R","fields":[{"name":"a","type":"Nowhere"}]}"#,
        r#"{"type":"enum","name":"E","symbols":["A","A"]}"#,
        r#"{"type":"record","name":"9bad","fields":[]}"#,
    ] {
        assert!(
            Schema::parse_stored(SchemaType::Avro, text, &[], &NoReferences).is_err(),
            "{text} should be refused even as a stored schema"
        );
    }
    // Valid schemas parse to the same canonical text either way.
    let text = r#"{"type":"record","name":"R","fields":[{"name":"a","type":["null","string"],"default":null}]}"#;
    assert_eq!(strict(text).unwrap().canonical(), stored(text).canonical());
}

#[test]
fn stored_schemas_take_part_in_compatibility_checks() {
    let old = stored(STORED_DEFAULTS[0].0);
    // A new version adding a field with a valid default is BACKWARD compatible.
    let new = strict(
        r#"{"type":"record","name":"R","fields":[{"name":"a","type":["null","string"],"default":"x"},{"name":"b","type":"int","default":0}]}"#,
    );
    assert!(
        new.is_err(),
        "the same bad default is refused in a new schema"
    );
    let new = strict(
        r#"{"type":"record","name":"R","fields":[{"name":"a","type":["string","null"],"default":"x"},{"name":"b","type":"int","default":0}]}"#,
    )
    .unwrap();
    let previous = [Previous {
        version: 1,
        schema: &old,
    }];
    let findings = check(
        CompatibilityLevel::Full,
        &new,
        &previous,
        &CheckOptions::default(),
    );
    assert!(is_compatible(&findings), "{findings:?}");
    // A stored reader's field missing from the writer counts as defaulted.
    let writer = strict(r#"{"type":"record","name":"R","fields":[]}"#).unwrap();
    let findings = check(
        CompatibilityLevel::Backward,
        &old,
        &[Previous {
            version: 1,
            schema: &writer,
        }],
        &CheckOptions::default(),
    );
    assert!(is_compatible(&findings), "{findings:?}");
}

#[test]
fn referenced_stored_schemas_load_too() {
    let mut resolver = MapResolver::new();
    resolver.insert(
        "money",
        1,
        ResolvedReference {
            schema_type: SchemaType::Avro,
            text: r#"{"type":"record","name":"acme.Money","fields":[{"name":"cur","type":["null","string"],"default":"EUR"}]}"#.into(),
            references: vec![],
        },
    );
    let money = Reference {
        name: "acme.Money".into(),
        subject: "money".into(),
        version: 1,
    };
    let text =
        r#"{"type":"record","name":"Order","fields":[{"name":"price","type":"acme.Money"}]}"#;
    let refs = std::slice::from_ref(&money);
    assert!(Schema::parse(SchemaType::Avro, text, refs, &resolver).is_err());
    let schema = Schema::parse_stored(SchemaType::Avro, text, refs, &resolver).unwrap();
    assert_eq!(
        schema.canonical(),
        r#"{"type":"record","name":"Order","fields":[{"name":"price","type":"acme.Money"}]}"#
    );
}
