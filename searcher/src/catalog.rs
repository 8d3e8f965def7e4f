//! The catalog in memory: a snapshot of the index's visible tracks, their tag probabilities as
//! one row-major matrix over (model, tag) columns, and their audio embeddings.

use std::collections::HashMap;

use musearch_index::{
    CompactTaggram, Metadata, ModelSpec, SignalFacts, TrackId, TrackRecord, TrackWarning,
};

/// One (model, tag) output: the unit the calibration and the ranking work on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Column {
    /// Index of the model in [`Catalog::models`].
    pub model: usize,
    /// The canonical tag name (lower case, single spaces).
    pub tag: String,
}

/// What the engine keeps of a track besides its numbers.
#[derive(Debug, Clone, PartialEq)]
pub struct CatalogTrack {
    /// The content hash.
    pub id: TrackId,
    /// Every file holding the audio; the first is the one shown and served.
    pub paths: Vec<String>,
    /// Decoded duration in seconds.
    pub duration_secs: f64,
    /// The codec (`vorbis`, `mp3` …).
    pub codec: String,
    /// Sample rate in Hz.
    pub sample_rate: u32,
    /// Channels.
    pub channels: u16,
    /// Text metadata.
    pub metadata: Metadata,
    /// The compact taggram of each model that has one, by model index.
    pub taggrams: Vec<(usize, CompactTaggram)>,
    /// What was odd about the audio when it was indexed (`truncated` …).
    pub warnings: Vec<TrackWarning>,
    /// Loudness measured at index time (`None` for a record that predates it).
    pub signal: Option<SignalFacts>,
}

impl CatalogTrack {
    /// The file format: the first path's extension in lower case, else the codec.
    pub fn format(&self) -> String {
        self.paths
            .first()
            .map(|p| musearch_index::os_path(p))
            .and_then(|p| p.extension()?.to_str().map(str::to_ascii_lowercase))
            .unwrap_or_else(|| self.codec.to_ascii_lowercase())
    }

    /// The title, else the first file's name without its extension, else the id.
    pub fn title(&self) -> String {
        if let Some(t) = self
            .metadata
            .title
            .as_deref()
            .filter(|t| !t.trim().is_empty())
        {
            return t.to_string();
        }
        self.paths
            .first()
            .map(|p| musearch_index::os_path(p))
            .and_then(|p| p.file_stem().map(|s| s.to_string_lossy().into_owned()))
            .unwrap_or_else(|| self.id.to_hex())
    }
}

impl CatalogTrack {
    /// The key of the track's album: its album tag (case-folded), else the folder of its first
    /// file. Tracks with one key form one album for the diversity rule.
    pub fn album_key(&self) -> String {
        if let Some(album) = self.metadata.album.as_deref().map(str::trim) {
            if !album.is_empty() {
                return format!("album:{}", album.to_lowercase());
            }
        }
        let dir = self
            .paths
            .first()
            .and_then(|p| std::path::Path::new(p).parent())
            .map(|d| d.display().to_string())
            .unwrap_or_default();
        format!("dir:{dir}")
    }
}

/// Tracks, their probabilities and embeddings. Built with [`CatalogBuilder`] (or
/// [`Catalog::from_records`]).
#[derive(Debug, Clone)]
pub struct Catalog {
    models: Vec<ModelSpec>,
    columns: Vec<Column>,
    by_tag: HashMap<String, Vec<usize>>,
    tracks: Vec<CatalogTrack>,
    /// `tracks × columns`, row-major; NaN where a track lacks a model.
    probabilities: Vec<f32>,
    /// `tracks × embedding_dim`, row-major: each model's embedding normalised to unit length,
    /// concatenated and scaled so that the whole vector has unit length (zero where missing).
    embeddings: Vec<f32>,
    embedding_dim: usize,
    /// Each track's album as a small number (equal numbers: equal [`CatalogTrack::album_key`]).
    album_groups: Vec<u32>,
}

/// Accumulates tracks for a [`Catalog`].
#[derive(Debug)]
pub struct CatalogBuilder {
    catalog: Catalog,
    offsets: Vec<usize>,
    /// Album key → its number in `Catalog::album_groups`.
    albums: HashMap<String, u32>,
}

impl CatalogBuilder {
    /// An empty catalog over `models` (their tag lists name the columns).
    pub fn new(models: &[ModelSpec]) -> CatalogBuilder {
        let mut columns = Vec::new();
        let mut by_tag: HashMap<String, Vec<usize>> = HashMap::new();
        for (m, spec) in models.iter().enumerate() {
            for tag in &spec.tags {
                let tag = musearch_models::tags::normalize_tag(tag);
                by_tag.entry(tag.clone()).or_default().push(columns.len());
                columns.push(Column { model: m, tag });
            }
        }
        let mut offsets = Vec::with_capacity(models.len() + 1);
        let mut total = 0;
        for spec in models {
            offsets.push(total);
            total += spec.embedding_dim;
        }
        offsets.push(total);
        CatalogBuilder {
            catalog: Catalog {
                models: models.to_vec(),
                columns,
                by_tag,
                tracks: Vec::new(),
                probabilities: Vec::new(),
                embeddings: Vec::new(),
                embedding_dim: total,
                album_groups: Vec::new(),
            },
            offsets,
            albums: HashMap::new(),
        }
    }

    /// Reserves room for `n` more tracks.
    pub fn reserve(&mut self, n: usize) {
        let c = &mut self.catalog;
        c.tracks.reserve(n);
        c.album_groups.reserve(n);
        c.probabilities.reserve(n * c.columns.len());
        c.embeddings.reserve(n * c.embedding_dim);
    }

    /// Adds a track. `probabilities[m]` and `embeddings[m]` are model `m`'s outputs (`None`, or a
    /// slice of the wrong length, when the track lacks them).
    pub fn push(
        &mut self,
        track: CatalogTrack,
        probabilities: &[Option<&[f32]>],
        embeddings: &[Option<&[f32]>],
    ) {
        let c = &mut self.catalog;
        for (m, spec) in c.models.iter().enumerate() {
            match probabilities.get(m).copied().flatten() {
                Some(p) if p.len() == spec.tags.len() => c.probabilities.extend_from_slice(p),
                _ => c
                    .probabilities
                    .extend(std::iter::repeat_n(f32::NAN, spec.tags.len())),
            }
        }
        let start = c.embeddings.len();
        c.embeddings
            .extend(std::iter::repeat_n(0.0, c.embedding_dim));
        let row = &mut c.embeddings[start..];
        let mut present = 0usize;
        for (m, spec) in c.models.iter().enumerate() {
            if let Some(e) = embeddings.get(m).copied().flatten() {
                let norm = e.iter().map(|x| x * x).sum::<f32>().sqrt();
                if e.len() == spec.embedding_dim && norm > 0.0 && norm.is_finite() {
                    let out = &mut row[self.offsets[m]..self.offsets[m + 1]];
                    for (o, x) in out.iter_mut().zip(e) {
                        *o = x / norm;
                    }
                    present += 1;
                }
            }
        }
        if present > 1 {
            let scale = 1.0 / (present as f32).sqrt();
            row.iter_mut().for_each(|x| *x *= scale);
        }
        let next = self.albums.len() as u32;
        let group = *self.albums.entry(track.album_key()).or_insert(next);
        c.album_groups.push(group);
        c.tracks.push(track);
    }

    /// The catalog.
    pub fn build(self) -> Catalog {
        self.catalog
    }
}

impl Catalog {
    /// A catalog of `records` tagged by `models`.
    pub fn from_records(
        models: &[ModelSpec],
        records: impl IntoIterator<Item = TrackRecord>,
    ) -> Catalog {
        let mut builder = CatalogBuilder::new(models);
        for record in records {
            let find = |name: &str| record.models.iter().find(|t| t.model == name);
            let probabilities: Vec<Option<&[f32]>> = models
                .iter()
                .map(|m| find(&m.name).map(|t| t.probabilities.as_slice()))
                .collect();
            let embeddings: Vec<Option<&[f32]>> = models
                .iter()
                .map(|m| find(&m.name).map(|t| t.embedding.as_slice()))
                .collect();
            let taggrams = models
                .iter()
                .enumerate()
                .filter_map(|(i, m)| find(&m.name).map(|t| (i, t.taggram.clone())))
                .filter(|(_, t)| t.columns() > 0)
                .collect();
            let track = CatalogTrack {
                id: record.id,
                paths: record.paths.clone(),
                duration_secs: record.duration_secs,
                codec: record.codec.clone(),
                sample_rate: record.sample_rate,
                channels: record.channels,
                metadata: record.metadata.clone(),
                taggrams,
                warnings: record.warnings.clone(),
                signal: record.signal,
            };
            builder.push(track, &probabilities, &embeddings);
        }
        builder.build()
    }

    /// The taggers.
    pub fn models(&self) -> &[ModelSpec] {
        &self.models
    }

    /// Every (model, tag) column.
    pub fn columns(&self) -> &[Column] {
        &self.columns
    }

    /// The columns of `tag` (one per model that outputs it; empty for a tag no model has).
    pub fn tag_columns(&self, tag: &str) -> &[usize] {
        self.by_tag.get(tag).map_or(&[], Vec::as_slice)
    }

    /// Every distinct tag, in column order.
    pub fn tags(&self) -> Vec<&str> {
        let mut seen = std::collections::HashSet::new();
        self.columns
            .iter()
            .map(|c| c.tag.as_str())
            .filter(|t| seen.insert(*t))
            .collect()
    }

    /// The tracks.
    pub fn tracks(&self) -> &[CatalogTrack] {
        &self.tracks
    }

    /// Number of tracks.
    pub fn len(&self) -> usize {
        self.tracks.len()
    }

    /// True without tracks.
    pub fn is_empty(&self) -> bool {
        self.tracks.is_empty()
    }

    /// All probabilities, `tracks × columns`, row-major (NaN where missing).
    pub fn probability_matrix(&self) -> &[f32] {
        &self.probabilities
    }

    /// The probabilities of track `i` over every column.
    pub fn probabilities(&self, i: usize) -> &[f32] {
        let n = self.columns.len();
        &self.probabilities[i * n..(i + 1) * n]
    }

    /// Length of a track's embedding (the models' embedding sizes summed).
    pub fn embedding_dim(&self) -> usize {
        self.embedding_dim
    }

    /// Track `i`'s album group: two tracks share it when their [`CatalogTrack::album_key`]s are
    /// equal.
    pub fn album_group(&self, i: usize) -> u32 {
        self.album_groups[i]
    }

    /// The embedding of track `i` (unit length, or all zero when the track has none).
    pub fn embedding(&self, i: usize) -> &[f32] {
        let d = self.embedding_dim;
        &self.embeddings[i * d..(i + 1) * d]
    }

    /// Hours of audio.
    pub fn hours(&self) -> f64 {
        self.tracks.iter().map(|t| t.duration_secs).sum::<f64>() / 3600.0
    }
}
