//! Request shapes: a small description of every request body this broker
//! serves, and a walker that checks a frame against it before the body is
//! handed to `kafka-protocol`.
//!
//! Why by hand: `kafka-protocol` 0.18 pre-allocates each array from the
//! element count the client claims (`Vec::with_capacity(n)`), and a few
//! string and bytes decoders zero-fill the claimed length, so a 14-byte frame
//! can ask for gigabytes and abort the process. No released crate bounds
//! this, so the walker reads every length in the body first and refuses the
//! frame when one claims more than the bytes left in it. After a body passes,
//! every array count is at most the bytes left divided by its element's
//! smallest encoding (at least one byte), and every string, bytes and tagged
//! field fits in the frame. Since a decoded element can take some 30 times
//! its smallest encoding (a one-byte empty string becomes a 32-byte
//! `StrBytes`), the walker also adds up what the decoded arrays and
//! tagged-field maps will take and refuses a body over a budget (the
//! broker passes its request-size limit).
//!
//! The descriptions follow Kafka's message specifications: fields with the
//! versions they exist in, the versions a field may be null in (used by the
//! tests' generator; the walker accepts a null marker anywhere, since it
//! allocates nothing and the decoder refuses it where it is not allowed),
//! and the versions an API uses the flexible encoding (compact lengths and a
//! tagged-field section at the end of every struct).

mod apis;
mod groups;
mod walk;

#[cfg(test)]
mod generate;
#[cfg(test)]
mod tests;

use kafka_protocol::messages::ApiKey;

pub(crate) use walk::Rejected;

/// An inclusive range of versions.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct V(pub i16, pub i16);

impl V {
    /// Every version.
    pub const ALL: V = V(0, i16::MAX);
    /// No version.
    pub const NONE: V = V(1, 0);

    /// From `min` on.
    pub const fn from(min: i16) -> V {
        V(min, i16::MAX)
    }

    /// Whether `version` is in the range.
    pub const fn has(self, version: i16) -> bool {
        self.0 <= version && version <= self.1
    }
}

/// How a value is encoded.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Ty {
    /// One byte.
    Int8,
    /// Two bytes, big-endian.
    Int16,
    /// Two bytes, big-endian, unsigned.
    #[allow(dead_code, reason = "Kafka type no served request uses yet")]
    UInt16,
    /// Four bytes, big-endian.
    Int32,
    /// Eight bytes, big-endian.
    Int64,
    /// An IEEE 754 double, eight bytes.
    #[allow(dead_code, reason = "Kafka type no served request uses yet")]
    Float64,
    /// One byte, 0 or 1.
    Bool,
    /// Sixteen bytes.
    Uuid,
    /// UTF-8 text: an int16 length (-1 = null), or in flexible versions an
    /// unsigned varint of length + 1 (0 = null).
    Str,
    /// A string whose length is an int16 even in flexible versions (the
    /// request header's client id).
    Int16Str,
    /// Opaque bytes: an int32 length (-1 = null), or in flexible versions an
    /// unsigned varint of length + 1.
    Bytes,
    /// A record set: encoded as [`Ty::Bytes`], not looked into.
    Records,
    /// An array: an int32 count (-1 = null), or in flexible versions an
    /// unsigned varint of count + 1; then the elements.
    Array(&'static Ty),
    /// The fields in order; in flexible versions followed by a tagged-field
    /// section.
    Struct(&'static [Field]),
}

/// One field of a struct.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Field {
    /// Its name in Kafka's specification (for error messages).
    pub name: &'static str,
    /// How it is encoded.
    pub ty: Ty,
    /// The versions it is present in.
    pub versions: V,
    /// The versions it may be null in (read by the tests' generator only:
    /// the walker accepts a null marker anywhere).
    #[cfg_attr(not(test), allow(dead_code))]
    pub nullable: V,
    /// For a tagged field, its tag: it is then carried in the tagged-field
    /// section of flexible versions instead of in line.
    pub tag: Option<u32>,
}

/// A field present in `versions`, not nullable, not tagged.
pub(crate) const fn f(name: &'static str, ty: Ty, versions: V) -> Field {
    Field {
        name,
        ty,
        versions,
        nullable: V::NONE,
        tag: None,
    }
}

impl Field {
    /// The same field, nullable in `versions`.
    pub const fn null(self, versions: V) -> Field {
        Field {
            nullable: versions,
            ..self
        }
    }

    /// The same field, carried as tagged field `tag`.
    pub const fn tagged(self, tag: u32) -> Field {
        Field {
            tag: Some(tag),
            ..self
        }
    }
}

/// The body of one API's requests.
#[derive(Debug)]
pub(crate) struct Api {
    /// The API.
    pub key: ApiKey,
    /// The versions described (exactly those the broker serves and
    /// `kafka-protocol` decodes).
    pub versions: V,
    /// The versions using the flexible encoding.
    pub flexible: V,
    /// The body's fields.
    pub body: &'static [Field],
}

/// The description of `key` at `version`, if the broker serves that pair.
pub(crate) fn describe(key: ApiKey, version: i16) -> Option<&'static Api> {
    apis::ALL_APIS
        .iter()
        .flat_map(|family| family.iter())
        .find(|api| api.key == key && api.versions.has(version))
}

/// Whether the broker serves (and so decodes) `version` of `key`.
pub(crate) fn is_described(key: ApiKey, version: i16) -> bool {
    describe(key, version).is_some()
}

/// Checks a request body (the bytes after the header) against the
/// description of `key` at `version`: every length must fit in the bytes
/// left, and the arrays and tagged-field maps the decoder will build must
/// take at most about `budget` bytes. Bytes after the body are allowed, as
/// Kafka allows them.
pub(crate) fn check_body(
    key: ApiKey,
    version: i16,
    body: &[u8],
    budget: usize,
) -> Result<(), Rejected> {
    let Some(api) = describe(key, version) else {
        return Err(Rejected::new(format!(
            "{key:?} v{version} is not described"
        )));
    };
    walk::walk(body, api.mode(version, budget), api.body).map(|_| ())
}

/// Checks a request header of `header_version` (1 or 2), with `budget` for
/// its map of tagged fields, and returns its length.
pub(crate) fn check_header(
    frame: &[u8],
    header_version: i16,
    budget: usize,
) -> Result<usize, Rejected> {
    let mode = walk::Mode {
        version: header_version,
        flexible: header_version >= 2,
        tagged_maps: true,
        budget,
    };
    walk::walk(frame, mode, apis::HEADER)
}

impl Api {
    /// How to walk this API's `version` with `budget`.
    fn mode(&self, version: i16, budget: usize) -> walk::Mode {
        walk::Mode {
            version,
            flexible: self.flexible.has(version),
            tagged_maps: self.flexible != V::NONE,
            budget,
        }
    }
}
