//! [`Counts`]: the track store's running totals, kept in its `meta` tree so that opening an index
//! and `musearch info` need not walk a million records (sled's `Tree::len` is a full scan).
//!
//! The totals are written in the same sled transaction as the records and path entries they
//! count ([`crate::store::TrackStore::apply`], [`crate::store::TrackStore::complete`]), so a crash leaves them
//! exactly as right as the trees. An index written before they existed gets them counted once,
//! on its first open.

use crate::error::IndexError;
use crate::record::{PathEntry, TrackRecord};

/// Totals over the whole track store, visible records or not.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize)]
pub struct Counts {
    /// Records in the `tracks` tree.
    pub tracks: u64,
    /// Entries in the `paths` tree (audio files and remembered non-audio files).
    pub paths: u64,
    /// Path entries that hold no track (files that are not audio).
    pub non_audio_paths: u64,
    /// The records' paths, summed over the records.
    pub track_paths: u64,
    /// The records' durations in milliseconds (each rounded), summed over the records. Integers,
    /// so that adding and removing a record leaves no rounding drift behind.
    pub duration_ms: u64,
}

/// Bytes of the encoded form: five little-endian `u64`s.
const ENCODED_LEN: usize = 40;

impl Counts {
    /// The little-endian encoding stored under `meta/counts`.
    pub fn encode(&self) -> [u8; ENCODED_LEN] {
        let mut out = [0u8; ENCODED_LEN];
        let fields = [
            self.tracks,
            self.paths,
            self.non_audio_paths,
            self.track_paths,
            self.duration_ms,
        ];
        for (chunk, value) in out.chunks_exact_mut(8).zip(fields) {
            chunk.copy_from_slice(&value.to_le_bytes());
        }
        out
    }

    /// Decodes [`Counts::encode`]'s bytes.
    pub fn decode(bytes: &[u8]) -> Result<Counts, IndexError> {
        if bytes.len() != ENCODED_LEN {
            return Err(IndexError::Corrupt {
                what: "store counts",
                reason: format!("{} bytes, expected {ENCODED_LEN}", bytes.len()),
            });
        }
        let field = |i: usize| {
            let mut b = [0u8; 8];
            b.copy_from_slice(&bytes[8 * i..8 * i + 8]);
            u64::from_le_bytes(b)
        };
        Ok(Counts {
            tracks: field(0),
            paths: field(1),
            non_audio_paths: field(2),
            track_paths: field(3),
            duration_ms: field(4),
        })
    }

    /// Counts `record` in (`sign` +1) or out (`sign` -1).
    pub fn add_record(&mut self, record: &TrackRecord, sign: Sign) {
        sign.apply(&mut self.tracks, 1);
        sign.apply(&mut self.track_paths, record.paths.len() as u64);
        sign.apply(&mut self.duration_ms, duration_ms(record.duration_secs));
    }

    /// Counts the path entry `entry` in or out.
    pub fn add_path(&mut self, entry: &PathEntry, sign: Sign) {
        sign.apply(&mut self.paths, 1);
        if entry.id.is_none() {
            sign.apply(&mut self.non_audio_paths, 1);
        }
    }

    /// Hours of audio in the counted records.
    pub fn hours(&self) -> f64 {
        self.duration_ms as f64 / 3_600_000.0
    }
}

/// Whether a value is counted in or out.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Sign {
    /// Add it.
    Add,
    /// Take it away.
    Remove,
}

impl Sign {
    fn apply(self, total: &mut u64, amount: u64) {
        *total = match self {
            Sign::Add => total.saturating_add(amount),
            Sign::Remove => total.saturating_sub(amount),
        };
    }
}

/// A duration in whole milliseconds (negative or not finite: 0).
pub fn duration_ms(secs: f64) -> u64 {
    if secs.is_finite() && secs > 0.0 {
        (secs * 1000.0).round() as u64
    } else {
        0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encoding_round_trips_and_rejects_other_lengths() {
        let counts = Counts {
            tracks: 1_000_000,
            paths: 1_000_017,
            non_audio_paths: 17,
            track_paths: 1_000_000,
            duration_ms: 240_000_000_000,
        };
        assert_eq!(Counts::decode(&counts.encode()).unwrap(), counts);
        assert!(matches!(
            Counts::decode(&[0u8; 39]),
            Err(IndexError::Corrupt { .. })
        ));
    }

    #[test]
    fn adding_then_removing_leaves_no_drift() {
        let mut counts = Counts::default();
        let entry = PathEntry {
            id: None,
            size: 3,
            mtime_ns: 0,
        };
        counts.add_path(&entry, Sign::Add);
        assert_eq!((counts.paths, counts.non_audio_paths), (1, 1));
        counts.add_path(&entry, Sign::Remove);
        assert_eq!(counts, Counts::default());
        assert_eq!(duration_ms(0.1 + 0.2), 300);
        assert_eq!(duration_ms(f64::NAN), 0);
        assert_eq!(duration_ms(-1.0), 0);
    }
}
