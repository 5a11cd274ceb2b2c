//! Which logical types Java Avro accepts, and on what.
//!
//! Java keeps `logicalType` and its parameters as ordinary properties (so the
//! canonical text keeps them as written) and, separately, recognises a
//! logical type only when it is valid for the underlying type; an invalid
//! one is ignored, not an error (`LogicalTypes.fromSchemaIgnoreInvalid`).

use serde_json::Value;

use super::model::{Kind, Logical, Primitive, Props};

/// The logical type Java would recognise on a node, if any.
pub(crate) fn logical_of(kind: &Kind, props: &Props) -> Option<Logical> {
    let name = props.iter().find_map(|(k, v)| match (k.as_str(), v) {
        ("logicalType", Value::String(s)) => Some(s.as_str()),
        _ => None,
    })?;
    let prim = match kind {
        Kind::Primitive(p) => Some(*p),
        _ => None,
    };
    let fixed_size = match kind {
        Kind::Fixed { size, .. } => Some(*size),
        _ => None,
    };
    let logical = match name {
        "decimal" => {
            let precision = int_prop(props, "precision")?;
            let scale = match props.iter().find(|(k, _)| k == "scale") {
                None => 0,
                Some(_) => int_prop(props, "scale")?,
            };
            if precision <= 0 || scale < 0 || scale > precision {
                return None;
            }
            match (prim, fixed_size) {
                (Some(Primitive::Bytes), _) => {}
                (_, Some(size)) if i64::from(precision) <= max_decimal_precision(size) => {}
                _ => return None,
            }
            Logical::Decimal {
                precision: precision as u32,
                scale: scale as u32,
            }
        }
        "big-decimal" if prim == Some(Primitive::Bytes) => Logical::BigDecimal,
        "uuid" if prim == Some(Primitive::String) || fixed_size == Some(16) => Logical::Uuid,
        "date" if prim == Some(Primitive::Int) => Logical::Date,
        "time-millis" if prim == Some(Primitive::Int) => Logical::TimeMillis,
        "time-micros" if prim == Some(Primitive::Long) => Logical::TimeMicros,
        "timestamp-millis" if prim == Some(Primitive::Long) => Logical::TimestampMillis,
        "timestamp-micros" if prim == Some(Primitive::Long) => Logical::TimestampMicros,
        "timestamp-nanos" if prim == Some(Primitive::Long) => Logical::TimestampNanos,
        "local-timestamp-millis" if prim == Some(Primitive::Long) => Logical::LocalTimestampMillis,
        "local-timestamp-micros" if prim == Some(Primitive::Long) => Logical::LocalTimestampMicros,
        "local-timestamp-nanos" if prim == Some(Primitive::Long) => Logical::LocalTimestampNanos,
        "duration" if fixed_size == Some(12) => Logical::Duration,
        _ => return None,
    };
    Some(logical)
}

/// A property that Java reads as an `int` (a JSON integer that fits 32 bits).
fn int_prop(props: &Props, key: &str) -> Option<i32> {
    props
        .iter()
        .find(|(k, _)| k == key)
        .and_then(|(_, v)| v.as_i64().and_then(|i| i32::try_from(i).ok()))
}

/// The most decimal digits a two's-complement number of `size` bytes holds,
/// computed as Java does: `floor(log10(2^(8*size-1) - 1))`.
fn max_decimal_precision(size: u32) -> i64 {
    let bits = (8 * i64::from(size) - 1).min(4096) as i32;
    let v = (2f64.powi(bits) - 1.0).log10().floor();
    if v.is_nan() {
        0
    } else if v.is_infinite() {
        i64::MAX
    } else {
        v as i64
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::avro::model::Name;

    fn props(json: &str) -> Props {
        let v: serde_json::Map<String, Value> = serde_json::from_str(json).unwrap();
        v.into_iter().collect()
    }

    fn fixed(size: u32) -> Kind {
        Kind::Fixed {
            name: Name::new("f", None),
            doc: None,
            size,
            aliases: vec![],
        }
    }

    #[test]
    fn decimal_rules() {
        let bytes = Kind::Primitive(Primitive::Bytes);
        assert_eq!(
            logical_of(
                &bytes,
                &props(r#"{"logicalType":"decimal","precision":4,"scale":2}"#)
            ),
            Some(Logical::Decimal {
                precision: 4,
                scale: 2
            })
        );
        assert_eq!(
            logical_of(&bytes, &props(r#"{"logicalType":"decimal","precision":4}"#)),
            Some(Logical::Decimal {
                precision: 4,
                scale: 0
            })
        );
        assert_eq!(
            logical_of(&bytes, &props(r#"{"logicalType":"decimal"}"#)),
            None
        );
        assert_eq!(
            logical_of(
                &bytes,
                &props(r#"{"logicalType":"decimal","precision":2,"scale":3}"#)
            ),
            None
        );
        // 4 bytes hold 9 digits, not 10.
        assert!(
            logical_of(
                &fixed(4),
                &props(r#"{"logicalType":"decimal","precision":9}"#)
            )
            .is_some()
        );
        assert!(
            logical_of(
                &fixed(4),
                &props(r#"{"logicalType":"decimal","precision":10}"#)
            )
            .is_none()
        );
        assert_eq!(max_decimal_precision(16), 38);
    }

    #[test]
    fn others_need_their_underlying_type() {
        let p = props(r#"{"logicalType":"date"}"#);
        assert_eq!(
            logical_of(&Kind::Primitive(Primitive::Int), &p),
            Some(Logical::Date)
        );
        assert_eq!(logical_of(&Kind::Primitive(Primitive::Long), &p), None);
        let u = props(r#"{"logicalType":"uuid"}"#);
        assert_eq!(logical_of(&fixed(16), &u), Some(Logical::Uuid));
        assert_eq!(logical_of(&fixed(15), &u), None);
        assert_eq!(
            logical_of(&fixed(12), &props(r#"{"logicalType":"duration"}"#)),
            Some(Logical::Duration)
        );
        assert_eq!(
            logical_of(
                &Kind::Primitive(Primitive::Int),
                &props(r#"{"logicalType":"nope"}"#)
            ),
            None
        );
    }
}
