//! Writing JSON the way Java's Jackson writes it, because the registry's
//! canonical text is produced by Java Avro on top of Jackson and the bytes
//! must match (ids and lookups hash them).
//!
//! Hand-written rather than `serde_json::to_string` for two reasons Jackson
//! differs in: control characters are escaped with upper-case hex
//! (`\u001F`), and floating-point numbers use Java's `Double.toString`
//! (`1.0E10`, `100.0`), not Rust's shortest form (`10000000000`, `100`).

use serde_json::{Number, Value};

/// Appends `s` as a JSON string literal, escaped as Jackson does.
pub(crate) fn write_str(out: &mut String, s: &str) {
    out.push('"');
    // Every character that needs escaping is ASCII, so scanning bytes is
    // safe: a byte below 0x80 is always a whole character in UTF-8.
    let bytes = s.as_bytes();
    let mut start = 0;
    for (i, &b) in bytes.iter().enumerate() {
        let escape: &str = match b {
            b'"' => "\\\"",
            b'\\' => "\\\\",
            0x08 => "\\b",
            b'\t' => "\\t",
            b'\n' => "\\n",
            0x0C => "\\f",
            b'\r' => "\\r",
            0x00..=0x1F => "",
            _ => continue,
        };
        out.push_str(&s[start..i]);
        if escape.is_empty() {
            const HEX: &[u8; 16] = b"0123456789ABCDEF";
            out.push_str("\\u00");
            out.push(char::from(HEX[usize::from(b >> 4)]));
            out.push(char::from(HEX[usize::from(b & 0xF)]));
        } else {
            out.push_str(escape);
        }
        start = i + 1;
    }
    out.push_str(&s[start..]);
    out.push('"');
}

/// Appends a JSON value with its object keys in their stored order.
pub(crate) fn write_value(out: &mut String, v: &Value) {
    match v {
        Value::Null => out.push_str("null"),
        Value::Bool(true) => out.push_str("true"),
        Value::Bool(false) => out.push_str("false"),
        Value::Number(n) => write_number(out, n),
        Value::String(s) => write_str(out, s),
        Value::Array(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_value(out, item);
            }
            out.push(']');
        }
        Value::Object(map) => {
            out.push('{');
            for (i, (k, item)) in map.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_str(out, k);
                out.push(':');
                write_value(out, item);
            }
            out.push('}');
        }
    }
}

/// Appends a JSON value with the keys of every object sorted, as Confluent's
/// normalization writes property values and defaults.
pub(crate) fn write_value_sorted(out: &mut String, v: &Value) {
    match v {
        Value::Array(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_value_sorted(out, item);
            }
            out.push(']');
        }
        Value::Object(map) => {
            let mut entries: Vec<(&String, &Value)> = map.iter().collect();
            entries.sort_by(|a, b| java_string_cmp(a.0, b.0));
            out.push('{');
            for (i, (k, item)) in entries.into_iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_str(out, k);
                out.push(':');
                write_value_sorted(out, item);
            }
            out.push('}');
        }
        other => write_value(out, other),
    }
}

/// Orders strings as Java's `String.compareTo` does (by UTF-16 code units),
/// which is what a `TreeMap<String, _>` uses.
pub(crate) fn java_string_cmp(a: &str, b: &str) -> std::cmp::Ordering {
    a.encode_utf16().cmp(b.encode_utf16())
}

/// Appends a JSON number: integers as they are, floating-point numbers as
/// Java's `Double.toString` renders them.
pub(crate) fn write_number(out: &mut String, n: &Number) {
    if let Some(i) = n.as_i64() {
        out.push_str(&i.to_string());
    } else if let Some(u) = n.as_u64() {
        out.push_str(&u.to_string());
    } else if let Some(f) = n.as_f64() {
        write_java_double(out, f);
    }
}

/// Appends `d` formatted as Java's `Double.toString(d)`, non-finite values
/// quoted as Jackson quotes them (`"NaN"`).
pub(crate) fn write_java_double(out: &mut String, d: f64) {
    if !d.is_finite() {
        let s = if d.is_nan() {
            "NaN"
        } else if d > 0.0 {
            "Infinity"
        } else {
            "-Infinity"
        };
        write_str(out, s);
        return;
    }
    write_java_scientific(out, &format!("{d:e}"), d.abs() >= 1e-3 && d.abs() < 1e7);
}

/// Appends `f` formatted as Java's `Float.toString(f)`.
pub(crate) fn write_java_float(out: &mut String, f: f32) {
    if !f.is_finite() {
        write_java_double(out, f64::from(f));
        return;
    }
    write_java_scientific(out, &format!("{f:e}"), f.abs() >= 1e-3 && f.abs() < 1e7);
}

/// Turns Rust's shortest scientific form (`-1.25e-5`, `1e10`, `0e0`) into
/// Java's layout: plain decimal with at least one fractional digit inside
/// `[1e-3, 1e7)`, otherwise `d.dddE±n` with at least one fractional digit.
fn write_java_scientific(out: &mut String, sci: &str, plain: bool) {
    let (mantissa, exp) = sci.split_once('e').unwrap_or((sci, "0"));
    let exp: i64 = exp.parse().unwrap_or(0);
    let (negative, mantissa) = match mantissa.strip_prefix('-') {
        Some(m) => (true, m),
        None => (false, mantissa),
    };
    let digits: String = mantissa.chars().filter(|c| *c != '.').collect();
    if negative {
        out.push('-');
    }
    if digits.bytes().all(|b| b == b'0') {
        out.push_str("0.0");
        return;
    }
    if plain {
        if exp >= 0 {
            let int_len = (exp + 1) as usize;
            if digits.len() <= int_len {
                out.push_str(&digits);
                for _ in digits.len()..int_len {
                    out.push('0');
                }
                out.push_str(".0");
            } else {
                out.push_str(&digits[..int_len]);
                out.push('.');
                out.push_str(&digits[int_len..]);
            }
        } else {
            out.push_str("0.");
            for _ in 0..(-exp - 1) {
                out.push('0');
            }
            out.push_str(&digits);
        }
    } else {
        out.push_str(&digits[..1]);
        out.push('.');
        if digits.len() > 1 {
            out.push_str(&digits[1..]);
        } else {
            out.push('0');
        }
        out.push('E');
        out.push_str(&exp.to_string());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn double(d: f64) -> String {
        let mut s = String::new();
        write_java_double(&mut s, d);
        s
    }

    #[test]
    fn doubles_render_like_java() {
        assert_eq!(double(1.0), "1.0");
        assert_eq!(double(100.0), "100.0");
        assert_eq!(double(123.456), "123.456");
        assert_eq!(double(-0.5), "-0.5");
        assert_eq!(double(0.001), "0.001");
        assert_eq!(double(0.0001), "1.0E-4");
        assert_eq!(double(1.5e-5), "1.5E-5");
        assert_eq!(double(9999999.0), "9999999.0");
        assert_eq!(double(1e7), "1.0E7");
        assert_eq!(double(1e10), "1.0E10");
        assert_eq!(double(1.7976931348623157e308), "1.7976931348623157E308");
        assert_eq!(double(0.0), "0.0");
        assert_eq!(double(-0.0), "-0.0");
        assert_eq!(double(f64::NAN), "\"NaN\"");
        assert_eq!(double(f64::NEG_INFINITY), "\"-Infinity\"");
    }

    #[test]
    fn floats_render_like_java() {
        let mut s = String::new();
        write_java_float(&mut s, 0.1);
        assert_eq!(s, "0.1");
    }

    #[test]
    fn strings_escape_like_jackson() {
        let mut s = String::new();
        write_str(&mut s, "a\"b\\c\n\u{1}\u{1f}é/\u{7f}");
        assert_eq!(s, "\"a\\\"b\\\\c\\n\\u0001\\u001Fé/\u{7f}\"");
    }

    #[test]
    fn sorted_values_sort_nested_keys() {
        let v: Value =
            serde_json::from_str(r#"{"b":1,"a":{"d":[{"z":1,"y":2}],"c":1.5}}"#).unwrap();
        let mut s = String::new();
        write_value_sorted(&mut s, &v);
        assert_eq!(s, r#"{"a":{"c":1.5,"d":[{"y":2,"z":1}]},"b":1}"#);
    }
}
