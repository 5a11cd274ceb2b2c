//! Avro reader/writer compatibility, as Apache Avro's
//! `SchemaCompatibility` (1.10 and later) decides it and Confluent reports it.
//!
//! BACKWARD asks whether the new schema (reader) reads data written with the
//! old one (writer); FORWARD asks the opposite. The rules:
//! - the same primitive, or a promotion: int→long→float→double,
//!   long→float/double, float→double, string↔bytes;
//! - records match fields by name or by a reader field's alias; a reader
//!   field the writer lacks needs a default;
//! - named types match by unqualified name or by a reader alias naming the
//!   writer's full name; enums need every writer symbol unless the reader
//!   has a default symbol; fixed types need the same size;
//! - every branch of a writer union must be readable; a non-union writer must
//!   be readable by some branch of a reader union;
//! - recursion is cut by memoizing named-type pairs (a pair in progress counts as
//!   compatible). Logical types never decide compatibility; a changed one is
//!   reported as a warning.
//!
//! Unlike Java, every finding is reported once, and a union branch that
//! fails for a reason deeper inside is explained with that reason too.

use std::collections::HashMap;

use super::AvroSchema;
use super::finding::AvroFindingKind;
use super::model::{Field, Kind, Name, NodeId, Primitive, Tree, field_position};
use super::parse::{Seg, render};
use super::text;
use crate::{Direction, Finding, FindingKind, Severity};

/// Compares `new` with `old` in `direction` and returns every finding, errors
/// and warnings, each once. `version` is left `None` for the caller to fill.
pub fn check(new: &AvroSchema, old: &AvroSchema, direction: Direction) -> Vec<Finding> {
    let (reader, writer) = match direction {
        Direction::Backward => (new.tree(), old.tree()),
        Direction::Forward => (old.tree(), new.tree()),
    };
    let mut checker = Checker {
        r: reader,
        w: writer,
        direction,
        memo: HashMap::new(),
        rpath: Vec::new(),
        wpath: Vec::new(),
        trail: Vec::new(),
    };
    let outcome = checker.pair(reader.root, writer.root);
    let mut findings: Vec<Finding> = Vec::with_capacity(outcome.findings.len());
    for f in outcome.findings {
        if !findings.contains(&f) {
            findings.push(f);
        }
    }
    findings
}

/// What comparing one reader/writer pair found.
#[derive(Debug, Clone, Default)]
struct Outcome {
    /// Whether some finding is an error (the pair is incompatible).
    broken: bool,
    findings: Vec<Finding>,
}

impl Outcome {
    fn merge(&mut self, other: Outcome) {
        self.broken |= other.broken;
        self.findings.extend(other.findings);
    }

    fn push(&mut self, f: Finding) {
        self.broken |= f.severity == Severity::Error;
        self.findings.push(f);
    }
}

enum Memo {
    InProgress,
    Done(Outcome),
}

struct Checker<'a> {
    r: &'a Tree,
    w: &'a Tree,
    direction: Direction,
    memo: HashMap<(NodeId, NodeId), Memo>,
    rpath: Vec<Seg>,
    wpath: Vec<Seg>,
    /// Field names (and `[]`/`{}` for items and values) along the reader path.
    trail: Vec<&'a str>,
}

impl<'a> Checker<'a> {
    fn pair(&mut self, r: NodeId, w: NodeId) -> Outcome {
        // Recursion passes through records only, but memoizing every named
        // pair (as Java memoizes every pair) also reports a named type that
        // is used in several places once.
        let named = self.r.node(r).name().is_some() && self.w.node(w).name().is_some();
        if named {
            match self.memo.get(&(r, w)) {
                Some(Memo::InProgress) => return Outcome::default(),
                Some(Memo::Done(o)) => return o.clone(),
                None => {}
            }
            self.memo.insert((r, w), Memo::InProgress);
        }
        let outcome = self.calculate(r, w);
        if named {
            self.memo.insert((r, w), Memo::Done(outcome.clone()));
        }
        outcome
    }

    fn calculate(&mut self, r: NodeId, w: NodeId) -> Outcome {
        let (rt, wt) = (self.r, self.w);
        let (rn, wn) = (rt.node(r), wt.node(w));
        let mut out = Outcome::default();
        match (&rn.kind, &wn.kind) {
            (Kind::Union { branches: rb }, Kind::Union { branches: wb }) => {
                for (i, &b) in wb.iter().enumerate() {
                    self.wpath.push(Seg::Index(i));
                    out.merge(self.read_with_union(rb, b));
                    self.wpath.pop();
                }
            }
            (_, Kind::Union { branches: wb }) => {
                for (i, &b) in wb.iter().enumerate() {
                    self.wpath.push(Seg::Index(i));
                    out.merge(self.pair(r, b));
                    self.wpath.pop();
                }
            }
            (Kind::Union { branches: rb }, _) => out.merge(self.read_with_union(rb, w)),
            (Kind::Primitive(a), Kind::Primitive(b)) => {
                if a == b || promotes(*b, *a) {
                    self.logical(&mut out, r, w);
                } else {
                    out.push(self.type_mismatch(r, w));
                }
            }
            (Kind::Array { items: ri }, Kind::Array { items: wi }) => {
                out.merge(self.descend(Seg::Key("items"), "[]", *ri, *wi));
            }
            (Kind::Map { values: rv }, Kind::Map { values: wv }) => {
                out.merge(self.descend(Seg::Key("values"), "{}", *rv, *wv));
            }
            (
                Kind::Fixed {
                    name: rname,
                    size: rs,
                    aliases,
                    ..
                },
                Kind::Fixed {
                    name: wname,
                    size: ws,
                    ..
                },
            ) => {
                self.names(&mut out, rname, aliases, wname, "fixed type");
                if rs != ws {
                    self.at(Seg::Key("size"), |c| {
                        let msg = text::fixed_size(c.direction, &c.trail, &wname.full, *ws, *rs);
                        out.push(c.finding(
                            AvroFindingKind::FixedSizeMismatch,
                            Severity::Error,
                            msg,
                        ));
                    });
                }
                self.logical(&mut out, r, w);
            }
            (
                Kind::Enum {
                    name: rname,
                    symbols: rs,
                    default,
                    aliases,
                    ..
                },
                Kind::Enum {
                    name: wname,
                    symbols: ws,
                    ..
                },
            ) => {
                self.names(&mut out, rname, aliases, wname, "enum");
                let mut missing: Vec<&str> = ws
                    .iter()
                    .filter(|s| !rs.contains(s))
                    .map(String::as_str)
                    .collect();
                missing.sort_unstable();
                if !missing.is_empty() && default.is_none() {
                    self.at(Seg::Key("symbols"), |c| {
                        let msg = text::missing_symbols(c.direction, &rname.full, &missing);
                        out.push(c.finding(
                            AvroFindingKind::MissingEnumSymbols,
                            Severity::Error,
                            msg,
                        ));
                    });
                }
            }
            (
                Kind::Record {
                    name: rname,
                    fields: rf,
                    aliases,
                    ..
                },
                Kind::Record {
                    name: wname,
                    fields: wf,
                    index,
                    ..
                },
            ) => {
                self.names(&mut out, rname, aliases, wname, "record");
                self.rpath.push(Seg::Key("fields"));
                for (j, field) in rf.iter().enumerate() {
                    self.rpath.push(Seg::Index(j));
                    self.trail.push(&field.name);
                    self.field(&mut out, j, field, wf, index);
                    self.trail.pop();
                    self.rpath.pop();
                }
                self.rpath.pop();
            }
            _ => out.push(self.type_mismatch(r, w)),
        }
        out
    }

    /// Matches one reader field with the writer's fields.
    fn field(
        &mut self,
        out: &mut Outcome,
        position: usize,
        field: &'a Field,
        writer_fields: &'a [Field],
        index: &HashMap<String, usize>,
    ) {
        // Fields rarely move between versions, so the same position is tried
        // before the name index.
        let direct = match writer_fields.get(position) {
            Some(w) if w.name == field.name => Some(position),
            _ => field_position(writer_fields, index, &field.name),
        };
        let mut matches: Vec<usize> = direct.into_iter().collect();
        for alias in &field.aliases {
            if let Some(k) = field_position(writer_fields, index, alias)
                && !matches.contains(&k)
            {
                matches.push(k);
            }
        }
        match matches.as_slice() {
            [] => {
                if field.default.is_none() {
                    let suggestion = text::suggest_default(self.r, field.ty);
                    let msg = text::missing_default(self.direction, &self.trail, &suggestion);
                    out.push(self.finding(
                        AvroFindingKind::ReaderFieldMissingDefaultValue,
                        Severity::Error,
                        msg,
                    ));
                }
            }
            [k] => {
                let wf = &writer_fields[*k];
                self.rpath.push(Seg::Key("type"));
                self.wpath
                    .extend([Seg::Key("fields"), Seg::Index(*k), Seg::Key("type")]);
                out.merge(self.pair(field.ty, wf.ty));
                self.wpath.truncate(self.wpath.len() - 3);
                self.rpath.pop();
            }
            several => {
                let names: Vec<&str> = several
                    .iter()
                    .map(|&k| writer_fields[k].name.as_str())
                    .collect();
                let msg = text::ambiguous(self.direction, &self.trail, &names);
                out.push(self.finding(AvroFindingKind::AmbiguousFieldAlias, Severity::Error, msg));
            }
        }
    }

    /// Finds the branch of a reader union that reads writer type `w`: the
    /// branch of the same type (or name) first, as Avro's resolution picks
    /// it, then any branch a promotion reaches.
    fn read_with_union(&mut self, branches: &[NodeId], w: NodeId) -> Outcome {
        let same = branches.iter().position(|&b| self.same_type(b, w));
        let mut detail = None;
        if let Some(i) = same {
            let o = self.branch(i, branches[i], w);
            if !o.broken {
                return o;
            }
            detail = Some(o);
        }
        for (i, &b) in branches.iter().enumerate() {
            if Some(i) == same {
                continue;
            }
            let o = self.branch(i, b, w);
            if !o.broken {
                return o;
            }
        }
        let mut out = Outcome::default();
        let listed: Vec<String> = branches
            .iter()
            .map(|&b| self.r.node(b).describe())
            .collect();
        let msg = text::missing_branch(
            self.direction,
            &self.trail,
            &self.w.node(w).describe(),
            &listed,
        );
        out.push(self.finding(AvroFindingKind::MissingUnionBranch, Severity::Error, msg));
        if let Some(d) = detail {
            out.merge(d);
        }
        out
    }

    fn branch(&mut self, i: usize, r: NodeId, w: NodeId) -> Outcome {
        self.rpath.push(Seg::Index(i));
        let o = self.pair(r, w);
        self.rpath.pop();
        o
    }

    /// Whether reader node `r` is the union branch Avro would pick for `w`
    /// before trying promotions.
    fn same_type(&self, r: NodeId, w: NodeId) -> bool {
        let (rn, wn) = (self.r.node(r), self.w.node(w));
        match (&rn.kind, &wn.kind) {
            (Kind::Primitive(a), Kind::Primitive(b)) => a == b,
            (Kind::Array { .. }, Kind::Array { .. }) | (Kind::Map { .. }, Kind::Map { .. }) => true,
            (
                Kind::Record {
                    name: rname,
                    aliases,
                    ..
                },
                Kind::Record { name: wname, .. },
            )
            | (
                Kind::Enum {
                    name: rname,
                    aliases,
                    ..
                },
                Kind::Enum { name: wname, .. },
            )
            | (
                Kind::Fixed {
                    name: rname,
                    aliases,
                    ..
                },
                Kind::Fixed { name: wname, .. },
            ) => names_match(rname, aliases, wname),
            _ => false,
        }
    }

    fn descend(&mut self, seg: Seg, marker: &'static str, r: NodeId, w: NodeId) -> Outcome {
        self.rpath.push(seg);
        self.wpath.push(seg);
        self.trail.push(marker);
        let o = self.pair(r, w);
        self.trail.pop();
        self.wpath.pop();
        self.rpath.pop();
        o
    }

    /// Runs `f` with both paths one segment deeper.
    fn at(&mut self, seg: Seg, f: impl FnOnce(&mut Self)) {
        self.rpath.push(seg);
        self.wpath.push(seg);
        f(self);
        self.wpath.pop();
        self.rpath.pop();
    }

    fn names(
        &mut self,
        out: &mut Outcome,
        rname: &Name,
        aliases: &[Name],
        wname: &Name,
        what: &str,
    ) {
        if !names_match(rname, aliases, wname) {
            self.at(Seg::Key("name"), |c| {
                let msg =
                    text::name_mismatch(c.direction, &c.trail, what, &rname.full, &wname.full);
                out.push(c.finding(AvroFindingKind::NameMismatch, Severity::Error, msg));
            });
        }
    }

    fn logical(&mut self, out: &mut Outcome, r: NodeId, w: NodeId) {
        let (rl, wl) = (self.r.node(r).logical, self.w.node(w).logical);
        if rl != wl {
            let msg = text::logical_changed(self.direction, &self.trail, wl, rl);
            out.push(self.finding(AvroFindingKind::LogicalTypeChanged, Severity::Warning, msg));
        }
    }

    fn type_mismatch(&self, r: NodeId, w: NodeId) -> Finding {
        let msg = text::type_mismatch(
            self.direction,
            &self.trail,
            &self.w.node(w).describe(),
            &self.r.node(r).describe(),
        );
        self.finding(AvroFindingKind::TypeMismatch, Severity::Error, msg)
    }

    fn finding(&self, kind: AvroFindingKind, severity: Severity, message: String) -> Finding {
        let (reader_path, writer_path) = (render(&self.rpath), render(&self.wpath));
        let (new_path, old_path) = match self.direction {
            Direction::Backward => (reader_path, writer_path),
            Direction::Forward => (writer_path, reader_path),
        };
        Finding {
            kind: FindingKind::Avro(kind),
            severity,
            new_path,
            old_path,
            version: None,
            direction: self.direction,
            message,
        }
    }
}

/// Avro's name rule since 1.10: unqualified names equal, or a reader alias
/// naming the writer's full name.
fn names_match(reader: &Name, reader_aliases: &[Name], writer: &Name) -> bool {
    reader.name() == writer.name() || reader_aliases.iter().any(|a| a.full == writer.full)
}

/// Whether data of primitive `writer` can be read as primitive `reader`.
fn promotes(writer: Primitive, reader: Primitive) -> bool {
    use Primitive::*;
    matches!(
        (writer, reader),
        (Int, Long | Float | Double)
            | (Long, Float | Double)
            | (Float, Double)
            | (String, Bytes)
            | (Bytes, String)
    )
}
