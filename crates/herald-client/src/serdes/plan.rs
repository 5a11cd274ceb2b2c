//! Avro schema resolution, compiled: a [`Plan`] turns a datum written with
//! the writer's schema into the datum the reader's schema describes
//! (writer-only fields dropped, reader-only fields given their defaults,
//! fields reordered, numbers promoted, enum symbols and union branches
//! remapped), so the reader's serde type decodes it directly.
//!
//! Written by hand because no crate resolves without going through
//! `apache_avro::types::Value` (apache-avro's serde reader panics when given
//! a reader schema, and serde_avro_fast has no reader schema at all). A plan
//! is compiled once per (writer schema, reader type) and then only walks
//! bytes: no schema lookups, no `Value`s.

use std::collections::HashMap;

use apache_avro::Schema as S;
use apache_avro::schema::{EnumSchema, InnerDecimalSchema, RecordSchema, UuidSchema};

use super::transcode::encode_default;

/// Named types by full name.
pub(crate) type Names<'a> = HashMap<String, &'a S>;

/// A compiled resolution from one writer schema to one reader schema.
#[derive(Debug)]
pub(crate) struct Plan {
    pub(crate) nodes: Vec<Node>,
    pub(crate) root: usize,
}

/// A primitive's binary layout (strings and bytes share one).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Prim {
    Null,
    Boolean,
    Int,
    Long,
    Float,
    Double,
    Bytes,
    Fixed(usize),
}

/// A numeric promotion the Avro specification allows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Promotion {
    IntToLong,
    IntToFloat,
    IntToDouble,
    LongToFloat,
    LongToDouble,
    FloatToDouble,
}

#[derive(Debug)]
pub(crate) enum Node {
    /// Being compiled (only while a recursive named type is compiled).
    Pending,
    Copy(Prim),
    Promote(Promotion),
    Record(RecordPlan),
    /// Writer symbol index → reader symbol index, or why it cannot be read.
    Enum(Vec<Result<u32, String>>),
    Array(usize),
    Map(usize),
    /// Per writer branch: the reader branch to write (when the reader is a
    /// union) and the node for the value, or why that branch cannot be read.
    FromUnion(Vec<Result<(Option<u32>, usize), String>>),
    /// A non-union writer read as one branch of a reader union.
    ToUnion(u32, usize),
}

#[derive(Debug)]
pub(crate) struct RecordPlan {
    /// One step per writer field, in writer order.
    pub(crate) fields: Vec<FieldStep>,
    /// What the reader's fields are made of, in reader order.
    pub(crate) output: Vec<Out>,
    /// Kept fields come in reader order and every default follows them, so
    /// the output can be written straight through.
    pub(crate) in_order: bool,
}

#[derive(Debug)]
pub(crate) enum FieldStep {
    Keep { slot: usize, node: usize },
    Skip(usize),
}

#[derive(Debug)]
pub(crate) enum Out {
    Slot,
    Default(Vec<u8>),
}

/// A schema with logical types reduced to their binary layout.
enum Phys<'a> {
    Prim(Prim, &'static str),
    String,
    Fixed(&'a str, usize),
    Enum(&'a EnumSchema),
    Record(&'a RecordSchema),
    Array(&'a S),
    Map(&'a S),
    Union(&'a [S]),
}

/// Collects every named type of `schema` by full name.
pub(crate) fn names(schema: &S) -> Names<'_> {
    let mut out = HashMap::new();
    collect(schema, &mut out);
    out
}

fn collect<'a>(s: &'a S, out: &mut Names<'a>) {
    match s {
        S::Record(r) => {
            out.insert(r.name.fullname(None), s);
            for f in &r.fields {
                collect(&f.schema, out);
            }
        }
        S::Enum(e) => {
            out.insert(e.name.fullname(None), s);
        }
        S::Fixed(f) | S::Duration(f) => {
            out.insert(f.name.fullname(None), s);
        }
        S::Decimal(d) => {
            if let InnerDecimalSchema::Fixed(f) = &d.inner {
                out.insert(f.name.fullname(None), s);
            }
        }
        S::Uuid(UuidSchema::Fixed(f)) => {
            out.insert(f.name.fullname(None), s);
        }
        S::Array(a) => collect(&a.items, out),
        S::Map(m) => collect(&m.types, out),
        S::Union(u) => u.variants().iter().for_each(|v| collect(v, out)),
        _ => {}
    }
}

fn phys<'a>(s: &'a S, names: &Names<'a>, depth: usize) -> Result<Phys<'a>, String> {
    Ok(match s {
        S::Null => Phys::Prim(Prim::Null, "null"),
        S::Boolean => Phys::Prim(Prim::Boolean, "boolean"),
        S::Int | S::Date | S::TimeMillis => Phys::Prim(Prim::Int, "int"),
        S::Long
        | S::TimeMicros
        | S::TimestampMillis
        | S::TimestampMicros
        | S::TimestampNanos
        | S::LocalTimestampMillis
        | S::LocalTimestampMicros
        | S::LocalTimestampNanos => Phys::Prim(Prim::Long, "long"),
        S::Float => Phys::Prim(Prim::Float, "float"),
        S::Double => Phys::Prim(Prim::Double, "double"),
        S::Bytes | S::BigDecimal | S::Uuid(UuidSchema::Bytes) => Phys::Prim(Prim::Bytes, "bytes"),
        S::String | S::Uuid(UuidSchema::String) => Phys::String,
        S::Decimal(d) => match &d.inner {
            InnerDecimalSchema::Bytes => Phys::Prim(Prim::Bytes, "bytes"),
            InnerDecimalSchema::Fixed(f) => Phys::Fixed(f.name.name(), f.size),
        },
        S::Uuid(UuidSchema::Fixed(f)) | S::Fixed(f) | S::Duration(f) => {
            Phys::Fixed(f.name.name(), f.size)
        }
        S::Enum(e) => Phys::Enum(e),
        S::Record(r) => Phys::Record(r),
        S::Array(a) => Phys::Array(&a.items),
        S::Map(m) => Phys::Map(&m.types),
        S::Union(u) => Phys::Union(u.variants()),
        S::Ref { name } => {
            let full = name.fullname(None);
            let target = names
                .get(&full)
                .ok_or_else(|| format!("unknown named type {full}"))?;
            if depth > 64 {
                return Err(format!(
                    "named type {full} refers to itself without content"
                ));
            }
            return phys(target, names, depth + 1);
        }
    })
}

impl Phys<'_> {
    fn kind(&self) -> String {
        match self {
            Phys::Prim(_, k) => (*k).to_owned(),
            Phys::String => "string".to_owned(),
            Phys::Fixed(n, s) => format!("fixed {n}({s})"),
            Phys::Enum(e) => format!("enum {}", e.name.name()),
            Phys::Record(r) => format!("record {}", r.name.name()),
            Phys::Array(_) => "array".to_owned(),
            Phys::Map(_) => "map".to_owned(),
            Phys::Union(_) => "union".to_owned(),
        }
    }
}

/// Compiles the plan that reads `writer` datums as `reader` datums. Fails
/// when the reader cannot read the writer's data at all (the reason says
/// where); branches and symbols that only might be unreadable fail later,
/// for the records that use them.
pub(crate) fn compile(writer: &S, reader: &S) -> Result<Plan, String> {
    let wn = names(writer);
    let rn = names(reader);
    let mut c = Compiler {
        nodes: Vec::new(),
        memo: HashMap::new(),
        wn: &wn,
    };
    let root = c.node(writer, reader, &rn, "")?;
    Ok(Plan {
        nodes: c.nodes,
        root,
    })
}

struct Compiler<'a, 'w> {
    nodes: Vec<Node>,
    /// (writer name, reader name, reader side is the writer's own names).
    memo: HashMap<(String, String, bool), usize>,
    wn: &'w Names<'a>,
}

impl<'a> Compiler<'a, '_> {
    fn push(&mut self, node: Node) -> usize {
        self.nodes.push(node);
        self.nodes.len() - 1
    }

    fn node(&mut self, w: &'a S, r: &'a S, rn: &Names<'a>, path: &str) -> Result<usize, String> {
        let pw = phys(w, self.wn, 0)?;
        let pr = phys(r, rn, 0)?;
        let at = |what: String| {
            if path.is_empty() {
                what
            } else {
                format!("{path}: {what}")
            }
        };
        match (pw, pr) {
            (Phys::Union(wb), pr) => {
                let mut branches = Vec::with_capacity(wb.len());
                for b in wb {
                    let target = match pr {
                        Phys::Union(rb) => self
                            .union_branch(b, rb, rn, path)
                            .map(|(i, n)| (Some(i), n)),
                        _ => self.node(b, r, rn, path).map(|n| (None, n)),
                    };
                    branches.push(target);
                }
                Ok(self.push(Node::FromUnion(branches)))
            }
            (_, Phys::Union(rb)) => {
                let (i, n) = self.union_branch(w, rb, rn, path)?;
                Ok(self.push(Node::ToUnion(i, n)))
            }
            (Phys::Prim(a, _), Phys::Prim(b, _)) if a == b => Ok(self.push(Node::Copy(a))),
            (
                Phys::Prim(Prim::Bytes, _) | Phys::String,
                Phys::Prim(Prim::Bytes, _) | Phys::String,
            ) => Ok(self.push(Node::Copy(Prim::Bytes))),
            (Phys::Prim(a, _), Phys::Prim(b, _)) if promotion(a, b).is_some() => Ok(self.push(
                Node::Promote(promotion(a, b).unwrap_or(Promotion::IntToLong)),
            )),
            (Phys::Fixed(wn, ws), Phys::Fixed(rname, rs)) if wn == rname && ws == rs => {
                Ok(self.push(Node::Copy(Prim::Fixed(ws))))
            }
            (Phys::Enum(we), Phys::Enum(re))
                if same_name(&we.name, &re.name, re.aliases.as_deref()) =>
            {
                Ok(self.push(enum_node(we, re)))
            }
            (Phys::Record(wr), Phys::Record(rr))
                if same_name(&wr.name, &rr.name, rr.aliases.as_deref()) =>
            {
                let key = (
                    wr.name.fullname(None),
                    rr.name.fullname(None),
                    std::ptr::eq(rn, self.wn),
                );
                if let Some(&done) = self.memo.get(&key) {
                    return Ok(done);
                }
                let slot = self.push(Node::Pending);
                self.memo.insert(key, slot);
                let plan = self.record(wr, rr, rn, path)?;
                self.nodes[slot] = Node::Record(plan);
                Ok(slot)
            }
            (Phys::Array(wi), Phys::Array(ri)) => {
                let n = self.node(wi, ri, rn, &format!("{path}[]"))?;
                Ok(self.push(Node::Array(n)))
            }
            (Phys::Map(wv), Phys::Map(rv)) => {
                let n = self.node(wv, rv, rn, &format!("{path}{{}}"))?;
                Ok(self.push(Node::Map(n)))
            }
            (pw, pr) => Err(at(format!(
                "the writer's {} cannot be read as {}",
                pw.kind(),
                pr.kind()
            ))),
        }
    }

    /// The reader branch a writer type goes to: the first branch of the
    /// same type, else the first it can be promoted to.
    fn union_branch(
        &mut self,
        w: &'a S,
        rb: &'a [S],
        rn: &Names<'a>,
        path: &str,
    ) -> Result<(u32, usize), String> {
        let wk = phys(w, self.wn, 0)?.kind();
        let exact = rb
            .iter()
            .position(|b| phys(b, rn, 0).map(|p| p.kind() == wk).unwrap_or(false));
        let order: Vec<usize> = exact.into_iter().chain(0..rb.len()).collect();
        for i in order {
            let before = self.nodes.len();
            match self.node(w, &rb[i], rn, path) {
                Ok(n) => return Ok((u32::try_from(i).unwrap_or(u32::MAX), n)),
                // A failed attempt may have left half-compiled named types
                // in the memo; forget them so no later use finds them.
                Err(_) => self.memo.retain(|_, n| *n < before),
            }
        }
        let at = if path.is_empty() {
            String::new()
        } else {
            format!("{path}: ")
        };
        Err(format!(
            "{at}the writer's {wk} matches no branch of the reader's union"
        ))
    }

    fn record(
        &mut self,
        wr: &'a RecordSchema,
        rr: &'a RecordSchema,
        rn: &Names<'a>,
        path: &str,
    ) -> Result<RecordPlan, String> {
        let mut matched: Vec<Option<usize>> = vec![None; rr.fields.len()];
        let mut fields = Vec::with_capacity(wr.fields.len());
        let mut order = Vec::new();
        for wf in &wr.fields {
            let found = rr
                .fields
                .iter()
                .position(|rf| rf.name == wf.name || rf.aliases.contains(&wf.name));
            let sub = format!("{path}/{}", wf.name);
            match found {
                Some(ri) => {
                    let node = self.node(&wf.schema, &rr.fields[ri].schema, rn, &sub)?;
                    matched[ri] = Some(node);
                    order.push(ri);
                    fields.push(FieldStep::Keep { slot: ri, node });
                }
                None => {
                    let wn = self.wn;
                    let node = self.node(&wf.schema, &wf.schema, wn, &sub)?;
                    fields.push(FieldStep::Skip(node));
                }
            }
        }
        let mut output = Vec::with_capacity(rr.fields.len());
        for (ri, rf) in rr.fields.iter().enumerate() {
            if matched[ri].is_some() {
                output.push(Out::Slot);
                continue;
            }
            let Some(default) = &rf.default else {
                return Err(format!(
                    "{path}/{}: the reader's field has no default and the writer has no such field",
                    rf.name
                ));
            };
            let mut bytes = Vec::new();
            encode_default(&rf.schema, default, rn, &mut bytes, 0)
                .map_err(|e| format!("{path}/{}: default {default}: {e}", rf.name))?;
            output.push(Out::Default(bytes));
        }
        let last_kept = order.iter().copied().max();
        let increasing = order.windows(2).all(|w| w[0] < w[1]);
        let defaults_after = output.iter().enumerate().all(|(i, o)| match o {
            Out::Default(_) => last_kept.is_none_or(|k| i > k),
            Out::Slot => true,
        });
        Ok(RecordPlan {
            fields,
            output,
            in_order: increasing && defaults_after,
        })
    }
}

fn promotion(from: Prim, to: Prim) -> Option<Promotion> {
    Some(match (from, to) {
        (Prim::Int, Prim::Long) => Promotion::IntToLong,
        (Prim::Int, Prim::Float) => Promotion::IntToFloat,
        (Prim::Int, Prim::Double) => Promotion::IntToDouble,
        (Prim::Long, Prim::Float) => Promotion::LongToFloat,
        (Prim::Long, Prim::Double) => Promotion::LongToDouble,
        (Prim::Float, Prim::Double) => Promotion::FloatToDouble,
        _ => return None,
    })
}

fn same_name(
    w: &apache_avro::schema::Name,
    r: &apache_avro::schema::Name,
    aliases: Option<&[apache_avro::schema::Alias]>,
) -> bool {
    w.name() == r.name()
        || aliases.is_some_and(|a| {
            a.iter()
                .any(|a| a.name() == w.name() || a.fullname(None) == w.fullname(None))
        })
}

fn enum_node(we: &EnumSchema, re: &EnumSchema) -> Node {
    let default = re
        .default
        .as_ref()
        .and_then(|d| re.symbols.iter().position(|s| s == d));
    Node::Enum(
        we.symbols
            .iter()
            .map(
                |s| match re.symbols.iter().position(|r| r == s).or(default) {
                    Some(i) => u32::try_from(i).map_err(|_| "too many symbols".to_owned()),
                    None => Err(format!(
                        "symbol {s} is not in the reader's enum {}, which has no default",
                        re.name.name()
                    )),
                },
            )
            .collect(),
    )
}

#[cfg(test)]
mod tests;
