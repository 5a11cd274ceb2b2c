//! Avro's Parsing Canonical Form and its 64-bit Rabin fingerprint
//! (specification, "Parsing Canonical Form for Schemas" and "Schema
//! Fingerprints").
//!
//! The form keeps only what decides how data is encoded: full names, no
//! `namespace`, `doc`, `aliases`, defaults, logical types or properties,
//! keys in the order `name, type, fields, symbols, items, values, size`.
//! Named types used from referenced schemas are written out at their first
//! use, so the fingerprint identifies the data layout on its own.

use std::collections::HashSet;

use super::json_out::write_str;
use super::model::{Kind, Node, NodeId};

/// The Parsing Canonical Form of the schema rooted at `root`.
pub(crate) fn parsing_canonical_form(nodes: &[Node], root: NodeId) -> String {
    let mut out = String::with_capacity(nodes.len() * 24);
    let mut seen = HashSet::new();
    write(nodes, root, &mut seen, &mut out);
    out
}

fn write<'a>(nodes: &'a [Node], id: NodeId, seen: &mut HashSet<&'a str>, out: &mut String) {
    let node = &nodes[id];
    match &node.kind {
        Kind::Primitive(p) => write_str(out, p.name()),
        Kind::Union { branches } => {
            out.push('[');
            for (i, b) in branches.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write(nodes, *b, seen, out);
            }
            out.push(']');
        }
        Kind::Array { items } => {
            out.push_str("{\"type\":\"array\",\"items\":");
            write(nodes, *items, seen, out);
            out.push('}');
        }
        Kind::Map { values } => {
            out.push_str("{\"type\":\"map\",\"values\":");
            write(nodes, *values, seen, out);
            out.push('}');
        }
        Kind::Record { name, fields, .. } => {
            if !seen.insert(name.full.as_str()) {
                write_str(out, &name.full);
                return;
            }
            out.push_str("{\"name\":");
            write_str(out, &name.full);
            out.push_str(",\"type\":\"record\",\"fields\":[");
            for (i, f) in fields.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                out.push_str("{\"name\":");
                write_str(out, &f.name);
                out.push_str(",\"type\":");
                write(nodes, f.ty, seen, out);
                out.push('}');
            }
            out.push_str("]}");
        }
        Kind::Enum { name, symbols, .. } => {
            if !seen.insert(name.full.as_str()) {
                write_str(out, &name.full);
                return;
            }
            out.push_str("{\"name\":");
            write_str(out, &name.full);
            out.push_str(",\"type\":\"enum\",\"symbols\":[");
            for (i, s) in symbols.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_str(out, s);
            }
            out.push_str("]}");
        }
        Kind::Fixed { name, size, .. } => {
            if !seen.insert(name.full.as_str()) {
                write_str(out, &name.full);
                return;
            }
            out.push_str("{\"name\":");
            write_str(out, &name.full);
            out.push_str(",\"type\":\"fixed\",\"size\":");
            out.push_str(&size.to_string());
            out.push('}');
        }
        Kind::Ref { full, .. } => write_str(out, full),
    }
}

/// The empty fingerprint of CRC-64-AVRO.
const EMPTY: u64 = 0xc15d_213a_a4d7_a795;

const fn table() -> [u64; 256] {
    let mut t = [0u64; 256];
    let mut i = 0;
    while i < 256 {
        let mut fp = i as u64;
        let mut j = 0;
        while j < 8 {
            fp = (fp >> 1) ^ (EMPTY & (0u64.wrapping_sub(fp & 1)));
            j += 1;
        }
        t[i] = fp;
        i += 1;
    }
    t
}

static TABLE: [u64; 256] = table();

/// The 64-bit Rabin fingerprint (CRC-64-AVRO) of `bytes`, as Java's
/// `SchemaNormalization.fingerprint64` computes it.
pub(crate) fn rabin(bytes: &[u8]) -> u64 {
    let mut fp = EMPTY;
    for &b in bytes {
        fp = (fp >> 8) ^ TABLE[((fp ^ u64::from(b)) & 0xff) as usize];
    }
    fp
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rabin_of_primitives_matches_the_avro_test_suite() {
        // share/test/data/schema-tests.txt in apache/avro, as Java longs.
        assert_eq!(rabin(b"\"int\"") as i64, 8247732601305521295);
        assert_eq!(rabin(b"\"null\"") as i64, 7195948357588979594);
        assert_eq!(rabin(b"\"string\"") as i64, -8142146995180207161);
    }
}
