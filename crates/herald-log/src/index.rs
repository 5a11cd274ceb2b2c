//! Sparse offset index and time index of one segment.
//!
//! Both live in memory while the segment is open and are written beside the
//! `.log` file when the segment is sealed or the partition closes cleanly.
//! Like Kafka's, the files carry no checksum: they are validated against the
//! log when loaded and rebuilt from it when missing or inconsistent.

/// One offset-index entry: a batch starts at `position` and has base offset
/// `segment base + relative_offset`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct OffsetEntry {
    pub relative_offset: u32,
    pub position: u32,
}

/// One time-index entry: no record before `relative_offset`'s batch (inclusive)
/// has a timestamp above `timestamp`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct TimeEntry {
    pub timestamp: i64,
    pub relative_offset: u32,
}

/// The in-memory indexes of a segment.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct Indexes {
    pub offsets: Vec<OffsetEntry>,
    pub times: Vec<TimeEntry>,
}

pub(crate) const OFFSET_ENTRY_LEN: usize = 8;
pub(crate) const TIME_ENTRY_LEN: usize = 12;

impl Indexes {
    /// The greatest entry at or below `relative_offset`, if any (scan from
    /// the segment start otherwise).
    pub fn entry_for(&self, relative_offset: u32) -> Option<OffsetEntry> {
        let i = self
            .offsets
            .partition_point(|e| e.relative_offset <= relative_offset);
        (i > 0).then(|| self.offsets[i - 1])
    }

    /// Relative offset to start a timestamp search from: the last entry whose
    /// timestamp is strictly below `timestamp` (all records up to it are older).
    pub fn relative_offset_before(&self, timestamp: i64) -> Option<u32> {
        let i = self.times.partition_point(|e| e.timestamp < timestamp);
        (i > 0).then(|| self.times[i - 1].relative_offset)
    }

    /// Largest timestamp recorded in the time index.
    pub fn max_timestamp(&self) -> Option<i64> {
        self.times.last().map(|e| e.timestamp)
    }

    /// Adds a time entry if it raises the maximum (timestamps stay monotonic).
    pub fn maybe_append_time(&mut self, timestamp: i64, relative_offset: u32) {
        if self
            .times
            .last()
            .is_none_or(|last| timestamp > last.timestamp)
        {
            self.times.push(TimeEntry {
                timestamp,
                relative_offset,
            });
        }
    }

    pub fn encode_offsets(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(self.offsets.len() * OFFSET_ENTRY_LEN);
        for e in &self.offsets {
            out.extend_from_slice(&e.relative_offset.to_be_bytes());
            out.extend_from_slice(&e.position.to_be_bytes());
        }
        out
    }

    pub fn encode_times(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(self.times.len() * TIME_ENTRY_LEN);
        for e in &self.times {
            out.extend_from_slice(&e.timestamp.to_be_bytes());
            out.extend_from_slice(&e.relative_offset.to_be_bytes());
        }
        out
    }

    /// Decodes both files, checking the structural invariants: whole entries,
    /// strictly increasing offsets and positions below `segment_len`,
    /// non-decreasing timestamps. `None` means "rebuild from the log".
    pub fn decode(offsets: &[u8], times: &[u8], segment_len: u64) -> Option<Self> {
        if !offsets.len().is_multiple_of(OFFSET_ENTRY_LEN)
            || !times.len().is_multiple_of(TIME_ENTRY_LEN)
        {
            return None;
        }
        let mut idx = Self::default();
        for c in offsets.chunks_exact(OFFSET_ENTRY_LEN) {
            let e = OffsetEntry {
                relative_offset: u32::from_be_bytes([c[0], c[1], c[2], c[3]]),
                position: u32::from_be_bytes([c[4], c[5], c[6], c[7]]),
            };
            if u64::from(e.position) >= segment_len {
                return None;
            }
            if let Some(last) = idx.offsets.last()
                && (e.relative_offset <= last.relative_offset || e.position <= last.position)
            {
                return None;
            }
            idx.offsets.push(e);
        }
        for c in times.chunks_exact(TIME_ENTRY_LEN) {
            let mut ts = [0u8; 8];
            ts.copy_from_slice(&c[..8]);
            let e = TimeEntry {
                timestamp: i64::from_be_bytes(ts),
                relative_offset: u32::from_be_bytes([c[8], c[9], c[10], c[11]]),
            };
            if let Some(last) = idx.times.last()
                && (e.timestamp < last.timestamp || e.relative_offset < last.relative_offset)
            {
                return None;
            }
            idx.times.push(e);
        }
        Some(idx)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> Indexes {
        Indexes {
            offsets: vec![
                OffsetEntry {
                    relative_offset: 10,
                    position: 4000,
                },
                OffsetEntry {
                    relative_offset: 20,
                    position: 8100,
                },
            ],
            times: vec![
                TimeEntry {
                    timestamp: 5,
                    relative_offset: 9,
                },
                TimeEntry {
                    timestamp: 9,
                    relative_offset: 19,
                },
            ],
        }
    }

    #[test]
    fn encode_decode_round_trip_and_lookups() {
        let idx = sample();
        let back = Indexes::decode(&idx.encode_offsets(), &idx.encode_times(), 9000).unwrap();
        assert_eq!(back, idx);
        assert_eq!(idx.entry_for(5), None);
        assert_eq!(idx.entry_for(15).map(|e| e.position), Some(4000));
        assert_eq!(idx.entry_for(25).map(|e| e.position), Some(8100));
        assert_eq!(idx.relative_offset_before(5), None);
        assert_eq!(idx.relative_offset_before(6), Some(9));
        assert_eq!(idx.max_timestamp(), Some(9));
    }

    #[test]
    fn inconsistent_files_are_refused() {
        let idx = sample();
        // position beyond the segment
        assert!(Indexes::decode(&idx.encode_offsets(), &[], 8000).is_none());
        // partial entry
        let mut bytes = idx.encode_offsets();
        bytes.pop();
        assert!(Indexes::decode(&bytes, &[], 9000).is_none());
        // non-monotonic
        let mut rev = idx.clone();
        rev.offsets.reverse();
        assert!(Indexes::decode(&rev.encode_offsets(), &[], 9000).is_none());
    }
}
