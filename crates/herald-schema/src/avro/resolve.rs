//! The checks that need every name of a document known: linking uses of
//! named types to their definitions, redefinitions, and the field defaults
//! whose types use names.

use std::collections::HashMap;

use super::canonical;
use super::defaults;
use super::model::{Kind, NodeId};
use super::parse::{Builder, Located};

/// Links every name use in the document just parsed to its definition and
/// runs the checks that need the whole document. Returns the root node.
pub(crate) fn finish_document(b: &mut Builder, root: NodeId) -> Result<NodeId, Located> {
    let mut targets: HashMap<NodeId, NodeId> = HashMap::with_capacity(b.refs.len());
    for &r in &b.refs {
        if let Kind::Ref {
            full,
            written,
            pointer,
        } = &b.nodes[r].kind
        {
            let target = b.names.get(full).or_else(|| b.names.get(written)).copied();
            match target {
                Some(t) => {
                    targets.insert(r, t);
                }
                None => {
                    return Err(Located {
                        pointer: pointer.clone(),
                        reason: unknown_type(written, full),
                    });
                }
            }
        }
    }
    let link = |id: &mut NodeId| {
        if let Some(t) = targets.get(id) {
            *id = *t;
        }
    };
    for node in &mut b.nodes[b.doc_start..] {
        match &mut node.kind {
            Kind::Record { fields, .. } => fields.iter_mut().for_each(|f| link(&mut f.ty)),
            Kind::Array { items } => link(items),
            Kind::Map { values } => link(values),
            Kind::Union { branches } => branches.iter_mut().for_each(link),
            _ => {}
        }
    }
    let mut root = root;
    link(&mut root);

    check_redefinitions(b)?;
    for pending in &b.defaults {
        if let Kind::Record { fields, .. } = &b.nodes[pending.record].kind
            && let Some(field) = fields.get(pending.field)
            && let Some(value) = &field.default
            && let Err(reason) = defaults::check_field_default(&b.nodes, field.ty, value)
        {
            return Err(Located {
                pointer: pending.pointer.clone(),
                reason: format!("invalid default for field {:?}: {reason}", field.name),
            });
        }
    }
    Ok(root)
}

fn unknown_type(written: &str, full: &str) -> String {
    match written {
        "record" | "enum" | "array" | "map" | "fixed" | "error" => format!(
            "\"{written}\" cannot be used as a type name on its own: write it as an object, e.g. {{\"type\":\"{written}\", ...}}"
        ),
        "union" => {
            "a union is written as a JSON array of types, e.g. [\"null\",\"string\"]".to_owned()
        }
        "bool" => "unknown type \"bool\": did you mean \"boolean\"?".to_owned(),
        "integer" => "unknown type \"integer\": did you mean \"int\" or \"long\"?".to_owned(),
        "str" => "unknown type \"str\": did you mean \"string\"?".to_owned(),
        _ if written == full => format!(
            "unknown type {written:?}: define it before using it by name, or add a reference to the schema that defines it"
        ),
        _ => format!(
            "unknown type {written:?} (looked up as {full:?} and {written:?}): define it, or add a reference to the schema that defines it"
        ),
    }
}

fn check_redefinitions(b: &Builder) -> Result<(), Located> {
    for (existing, new, pointer) in &b.redefinitions {
        let a = canonical::standalone(&b.nodes, *existing);
        let c = canonical::standalone(&b.nodes, *new);
        if a != c {
            let name = b.nodes[*new]
                .name()
                .map(|n| n.full.clone())
                .unwrap_or_default();
            return Err(Located {
                pointer: pointer.clone(),
                reason: format!(
                    "{name:?} is already defined differently (here or in a referenced schema); a full name can name only one type"
                ),
            });
        }
    }
    Ok(())
}
