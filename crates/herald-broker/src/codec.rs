//! Turning frames into typed requests and typed responses into frames.
//!
//! The message codecs are the `kafka-protocol` crate's; this module only
//! picks the header versions and handles the cases the generated code cannot:
//! API keys it does not know, versions newer than it can decode, and bodies
//! whose lengths claim more than the frame holds.
//!
//! A body is decoded only for an (API, version) pair the broker serves, and
//! only after the broker's own description of that request (`shape`) was
//! walked over it and found every array count, string and bytes length and
//! tagged-field size within the bytes left, and what the decoder will build
//! within a budget: the `kafka-protocol` decoders pre-allocate from those
//! lengths, so a short frame could otherwise ask for gigabytes.

use bytes::{Buf, Bytes, BytesMut};
use kafka_protocol::messages::{ApiKey, RequestHeader, RequestKind, ResponseHeader, ResponseKind};
use kafka_protocol::protocol::{Decodable, Encodable};

/// Why a frame is not a request we can answer.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum CodecError {
    /// The frame is too short to hold a request header.
    #[error("frame of {0} bytes is too short for a request header")]
    ShortFrame(usize),
    /// The API key is not one Kafka defines.
    #[error("unknown API key {api_key} (correlation id {correlation_id})")]
    UnknownApiKey {
        /// The key sent.
        api_key: i16,
        /// The request's correlation id.
        correlation_id: i32,
    },
    /// The header or body does not decode at the version it claims.
    #[error("malformed {api_key:?} v{version} request: {reason}")]
    Malformed {
        /// The request's API.
        api_key: ApiKey,
        /// The version it claims.
        version: i16,
        /// What the decoder reported.
        reason: String,
    },
    /// A response could not be encoded (a bug: we built something the version cannot carry).
    #[error("cannot encode {api_key:?} v{version} response: {reason}")]
    Encode {
        /// The response's API.
        api_key: ApiKey,
        /// The version asked for.
        version: i16,
        /// What the encoder reported.
        reason: String,
    },
}

/// A decoded request.
#[derive(Debug)]
pub struct Request {
    /// Its API.
    pub api_key: ApiKey,
    /// Its header (version, correlation id, client id).
    pub header: RequestHeader,
    /// Its body.
    pub body: RequestKind,
}

/// What a frame turned out to be.
#[derive(Debug)]
pub enum Decoded {
    /// A request we can decode (boxed: request bodies are large).
    Request(Box<Request>),
    /// An ApiVersions request of a version newer than we know: KIP-511 says to
    /// answer it with a v0 response carrying UNSUPPORTED_VERSION and our ranges.
    NewerApiVersions {
        /// The request's correlation id.
        correlation_id: i32,
        /// The version it asked for.
        version: i16,
    },
    /// A request for an API or version this broker does not serve: only its
    /// header was decoded, never its body, so that an API nobody here needs
    /// cannot be used to reach a decoder.
    NotServed {
        /// Its API.
        api_key: ApiKey,
        /// Its header (version, correlation id, client id).
        header: RequestHeader,
    },
}

/// Decodes one request frame. The arrays and maps decoded from it take at
/// most about `max_decoded` bytes (the broker passes its request-size
/// limit); a frame that would need more is [`CodecError::Malformed`].
pub fn decode_request(frame: Bytes, max_decoded: usize) -> Result<Decoded, CodecError> {
    if frame.len() < 8 {
        return Err(CodecError::ShortFrame(frame.len()));
    }
    // Every header version starts with key, version and correlation id.
    let mut fixed = &frame[..8];
    let raw_key = fixed.get_i16();
    let version = fixed.get_i16();
    let correlation_id = fixed.get_i32();
    let api_key = ApiKey::try_from(raw_key).map_err(|_| CodecError::UnknownApiKey {
        api_key: raw_key,
        correlation_id,
    })?;
    let request_max = api_key.valid_versions().max;
    if api_key == ApiKey::ApiVersions && version > request_max {
        return Ok(Decoded::NewerApiVersions {
            correlation_id,
            version,
        });
    }
    let malformed = |reason: String| CodecError::Malformed {
        api_key,
        version,
        reason,
    };
    let header_version = api_key.request_header_version(version);
    crate::shape::check_header(&frame, header_version, max_decoded)
        .map_err(|e| malformed(e.to_string()))?;
    let mut buf = frame;
    let header =
        RequestHeader::decode(&mut buf, header_version).map_err(|e| malformed(e.to_string()))?;
    if !crate::shape::is_described(api_key, version) {
        return Ok(Decoded::NotServed { api_key, header });
    }
    crate::shape::check_body(api_key, version, &buf, max_decoded)
        .map_err(|e| malformed(e.to_string()))?;
    let body =
        RequestKind::decode(api_key, &mut buf, version).map_err(|e| malformed(e.to_string()))?;
    // Bytes after the body are ignored, as Kafka does: librdkafka's
    // all-topics Metadata v9+ leaves three bytes of a 4-byte array-count
    // placeholder behind, and `kcat -L` depends on it being accepted.
    if buf.has_remaining() {
        tracing::trace!(
            ?api_key,
            version,
            left = buf.remaining(),
            "ignoring bytes after the request body"
        );
    }
    Ok(Decoded::Request(Box::new(Request {
        api_key,
        header,
        body,
    })))
}

/// Encodes a response to a request of `api_key` at `version` as a frame body
/// (without the length prefix), with the header version that API and version use.
pub fn encode_response(
    api_key: ApiKey,
    version: i16,
    correlation_id: i32,
    body: &ResponseKind,
) -> Result<Bytes, CodecError> {
    let encode_err = |e: String| CodecError::Encode {
        api_key,
        version,
        reason: e,
    };
    let header = ResponseHeader::default().with_correlation_id(correlation_id);
    let mut buf = BytesMut::new();
    header
        .encode(&mut buf, body.header_version(version))
        .map_err(|e| encode_err(e.to_string()))?;
    body.encode(&mut buf, version)
        .map_err(|e| encode_err(e.to_string()))?;
    Ok(buf.freeze())
}

#[cfg(test)]
mod tests {
    use super::*;
    use kafka_protocol::messages::{ApiVersionsRequest, MetadataRequest};
    use kafka_protocol::protocol::{StrBytes, encode_request_header_into_buffer};

    const MAX_DECODED: usize = 100 << 20;

    fn frame(key: ApiKey, version: i16, body: &impl Encodable) -> Bytes {
        let mut buf = BytesMut::new();
        let header = RequestHeader::default()
            .with_request_api_key(key as i16)
            .with_request_api_version(version)
            .with_correlation_id(7)
            .with_client_id(Some(StrBytes::from_static_str("test")));
        encode_request_header_into_buffer(&mut buf, &header).unwrap();
        body.encode(&mut buf, version).unwrap();
        buf.freeze()
    }

    #[test]
    fn decodes_flexible_and_non_flexible_requests() {
        for version in [0, 1, 4, 9, 12] {
            let f = frame(ApiKey::Metadata, version, &MetadataRequest::default());
            let Decoded::Request(r) = decode_request(f, MAX_DECODED).unwrap() else {
                panic!("expected a request");
            };
            assert_eq!(r.api_key, ApiKey::Metadata);
            assert_eq!(r.header.correlation_id, 7);
            assert_eq!(r.header.request_api_version, version);
            assert!(matches!(r.body, RequestKind::Metadata(_)));
        }
    }

    #[test]
    fn newer_api_versions_is_recognised_without_decoding() {
        let mut f =
            BytesMut::from(&frame(ApiKey::ApiVersions, 3, &ApiVersionsRequest::default())[..]);
        f[2..4].copy_from_slice(&99i16.to_be_bytes());
        match decode_request(f.freeze(), MAX_DECODED).unwrap() {
            Decoded::NewerApiVersions {
                correlation_id,
                version,
            } => assert_eq!((correlation_id, version), (7, 99)),
            other => panic!("unexpected {other:?}"),
        }
    }

    #[test]
    fn garbage_is_an_error_not_a_panic() {
        assert!(matches!(
            decode_request(Bytes::from_static(&[0, 3]), MAX_DECODED),
            Err(CodecError::ShortFrame(2))
        ));
        assert!(matches!(
            decode_request(
                Bytes::from_static(&[0x7f, 0, 0, 0, 0, 0, 0, 1]),
                MAX_DECODED
            ),
            Err(CodecError::UnknownApiKey {
                api_key: 0x7f00,
                correlation_id: 1
            })
        ));
        // Metadata v9 (flexible) with a truncated body.
        let f = frame(ApiKey::Metadata, 9, &MetadataRequest::default());
        let cut = f.slice(..f.len() - 1);
        assert!(matches!(
            decode_request(cut, MAX_DECODED),
            Err(CodecError::Malformed { .. })
        ));
        // Trailing bytes after a complete body are ignored, as by Kafka
        // (librdkafka's all-topics Metadata v9+ sends three).
        let mut long = BytesMut::from(&f[..]);
        long.extend_from_slice(&[0, 0, 0]);
        assert!(matches!(
            decode_request(long.freeze(), MAX_DECODED),
            Ok(Decoded::Request(r)) if r.api_key == ApiKey::Metadata
        ));
    }

    /// The frame `fuzz/` found: DescribeClientQuotas v0 claiming an array of
    /// about 10^9 entries in 4 bytes. It used to abort the process.
    const FUZZ_FRAME: [u8; 14] = [0, 0x30, 0, 0, 0, 0, 0, 0, 0, 0, 0x3b, 0xff, 0, 0];

    #[test]
    fn an_api_not_served_is_answered_from_its_header_alone() {
        match decode_request(Bytes::from_static(&FUZZ_FRAME), MAX_DECODED).unwrap() {
            Decoded::NotServed { api_key, header } => {
                assert_eq!(api_key, ApiKey::DescribeClientQuotas);
                assert_eq!(header.request_api_version, 0);
            }
            other => panic!("unexpected {other:?}"),
        }
        // Produce v0–2 is advertised but not decoded.
        let mut f = BytesMut::from(&frame(ApiKey::Metadata, 1, &MetadataRequest::default())[..]);
        f[..4].copy_from_slice(&[0, 0, 0, 2]);
        assert!(matches!(
            decode_request(f.freeze(), MAX_DECODED),
            Ok(Decoded::NotServed {
                api_key: ApiKey::Produce,
                ..
            })
        ));
    }

    #[test]
    fn a_served_request_claiming_more_than_its_frame_is_malformed() {
        // The fuzz frame's body on Metadata v1, which is served.
        let mut f = FUZZ_FRAME;
        f[..4].copy_from_slice(&[0, 3, 0, 1]);
        match decode_request(Bytes::copy_from_slice(&f), MAX_DECODED) {
            Err(CodecError::Malformed {
                api_key: ApiKey::Metadata,
                version: 1,
                reason,
            }) => assert!(
                reason.starts_with("Topics: array of 1006567424 elements"),
                "{reason}"
            ),
            other => panic!("unexpected {other:?}"),
        }
        // A client id longer than the frame, on any API.
        let f = [0, 0x30, 0, 0, 0, 0, 0, 9, 0x40, 0, b'x'];
        assert!(matches!(
            decode_request(Bytes::copy_from_slice(&f), MAX_DECODED),
            Err(CodecError::Malformed {
                api_key: ApiKey::DescribeClientQuotas,
                ..
            })
        ));
    }
}
