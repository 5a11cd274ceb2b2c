//! Running a resolution [`Plan`] over a datum, and encoding reader defaults.
//! Every length and count comes from untrusted bytes, so each is checked
//! against what is left of the input before anything is allocated.

use apache_avro::Schema as S;
use apache_avro::schema::{InnerDecimalSchema, UuidSchema};
use serde_json::Value as Json;

use super::plan::{FieldStep, Names, Node, Out, Plan, Prim, Promotion};

/// How deep records, arrays and unions may nest in one datum.
const MAX_DEPTH: usize = 128;
/// Items of zero-byte types (nulls) one block may announce.
const MAX_EMPTY_ITEMS: i64 = 1 << 20;

impl Plan {
    /// Rewrites a writer datum as the reader's datum, appending it to `out`.
    /// Fails on malformed input or on a value the reader cannot take (an
    /// enum symbol or union branch the reader lacks).
    pub(crate) fn transcode(&self, datum: &[u8], out: &mut Vec<u8>) -> Result<(), String> {
        let mut input = Input { buf: datum, pos: 0 };
        self.run(self.root, &mut input, out, 0)?;
        if input.pos != datum.len() {
            return Err(format!(
                "{} bytes left after the datum",
                datum.len() - input.pos
            ));
        }
        Ok(())
    }

    fn run(
        &self,
        node: usize,
        input: &mut Input<'_>,
        out: &mut Vec<u8>,
        depth: usize,
    ) -> Result<(), String> {
        if depth > MAX_DEPTH {
            return Err("datum nests too deeply".to_owned());
        }
        match &self.nodes[node] {
            Node::Pending => Err("internal: resolution plan incomplete".to_owned()),
            Node::Copy(p) => copy_prim(*p, input, out),
            Node::Promote(p) => promote(*p, input, out),
            Node::Record(r) => {
                if r.in_order {
                    for f in &r.fields {
                        match f {
                            FieldStep::Keep { node, .. } => {
                                self.run(*node, input, out, depth + 1)?
                            }
                            FieldStep::Skip(node) => {
                                self.run(*node, input, &mut Vec::new(), depth + 1)?
                            }
                        }
                    }
                    for o in &r.output {
                        if let Out::Default(bytes) = o {
                            out.extend_from_slice(bytes);
                        }
                    }
                    return Ok(());
                }
                let mut slots: Vec<Vec<u8>> = vec![Vec::new(); r.output.len()];
                for f in &r.fields {
                    match f {
                        FieldStep::Keep { slot, node } => {
                            let buf = slots.get_mut(*slot).ok_or("internal: bad slot")?;
                            self.run(*node, input, buf, depth + 1)?;
                        }
                        FieldStep::Skip(node) => {
                            self.run(*node, input, &mut Vec::new(), depth + 1)?
                        }
                    }
                }
                for (o, slot) in r.output.iter().zip(slots) {
                    match o {
                        Out::Slot => out.extend_from_slice(&slot),
                        Out::Default(bytes) => out.extend_from_slice(bytes),
                    }
                }
                Ok(())
            }
            Node::Enum(map) => {
                let i = input.long()?;
                let target = usize::try_from(i)
                    .ok()
                    .and_then(|i| map.get(i))
                    .ok_or_else(|| format!("enum index {i} out of range"))?;
                let r = target.as_ref().map_err(Clone::clone)?;
                write_long(i64::from(*r), out);
                Ok(())
            }
            Node::Array(item) => self.blocks(input, out, |plan, input, out| {
                plan.run(*item, input, out, depth + 1)
            }),
            Node::Map(value) => self.blocks(input, out, |plan, input, out| {
                copy_prim(Prim::Bytes, input, out)?;
                plan.run(*value, input, out, depth + 1)
            }),
            Node::FromUnion(branches) => {
                let i = input.long()?;
                let target = usize::try_from(i)
                    .ok()
                    .and_then(|i| branches.get(i))
                    .ok_or_else(|| format!("union branch {i} out of range"))?;
                let (reader_branch, node) = target.as_ref().map_err(Clone::clone)?;
                if let Some(b) = reader_branch {
                    write_long(i64::from(*b), out);
                }
                self.run(*node, input, out, depth + 1)
            }
            Node::ToUnion(branch, node) => {
                write_long(i64::from(*branch), out);
                self.run(*node, input, out, depth + 1)
            }
        }
    }

    /// Arrays and maps: blocks of `count` items (a negative count is
    /// followed by the block's byte size), ended by a zero count. Written
    /// back as plain positive-count blocks.
    fn blocks(
        &self,
        input: &mut Input<'_>,
        out: &mut Vec<u8>,
        item: impl Fn(&Plan, &mut Input<'_>, &mut Vec<u8>) -> Result<(), String>,
    ) -> Result<(), String> {
        loop {
            let mut count = input.long()?;
            if count == 0 {
                out.push(0);
                return Ok(());
            }
            if count < 0 {
                count = count.checked_neg().ok_or("bad block count")?;
                input.long()?;
            }
            let left = i64::try_from(input.buf.len() - input.pos).unwrap_or(i64::MAX);
            if count > left.max(MAX_EMPTY_ITEMS) {
                return Err(format!("block of {count} items in {left} bytes"));
            }
            write_long(count, out);
            for _ in 0..count {
                item(self, input, out)?;
            }
        }
    }
}

struct Input<'a> {
    buf: &'a [u8],
    pos: usize,
}

impl<'a> Input<'a> {
    fn take(&mut self, n: usize) -> Result<&'a [u8], String> {
        let end = self.pos.checked_add(n).filter(|e| *e <= self.buf.len());
        let end = end.ok_or_else(|| format!("datum truncated: needs {n} bytes at {}", self.pos))?;
        let s = &self.buf[self.pos..end];
        self.pos = end;
        Ok(s)
    }

    fn long(&mut self) -> Result<i64, String> {
        let mut value: u64 = 0;
        for shift in (0..70).step_by(7) {
            let b = *self.take(1)?.first().ok_or("datum truncated")?;
            value |= u64::from(b & 0x7f) << shift.min(63);
            if b & 0x80 == 0 {
                return Ok(((value >> 1) as i64) ^ -((value & 1) as i64));
            }
        }
        Err("varint longer than 10 bytes".to_owned())
    }

    fn len(&mut self) -> Result<usize, String> {
        let n = self.long()?;
        usize::try_from(n).map_err(|_| format!("negative length {n}"))
    }
}

pub(crate) fn write_long(v: i64, out: &mut Vec<u8>) {
    let mut z = ((v << 1) ^ (v >> 63)) as u64;
    while z >= 0x80 {
        out.push((z as u8) | 0x80);
        z >>= 7;
    }
    out.push(z as u8);
}

fn copy_prim(p: Prim, input: &mut Input<'_>, out: &mut Vec<u8>) -> Result<(), String> {
    match p {
        Prim::Null => {}
        Prim::Boolean => out.extend_from_slice(input.take(1)?),
        Prim::Int | Prim::Long => write_long(input.long()?, out),
        Prim::Float => out.extend_from_slice(input.take(4)?),
        Prim::Double => out.extend_from_slice(input.take(8)?),
        Prim::Bytes => {
            let n = input.len()?;
            let bytes = input.take(n)?;
            write_long(n as i64, out);
            out.extend_from_slice(bytes);
        }
        Prim::Fixed(n) => out.extend_from_slice(input.take(n)?),
    }
    Ok(())
}

fn promote(p: Promotion, input: &mut Input<'_>, out: &mut Vec<u8>) -> Result<(), String> {
    match p {
        Promotion::IntToLong => write_long(input.long()?, out),
        Promotion::IntToFloat | Promotion::LongToFloat => {
            out.extend_from_slice(&(input.long()? as f32).to_le_bytes())
        }
        Promotion::IntToDouble | Promotion::LongToDouble => {
            out.extend_from_slice(&(input.long()? as f64).to_le_bytes())
        }
        Promotion::FloatToDouble => {
            let b = input.take(4)?;
            let f = f32::from_le_bytes([b[0], b[1], b[2], b[3]]);
            out.extend_from_slice(&f64::from(f).to_le_bytes());
        }
    }
    Ok(())
}

/// Encodes a field default (JSON, as the schema spells it) as an Avro datum
/// of `schema`. Bytes and fixed defaults are strings whose code points are
/// the byte values; a union's default is of its first branch (a later
/// branch is accepted too, as Avro 1.12 does).
pub(crate) fn encode_default(
    schema: &S,
    value: &Json,
    names: &Names<'_>,
    out: &mut Vec<u8>,
    depth: usize,
) -> Result<(), String> {
    if depth > MAX_DEPTH {
        return Err("default nests too deeply".to_owned());
    }
    let mismatch = || format!("{value} is not a valid default for this type");
    match schema {
        S::Null => value.is_null().then_some(()).ok_or_else(mismatch),
        S::Boolean => {
            out.push(u8::from(value.as_bool().ok_or_else(mismatch)?));
            Ok(())
        }
        S::Int
        | S::Long
        | S::Date
        | S::TimeMillis
        | S::TimeMicros
        | S::TimestampMillis
        | S::TimestampMicros
        | S::TimestampNanos
        | S::LocalTimestampMillis
        | S::LocalTimestampMicros
        | S::LocalTimestampNanos => {
            write_long(value.as_i64().ok_or_else(mismatch)?, out);
            Ok(())
        }
        S::Float => {
            out.extend_from_slice(&(value.as_f64().ok_or_else(mismatch)? as f32).to_le_bytes());
            Ok(())
        }
        S::Double => {
            out.extend_from_slice(&value.as_f64().ok_or_else(mismatch)?.to_le_bytes());
            Ok(())
        }
        S::String | S::Uuid(UuidSchema::String) => {
            let s = value.as_str().ok_or_else(mismatch)?;
            write_long(s.len() as i64, out);
            out.extend_from_slice(s.as_bytes());
            Ok(())
        }
        S::Bytes | S::BigDecimal | S::Uuid(UuidSchema::Bytes) => {
            let bytes = code_points(value).ok_or_else(mismatch)?;
            write_long(bytes.len() as i64, out);
            out.extend_from_slice(&bytes);
            Ok(())
        }
        S::Decimal(d) => match &d.inner {
            InnerDecimalSchema::Bytes => encode_default(&S::Bytes, value, names, out, depth + 1),
            InnerDecimalSchema::Fixed(f) => fixed(f.size, value, out),
        },
        S::Fixed(f) | S::Duration(f) | S::Uuid(UuidSchema::Fixed(f)) => fixed(f.size, value, out),
        S::Enum(e) => {
            let s = value.as_str().ok_or_else(mismatch)?;
            let i = e.symbols.iter().position(|x| x == s).ok_or_else(mismatch)?;
            write_long(i as i64, out);
            Ok(())
        }
        S::Array(a) => {
            let items = value.as_array().ok_or_else(mismatch)?;
            if !items.is_empty() {
                write_long(items.len() as i64, out);
                for item in items {
                    encode_default(&a.items, item, names, out, depth + 1)?;
                }
            }
            out.push(0);
            Ok(())
        }
        S::Map(m) => {
            let entries = value.as_object().ok_or_else(mismatch)?;
            if !entries.is_empty() {
                write_long(entries.len() as i64, out);
                for (k, v) in entries {
                    write_long(k.len() as i64, out);
                    out.extend_from_slice(k.as_bytes());
                    encode_default(&m.types, v, names, out, depth + 1)?;
                }
            }
            out.push(0);
            Ok(())
        }
        S::Union(u) => {
            for (i, branch) in u.variants().iter().enumerate() {
                let mut attempt = Vec::new();
                write_long(i as i64, &mut attempt);
                if encode_default(branch, value, names, &mut attempt, depth + 1).is_ok() {
                    out.extend_from_slice(&attempt);
                    return Ok(());
                }
            }
            Err(mismatch())
        }
        S::Record(r) => {
            let object = value.as_object().ok_or_else(mismatch)?;
            for f in &r.fields {
                let v = object
                    .get(&f.name)
                    .or(f.default.as_ref())
                    .ok_or_else(|| format!("default lacks field {}", f.name))?;
                encode_default(&f.schema, v, names, out, depth + 1)?;
            }
            Ok(())
        }
        S::Ref { name } => {
            let target = names
                .get(&name.fullname(None))
                .ok_or_else(|| format!("unknown named type {}", name.fullname(None)))?;
            encode_default(target, value, names, out, depth + 1)
        }
    }
}

fn code_points(value: &Json) -> Option<Vec<u8>> {
    value
        .as_str()?
        .chars()
        .map(|c| u8::try_from(u32::from(c)).ok())
        .collect()
}

fn fixed(size: usize, value: &Json, out: &mut Vec<u8>) -> Result<(), String> {
    let bytes = code_points(value).ok_or_else(|| format!("{value} is not a fixed default"))?;
    if bytes.len() != size {
        return Err(format!(
            "fixed default has {} bytes, the type {size}",
            bytes.len()
        ));
    }
    out.extend_from_slice(&bytes);
    Ok(())
}
