//! The text Confluent's `AvroSchemaUtils.toNormalizedString` builds for
//! `normalize=true`. The registry then parses that text again and stores its
//! canonical form, which is what [`super::AvroSchema::normalized`] returns.
//!
//! Its rules: full names everywhere (`namespace` dropped), key order
//! `name, type, symbols|size|fields, logical-type parameters, doc, aliases
//! (sorted), default, properties (sorted)`; fields keep `order`, `doc`,
//! sorted aliases and their default; a record or enum `doc` is kept only when
//! not empty; object keys inside property values and defaults are sorted.
//!
//! One deliberate difference: Confluent drops an integer default of a
//! `float`/`double` field (`"default": 0`) because its value conversion
//! returns nothing for that case; Herald keeps it as `0.0`, since losing a
//! default changes which schema changes are compatible.

use std::collections::HashSet;

use serde_json::Value;

use super::defaults;
use super::json_out::{
    java_string_cmp, write_java_double, write_java_float, write_str, write_value_sorted,
};
use super::model::{Field, Kind, Logical, Name, Node, NodeId, Primitive, field_position};

/// Confluent's normalized text of `root`; `known` are the referenced
/// schemas' top-level names, written by name.
pub(crate) fn normalized_text(nodes: &[Node], root: NodeId, known: &[String]) -> String {
    let mut n = Normalizer {
        nodes,
        env: known.iter().map(String::as_str).collect(),
        out: String::with_capacity(256),
    };
    n.build(root);
    n.out
}

struct Normalizer<'a> {
    nodes: &'a [Node],
    env: HashSet<&'a str>,
    out: String,
}

impl<'a> Normalizer<'a> {
    fn build(&mut self, id: NodeId) {
        let nodes = self.nodes;
        let node = &nodes[id];
        match &node.kind {
            Kind::Union { branches } => {
                self.out.push('[');
                for (i, b) in branches.iter().enumerate() {
                    if i > 0 {
                        self.out.push(',');
                    }
                    self.build(*b);
                }
                self.out.push(']');
            }
            Kind::Array { items } => {
                self.out.push_str("{\"type\":\"array\",\"items\":");
                self.build(*items);
                self.sorted_props(&node.props);
                self.out.push('}');
            }
            Kind::Map { values } => {
                self.out.push_str("{\"type\":\"map\",\"values\":");
                self.build(*values);
                self.sorted_props(&node.props);
                self.out.push('}');
            }
            Kind::Record {
                name,
                doc,
                fields,
                aliases,
                ..
            } => {
                if self.named_start(name, "record") {
                    return;
                }
                self.out.push_str(",\"fields\":[");
                for (i, f) in fields.iter().enumerate() {
                    if i > 0 {
                        self.out.push(',');
                    }
                    self.field(f);
                }
                self.out.push(']');
                self.complex_props(name, doc.as_deref(), aliases, None);
                self.sorted_props(&node.props);
                self.out.push('}');
            }
            Kind::Enum {
                name,
                doc,
                symbols,
                default,
                aliases,
            } => {
                if self.named_start(name, "enum") {
                    return;
                }
                self.out.push_str(",\"symbols\":[");
                for (i, s) in symbols.iter().enumerate() {
                    if i > 0 {
                        self.out.push(',');
                    }
                    write_str(&mut self.out, s);
                }
                self.out.push(']');
                self.complex_props(name, doc.as_deref(), aliases, default.as_deref());
                self.sorted_props(&node.props);
                self.out.push('}');
            }
            Kind::Fixed {
                name,
                doc,
                size,
                aliases,
            } => {
                if self.named_start(name, "fixed") {
                    return;
                }
                self.out.push_str(",\"size\":");
                self.out.push_str(&size.to_string());
                if let Some(l) = node.logical {
                    self.logical(l);
                }
                self.complex_props(name, doc.as_deref(), aliases, None);
                self.sorted_props(&node.props);
                self.out.push('}');
            }
            Kind::Primitive(p) => {
                if let Some(l) = node.logical {
                    self.out.push_str("{\"type\":");
                    write_str(&mut self.out, p.name());
                    self.logical(l);
                    self.sorted_props(&node.props);
                    self.out.push('}');
                } else if node.props.is_empty() {
                    write_str(&mut self.out, p.name());
                } else {
                    self.out.push_str("{\"type\":");
                    write_str(&mut self.out, p.name());
                    self.sorted_props(&node.props);
                    self.out.push('}');
                }
            }
            Kind::Ref { full, .. } => write_str(&mut self.out, full),
        }
    }

    /// Writes a named type's reference and returns true, or opens its definition.
    fn named_start(&mut self, name: &'a Name, ty: &str) -> bool {
        if !self.env.insert(name.full.as_str()) {
            write_str(&mut self.out, &name.full);
            return true;
        }
        self.out.push_str("{\"name\":");
        write_str(&mut self.out, &name.full);
        self.out.push_str(",\"type\":\"");
        self.out.push_str(ty);
        self.out.push('"');
        false
    }

    fn logical(&mut self, l: Logical) {
        self.out.push_str(",\"logicalType\":");
        write_str(&mut self.out, l.name());
        if let Logical::Decimal { precision, scale } = l {
            self.out.push_str(",\"precision\":");
            self.out.push_str(&precision.to_string());
            if scale != 0 {
                self.out.push_str(",\"scale\":");
                self.out.push_str(&scale.to_string());
            }
        }
    }

    fn complex_props(
        &mut self,
        name: &Name,
        doc: Option<&str>,
        aliases: &[Name],
        enum_default: Option<&str>,
    ) {
        if let Some(d) = doc.filter(|d| !d.is_empty()) {
            self.out.push_str(",\"doc\":");
            write_str(&mut self.out, d);
        }
        if !aliases.is_empty() {
            // Java's getAliases(): full names, ".name" for a namespace-less
            // alias of a type that has a namespace; then sorted.
            let mut full: Vec<String> = aliases
                .iter()
                .map(|a| match (a.space(), name.space()) {
                    (None, Some(_)) => format!(".{}", a.name()),
                    _ => a.full.clone(),
                })
                .collect();
            full.sort_by(|a, b| java_string_cmp(a, b));
            full.dedup();
            self.string_array("aliases", &full);
        }
        if let Some(d) = enum_default {
            self.out.push_str(",\"default\":");
            write_str(&mut self.out, d);
        }
    }

    fn field(&mut self, f: &Field) {
        self.out.push_str("{\"name\":");
        write_str(&mut self.out, &f.name);
        self.out.push_str(",\"type\":");
        self.build(f.ty);
        self.out.push_str(",\"order\":\"");
        self.out.push_str(&f.order.name().to_ascii_uppercase());
        self.out.push('"');
        if let Some(d) = &f.doc {
            self.out.push_str(",\"doc\":");
            write_str(&mut self.out, d);
        }
        if !f.aliases.is_empty() {
            let mut sorted = f.aliases.clone();
            sorted.sort_by(|a, b| java_string_cmp(a, b));
            self.string_array("aliases", &sorted);
        }
        if let Some(d) = &f.default {
            self.out.push_str(",\"default\":");
            let ty = match &self.nodes[f.ty].kind {
                Kind::Union { branches } => branches.first().copied().unwrap_or(f.ty),
                _ => f.ty,
            };
            write_default(self.nodes, ty, d, &mut self.out);
        }
        self.sorted_props(&f.props);
        self.out.push('}');
    }

    fn string_array(&mut self, key: &str, items: &[String]) {
        self.out.push_str(",\"");
        self.out.push_str(key);
        self.out.push_str("\":[");
        for (i, s) in items.iter().enumerate() {
            if i > 0 {
                self.out.push(',');
            }
            write_str(&mut self.out, s);
        }
        self.out.push(']');
    }

    fn sorted_props(&mut self, props: &[(String, Value)]) {
        let mut sorted: Vec<&(String, Value)> = props.iter().collect();
        sorted.sort_by(|a, b| java_string_cmp(&a.0, &b.0));
        for (k, v) in sorted {
            self.out.push(',');
            write_str(&mut self.out, k);
            self.out.push(':');
            write_value_sorted(&mut self.out, v);
        }
    }
}

/// Writes a default value converted to the Java object its type maps it to
/// (floats as `Float.toString`, doubles as `Double.toString`), object keys sorted.
fn write_default(nodes: &[Node], ty: NodeId, v: &Value, out: &mut String) {
    let ty = match &nodes[ty].kind {
        // Inside a value a union member may be any branch: convert with the
        // first branch the value fits.
        Kind::Union { branches } => branches
            .iter()
            .copied()
            .find(|&b| defaults::fits(nodes, b, v))
            .unwrap_or(ty),
        _ => ty,
    };
    let kind = &nodes[ty].kind;
    match v {
        Value::Number(n) => match kind {
            Kind::Primitive(Primitive::Float) => {
                write_java_float(out, n.as_f64().unwrap_or(0.0) as f32)
            }
            Kind::Primitive(Primitive::Double) => write_java_double(out, n.as_f64().unwrap_or(0.0)),
            _ => write_value_sorted(out, v),
        },
        Value::Array(items) => {
            let inner = match kind {
                Kind::Array { items } => Some(*items),
                _ => None,
            };
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                match inner {
                    Some(t) => write_default(nodes, t, item, out),
                    None => write_value_sorted(out, item),
                }
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
                let inner = match kind {
                    Kind::Map { values } => Some(*values),
                    Kind::Record { fields, index, .. } => field_position(fields, index, k)
                        .and_then(|i| fields.get(i))
                        .map(|f| f.ty),
                    _ => None,
                };
                match inner {
                    Some(t) => write_default(nodes, t, item, out),
                    None => write_value_sorted(out, item),
                }
            }
            out.push('}');
        }
        other => write_value_sorted(out, other),
    }
}
