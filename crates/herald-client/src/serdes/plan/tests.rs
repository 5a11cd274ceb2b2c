//! Resolution plans checked against apache-avro's own (Value-based)
//! resolution, which serves as the oracle.
#![allow(deprecated)]

use apache_avro::Schema;
use apache_avro::types::Value;

use super::compile;

fn schema(text: &str) -> Schema {
    Schema::parse_str(text).unwrap()
}

/// Transcodes `value` written with `w` and checks that reading the result
/// with `r` gives what apache-avro's resolution gives.
fn check(w: &Schema, r: &Schema, value: Value) -> Value {
    let datum = apache_avro::to_avro_datum(w, value).unwrap();
    let expected = apache_avro::from_avro_datum(w, &mut &datum[..], Some(r)).unwrap();
    let plan = compile(w, r).unwrap();
    let mut out = Vec::new();
    plan.transcode(&datum, &mut out).unwrap();
    let got = apache_avro::from_avro_datum(r, &mut &out[..], None).unwrap();
    assert_eq!(got, expected);
    got
}

#[test]
fn added_defaulted_removed_and_promoted_fields() {
    let w = schema(
        r#"{"type":"record","name":"Order","fields":[
        {"name":"id","type":"string"},{"name":"gone","type":{"type":"array","items":"int"}},
        {"name":"qty","type":"int"},{"name":"price","type":"float"}]}"#,
    );
    let r = schema(
        r#"{"type":"record","name":"Order","fields":[
        {"name":"id","type":"string"},{"name":"qty","type":"long"},{"name":"price","type":"double"},
        {"name":"note","type":"string","default":"none"},
        {"name":"tags","type":{"type":"array","items":"string"},"default":["a","b"]},
        {"name":"maybe","type":["null","int"],"default":null}]}"#,
    );
    let v = Value::Record(vec![
        ("id".into(), Value::String("o-1".into())),
        (
            "gone".into(),
            Value::Array(vec![Value::Int(1), Value::Int(2)]),
        ),
        ("qty".into(), Value::Int(7)),
        ("price".into(), Value::Float(1.5)),
    ]);
    let got = check(&w, &r, v);
    let Value::Record(fields) = got else {
        panic!("record expected")
    };
    assert_eq!(fields[1].1, Value::Long(7));
    assert_eq!(fields[3].1, Value::String("none".into()));
    assert!(
        compile(&w, &r)
            .unwrap()
            .nodes
            .iter()
            .any(|n| matches!(n, super::Node::Record(p) if p.in_order))
    );
}

#[test]
fn reordered_fields_and_defaults_in_the_middle() {
    let w = schema(
        r#"{"type":"record","name":"R","fields":[{"name":"a","type":"int"},{"name":"b","type":"string"}]}"#,
    );
    let r = schema(
        r#"{"type":"record","name":"R","fields":[{"name":"b","type":"string"},
        {"name":"x","type":"boolean","default":true},{"name":"a","type":"long"}]}"#,
    );
    check(
        &w,
        &r,
        Value::Record(vec![
            ("a".into(), Value::Int(-3)),
            ("b".into(), Value::String("bee".into())),
        ]),
    );
}

#[test]
fn unions_enums_and_maps() {
    let w = schema(
        r#"{"type":"record","name":"R","fields":[
        {"name":"u","type":["null","string","int"]},
        {"name":"n","type":"int"},
        {"name":"e","type":{"type":"enum","name":"E","symbols":["A","B","C"]}},
        {"name":"m","type":{"type":"map","values":"int"}}]}"#,
    );
    let r = schema(
        r#"{"type":"record","name":"R","fields":[
        {"name":"u","type":["string","null","double"]},
        {"name":"n","type":["null","long"]},
        {"name":"e","type":{"type":"enum","name":"E","symbols":["C","B","X"],"default":"X"}},
        {"name":"m","type":{"type":"map","values":"long"}}]}"#,
    );
    for (u, e) in [
        (
            Value::Union(0, Box::new(Value::Null)),
            Value::Enum(0, "A".into()),
        ),
        (
            Value::Union(1, Box::new(Value::String("s".into()))),
            Value::Enum(1, "B".into()),
        ),
        (
            Value::Union(2, Box::new(Value::Int(4))),
            Value::Enum(2, "C".into()),
        ),
    ] {
        check(
            &w,
            &r,
            Value::Record(vec![
                ("u".into(), u),
                ("n".into(), Value::Int(9)),
                ("e".into(), e),
                (
                    "m".into(),
                    Value::Map(
                        [
                            ("k".to_owned(), Value::Int(1)),
                            ("l".to_owned(), Value::Int(2)),
                        ]
                        .into(),
                    ),
                ),
            ]),
        );
    }
}

#[test]
fn recursive_types() {
    let text = r#"{"type":"record","name":"Node","fields":[{"name":"v","type":"int"},{"name":"next","type":["null","Node"]}]}"#;
    let r_text = r#"{"type":"record","name":"Node","fields":[{"name":"v","type":"long"},{"name":"next","type":["null","Node"]},{"name":"w","type":"int","default":0}]}"#;
    let list = Value::Record(vec![
        ("v".into(), Value::Int(1)),
        (
            "next".into(),
            Value::Union(
                1,
                Box::new(Value::Record(vec![
                    ("v".into(), Value::Int(2)),
                    ("next".into(), Value::Union(0, Box::new(Value::Null))),
                ])),
            ),
        ),
    ]);
    check(&schema(text), &schema(r_text), list);
}

#[test]
fn unreadable_writers_fail_to_compile_with_a_path() {
    let w = schema(r#"{"type":"record","name":"R","fields":[{"name":"a","type":"string"}]}"#);
    let missing = schema(
        r#"{"type":"record","name":"R","fields":[{"name":"a","type":"string"},{"name":"b","type":"int"}]}"#,
    );
    let e = compile(&w, &missing).unwrap_err();
    assert!(e.contains("/b") && e.contains("no default"), "{e}");
    let narrowed = schema(r#"{"type":"record","name":"R","fields":[{"name":"a","type":"int"}]}"#);
    let e = compile(&w, &narrowed).unwrap_err();
    assert!(e.contains("/a") && e.contains("string"), "{e}");
    let renamed =
        schema(r#"{"type":"record","name":"Other","fields":[{"name":"a","type":"string"}]}"#);
    assert!(compile(&w, &renamed).is_err());
}

#[test]
fn a_symbol_the_reader_lacks_fails_only_for_records_using_it() {
    let w = schema(r#"{"type":"enum","name":"E","symbols":["A","B"]}"#);
    let r = schema(r#"{"type":"enum","name":"E","symbols":["A"]}"#);
    let plan = compile(&w, &r).unwrap();
    let mut out = Vec::new();
    plan.transcode(&[0], &mut out).unwrap();
    assert_eq!(out, [0]);
    assert!(
        plan.transcode(&[2], &mut Vec::new())
            .unwrap_err()
            .contains("symbol B")
    );
}

#[test]
fn malformed_datums_are_errors_not_panics() {
    let w = schema(
        r#"{"type":"record","name":"R","fields":[{"name":"s","type":"string"},{"name":"a","type":{"type":"array","items":"null"}}]}"#,
    );
    let plan = compile(&w, &w).unwrap();
    for bad in [
        &[][..],
        &[0x7f],
        &[2, b'x'],
        &[
            0, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01,
        ],
        &[0, 0x80, 0x80, 0x80, 0x80, 0x08],
    ] {
        assert!(plan.transcode(bad, &mut Vec::new()).is_err(), "{bad:?}");
    }
    let mut out = Vec::new();
    plan.transcode(&[2, b'h', 0], &mut out).unwrap();
    assert!(
        plan.transcode(&[2, b'h', 0, 9], &mut Vec::new()).is_err(),
        "trailing bytes"
    );
}

mod props {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #[test]
        fn transcoding_matches_apache_avro(id in ".{0,12}", qty in any::<i32>(), price in any::<f32>(), extra in any::<i64>(), flag in any::<bool>()) {
            let w = schema(r#"{"type":"record","name":"R","fields":[{"name":"id","type":"string"},{"name":"extra","type":"long"},
                {"name":"qty","type":"int"},{"name":"price","type":"float"},{"name":"flag","type":["null","boolean"]}]}"#);
            let r = schema(r#"{"type":"record","name":"R","fields":[{"name":"flag","type":["boolean","null"],"default":false},
                {"name":"qty","type":"double"},{"name":"id","type":"bytes"},{"name":"price","type":"double"},{"name":"z","type":"string","default":""}]}"#);
            let f = if flag { Value::Union(1, Box::new(Value::Boolean(qty % 2 == 0))) } else { Value::Union(0, Box::new(Value::Null)) };
            let v = Value::Record(vec![("id".into(), Value::String(id)), ("extra".into(), Value::Long(extra)),
                ("qty".into(), Value::Int(qty)), ("price".into(), Value::Float(price)), ("flag".into(), f)]);
            let datum = apache_avro::to_avro_datum(&w, v).unwrap();
            let expected = apache_avro::from_avro_datum(&w, &mut &datum[..], Some(&r)).unwrap();
            let mut out = Vec::new();
            compile(&w, &r).unwrap().transcode(&datum, &mut out).unwrap();
            let got = apache_avro::from_avro_datum(&r, &mut &out[..], None).unwrap();
            prop_assert_eq!(format!("{got:?}"), format!("{expected:?}"));
        }

        #[test]
        fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..64)) {
            let w = schema(r#"{"type":"record","name":"R","fields":[{"name":"u","type":["null","string",{"type":"map","values":{"type":"array","items":"double"}}]},{"name":"e","type":{"type":"enum","name":"E","symbols":["A"]}}]}"#);
            let _ = compile(&w, &w).unwrap().transcode(&bytes, &mut Vec::new());
        }
    }
}
