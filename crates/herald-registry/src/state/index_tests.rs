//! The compact in-memory form of the schemas: one copy of each text, the
//! id-only content and GUID indexes, and the boxed data-contract fields.

use std::sync::Arc;

use serde_json::json;

use super::*;
use crate::record::Record;
use crate::subject::DEFAULT_CONTEXT;

/// A `SCHEMA` record in Confluent's format.
fn schema_record(subject: &str, version: i32, id: i32, extra: &str) -> Record {
    let key =
        format!(r#"{{"keytype":"SCHEMA","subject":"{subject}","version":{version},"magic":1}}"#);
    let value = format!(
        r#"{{"subject":"{subject}","version":{version},"id":{id},"schema":"{{\"type\":\"record\",\"name\":\"R\",\"fields\":[]}}","deleted":false{extra}}}"#
    );
    Record::decode(key.as_bytes(), Some(value.as_bytes())).unwrap()
}

fn delete_record(subject: &str, version: i32) -> Record {
    let key =
        format!(r#"{{"keytype":"SCHEMA","subject":"{subject}","version":{version},"magic":1}}"#);
    Record::decode(key.as_bytes(), None).unwrap()
}

const TEXT: &str = r#"{"type":"record","name":"R","fields":[]}"#;

fn key(extra: Option<(&Json, &Json)>) -> ContentKey {
    ContentKey::new(
        SchemaType::Avro,
        Arc::from(TEXT),
        Vec::new(),
        extra.map(|e| e.0),
        extra.map(|e| e.1),
    )
}

#[test]
fn a_schema_text_is_held_once_whatever_reads_it() {
    let mut state = State::new();
    for (subject, version) in [("a", 1), ("b", 1), (":.other:c", 1)] {
        state.apply(&schema_record(subject, version, 7, ""));
    }
    let by_id = state.schema_by_id(DEFAULT_CONTEXT, 7).unwrap().clone();
    let a = state.version("a", VersionSpec::Latest, false).unwrap();
    let b = state.version("b", VersionSpec::Latest, false).unwrap();
    assert!(Arc::ptr_eq(&by_id, &a.schema) && Arc::ptr_eq(&by_id, &b.schema));
    // The content index keeps no handle on the text: the schema's is the
    // only one (plus the `by_id` clone of the schema, not of its text).
    assert_eq!(Arc::strong_count(&by_id.text), 1);
    assert_eq!(&*by_id.text, TEXT);
    // Another context has its own schema under its own id space.
    let other = state.schema_by_id(".other", 7).unwrap();
    assert!(!Arc::ptr_eq(&by_id, other));
    assert_eq!(other.guid, by_id.guid);
}

#[test]
fn content_lookup_compares_the_data_contract_too() {
    let metadata = json!({"properties": {"owner": "team-a"}});
    let rules = json!({"domainRules": []});
    let mut state = State::new();
    state.apply(&schema_record("plain", 1, 1, ""));
    state.apply(&schema_record(
        "contract",
        1,
        2,
        &format!(r#","metadata":{metadata},"ruleSet":{rules}"#),
    ));
    let ctx = &state.contexts[DEFAULT_CONTEXT];
    assert_eq!(ctx.id_by_content(&key(None)), Some(1));
    assert_eq!(ctx.id_by_content(&key(Some((&metadata, &rules)))), Some(2));
    let other = json!({"properties": {"owner": "team-b"}});
    assert_eq!(ctx.id_by_content(&key(Some((&other, &rules)))), None);

    let plain = state.schema_by_id(DEFAULT_CONTEXT, 1).unwrap();
    assert_eq!((plain.metadata(), plain.rule_set()), (None, None));
    let contract = state.schema_by_id(DEFAULT_CONTEXT, 2).unwrap();
    assert_eq!(contract.metadata(), Some(&metadata));
    assert_eq!(contract.rule_set(), Some(&rules));
    assert_ne!(plain.guid, contract.guid);
}

#[test]
fn the_first_id_of_a_content_keeps_the_content_index() {
    // An import may give one content two ids: lookups answer the first.
    let mut state = State::new();
    state.apply(&schema_record("x", 1, 10, ""));
    state.apply(&schema_record("y", 1, 4, ""));
    assert_eq!(
        state.contexts[DEFAULT_CONTEXT].id_by_content(&key(None)),
        Some(10)
    );
    // Dropping the later id leaves the first in place; dropping the first
    // leaves no answer, as before (a new registration takes a new id).
    state.apply(&delete_record("y", 1));
    assert_eq!(
        state.contexts[DEFAULT_CONTEXT].id_by_content(&key(None)),
        Some(10)
    );
    state.apply(&delete_record("x", 1));
    assert_eq!(
        state.contexts[DEFAULT_CONTEXT].id_by_content(&key(None)),
        None
    );
    assert!(state.schema_by_id(DEFAULT_CONTEXT, 10).is_none());
    assert_eq!(state.schema_count(), 0);
}

#[test]
fn a_guid_resolves_while_any_id_with_it_remains() {
    let mut state = State::new();
    state.apply(&schema_record("x", 1, 1, ""));
    state.apply(&schema_record(":.prod:x", 1, 1, ""));
    state.apply(&schema_record("y", 1, 2, ""));
    let guid = state.schema_by_id(DEFAULT_CONTEXT, 1).unwrap().guid;
    assert_eq!(state.schema_by_guid(guid).unwrap().guid, guid);
    state.apply(&delete_record("x", 1));
    assert_eq!(state.schema_by_guid(guid).unwrap().id, 2);
    state.apply(&delete_record("y", 1));
    let left = state.schema_by_guid(guid).unwrap();
    assert_eq!((left.context.as_str(), left.id), (".prod", 1));
    state.apply(&delete_record(":.prod:x", 1));
    assert!(state.schema_by_guid(guid).is_none());
    assert_eq!(state.schema_count(), 0);
}

#[test]
fn indexes_survive_growth_and_removal() {
    // Enough schemas for the id tables to rehash several times, each id
    // found by content and GUID, then every other one removed.
    let mut state = State::new();
    let text = |i: i32| format!(r#"{{"type":"fixed","name":"F{i}","size":{i}}}"#);
    let content =
        |i: i32| ContentKey::new(SchemaType::Avro, Arc::from(text(i)), Vec::new(), None, None);
    for i in 1..=500 {
        let key = format!(r#"{{"keytype":"SCHEMA","subject":"s{i}","version":1,"magic":1}}"#);
        let value = json!({"subject": format!("s{i}"), "version": 1, "id": i, "schema": text(i)});
        state.apply(&Record::decode(key.as_bytes(), Some(value.to_string().as_bytes())).unwrap());
    }
    for i in (2..=500).step_by(2) {
        state.apply(&delete_record(&format!("s{i}"), 1));
    }
    let ctx = &state.contexts[DEFAULT_CONTEXT];
    assert_eq!(ctx.len(), 250);
    for i in 1..=500 {
        let found = ctx.id_by_content(&content(i));
        let expected = (i % 2 == 1).then_some(i);
        assert_eq!(found, expected, "content of id {i}");
        if let Some(id) = expected {
            let guid = ctx.schema(id).unwrap().guid;
            assert_eq!(ctx.id_by_guid(guid), Some(id));
        }
    }
}
