//! The canonical text: the schema written exactly as Java Avro's
//! `Schema.toString()` writes it, which is what the Confluent registry
//! stores, returns and hashes.
//!
//! Key order per type (Java `toJson`):
//! - record: `type, name, namespace?, doc?, fields, props..., aliases?`
//! - field: `name, type, doc?, default?, order? (unless ascending), aliases?, props...`
//! - enum: `type, name, namespace?, doc?, symbols, default?, props..., aliases?`
//! - fixed: `type, name, namespace?, doc?, size, props..., aliases?`
//! - array/map: `type, items|values, props...`; a primitive with no
//!   properties is just its name, otherwise `type, props...`.
//!
//! A named type is written in full the first time it is met and by name
//! afterwards; `namespace` is written only where it differs from the
//! enclosing one (`""` for none inside a namespace).

use std::collections::HashSet;

use super::json_out::{write_str, write_value};
use super::model::{Kind, Name, Node, NodeId};

/// Writes `root` as Java's `toString` would, treating `known` names as
/// already written (Confluent passes the referenced schemas' names).
pub(crate) fn java_string(nodes: &[Node], root: NodeId, known: &[String]) -> String {
    let mut w = Writer {
        nodes,
        known: known.iter().map(String::as_str).collect(),
        out: String::with_capacity(nodes.len() * 32),
        for_apache_avro: false,
    };
    w.write(root, None);
    w.out
}

/// The schema with every named type it uses written out at its first use,
/// shaped so that `apache-avro` reads it back as the same schema.
pub(crate) fn self_contained(nodes: &[Node], root: NodeId) -> String {
    let mut w = Writer {
        nodes,
        known: HashSet::new(),
        out: String::with_capacity(256),
        for_apache_avro: true,
    };
    w.write(root, None);
    w.out
}

/// The canonical text of one node on its own, for comparing two definitions.
pub(crate) fn standalone(nodes: &[Node], id: NodeId) -> String {
    java_string(nodes, id, &[])
}

struct Writer<'a> {
    nodes: &'a [Node],
    known: HashSet<&'a str>,
    out: String,
    for_apache_avro: bool,
}

impl<'a> Writer<'a> {
    fn write(&mut self, id: NodeId, space: Option<&str>) {
        let nodes = self.nodes;
        let node = &nodes[id];
        if let Some(name) = node.name()
            && !self.known.insert(name.full.as_str())
        {
            self.reference(name, space);
            return;
        }
        match &node.kind {
            Kind::Primitive(p) => {
                if node.props.is_empty() {
                    write_str(&mut self.out, p.name());
                } else {
                    self.out.push_str("{\"type\":");
                    write_str(&mut self.out, p.name());
                    self.props(node);
                    self.out.push('}');
                }
            }
            Kind::Record {
                name,
                doc,
                fields,
                aliases,
                is_error,
                ..
            } => {
                let ty = if *is_error && !self.for_apache_avro {
                    "error"
                } else {
                    "record"
                };
                self.out.push_str("{\"type\":\"");
                self.out.push_str(ty);
                self.out.push('"');
                self.name(name, space);
                self.doc(doc.as_deref());
                self.out.push_str(",\"fields\":[");
                for (i, f) in fields.iter().enumerate() {
                    if i > 0 {
                        self.out.push(',');
                    }
                    self.out.push_str("{\"name\":");
                    write_str(&mut self.out, &f.name);
                    self.out.push_str(",\"type\":");
                    self.write(f.ty, name.space());
                    self.doc(f.doc.as_deref());
                    if let Some(d) = &f.default {
                        self.out.push_str(",\"default\":");
                        write_value(&mut self.out, d);
                    }
                    if f.order != super::model::Order::Ascending {
                        self.out.push_str(",\"order\":");
                        write_str(&mut self.out, f.order.name());
                    }
                    if !f.aliases.is_empty() {
                        self.out.push_str(",\"aliases\":[");
                        for (j, a) in f.aliases.iter().enumerate() {
                            if j > 0 {
                                self.out.push(',');
                            }
                            write_str(&mut self.out, a);
                        }
                        self.out.push(']');
                    }
                    for (k, v) in &f.props {
                        self.out.push(',');
                        write_str(&mut self.out, k);
                        self.out.push(':');
                        write_value(&mut self.out, v);
                    }
                    self.out.push('}');
                }
                self.out.push(']');
                self.props(node);
                self.aliases(name, aliases);
                self.out.push('}');
            }
            Kind::Enum {
                name,
                doc,
                symbols,
                default,
                aliases,
            } => {
                self.out.push_str("{\"type\":\"enum\"");
                self.name(name, space);
                self.doc(doc.as_deref());
                self.out.push_str(",\"symbols\":[");
                for (i, s) in symbols.iter().enumerate() {
                    if i > 0 {
                        self.out.push(',');
                    }
                    write_str(&mut self.out, s);
                }
                self.out.push(']');
                if let Some(d) = default {
                    self.out.push_str(",\"default\":");
                    write_str(&mut self.out, d);
                }
                self.props(node);
                self.aliases(name, aliases);
                self.out.push('}');
            }
            Kind::Fixed {
                name,
                doc,
                size,
                aliases,
            } => {
                self.out.push_str("{\"type\":\"fixed\"");
                self.name(name, space);
                self.doc(doc.as_deref());
                self.out.push_str(",\"size\":");
                self.out.push_str(&size.to_string());
                self.props(node);
                self.aliases(name, aliases);
                self.out.push('}');
            }
            Kind::Array { items } => {
                self.out.push_str("{\"type\":\"array\",\"items\":");
                self.write(*items, space);
                self.props(node);
                self.out.push('}');
            }
            Kind::Map { values } => {
                self.out.push_str("{\"type\":\"map\",\"values\":");
                self.write(*values, space);
                self.props(node);
                self.out.push('}');
            }
            Kind::Union { branches } => {
                self.out.push('[');
                for (i, b) in branches.iter().enumerate() {
                    if i > 0 {
                        self.out.push(',');
                    }
                    self.write(*b, space);
                }
                self.out.push(']');
            }
            // Never reached in a resolved tree; written as the name it stands for.
            Kind::Ref { full, .. } => write_str(&mut self.out, full),
        }
    }

    /// Java's `Name.writeName`.
    fn name(&mut self, name: &Name, space: Option<&str>) {
        self.out.push_str(",\"name\":");
        write_str(&mut self.out, name.name());
        match name.space() {
            Some(s) if Some(s) != space => {
                self.out.push_str(",\"namespace\":");
                write_str(&mut self.out, s);
            }
            None if space.is_some() => self.out.push_str(",\"namespace\":\"\""),
            _ => {}
        }
    }

    fn doc(&mut self, doc: Option<&str>) {
        if let Some(d) = doc {
            self.out.push_str(",\"doc\":");
            write_str(&mut self.out, d);
        }
    }

    fn props(&mut self, node: &Node) {
        for (k, v) in &node.props {
            self.out.push(',');
            write_str(&mut self.out, k);
            self.out.push(':');
            write_value(&mut self.out, v);
        }
    }

    /// Java's `aliasesToJson`: each alias relative to the type's namespace.
    fn aliases(&mut self, name: &Name, aliases: &[Name]) {
        if aliases.is_empty() {
            return;
        }
        self.out.push_str(",\"aliases\":[");
        for (i, a) in aliases.iter().enumerate() {
            if i > 0 {
                self.out.push(',');
            }
            self.reference(a, name.space());
        }
        self.out.push(']');
    }

    /// A use of `name` where `space` is in force. Java writes a name without
    /// a namespace bare even inside a namespace and finds it again by falling
    /// back to the bare name; `apache-avro` does not fall back, so for it the
    /// leading dot that means "no namespace" is written.
    fn reference(&mut self, name: &Name, space: Option<&str>) {
        if self.for_apache_avro && name.space().is_none() && space.is_some() {
            self.out.push_str("\".");
            self.out.push_str(&name.full);
            self.out.push('"');
        } else {
            write_str(&mut self.out, name.qualified(space));
        }
    }
}
