//! The engine's requests and responses: the documents `musearch search --json` prints and the
//! HTTP API returns (see the API contract in `docs/API.md`). The engine says what a track is
//! ([`TrackSummary`]: ids and format facts); where its audio and picture are served is the
//! server's business: the documents that hold tracks are generic over the track's form, and the
//! server maps them to its own ([`SearchResponse::map_tracks`] …).

use musearch_index::TrackWarning;
use serde::{Deserialize, Serialize};

/// The most results one page may hold.
pub const MAX_LIMIT: usize = 1000;

/// The default page size.
pub const DEFAULT_LIMIT: usize = 20;

/// A search: free text, a page, filters.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SearchRequest {
    /// The query text: free text, tag names, an artist's name …
    pub query: String,
    /// Results per page, 1 ..= [`MAX_LIMIT`].
    #[serde(default = "default_limit")]
    pub limit: usize,
    /// Results to skip (the page's first rank, 0-based).
    #[serde(default)]
    pub offset: usize,
    /// Which tracks may be returned at all.
    #[serde(default)]
    pub filters: Filters,
    /// Whether the diversity rule applies (`None`: the engine's setting, on by default).
    #[serde(default)]
    pub diverse: Option<bool>,
    /// The most results of one album per round of the diversity rule (`None`: the engine's
    /// setting, 3 by default).
    #[serde(default)]
    pub max_per_album: Option<usize>,
}

fn default_limit() -> usize {
    DEFAULT_LIMIT
}

impl SearchRequest {
    /// A request for the first [`DEFAULT_LIMIT`] results of `query`, without filters.
    pub fn new(query: impl Into<String>) -> Self {
        SearchRequest {
            query: query.into(),
            limit: DEFAULT_LIMIT,
            offset: 0,
            filters: Filters::default(),
            diverse: None,
            max_per_album: None,
        }
    }
}

/// Restrictions on the tracks a search may return. Every filter given must hold.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Filters {
    /// Shortest duration in seconds (inclusive).
    #[serde(default)]
    pub min_duration: Option<f64>,
    /// Longest duration in seconds (inclusive).
    #[serde(default)]
    pub max_duration: Option<f64>,
    /// The artist contains this text (case-insensitive).
    #[serde(default)]
    pub artist: Option<String>,
    /// The file format: a file extension (`ogg`, `opus`, `mp3`, `flac` …) or a codec name
    /// (`vorbis`, `aac` …), case-insensitive.
    #[serde(default)]
    pub format: Option<String>,
}

/// A page of ranked tracks with how the query was read; `T` is the form of a track
/// ([`TrackSummary`] from the engine).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SearchResponse<T = TrackSummary> {
    /// The query text as given.
    pub query: String,
    /// How the engine read the query.
    pub interpreted: Interpretation,
    /// How many tracks match in all (every page of this query has the same total).
    pub total: usize,
    /// The rank of the page's first result.
    pub offset: usize,
    /// The page size asked for.
    pub limit: usize,
    /// Time spent in the engine, milliseconds.
    pub took_ms: f64,
    /// The page, best first.
    pub results: Vec<Hit<T>>,
    /// A remark on the whole answer for the listener, when there is one: today, that nothing
    /// in the catalog matches the query well (the results are the best available, each marked
    /// `weak_match`).
    pub note: Option<String>,
}

impl<T> SearchResponse<T> {
    /// The same page with every track mapped by `f`.
    pub fn map_tracks<U>(self, mut f: impl FnMut(T) -> U) -> SearchResponse<U> {
        SearchResponse {
            query: self.query,
            interpreted: self.interpreted,
            total: self.total,
            offset: self.offset,
            limit: self.limit,
            took_ms: self.took_ms,
            results: self
                .results
                .into_iter()
                .map(|h| Hit {
                    track: f(h.track),
                    score: h.score,
                    explanation: h.explanation,
                    weak_match: h.weak_match,
                    demoted: h.demoted,
                    versions: h.versions,
                })
                .collect(),
            note: self.note,
        }
    }
}

/// How a query was read: the tags it scores with, and what it could not place.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Interpretation {
    /// The tags the ranking uses, with their weights (negative weights push tracks down).
    pub tags: Vec<TagWeight>,
    /// The negated terms of the query, as written ("drums" in "without drums").
    pub negated: Vec<String>,
    /// Words the word vectors do not know (searched in the metadata text only).
    pub unknown: Vec<String>,
    /// True when no term could be placed among the tags: the ranking is text search only.
    pub text_only: bool,
    /// A known word close to an unknown one, when there is one.
    pub did_you_mean: Option<String>,
}

/// A tag and its weight in a query.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TagWeight {
    /// The tag.
    pub tag: String,
    /// Its weight: positive pulls tracks with the tag up, negative pushes them down.
    pub weight: f32,
}

/// What every result shows of a track.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TrackSummary {
    /// The track id (32 hex digits).
    pub id: String,
    /// Title (the file name when the file has none).
    pub title: String,
    /// Artist.
    pub artist: Option<String>,
    /// Album.
    pub album: Option<String>,
    /// Genre.
    pub genre: Option<String>,
    /// Year.
    pub year: Option<u16>,
    /// Duration in seconds.
    pub duration_secs: f64,
    /// The file format: the extension of the file, lower case (`ogg`, `opus` …), else the codec.
    pub format: String,
}

/// One ranked search result.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Hit<T = TrackSummary> {
    /// The track.
    #[serde(flatten)]
    pub track: T,
    /// The score it was ranked by (higher is better): the weighted tag score, or the reciprocal
    /// rank fusion of tag and text ranks when the query also matched metadata text.
    pub score: f32,
    /// Why it ranks here.
    pub explanation: Explanation,
    /// True when its probability for every tag the query asks for is below the evidence floor
    /// (and it has no text match): the best available, not a good match.
    pub weak_match: bool,
    /// Why it was moved down the ranking: `weak_evidence`, `short` (under the minimum length,
    /// and the query did not ask for short tracks), `near_silent`. Empty when it was not.
    pub demoted: Vec<String>,
    /// Other recordings of the same audio (near-identical embeddings: another format, a loop
    /// variant) folded into this result, best-ranked first.
    pub versions: Vec<Version>,
}

/// Another recording folded into a result as a near-duplicate.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Version {
    /// Its track id (32 hex digits).
    pub id: String,
    /// Its first file.
    pub path: String,
    /// Its file format (extension, else codec).
    pub format: String,
    /// Its duration in seconds.
    pub duration_secs: f64,
    /// Cosine similarity of its audio embedding with the result's.
    pub similarity: f32,
}

/// Why a track ranks where it does.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Explanation {
    /// The query's tags as this track has them, largest contribution (in absolute value) first.
    pub tags: Vec<TagContribution>,
    /// The same evidence grouped by tag name, one entry per tag (both models' evidence in one
    /// entry where both output the tag), largest contribution first: what a chip shows.
    pub by_tag: Vec<TagEvidence>,
    /// The metadata text match, if the track matched the query's words.
    pub text: Option<TextMatch>,
}

/// One tag's part in a track's score (one entry per model that has the tag).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TagContribution {
    /// The tag.
    pub tag: String,
    /// The model whose output this is.
    pub model: String,
    /// The weight of this (tag, model) in the query (the tag's weight shared among its models).
    pub weight: f32,
    /// The model's probability for the tag on this track (mean over the track).
    pub probability: f32,
    /// The probability calibrated across the catalog: the standardised logit (0 = a typical
    /// track, 2 = two standard deviations above the catalog's mean).
    pub calibrated: f32,
    /// `weight × calibrated`, or `weight × max(calibrated, 0)` for a negative weight (a negated
    /// tag pushes down tracks that have it, it does not reward those that lack it): this
    /// entry's share of the tag score.
    pub contribution: f32,
}

/// One tag's evidence on a track, every model that outputs the tag together.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TagEvidence {
    /// The tag.
    pub tag: String,
    /// The tag's weight in the query (the sum of its models' shares).
    pub weight: f32,
    /// The sum of its models' contributions.
    pub contribution: f32,
    /// The highest probability any model gives it on this track.
    pub probability: f32,
    /// Each model's evidence, in catalog model order.
    pub models: Vec<ModelEvidence>,
}

/// One model's evidence for a tag.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ModelEvidence {
    /// The model (`MTT_musicnn` …).
    pub model: String,
    /// Its probability for the tag on this track.
    pub probability: f32,
    /// Calibrated across the catalog (see [`TagContribution::calibrated`]).
    pub calibrated: f32,
    /// Its share of the tag score.
    pub contribution: f32,
}

/// A metadata text match.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TextMatch {
    /// The track's rank among the text matches (1 = best).
    pub rank: usize,
    /// The BM25 score.
    pub score: f32,
}

/// A page of tracks that sound like a given one; `T` is the form of a track.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SimilarResponse<T = TrackSummary> {
    /// The track the others resemble.
    pub id: String,
    /// How many other tracks can be returned in all.
    pub total: usize,
    /// The rank of the page's first result.
    pub offset: usize,
    /// The page size asked for.
    pub limit: usize,
    /// Time spent in the engine, milliseconds.
    pub took_ms: f64,
    /// The page, most similar first (the track itself is never in it).
    pub results: Vec<SimilarHit<T>>,
}

impl<T> SimilarResponse<T> {
    /// The same page with every track mapped by `f`.
    pub fn map_tracks<U>(self, mut f: impl FnMut(T) -> U) -> SimilarResponse<U> {
        SimilarResponse {
            id: self.id,
            total: self.total,
            offset: self.offset,
            limit: self.limit,
            took_ms: self.took_ms,
            results: self
                .results
                .into_iter()
                .map(|h| SimilarHit {
                    track: f(h.track),
                    similarity: h.similarity,
                })
                .collect(),
        }
    }
}

/// One similar track.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SimilarHit<T = TrackSummary> {
    /// The track.
    #[serde(flatten)]
    pub track: T,
    /// Cosine similarity of the audio embeddings (each model's embedding normalised, then
    /// concatenated), in [-1, 1].
    pub similarity: f32,
}

/// Everything the engine knows about one track; `T` is the form of what a search result shows.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TrackDetail<T = TrackSummary> {
    /// What a search result shows.
    #[serde(flatten)]
    pub track: T,
    /// Track number on its album.
    pub track_number: Option<u32>,
    /// The codec (`vorbis`, `opus`, `mp3` …).
    pub codec: String,
    /// Sample rate in Hz.
    pub sample_rate: u32,
    /// Channels.
    pub channels: u16,
    /// Every file holding this audio, in the index's stored form ([`crate::StoredPath`]:
    /// [`crate::display_path`] shows one to people, [`crate::os_path`] opens it).
    pub paths: Vec<String>,
    /// Per model, every tag's probability, most probable first.
    pub models: Vec<ModelProbabilities>,
    /// The taggram of the first model: tag probabilities over time.
    pub taggram: Option<TaggramData>,
    /// What was odd about the audio when it was indexed: `truncated` (what decoded was indexed),
    /// `shorter_than_a_patch`; empty for a sound file.
    pub warnings: Vec<TrackWarning>,
}

impl<T> TrackDetail<T> {
    /// The same detail with the track's summary mapped by `f`.
    pub fn map_track<U>(self, f: impl FnOnce(T) -> U) -> TrackDetail<U> {
        TrackDetail {
            track: f(self.track),
            track_number: self.track_number,
            codec: self.codec,
            sample_rate: self.sample_rate,
            channels: self.channels,
            paths: self.paths,
            models: self.models,
            taggram: self.taggram,
            warnings: self.warnings,
        }
    }
}

/// One model's tags for a track.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ModelProbabilities {
    /// The model (`MTT_musicnn` …).
    pub model: String,
    /// Every tag, most probable first.
    pub tags: Vec<TagProbability>,
}

/// A tag's probability on a track.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TagProbability {
    /// The tag.
    pub tag: String,
    /// Mean probability over the track.
    pub probability: f32,
    /// Calibrated across the catalog (see [`TagContribution::calibrated`]).
    pub calibrated: f32,
}

/// A taggram as numbers.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TaggramData {
    /// The model it comes from.
    pub model: String,
    /// The tags, one per row of `values`.
    pub tags: Vec<String>,
    /// Seconds of audio per column.
    pub seconds_per_column: f64,
    /// `values[tag][column]`: probabilities in [0, 1].
    pub values: Vec<Vec<f32>>,
}

/// A tag of the catalog.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TagInfo {
    /// The tag (canonical lower-case name).
    pub name: String,
    /// The models that output it.
    pub models: Vec<String>,
    /// Its mean probability over the catalog (averaged over its models).
    pub base_rate: f32,
}

/// Totals of the catalog the engine serves.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CatalogStats {
    /// Visible tracks.
    pub tracks: usize,
    /// Hours of audio.
    pub hours: f64,
    /// The taggers' names.
    pub models: Vec<String>,
    /// Distinct tags.
    pub tags: usize,
}
