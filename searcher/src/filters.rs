//! Search filters: checked once per request ([`TrackFilter::compile`] refuses nonsense with a
//! typed error), then applied as a mask over the catalog.

use crate::catalog::{Catalog, CatalogTrack};
use crate::engine::{EngineError, Result};
use crate::response::Filters;

/// Filters, validated and normalised.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct TrackFilter {
    min_duration: Option<f64>,
    max_duration: Option<f64>,
    /// Lower case.
    artist: Option<String>,
    /// Lower case, without a leading dot.
    format: Option<String>,
}

impl TrackFilter {
    /// Validates `filters`: durations finite and not negative, min ≤ max; empty text filters are
    /// ignored.
    pub fn compile(filters: &Filters) -> Result<TrackFilter> {
        for (name, value) in [
            ("min_duration", filters.min_duration),
            ("max_duration", filters.max_duration),
        ] {
            if let Some(v) = value {
                if !v.is_finite() || v < 0.0 {
                    return Err(EngineError::invalid(
                        "invalid_duration",
                        format!("{name} must be a number of seconds >= 0, not {v}"),
                    ));
                }
            }
        }
        if let (Some(lo), Some(hi)) = (filters.min_duration, filters.max_duration) {
            if lo > hi {
                return Err(EngineError::invalid(
                    "invalid_duration",
                    format!("min_duration ({lo}) is greater than max_duration ({hi})"),
                ));
            }
        }
        let text = |s: &Option<String>| {
            s.as_deref()
                .map(|s| s.trim().trim_start_matches('.').to_lowercase())
                .filter(|s| !s.is_empty())
        };
        Ok(TrackFilter {
            min_duration: filters.min_duration,
            max_duration: filters.max_duration,
            artist: text(&filters.artist),
            format: text(&filters.format),
        })
    }

    /// True when the filter lets every track through.
    pub fn is_empty(&self) -> bool {
        *self == TrackFilter::default()
    }

    /// Whether `track` passes.
    pub fn accepts(&self, track: &CatalogTrack) -> bool {
        if self.min_duration.is_some_and(|m| track.duration_secs < m)
            || self.max_duration.is_some_and(|m| track.duration_secs > m)
        {
            return false;
        }
        if let Some(artist) = &self.artist {
            let found = track
                .metadata
                .artist
                .as_deref()
                .is_some_and(|a| a.to_lowercase().contains(artist.as_str()));
            if !found {
                return false;
            }
        }
        if let Some(format) = &self.format {
            if track.format() != *format && track.codec.to_lowercase() != *format {
                return false;
            }
        }
        true
    }

    /// The mask of accepted tracks (`None` when the filter is empty) and how many pass.
    pub fn mask(&self, catalog: &Catalog) -> (Option<Vec<bool>>, usize) {
        if self.is_empty() {
            return (None, catalog.len());
        }
        let mask: Vec<bool> = catalog.tracks().iter().map(|t| self.accepts(t)).collect();
        let count = mask.iter().filter(|&&b| b).count();
        (Some(mask), count)
    }
}
