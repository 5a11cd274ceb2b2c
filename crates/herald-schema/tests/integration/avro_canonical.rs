//! Canonical text (Java `Schema.toString()`), normalized form, Parsing
//! Canonical Form and fingerprints of Avro schemas, through the public API.

use herald_schema::avro::AvroSchema;
use herald_schema::{
    MapResolver, NoReferences, Reference, ReferenceResolver, ResolvedReference, Schema, SchemaType,
};

fn parse_with(text: &str, refs: &[Reference], resolver: &dyn ReferenceResolver) -> AvroSchema {
    match Schema::parse(SchemaType::Avro, text, refs, resolver) {
        Ok(Schema::Avro(a)) => a,
        Ok(other) => panic!("not Avro: {other:?}"),
        Err(e) => panic!("{text} did not parse: {e}"),
    }
}

fn parse(text: &str) -> AvroSchema {
    parse_with(text, &[], &NoReferences)
}

#[track_caller]
fn canonical_is(input: &str, expected: &str) {
    let s = parse(input);
    assert_eq!(s.canonical(), expected, "canonical of {input}");
    // Parsing the canonical text again gives the same text.
    assert_eq!(
        parse(expected).canonical(),
        expected,
        "canonical is idempotent"
    );
}

#[test]
fn primitives_collapse_to_their_name() {
    canonical_is(r#"{"type":"string"}"#, r#""string""#);
    canonical_is(r#" "long" "#, r#""long""#);
    canonical_is(
        r#"{"type":"null","doc":"dropped: reserved on primitives"}"#,
        r#""null""#,
    );
}

#[test]
fn primitives_with_properties_stay_objects() {
    canonical_is(
        r#"{"connect.version":1,"type":"long","connect.name":"io.debezium.time.Timestamp"}"#,
        r#"{"type":"long","connect.version":1,"connect.name":"io.debezium.time.Timestamp"}"#,
    );
    canonical_is(
        r#"{"type":"string","avro.java.string":"String"}"#,
        r#"{"type":"string","avro.java.string":"String"}"#,
    );
}

#[test]
fn record_keys_follow_java_order() {
    canonical_is(
        r#"{"aliases":["Purchase","old.Order"],"connect.name":"com.acme.Order","fields":[
             {"doc":"the id","type":{"type":"string"},"name":"id"},
             {"type":"int","name":"qty","default":1}],
           "doc":"An order","namespace":"com.acme","name":"Order","type":"record"}"#,
        r#"{"type":"record","name":"Order","namespace":"com.acme","doc":"An order","fields":[{"name":"id","type":"string","doc":"the id"},{"name":"qty","type":"int","default":1}],"connect.name":"com.acme.Order","aliases":["Purchase","old.Order"]}"#,
    );
}

#[test]
fn named_types_are_written_once_and_namespaces_inherited() {
    canonical_is(
        r#"{"type":"record","name":"a.b.Outer","fields":[
            {"name":"x","type":{"type":"record","name":"Inner","fields":[{"name":"v","type":"long"}]}},
            {"name":"y","type":"Inner"},
            {"name":"z","type":{"type":"enum","name":"c.E","symbols":["A","B"]}},
            {"name":"w","type":["null","c.E"]},
            {"name":"n","type":{"type":"fixed","name":"F","namespace":"","size":4}},
            {"name":"m","type":"F"}]}"#,
        r#"{"type":"record","name":"Outer","namespace":"a.b","fields":[{"name":"x","type":{"type":"record","name":"Inner","fields":[{"name":"v","type":"long"}]}},{"name":"y","type":"Inner"},{"name":"z","type":{"type":"enum","name":"E","namespace":"c","symbols":["A","B"]}},{"name":"w","type":["null","c.E"]},{"name":"n","type":{"type":"fixed","name":"F","namespace":"","size":4}},{"name":"m","type":"F"}]}"#,
    );
}

#[test]
fn a_named_type_called_like_a_type_is_referenced_by_full_name() {
    canonical_is(
        r#"{"type":"record","name":"x.R","fields":[{"name":"a","type":{"type":"fixed","name":"map","size":1}},{"name":"b","type":"map"}]}"#,
        r#"{"type":"record","name":"R","namespace":"x","fields":[{"name":"a","type":{"type":"fixed","name":"map","size":1}},{"name":"b","type":"x.map"}]}"#,
    );
}

#[test]
fn logical_types_keep_their_properties_in_written_order() {
    canonical_is(
        r#"{"type":"record","name":"T","fields":[
            {"name":"d","type":{"logicalType":"date","type":"int"}},
            {"name":"amt","type":{"type":"bytes","scale":2,"logicalType":"decimal","precision":10}},
            {"name":"ts","type":{"type":"long","logicalType":"timestamp-millis","connect.version":1}},
            {"name":"u","type":{"type":"fixed","name":"U","size":16,"logicalType":"uuid"}}]}"#,
        r#"{"type":"record","name":"T","fields":[{"name":"d","type":{"type":"int","logicalType":"date"}},{"name":"amt","type":{"type":"bytes","scale":2,"logicalType":"decimal","precision":10}},{"name":"ts","type":{"type":"long","logicalType":"timestamp-millis","connect.version":1}},{"name":"u","type":{"type":"fixed","name":"U","size":16,"logicalType":"uuid"}}]}"#,
    );
}

#[test]
fn field_defaults_order_aliases_and_properties() {
    canonical_is(
        r#"{"type":"record","name":"D","fields":[
            {"name":"a","type":["null","string"],"default":null},
            {"name":"b","type":"double","default":1},
            {"name":"c","type":"float","default":"NaN"},
            {"name":"e","type":{"type":"array","items":"int"},"default":[1,2]},
            {"name":"f","type":"double","default":1e10},
            {"name":"h","type":"double","default":"2"},
            {"x-prop":{"b":1,"a":2},"aliases":["g0","g0"],"order":"DESCENDING","default":"x","type":"string","name":"g"},
            {"name":"i","type":"int","order":"ascending"}]}"#,
        r#"{"type":"record","name":"D","fields":[{"name":"a","type":["null","string"],"default":null},{"name":"b","type":"double","default":1},{"name":"c","type":"float","default":"NaN"},{"name":"e","type":{"type":"array","items":"int"},"default":[1,2]},{"name":"f","type":"double","default":1.0E10},{"name":"h","type":"double","default":2.0},{"name":"g","type":"string","default":"x","order":"descending","aliases":["g0"],"x-prop":{"b":1,"a":2}},{"name":"i","type":"int"}]}"#,
    );
}

#[test]
fn enums_fixed_arrays_maps_and_errors() {
    canonical_is(
        r#"{"symbols":["A","B"],"type":"enum","name":"E","default":"A","doc":"d","x":1,"aliases":["E0"]}"#,
        r#"{"type":"enum","name":"E","doc":"d","symbols":["A","B"],"default":"A","x":1,"aliases":["E0"]}"#,
    );
    canonical_is(
        r#"{"size":16,"name":"Hash","type":"fixed","namespace":"h","aliases":["h.Old","other.H"]}"#,
        r#"{"type":"fixed","name":"Hash","namespace":"h","size":16,"aliases":["Old","other.H"]}"#,
    );
    canonical_is(
        r#"{"type":"map","y":null,"values":{"x":true,"type":"array","items":"string"}}"#,
        r#"{"type":"map","values":{"type":"array","items":"string","x":true},"y":null}"#,
    );
    canonical_is(
        r#"{"type":"error","name":"Oops","fields":[]}"#,
        r#"{"type":"error","name":"Oops","fields":[]}"#,
    );
    canonical_is(r#"[ "null" , {"type":"string"} ]"#, r#"["null","string"]"#);
}

#[test]
fn strings_are_escaped_as_jackson_does() {
    canonical_is(
        "{\"type\":\"record\",\"name\":\"R\",\"doc\":\"line1\\nline2 \\\"q\\\" \\u0001 é \\/\",\"fields\":[]}",
        "{\"type\":\"record\",\"name\":\"R\",\"doc\":\"line1\\nline2 \\\"q\\\" \\u0001 é /\",\"fields\":[]}",
    );
}

fn money_resolver() -> (Vec<Reference>, MapResolver) {
    let mut m = MapResolver::new();
    m.insert(
        "money",
        1,
        ResolvedReference {
            schema_type: SchemaType::Avro,
            text: r#"{"type":"record","name":"Money","namespace":"com.acme","fields":[{"name":"amount","type":"long"},{"name":"currency","type":{"type":"enum","name":"Currency","symbols":["EUR","USD"]}}]}"#.into(),
            references: vec![],
        },
    );
    let refs = vec![Reference {
        name: "com.acme.Money".into(),
        subject: "money".into(),
        version: 1,
    }];
    (refs, m)
}

#[test]
fn referenced_types_are_written_by_name_and_inlined_in_the_pcf() {
    let (refs, m) = money_resolver();
    let s = parse_with(
        r#"{"type":"record","name":"Order","namespace":"com.acme","fields":[{"name":"price","type":"Money"},{"name":"total","type":"com.acme.Money"}]}"#,
        &refs,
        &m,
    );
    assert_eq!(
        s.canonical(),
        r#"{"type":"record","name":"Order","namespace":"com.acme","fields":[{"name":"price","type":"Money"},{"name":"total","type":"Money"}]}"#
    );
    assert_eq!(
        s.parsing_canonical_form(),
        r#"{"name":"com.acme.Order","type":"record","fields":[{"name":"price","type":{"name":"com.acme.Money","type":"record","fields":[{"name":"amount","type":"long"},{"name":"currency","type":{"name":"com.acme.Currency","type":"enum","symbols":["EUR","USD"]}}]}},{"name":"total","type":"com.acme.Money"}]}"#
    );
    assert_eq!(s.references(), refs.as_slice());
    // Confluent knows only the referenced schema's top-level name, so a
    // nested type of it is written in full at its first use.
    let s = parse_with(
        r#"{"type":"record","name":"Quote","fields":[{"name":"c","type":"com.acme.Currency"},{"name":"d","type":"com.acme.Currency"}]}"#,
        &refs,
        &m,
    );
    assert_eq!(
        s.canonical(),
        r#"{"type":"record","name":"Quote","fields":[{"name":"c","type":{"type":"enum","name":"Currency","namespace":"com.acme","symbols":["EUR","USD"]}},{"name":"d","type":"com.acme.Currency"}]}"#
    );
}

#[test]
fn normalized_form_follows_confluent() {
    let s = parse(
        r#"{"type":"record","name":"Order","namespace":"com.acme","doc":"","aliases":["Z","A"],"fields":[
            {"name":"id","type":"string","aliases":["y","x"],"doc":"","x-b":1,"x-a":{"k2":1,"k1":2}},
            {"name":"d","type":{"type":"bytes","connect.x":1,"logicalType":"decimal","precision":4,"scale":0}},
            {"name":"e","type":{"type":"enum","name":"E","symbols":["A"],"default":"A"}},
            {"name":"f","type":"E"}],"z":1,"a":2}"#,
    );
    assert_eq!(
        s.normalized(),
        r#"{"type":"record","name":"Order","namespace":"com.acme","fields":[{"name":"id","type":"string","doc":"","aliases":["x","y"],"x-a":{"k1":2,"k2":1},"x-b":1},{"name":"d","type":{"type":"bytes","logicalType":"decimal","precision":4,"connect.x":1,"scale":0}},{"name":"e","type":{"type":"enum","name":"E","symbols":["A"],"default":"A"}},{"name":"f","type":"E"}],"a":2,"z":1,"aliases":["A","Z"]}"#
    );
    // Spelling the namespace differently and reordering properties and
    // aliases does not change the normalized form.
    let t = parse(
        r#"{"a":2,"z":1,"type":"record","name":"com.acme.Order","aliases":["com.acme.A","Z"],"fields":[
            {"name":"id","type":"string","x-a":{"k1":2,"k2":1},"x-b":1,"aliases":["x","y"],"doc":""},
            {"name":"d","type":{"precision":4,"logicalType":"decimal","type":"bytes","scale":0,"connect.x":1}},
            {"name":"e","type":{"type":"enum","name":"com.acme.E","symbols":["A"],"default":"A"}},
            {"name":"f","type":"com.acme.E"}]}"#,
    );
    assert_ne!(s.canonical(), t.canonical());
    assert_eq!(s.normalized(), t.normalized());
}

#[test]
fn normalized_default_of_a_double_field_is_a_double() {
    let s = parse(
        r#"{"type":"record","name":"R","fields":[{"name":"x","type":"double","default":0},{"name":"y","type":["null","float"],"default":null},{"name":"z","type":"float","default":0.1}]}"#,
    );
    assert_eq!(
        s.normalized(),
        r#"{"type":"record","name":"R","fields":[{"name":"x","type":"double","default":0.0},{"name":"y","type":["null","float"],"default":null},{"name":"z","type":"float","default":0.1}]}"#
    );
}

/// Cases from Avro's own test suite (share/test/data/schema-tests.txt):
/// input, Parsing Canonical Form, and fingerprint as a Java long.
const PCF_CASES: &[(&str, &str, Option<i64>)] = &[
    (r#""null""#, r#""null""#, Some(7195948357588979594)),
    (r#"{"type":"null"}"#, r#""null""#, None),
    (r#""boolean""#, r#""boolean""#, Some(-6970731678124411036)),
    (r#""int""#, r#""int""#, Some(8247732601305521295)),
    (r#"{"type":"int"}"#, r#""int""#, None),
    (r#""long""#, r#""long""#, Some(-3434872931120570953)),
    (r#""float""#, r#""float""#, Some(5583340709985441680)),
    (r#""double""#, r#""double""#, Some(-8181574048448539266)),
    (r#""bytes""#, r#""bytes""#, Some(5746618253357095269)),
    (r#""string""#, r#""string""#, Some(-8142146995180207161)),
    ("[  ]", "[]", Some(-1241056759729112623)),
    (r#"[ "int"  ]"#, r#"["int"]"#, Some(-5232228896498058493)),
    (
        r#"[ "int" , {"type":"boolean"} ]"#,
        r#"["int","boolean"]"#,
        Some(5392556393470105090),
    ),
    (
        r#"{"fields":[], "type":"record", "name":"foo"}"#,
        r#"{"name":"foo","type":"record","fields":[]}"#,
        Some(-4824392279771201922),
    ),
    (
        r#"{"fields":[], "type":"record", "name":"foo", "namespace":"x.y"}"#,
        r#"{"name":"x.y.foo","type":"record","fields":[]}"#,
        Some(5916914534497305771),
    ),
    (
        r#"{"fields":[], "type":"record", "name":"a.b.foo", "namespace":"x.y"}"#,
        r#"{"name":"a.b.foo","type":"record","fields":[]}"#,
        Some(-4616218487480524110),
    ),
    (
        r#"{"fields":[], "type":"record", "name":"foo", "doc":"Useful info"}"#,
        r#"{"name":"foo","type":"record","fields":[]}"#,
        Some(-4824392279771201922),
    ),
    (
        r#"{"fields":[], "type":"record", "name":"foo", "aliases":["foo","bar"]}"#,
        r#"{"name":"foo","type":"record","fields":[]}"#,
        Some(-4824392279771201922),
    ),
    (
        r#"{"fields":[{"type":{"type":"boolean"}, "name":"f1"}], "type":"record", "name":"foo"}"#,
        r#"{"name":"foo","type":"record","fields":[{"name":"f1","type":"boolean"}]}"#,
        Some(7843277075252814651),
    ),
    // The suite's case 026 uses the string "true" as a boolean default, which
    // Herald (like Java with default validation) rejects; `true` keeps its point.
    (
        r#"{ "fields":[{"type":"boolean", "aliases":[], "name":"f1", "default":true},
            {"order":"descending","name":"f2","doc":"Hello","type":"int"}],
          "type":"record", "name":"foo"}"#,
        r#"{"name":"foo","type":"record","fields":[{"name":"f1","type":"boolean"},{"name":"f2","type":"int"}]}"#,
        Some(-4860222112080293046),
    ),
    (
        r#"{"type":"enum", "name":"foo", "symbols":["A1"]}"#,
        r#"{"name":"foo","type":"enum","symbols":["A1"]}"#,
        Some(-6342190197741309591),
    ),
    (
        r#"{"namespace":"x.y.z", "type":"enum", "name":"foo", "doc":"foo bar", "symbols":["A1", "A2"]}"#,
        r#"{"name":"x.y.z.foo","type":"enum","symbols":["A1","A2"]}"#,
        Some(-4448647247586288245),
    ),
    (
        r#"{"name":"foo","type":"fixed","size":15}"#,
        r#"{"name":"foo","type":"fixed","size":15}"#,
        Some(1756455273707447556),
    ),
    (
        r#"{"namespace":"x.y.z", "type":"fixed", "name":"foo", "doc":"foo bar", "size":32}"#,
        r#"{"name":"x.y.z.foo","type":"fixed","size":32}"#,
        Some(-3064184465700546786),
    ),
    (
        r#"{ "items":{"type":"null"}, "type":"array"}"#,
        r#"{"type":"array","items":"null"}"#,
        Some(-589620603366471059),
    ),
    (
        r#"{ "values":"string", "type":"map"}"#,
        r#"{"type":"map","values":"string"}"#,
        Some(-8732877298790414990),
    ),
    (
        r#"{"name":"PigValue","type":"record",
         "fields":[{"name":"value", "type":["null", "int", "long", "PigValue"]}]}"#,
        r#"{"name":"PigValue","type":"record","fields":[{"name":"value","type":["null","int","long","PigValue"]}]}"#,
        Some(-1759257747318642341),
    ),
];

#[test]
fn parsing_canonical_form_and_rabin_match_the_avro_suite() {
    for (input, pcf, fingerprint) in PCF_CASES {
        let s = parse(input);
        assert_eq!(s.parsing_canonical_form(), *pcf, "PCF of {input}");
        if let Some(fp) = fingerprint {
            assert_eq!(s.rabin_fingerprint() as i64, *fp, "fingerprint of {input}");
            assert_eq!(s.rabin_fingerprint_le_bytes(), (*fp as u64).to_le_bytes());
        }
    }
}

#[test]
fn pcf_digests() {
    let s = parse(r#""int""#);
    // md5("\"int\"") and sha256("\"int\"").
    let hex = |b: &[u8]| b.iter().map(|x| format!("{x:02x}")).collect::<String>();
    assert_eq!(hex(&s.pcf_md5()), "ef524ea1b91e73173d938ade36c1db32");
    assert_eq!(
        hex(&s.pcf_sha256()),
        "3f2b87a9fe7cc9b13835598c3981cd45e3e355309e5090aa0933d7becb6fba45"
    );
}

#[test]
fn the_schema_digests_hash_the_canonical_text() {
    let s = Schema::parse(SchemaType::Avro, r#"{"type":"string"}"#, &[], &NoReferences).unwrap();
    assert_eq!(s.canonical(), r#""string""#);
    let Schema::Avro(a) = &s else {
        panic!("not avro")
    };
    // Canonical "string" and PCF "string" coincide here, so the digests do too.
    assert_eq!(s.md5(), a.pcf_md5());
    assert_eq!(s.sha256(), a.pcf_sha256());
    assert_eq!(a.full_name(), None);
    assert_eq!(
        parse(r#"{"type":"record","name":"a.R","fields":[]}"#).full_name(),
        Some("a.R")
    );
}

#[test]
fn apache_avro_schema_is_self_contained() {
    let (refs, m) = money_resolver();
    let s = parse_with(
        r#"{"type":"record","name":"Order","namespace":"com.acme","fields":[{"name":"price","type":"Money"}]}"#,
        &refs,
        &m,
    );
    let apache = s.apache_avro_schema().unwrap();
    assert_eq!(apache.canonical_form(), s.parsing_canonical_form());
}

#[test]
fn schemas_can_be_shared_between_threads() {
    fn assert_send_sync<T: Send + Sync>(_: &T) {}
    let s = parse(r#""int""#);
    assert_send_sync(&s);
    let t = s.clone();
    let handle = std::thread::spawn(move || t.canonical().to_owned());
    assert_eq!(handle.join().unwrap(), s.canonical());
}

#[test]
fn normalized_form_keeps_references_by_name() {
    let (refs, m) = money_resolver();
    let s = parse_with(
        r#"{"type":"record","name":"Order","namespace":"com.acme","fields":[{"name":"price","type":"Money","doc":"net"}]}"#,
        &refs,
        &m,
    );
    assert_eq!(
        s.normalized(),
        r#"{"type":"record","name":"Order","namespace":"com.acme","fields":[{"name":"price","type":"Money","doc":"net"}]}"#
    );
}

#[test]
fn a_valid_schema_apache_avro_cannot_use_is_reported_on_request() {
    // Java (and so Confluent) accepts any string as a uuid default; the
    // apache-avro encoder needs a real UUID, so asking for its schema fails.
    let s = parse(
        r#"{"type":"record","name":"R","fields":[{"name":"id","type":{"type":"string","logicalType":"uuid"},"default":""}]}"#,
    );
    assert!(s.canonical().contains("\"default\":\"\""));
    let e = s.apache_avro_schema().unwrap_err();
    assert!(
        matches!(e, herald_schema::avro::AvroError::Unsupported { .. }),
        "{e}"
    );
    let ok = parse(
        r#"{"type":"record","name":"R","fields":[{"name":"id","type":{"type":"string","logicalType":"uuid"},"default":"00000000-0000-0000-0000-000000000000"}]}"#,
    );
    assert!(ok.apache_avro_schema().is_ok());
}
