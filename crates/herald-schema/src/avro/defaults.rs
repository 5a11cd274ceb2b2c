//! Whether a field default fits the field's type.
//!
//! Follows Java Avro's `Schema.isValidDefault`, with three deliberate
//! tightenings that the Avro specification asks for and that `apache-avro`
//! (which the SDK decodes with) relies on: a union field's default must match
//! the union's *first* branch; an enum default must be one of its symbols;
//! `bytes` and `fixed` defaults must be strings of code points 0–255, a
//! `fixed` one of exactly its size.

use serde_json::Value;

use super::model::{Kind, Node, NodeId, Primitive};

/// Checks the default of a field of type `ty`.
pub(crate) fn check_field_default(nodes: &[Node], ty: NodeId, value: &Value) -> Result<(), String> {
    if let Kind::Union { branches } = &nodes[ty].kind {
        let Some(&first) = branches.first() else {
            return Err("an empty union has no values, so it cannot have a default".to_owned());
        };
        return match check(nodes, first, value) {
            Ok(()) => Ok(()),
            Err(_) => {
                let fits_other = branches[1..]
                    .iter()
                    .find(|&&b| check(nodes, b, value).is_ok());
                let mut msg = format!(
                    "the default of a union must match its first branch ({}), and {} does not",
                    nodes[first].describe(),
                    short(value)
                );
                if let Some(&other) = fits_other {
                    msg.push_str(&format!(
                        "; it matches {}, so move that branch to the front of the union",
                        nodes[other].describe()
                    ));
                }
                Err(msg)
            }
        };
    }
    // Java converts a string default of a float or double field to a number
    // while parsing; what is left as a string is NaN or an infinity.
    if let (Kind::Primitive(Primitive::Float | Primitive::Double), Value::String(_)) =
        (&nodes[ty].kind, value)
    {
        return Ok(());
    }
    check(nodes, ty, value)
}

fn check(nodes: &[Node], ty: NodeId, value: &Value) -> Result<(), String> {
    let node = &nodes[ty];
    let ok = match &node.kind {
        Kind::Primitive(Primitive::Null) => value.is_null(),
        Kind::Primitive(Primitive::Boolean) => value.is_boolean(),
        Kind::Primitive(Primitive::Int) => value.as_i64().is_some_and(|i| i32::try_from(i).is_ok()),
        Kind::Primitive(Primitive::Long) => value.as_i64().is_some(),
        Kind::Primitive(Primitive::Float | Primitive::Double) => value.is_number(),
        Kind::Primitive(Primitive::String) => value.is_string(),
        Kind::Primitive(Primitive::Bytes) => match value {
            Value::String(s) => {
                if s.chars().any(|c| c as u32 > 0xFF) {
                    return Err(format!(
                        "a bytes default is a string whose characters are the bytes (U+0000 to U+00FF), and {} has others",
                        short(value)
                    ));
                }
                true
            }
            _ => false,
        },
        Kind::Fixed { size, .. } => match value {
            Value::String(s) => {
                if s.chars().any(|c| c as u32 > 0xFF) {
                    return Err(format!(
                        "a fixed default is a string whose characters are the bytes (U+0000 to U+00FF), and {} has others",
                        short(value)
                    ));
                }
                let len = s.chars().count();
                if len != *size as usize {
                    return Err(format!(
                        "{} needs a default of exactly {size} bytes (characters U+0000 to U+00FF), found {len}",
                        node.describe()
                    ));
                }
                true
            }
            _ => false,
        },
        Kind::Enum { symbols, .. } => match value {
            Value::String(s) if symbols.contains(s) => true,
            Value::String(s) => {
                return Err(format!(
                    "{s:?} is not a symbol of {} (symbols: {symbols:?})",
                    node.describe()
                ));
            }
            _ => false,
        },
        Kind::Array { items } => match value {
            Value::Array(values) => {
                for (i, v) in values.iter().enumerate() {
                    check_any_branch(nodes, *items, v).map_err(|e| format!("element {i}: {e}"))?;
                }
                true
            }
            _ => false,
        },
        Kind::Map { values } => match value {
            Value::Object(entries) => {
                for (k, v) in entries {
                    check_any_branch(nodes, *values, v).map_err(|e| format!("entry {k:?}: {e}"))?;
                }
                true
            }
            _ => false,
        },
        Kind::Record { fields, .. } => match value {
            Value::Object(entries) => {
                for field in fields {
                    match entries.get(&field.name) {
                        Some(v) => check_any_branch(nodes, field.ty, v),
                        // Java falls back to the field's own default, which is
                        // checked where that field is declared; following it
                        // here could recurse without end in recursive records.
                        None if field.default.is_some() => Ok(()),
                        None => Err("it is missing and has no default of its own".to_owned()),
                    }
                    .map_err(|e| format!("field {:?}: {e}", field.name))?;
                }
                true
            }
            _ => false,
        },
        Kind::Union { .. } => return check_any_branch(nodes, ty, value),
        // Unreachable once names are resolved; a reference never holds values.
        Kind::Ref { .. } => false,
    };
    if ok {
        Ok(())
    } else {
        Err(format!(
            "{} is not a valid {} value",
            short(value),
            node.describe()
        ))
    }
}

/// Inside a default, a union value may match any branch (Java's `isValidValue`).
fn check_any_branch(nodes: &[Node], ty: NodeId, value: &Value) -> Result<(), String> {
    match &nodes[ty].kind {
        Kind::Union { branches } => {
            if branches.iter().any(|&b| check(nodes, b, value).is_ok()) {
                Ok(())
            } else {
                Err(format!("{} matches no branch of the union", short(value)))
            }
        }
        _ => check(nodes, ty, value),
    }
}

/// A value for messages, cut short when long.
fn short(value: &Value) -> String {
    let s = value.to_string();
    if s.chars().count() > 60 {
        let cut: String = s.chars().take(57).collect();
        format!("{cut}... ({})", value_kind(value))
    } else {
        s
    }
}

/// Whether `value` is a valid value of `ty` inside a default, where a union
/// value may match any branch.
pub(crate) fn fits(nodes: &[Node], ty: NodeId, value: &Value) -> bool {
    check_any_branch(nodes, ty, value).is_ok()
}

fn value_kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}
