//! Decompressing one record batch under a hard limit on what it inflates
//! to. The broker's bytes are not trusted: a batch of a few kilobytes can
//! claim or expand to gigabytes, and kafka-protocol's own decompressors
//! read to the end (snappy even allocates the length a block claims up
//! front). Here every codec stops at `limit` bytes and says so, and memory
//! grows only with bytes actually produced, never past `limit`.

use std::io::{ErrorKind, Read};

use kafka_protocol::records::Compression;

/// The default of `ShareConsumerBuilder::max_batch_inflated`: far above the ~1 MiB batches
/// Kafka producers write, far below what would hurt a consumer.
pub(crate) const DEFAULT_MAX_INFLATED: usize = 64 << 20;

/// The snappy-java ("xerial") stream magic that Java producers write;
/// librdkafka writes raw snappy. Kafka consumers read both.
const XERIAL_MAGIC: [u8; 8] = [0x82, b'S', b'N', b'A', b'P', b'P', b'Y', 0];
/// The magic, then a version and a compatible version (4 bytes each).
const XERIAL_HEADER: usize = 16;
/// How much is read from a stream decoder at a time.
const CHUNK: usize = 32 * 1024;

/// Why a batch could not be inflated.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum InflateError {
    /// It inflates (or claims to) to more than the limit.
    TooLarge,
    /// The bytes are not valid for the codec.
    Corrupt(String),
}

/// The records section `data` compressed with `codec`, inflated; at most
/// `limit` bytes, or [`InflateError::TooLarge`] as soon as more appear.
pub(crate) fn inflate(
    codec: Compression,
    data: &[u8],
    limit: usize,
) -> Result<Vec<u8>, InflateError> {
    match codec {
        Compression::None if data.len() > limit => Err(InflateError::TooLarge),
        Compression::None => Ok(data.to_vec()),
        // Multi-member, as Java's GZIPInputStream reads it.
        Compression::Gzip => read_bounded(flate2::read::MultiGzDecoder::new(data), limit),
        Compression::Snappy => snappy(data, limit),
        Compression::Lz4 => read_bounded(lz4_flex::frame::FrameDecoder::new(data), limit),
        // libzstd refuses frames whose window exceeds 128 MiB by default;
        // that limit stays (Java producers at level 22 use such windows),
        // and the window is only written, so resident, as far as the output
        // goes, which `read_bounded` stops at `limit`.
        Compression::Zstd => match zstd::stream::read::Decoder::with_buffer(data) {
            Ok(decoder) => read_bounded(decoder, limit),
            Err(e) => Err(corrupt(e)),
        },
    }
}

fn corrupt(e: impl std::fmt::Display) -> InflateError {
    InflateError::Corrupt(e.to_string())
}

/// Reserves room for `more` bytes, doubling as `Vec` does but never past
/// `limit` (`out.len() + more <= limit` is the caller's check), so a batch
/// just under the limit costs the limit, not twice it.
fn grow(out: &mut Vec<u8>, more: usize, limit: usize) {
    let need = out.len() + more;
    if need > out.capacity() {
        let target = out.len().saturating_mul(2).max(need).min(limit);
        out.reserve_exact(target - out.len());
    }
}

/// Everything `reader` yields, stopping with TooLarge at the first byte
/// past `limit`.
fn read_bounded(mut reader: impl Read, limit: usize) -> Result<Vec<u8>, InflateError> {
    let mut out = Vec::new();
    let mut chunk = vec![0u8; CHUNK];
    loop {
        let n = match reader.read(&mut chunk) {
            Ok(0) => return Ok(out),
            Ok(n) => n,
            Err(e) if e.kind() == ErrorKind::Interrupted => continue,
            Err(e) => return Err(corrupt(e)),
        };
        if n > limit - out.len() {
            return Err(InflateError::TooLarge);
        }
        grow(&mut out, n, limit);
        out.extend_from_slice(&chunk[..n]);
    }
}

/// Raw snappy, or the xerial framing of raw blocks. The xerial framing is
/// parsed by hand: the `snap` crate only knows Snappy's official framing,
/// which is a different format, and no maintained crate reads xerial's.
fn snappy(data: &[u8], limit: usize) -> Result<Vec<u8>, InflateError> {
    let mut out = Vec::new();
    if data.len() < XERIAL_HEADER || data[..XERIAL_MAGIC.len()] != XERIAL_MAGIC {
        snappy_block(data, &mut out, limit)?;
        return Ok(out);
    }
    let mut rest = &data[XERIAL_HEADER..];
    while !rest.is_empty() {
        let (len, after) = rest
            .split_first_chunk::<4>()
            .ok_or_else(|| corrupt("a snappy block length cut short"))?;
        let len = u32::from_be_bytes(*len) as usize;
        let block = after
            .get(..len)
            .ok_or_else(|| corrupt("a snappy block cut short"))?;
        snappy_block(block, &mut out, limit)?;
        rest = &after[len..];
    }
    Ok(out)
}

/// Appends one raw snappy block to `out`, checking the length the block
/// claims before making room for it.
fn snappy_block(block: &[u8], out: &mut Vec<u8>, limit: usize) -> Result<(), InflateError> {
    let len = snap::raw::decompress_len(block).map_err(corrupt)?;
    if len > limit - out.len() {
        return Err(InflateError::TooLarge);
    }
    let start = out.len();
    grow(out, len, limit);
    out.resize(start + len, 0);
    let written = snap::raw::Decoder::new()
        .decompress(block, &mut out[start..])
        .map_err(corrupt)?;
    out.truncate(start + written);
    Ok(())
}

#[cfg(test)]
mod tests {
    use std::io::Write;

    use super::*;

    const ALL: [Compression; 5] = [
        Compression::None,
        Compression::Gzip,
        Compression::Snappy,
        Compression::Lz4,
        Compression::Zstd,
    ];

    fn gzip(data: &[u8]) -> Vec<u8> {
        let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        e.write_all(data).unwrap();
        e.finish().unwrap()
    }

    fn lz4(data: &[u8]) -> Vec<u8> {
        let mut e = lz4_flex::frame::FrameEncoder::new(Vec::new());
        e.write_all(data).unwrap();
        e.finish().unwrap()
    }

    fn xerial(blocks: &[&[u8]]) -> Vec<u8> {
        let mut out = XERIAL_MAGIC.to_vec();
        out.extend_from_slice(&[0, 0, 0, 1, 0, 0, 0, 1]);
        for b in blocks {
            let block = snap::raw::Encoder::new().compress_vec(b).unwrap();
            out.extend_from_slice(&(block.len() as u32).to_be_bytes());
            out.extend_from_slice(&block);
        }
        out
    }

    fn compress(codec: Compression, data: &[u8]) -> Vec<u8> {
        match codec {
            Compression::None => data.to_vec(),
            Compression::Gzip => gzip(data),
            Compression::Snappy => snap::raw::Encoder::new().compress_vec(data).unwrap(),
            Compression::Lz4 => lz4(data),
            Compression::Zstd => zstd::bulk::compress(data, 1).unwrap(),
        }
    }

    #[test]
    fn every_codec_inflates_up_to_exactly_the_limit() {
        let data: Vec<u8> = (0..50_000u32)
            .flat_map(|i| (i % 251).to_le_bytes())
            .collect();
        for codec in ALL {
            let packed = compress(codec, &data);
            assert_eq!(
                inflate(codec, &packed, data.len()).unwrap(),
                data,
                "{codec:?}"
            );
            assert_eq!(
                inflate(codec, &packed, data.len() - 1),
                Err(InflateError::TooLarge),
                "{codec:?}"
            );
        }
        let framed = xerial(&[&data[..70_000], &data[70_000..]]);
        assert_eq!(
            inflate(Compression::Snappy, &framed, data.len()).unwrap(),
            data
        );
        assert_eq!(
            inflate(Compression::Snappy, &framed, data.len() - 1),
            Err(InflateError::TooLarge)
        );
    }

    #[test]
    fn a_snappy_block_claiming_four_gib_is_refused_before_allocating() {
        // The length varint of a raw snappy block says 4 GiB - 1 follow;
        // a decompressor that trusts it reserves that much and aborts.
        let claim = [0xff, 0xff, 0xff, 0xff, 0x0f, 0x00];
        assert_eq!(
            inflate(Compression::Snappy, &claim, DEFAULT_MAX_INFLATED),
            Err(InflateError::TooLarge)
        );
        let mut framed = xerial(&[]);
        framed.extend_from_slice(&(claim.len() as u32).to_be_bytes());
        framed.extend_from_slice(&claim);
        assert_eq!(
            inflate(Compression::Snappy, &framed, DEFAULT_MAX_INFLATED),
            Err(InflateError::TooLarge)
        );
    }

    #[test]
    fn garbage_and_truncation_are_errors_not_panics() {
        for codec in &ALL[1..] {
            // (For raw snappy: 3 bytes follow, then a copy from before the start.)
            let got = inflate(*codec, &[0x03, 0xde, 0xad, 0xbe, 0xef], 1 << 20);
            assert!(
                matches!(got, Err(InflateError::Corrupt(_))),
                "{codec:?}: {got:?}"
            );
        }
        let framed = xerial(&[b"hello hello hello"]);
        let got = inflate(Compression::Snappy, &framed[..framed.len() - 2], 1 << 20);
        assert_eq!(
            got,
            Err(InflateError::Corrupt("a snappy block cut short".into()))
        );
    }

    proptest::proptest! {
        #[test]
        fn never_exceeds_the_limit_nor_panics(data: Vec<u8>, codec in 0usize..5, limit in 0usize..4096) {
            if let Ok(out) = inflate(ALL[codec], &data, limit) {
                proptest::prop_assert!(out.len() <= limit);
            }
        }
    }
}
