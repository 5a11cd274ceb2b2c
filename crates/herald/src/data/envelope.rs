//! How `herald produce` reads one input line: a bare value, or (with
//! `--envelope`) `{"key": …, "value": …, "headers": {…}}`, the shape
//! `herald consume --verbose` prints, so its output can be sent again.

use serde_json::Value;

use super::sender::Header;

/// What one input line asks to send, before encoding.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Line {
    /// The key as JSON; `None` sends no key.
    pub key: Option<Value>,
    /// The value as JSON; `None` is a tombstone (`"value": null`).
    pub value: Option<Value>,
    /// Headers in input order.
    pub headers: Vec<Header>,
}

/// Fields of `consume --verbose` output that say where a record was, not
/// what to send: accepted and ignored.
const IGNORED: [&str; 6] = [
    "topic",
    "partition",
    "offset",
    "timestamp",
    "key_schema",
    "value_schema",
];

/// An envelope line, or why it is not one.
pub(crate) fn parse(line: Value) -> Result<Line, String> {
    let Value::Object(fields) = line else {
        return Err(r#"is not an envelope {"key": …, "value": …, "headers": {…}}"#.to_owned());
    };
    let mut out = Line {
        key: None,
        value: None,
        headers: Vec::new(),
    };
    let mut has_value = false;
    for (name, field) in fields {
        match name.as_str() {
            "key" => out.key = Some(field).filter(|k| !k.is_null()),
            "value" => {
                has_value = true;
                out.value = Some(field).filter(|v| !v.is_null());
            }
            "headers" => out.headers = headers(field)?,
            other if IGNORED.contains(&other) => {}
            other => {
                return Err(format!(
                    "has an unknown envelope field {other:?} (expected key, value and headers)"
                ));
            }
        }
    }
    if !has_value {
        return Err(r#"has no "value" (use "value": null for a tombstone)"#.to_owned());
    }
    Ok(out)
}

/// `{"name": "text" | null | {"hex": "…"}}` as record headers.
fn headers(field: Value) -> Result<Vec<Header>, String> {
    match field {
        Value::Null => Ok(Vec::new()),
        Value::Object(map) => map
            .into_iter()
            .map(|(name, v)| {
                let bytes = match v {
                    Value::Null => None,
                    Value::String(s) => Some(s.into_bytes()),
                    Value::Object(o) if o.len() == 1 => match o.get("hex") {
                        Some(Value::String(h)) => Some(
                            hex(h).ok_or_else(|| format!("header {name:?}: {h:?} is not hex"))?,
                        ),
                        _ => return Err(header_error(&name)),
                    },
                    _ => return Err(header_error(&name)),
                };
                Ok((name, bytes))
            })
            .collect(),
        _ => Err(r#""headers" is not an object {"name": "value"}"#.to_owned()),
    }
}

fn header_error(name: &str) -> String {
    format!(r#"header {name:?}: expected a string, null or {{"hex": "…"}}"#)
}

// Two characters per byte; the inverse of how `consume` prints binary
// header values (too small a need for a dependency).
fn hex(s: &str) -> Option<Vec<u8>> {
    if !s.len().is_multiple_of(2) {
        return None;
    }
    (0..s.len())
        .step_by(2)
        .map(|i| s.get(i..i + 2).and_then(|b| u8::from_str_radix(b, 16).ok()))
        .collect()
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn envelopes_keys_values_and_headers() {
        let line = parse(json!({
            "key": {"id": "o-1"},
            "value": {"n": 1},
            "headers": {"trace": "t-1", "empty": null, "bin": {"hex": "ff00"}},
            "partition": 3, "offset": 9, "timestamp": 1, "topic": "x"
        }))
        .unwrap();
        assert_eq!(line.key, Some(json!({"id": "o-1"})));
        assert_eq!(line.value, Some(json!({"n": 1})));
        assert_eq!(
            line.headers,
            vec![
                ("trace".to_owned(), Some(b"t-1".to_vec())),
                ("empty".to_owned(), None),
                ("bin".to_owned(), Some(vec![0xff, 0x00])),
            ]
        );
        let tombstone = parse(json!({"key": "k", "value": null})).unwrap();
        assert_eq!((tombstone.key, tombstone.value), (Some(json!("k")), None));
        assert_eq!(parse(json!({"key": null, "value": 1})).unwrap().key, None);
    }

    #[test]
    fn what_is_not_an_envelope_says_why() {
        for (line, why) in [
            (json!([1]), "is not an envelope"),
            (json!({"key": "k"}), "has no \"value\""),
            (
                json!({"value": 1, "header": {}}),
                "unknown envelope field \"header\"",
            ),
            (
                json!({"value": 1, "headers": [1]}),
                "\"headers\" is not an object",
            ),
            (
                json!({"value": 1, "headers": {"a": 5}}),
                "header \"a\": expected",
            ),
            (
                json!({"value": 1, "headers": {"a": {"hex": "f"}}}),
                "is not hex",
            ),
            (
                json!({"value": 1, "headers": {"a": {"hex": "zz"}}}),
                "is not hex",
            ),
        ] {
            let err = parse(line.clone()).unwrap_err();
            assert!(err.contains(why), "{line}: {err}");
        }
    }
}
