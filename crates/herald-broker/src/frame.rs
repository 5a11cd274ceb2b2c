//! Kafka's framing: every request and response is a 4-byte big-endian length
//! followed by that many bytes.
//!
//! Written by hand because it is the one piece the `kafka-protocol` crate does
//! not provide. A peer cannot make us allocate more than the configured
//! maximum: the buffer grows with the bytes that actually arrive.

use bytes::{Bytes, BytesMut};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};

/// Why a frame could not be read.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum FrameError {
    /// The peer announced a frame larger than the limit (Kafka's
    /// `socket.request.max.bytes`).
    #[error("frame of {size} bytes exceeds the limit of {limit} bytes")]
    TooLarge {
        /// The announced size.
        size: u64,
        /// The configured limit.
        limit: usize,
    },
    /// The peer announced a negative size.
    #[error("frame announces a negative size {0}")]
    NegativeSize(i32),
    /// The connection closed in the middle of a frame.
    #[error("connection closed after {read} of {expected} bytes of a frame")]
    Truncated {
        /// Bytes received.
        read: usize,
        /// Bytes announced.
        expected: usize,
    },
    /// Reading or writing the socket failed.
    #[error("socket I/O failed")]
    Io(#[from] std::io::Error),
}

/// How much the read buffer grows at a time, so that a large announced size
/// costs memory only as its bytes arrive.
const GROWTH: usize = 64 * 1024;

/// Reads one frame. Returns `Ok(None)` when the peer closed the connection
/// cleanly between frames.
pub async fn read_frame<R: AsyncRead + Unpin>(
    reader: &mut R,
    limit: usize,
) -> Result<Option<Bytes>, FrameError> {
    let mut len = [0u8; 4];
    let mut got = 0;
    while got < 4 {
        let n = reader.read(&mut len[got..]).await?;
        if n == 0 {
            return if got == 0 {
                Ok(None)
            } else {
                Err(FrameError::Truncated {
                    read: got,
                    expected: 4,
                })
            };
        }
        got += n;
    }
    let size = i32::from_be_bytes(len);
    let size = usize::try_from(size).map_err(|_| FrameError::NegativeSize(size))?;
    if size > limit {
        return Err(FrameError::TooLarge {
            size: size as u64,
            limit,
        });
    }
    let mut buf = BytesMut::with_capacity(size.min(GROWTH));
    while buf.len() < size {
        let want = (size - buf.len()).min(GROWTH);
        buf.reserve(want);
        let n = (&mut *reader).take(want as u64).read_buf(&mut buf).await?;
        if n == 0 {
            return Err(FrameError::Truncated {
                read: buf.len(),
                expected: size,
            });
        }
    }
    Ok(Some(buf.freeze()))
}

/// Writes `body` as one frame (length prefix included) without flushing.
pub async fn write_frame<W: AsyncWrite + Unpin>(
    writer: &mut W,
    body: &[u8],
) -> Result<(), FrameError> {
    let len = i32::try_from(body.len()).map_err(|_| FrameError::TooLarge {
        size: body.len() as u64,
        limit: i32::MAX as usize,
    })?;
    writer.write_all(&len.to_be_bytes()).await?;
    writer.write_all(body).await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn reads_frames_back_to_back_and_clean_eof() {
        let mut wire = Vec::new();
        write_frame(&mut wire, b"hello").await.unwrap();
        write_frame(&mut wire, b"").await.unwrap();
        let mut r = &wire[..];
        assert_eq!(
            read_frame(&mut r, 100).await.unwrap().unwrap(),
            &b"hello"[..]
        );
        assert_eq!(read_frame(&mut r, 100).await.unwrap().unwrap(), &b""[..]);
        assert!(read_frame(&mut r, 100).await.unwrap().is_none());
    }

    #[tokio::test]
    async fn rejects_oversize_negative_and_truncated_frames() {
        let mut r = &[0u8, 0, 1, 0][..];
        assert!(matches!(
            read_frame(&mut r, 255).await,
            Err(FrameError::TooLarge { size: 256, .. })
        ));
        let mut r = &[0xffu8, 0xff, 0xff, 0xff][..];
        assert!(matches!(
            read_frame(&mut r, 255).await,
            Err(FrameError::NegativeSize(-1))
        ));
        let mut r = &[0u8, 0, 0, 5, 1, 2][..];
        assert!(matches!(
            read_frame(&mut r, 255).await,
            Err(FrameError::Truncated {
                read: 2,
                expected: 5
            })
        ));
        let mut r = &[0u8, 0][..];
        assert!(matches!(
            read_frame(&mut r, 255).await,
            Err(FrameError::Truncated {
                read: 2,
                expected: 4
            })
        ));
    }

    #[tokio::test]
    async fn a_huge_announced_size_allocates_only_what_arrives() {
        // 1 GiB announced, 10 bytes sent: must fail as truncated without a 1 GiB buffer.
        let mut wire = (1i32 << 30).to_be_bytes().to_vec();
        wire.extend_from_slice(&[0; 10]);
        let mut r = &wire[..];
        assert!(matches!(
            read_frame(&mut r, usize::MAX).await,
            Err(FrameError::Truncated { read: 10, .. })
        ));
    }
}
