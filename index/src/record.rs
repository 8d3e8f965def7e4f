//! What the track store holds: [`TrackRecord`]s (one per distinct audio content) and
//! [`PathEntry`]s (one per file), with the on-disk encoding and its version.
//!
//! Values are [postcard](https://docs.rs/postcard) behind a one-byte schema tag, so a reader can
//! tell a record of another schema from a corrupt one.

use serde::{Deserialize, Serialize};

use crate::error::IndexError;

/// The schema of everything in the index. Bump it when [`TrackRecord`], [`PathEntry`] or the text
/// index's fields change; the indexer's and the reader's opening refuse an index of another version with
/// [`IndexError::SchemaMismatch`]. Versions 1 (no [`TrackRecord::warnings`]) and 2 (no
/// [`TrackRecord::signal`]) are still read: their records decode with no warnings and no signal
/// facts, and the writer rewrites them in this version on open (the next index run measures the
/// missing facts without tagging again).
pub const SCHEMA_VERSION: u32 = 3;

/// The oldest schema whose values [`decode`] still reads.
pub const OLDEST_READABLE_SCHEMA: u32 = 1;

/// A track's stable id: the first 16 bytes of the BLAKE3 hash of the file's bytes. Identical
/// content at two paths is one track; a moved file keeps its id.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct TrackId(pub [u8; 16]);

impl TrackId {
    /// The id as 32 lowercase hex digits (its form in the text index and in reports).
    pub fn to_hex(&self) -> String {
        self.0.iter().map(|b| format!("{b:02x}")).collect()
    }

    /// Parses 32 hex digits.
    pub fn from_hex(hex: &str) -> Option<TrackId> {
        if hex.len() != 32 || !hex.is_ascii() {
            return None;
        }
        let mut out = [0u8; 16];
        for (i, byte) in out.iter_mut().enumerate() {
            *byte = u8::from_str_radix(&hex[2 * i..2 * i + 2], 16).ok()?;
        }
        Some(TrackId(out))
    }
}

impl std::fmt::Display for TrackId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.to_hex())
    }
}

/// Text metadata, normalised from the container's tags.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Metadata {
    /// Track title.
    pub title: Option<String>,
    /// Artist.
    pub artist: Option<String>,
    /// Album.
    pub album: Option<String>,
    /// Genre.
    pub genre: Option<String>,
    /// Year (the first four-digit number of the date tag).
    pub year: Option<u16>,
    /// Track number (the leading number of `"3"` or `"3/12"`).
    pub track_number: Option<u32>,
}

/// A compact taggram: tag probabilities over time, pooled to at most [`CompactTaggram::MAX_COLUMNS`]
/// columns and quantised to bytes (`round(p · 255)`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct CompactTaggram {
    /// How many 3 s patches each column averages (a power of two).
    pub patches_per_column: u32,
    /// Number of tags per column.
    pub tags: u32,
    /// `columns × tags` bytes, column-major in time (column 0 first).
    pub values: Vec<u8>,
}

impl CompactTaggram {
    /// The most columns a stored taggram has: a clip of up to 96 s keeps its 3 s resolution,
    /// a 4-minute track is stored in 12 s columns (between 16 and 32 columns), a longer one in
    /// longer spans.
    pub const MAX_COLUMNS: usize = 32;

    /// Number of columns.
    pub fn columns(&self) -> usize {
        self.values
            .len()
            .checked_div(self.tags as usize)
            .unwrap_or_default()
    }

    /// The probabilities of column `c`, dequantised.
    pub fn column(&self, c: usize) -> Vec<f32> {
        let n = self.tags as usize;
        self.values[c * n..(c + 1) * n]
            .iter()
            .map(|&q| q as f32 / 255.0)
            .collect()
    }
}

/// One configured tagger, as the index records it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ModelSpec {
    /// The model name (`MTT_musicnn` …).
    pub name: String,
    /// A version that changes when the weights change (a prefix of the BLAKE3 hash of the
    /// weights file for `TorchTaggers`).
    pub version: String,
    /// The tags of the output units, in order.
    pub tags: Vec<String>,
    /// Size of the embedding.
    pub embedding_dim: usize,
}

/// What one tagger said about a track.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ModelTags {
    /// The model name (`MTT_musicnn` …).
    pub model: String,
    /// The model version ([`ModelSpec::version`]); a record whose version differs
    /// from the configured model's is re-tagged.
    pub version: String,
    /// Tag probabilities averaged over the track, in the model's tag order (its manifest).
    pub probabilities: Vec<f32>,
    /// The compact taggram.
    pub taggram: CompactTaggram,
    /// The audio embedding (the penultimate layer), averaged over the track.
    pub embedding: Vec<f32>,
}

/// Everything the index knows about one track (one distinct audio content).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TrackRecord {
    /// The content hash.
    pub id: TrackId,
    /// Every file that holds this content, sorted; the first is the one shown. Each in its
    /// stored form ([`crate::StoredPath`]: as it is when UTF-8, escaped bytes otherwise).
    pub paths: Vec<String>,
    /// File size in bytes.
    pub size: u64,
    /// Modification time of the first path when it was indexed, nanoseconds since the Unix epoch.
    pub mtime_ns: i64,
    /// Decoded duration in seconds.
    pub duration_secs: f64,
    /// Sample rate of the stream in Hz.
    pub sample_rate: u32,
    /// Channels of the stream.
    pub channels: u16,
    /// Codec (`mp3`, `vorbis`, `flac` …).
    pub codec: String,
    /// Text metadata.
    pub metadata: Metadata,
    /// One entry per configured tagger.
    pub models: Vec<ModelTags>,
    /// When it was tagged, seconds since the Unix epoch.
    pub indexed_at: u64,
    /// What was odd about the audio when it was indexed (a truncated file, less audio than one
    /// patch); empty for a sound file.
    pub warnings: Vec<TrackWarning>,
    /// Facts about the signal measured when it was decoded (loudness); `None` for a record
    /// written before schema 3 and not measured since.
    pub signal: Option<SignalFacts>,
}

/// Facts about a track's signal, measured from the decoded audio at index time.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct SignalFacts {
    /// RMS level of the whole track (mono down-mix) in dBFS; -120 for digital silence.
    pub rms_dbfs: f32,
    /// Share of 50 ms blocks quieter than -60 dBFS, in [0, 1].
    pub silent_share: f32,
}

/// Something odd about a track's audio, kept with its record and shown by `musearch info` and
/// the API.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TrackWarning {
    /// A stable code: `truncated` (the file ends before its container says it should; what
    /// decoded was indexed) or `shorter_than_a_patch` (less audio than one 3-s patch).
    pub code: String,
    /// The detail, without the file's path (`decoded 7.50 s of the 26.80 s its header declares`).
    pub message: String,
}

/// [`TrackRecord`] as schema 1 wrote it (before [`TrackRecord::warnings`]).
#[derive(Serialize, Deserialize)]
struct TrackRecordV1 {
    id: TrackId,
    paths: Vec<String>,
    size: u64,
    mtime_ns: i64,
    duration_secs: f64,
    sample_rate: u32,
    channels: u16,
    codec: String,
    metadata: Metadata,
    models: Vec<ModelTags>,
    indexed_at: u64,
}

/// [`TrackRecord`] as schema 2 wrote it (before [`TrackRecord::signal`]).
#[derive(Serialize, Deserialize)]
struct TrackRecordV2 {
    id: TrackId,
    paths: Vec<String>,
    size: u64,
    mtime_ns: i64,
    duration_secs: f64,
    sample_rate: u32,
    channels: u16,
    codec: String,
    metadata: Metadata,
    models: Vec<ModelTags>,
    indexed_at: u64,
    warnings: Vec<TrackWarning>,
}

impl From<TrackRecordV2> for TrackRecord {
    fn from(v2: TrackRecordV2) -> TrackRecord {
        TrackRecord {
            id: v2.id,
            paths: v2.paths,
            size: v2.size,
            mtime_ns: v2.mtime_ns,
            duration_secs: v2.duration_secs,
            sample_rate: v2.sample_rate,
            channels: v2.channels,
            codec: v2.codec,
            metadata: v2.metadata,
            models: v2.models,
            indexed_at: v2.indexed_at,
            warnings: v2.warnings,
            signal: None,
        }
    }
}

impl From<TrackRecordV1> for TrackRecord {
    fn from(v1: TrackRecordV1) -> TrackRecord {
        TrackRecord {
            id: v1.id,
            paths: v1.paths,
            size: v1.size,
            mtime_ns: v1.mtime_ns,
            duration_secs: v1.duration_secs,
            sample_rate: v1.sample_rate,
            channels: v1.channels,
            codec: v1.codec,
            metadata: v1.metadata,
            models: v1.models,
            indexed_at: v1.indexed_at,
            warnings: Vec::new(),
            signal: None,
        }
    }
}

/// A stored value that [`decode`] reads: how to read it in an older schema's layout.
pub trait Stored: for<'de> Deserialize<'de> + Sized {
    /// Decodes `bytes` (postcard, without the schema byte) written by schema `version`, older
    /// than [`SCHEMA_VERSION`] and not older than [`OLDEST_READABLE_SCHEMA`].
    fn decode_old(version: u32, bytes: &[u8]) -> Result<Self, postcard::Error>;
}

impl Stored for TrackRecord {
    fn decode_old(version: u32, bytes: &[u8]) -> Result<Self, postcard::Error> {
        match version {
            1 => postcard::from_bytes::<TrackRecordV1>(bytes).map(TrackRecord::from),
            _ => postcard::from_bytes::<TrackRecordV2>(bytes).map(TrackRecord::from),
        }
    }
}

impl Stored for PathEntry {
    fn decode_old(_version: u32, bytes: &[u8]) -> Result<Self, postcard::Error> {
        // Unchanged since schema 1.
        postcard::from_bytes(bytes)
    }
}

impl TrackRecord {
    /// The probabilities of `model`, if this record has them.
    pub fn model(&self, name: &str) -> Option<&ModelTags> {
        self.models.iter().find(|m| m.model == name)
    }

    /// Whether the record carries exactly `models` (name and version), in any order.
    pub fn tagged_by(&self, models: &[(String, String)]) -> bool {
        self.models.len() == models.len()
            && models
                .iter()
                .all(|(name, version)| self.model(name).is_some_and(|m| &m.version == version))
    }
}

/// The file behind a path, as it was when indexed: a path whose size and mtime still match is
/// unchanged and skipped without being read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct PathEntry {
    /// The track the file holds, or `None` for a file that is not audio (remembered so that it is
    /// not probed again while unchanged).
    pub id: Option<TrackId>,
    /// Size in bytes.
    pub size: u64,
    /// Modification time, nanoseconds since the Unix epoch.
    pub mtime_ns: i64,
}

/// Encodes a stored value: the schema byte, then postcard.
pub fn encode<T: Serialize>(value: &T) -> Vec<u8> {
    let mut out = vec![SCHEMA_VERSION as u8];
    // Serialising plain structs into a Vec cannot fail.
    out.extend(postcard::to_stdvec(value).expect("postcard encodes plain structs"));
    out
}

/// Decodes a value written by [`encode`], in this schema or an older readable one.
pub fn decode<T: Stored>(what: &'static str, bytes: &[u8]) -> Result<T, IndexError> {
    let corrupt = |e: postcard::Error| IndexError::Corrupt {
        what,
        reason: e.to_string(),
    };
    match bytes.split_first() {
        Some((&v, rest)) if u32::from(v) == SCHEMA_VERSION => {
            postcard::from_bytes(rest).map_err(corrupt)
        }
        Some((&v, rest)) if (OLDEST_READABLE_SCHEMA..SCHEMA_VERSION).contains(&u32::from(v)) => {
            T::decode_old(u32::from(v), rest).map_err(corrupt)
        }
        Some((&v, _)) => Err(IndexError::Corrupt {
            what,
            reason: format!("schema version {v}, expected {SCHEMA_VERSION}"),
        }),
        None => Err(IndexError::Corrupt {
            what,
            reason: "empty value".into(),
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_round_trip_as_hex() {
        let id = TrackId([0xab; 16]);
        assert_eq!(TrackId::from_hex(&id.to_hex()), Some(id));
        assert_eq!(TrackId::from_hex("xyz"), None);
    }

    #[test]
    fn values_carry_the_schema() {
        let entry = PathEntry {
            id: Some(TrackId([1; 16])),
            size: 10,
            mtime_ns: -5,
        };
        let bytes = encode(&entry);
        assert_eq!(decode::<PathEntry>("path entry", &bytes).unwrap(), entry);
        let mut other = bytes.clone();
        other[0] = 99;
        assert!(decode::<PathEntry>("path entry", &other).is_err());
    }

    #[test]
    fn schema_1_records_still_decode() {
        let v1 = TrackRecordV1 {
            id: TrackId([7; 16]),
            paths: vec!["/music/a.ogg".into()],
            size: 10,
            mtime_ns: 1,
            duration_secs: 4.0,
            sample_rate: 48_000,
            channels: 2,
            codec: "vorbis".into(),
            metadata: Metadata::default(),
            models: Vec::new(),
            indexed_at: 5,
        };
        let mut bytes = vec![1u8];
        bytes.extend(postcard::to_stdvec(&v1).unwrap());
        let record: TrackRecord = decode("track record", &bytes).unwrap();
        assert_eq!(record.paths, ["/music/a.ogg"]);
        assert_eq!((record.duration_secs, record.indexed_at), (4.0, 5));
        assert!(record.warnings.is_empty());
        assert_eq!(record.signal, None);
        // The current layout is not mistaken for the old one, nor the reverse.
        let again = encode(&record);
        assert_eq!(again[0] as u32, SCHEMA_VERSION);
        assert_eq!(
            decode::<TrackRecord>("track record", &again).unwrap(),
            record
        );
    }

    #[test]
    fn schema_2_records_still_decode_without_signal_facts() {
        let v2 = TrackRecordV2 {
            id: TrackId([9; 16]),
            paths: vec!["/music/b.opus".into()],
            size: 11,
            mtime_ns: 2,
            duration_secs: 30.5,
            sample_rate: 48_000,
            channels: 2,
            codec: "opus".into(),
            metadata: Metadata::default(),
            models: Vec::new(),
            indexed_at: 6,
            warnings: vec![TrackWarning {
                code: "truncated".into(),
                message: "cut".into(),
            }],
        };
        let mut bytes = vec![2u8];
        bytes.extend(postcard::to_stdvec(&v2).unwrap());
        let mut record: TrackRecord = decode("track record", &bytes).unwrap();
        assert_eq!(record.warnings.len(), 1);
        assert_eq!(record.signal, None);
        record.signal = Some(SignalFacts {
            rms_dbfs: -20.0,
            silent_share: 0.1,
        });
        let again = encode(&record);
        assert_eq!(
            decode::<TrackRecord>("track record", &again).unwrap(),
            record
        );
    }
}
