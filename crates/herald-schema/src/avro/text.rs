//! The sentences compatibility findings carry: what changed, why it breaks
//! (or may matter), and how to fix it, phrased for the direction checked.

use super::json_out::write_str;
use super::model::{Kind, Logical, NodeId, Primitive, Tree};
use crate::Direction;

/// (reader, writer) as a person would name them.
fn labels(direction: Direction) -> (&'static str, &'static str) {
    match direction {
        Direction::Backward => ("the new schema", "the previous version"),
        Direction::Forward => ("the previous version", "the new schema"),
    }
}

/// Where in the schema, from the field names along the way.
fn place(trail: &[&str]) -> String {
    if trail.is_empty() {
        return "the top-level type".to_owned();
    }
    let mut s = String::from("`");
    for (i, part) in trail.iter().enumerate() {
        if i > 0 && *part != "[]" && *part != "{}" {
            s.push('.');
        }
        s.push_str(part);
    }
    s.push('`');
    s
}

/// "the top-level record" or "the record at `a.b`".
fn thing_at(what: &str, trail: &[&str]) -> String {
    if trail.is_empty() {
        format!("the top-level {what}")
    } else {
        format!("the {what} at {}", place(trail))
    }
}

fn field_place(trail: &[&str]) -> String {
    format!("field {}", place(trail))
}

pub(crate) fn missing_default(direction: Direction, trail: &[&str], suggestion: &str) -> String {
    let field = field_place(trail);
    match direction {
        Direction::Backward => format!(
            "{field} was added without a default: readers using the new schema cannot fill it in from data written with the previous version; add `\"default\": {suggestion}`"
        ),
        Direction::Forward => format!(
            "{field} was removed (or renamed), but the previous version declares it without a default: readers still using the previous version cannot read data written with the new schema; keep the field, or first register a version that gives it `\"default\": {suggestion}`"
        ),
    }
}

pub(crate) fn type_mismatch(
    direction: Direction,
    trail: &[&str],
    writer_type: &str,
    reader_type: &str,
) -> String {
    let (reader, writer) = labels(direction);
    format!(
        "{} is {writer_type} in {writer} but {reader_type} in {reader}, and Avro cannot read {writer_type} data as {reader_type}; keep the type, change it only along Avro's promotions (int→long→float→double, string↔bytes), or add a new field for the new type",
        capitalize(&place(trail))
    )
}

pub(crate) fn missing_branch(
    direction: Direction,
    trail: &[&str],
    writer_type: &str,
    reader_branches: &[String],
) -> String {
    let (reader, writer) = labels(direction);
    let fix = match direction {
        Direction::Backward => {
            format!("add a branch for {writer_type} to the union in the new schema")
        }
        Direction::Forward => format!(
            "keep writing only types the previous version's union reads, or first register a version whose union has a branch for {writer_type}"
        ),
    };
    format!(
        "at {}, {writer} can write {writer_type}, but the union in {reader} [{}] has no branch that reads it; {fix}",
        place(trail),
        reader_branches.join(", ")
    )
}

pub(crate) fn missing_symbols(direction: Direction, enum_name: &str, missing: &[&str]) -> String {
    let list = missing.join(", ");
    match direction {
        Direction::Backward => format!(
            "enum `{enum_name}` in the new schema no longer has the symbol(s) {list}, which data written with the previous version may contain; keep them, or give the enum a `\"default\"` symbol in the new schema"
        ),
        Direction::Forward => format!(
            "enum `{enum_name}` gains the symbol(s) {list}, which readers still using the previous version do not know, and the previous version's enum has no `\"default\"` to fall back to; add new symbols only once a version with an enum default is in use"
        ),
    }
}

pub(crate) fn name_mismatch(
    direction: Direction,
    trail: &[&str],
    what: &str,
    reader_name: &str,
    writer_name: &str,
) -> String {
    match direction {
        Direction::Backward => format!(
            "{} is named `{reader_name}` in the new schema but `{writer_name}` in the previous version, and readers match named types by name; keep the name, or add `\"aliases\": [\"{writer_name}\"]` to it in the new schema",
            capitalize(&thing_at(what, trail))
        ),
        Direction::Forward => format!(
            "{} is renamed from `{reader_name}` to `{writer_name}`, and readers still using the previous version match named types by name, so they cannot read it; keep the name `{reader_name}`",
            capitalize(&thing_at(what, trail))
        ),
    }
}

pub(crate) fn fixed_size(
    direction: Direction,
    trail: &[&str],
    name: &str,
    writer_size: u32,
    reader_size: u32,
) -> String {
    let (reader, writer) = labels(direction);
    format!(
        "{} (`{name}`) is {writer_size} bytes in {writer} but {reader_size} in {reader}; a fixed type cannot change its size, so add a new type (and field) instead",
        capitalize(&thing_at("fixed type", trail))
    )
}

pub(crate) fn ambiguous(direction: Direction, trail: &[&str], writer_fields: &[&str]) -> String {
    let (reader, writer) = labels(direction);
    format!(
        "{} in {reader} matches several fields of {writer} ({}) through its name and aliases; remove the aliases that match more than one",
        field_place(trail),
        writer_fields.join(", ")
    )
}

pub(crate) fn logical_changed(
    direction: Direction,
    trail: &[&str],
    writer: Option<Logical>,
    reader: Option<Logical>,
) -> String {
    let (reader_label, writer_label) = labels(direction);
    let show = |l: Option<Logical>| {
        l.map_or_else(
            || "no logical type".to_owned(),
            |l| format!("`{}`", l.describe()),
        )
    };
    format!(
        "{} has {} in {writer_label} but {} in {reader_label}: the data stays readable, but readers will interpret the values differently (unit, scale or meaning); make sure that is intended",
        capitalize(&place(trail)),
        show(writer),
        show(reader)
    )
}

fn capitalize(s: &str) -> String {
    let mut c = s.chars();
    match c.next() {
        Some(first) => first.to_uppercase().collect::<String>() + c.as_str(),
        None => String::new(),
    }
}

/// A default value that fits type `ty`, as JSON, for fix hints.
pub(crate) fn suggest_default(tree: &Tree, ty: NodeId) -> String {
    let node = tree.node(ty);
    match &node.kind {
        Kind::Primitive(p) => match p {
            Primitive::Null => "null".to_owned(),
            Primitive::Boolean => "false".to_owned(),
            Primitive::Int | Primitive::Long => "0".to_owned(),
            Primitive::Float | Primitive::Double => "0.0".to_owned(),
            Primitive::String | Primitive::Bytes => "\"\"".to_owned(),
        },
        Kind::Enum {
            symbols, default, ..
        } => {
            let mut s = String::new();
            write_str(
                &mut s,
                default
                    .as_ref()
                    .or(symbols.first())
                    .map_or("", String::as_str),
            );
            s
        }
        Kind::Fixed { size, .. } if *size <= 8 => {
            let mut s = String::new();
            write_str(&mut s, &"\u{0}".repeat(*size as usize));
            s
        }
        Kind::Fixed { size, .. } => format!("<a string of {size} characters U+0000..U+00FF>"),
        Kind::Array { .. } => "[]".to_owned(),
        Kind::Map { .. } => "{}".to_owned(),
        Kind::Record { fields, .. } if fields.iter().all(|f| f.default.is_some()) => {
            "{}".to_owned()
        }
        Kind::Record { name, .. } => {
            format!("<an object with a value for each field of {}>", name.full)
        }
        Kind::Union { branches } => match branches.first() {
            Some(&b) => suggest_default(tree, b),
            None => "null".to_owned(),
        },
        Kind::Ref { .. } => "null".to_owned(),
    }
}
