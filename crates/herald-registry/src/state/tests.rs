//! State machine tests: record sequences in Confluent's format, and writes
//! planned against the state and applied as the registry applies them.

use herald_schema::{CompatibilityLevel, JsonCompatibilityPolicy, Reference, SchemaType};

use super::*;
use crate::RegistryError;
use crate::record::{ConfigValue, Mode, Record};

fn avro_record(name: &str, fields: &[(&str, &str)]) -> String {
    let fields: Vec<String> = fields
        .iter()
        .map(|(n, t)| format!(r#"{{"name":"{n}","type":"{t}"}}"#))
        .collect();
    format!(
        r#"{{"type":"record","name":"{name}","fields":[{}]}}"#,
        fields.join(",")
    )
}

fn avro(text: &str) -> Candidate {
    Candidate {
        text: text.to_owned(),
        ..Candidate::default()
    }
}

fn apply_all(state: &mut State, records: &[Record]) {
    for r in records {
        state.apply(r);
    }
}

/// Registers and applies; returns (id, version).
fn register(state: &mut State, subject: &str, c: &Candidate) -> Result<(i32, i32), RegistryError> {
    register_with(state, subject, c, RegisterOptions::default())
}

fn register_with(
    state: &mut State,
    subject: &str,
    c: &Candidate,
    opts: RegisterOptions,
) -> Result<(i32, i32), RegistryError> {
    match state.plan_register(subject, c, opts)? {
        RegisterOutcome::Existing(found) => Ok((found.schema.id, found.version)),
        RegisterOutcome::New {
            id,
            version,
            record,
        } => {
            // What is applied must survive the trip through bytes.
            let (k, v) = record.encode();
            state.apply(&Record::decode(&k, v.as_deref()).unwrap());
            Ok((id, version))
        }
    }
}

fn set_level(state: &mut State, subject: Option<&str>, level: CompatibilityLevel) {
    let record = state
        .plan_config(
            subject,
            &ConfigValue {
                compatibility_level: Some(level),
                ..ConfigValue::default()
            },
        )
        .unwrap();
    state.apply(&record);
}

fn delete_version(
    state: &mut State,
    subject: &str,
    v: i32,
    permanent: bool,
) -> Result<Vec<i32>, RegistryError> {
    let out = state.plan_delete_version(subject, VersionSpec::Number(v), permanent)?;
    apply_all(state, &out.records);
    Ok(out.versions)
}

fn delete_subject(
    state: &mut State,
    subject: &str,
    permanent: bool,
) -> Result<Vec<i32>, RegistryError> {
    let out = state.plan_delete_subject(subject, permanent)?;
    apply_all(state, &out.records);
    Ok(out.versions)
}

#[test]
fn replays_a_topic_written_by_confluent_and_karapace() {
    // Record shapes as registry.md §1.10 describes them, including the
    // spacing Karapace's Python JSON writer uses.
    let topic: Vec<(&str, Option<&str>)> = vec![
        (r#"{"keytype":"NOOP","magic":0}"#, Some("{}")),
        (
            r#"{"keytype":"CONFIG","subject":null,"magic":0}"#,
            Some(r#"{"compatibilityLevel":"FULL"}"#),
        ),
        (
            r#"{"keytype":"SCHEMA","subject":"orders-value","version":1,"magic":1}"#,
            Some(
                r#"{"subject":"orders-value","version":1,"id":1,"schemaType":"AVRO","schema":"\"string\"","deleted":false}"#,
            ),
        ),
        (
            r#"{"keytype": "SCHEMA", "subject": "users-value", "version": 1, "magic": 1}"#,
            Some(
                r#"{"subject": "users-value", "version": 1, "id": 2, "schema": "{\"type\":\"object\"}", "schemaType": "JSON", "deleted": false}"#,
            ),
        ),
        (
            r#"{"keytype":"SCHEMA","subject":"orders-value","version":2,"magic":1}"#,
            Some(
                r#"{"subject":"orders-value","version":2,"id":3,"schema":"\"int\"","deleted":false,"metadata":null,"ruleSet":null}"#,
            ),
        ),
        (
            r#"{"keytype":"CONFIG","subject":"users-value","magic":0}"#,
            Some(r#"{"compatibilityLevel":"NONE"}"#),
        ),
        (
            r#"{"keytype":"MODE","subject":"users-value","magic":0}"#,
            Some(r#"{"mode":"READONLY"}"#),
        ),
        (
            r#"{"keytype":"DELETE_SUBJECT","subject":"orders-value","magic":0}"#,
            Some(r#"{"subject":"orders-value","version":1}"#),
        ),
        (
            r#"{"keytype":"SCHEMA","subject":"gone","version":1,"magic":1}"#,
            Some(r#"{"subject":"gone","version":1,"id":4,"schema":"\"long\"","deleted":true}"#),
        ),
        (
            r#"{"keytype":"SCHEMA","subject":"gone","version":1,"magic":1}"#,
            None,
        ),
        (
            r#"{"keytype":"SCHEMA","subject":":.prod:orders","version":1,"magic":1}"#,
            Some(
                r#"{"subject":":.prod:orders","version":1,"id":1,"schema":"\"bytes\"","deleted":false}"#,
            ),
        ),
        (
            r#"{"keytype":"CONTEXT","tenant":"default","context":".staging","magic":0}"#,
            Some(r#"{"tenant":"default","context":".staging"}"#),
        ),
        ("not a key", Some("{}")),
    ];
    let mut state = State::new();
    for (k, v) in &topic {
        if let Ok(r) = Record::decode(k.as_bytes(), v.map(str::as_bytes)) {
            state.apply(&r);
        }
    }
    assert_eq!(
        state.effective_config(None).compatibility_level,
        Some(CompatibilityLevel::Full)
    );
    assert_eq!(
        state
            .effective_config(Some("users-value"))
            .compatibility_level,
        Some(CompatibilityLevel::None)
    );
    assert_eq!(state.effective_mode(Some("users-value")), Mode::Readonly);
    assert_eq!(
        state.schema_by_id(".", 2).unwrap().schema_type,
        SchemaType::Json
    );
    // orders-value v1 soft-deleted by DELETE_SUBJECT's watermark, v2 live.
    let versions = state.versions("orders-value", true, false).unwrap();
    assert_eq!(
        versions
            .iter()
            .map(|(v, e)| (*v, e.deleted))
            .collect::<Vec<_>>(),
        [(1, true), (2, false)]
    );
    assert_eq!(
        state
            .version("orders-value", VersionSpec::Latest, false)
            .unwrap()
            .schema
            .id,
        3
    );
    // The hard-deleted subject left nothing behind, but id 4 stays used.
    assert!(state.schema_by_id(".", 4).is_none());
    assert_eq!(state.max_id("."), 4);
    assert_eq!(
        state.subjects(&SubjectFilter::default()),
        [":.prod:orders", "orders-value", "users-value"]
    );
    assert_eq!(
        state.schema_by_id(".prod", 1).unwrap().text.as_ref(),
        "\"bytes\""
    );
    assert_eq!(state.context_names(), [".", ".prod", ".staging"]);
    assert_eq!(state.records_applied(), 12);
}

#[test]
fn one_id_per_content_across_subjects_and_versions_per_subject() {
    let mut state = State::new();
    let a = avro(&avro_record("A", &[("x", "int")]));
    assert_eq!(register(&mut state, "s1", &a).unwrap(), (1, 1));
    // Same content, another subject: same id, its own version 1.
    assert_eq!(register(&mut state, "s2", &a).unwrap(), (1, 1));
    // Re-registering returns what exists, formatting aside.
    let spaced = avro(
        r#"{"type": "record", "name": "A", "fields": [{"name": "x", "type": {"type": "int"}}]}"#,
    );
    assert_eq!(register(&mut state, "s1", &spaced).unwrap(), (1, 1));
    let b = avro(&avro_record("A", &[("x", "int"), ("y", "string")]));
    set_level(&mut state, None, CompatibilityLevel::None);
    assert_eq!(register(&mut state, "s1", &b).unwrap(), (2, 2));
    assert_eq!(state.schema_count(), 2);
    assert_eq!(
        state.usages(".", 1, false),
        [("s1".to_owned(), 1), ("s2".to_owned(), 1)]
    );
}

#[test]
fn versions_are_never_reused_and_deleted_ids_still_resolve() {
    let mut state = State::new();
    set_level(&mut state, None, CompatibilityLevel::None);
    let v1 = avro("\"string\"");
    let v2 = avro("\"int\"");
    register(&mut state, "s", &v1).unwrap();
    register(&mut state, "s", &v2).unwrap();
    assert_eq!(delete_version(&mut state, "s", 2, false).unwrap(), [2]);
    // Soft-deleted: hidden, but its id resolves and `deleted=true` sees it.
    assert!(matches!(
        state.version("s", VersionSpec::Number(2), false),
        Err(RegistryError::VersionNotFound { .. })
    ));
    assert_eq!(
        state
            .version("s", VersionSpec::Number(2), true)
            .unwrap()
            .schema
            .id,
        2
    );
    assert!(state.schema_by_id(".", 2).is_some());
    assert_eq!(
        state
            .version("s", VersionSpec::Latest, false)
            .unwrap()
            .version,
        1
    );
    assert!(matches!(
        delete_version(&mut state, "s", 2, false),
        Err(RegistryError::VersionSoftDeleted { .. })
    ));
    assert!(matches!(
        delete_version(&mut state, "s", 1, true),
        Err(RegistryError::VersionNotSoftDeleted { .. })
    ));
    delete_version(&mut state, "s", 2, true).unwrap();
    assert!(state.schema_by_id(".", 2).is_none());
    // The same content comes back with a new version number (3, not 2) and
    // a fresh id, since id 2 is no longer held by anything.
    assert_eq!(register(&mut state, "s", &v2).unwrap(), (3, 3));
}

#[test]
fn subject_deletes_soft_then_permanent() {
    let mut state = State::new();
    register(&mut state, "s", &avro("\"string\"")).unwrap();
    set_level(&mut state, Some("s"), CompatibilityLevel::None);
    register(&mut state, "s", &avro("\"int\"")).unwrap();
    assert!(matches!(
        delete_subject(&mut state, "s", true),
        Err(RegistryError::SubjectNotSoftDeleted { .. })
    ));
    assert_eq!(delete_subject(&mut state, "s", false).unwrap(), [1, 2]);
    assert!(matches!(
        delete_subject(&mut state, "s", false),
        Err(RegistryError::SubjectSoftDeleted { .. })
    ));
    assert!(state.subjects(&SubjectFilter::default()).is_empty());
    let deleted = SubjectFilter {
        deleted: true,
        ..SubjectFilter::default()
    };
    assert_eq!(state.subjects(&deleted), ["s"]);
    assert!(matches!(
        state.versions("s", false, false),
        Err(RegistryError::SubjectNotFound { .. })
    ));
    // Re-registering after a soft delete keeps the id and continues versions.
    assert_eq!(
        register(&mut state, "s", &avro("\"string\"")).unwrap(),
        (1, 3)
    );
    delete_subject(&mut state, "s", false).unwrap();
    assert_eq!(delete_subject(&mut state, "s", true).unwrap(), [1, 2, 3]);
    assert!(state.schema_by_id(".", 1).is_none());
    assert!(
        state.subject_config("s").is_none(),
        "subject config goes with the subject"
    );
    assert!(matches!(
        delete_subject(&mut state, "s", false),
        Err(RegistryError::SubjectNotFound { .. })
    ));
}

#[test]
fn referenced_versions_cannot_be_deleted() {
    let mut state = State::new();
    let money = r#"{"type":"record","name":"Money","namespace":"acme","fields":[{"name":"cents","type":"long"}]}"#;
    register(&mut state, "money", &avro(money)).unwrap();
    let order = Candidate {
        text: r#"{"type":"record","name":"Order","namespace":"acme","fields":[{"name":"total","type":"acme.Money"}]}"#.into(),
        references: vec![Reference {
            name: "acme.Money".into(),
            subject: "money".into(),
            version: -1,
        }],
        ..Candidate::default()
    };
    let (order_id, _) = register(&mut state, "orders", &order).unwrap();
    // The stored reference names the concrete version.
    assert_eq!(
        state.schema_by_id(".", order_id).unwrap().references[0].version,
        1
    );
    assert_eq!(
        state.referrers("money", 1, false),
        [("orders".to_owned(), 1, order_id)]
    );
    assert!(matches!(
        delete_version(&mut state, "money", 1, false),
        Err(RegistryError::ReferenceExists { .. })
    ));
    assert!(matches!(
        delete_subject(&mut state, "money", false),
        Err(RegistryError::ReferenceExists { .. })
    ));
    // A missing reference is an invalid schema.
    let dangling = Candidate {
        references: vec![Reference {
            name: "acme.Money".into(),
            subject: "nothing".into(),
            version: 1,
        }],
        ..order.clone()
    };
    assert!(matches!(
        register(&mut state, "o2", &dangling),
        Err(RegistryError::InvalidSchema { .. })
    ));
    // Once the referrer is gone for good, the referenced version may go.
    delete_subject(&mut state, "orders", false).unwrap();
    assert_eq!(delete_version(&mut state, "money", 1, false).unwrap(), [1]);
}

#[test]
fn compatibility_skips_soft_deleted_versions() {
    let mut state = State::new();
    set_level(
        &mut state,
        Some("s"),
        CompatibilityLevel::BackwardTransitive,
    );
    let v1 = avro(&avro_record("R", &[("a", "int")]));
    register(&mut state, "s", &v1).unwrap();
    // Adding a field without default is not backward compatible.
    let v2 = avro(&avro_record("R", &[("a", "int"), ("b", "string")]));
    let err = register(&mut state, "s", &v2).unwrap_err();
    let RegistryError::Incompatible { messages, .. } = &err else {
        panic!("expected 40901, got {err:?}")
    };
    assert!(
        messages[0].contains("READER_FIELD_MISSING_DEFAULT_VALUE"),
        "{messages:?}"
    );
    assert!(
        messages.iter().any(|m| m == "{oldSchemaVersion: 1}"),
        "{messages:?}"
    );
    assert_eq!(
        messages.last().unwrap(),
        "{validateFields: 'false', compatibility: 'BACKWARD_TRANSITIVE'}"
    );
    // With v1 soft-deleted there is nothing to compare with.
    set_level(&mut state, Some("s"), CompatibilityLevel::None);
    register(&mut state, "s", &avro("\"string\"")).unwrap();
    set_level(
        &mut state,
        Some("s"),
        CompatibilityLevel::BackwardTransitive,
    );
    delete_version(&mut state, "s", 1, false).unwrap();
    delete_version(&mut state, "s", 2, false).unwrap();
    assert_eq!(register(&mut state, "s", &v2).unwrap().1, 3);
    // `force` skips the check.
    let forced = RegisterOptions {
        force: true,
        ..RegisterOptions::default()
    };
    assert_eq!(
        register_with(&mut state, "s", &avro("\"boolean\""), forced)
            .unwrap()
            .1,
        4
    );
}

#[test]
fn json_policy_comes_from_the_subject_config() {
    let mut state = State::new();
    let open = Candidate {
        schema_type: SchemaType::Json,
        text: r#"{"type":"object","properties":{"a":{"type":"string"}}}"#.into(),
        ..Candidate::default()
    };
    let added = Candidate {
        text: r#"{"type":"object","properties":{"a":{"type":"string"},"b":{"type":"integer"}}}"#
            .into(),
        ..open.clone()
    };
    register(&mut state, "j", &open).unwrap();
    let verdict = state.check_compatibility("j", None, &added, false).unwrap();
    assert!(
        !verdict.compatible,
        "STRICT: adding a property to an open model breaks"
    );
    let lenient = ConfigValue {
        compatibility_policy: Some(JsonCompatibilityPolicy::Lenient),
        ..ConfigValue::default()
    };
    let record = state.plan_config(Some("j"), &lenient).unwrap();
    state.apply(&record);
    // The level set earlier is kept: PUT merges fields.
    assert_eq!(
        state.effective_config(Some("j")).compatibility_level,
        Some(CompatibilityLevel::Backward)
    );
    let verdict = state.check_compatibility("j", None, &added, false).unwrap();
    assert!(verdict.compatible, "LENIENT: {:?}", verdict.messages);
}

#[test]
fn modes_gate_writes() {
    let mut state = State::new();
    register(&mut state, "s", &avro("\"string\"")).unwrap();
    let record = state.plan_mode(None, Mode::Readonly, false).unwrap();
    state.apply(&record);
    // An existing schema is returned even in READONLY; a new one is refused.
    assert_eq!(
        register(&mut state, "s", &avro("\"string\"")).unwrap(),
        (1, 1)
    );
    assert!(matches!(
        register(&mut state, "s", &avro("\"int\"")),
        Err(RegistryError::OperationNotPermitted { .. })
    ));
    assert!(matches!(
        delete_version(&mut state, "s", 1, false),
        Err(RegistryError::OperationNotPermitted { .. })
    ));
    // IMPORT over live schemas needs force; FORWARD is global only.
    assert!(matches!(
        state.plan_mode(None, Mode::Import, false),
        Err(RegistryError::OperationNotPermitted { .. })
    ));
    assert!(matches!(
        state.plan_mode(Some("s"), Mode::Forward, false),
        Err(RegistryError::InvalidMode { .. })
    ));
    let record = state.plan_mode(Some("imp"), Mode::Import, false).unwrap();
    state.apply(&record);
    // In IMPORT an id must be given, and is kept; outside it, it may not be.
    assert!(matches!(
        register(&mut state, "imp", &avro("\"long\"")),
        Err(RegistryError::OperationNotPermitted { .. })
    ));
    let imported = Candidate {
        id: Some(100),
        version: Some(7),
        ..avro("\"long\"")
    };
    assert_eq!(register(&mut state, "imp", &imported).unwrap(), (100, 7));
    let clash = Candidate {
        id: Some(100),
        version: Some(8),
        ..avro("\"double\"")
    };
    assert!(matches!(
        register(&mut state, "imp", &clash),
        Err(RegistryError::OperationNotPermitted { .. })
    ));
    let other_id = Candidate {
        id: Some(101),
        version: Some(7),
        ..avro("\"float\"")
    };
    assert!(matches!(
        register(&mut state, "imp", &other_id),
        Err(RegistryError::IdMismatch { .. })
    ));
    // The next id outside IMPORT continues after the imported one.
    let record = state.plan_mode(None, Mode::Readwrite, false).unwrap();
    state.apply(&record);
    assert_eq!(
        register(&mut state, "t", &avro("\"bytes\"")).unwrap(),
        (101, 1)
    );
    assert!(matches!(
        register(&mut state, "t", &imported),
        Err(RegistryError::OperationNotPermitted { .. })
    ));
}

#[test]
fn contexts_have_their_own_ids_configs_and_modes() {
    let mut state = State::new();
    register(&mut state, "a", &avro("\"string\"")).unwrap();
    register(&mut state, "b", &avro("\"int\"")).unwrap();
    // Same content in another context: its own id sequence starts at 1.
    assert_eq!(
        register(&mut state, ":.prod:a", &avro("\"int\"")).unwrap(),
        (1, 1)
    );
    assert_eq!(
        state.schema_by_id(".prod", 1).unwrap().text.as_ref(),
        "\"int\""
    );
    assert_eq!(
        state.schema_by_id(".", 1).unwrap().text.as_ref(),
        "\"string\""
    );
    // A context-level config applies to its subjects, under their own.
    set_level(&mut state, Some(":.prod:"), CompatibilityLevel::Full);
    assert_eq!(
        state.effective_config(Some(":.prod:a")).compatibility_level,
        Some(CompatibilityLevel::Full)
    );
    assert_eq!(
        state.effective_config(Some("a")).compatibility_level,
        Some(CompatibilityLevel::Backward)
    );
    let record = state
        .plan_mode(Some(":.prod:"), Mode::Readonly, false)
        .unwrap();
    state.apply(&record);
    assert_eq!(state.effective_mode(Some(":.prod:x")), Mode::Readonly);
    assert_eq!(state.effective_mode(Some("x")), Mode::Readwrite);
    let prod = SubjectFilter {
        prefix: Some(":.prod:".into()),
        ..SubjectFilter::default()
    };
    assert_eq!(state.subjects(&prod), [":.prod:a"]);
    assert_eq!(state.context_names(), [".", ".prod"]);
}

#[test]
fn configs_delete_and_fall_back() {
    let mut state = State::new();
    set_level(&mut state, None, CompatibilityLevel::Forward);
    set_level(&mut state, Some("s"), CompatibilityLevel::Full);
    assert!(state.plan_delete_config(Some("t")).is_err());
    let (previous, record) = state.plan_delete_config(Some("s")).unwrap();
    assert_eq!(previous.compatibility_level, Some(CompatibilityLevel::Full));
    state.apply(&record);
    assert_eq!(
        state.effective_config(Some("s")).compatibility_level,
        Some(CompatibilityLevel::Forward)
    );
    let (_, record) = state.plan_delete_config(None).unwrap();
    state.apply(&record);
    assert_eq!(
        state.effective_config(Some("s")).compatibility_level,
        Some(CompatibilityLevel::Backward)
    );
}

#[test]
fn applying_twice_changes_nothing() {
    let mut once = State::new();
    let mut twice = State::new();
    let mut records = Vec::new();
    let mut planner = State::new();
    set_level(&mut planner, None, CompatibilityLevel::None);
    records.push(
        planner
            .plan_config(
                None,
                &ConfigValue {
                    compatibility_level: Some(CompatibilityLevel::None),
                    ..ConfigValue::default()
                },
            )
            .unwrap(),
    );
    for (i, t) in ["\"string\"", "\"int\"", "\"long\""].iter().enumerate() {
        if let RegisterOutcome::New { record, .. } = planner
            .plan_register(&format!("s{}", i % 2), &avro(t), RegisterOptions::default())
            .unwrap()
        {
            planner.apply(&record);
            records.push(*record);
        }
    }
    let out = planner.plan_delete_subject("s0", false).unwrap();
    apply_all(&mut planner, &out.records);
    records.extend(out.records);
    for r in &records {
        once.apply(r);
        twice.apply(r);
        twice.apply(r);
    }
    assert_eq!(
        once.subjects(&SubjectFilter {
            deleted: true,
            ..SubjectFilter::default()
        }),
        twice.subjects(&SubjectFilter {
            deleted: true,
            ..SubjectFilter::default()
        })
    );
    for s in ["s0", "s1"] {
        assert_eq!(
            once.versions(s, true, false).unwrap(),
            twice.versions(s, true, false).unwrap()
        );
    }
    assert_eq!(once.schema_count(), twice.schema_count());
    assert_eq!(once.max_id("."), 3);
}
