//! Batch payload compression for the codecs Kafka producers use.
//!
//! Only compaction and the keyless-record check on compacted topics inflate
//! batches; everything else stores and serves the bytes as sent.
//!
//! Every decoder is bounded by [`MAX_DECOMPRESSED`] so a small hostile batch
//! cannot make the log allocate without limit.

use std::io::{Read, Write};

use crate::batch::Compression;
use crate::error::BatchError;

/// Largest records section herald inflates from one batch.
pub const MAX_DECOMPRESSED: usize = 128 * 1024 * 1024;

/// The Java "xerial" snappy stream magic (librdkafka reads both this and raw
/// snappy; Java producers write this one).
const XERIAL_MAGIC: [u8; 8] = [0x82, b'S', b'N', b'A', b'P', b'P', b'Y', 0];
const XERIAL_HEADER_LEN: usize = 16;

fn codec_error(codec: Compression, detail: impl std::fmt::Display) -> BatchError {
    BatchError::Compression {
        codec,
        detail: detail.to_string(),
    }
}

fn read_bounded(codec: Compression, reader: impl Read) -> Result<Vec<u8>, BatchError> {
    let mut out = Vec::new();
    reader
        .take(MAX_DECOMPRESSED as u64 + 1)
        .read_to_end(&mut out)
        .map_err(|e| codec_error(codec, e))?;
    if out.len() > MAX_DECOMPRESSED {
        return Err(codec_error(
            codec,
            format!("inflates beyond {MAX_DECOMPRESSED} bytes"),
        ));
    }
    Ok(out)
}

/// Inflates a batch's records section.
pub fn decompress(codec: Compression, data: &[u8]) -> Result<Vec<u8>, BatchError> {
    match codec {
        Compression::None => Ok(data.to_vec()),
        Compression::Gzip => read_bounded(codec, flate2::read::MultiGzDecoder::new(data)),
        Compression::Snappy => decompress_snappy(data),
        Compression::Lz4 => read_bounded(codec, lz4_flex::frame::FrameDecoder::new(data)),
        Compression::Zstd => {
            let decoder =
                zstd::stream::read::Decoder::new(data).map_err(|e| codec_error(codec, e))?;
            read_bounded(codec, decoder)
        }
    }
}

fn snappy_raw(block: &[u8], budget: usize) -> Result<Vec<u8>, BatchError> {
    let codec = Compression::Snappy;
    let len = snap::raw::decompress_len(block).map_err(|e| codec_error(codec, e))?;
    if len > budget {
        return Err(codec_error(
            codec,
            format!("inflates beyond {MAX_DECOMPRESSED} bytes"),
        ));
    }
    snap::raw::Decoder::new()
        .decompress_vec(block)
        .map_err(|e| codec_error(codec, e))
}

// The xerial framing is a 16-byte header then `[u32 BE length][raw block]`
// repeated. No maintained crate parses it (the `snap` crate's frame format is
// the official Snappy framing, which differs), so it is done by hand here.
fn decompress_snappy(data: &[u8]) -> Result<Vec<u8>, BatchError> {
    let codec = Compression::Snappy;
    if data.len() < XERIAL_HEADER_LEN || data[..8] != XERIAL_MAGIC {
        return snappy_raw(data, MAX_DECOMPRESSED);
    }
    let mut out = Vec::new();
    let mut rest = &data[XERIAL_HEADER_LEN..];
    while !rest.is_empty() {
        if rest.len() < 4 {
            return Err(codec_error(codec, "truncated xerial block length"));
        }
        let len = u32::from_be_bytes([rest[0], rest[1], rest[2], rest[3]]) as usize;
        rest = &rest[4..];
        if len > rest.len() {
            return Err(codec_error(codec, "truncated xerial block"));
        }
        let block = snappy_raw(&rest[..len], MAX_DECOMPRESSED - out.len())?;
        out.extend_from_slice(&block);
        rest = &rest[len..];
    }
    Ok(out)
}

/// Compresses a records section with `codec` (snappy is written raw, as
/// librdkafka does).
pub fn compress(codec: Compression, data: &[u8]) -> Result<Vec<u8>, BatchError> {
    match codec {
        Compression::None => Ok(data.to_vec()),
        Compression::Gzip => {
            let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
            enc.write_all(data).map_err(|e| codec_error(codec, e))?;
            enc.finish().map_err(|e| codec_error(codec, e))
        }
        Compression::Snappy => snap::raw::Encoder::new()
            .compress_vec(data)
            .map_err(|e| codec_error(codec, e)),
        Compression::Lz4 => {
            let mut enc = lz4_flex::frame::FrameEncoder::new(Vec::new());
            enc.write_all(data).map_err(|e| codec_error(codec, e))?;
            enc.finish().map_err(|e| codec_error(codec, e))
        }
        Compression::Zstd => zstd::bulk::compress(data, 3).map_err(|e| codec_error(codec, e)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const ALL: [Compression; 5] = [
        Compression::None,
        Compression::Gzip,
        Compression::Snappy,
        Compression::Lz4,
        Compression::Zstd,
    ];

    #[test]
    fn every_codec_round_trips() {
        let data: Vec<u8> = (0..10_000u32)
            .flat_map(|i| (i % 97).to_be_bytes())
            .collect();
        for codec in ALL {
            let packed = compress(codec, &data).unwrap();
            assert_eq!(decompress(codec, &packed).unwrap(), data, "{codec:?}");
        }
    }

    #[test]
    fn xerial_framed_snappy_is_read() {
        let a = b"hello hello hello hello".to_vec();
        let b = b"world world world".to_vec();
        let mut framed = XERIAL_MAGIC.to_vec();
        framed.extend_from_slice(&1i32.to_be_bytes());
        framed.extend_from_slice(&1i32.to_be_bytes());
        for part in [&a, &b] {
            let block = snap::raw::Encoder::new().compress_vec(part).unwrap();
            framed.extend_from_slice(&(block.len() as u32).to_be_bytes());
            framed.extend_from_slice(&block);
        }
        let mut expected = a.clone();
        expected.extend_from_slice(&b);
        assert_eq!(decompress(Compression::Snappy, &framed).unwrap(), expected);
        framed.truncate(framed.len() - 2);
        assert!(decompress(Compression::Snappy, &framed).is_err());
    }

    #[test]
    fn a_snappy_block_claiming_more_than_the_limit_is_refused_before_allocating() {
        // A raw block whose length varint claims 4 GiB - 1: reserving it
        // would abort the broker.
        let claim = [0xff, 0xff, 0xff, 0xff, 0x0f, 0x00];
        let err = decompress(Compression::Snappy, &claim).unwrap_err();
        assert!(err.to_string().contains("inflates beyond"), "{err}");
        let mut framed = XERIAL_MAGIC.to_vec();
        framed.extend_from_slice(&[0, 0, 0, 1, 0, 0, 0, 1]);
        framed.extend_from_slice(&(claim.len() as u32).to_be_bytes());
        framed.extend_from_slice(&claim);
        let err = decompress(Compression::Snappy, &framed).unwrap_err();
        assert!(err.to_string().contains("inflates beyond"), "{err}");
    }

    #[test]
    fn garbage_is_an_error_not_a_panic() {
        for codec in ALL[1..].iter().copied() {
            assert!(
                decompress(codec, &[0xde, 0xad, 0xbe, 0xef, 1, 2, 3]).is_err(),
                "{codec:?}"
            );
        }
    }
}
