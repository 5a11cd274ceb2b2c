//! Property tests over generated Avro schemas: self-compatibility at every
//! level, the BACKWARD/FORWARD symmetry, FULL = both, and the canonical
//! form's idempotence and stability under re-formatting and key reordering.

use herald_schema::{
    CheckOptions, CompatibilityLevel, NoReferences, Previous, Schema, SchemaType, check,
    is_compatible,
};
use proptest::prelude::*;
use serde_json::{Map, Value, json};

/// The shape of a generated type; names are assigned when rendering.
#[derive(Debug, Clone)]
enum T {
    Prim(&'static str),
    Logical(&'static str, &'static str),
    Array(Box<T>),
    Map(Box<T>),
    /// Distinct primitives, then optionally one named type.
    Union(Vec<&'static str>, Option<Box<T>>),
    Record(Vec<(T, bool)>, bool),
    Enum(usize, bool),
    Fixed(u32),
}

const PRIMS: [&str; 8] = [
    "null", "boolean", "int", "long", "float", "double", "bytes", "string",
];

fn prim() -> impl Strategy<Value = T> {
    prop_oneof![
        proptest::sample::select(&PRIMS[..]).prop_map(T::Prim),
        proptest::sample::select(
            &[
                ("int", "date"),
                ("long", "timestamp-millis"),
                ("long", "timestamp-micros"),
                ("string", "uuid"),
            ][..]
        )
        .prop_map(|(b, l)| T::Logical(b, l)),
        (1usize..5, any::<bool>()).prop_map(|(n, d)| T::Enum(n, d)),
        (0u32..20).prop_map(T::Fixed),
    ]
}

fn ty() -> impl Strategy<Value = T> {
    prim().prop_recursive(3, 24, 5, |inner| {
        prop_oneof![
            inner.clone().prop_map(|t| T::Array(Box::new(t))),
            inner.clone().prop_map(|t| T::Map(Box::new(t))),
            (
                proptest::sample::subsequence(&PRIMS[..], 1..4),
                proptest::option::of(prop_oneof![
                    (1usize..4, any::<bool>()).prop_map(|(n, d)| T::Enum(n, d)),
                    (1u32..9).prop_map(T::Fixed),
                ])
            )
                .prop_map(|(p, n)| T::Union(p, n.map(Box::new))),
            (
                prop::collection::vec((inner, any::<bool>()), 0..5),
                any::<bool>()
            )
                .prop_map(|(f, ns)| T::Record(f, ns)),
        ]
    })
}

fn top() -> impl Strategy<Value = T> {
    (
        prop::collection::vec((ty(), any::<bool>()), 1..7),
        any::<bool>(),
    )
        .prop_map(|(f, ns)| T::Record(f, ns))
}

struct Render {
    next: usize,
}

impl Render {
    fn name(&mut self, prefix: &str) -> String {
        self.next += 1;
        format!("{prefix}{}", self.next)
    }

    fn render(&mut self, t: &T) -> Value {
        match t {
            T::Prim(p) => json!(p),
            T::Logical(b, l) => json!({"type": b, "logicalType": l}),
            T::Array(i) => json!({"type": "array", "items": self.render(i), "x-array": 1}),
            T::Map(v) => json!({"type": "map", "values": self.render(v)}),
            T::Union(prims, named) => {
                let mut branches: Vec<Value> = prims.iter().map(|p| json!(p)).collect();
                if let Some(n) = named {
                    branches.push(self.render(n));
                }
                Value::Array(branches)
            }
            T::Enum(n, with_default) => {
                let symbols: Vec<String> = (0..*n).map(|i| format!("S{i}")).collect();
                let mut e = json!({"type": "enum", "name": self.name("E"), "symbols": symbols, "doc": "an enum"});
                if *with_default {
                    e["default"] = json!("S0");
                }
                e
            }
            T::Fixed(size) => {
                json!({"type": "fixed", "name": self.name("F"), "size": size, "aliases": ["OldFixed"]})
            }
            T::Record(fields, namespaced) => {
                let name = self.name("R");
                let fields: Vec<Value> = fields
                    .iter()
                    .enumerate()
                    .map(|(i, (t, with_default))| {
                        let mut f = json!({"name": format!("f{i}"), "type": self.render(t)});
                        if *with_default {
                            f["default"] = default_for(t);
                        }
                        if i % 2 == 1 {
                            f["doc"] = json!(format!("field {i}\n\"quoted\""));
                            f["x-prop"] = json!({"b": [1, 2.5], "a": null});
                        }
                        f
                    })
                    .collect();
                let mut r =
                    json!({"type": "record", "name": name, "fields": fields, "connect.name": "x"});
                if *namespaced {
                    r["namespace"] = json!(format!("ns{}.sub", self.next));
                }
                r
            }
        }
    }
}

fn default_for(t: &T) -> Value {
    match t {
        T::Prim("null") => Value::Null,
        T::Prim("boolean") => json!(true),
        T::Prim("int") | T::Logical("int", _) => json!(1),
        T::Prim("long") | T::Logical("long", _) => json!(2),
        T::Prim("float") => json!(1.5),
        T::Prim("double") => json!(2.5e10),
        T::Prim("bytes") => json!("\u{ff}"),
        T::Logical("string", "uuid") => json!("00000000-0000-0000-0000-000000000000"),
        T::Prim(_) | T::Logical(..) => json!("s"),
        T::Array(_) => json!([]),
        T::Map(_) => json!({}),
        T::Union(prims, _) => default_for(&T::Prim(prims[0])),
        T::Enum(..) => json!("S0"),
        T::Fixed(n) => json!("a".repeat(*n as usize)),
        T::Record(fields, _) => {
            let m: Map<String, Value> = fields
                .iter()
                .enumerate()
                .map(|(i, (t, _))| (format!("f{i}"), default_for(t)))
                .collect();
            Value::Object(m)
        }
    }
}

fn render(t: &T) -> Value {
    Render { next: 0 }.render(t)
}

fn parse(v: &Value) -> Schema {
    let text = v.to_string();
    Schema::parse(SchemaType::Avro, &text, &[], &NoReferences)
        .unwrap_or_else(|e| panic!("{text}: {e}"))
}

fn compatible(level: CompatibilityLevel, new: &Schema, old: &Schema) -> bool {
    is_compatible(&check(
        level,
        new,
        &[Previous {
            version: 1,
            schema: old,
        }],
        &CheckOptions::default(),
    ))
}

/// A change to the top-level record's fields, to get pairs that are
/// sometimes compatible and sometimes not.
#[derive(Debug, Clone)]
enum Change {
    AddField(T, bool),
    RemoveField(usize),
    RetypeField(usize, &'static str),
    ToggleDefault(usize),
}

fn change() -> impl Strategy<Value = Change> {
    prop_oneof![
        (prim(), any::<bool>()).prop_map(|(t, d)| Change::AddField(t, d)),
        any::<usize>().prop_map(Change::RemoveField),
        (any::<usize>(), proptest::sample::select(&PRIMS[..]))
            .prop_map(|(i, p)| Change::RetypeField(i, p)),
        any::<usize>().prop_map(Change::ToggleDefault),
    ]
}

fn apply(base: &T, changes: &[Change]) -> T {
    let T::Record(fields, ns) = base else {
        return base.clone();
    };
    let mut fields = fields.clone();
    for c in changes {
        match c {
            Change::AddField(t, d) => fields.push((t.clone(), *d)),
            Change::RemoveField(i) if !fields.is_empty() => {
                let i = i % fields.len();
                fields.remove(i);
            }
            Change::RetypeField(i, p) if !fields.is_empty() => {
                let i = i % fields.len();
                fields[i].0 = T::Prim(p);
            }
            Change::ToggleDefault(i) if !fields.is_empty() => {
                let i = i % fields.len();
                fields[i].1 = !fields[i].1;
            }
            _ => {}
        }
    }
    T::Record(fields, *ns)
}

const AVRO_KEYS: [&str; 12] = [
    "type",
    "name",
    "namespace",
    "doc",
    "fields",
    "items",
    "values",
    "size",
    "symbols",
    "aliases",
    "default",
    "order",
];

/// Reorders the keys of every schema object: Avro's own attributes move by
/// `seed`, custom properties keep their relative order (Java writes them in
/// the order given, so that order is part of the schema). Values of
/// `default` and of properties are data and stay as they are.
fn reorder(v: &Value, seed: u64) -> Value {
    match v {
        Value::Array(items) => Value::Array(
            items
                .iter()
                .map(|i| reorder(i, seed.rotate_left(7)))
                .collect(),
        ),
        Value::Object(m) => {
            let mut avro: Vec<(&String, &Value)> = m
                .iter()
                .filter(|(k, _)| AVRO_KEYS.contains(&k.as_str()))
                .collect();
            let props: Vec<(&String, &Value)> = m
                .iter()
                .filter(|(k, _)| !AVRO_KEYS.contains(&k.as_str()))
                .collect();
            let mut s = seed | 1;
            for i in (1..avro.len()).rev() {
                s = s
                    .wrapping_mul(6364136223846793005)
                    .wrapping_add(1442695040888963407);
                avro.swap(i, (s >> 33) as usize % (i + 1));
            }
            let mut out = Map::new();
            let split = (seed as usize) % (avro.len() + 1);
            for (k, val) in avro[..split]
                .iter()
                .chain(props.iter())
                .chain(avro[split..].iter())
            {
                let val = match k.as_str() {
                    "fields" | "items" | "values" | "type" => reorder(val, seed.rotate_left(13)),
                    _ => (*val).clone(),
                };
                out.insert((*k).clone(), val);
            }
            Value::Object(out)
        }
        other => other.clone(),
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 128, ..ProptestConfig::default() })]

    #[test]
    fn every_schema_is_compatible_with_itself(t in top()) {
        let s = parse(&render(&t));
        let Schema::Avro(avro) = &s else { unreachable!("parsed as Avro") };
        // The SDK's encoder can use every generated schema.
        prop_assert!(avro.apache_avro_schema().is_ok(), "{:?}", avro.apache_avro_schema().err());
        for level in CompatibilityLevel::ALL {
            let findings = check(level, &s, &[Previous { version: 1, schema: &s }], &CheckOptions::default());
            prop_assert!(findings.is_empty(), "{level}: {findings:?}");
        }
    }

    #[test]
    fn backward_one_way_is_forward_the_other_way(t in top(), changes in prop::collection::vec(change(), 1..4)) {
        let a = parse(&render(&t));
        let b = parse(&render(&apply(&t, &changes)));
        let backward = compatible(CompatibilityLevel::Backward, &b, &a);
        prop_assert_eq!(backward, compatible(CompatibilityLevel::Forward, &a, &b));
        let forward = compatible(CompatibilityLevel::Forward, &b, &a);
        prop_assert_eq!(forward, compatible(CompatibilityLevel::Backward, &a, &b));
        prop_assert_eq!(compatible(CompatibilityLevel::Full, &b, &a), backward && forward);
        prop_assert_eq!(compatible(CompatibilityLevel::FullTransitive, &b, &a), backward && forward);
    }

    #[test]
    fn canonical_form_is_idempotent_and_stable(t in top(), seed in any::<u64>()) {
        let v = render(&t);
        let s = parse(&v);
        let canonical = s.canonical().to_owned();
        let again = parse(&serde_json::from_str(&canonical).unwrap());
        prop_assert_eq!(again.canonical(), canonical.as_str());
        let pretty = serde_json::to_string_pretty(&v).unwrap();
        let reformatted = Schema::parse(SchemaType::Avro, &pretty, &[], &NoReferences).unwrap();
        prop_assert_eq!(reformatted.canonical(), canonical.as_str());
        let reordered = parse(&reorder(&v, seed));
        prop_assert_eq!(reordered.canonical(), canonical.as_str());
        // The normalized form is a canonical text too, and a fixed point.
        let normalized = s.normalized().to_owned();
        let again = parse(&serde_json::from_str(&normalized).unwrap());
        prop_assert_eq!(again.normalized(), normalized.as_str());
        prop_assert_eq!(reordered.normalized(), normalized.as_str());
    }
}
