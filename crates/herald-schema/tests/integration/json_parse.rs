//! Parsing JSON Schema documents through the public API: every draft against
//! its meta-schema, syntax errors, `$ref` resolution (local, anchors, other
//! registered documents), and the exact canonical and normalized text.

use herald_schema::json::{JsonDraft, JsonSchemaError};
use herald_schema::{
    MapResolver, NoReferences, Reference, ResolvedReference, Schema, SchemaError, SchemaType,
};
use serde_json::json;

fn parse(text: &str) -> Result<Schema, SchemaError> {
    Schema::parse(SchemaType::Json, text, &[], &NoReferences)
}

fn json_error(text: &str) -> JsonSchemaError {
    match parse(text) {
        Err(SchemaError::Json(e)) => e,
        other => panic!("expected a JSON Schema error for {text}, got {other:?}"),
    }
}

fn json_schema(schema: &Schema) -> &herald_schema::json::JsonSchema {
    match schema {
        Schema::Json(s) => s,
        other => panic!("not a JSON schema: {other:?}"),
    }
}

const DRAFTS: [(&str, JsonDraft); 5] = [
    ("http://json-schema.org/draft-04/schema#", JsonDraft::Draft4),
    ("http://json-schema.org/draft-06/schema#", JsonDraft::Draft6),
    ("http://json-schema.org/draft-07/schema#", JsonDraft::Draft7),
    (
        "https://json-schema.org/draft/2019-09/schema",
        JsonDraft::Draft201909,
    ),
    (
        "https://json-schema.org/draft/2020-12/schema",
        JsonDraft::Draft202012,
    ),
];

#[test]
fn every_draft_parses_a_valid_document_and_names_its_draft() {
    for (uri, draft) in DRAFTS {
        let doc = json!({
            "$schema": uri,
            "type": "object",
            "properties": {"id": {"type": "integer", "minimum": 0}, "tags": {"type": "array", "items": {"type": "string"}}},
            "required": ["id"]
        });
        let schema = parse(&doc.to_string()).unwrap_or_else(|e| panic!("{uri}: {e}"));
        let js = json_schema(&schema);
        assert_eq!(js.draft(), draft);
        assert_eq!(js.validate(&json!({"id": 3, "tags": ["a"]})), Ok(()));
        assert!(
            js.validate(&json!({"id": -1})).is_err(),
            "{uri} validates payloads"
        );
    }
}

#[test]
fn every_draft_rejects_a_meta_schema_violation_with_its_pointer() {
    for (uri, draft) in DRAFTS {
        let doc = json!({"$schema": uri, "type": "object", "properties": {"n": {"type": "integer", "minimum": "zero"}}});
        match json_error(&doc.to_string()) {
            JsonSchemaError::MetaSchema {
                draft: d,
                pointer,
                reason,
            } => {
                assert_eq!(d, draft, "{uri}");
                assert_eq!(pointer, "/properties/n/minimum", "{uri}");
                assert!(reason.contains("\"zero\""), "{uri}: {reason}");
            }
            other => panic!("{uri}: unexpected {other:?}"),
        }
    }
}

#[test]
fn draft_specific_keywords_are_checked_by_their_own_meta_schema() {
    // Draft 4 spells exclusiveMaximum as a boolean; draft 6 onwards as a number.
    parse(r#"{"$schema":"http://json-schema.org/draft-04/schema#","maximum":3,"exclusiveMaximum":true}"#).unwrap();
    let err = json_error(
        r#"{"$schema":"http://json-schema.org/draft-07/schema#","maximum":3,"exclusiveMaximum":true}"#,
    );
    assert_eq!(err.pointer(), Some("/exclusiveMaximum"), "{err}");
    let err =
        json_error(r#"{"$schema":"http://json-schema.org/draft-04/schema#","exclusiveMaximum":3}"#);
    assert_eq!(err.pointer(), Some("/exclusiveMaximum"), "{err}");
}

#[test]
fn missing_or_unknown_schema_keyword_means_draft_7() {
    for text in [
        r#"{"type":"string"}"#,
        r#"{"$schema":"http://example.com/custom-meta","type":"string"}"#,
        r##"{"$schema":"http://example.com/custom-meta","properties":{"a":{"$ref":"#/definitions/A"}},"definitions":{"A":{"type":"string"}}}"##,
    ] {
        assert_eq!(
            json_schema(&parse(text).unwrap()).draft(),
            JsonDraft::Draft7,
            "{text}"
        );
    }
}

#[test]
fn boolean_schemas_are_valid() {
    let t = parse("true").unwrap();
    let f = parse("false").unwrap();
    assert_eq!(t.canonical(), "true");
    assert_eq!(json_schema(&t).validate(&json!({"any": 1})), Ok(()));
    assert!(json_schema(&f).validate(&json!(1)).is_err());
}

#[test]
fn invalid_json_reports_line_and_column() {
    assert_eq!(
        json_error(
            "{\n  \"type\": \"object\",\n  \"properties\": {\n    \"a\": {\"type\": \"string\"\n  }\n"
        ),
        JsonSchemaError::InvalidJson {
            line: 6,
            column: 0,
            reason: "EOF while parsing an object".into()
        }
    );
    match json_error("{\"type\": 'string'}") {
        JsonSchemaError::InvalidJson { line, column, .. } => assert_eq!((line, column), (1, 10)),
        other => panic!("{other:?}"),
    }
    assert!(matches!(
        json_error(""),
        JsonSchemaError::InvalidJson { .. }
    ));
}

#[test]
fn documents_that_are_not_schemas_are_rejected() {
    for (text, found) in [
        ("[]", "an array"),
        ("3", "a number"),
        ("\"s\"", "a string"),
        ("null", "null"),
    ] {
        assert_eq!(
            json_error(text),
            JsonSchemaError::NotASchema { found },
            "{text}"
        );
    }
    let e = json_error(r#"{"type":"strin"}"#);
    assert_eq!(e.pointer(), Some("/type"));
    assert!(e.to_string().contains("/type"), "{e}");
    let e = json_error(r#"{"pattern":"(unclosed"}"#);
    assert_eq!(e.pointer(), Some("/pattern"), "{e}");
}

#[test]
fn local_references_resolve() {
    for text in [
        r##"{"type":"object","properties":{"a":{"$ref":"#/definitions/A"}},"definitions":{"A":{"type":"string"}}}"##,
        r##"{"$schema":"https://json-schema.org/draft/2020-12/schema","properties":{"a":{"$ref":"#/$defs/A"}},"$defs":{"A":{"type":"string"}}}"##,
        r##"{"properties":{"a":{"$ref":"#street"}},"definitions":{"A":{"$id":"#street","type":"string"}}}"##,
        r##"{"$schema":"https://json-schema.org/draft/2020-12/schema","properties":{"a":{"$ref":"#street"}},"$defs":{"A":{"$anchor":"street","type":"string"}}}"##,
        r##"{"$id":"https://example.com/root.json","properties":{"a":{"$ref":"https://example.com/root.json#/definitions/A"}},"definitions":{"A":{"type":"string"}}}"##,
        r##"{"type":"object","properties":{"next":{"$ref":"#"}}}"##,
    ] {
        let s = parse(text).unwrap_or_else(|e| panic!("{text}: {e}"));
        let js = json_schema(&s);
        assert!(
            js.validate(&json!({"a": 1})).is_err() || text.contains("next"),
            "{text}"
        );
        assert_eq!(js.validate(&json!({"a": "x"})), Ok(()), "{text}");
    }
}

#[test]
fn an_unresolvable_reference_is_an_error_naming_it() {
    match json_error(r##"{"properties":{"a":{"$ref":"#/definitions/Missing"}}}"##) {
        JsonSchemaError::UnresolvableRef {
            pointer, reference, ..
        } => {
            assert_eq!(pointer, "/properties/a");
            assert_eq!(reference, "#/definitions/Missing");
        }
        other => panic!("{other:?}"),
    }
    let e = json_error(r#"{"properties":{"c":{"$ref":"customer.json"}}}"#);
    assert!(e.to_string().contains("customer.json"), "{e}");
    assert!(e.to_string().contains("references"), "{e}");
}

fn resolver(docs: &[(&str, &str)]) -> (MapResolver, Vec<Reference>) {
    let mut r = MapResolver::new();
    let mut refs = Vec::new();
    for (name, text) in docs {
        r.insert(
            format!("{name}-value"),
            1,
            ResolvedReference {
                schema_type: SchemaType::Json,
                text: (*text).to_owned(),
                references: vec![],
            },
        );
        refs.push(Reference {
            name: (*name).to_owned(),
            subject: format!("{name}-value"),
            version: 1,
        });
    }
    (r, refs)
}

#[test]
fn references_to_registered_documents_resolve_by_name() {
    let (r, refs) = resolver(&[
        (
            "customer.json",
            r#"{"type":"object","properties":{"id":{"type":"string"}},"required":["id"]}"#,
        ),
        (
            "common.json",
            r#"{"definitions":{"Money":{"type":"number","minimum":0}}}"#,
        ),
    ]);
    let text = r#"{"type":"object","properties":{"customer":{"$ref":"customer.json"},"total":{"$ref":"common.json#/definitions/Money"}}}"#;
    let s = Schema::parse(SchemaType::Json, text, &refs, &r).unwrap();
    assert_eq!(s.references(), refs.as_slice());
    let js = json_schema(&s);
    assert_eq!(
        js.validate(&json!({"customer": {"id": "c1"}, "total": 3})),
        Ok(())
    );
    assert!(js.validate(&json!({"customer": {}})).is_err());
    assert!(js.validate(&json!({"total": -1})).is_err());

    // The same names resolve against the referring document's $id.
    let with_id = r#"{"$id":"https://example.com/schemas/order.json","properties":{"customer":{"$ref":"customer.json"}}}"#;
    Schema::parse(SchemaType::Json, with_id, &refs, &r).unwrap();
}

#[test]
fn a_reference_that_is_not_listed_or_is_invalid_fails() {
    let (r, refs) = resolver(&[("customer.json", r#"{"type":"object"}"#)]);
    let err = Schema::parse(SchemaType::Json, r#"{"$ref":"address.json"}"#, &refs, &r).unwrap_err();
    assert!(
        matches!(
            err,
            SchemaError::Json(JsonSchemaError::UnresolvableRef { .. })
        ),
        "{err}"
    );

    let (r, refs) = resolver(&[("bad.json", r#"{"type": 12}"#)]);
    match Schema::parse(SchemaType::Json, r#"{"$ref":"bad.json"}"#, &refs, &r).unwrap_err() {
        SchemaError::Json(JsonSchemaError::InReference { name, error }) => {
            assert_eq!(name, "bad.json");
            assert_eq!(error.pointer(), Some("/type"));
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn canonical_is_compact_in_written_order_and_normalized_sorts_keys() {
    let text = r#"{
        "type": "object",
        "title": "Order",
        "properties": {
            "zeta": {"type": "string", "maxLength": 10},
            "alpha": {"enum": ["b", "a"], "description": "kept in order"}
        },
        "required": ["zeta", "alpha"]
    }"#;
    let s = parse(text).unwrap();
    assert_eq!(
        s.canonical(),
        r#"{"type":"object","title":"Order","properties":{"zeta":{"type":"string","maxLength":10},"alpha":{"enum":["b","a"],"description":"kept in order"}},"required":["zeta","alpha"]}"#
    );
    assert_eq!(
        s.normalized(),
        r#"{"properties":{"alpha":{"description":"kept in order","enum":["b","a"]},"zeta":{"maxLength":10,"type":"string"}},"required":["zeta","alpha"],"title":"Order","type":"object"}"#
    );
    // Reformatting and reordering keys changes neither the normalized text
    // nor, beyond order, the canonical one.
    let reordered = r#"{"required":["zeta","alpha"],"properties":{"alpha":{"description":"kept in order","enum":["b","a"]},"zeta":{"maxLength":10,"type":"string"}},"title":"Order","type":"object"}"#;
    let r = parse(reordered).unwrap();
    assert_eq!(r.normalized(), s.normalized());
    assert_eq!(r.canonical(), reordered);
    // The canonical text parses back to the same schema.
    assert_eq!(parse(s.canonical()).unwrap().canonical(), s.canonical());
    assert_eq!(s.md5(), parse(s.canonical()).unwrap().md5());
}
