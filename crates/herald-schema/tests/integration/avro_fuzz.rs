//! Nothing panics on any input: arbitrary bytes, arbitrary JSON, and
//! mutations of valid schemas are either rejected with an error or parsed
//! into a schema whose canonical text parses back to itself.

use herald_schema::{
    CheckOptions, CompatibilityLevel, NoReferences, Previous, Schema, SchemaType, check,
};
use proptest::prelude::*;
use serde_json::{Map, Value};

const WORDS: &[&str] = &[
    "record",
    "error",
    "enum",
    "fixed",
    "array",
    "map",
    "null",
    "boolean",
    "int",
    "long",
    "float",
    "double",
    "bytes",
    "string",
    "R",
    "a.b.R",
    "S",
    ".R",
    "",
    "1x",
    "decimal",
    "uuid",
    "date",
    "duration",
    "big-decimal",
    "timestamp-millis",
    "NaN",
    "Infinity",
    "ascending",
    "DESCENDING",
    "x",
    "\u{ff}",
    "\u{1}",
    "é",
];
const KEYS: &[&str] = &[
    "type",
    "name",
    "namespace",
    "fields",
    "items",
    "values",
    "symbols",
    "size",
    "default",
    "aliases",
    "doc",
    "order",
    "logicalType",
    "precision",
    "scale",
    "x",
];

fn leaf() -> impl Strategy<Value = Value> {
    prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        any::<u64>().prop_map(Value::from),
        (-3i64..40).prop_map(Value::from),
        any::<f64>().prop_map(Value::from),
        proptest::sample::select(WORDS).prop_map(Value::from),
        ".{0,6}".prop_map(Value::from),
    ]
}

fn json_value() -> impl Strategy<Value = Value> {
    leaf().prop_recursive(6, 64, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..5).prop_map(Value::Array),
            prop::collection::vec((proptest::sample::select(KEYS), inner), 0..7).prop_map(|kv| {
                Value::Object(
                    kv.into_iter()
                        .map(|(k, v)| (k.to_owned(), v))
                        .collect::<Map<_, _>>(),
                )
            }),
        ]
    })
}

/// Valid-looking schemas to mutate, so mutations reach deep code paths.
const SEEDS: &[&str] = &[
    r#"{"type":"record","name":"a.R","fields":[{"name":"x","type":["null",{"type":"enum","name":"E","symbols":["A","B"],"default":"A"}],"default":null},{"name":"y","type":{"type":"array","items":{"type":"map","values":{"type":"fixed","name":"F","size":4,"logicalType":"decimal","precision":4}}}},{"name":"z","type":"R"},{"name":"w","type":{"type":"bytes","logicalType":"decimal","precision":5,"scale":2},"default":"\u0000"}]}"#,
    r#"{"type":"record","name":"Node","fields":[{"name":"v","type":"int","default":1},{"name":"next","type":["null","Node"],"default":null},{"name":"r","type":{"type":"record","name":"In","fields":[{"name":"q","type":"double","default":"NaN"}]},"default":{"q":1}}]}"#,
    r#"["null","string",{"type":"record","name":"U","fields":[]},{"type":"array","items":"U"}]"#,
];

/// Replaces the node at a pseudo-random position (by `pick`) with `with`.
fn mutate(v: &mut Value, pick: &mut u64, with: &Value) -> bool {
    *pick = pick
        .wrapping_mul(6364136223846793005)
        .wrapping_add(1442695040888963407);
    if (*pick >> 60) == 0 {
        *v = with.clone();
        return true;
    }
    match v {
        Value::Array(items) if !items.is_empty() => {
            let i = (*pick >> 20) as usize % items.len();
            if (*pick >> 59) & 1 == 1 && items.len() > 1 {
                items.remove(i);
                return true;
            }
            mutate(&mut items[i], pick, with)
        }
        Value::Object(m) if !m.is_empty() => {
            let i = (*pick >> 20) as usize % m.len();
            let key = m.keys().nth(i).cloned().unwrap_or_default();
            if (*pick >> 58) & 3 == 3 {
                m.remove(&key);
                return true;
            }
            match m.get_mut(&key) {
                Some(child) => mutate(child, pick, with),
                None => false,
            }
        }
        _ => {
            *v = with.clone();
            true
        }
    }
}

/// Parses `text`; when it is a valid schema, its canonical text must parse
/// back to itself and the schema must be compatible with itself.
fn exercise(text: &str) {
    let Ok(s) = Schema::parse(SchemaType::Avro, text, &[], &NoReferences) else {
        return;
    };
    let again = Schema::parse(SchemaType::Avro, s.canonical(), &[], &NoReferences)
        .unwrap_or_else(|e| panic!("canonical of {text} does not parse: {}: {e}", s.canonical()));
    assert_eq!(again.canonical(), s.canonical());
    let _ = s.normalized();
    if let Schema::Avro(a) = &s {
        let _ = a.apache_avro_schema();
    }
    let findings = check(
        CompatibilityLevel::FullTransitive,
        &s,
        &[Previous {
            version: 1,
            schema: &again,
        }],
        &CheckOptions::default(),
    );
    assert!(findings.is_empty(), "{text}: {findings:?}");
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    #[test]
    fn arbitrary_bytes_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..200)) {
        exercise(&String::from_utf8_lossy(&bytes));
    }

    #[test]
    fn arbitrary_strings_never_panic(s in "\\PC{0,80}") {
        exercise(&s);
    }

    #[test]
    fn arbitrary_json_never_panics(v in json_value()) {
        exercise(&v.to_string());
    }

    #[test]
    fn mutated_schemas_never_panic(seed in 0..SEEDS.len(), pick in any::<u64>(), with in json_value(), rounds in 1usize..4) {
        let mut v: Value = serde_json::from_str(SEEDS[seed]).unwrap();
        let mut pick = pick;
        for _ in 0..rounds {
            mutate(&mut v, &mut pick, &with);
        }
        exercise(&v.to_string());
    }
}

#[test]
fn deeply_nested_input_is_an_error_not_a_stack_overflow() {
    let deep = format!("{}\"int\"{}", "[".repeat(100_000), "]".repeat(100_000));
    assert!(Schema::parse(SchemaType::Avro, &deep, &[], &NoReferences).is_err());
    let deep = format!(
        "{}\"int\"{}",
        "{\"type\":\"array\",\"items\":".repeat(50_000),
        "}".repeat(50_000)
    );
    assert!(Schema::parse(SchemaType::Avro, &deep, &[], &NoReferences).is_err());
}
