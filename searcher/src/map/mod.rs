//! Maps for curators: t-SNE layouts of the tag space and of the catalog, in 2-D.
//!
//! * The **tag map** ([`tag_map`]) places every tag of both vocabularies (the union of the MTT
//!   and MSD tags) by its tag-space vector ([`crate::tag_space::TagSpace::tag_vector`]): tags of
//!   similar meaning land near each other. Exact t-SNE (θ = 0), perplexity
//!   [`TAG_MAP_PERPLEXITY`] for about 90 points.
//! * The **track map** ([`track_map`]) places tracks by their tag probabilities (every model's,
//!   concatenated): tracks that sound alike to the taggers land together. A catalog larger than
//!   [`TrackMapParams::max_tracks`] is sampled deterministically ([`TrackSample`], [`sample`]);
//!   Barnes–Hut t-SNE (θ = 0.5), perplexity 30.
//!
//! Coordinates are normalised to **`[-1, 1]`**: the layout's bounding box is centred on the
//! origin and its longer side spans exactly `[-1, 1]` (the aspect ratio is kept). The same seed
//! and inputs give the same coordinates (the initial layout comes from a seeded xoshiro256++).
//!
//! Both maps are cached in the index directory ([`cache`]: `<index>/maps/tags.json`,
//! `<index>/maps/tracks.json`), keyed by a hash of every input (tag names, models and vectors;
//! track ids, titles, artists, top tags and tag probabilities; the parameters), so they are
//! recomputed exactly when the index or the inputs change.

mod barnes_hut;
pub mod cache;
pub mod sample;
mod tracks;
pub mod tsne;

use std::path::{Path, PathBuf};
use std::time::Instant;

use serde::{Deserialize, Serialize};

use crate::catalog::Catalog;
use crate::error::ErrorKind;
use crate::tag_space::TagSpace;

pub use cache::{CacheKey, Cached};
pub use tracks::{TrackFeatures, TrackSample};
pub use tsne::TsneParams;

/// Errors computing a map.
#[derive(Debug, thiserror::Error)]
pub enum MapError {
    /// The inputs cannot be embedded (ragged or non-finite vectors, bad parameters).
    #[error("invalid map input: {message}")]
    InvalidInput {
        /// What is wrong.
        message: String,
    },
    /// t-SNE failed.
    #[error("t-SNE failed: {message}")]
    Tsne {
        /// linfa-tsne's reason.
        message: String,
    },
    /// Reading or writing a cache file failed.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The cause.
        #[source]
        source: std::io::Error,
    },
}

impl MapError {
    /// What kind of failure this is: bad inputs are [`ErrorKind::Invalid`], a failed t-SNE or
    /// cache file [`ErrorKind::Internal`].
    pub fn kind(&self) -> ErrorKind {
        match self {
            MapError::InvalidInput { .. } => ErrorKind::Invalid,
            MapError::Tsne { .. } | MapError::Io { .. } => ErrorKind::Internal,
        }
    }
}

/// The tag map's perplexity: about 90 tags, each kept close to its ten or so nearest.
pub const TAG_MAP_PERPLEXITY: f64 = 10.0;

/// The default seed of both maps.
pub const DEFAULT_SEED: u64 = 42;

/// The tag map's t-SNE parameters: exact gradient, [`TAG_MAP_PERPLEXITY`], 1000 iterations.
pub fn tag_map_params() -> TsneParams {
    TsneParams {
        perplexity: TAG_MAP_PERPLEXITY,
        seed: DEFAULT_SEED,
        max_iter: 1000,
        theta: 0.0,
    }
}

/// One tag on the tag map.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TagPoint {
    /// The tag (canonical name).
    pub tag: String,
    /// The models that output it.
    pub models: Vec<String>,
    /// Horizontal position in `[-1, 1]`.
    pub x: f32,
    /// Vertical position in `[-1, 1]`.
    pub y: f32,
}

/// The tag map: the `/api/v1/map/tags` document.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TagMap {
    /// One point per tag, in the order given.
    pub points: Vec<TagPoint>,
    /// The seed of the layout.
    pub seed: u64,
    /// The perplexity used (lowered for very few tags, see [`TsneParams::effective_perplexity`]).
    pub perplexity: f64,
}

/// One track on the track map.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TrackPoint {
    /// The track id (32 hex digits).
    pub id: String,
    /// Its title.
    pub title: String,
    /// Its artist.
    pub artist: Option<String>,
    /// The tag it scores highest on, over all models.
    pub top_tag: Option<String>,
    /// Horizontal position in `[-1, 1]`.
    pub x: f32,
    /// Vertical position in `[-1, 1]`.
    pub y: f32,
}

/// The track map: the `/api/v1/map/tracks` document.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TrackMap {
    /// One point per mapped track, ordered by id.
    pub points: Vec<TrackPoint>,
    /// True when the catalog was sampled (fewer points than tracks).
    pub sampled: bool,
    /// Tracks in the catalog.
    pub total: usize,
}

/// The track map's parameters.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct TrackMapParams {
    /// t-SNE's parameters (the seed also picks the sample).
    pub tsne: TsneParams,
    /// The most tracks mapped; larger catalogs are sampled ([`sample::sample_by_id`]).
    pub max_tracks: usize,
}

impl Default for TrackMapParams {
    /// Barnes–Hut (θ = 0.5), perplexity 30, 1000 iterations, seed [`DEFAULT_SEED`], at most
    /// 3000 tracks.
    fn default() -> Self {
        TrackMapParams {
            tsne: TsneParams {
                perplexity: 30.0,
                seed: DEFAULT_SEED,
                max_iter: 1000,
                theta: 0.5,
            },
            max_tracks: 3000,
        }
    }
}

/// Lays out `tags` (with the `models` that output each, and their tag-space `vectors`).
pub fn tag_map(
    tags: &[String],
    models: &[Vec<String>],
    vectors: &[Vec<f32>],
    params: &TsneParams,
) -> Result<TagMap, MapError> {
    if tags.len() != vectors.len() || tags.len() != models.len() {
        return Err(MapError::InvalidInput {
            message: format!(
                "{} tags, {} model lists and {} vectors",
                tags.len(),
                models.len(),
                vectors.len()
            ),
        });
    }
    let coords = timed_embed("tag map", vectors, params)?;
    let points = tags
        .iter()
        .zip(models)
        .zip(coords)
        .map(|((tag, models), [x, y])| TagPoint {
            tag: tag.clone(),
            models: models.clone(),
            x,
            y,
        })
        .collect();
    Ok(TagMap {
        points,
        seed: params.seed,
        perplexity: params.effective_perplexity(tags.len()),
    })
}

/// The cache key of a [`tag_map`] of these inputs.
pub fn tag_map_key(
    tags: &[String],
    models: &[Vec<String>],
    vectors: &[Vec<f32>],
    params: &TsneParams,
) -> String {
    let mut key = CacheKey::new("tags");
    tsne_key(&mut key, params).u64(tags.len() as u64);
    for ((tag, models), vector) in tags.iter().zip(models).zip(vectors) {
        key.str(tag).u64(models.len() as u64);
        for m in models {
            key.str(m);
        }
        key.floats(vector);
    }
    key.finish()
}

/// [`tag_map`], cached in `<index_dir>/maps/tags.json`.
pub fn cached_tag_map(
    index_dir: &Path,
    tags: &[String],
    models: &[Vec<String>],
    vectors: &[Vec<f32>],
    params: &TsneParams,
) -> Result<Cached<TagMap>, MapError> {
    let key = tag_map_key(tags, models, vectors, params);
    cache::cached(&cache_path(index_dir, "tags"), &key, || {
        tag_map(tags, models, vectors, params)
    })
}

/// Lays out the tracks of `sample` ([`TrackSample::of`], [`TrackSample::of_catalog`]).
pub fn track_map(sample: &TrackSample, params: &TrackMapParams) -> Result<TrackMap, MapError> {
    let rows: Vec<Vec<f32>> = sample.tracks.iter().map(|t| t.features.clone()).collect();
    let coords = timed_embed("track map", &rows, &params.tsne)?;
    let points = sample
        .tracks
        .iter()
        .zip(coords)
        .map(|(t, [x, y])| TrackPoint {
            id: t.id.clone(),
            title: t.title.clone(),
            artist: t.artist.clone(),
            top_tag: t.top_tag.clone(),
            x,
            y,
        })
        .collect();
    Ok(TrackMap {
        points,
        sampled: sample.is_sampled(),
        total: sample.total,
    })
}

/// [`track_map`], cached in `<index_dir>/maps/tracks.json`. The key covers the sampled tracks
/// (everything a point shows and the probabilities it is placed by), the catalog size and the
/// parameters.
pub fn cached_track_map(
    index_dir: &Path,
    sample: &TrackSample,
    params: &TrackMapParams,
) -> Result<Cached<TrackMap>, MapError> {
    let mut key = CacheKey::new("tracks");
    tsne_key(&mut key, &params.tsne)
        .u64(params.max_tracks as u64)
        .u64(sample.total as u64)
        .u64(sample.tracks.len() as u64);
    for t in &sample.tracks {
        t.add_to_key(&mut key);
    }
    cache::cached(&cache_path(index_dir, "tracks"), &key.finish(), || {
        track_map(sample, params)
    })
}

/// The tag map of the union vocabulary (`space`'s tags), each tag with the models of `catalog`
/// that output it, from `space`'s tag vectors with [`tag_map_params`]; cached in `index_dir`
/// when there is one.
pub fn catalog_tag_map(
    index_dir: Option<&Path>,
    space: &TagSpace,
    catalog: &Catalog,
) -> Result<Cached<TagMap>, MapError> {
    let tags = space.tags().to_vec();
    let models: Vec<Vec<String>> = tags
        .iter()
        .map(|t| {
            let columns = catalog.tag_columns(t);
            columns
                .iter()
                .map(|&c| catalog.models()[catalog.columns()[c].model].name.clone())
                .collect()
        })
        .collect();
    let vectors: Vec<Vec<f32>> = (0..tags.len())
        .map(|i| space.tag_vector(i).to_vec())
        .collect();
    let params = tag_map_params();
    match index_dir {
        Some(dir) => cached_tag_map(dir, &tags, &models, &vectors, &params),
        None => uncached(|| tag_map(&tags, &models, &vectors, &params)),
    }
}

/// The track map of `catalog` with `params`; cached in `index_dir` when there is one.
pub fn catalog_track_map(
    index_dir: Option<&Path>,
    catalog: &Catalog,
    params: &TrackMapParams,
) -> Result<Cached<TrackMap>, MapError> {
    let sample = TrackSample::of_catalog(catalog, params);
    match index_dir {
        Some(dir) => cached_track_map(dir, &sample, params),
        None => uncached(|| track_map(&sample, params)),
    }
}

fn uncached<T>(compute: impl FnOnce() -> Result<T, MapError>) -> Result<Cached<T>, MapError> {
    let start = Instant::now();
    let map = compute()?;
    Ok(Cached {
        map,
        from_cache: false,
        seconds: start.elapsed().as_secs_f64(),
        path: None,
    })
}

/// `<index_dir>/maps/<name>.json`.
pub fn cache_path(index_dir: &Path, name: &str) -> PathBuf {
    index_dir.join(cache::MAPS_DIR).join(format!("{name}.json"))
}

fn tsne_key<'k>(key: &'k mut CacheKey, p: &TsneParams) -> &'k mut CacheKey {
    key.f64(p.perplexity)
        .u64(p.seed)
        .u64(p.max_iter as u64)
        .f64(p.theta)
}

/// [`tsne::embed`] with a log line before and after (t-SNE of thousands of points takes a while).
fn timed_embed(
    what: &str,
    rows: &[Vec<f32>],
    params: &TsneParams,
) -> Result<Vec<[f32; 2]>, MapError> {
    let dim = rows.first().map_or(0, Vec::len);
    tracing::info!(
        "{what}: t-SNE of {} points ({dim}-d), perplexity {:.1}, θ {}, {} iterations",
        rows.len(),
        params.effective_perplexity(rows.len()),
        params.theta,
        params.max_iter
    );
    let start = Instant::now();
    let coords = tsne::embed(rows, params)?;
    tracing::info!(
        "{what}: {} points laid out in {:.2} s",
        rows.len(),
        start.elapsed().as_secs_f64()
    );
    Ok(coords)
}
