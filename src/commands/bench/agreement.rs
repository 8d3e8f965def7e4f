//! How far two taggers agree on one track: the overlap of their top-5 tags and whether their
//! top tag is the same.

/// How many top tags are compared.
pub const TOP: usize = 5;

/// Agreement of two rankings of one track's tags (highest first).
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize)]
pub struct TrackAgreement {
    /// Tags in both top-[`TOP`] lists.
    pub overlap: usize,
    /// `overlap / TOP`.
    pub overlap_share: f64,
    /// Whether both rankings start with the same tag.
    pub top1_match: bool,
}

/// Compares the first [`TOP`] tags of `a` and `b` (each highest first; a tag listed twice in
/// one list counts once).
pub fn agreement<S: AsRef<str>>(a: &[S], b: &[S]) -> TrackAgreement {
    let top_a: Vec<&str> = a.iter().take(TOP).map(AsRef::as_ref).collect();
    let top_b: Vec<&str> = b.iter().take(TOP).map(AsRef::as_ref).collect();
    let overlap = top_a
        .iter()
        .enumerate()
        .filter(|&(i, tag)| !top_a[..i].contains(tag) && top_b.contains(tag))
        .count();
    TrackAgreement {
        overlap,
        overlap_share: overlap as f64 / TOP as f64,
        top1_match: matches!((top_a.first(), top_b.first()), (Some(x), Some(y)) if x == y),
    }
}

/// Agreement over many tracks.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize)]
pub struct AgreementSummary {
    /// Tracks compared.
    pub tracks: usize,
    /// Mean overlap of the top-[`TOP`] lists, in tags (0 to [`TOP`]).
    pub mean_overlap: f64,
    /// Mean of `overlap / TOP`.
    pub mean_overlap_share: f64,
    /// The smallest overlap of any track.
    pub min_overlap: usize,
    /// Tracks whose top tag is the same on both sides.
    pub top1_matches: usize,
    /// `top1_matches / tracks`.
    pub top1_share: f64,
}

/// Sums up per-track agreements (all zero for no track).
pub fn summarise(tracks: &[TrackAgreement]) -> AgreementSummary {
    let n = tracks.len();
    let div = n.max(1) as f64;
    let top1_matches = tracks.iter().filter(|t| t.top1_match).count();
    let total: usize = tracks.iter().map(|t| t.overlap).sum();
    AgreementSummary {
        tracks: n,
        mean_overlap: total as f64 / div,
        mean_overlap_share: total as f64 / TOP as f64 / div,
        min_overlap: tracks.iter().map(|t| t.overlap).min().unwrap_or(0),
        top1_matches,
        top1_share: top1_matches as f64 / div,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn identical_lists_agree_fully() {
        let tags = ["techno", "electronic", "synth", "fast", "beat", "drums"];
        let a = agreement(&tags, &tags);
        assert_eq!(
            a,
            TrackAgreement {
                overlap: 5,
                overlap_share: 1.0,
                top1_match: true
            }
        );
    }

    #[test]
    fn overlap_ignores_order_and_tags_past_the_fifth() {
        // musicnn's README clip: the same five tags in another order, and a sixth that differs.
        let musearch = ["techno", "electronic", "synth", "fast", "beat", "drums"];
        let musicnn = ["electronic", "techno", "beat", "synth", "fast", "ambient"];
        let a = agreement(&musearch, &musicnn);
        assert_eq!((a.overlap, a.top1_match), (5, false));
        // "drums" is sixth in one list and absent from the other: it does not count.
        let musicnn = ["techno", "piano", "synth", "classical", "drums"];
        let a = agreement(&musearch, &musicnn);
        assert_eq!((a.overlap, a.top1_match), (2, true));
        assert!((a.overlap_share - 0.4).abs() < 1e-12);
    }

    #[test]
    fn short_empty_and_repeated_lists() {
        let a = agreement(&["rock", "rock", "guitar"], &["rock", "guitar"]);
        assert_eq!((a.overlap, a.top1_match), (2, true));
        let empty: [&str; 0] = [];
        let a = agreement(&empty, &["rock"]);
        assert_eq!((a.overlap, a.top1_match), (0, false));
    }

    #[test]
    fn summary_means_min_and_top1_share() {
        let tracks = [
            agreement(&["a", "b", "c", "d", "e"], &["a", "b", "c", "d", "e"]),
            agreement(&["a", "b", "c", "d", "e"], &["b", "a", "c", "x", "y"]),
            agreement(&["a", "b", "c", "d", "e"], &["a", "v", "w", "x", "y"]),
        ];
        let s = summarise(&tracks);
        assert_eq!((s.tracks, s.min_overlap, s.top1_matches), (3, 1, 2));
        assert!((s.mean_overlap - 3.0).abs() < 1e-12); // (5 + 3 + 1) / 3
        assert!((s.mean_overlap_share - 0.6).abs() < 1e-12);
        assert!((s.top1_share - 2.0 / 3.0).abs() < 1e-12);
        assert_eq!(summarise(&[]).mean_overlap, 0.0);
    }
}
