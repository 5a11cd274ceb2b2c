//! Test-only: random valid bodies from a description, to check each
//! description against the `kafka-protocol` codec and the walker.

use super::{Field, Ty};

/// A small deterministic generator (SplitMix64): proptest picks the seed,
/// the description picks the shape.
pub(super) struct Generator {
    state: u64,
    version: i16,
    flexible: bool,
}

impl Generator {
    pub(super) fn new(seed: u64, version: i16, flexible: bool) -> Generator {
        Generator {
            state: seed,
            version,
            flexible,
        }
    }

    fn next(&mut self) -> u64 {
        self.state = self.state.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.state;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }

    fn random_bytes(&mut self, out: &mut Vec<u8>, n: usize) {
        for _ in 0..n {
            out.push(self.next() as u8);
        }
    }

    /// A random body: arrays of 0–3 elements, strings and bytes of 0–7
    /// bytes, null now and then where the field is nullable, and each known
    /// tagged field present or not.
    pub(super) fn fields(&mut self, out: &mut Vec<u8>, fields: &[Field]) {
        for field in fields {
            if field.versions.has(self.version) && !(self.flexible && field.tag.is_some()) {
                let nullable = field.nullable.has(self.version);
                self.value(out, field.ty, nullable);
            }
        }
        if self.flexible {
            let version = self.version;
            let tagged: Vec<&Field> = fields
                .iter()
                .filter(|f| f.tag.is_some() && f.versions.has(version))
                .filter(|_| self.next().is_multiple_of(2))
                .collect();
            uvarint(out, tagged.len() as u32);
            let mut sorted = tagged;
            sorted.sort_by_key(|f| f.tag);
            for field in sorted {
                let mut value = Vec::new();
                // Non-null: a null tagged field is its default, which
                // `kafka-protocol` leaves out when it encodes.
                self.value(&mut value, field.ty, false);
                uvarint(out, field.tag.unwrap_or(0));
                uvarint(out, value.len() as u32);
                out.extend_from_slice(&value);
            }
        }
    }

    fn length(&mut self, out: &mut Vec<u8>, n: Option<usize>, int16: bool) {
        if self.flexible && !int16 {
            uvarint(out, n.map_or(0, |n| n as u32 + 1));
        } else if int16 {
            out.extend_from_slice(&n.map_or(-1, |n| n as i16).to_be_bytes());
        } else {
            out.extend_from_slice(&n.map_or(-1, |n| n as i32).to_be_bytes());
        }
    }

    fn value(&mut self, out: &mut Vec<u8>, ty: Ty, nullable: bool) {
        let null = nullable && self.below(4) == 0;
        match ty {
            Ty::Str | Ty::Int16Str => {
                let int16 = matches!(ty, Ty::Int16Str) || !self.flexible;
                if null {
                    return self.length(out, None, int16);
                }
                let n = self.below(8) as usize;
                self.length(out, Some(n), int16);
                for _ in 0..n {
                    out.push(b'a' + self.below(26) as u8);
                }
            }
            Ty::Bytes | Ty::Records => {
                if null {
                    return self.length(out, None, false);
                }
                let n = self.below(8) as usize;
                self.length(out, Some(n), false);
                self.random_bytes(out, n);
            }
            Ty::Array(element) => {
                if null {
                    return self.length(out, None, false);
                }
                let n = self.below(4) as usize;
                self.length(out, Some(n), false);
                for _ in 0..n {
                    self.value(out, *element, false);
                }
            }
            Ty::Struct(fields) => self.fields(out, fields),
            Ty::Bool => out.push(self.below(2) as u8),
            fixed => {
                let n = super::walk::fixed_size(fixed).unwrap_or(0);
                self.random_bytes(out, n);
            }
        }
    }
}

/// Appends an unsigned varint.
pub(super) fn uvarint(out: &mut Vec<u8>, mut value: u32) {
    while value >= 0x80 {
        out.push((value as u8) | 0x80);
        value >>= 7;
    }
    out.push(value as u8);
}
