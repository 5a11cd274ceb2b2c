//! Invalid Avro schemas are rejected with a JSON pointer and a reason.

use herald_schema::avro::AvroError;
use herald_schema::{
    MapResolver, NoReferences, Reference, ResolvedReference, Schema, SchemaError, SchemaType,
};

fn error_of(text: &str) -> AvroError {
    match Schema::parse(SchemaType::Avro, text, &[], &NoReferences) {
        Err(SchemaError::Avro(e)) => e,
        Err(other) => panic!("{text}: unexpected error kind {other:?}"),
        Ok(s) => panic!("{text} parsed, canonical {}", s.canonical()),
    }
}

/// (schema, pointer of the error, a phrase the reason must contain)
const INVALID: &[(&str, &str, &str)] = &[
    (
        r#"{"type":"record","name":"R","fields":[{"name":"a","type":"int"},{"name":"a","type":"long"}]}"#,
        "/fields/1/name",
        "duplicate field name",
    ),
    (
        r#"{"type":"record","name":"R","fields":[{"name":"a","type":"int"},{"name":"b","type":"int"},{"name":"c","type":"int","default":"x"}]}"#,
        "/fields/2/default",
        "not a valid int",
    ),
    (
        r#"{"type":"record","name":"R","fields":[{"name":"a","type":"int","default":2147483648}]}"#,
        "/fields/0/default",
        "not a valid int",
    ),
    (
        r#"{"type":"record","name":"R","fields":[{"name":"a","type":"long","default":1.5}]}"#,
        "/fields/0/default",
        "not a valid long",
    ),
    (
        r#"{"type":"record","name":"R","fields":[{"name":"a","type":["null","string"],"default":"x"}]}"#,
        "/fields/0/default",
        "first branch",
    ),
    (
        r#"{"type":"record","name":"R","fields":[{"name":"a","type":["string","null"],"default":null}]}"#,
        "/fields/0/default",
        "move that branch to the front",
    ),
    (
        r#"{"type":"record","name":"R","fields":[{"name":"a","type":"bytes","default":[1,2]}]}"#,
        "/fields/0/default",
        "bytes",
    ),
    (
        r#"{"type":"record","name":"R","fields":[{"name":"a","type":"bytes","default":"\u0100"}]}"#,
        "/fields/0/default",
        "U+00FF",
    ),
    (
        r#"{"type":"record","name":"R","fields":[{"name":"a","type":{"type":"fixed","name":"F","size":2},"default":"abc"}]}"#,
        "/fields/0/default",
        "exactly 2 bytes",
    ),
    (
        r#"{"type":"record","name":"R","fields":[{"name":"a","type":{"type":"enum","name":"E","symbols":["A"]},"default":"B"}]}"#,
        "/fields/0/default",
        "not a symbol",
    ),
    (
        r#"{"type":"record","name":"R","fields":[{"name":"a","type":{"type":"record","name":"S","fields":[{"name":"x","type":"int"}]},"default":"x"}]}"#,
        "/fields/0/default",
        "record S",
    ),
    (
        r#"{"type":"record","name":"R","fields":[{"name":"a","type":{"type":"record","name":"S","fields":[{"name":"x","type":"int"}]},"default":{}}]}"#,
        "/fields/0/default",
        "field \"x\"",
    ),
    (
        r#"{"type":"record","name":"R","fields":[{"name":"a","type":{"type":"array","items":"int"},"default":[1,"2"]}]}"#,
        "/fields/0/default",
        "element 1",
    ),
    (
        r#"{"type":"record","name":"R","fields":[{"name":"a","type":{"type":"map","values":"int"},"default":{"k":null}}]}"#,
        "/fields/0/default",
        "entry \"k\"",
    ),
    (
        r#"{"type":"record","name":"R","fields":[{"name":"a","type":"boolean","default":"true"}]}"#,
        "/fields/0/default",
        "boolean",
    ),
    (
        r#"{"type":"record","name":"R","fields":[{"name":"a","type":"double","default":"abc"}]}"#,
        "/fields/0/default",
        "not a number",
    ),
    (
        r#"{"type":"record","name":"R","fields":[{"name":"a","type":"null","default":0}]}"#,
        "/fields/0/default",
        "null",
    ),
    (
        r#"{"type":"record","name":"1R","fields":[]}"#,
        "/name",
        "not a valid Avro name",
    ),
    (
        r#"{"type":"record","name":"R","namespace":"a..b","fields":[]}"#,
        "/namespace",
        "namespace",
    ),
    (
        r#"{"type":"record","name":"R","namespace":7,"fields":[]}"#,
        "/namespace",
        "must be a string",
    ),
    (
        r#"{"type":"record","name":"R","fields":[{"name":"a-b","type":"int"}]}"#,
        "/fields/0/name",
        "field name",
    ),
    (
        r#"{"type":"record","name":"R","fields":[{"name":"a","type":"Missing"}]}"#,
        "/fields/0/type",
        "unknown type \"Missing\"",
    ),
    (
        r#"{"type":"record","name":"R","fields":[{"name":"a","type":{"type":"array","items":"bool"}}]}"#,
        "/fields/0/type/items",
        "did you mean \"boolean\"",
    ),
    (
        r#"{"type":"record","name":"n.R","fields":[{"name":"a","type":["null","Other"]}]}"#,
        "/fields/0/type/1",
        "looked up as \"n.Other\"",
    ),
    (
        r#"{"type":"record","name":"R","fields":[{"name":"a","type":"record"}]}"#,
        "/fields/0/type",
        "write it as an object",
    ),
    (
        r#"{"type":"record","name":"R","fields":[{"name":"a"}]}"#,
        "/fields/0",
        "needs a \"type\"",
    ),
    (
        r#"{"type":"record","name":"R","fields":["a"]}"#,
        "/fields/0",
        "must be an object",
    ),
    (r#"{"type":"record","name":"R"}"#, "", "needs \"fields\""),
    (
        r#"{"type":"record","name":"R","fields":{}}"#,
        "/fields",
        "must be an array",
    ),
    (r#"{"type":"record","fields":[]}"#, "", "needs a \"name\""),
    (
        r#"{"type":"record","name":"int","fields":[]}"#,
        "/name",
        "primitive",
    ),
    (
        r#"{"type":"enum","name":"E","symbols":["A","A"]}"#,
        "/symbols/1",
        "duplicate symbol",
    ),
    (
        r#"{"type":"enum","name":"E","symbols":["A","1"]}"#,
        "/symbols/1",
        "not a valid Avro name",
    ),
    (
        r#"{"type":"enum","name":"E","symbols":["A"],"default":"B"}"#,
        "/default",
        "not one of its symbols",
    ),
    (r#"{"type":"enum","name":"E"}"#, "", "symbols"),
    (
        r#"{"type":"fixed","name":"F","size":-1}"#,
        "/size",
        "whole number",
    ),
    (
        r#"{"type":"fixed","name":"F","size":1.5}"#,
        "/size",
        "whole number",
    ),
    (r#"{"type":"fixed","name":"F"}"#, "", "needs a \"size\""),
    (r#"{"type":"array"}"#, "", "needs \"items\""),
    (
        r#"{"type":"map","values":"nope"}"#,
        "/values",
        "unknown type",
    ),
    (r#"["null","null"]"#, "/1", "already has a branch"),
    (
        r#"[{"type":"array","items":"int"},{"type":"array","items":"long"}]"#,
        "/1",
        "already has a branch",
    ),
    (r#"["int",["long"]]"#, "/1", "another union"),
    (r#"{"type":{"type":"string"}}"#, "/type", "must be a string"),
    (r#"{"name":"x"}"#, "", "needs a \"type\""),
    (r#"42"#, "", "expected a type"),
    (r#""nope""#, "", "unknown type"),
    (
        r#"{"type":"record","name":"R","fields":[{"name":"a","type":"int","order":"up"}]}"#,
        "/fields/0/order",
        "ascending",
    ),
    (
        r#"{"type":"record","name":"R","fields":[{"name":"a","type":"int","aliases":"b"}]}"#,
        "/fields/0/aliases",
        "array of strings",
    ),
    (
        r#"{"type":"record","name":"R","aliases":["ok","no way"],"fields":[]}"#,
        "/aliases/1",
        "alias",
    ),
    (
        r#"{"type":"record","name":"R","doc":5,"fields":[]}"#,
        "/doc",
        "must be a string",
    ),
    (
        r#"{"type":"record","name":"R","fields":[{"name":"a","type":{"type":"enum","name":"R","symbols":["X"]}}]}"#,
        "/fields/0/type",
        "already defined differently",
    ),
];

#[test]
fn invalid_schemas_say_where_and_why() {
    for (text, pointer, phrase) in INVALID {
        let e = error_of(text);
        assert_eq!(e.pointer(), *pointer, "pointer for {text}: {e}");
        assert!(
            e.reason().contains(phrase),
            "reason for {text} should mention {phrase:?}: {e}"
        );
        assert!(e.to_string().contains(e.reason()));
    }
}

#[test]
fn malformed_json_is_reported_with_line_and_column() {
    let e = error_of("{\"type\":\n\"record\",}");
    match e {
        AvroError::Json { line, column, .. } => assert_eq!((line, column), (2, 10)),
        other => panic!("expected a JSON error, got {other:?}"),
    }
    assert!(matches!(error_of(""), AvroError::Json { .. }));
    assert!(matches!(
        error_of("\"int\" trailing"),
        AvroError::Json { .. }
    ));
}

#[test]
fn valid_edge_cases_are_accepted() {
    for text in [
        // Union defaults match the first branch.
        r#"{"type":"record","name":"R","fields":[{"name":"a","type":["null","string"],"default":null},{"name":"b","type":["string","null"],"default":"x"}]}"#,
        // Nested unions inside a default may match any branch.
        r#"{"type":"record","name":"R","fields":[{"name":"a","type":{"type":"array","items":["null","int"]},"default":[null,1]}]}"#,
        // Recursive types, forward references and an identical redefinition.
        r#"{"type":"record","name":"Node","fields":[{"name":"next","type":["null","Node"],"default":null},{"name":"leaf","type":"Leaf"},{"name":"l2","type":{"type":"record","name":"Leaf","fields":[]}}]}"#,
        r#"{"type":"record","name":"R","fields":[{"name":"a","type":{"type":"enum","name":"E","symbols":["X"]}},{"name":"b","type":{"type":"enum","name":"E","symbols":["X"]}}]}"#,
        // Record defaults may omit fields that have defaults of their own.
        r#"{"type":"record","name":"R","fields":[{"name":"a","type":{"type":"record","name":"S","fields":[{"name":"x","type":"int","default":1}]},"default":{}}]}"#,
        // A null doc or namespace counts as absent; an invalid logical type is ignored.
        r#"{"type":"record","name":"R","doc":null,"namespace":null,"fields":[{"name":"d","type":{"type":"bytes","logicalType":"decimal"}}]}"#,
        // Fixed and bytes defaults are byte strings.
        r#"{"type":"record","name":"R","fields":[{"name":"a","type":{"type":"fixed","name":"F","size":2},"default":"\u00ff\u0000"},{"name":"b","type":"bytes","default":"\u00e9"}]}"#,
        // Floating-point defaults may be given as strings, including NaN.
        r#"{"type":"record","name":"R","fields":[{"name":"a","type":"double","default":"-Infinity"},{"name":"b","type":"float","default":3}]}"#,
        // A type name with a leading dot means "no namespace".
        r#"{"type":"record","name":"a.R","fields":[{"name":"x","type":{"type":"fixed","name":"F","namespace":"","size":1}},{"name":"y","type":".F"}]}"#,
        r#"[]"#,
    ] {
        if let Err(e) = Schema::parse(SchemaType::Avro, text, &[], &NoReferences) {
            panic!("{text} should parse: {e}");
        }
    }
}

#[test]
fn references_make_names_available_and_bad_ones_are_reported() {
    let mut m = MapResolver::new();
    m.insert(
        "money",
        1,
        ResolvedReference {
            schema_type: SchemaType::Avro,
            text: r#"{"type":"record","name":"com.acme.Money","fields":[{"name":"amount","type":"long"}]}"#.into(),
            references: vec![],
        },
    );
    m.insert(
        "broken",
        1,
        ResolvedReference {
            schema_type: SchemaType::Avro,
            text: r#"{"type":"record","name":"Broken","fields":[{"name":"a","type":"Nowhere"}]}"#
                .into(),
            references: vec![],
        },
    );
    let money = Reference {
        name: "com.acme.Money".into(),
        subject: "money".into(),
        version: 1,
    };
    let text =
        r#"{"type":"record","name":"Order","fields":[{"name":"price","type":"com.acme.Money"}]}"#;
    // Without the reference the name is unknown, with it the schema is valid.
    assert!(Schema::parse(SchemaType::Avro, text, &[], &NoReferences).is_err());
    assert!(Schema::parse(SchemaType::Avro, text, std::slice::from_ref(&money), &m).is_ok());
    // An unused reference is fine.
    assert!(
        Schema::parse(
            SchemaType::Avro,
            r#""int""#,
            std::slice::from_ref(&money),
            &m
        )
        .is_ok()
    );
    let broken = Reference {
        name: "Broken".into(),
        subject: "broken".into(),
        version: 1,
    };
    match Schema::parse(SchemaType::Avro, r#""int""#, &[broken], &m) {
        Err(SchemaError::Avro(AvroError::Reference {
            subject, pointer, ..
        })) => {
            assert_eq!(subject, "broken");
            assert_eq!(pointer, "/fields/0/type");
        }
        other => panic!("expected a reference error, got {other:?}"),
    }
}
