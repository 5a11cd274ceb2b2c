//! The field encoding both internal topics' record formats are written in:
//! big-endian integers, `string` as an `i16` length and UTF-8 bytes (length
//! -1: null), `bytes` as an `i32` length and the bytes, arrays as an `i32`
//! count and the elements, a uuid as its 16 bytes.
//!
//! Reading never trusts a length: every read checks what is left, and an
//! array count is bounded by the bytes left (each element takes at least
//! one), so a damaged record is an error, never a large allocation.

use bytes::{Buf, BufMut, Bytes, BytesMut};
use uuid::Uuid;

/// Why a field cannot be read or written; each record format reports it as
/// its own error.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub(crate) enum FieldError {
    /// The bytes end before the field.
    #[error("record ends early while reading {0}")]
    Truncated(&'static str),
    /// A string is not UTF-8.
    #[error("{0} is not valid UTF-8")]
    NotUtf8(&'static str),
    /// A field holds an impossible value (a negative length, a null string
    /// where one is required).
    #[error("invalid {0}")]
    Invalid(&'static str),
    /// A string, bytes or array is too long for its length field.
    #[error("{0} is too long to store")]
    TooLong(&'static str),
    /// Bytes are left after the last field.
    #[error("{0} bytes left over after the record")]
    Trailing(usize),
}

type Result<T> = std::result::Result<T, FieldError>;

/// Writes fields; integers go straight into the buffer (`.0`).
#[derive(Debug, Default)]
pub(crate) struct FieldWriter(pub BytesMut);

impl FieldWriter {
    /// An empty writer.
    pub(crate) fn new() -> Self {
        Self::default()
    }

    /// A non-null string.
    pub(crate) fn string(&mut self, what: &'static str, s: &str) -> Result<()> {
        let len = i16::try_from(s.len()).map_err(|_| FieldError::TooLong(what))?;
        self.0.put_i16(len);
        self.0.put_slice(s.as_bytes());
        Ok(())
    }

    /// A nullable string.
    pub(crate) fn opt_string(&mut self, what: &'static str, s: Option<&str>) -> Result<()> {
        match s {
            Some(s) => self.string(what, s),
            None => {
                self.0.put_i16(-1);
                Ok(())
            }
        }
    }

    /// Length-prefixed bytes.
    pub(crate) fn bytes(&mut self, what: &'static str, b: &[u8]) -> Result<()> {
        let len = i32::try_from(b.len()).map_err(|_| FieldError::TooLong(what))?;
        self.0.put_i32(len);
        self.0.put_slice(b);
        Ok(())
    }

    /// An array's element count.
    pub(crate) fn count(&mut self, what: &'static str, n: usize) -> Result<()> {
        self.0
            .put_i32(i32::try_from(n).map_err(|_| FieldError::TooLong(what))?);
        Ok(())
    }

    /// A uuid.
    pub(crate) fn uuid(&mut self, id: &Uuid) {
        self.0.put_slice(id.as_bytes());
    }

    /// The bytes written.
    pub(crate) fn finish(self) -> Vec<u8> {
        self.0.to_vec()
    }
}

/// Reads fields from a record's key or value.
#[derive(Debug)]
pub(crate) struct FieldReader<'a>(&'a [u8]);

impl<'a> FieldReader<'a> {
    /// A reader at the start of `bytes`.
    pub(crate) fn new(bytes: &'a [u8]) -> Self {
        FieldReader(bytes)
    }

    fn need(&self, what: &'static str, n: usize) -> Result<()> {
        if self.0.remaining() < n {
            Err(FieldError::Truncated(what))
        } else {
            Ok(())
        }
    }

    /// An `i8`.
    pub(crate) fn i8(&mut self, what: &'static str) -> Result<i8> {
        self.need(what, 1)?;
        Ok(self.0.get_i8())
    }

    /// An `i16`.
    pub(crate) fn i16(&mut self, what: &'static str) -> Result<i16> {
        self.need(what, 2)?;
        Ok(self.0.get_i16())
    }

    /// An `i32`.
    pub(crate) fn i32(&mut self, what: &'static str) -> Result<i32> {
        self.need(what, 4)?;
        Ok(self.0.get_i32())
    }

    /// An `i64`.
    pub(crate) fn i64(&mut self, what: &'static str) -> Result<i64> {
        self.need(what, 8)?;
        Ok(self.0.get_i64())
    }

    /// A uuid.
    pub(crate) fn uuid(&mut self, what: &'static str) -> Result<Uuid> {
        self.need(what, 16)?;
        let mut raw = [0u8; 16];
        self.0.copy_to_slice(&mut raw);
        Ok(Uuid::from_bytes(raw))
    }

    /// A nullable string.
    pub(crate) fn opt_string(&mut self, what: &'static str) -> Result<Option<String>> {
        let len = self.i16(what)?;
        if len < 0 {
            return Ok(None);
        }
        let len = usize::try_from(len).map_err(|_| FieldError::Invalid(what))?;
        self.need(what, len)?;
        let (raw, rest) = self.0.split_at(len);
        let s = std::str::from_utf8(raw).map_err(|_| FieldError::NotUtf8(what))?;
        self.0 = rest;
        Ok(Some(s.to_owned()))
    }

    /// A non-null string.
    pub(crate) fn string(&mut self, what: &'static str) -> Result<String> {
        self.opt_string(what)?.ok_or(FieldError::Invalid(what))
    }

    /// Length-prefixed bytes.
    pub(crate) fn bytes(&mut self, what: &'static str) -> Result<Bytes> {
        let len = usize::try_from(self.i32(what)?).map_err(|_| FieldError::Invalid(what))?;
        self.need(what, len)?;
        let (raw, rest) = self.0.split_at(len);
        self.0 = rest;
        Ok(Bytes::copy_from_slice(raw))
    }

    /// An array count; each element needs at least one byte, which bounds
    /// the count by what is left.
    pub(crate) fn count(&mut self, what: &'static str) -> Result<usize> {
        let n = usize::try_from(self.i32(what)?).map_err(|_| FieldError::Invalid(what))?;
        if n > self.0.remaining() {
            return Err(FieldError::Truncated(what));
        }
        Ok(n)
    }

    /// Checks that every byte was read.
    pub(crate) fn end(&self) -> Result<()> {
        match self.0.remaining() {
            0 => Ok(()),
            n => Err(FieldError::Trailing(n)),
        }
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    #[test]
    fn fields_round_trip_and_every_length_is_checked() {
        let id = Uuid::from_u128(7);
        let mut w = FieldWriter::new();
        w.0.put_i8(-3);
        w.string("s", "héllo").expect("string");
        w.opt_string("none", None).expect("null");
        w.bytes("b", b"\x00\x01").expect("bytes");
        w.count("n", 2).expect("count");
        w.uuid(&id);
        w.0.put_i64(-9);
        let bytes = w.finish();

        let mut r = FieldReader::new(&bytes);
        assert_eq!(r.i8("i8"), Ok(-3));
        assert_eq!(r.string("s").as_deref(), Ok("héllo"));
        assert_eq!(r.opt_string("none"), Ok(None));
        assert_eq!(r.bytes("b"), Ok(Bytes::from_static(b"\x00\x01")));
        assert_eq!(r.count("n"), Ok(2));
        assert_eq!(r.uuid("id"), Ok(id));
        assert_eq!(r.i64("i64"), Ok(-9));
        assert_eq!(r.end(), Ok(()));

        let mut short = FieldReader::new(&bytes[..3]);
        short.i8("i8").expect("i8");
        assert_eq!(short.string("s"), Err(FieldError::Truncated("s")));
        let claims_a_lot = [0x7f, 0xff, 0xff, 0xff, 1];
        assert_eq!(
            FieldReader::new(&claims_a_lot).count("n"),
            Err(FieldError::Truncated("n")),
            "a count is bounded by the bytes left"
        );
        assert_eq!(
            FieldReader::new(&[0xff, 0xfe]).string("s"),
            Err(FieldError::Invalid("s")),
            "-2 is no length"
        );
        assert_eq!(
            FieldReader::new(&[0, 1, 0xff]).string("s"),
            Err(FieldError::NotUtf8("s"))
        );
        assert_eq!(
            FieldReader::new(&[1, 2]).end(),
            Err(FieldError::Trailing(2))
        );
        let long = "x".repeat(40_000);
        assert_eq!(
            FieldWriter::new().string("s", &long),
            Err(FieldError::TooLong("s"))
        );
    }

    proptest! {
        #[test]
        fn reading_arbitrary_bytes_never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..64)) {
            let mut r = FieldReader::new(&bytes);
            let _ = r.i8("a");
            let _ = r.opt_string("b");
            let _ = r.bytes("c");
            let _ = r.count("d");
            let _ = r.uuid("e");
            let _ = r.i64("f");
            let _ = r.end();
        }
    }
}
