//! The walker: reads a body along its description without building
//! anything, checking each length against the bytes left.

use super::{Field, Ty};

/// Why a body was refused: a length that does not fit in the frame, or a
/// body that ends early.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub(crate) struct Rejected(String);

impl Rejected {
    pub(super) fn new(reason: String) -> Rejected {
        Rejected(reason)
    }
}

/// About what one entry of a struct's map of unknown tagged fields takes
/// (an `i32` key and a `Bytes` value, plus its share of a B-tree node).
const TAGGED_ENTRY: usize = 48;

/// How deep structs may nest. Descriptions nest at most four levels; the
/// bound only keeps a wrong description from recursing without end.
const MAX_DEPTH: usize = 16;

/// How the walk goes: at which version, in which encoding, with which
/// budget for what the decoder will build.
#[derive(Debug, Clone, Copy)]
pub(super) struct Mode {
    /// The version walked.
    pub version: i16,
    /// Whether that version uses the flexible encoding.
    pub flexible: bool,
    /// Whether the API has flexible versions at all: its decoded structs
    /// then carry a map of unknown tagged fields, whatever the version.
    pub tagged_maps: bool,
    /// The most bytes the decoded arrays and tagged-field maps may take.
    pub budget: usize,
}

/// Walks `fields` over `buf` and returns how many bytes they take.
pub(super) fn walk(buf: &[u8], mode: Mode, fields: &'static [Field]) -> Result<usize, Rejected> {
    let mut walker = Walker {
        buf,
        pos: 0,
        version: mode.version,
        flexible: mode.flexible,
        tagged_maps: mode.tagged_maps,
        budget: mode.budget,
        decoded: 0,
        path: Vec::new(),
    };
    walker.fields(fields)?;
    Ok(walker.pos)
}

struct Walker<'a> {
    buf: &'a [u8],
    pos: usize,
    version: i16,
    flexible: bool,
    tagged_maps: bool,
    budget: usize,
    /// About how many bytes the arrays and maps walked so far will take
    /// once decoded.
    decoded: usize,
    /// The field names from the body down to the field being read.
    path: Vec<&'static str>,
}

impl Walker<'_> {
    fn left(&self) -> usize {
        self.buf.len() - self.pos
    }

    fn reject(&self, what: String) -> Rejected {
        let path = if self.path.is_empty() {
            "body".to_owned()
        } else {
            self.path.join(".")
        };
        Rejected(format!("{path}: {what}"))
    }

    /// Adds `n` values of `each` bytes to what the decoder will allocate.
    fn allocate(&mut self, n: usize, each: usize) -> Result<(), Rejected> {
        self.decoded = self.decoded.saturating_add(n.saturating_mul(each));
        if self.decoded > self.budget {
            return Err(self.reject(format!(
                "decoding would allocate about {} bytes, more than the {} allowed",
                self.decoded, self.budget
            )));
        }
        Ok(())
    }

    fn take(&mut self, n: usize) -> Result<&[u8], Rejected> {
        if n > self.left() {
            return Err(self.reject(format!("needs {n} bytes but {} are left", self.left())));
        }
        let start = self.pos;
        self.pos += n;
        Ok(&self.buf[start..self.pos])
    }

    fn int16(&mut self) -> Result<i16, Rejected> {
        let b = self.take(2)?;
        Ok(i16::from_be_bytes([b[0], b[1]]))
    }

    fn int32(&mut self) -> Result<i32, Rejected> {
        let b = self.take(4)?;
        Ok(i32::from_be_bytes([b[0], b[1], b[2], b[3]]))
    }

    /// An unsigned varint read exactly as `kafka-protocol` reads it (at most
    /// five bytes, bits past 32 dropped), so both stay at the same offset.
    fn uvarint(&mut self) -> Result<u32, Rejected> {
        let mut value = 0u32;
        for i in 0..5 {
            let b = u32::from(self.take(1)?[0]);
            value |= (b & 0x7f) << (i * 7);
            if b < 0x80 {
                break;
            }
        }
        Ok(value)
    }

    /// A length or count: `None` for null, else the value.
    fn length(&mut self, compact: bool, int16: bool) -> Result<Option<usize>, Rejected> {
        let n = if compact {
            match self.uvarint()? {
                0 => return Ok(None),
                n => i64::from(n) - 1,
            }
        } else if int16 {
            i64::from(self.int16()?)
        } else {
            i64::from(self.int32()?)
        };
        match n {
            -1 => Ok(None),
            n if n < 0 => Err(self.reject(format!("negative length {n}"))),
            n => usize::try_from(n)
                .map(Some)
                .map_err(|_| self.reject(format!("length {n} does not fit in memory"))),
        }
    }

    /// A string or bytes: its length must fit in the bytes left.
    fn blob(&mut self, compact: bool, int16: bool, what: &str) -> Result<(), Rejected> {
        if let Some(n) = self.length(compact, int16)? {
            if n > self.left() {
                return Err(self.reject(format!(
                    "{what} of {n} bytes, but {} bytes are left",
                    self.left()
                )));
            }
            self.pos += n;
        }
        Ok(())
    }

    fn fields(&mut self, fields: &'static [Field]) -> Result<(), Rejected> {
        if self.path.len() > MAX_DEPTH {
            return Err(self.reject("structs nested too deeply".to_owned()));
        }
        for field in fields {
            if field.versions.has(self.version) && !(self.flexible && field.tag.is_some()) {
                self.path.push(field.name);
                self.value(field.ty)?;
                self.path.pop();
            }
        }
        if self.flexible {
            self.tagged(fields)?;
        }
        Ok(())
    }

    fn value(&mut self, ty: Ty) -> Result<(), Rejected> {
        let compact = self.flexible;
        match ty {
            Ty::Str => self.blob(compact, true, "string"),
            Ty::Int16Str => self.blob(false, true, "string"),
            Ty::Bytes | Ty::Records => self.blob(compact, false, "bytes"),
            Ty::Array(element) => self.array(element),
            Ty::Struct(fields) => self.fields(fields),
            fixed => {
                let n = fixed_size(fixed).unwrap_or(0);
                self.take(n).map(|_| ())
            }
        }
    }

    fn array(&mut self, element: &'static Ty) -> Result<(), Rejected> {
        let Some(count) = self.length(self.flexible, false)? else {
            return Ok(());
        };
        // An element that can encode in zero bytes (a struct with no field
        // at this version) still counts one, so that the count stays bounded
        // by the frame.
        let each = min_size(*element, self.version, self.flexible).max(1);
        if count.saturating_mul(each) > self.left() {
            return Err(self.reject(format!(
                "array of {count} elements of at least {each} bytes each, but {} bytes are left",
                self.left()
            )));
        }
        self.allocate(count, footprint(*element, self.tagged_maps))?;
        for _ in 0..count {
            self.value(*element)?;
        }
        Ok(())
    }

    /// A tagged-field section: a count, then per field its tag, its size and
    /// that many bytes. Known tags are decoded by `kafka-protocol` from the
    /// same bytes, so their content is walked too, inside the size window.
    fn tagged(&mut self, fields: &'static [Field]) -> Result<(), Rejected> {
        let count = self.uvarint()? as usize;
        // Each tagged field takes at least a tag byte and a size byte.
        if count.saturating_mul(2) > self.left() {
            return Err(self.reject(format!(
                "{count} tagged fields, but {} bytes are left",
                self.left()
            )));
        }
        self.allocate(count, TAGGED_ENTRY)?;
        for _ in 0..count {
            let tag = self.uvarint()?;
            let size = self.uvarint()? as usize;
            if size > self.left() {
                return Err(self.reject(format!(
                    "tagged field {tag} of {size} bytes, but {} bytes are left",
                    self.left()
                )));
            }
            let known = fields
                .iter()
                .find(|f| f.tag == Some(tag) && f.versions.has(self.version));
            match known {
                Some(field) => {
                    let end = self.pos + size;
                    let mut inner = Walker {
                        buf: &self.buf[..end],
                        pos: self.pos,
                        version: self.version,
                        flexible: self.flexible,
                        tagged_maps: self.tagged_maps,
                        budget: self.budget,
                        decoded: self.decoded,
                        path: self.path.clone(),
                    };
                    inner.path.push(field.name);
                    inner.value(field.ty)?;
                    self.decoded = inner.decoded;
                    if inner.pos != end {
                        return Err(inner.reject(format!(
                            "tagged field {tag} claims {size} bytes but its value takes {}",
                            size - (end - inner.pos)
                        )));
                    }
                    self.pos = end;
                }
                None => self.pos += size,
            }
        }
        Ok(())
    }
}

/// The size of a fixed-size type.
pub(super) fn fixed_size(ty: Ty) -> Option<usize> {
    match ty {
        Ty::Int8 | Ty::Bool => Some(1),
        Ty::Int16 | Ty::UInt16 => Some(2),
        Ty::Int32 => Some(4),
        Ty::Int64 | Ty::Float64 => Some(8),
        Ty::Uuid => Some(16),
        _ => None,
    }
}

/// The fewest bytes a value of `ty` can take at `version`.
pub(super) fn min_size(ty: Ty, version: i16, flexible: bool) -> usize {
    match ty {
        Ty::Str | Ty::Bytes | Ty::Records | Ty::Array(_) if flexible => 1,
        Ty::Str | Ty::Int16Str => 2,
        Ty::Bytes | Ty::Records | Ty::Array(_) => 4,
        Ty::Struct(fields) => {
            let inline: usize = fields
                .iter()
                .filter(|f| f.versions.has(version) && !(flexible && f.tag.is_some()))
                .map(|f| min_size(f.ty, version, flexible))
                .sum();
            inline + usize::from(flexible)
        }
        fixed => fixed_size(fixed).unwrap_or(0),
    }
}

/// About what one decoded value of `ty` takes inside its parent: the size
/// of the `kafka-protocol` type it decodes into (`StrBytes` and `Bytes` are
/// 32 bytes and share the frame's buffer, a `Vec` is 24, a struct holds
/// every field of every version, plus a 24-byte map of unknown tagged
/// fields when its API has flexible versions), rounded up to 8 for padding.
/// Checked against `size_of` in the tests.
pub(super) fn footprint(ty: Ty, tagged_maps: bool) -> usize {
    match ty {
        Ty::Str | Ty::Int16Str | Ty::Bytes | Ty::Records => 32,
        Ty::Array(_) => 24,
        Ty::Struct(fields) => {
            let inline: usize = fields.iter().map(|f| footprint(f.ty, tagged_maps)).sum();
            (inline + if tagged_maps { 24 } else { 0 }).next_multiple_of(8)
        }
        fixed => fixed_size(fixed).unwrap_or(0),
    }
}
