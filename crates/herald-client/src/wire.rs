//! The Confluent wire format: how a record says which schema wrote it.
//!
//! Two framings exist and Herald reads both:
//! - the payload prefix (the default everywhere): magic byte `0`, then the
//!   4-byte big-endian schema id, then the encoded datum; a magic byte `1`
//!   followed by a 16-byte schema GUID is accepted in the prefix too;
//! - the header form (Confluent Platform 8.0): the schema reference lives in
//!   the record header `__value_schema_id` (or `__key_schema_id`) as magic
//!   `1` + GUID, and the payload carries no prefix at all.
//!
//! The codec is pure: no I/O, no allocation from an untrusted length, and
//! every malformed input is a [`WireError`], never a panic.

use uuid::Uuid;

use crate::subject::Side;

/// The magic byte of the id framing: `0` + 4-byte big-endian id.
pub const MAGIC_ID: u8 = 0;
/// The magic byte of the GUID framing: `1` + 16-byte GUID.
pub const MAGIC_GUID: u8 = 1;
/// The header that carries the key's schema GUID in header mode.
pub const KEY_SCHEMA_ID_HEADER: &str = "__key_schema_id";
/// The header that carries the value's schema GUID in header mode.
pub const VALUE_SCHEMA_ID_HEADER: &str = "__value_schema_id";

/// The header name for one side of a record.
pub fn schema_id_header(side: Side) -> &'static str {
    match side {
        Side::Key => KEY_SCHEMA_ID_HEADER,
        Side::Value => VALUE_SCHEMA_ID_HEADER,
    }
}

/// Which registered schema wrote a payload.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SchemaRef {
    /// A registry id (magic `0`).
    Id(u32),
    /// A schema GUID (magic `1`), resolved with `GET /schemas/guids/{guid}`.
    Guid(Uuid),
}

impl SchemaRef {
    /// The framed bytes: magic byte, then the id or GUID.
    pub fn to_bytes(self) -> Vec<u8> {
        let mut out = Vec::with_capacity(17);
        self.write_to(&mut out);
        out
    }

    /// Appends the framed bytes to `out`.
    pub fn write_to(self, out: &mut Vec<u8>) {
        match self {
            SchemaRef::Id(id) => {
                out.push(MAGIC_ID);
                out.extend_from_slice(&id.to_be_bytes());
            }
            SchemaRef::Guid(guid) => {
                out.push(MAGIC_GUID);
                out.extend_from_slice(guid.as_bytes());
            }
        }
    }

    /// Reads a schema reference at the start of `bytes`; returns it and the
    /// rest of the bytes (the datum).
    pub fn split(bytes: &[u8]) -> Result<(SchemaRef, &[u8]), WireError> {
        let Some((&magic, rest)) = bytes.split_first() else {
            return Err(WireError::Empty);
        };
        match magic {
            MAGIC_ID => {
                let Some((id, datum)) = rest.split_first_chunk::<4>() else {
                    return Err(WireError::Truncated {
                        magic,
                        needed: 5,
                        len: bytes.len(),
                    });
                };
                Ok((SchemaRef::Id(u32::from_be_bytes(*id)), datum))
            }
            MAGIC_GUID => {
                let Some((guid, datum)) = rest.split_first_chunk::<16>() else {
                    return Err(WireError::Truncated {
                        magic,
                        needed: 17,
                        len: bytes.len(),
                    });
                };
                Ok((SchemaRef::Guid(Uuid::from_bytes(*guid)), datum))
            }
            other => Err(WireError::UnknownMagic(other)),
        }
    }

    /// Reads a header value: exactly one framed reference, nothing after it.
    pub fn from_header(bytes: &[u8]) -> Result<SchemaRef, WireError> {
        let (reference, rest) = SchemaRef::split(bytes)?;
        if rest.is_empty() {
            Ok(reference)
        } else {
            Err(WireError::TrailingHeaderBytes { len: bytes.len() })
        }
    }
}

impl std::fmt::Display for SchemaRef {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            SchemaRef::Id(id) => write!(f, "id {id}"),
            SchemaRef::Guid(guid) => write!(f, "guid {guid}"),
        }
    }
}

/// Frames `datum` in the prefix form: magic `0`, the id, then the datum.
pub fn frame_with_id(id: u32, datum: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(5 + datum.len());
    SchemaRef::Id(id).write_to(&mut out);
    out.extend_from_slice(datum);
    out
}

/// Finds the schema reference of one side of a record, dual-read as
/// Confluent's `DualSchemaIdDeserializer` does: the side's header first
/// (then the payload is the bare datum), else the payload prefix.
/// `header` is the value of the side's schema-id header, if present.
pub fn locate<'a>(
    header: Option<&[u8]>,
    payload: &'a [u8],
) -> Result<(SchemaRef, &'a [u8]), WireError> {
    if let Some(header) = header
        && let Ok(reference) = SchemaRef::from_header(header)
    {
        return Ok((reference, payload));
    }
    SchemaRef::split(payload)
}

/// Why bytes are not a framed schema reference.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum WireError {
    /// No bytes at all.
    #[error("empty payload: not produced with a schema-registry serializer")]
    Empty,
    /// The first byte is neither `0` nor `1`.
    #[error("unknown magic byte {0}: not produced with a schema-registry serializer")]
    UnknownMagic(u8),
    /// Too short for the framing its magic byte announces.
    #[error("magic byte {magic} needs at least {needed} bytes, the payload has {len}")]
    Truncated {
        /// The magic byte read.
        magic: u8,
        /// How many bytes that framing needs.
        needed: usize,
        /// How many there are.
        len: usize,
    },
    /// A schema-id header holds more than one reference.
    #[error("schema-id header of {len} bytes has bytes after the reference")]
    TrailingHeaderBytes {
        /// The header's length.
        len: usize,
    },
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn id_prefix_is_magic_zero_and_big_endian() {
        assert_eq!(frame_with_id(0x0102_0304, b"x"), [0, 1, 2, 3, 4, b'x']);
        let (r, rest) = SchemaRef::split(&[0, 0, 0, 1, 0, 7, 8]).unwrap();
        assert_eq!((r, rest), (SchemaRef::Id(256), &[7u8, 8][..]));
    }

    #[test]
    fn malformed_input_is_an_error() {
        assert_eq!(SchemaRef::split(&[]), Err(WireError::Empty));
        assert_eq!(SchemaRef::split(&[2, 0]), Err(WireError::UnknownMagic(2)));
        assert!(matches!(
            SchemaRef::split(&[0, 0, 0]),
            Err(WireError::Truncated {
                needed: 5,
                len: 3,
                ..
            })
        ));
        assert!(matches!(
            SchemaRef::split(&[1; 10]),
            Err(WireError::Truncated { needed: 17, .. })
        ));
        assert_eq!(
            SchemaRef::from_header(&[0, 0, 0, 0, 1, 9]),
            Err(WireError::TrailingHeaderBytes { len: 6 })
        );
    }

    #[test]
    fn header_wins_over_prefix_and_a_bad_header_falls_back() {
        let guid = Uuid::from_u128(42);
        let header = SchemaRef::Guid(guid).to_bytes();
        let (r, datum) = locate(Some(&header), b"\x02raw").unwrap();
        assert_eq!((r, datum), (SchemaRef::Guid(guid), &b"\x02raw"[..]));
        let framed = frame_with_id(7, b"d");
        let (r, datum) = locate(Some(b"junk"), &framed).unwrap();
        assert_eq!((r, datum), (SchemaRef::Id(7), &b"d"[..]));
        let (r, _) = locate(None, &framed).unwrap();
        assert_eq!(r, SchemaRef::Id(7));
    }

    fn any_ref() -> impl Strategy<Value = SchemaRef> {
        prop_oneof![
            any::<u32>().prop_map(SchemaRef::Id),
            any::<u128>().prop_map(|g| SchemaRef::Guid(Uuid::from_u128(g))),
        ]
    }

    proptest! {
        #[test]
        fn frame_then_split_round_trips(r in any_ref(), datum in proptest::collection::vec(any::<u8>(), 0..64)) {
            let mut framed = r.to_bytes();
            framed.extend_from_slice(&datum);
            let (back, rest) = SchemaRef::split(&framed).unwrap();
            prop_assert_eq!(back, r);
            prop_assert_eq!(rest, &datum[..]);
            prop_assert_eq!(SchemaRef::from_header(&r.to_bytes()).unwrap(), r);
        }

        #[test]
        fn split_never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..40)) {
            let _ = SchemaRef::split(&bytes);
            let _ = SchemaRef::from_header(&bytes);
            let _ = locate(Some(&bytes), &bytes);
        }
    }
}
