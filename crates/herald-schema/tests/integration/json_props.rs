//! Property tests over generated JSON Schemas: every schema is compatible
//! with itself, BACKWARD and FORWARD mirror each other, FULL is both, the
//! canonical text is a fixed point and the normalized text ignores key order
//! and formatting. Plus robustness: arbitrary text, arbitrary JSON and
//! arbitrary schema pairs never panic or hang.

use herald_schema::{
    CheckOptions, CompatibilityLevel, JsonCompatibilityPolicy, NoReferences, Previous, Schema,
    SchemaType, check, is_compatible,
};
use proptest::prelude::*;
use serde_json::{Map, Value, json};

const NAMES: [&str; 5] = ["a", "b", "c", "x_1", "id"];
const TYPES: [&str; 7] = [
    "object", "array", "string", "number", "integer", "boolean", "null",
];
const DRAFTS: [Option<&str>; 4] = [
    None,
    Some("http://json-schema.org/draft-04/schema#"),
    Some("https://json-schema.org/draft/2019-09/schema"),
    Some("https://json-schema.org/draft/2020-12/schema"),
];

fn scalar_value() -> impl Strategy<Value = Value> {
    prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        (-3i64..3).prop_map(|n| json!(n)),
        prop::sample::select(vec!["red", "green", "blue"]).prop_map(|s| json!(s)),
    ]
}

fn leaf() -> impl Strategy<Value = Value> {
    prop_oneof![
        Just(json!(true)),
        Just(json!(false)),
        Just(json!({})),
        prop::sample::select(TYPES.to_vec()).prop_map(|t| json!({"type": t})),
        prop::sample::subsequence(TYPES.to_vec(), 1..3).prop_map(|t| json!({"type": t})),
        (0u32..20).prop_map(|n| json!({"type": "string", "maxLength": n})),
        (0u32..5).prop_map(|n| json!({"minLength": n})),
        prop::sample::select(vec!["^a", "b$", "[0-9]+"])
            .prop_map(|p| json!({"type": "string", "pattern": p})),
        (-5i64..5).prop_map(|n| json!({"type": "integer", "minimum": n})),
        (-5i64..5).prop_map(|n| json!({"type": "number", "maximum": n})),
        (1u32..4).prop_map(|m| json!({"type": "integer", "multipleOf": m})),
        prop::sample::subsequence(vec!["red", "green", "blue", "cyan"], 1..4)
            .prop_map(|v| json!({"enum": v})),
        prop::sample::select(vec!["red", "green"])
            .prop_map(|v| json!({"type": "string", "enum": [v, "blue"]})),
        scalar_value().prop_map(|v| json!({"const": v})),
        Just(json!({"$ref": "#/definitions/d0"})),
        Just(json!({"$ref": "#/definitions/d1"})),
        Just(json!({"$ref": "#"})),
    ]
}

fn object(inner: BoxedStrategy<Value>) -> impl Strategy<Value = Value> {
    (
        prop::collection::btree_map(prop::sample::select(NAMES.to_vec()), inner.clone(), 0..4),
        prop::sample::subsequence(NAMES.to_vec(), 0..3),
        prop_oneof![
            Just(None),
            Just(Some(json!(true))),
            Just(Some(json!(false))),
            inner.clone().prop_map(Some)
        ],
        prop::option::of(inner),
        (any::<bool>(), 0u32..3),
    )
        .prop_map(|(props, required, additional, pattern, (typed, min))| {
            let mut m = Map::new();
            if typed {
                m.insert("type".into(), json!("object"));
            }
            m.insert(
                "properties".into(),
                Value::Object(props.into_iter().map(|(k, v)| (k.to_owned(), v)).collect()),
            );
            if !required.is_empty() {
                m.insert("required".into(), json!(required));
            }
            if let Some(a) = additional {
                m.insert("additionalProperties".into(), a);
            }
            if let Some(p) = pattern {
                m.insert("patternProperties".into(), json!({"^x_": p}));
            }
            if min > 0 {
                m.insert("minProperties".into(), json!(min));
            }
            Value::Object(m)
        })
}

fn array(inner: BoxedStrategy<Value>) -> impl Strategy<Value = Value> {
    prop_oneof![
        inner
            .clone()
            .prop_map(|i| json!({"type": "array", "items": i})),
        (
            prop::collection::vec(inner.clone(), 1..3),
            prop::option::of(inner.clone())
        )
            .prop_map(|(tuple, extra)| {
                let mut m = json!({"type": "array", "items": tuple});
                if let Some(e) = extra {
                    m["additionalItems"] = e;
                }
                m
            }),
        (inner, 0u32..3, any::<bool>()).prop_map(
            |(c, n, u)| json!({"type": "array", "contains": c, "maxItems": n + 2, "uniqueItems": u})
        ),
    ]
}

fn schema_body() -> BoxedStrategy<Value> {
    leaf()
        .prop_recursive(3, 24, 4, |inner| {
            let inner = inner.boxed();
            prop_oneof![
                object(inner.clone()),
                array(inner.clone()),
                (
                    prop::sample::select(vec!["anyOf", "oneOf", "allOf"]),
                    prop::collection::vec(inner.clone(), 1..4)
                )
                    .prop_map(|(k, branches)| json!({ k: branches })),
                inner.clone().prop_map(|s| json!({"not": s})),
                (inner, "[a-z]{0,6}").prop_map(|(s, title)| match s {
                    Value::Object(mut m) => {
                        m.insert("title".into(), json!(title));
                        Value::Object(m)
                    }
                    other => other,
                }),
            ]
        })
        .boxed()
}

/// A whole document: a body, two definitions it may reference, maybe a draft.
fn document() -> impl Strategy<Value = Value> {
    (
        schema_body(),
        schema_body(),
        schema_body(),
        prop::sample::select(DRAFTS.to_vec()),
    )
        .prop_map(|(body, d0, d1, draft)| {
            let mut root = match body {
                Value::Object(m) => m,
                other => {
                    let mut m = Map::new();
                    m.insert("allOf".into(), json!([other]));
                    m
                }
            };
            root.insert("definitions".into(), json!({"d0": d0, "d1": d1}));
            if let Some(uri) = draft {
                root.insert("$schema".into(), json!(uri));
            }
            Value::Object(root)
        })
}

fn parse(value: &Value) -> Option<Schema> {
    Schema::parse(SchemaType::Json, &value.to_string(), &[], &NoReferences).ok()
}

fn compatible(
    level: CompatibilityLevel,
    new: &Schema,
    old: &Schema,
    policy: JsonCompatibilityPolicy,
) -> bool {
    let findings = check(
        level,
        new,
        &[Previous {
            version: 1,
            schema: old,
        }],
        &CheckOptions::with_json_policy(policy),
    );
    is_compatible(&findings)
}

const POLICIES: [JsonCompatibilityPolicy; 2] = [
    JsonCompatibilityPolicy::Strict,
    JsonCompatibilityPolicy::Lenient,
];

/// The same JSON with every object's keys in reverse order.
fn reordered(value: &Value) -> Value {
    match value {
        Value::Object(m) => Value::Object(
            m.iter()
                .rev()
                .map(|(k, v)| (k.clone(), reordered(v)))
                .collect(),
        ),
        Value::Array(items) => Value::Array(items.iter().map(reordered).collect()),
        other => other.clone(),
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, max_global_rejects: 100_000, ..ProptestConfig::default() })]

    #[test]
    fn every_schema_is_compatible_with_itself(doc in document()) {
        let Some(a) = parse(&doc) else { return Err(TestCaseError::reject("not a valid schema")) };
        let b = parse(&doc).unwrap();
        let shuffled = parse(&reordered(&doc)).expect("reordering keys keeps a schema valid");
        for level in CompatibilityLevel::ALL {
            for policy in POLICIES {
                prop_assert!(compatible(level, &b, &a, policy), "{level} {policy:?} {doc}");
                prop_assert!(compatible(level, &shuffled, &a, policy), "reordered, {level} {policy:?} {doc}");
            }
        }
    }

    #[test]
    fn backward_mirrors_forward_and_full_is_both(a in document(), b in document()) {
        let (Some(sa), Some(sb)) = (parse(&a), parse(&b)) else {
            return Err(TestCaseError::reject("not a valid schema"));
        };
        for policy in POLICIES {
            let backward = compatible(CompatibilityLevel::Backward, &sb, &sa, policy);
            let forward = compatible(CompatibilityLevel::Forward, &sa, &sb, policy);
            prop_assert_eq!(backward, forward, "{:?}: {} vs {}", policy, a, b);
            let full = compatible(CompatibilityLevel::Full, &sb, &sa, policy);
            let reverse = compatible(CompatibilityLevel::Forward, &sb, &sa, policy);
            prop_assert_eq!(full, backward && reverse, "{:?}: {} vs {}", policy, a, b);
            prop_assert!(compatible(CompatibilityLevel::None, &sb, &sa, policy));
            if policy == JsonCompatibilityPolicy::Strict && backward {
                prop_assert!(compatible(CompatibilityLevel::Backward, &sb, &sa, JsonCompatibilityPolicy::Lenient));
            }
        }
    }

    #[test]
    fn canonical_is_a_fixed_point_and_normalized_ignores_order_and_format(doc in document()) {
        let Some(s) = parse(&doc) else { return Err(TestCaseError::reject("not a valid schema")) };
        let again = Schema::parse(SchemaType::Json, s.canonical(), &[], &NoReferences).unwrap();
        prop_assert_eq!(again.canonical(), s.canonical());
        prop_assert_eq!(again.normalized(), s.normalized());
        let pretty = serde_json::to_string_pretty(&reordered(&doc)).unwrap();
        let other = Schema::parse(SchemaType::Json, &pretty, &[], &NoReferences).unwrap();
        prop_assert_eq!(other.normalized(), s.normalized());
        prop_assert!(!other.canonical().contains('\n'));
    }

    #[test]
    fn arbitrary_text_never_panics(text in ".{0,200}") {
        let _ = Schema::parse(SchemaType::Json, &text, &[], &NoReferences);
    }

    #[test]
    fn json_like_text_never_panics(text in "[{}\\[\\]\":,0-9a-z$#/ .-]{0,120}") {
        let _ = Schema::parse(SchemaType::Json, &text, &[], &NoReferences);
    }

    #[test]
    fn arbitrary_json_and_pairs_never_panic(a in any_json(), b in any_json(), doc in document()) {
        let parsed: Vec<Schema> = [a, b, doc].iter().filter_map(parse).collect();
        for new in &parsed {
            for old in &parsed {
                for level in CompatibilityLevel::ALL {
                    for policy in POLICIES {
                        let _ = compatible(level, new, old, policy);
                    }
                }
            }
        }
    }
}

/// Arbitrary JSON whose object keys are mostly schema keywords, so the
/// parser and the diff see odd combinations of real keywords.
fn any_json() -> impl Strategy<Value = Value> {
    let keys = prop::sample::select(vec![
        "type",
        "properties",
        "items",
        "additionalProperties",
        "required",
        "enum",
        "const",
        "$ref",
        "anyOf",
        "oneOf",
        "allOf",
        "not",
        "minimum",
        "maxLength",
        "pattern",
        "definitions",
        "$defs",
        "prefixItems",
        "additionalItems",
        "dependencies",
        "$id",
        "$schema",
        "if",
        "then",
        "patternProperties",
        "unevaluatedProperties",
        "contains",
        "zzz",
    ]);
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i32>().prop_map(|n| json!(n)),
        any::<f64>()
            .prop_filter("finite", |f| f.is_finite())
            .prop_map(|f| json!(f)),
        "[a-z#/$]{0,8}".prop_map(Value::String),
        prop::sample::select(TYPES.to_vec()).prop_map(|t| json!(t)),
        Just(json!("#/definitions/a")),
        Just(json!("#")),
    ];
    leaf.prop_recursive(4, 40, 5, move |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
            prop::collection::btree_map(keys.clone(), inner, 0..5).prop_map(|m| Value::Object(
                m.into_iter().map(|(k, v)| (k.to_owned(), v)).collect()
            )),
        ]
    })
}

#[test]
fn deeply_nested_and_self_referencing_schemas_terminate() {
    // A chain of pure references back and forth, and deep nesting.
    let cyclic = r##"{"definitions":{"a":{"$ref":"#/definitions/b"},"b":{"$ref":"#/definitions/a"}},"properties":{"x":{"$ref":"#/definitions/a"}}}"##;
    if let Ok(s) = Schema::parse(SchemaType::Json, cyclic, &[], &NoReferences) {
        assert!(compatible(
            CompatibilityLevel::FullTransitive,
            &s,
            &s,
            JsonCompatibilityPolicy::Strict
        ));
    }
    let mut deep = json!({"type": "string"});
    let mut deeper = json!({"type": "integer"});
    for _ in 0..40 {
        deep = json!({"type": "object", "properties": {"n": deep}});
        deeper = json!({"type": "object", "properties": {"n": deeper}});
    }
    let (a, b) = (parse(&deep).unwrap(), parse(&deeper).unwrap());
    assert!(!compatible(
        CompatibilityLevel::Backward,
        &b,
        &a,
        JsonCompatibilityPolicy::Strict
    ));
    // Mutually recursive definitions with unions compare in bounded time.
    let mutual = |t: &str| {
        json!({
            "definitions": {
                "A": {"anyOf": [{"$ref": "#/definitions/B"}, {"type": t}, {"properties": {"a": {"$ref": "#/definitions/A"}}}]},
                "B": {"oneOf": [{"$ref": "#/definitions/A"}, {"items": {"$ref": "#/definitions/B"}}, {"type": "null"}]}
            },
            "anyOf": [{"$ref": "#/definitions/A"}, {"$ref": "#/definitions/B"}]
        })
    };
    let (x, y) = (
        parse(&mutual("string")).unwrap(),
        parse(&mutual("number")).unwrap(),
    );
    for level in CompatibilityLevel::ALL {
        let _ = compatible(level, &x, &y, JsonCompatibilityPolicy::Strict);
    }
    assert!(compatible(
        CompatibilityLevel::Full,
        &x,
        &x,
        JsonCompatibilityPolicy::Strict
    ));
}
