//! What the track map needs of a track, and the sample of a catalog it shows.

use crate::catalog::Catalog;

use super::{sample, CacheKey, TrackMapParams};

/// One track as the track map sees it.
#[derive(Debug, Clone, PartialEq)]
pub struct TrackFeatures {
    /// The track id (32 hex digits).
    pub id: String,
    /// Its title.
    pub title: String,
    /// Its artist.
    pub artist: Option<String>,
    /// The tag it scores highest on.
    pub top_tag: Option<String>,
    /// Every model's tag probabilities, concatenated in the index's model order.
    pub features: Vec<f32>,
}

impl TrackFeatures {
    /// Adds everything of this track that a map shows or is computed from to `key`.
    pub(super) fn add_to_key(&self, key: &mut CacheKey) {
        key.str(&self.id)
            .str(&self.title)
            .str(self.artist.as_deref().unwrap_or("\u{0}none"))
            .str(self.top_tag.as_deref().unwrap_or("\u{0}none"))
            .floats(&self.features);
    }
}

/// The tracks a track map shows: at most [`TrackMapParams::max_tracks`] of a catalog, chosen by
/// [`sample::sample_by_id`] among the tracks whose probabilities are all known, ordered by id.
#[derive(Debug, Clone, PartialEq)]
pub struct TrackSample {
    /// The chosen tracks, ordered by id.
    pub tracks: Vec<TrackFeatures>,
    /// Tracks in the catalog (the chosen ones, the others, and any without probabilities).
    pub total: usize,
}

impl TrackSample {
    /// The sample of a catalog given as `tracks` (tracks with non-finite features are left out).
    pub fn of(tracks: Vec<TrackFeatures>, params: &TrackMapParams) -> TrackSample {
        let total = tracks.len();
        let usable: Vec<TrackFeatures> = tracks
            .into_iter()
            .filter(|t| t.features.iter().all(|v| v.is_finite()))
            .collect();
        let ids: Vec<&str> = usable.iter().map(|t| t.id.as_str()).collect();
        let chosen = sample::sample_by_id(&ids, params.max_tracks, params.tsne.seed);
        let tracks = chosen.iter().map(|&i| usable[i].clone()).collect();
        TrackSample { tracks, total }
    }

    /// The sample of the engine's catalog: features are built for the chosen tracks only (a
    /// track lacking one of the models' outputs is left out).
    pub fn of_catalog(catalog: &Catalog, params: &TrackMapParams) -> TrackSample {
        let usable: Vec<usize> = (0..catalog.len())
            .filter(|&i| catalog.probabilities(i).iter().all(|v| v.is_finite()))
            .collect();
        let ids: Vec<String> = usable
            .iter()
            .map(|&i| catalog.tracks()[i].id.to_hex())
            .collect();
        let id_refs: Vec<&str> = ids.iter().map(String::as_str).collect();
        let chosen = sample::sample_by_id(&id_refs, params.max_tracks, params.tsne.seed);
        let tracks = chosen
            .into_iter()
            .map(|k| {
                let i = usable[k];
                let track = &catalog.tracks()[i];
                let features = catalog.probabilities(i).to_vec();
                let top = features
                    .iter()
                    .enumerate()
                    .max_by(|a, b| a.1.total_cmp(b.1))
                    .map(|(c, _)| catalog.columns()[c].tag.clone());
                TrackFeatures {
                    id: ids[k].clone(),
                    title: track.title(),
                    artist: track.metadata.artist.clone(),
                    top_tag: top,
                    features,
                }
            })
            .collect();
        TrackSample {
            tracks,
            total: catalog.len(),
        }
    }

    /// True when the sample leaves tracks out.
    pub fn is_sampled(&self) -> bool {
        self.tracks.len() < self.total
    }
}
