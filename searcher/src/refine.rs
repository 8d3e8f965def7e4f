//! Refinement of a ranking before it is shown: the rules that keep a first page sensible on a
//! real catalog, applied after scoring to the first [`RefineOptions::window`] tracks.
//!
//! Calibration ranks each track against the rest of the catalog, so on a catalog without any
//! punk the "most punk" track still gets a high calibrated score. The rules, in order:
//!
//! 1. **Near-duplicates collapse**: a track whose audio embedding has a cosine of at least
//!    [`RefineOptions::duplicate_similarity`] with a better-ranked one (the same recording in two
//!    formats, loop variants) is folded into it and listed in its versions.
//! 2. **Demotions**: a track is moved below every track that is not demoted when
//!    * *weak evidence*: its raw probability for every positively weighted tag of the query is
//!      below [`RefineOptions::evidence_floor`] (and it has no text match);
//!    * *short*: it lasts less than [`RefineOptions::min_length_secs`], unless the query asks for
//!      short things ("short", "jingle" …) or sets a duration filter;
//!    * *near-silent*: most of it is near-silent ([`RefineOptions::silent_share`]) or its whole
//!      level is below [`RefineOptions::silent_dbfs`], unless the query asks for silence.
//!
//!    Demoted tracks keep their relative order: weak-evidence music first, then short or
//!    near-silent clips.
//! 3. **Diversity**: at most `max_per_album` tracks of one album (its album tag, else the
//!    folder of its first file) per round; the tracks over the cap wait for the next round, so
//!    the first page mixes albums while every track stays in the ranking.
//!
//! When no track of the window has good evidence, [`Refined::nothing_matches_well`] is true and
//! the engine adds a note to the response; the best available tracks are still returned, marked.

use std::collections::HashMap;

use crate::catalog::Catalog;
use crate::track_index::SparseQuery;

/// The refinement's thresholds and switches (the `[ranking]` table of `musearch.toml`).
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct RefineOptions {
    /// A track whose probability for every asked tag is below this has weak evidence.
    pub evidence_floor: f32,
    /// Tracks shorter than this (seconds) are demoted unless the query asks for short ones.
    pub min_length_secs: f64,
    /// A track with at least this share of near-silent 50 ms blocks is near-silent.
    pub silent_share: f32,
    /// A track whose RMS level (dBFS) is below this is near-silent.
    pub silent_dbfs: f32,
    /// Two tracks whose audio embeddings have at least this cosine are one recording. The
    /// default, 0.985, is above the 0.974 that two different pieces of one soundtrack reach on
    /// the demo catalog (mean embeddings of whole tracks sit close together); the same audio
    /// in two files is near 1.
    pub duplicate_similarity: f32,
    /// Whether the diversity rule applies (a request may turn it off).
    pub diversity: bool,
    /// The most tracks of one album per round of the diversity rule.
    pub max_per_album: usize,
    /// How many of the ranking's first tracks are refined (the rest follow unchanged).
    pub window: usize,
}

impl Default for RefineOptions {
    fn default() -> Self {
        RefineOptions {
            evidence_floor: 0.15,
            min_length_secs: 25.0,
            silent_share: 0.5,
            silent_dbfs: -50.0,
            duplicate_similarity: 0.985,
            diversity: true,
            max_per_album: 3,
            window: 60,
        }
    }
}

impl RefineOptions {
    /// Every rule off: the ranking as scored (the engine before refinement; for comparisons
    /// and for tests of the scoring itself).
    pub fn off() -> RefineOptions {
        RefineOptions {
            evidence_floor: 0.0,
            min_length_secs: 0.0,
            silent_share: f32::INFINITY,
            silent_dbfs: f32::NEG_INFINITY,
            duplicate_similarity: f32::INFINITY,
            diversity: false,
            ..RefineOptions::default()
        }
    }
}

/// Words that ask for short tracks: a query with one of them keeps short clips in place.
pub const SHORT_WORDS: &[&str] = &[
    "short", "shorter", "shortest", "brief", "jingle", "jingles", "sting", "stinger", "stingers",
    "sfx", "clip", "clips", "snippet", "snippets", "intro", "outro", "fanfare",
];

/// Words that ask for silence: a query with one of them keeps near-silent tracks in place.
pub const SILENCE_WORDS: &[&str] = &["silence", "silent", "silences", "nothing"];

/// Why a track was moved down.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Demotion {
    /// No asked tag has a probability above the evidence floor.
    WeakEvidence,
    /// Shorter than the minimum length.
    Short,
    /// Near-silent.
    NearSilent,
}

impl Demotion {
    /// The code in the API (`weak_evidence`, `short`, `near_silent`).
    pub fn code(self) -> &'static str {
        match self {
            Demotion::WeakEvidence => "weak_evidence",
            Demotion::Short => "short",
            Demotion::NearSilent => "near_silent",
        }
    }
}

/// What the query asks of the refinement.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RefineRequest<'a> {
    /// The query's weighted (model, tag) columns.
    pub query: &'a SparseQuery,
    /// The query asks for short tracks (a word of [`SHORT_WORDS`], or a duration filter).
    pub asks_short: bool,
    /// The query asks for silence (a word of [`SILENCE_WORDS`]).
    pub asks_silence: bool,
    /// The diversity cap for this request (`None`: off).
    pub max_per_album: Option<usize>,
}

impl RefineRequest<'_> {
    /// Whether the query `words` ask for short tracks (or a duration filter is set).
    pub fn wants_short(words: &[String], duration_filter: bool) -> bool {
        duration_filter || words.iter().any(|w| SHORT_WORDS.contains(&w.as_str()))
    }

    /// Whether the query `words` ask for silence.
    pub fn wants_silence(words: &[String]) -> bool {
        words.iter().any(|w| SILENCE_WORDS.contains(&w.as_str()))
    }
}

/// One track as ranked, refined.
#[derive(Debug, Clone, PartialEq)]
pub struct RefinedTrack {
    /// The catalog index.
    pub id: usize,
    /// Its score in the ranking.
    pub score: f32,
    /// Its text match (rank, BM25), if any.
    pub text: Option<(usize, f32)>,
    /// Why it was moved down (empty: it was not).
    pub demoted: Vec<Demotion>,
    /// Near-duplicates folded into it (catalog indices, best-ranked first).
    pub versions: Vec<usize>,
}

impl RefinedTrack {
    /// Whether its evidence is weak.
    pub fn weak(&self) -> bool {
        self.demoted.contains(&Demotion::WeakEvidence)
    }

    /// Its tier: 0 not demoted, 1 weak evidence only, 2 short or near-silent.
    fn tier(&self) -> u8 {
        if self
            .demoted
            .iter()
            .any(|d| matches!(d, Demotion::Short | Demotion::NearSilent))
        {
            2
        } else {
            u8::from(self.weak())
        }
    }
}

/// A refined ranking.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Refined {
    /// The tracks, best first.
    pub tracks: Vec<RefinedTrack>,
    /// How many tracks were folded into others as near-duplicates.
    pub collapsed: usize,
    /// True when the query had tags to meet and no track of the window met them well.
    pub nothing_matches_well: bool,
}

/// The key of a track's album: its album tag (case-folded), else the folder of its first file.
pub fn album_key(catalog: &Catalog, i: usize) -> String {
    catalog.tracks()[i].album_key()
}

/// The demotions of track `i` for `request`.
fn demotions(
    catalog: &Catalog,
    i: usize,
    text: bool,
    request: &RefineRequest<'_>,
    options: &RefineOptions,
) -> Vec<Demotion> {
    let mut out = Vec::new();
    let probabilities = catalog.probabilities(i);
    let mut asked = request
        .query
        .terms
        .iter()
        .filter(|&&(_, w)| w > 0.0)
        .map(|&(c, _)| probabilities[c])
        .filter(|p| !p.is_nan())
        .peekable();
    if asked.peek().is_some() && !text && asked.all(|p| p < options.evidence_floor) {
        out.push(Demotion::WeakEvidence);
    }
    let t = &catalog.tracks()[i];
    if !request.asks_short && t.duration_secs < options.min_length_secs {
        out.push(Demotion::Short);
    }
    if !request.asks_silence {
        if let Some(s) = t.signal {
            if s.silent_share >= options.silent_share || s.rms_dbfs < options.silent_dbfs {
                out.push(Demotion::NearSilent);
            }
        }
    }
    out
}

/// One ranked track before refinement: catalog index, score, and the text match (BM25 rank and
/// score) when the track's metadata matched the query.
pub type RankedTrack = (usize, f32, Option<(usize, f32)>);

/// Cosine of two catalog embeddings (unit length, or zero when missing: then 0).
pub fn cosine(catalog: &Catalog, a: usize, b: usize) -> f32 {
    crate::ann::dot(catalog.embedding(a), catalog.embedding(b))
}

/// Where the near-duplicate test checks its bound: after this many leading dimensions.
const DUPLICATE_CUTS: [usize; 3] = [32, 64, 128];

/// Slack on the near-duplicate bound for rounding: the bound never rules out a pair the full
/// dot product keeps.
const DUPLICATE_BOUND_SLACK: f32 = 1e-5;

/// An embedding prepared for the near-duplicate test. After the first `c` dimensions, the dot
/// product of two embeddings is at most the dot product so far plus the product of the norms of
/// the rest (Cauchy–Schwarz), so a pair is ruled out at the first cut where that bound falls
/// under the threshold, without reading the rest. Two pieces of one style typically differ by
/// noise spread over every dimension, so the bound needs a few dozen dimensions to drop; the
/// cuts grow so that such pairs are ruled out after 64 of 400, and pieces of different styles
/// after 32.
struct SplitEmbedding<'a> {
    values: &'a [f32],
    /// The norm of `values[cut..]` for each cut of `DUPLICATE_CUTS` inside the embedding.
    rest_norms: [f32; DUPLICATE_CUTS.len()],
    has_embedding: bool,
}

impl<'a> SplitEmbedding<'a> {
    fn new(values: &'a [f32]) -> Self {
        let mut rest_norms = [0.0; DUPLICATE_CUTS.len()];
        for (norm, &cut) in rest_norms.iter_mut().zip(&DUPLICATE_CUTS) {
            let rest = &values[cut.min(values.len())..];
            *norm = crate::ann::dot(rest, rest).sqrt();
        }
        SplitEmbedding {
            values,
            rest_norms,
            has_embedding: values.iter().any(|&x| x != 0.0),
        }
    }

    /// Whether the dot product with `other` (the cosine, for unit embeddings) is `>= threshold`:
    /// exactly [`crate::ann::dot`]'s answer, computed in full only when the bounds allow it.
    #[inline(always)]
    fn similarity_at_least(&self, other: &SplitEmbedding<'_>, threshold: f32) -> bool {
        let (a, b) = (self.values, other.values);
        if a.len() != b.len() {
            return false;
        }
        let mut so_far = 0.0;
        let mut from = 0;
        for (k, &cut) in DUPLICATE_CUTS.iter().enumerate() {
            if cut >= a.len() {
                break;
            }
            so_far += crate::ann::dot_lanes(&a[from..cut], &b[from..cut]);
            from = cut;
            if so_far + self.rest_norms[k] * other.rest_norms[k] < threshold - DUPLICATE_BOUND_SLACK
            {
                return false;
            }
        }
        crate::ann::dot_lanes(a, b) >= threshold
    }
}

/// The first of `kept` at least `threshold` similar to `candidate`. The whole loop is compiled
/// for AVX when the processor has it (as [`crate::ann::dot`] chooses, with the same results):
/// a window of `n` tracks makes up to `n (n − 1) / 2` comparisons per search.
fn first_twin(
    kept: &[SplitEmbedding<'_>],
    candidate: &SplitEmbedding<'_>,
    threshold: f32,
) -> Option<usize> {
    #[cfg(target_arch = "x86_64")]
    if std::arch::is_x86_feature_detected!("avx") {
        // SAFETY: the processor supports AVX (checked just above).
        return unsafe { first_twin_avx(kept, candidate, threshold) };
    }
    first_twin_lanes(kept, candidate, threshold)
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx")]
unsafe fn first_twin_avx(
    kept: &[SplitEmbedding<'_>],
    candidate: &SplitEmbedding<'_>,
    threshold: f32,
) -> Option<usize> {
    first_twin_lanes(kept, candidate, threshold)
}

#[inline(always)]
fn first_twin_lanes(
    kept: &[SplitEmbedding<'_>],
    candidate: &SplitEmbedding<'_>,
    threshold: f32,
) -> Option<usize> {
    kept.iter()
        .position(|k| k.similarity_at_least(candidate, threshold))
}

/// Refines `ranked` (catalog index, score, text match; best first): the first
/// `options.window` tracks go through the rules of the module documentation, the rest follow
/// in their order (near-duplicates of a refined track among them are folded in too).
pub fn refine(
    catalog: &Catalog,
    ranked: &[RankedTrack],
    request: &RefineRequest<'_>,
    options: &RefineOptions,
) -> Refined {
    let window = options.window.min(ranked.len());
    // 1. Near-duplicates, in ranking order: each track is compared with the representatives
    // kept so far.
    let mut kept: Vec<RefinedTrack> = Vec::with_capacity(window);
    // Each kept track's split embedding (see `SplitEmbedding`), parallel to `kept`.
    let mut kept_split: Vec<SplitEmbedding> = Vec::with_capacity(window);
    let mut collapsed = 0;
    for &(id, score, text) in &ranked[..window] {
        let split = SplitEmbedding::new(catalog.embedding(id));
        let twin = split
            .has_embedding
            .then(|| first_twin(&kept_split, &split, options.duplicate_similarity))
            .flatten();
        match twin {
            Some(k) => {
                kept[k].versions.push(id);
                collapsed += 1;
            }
            None => {
                kept_split.push(split);
                kept.push(RefinedTrack {
                    id,
                    score,
                    text,
                    demoted: Vec::new(),
                    versions: Vec::new(),
                });
            }
        }
    }
    // 2. Demotions: a stable sort by tier.
    for k in &mut kept {
        k.demoted = demotions(catalog, k.id, k.text.is_some(), request, options);
    }
    let has_positive = request.query.terms.iter().any(|&(_, w)| w > 0.0);
    let nothing_matches_well = has_positive && !kept.is_empty() && kept.iter().all(|k| k.weak());
    kept.sort_by_key(RefinedTrack::tier);
    // 3. Diversity, in rounds of `max_per_album` per album.
    if let Some(cap) = request.max_per_album.filter(|&c| c > 0) {
        kept = diversify(catalog, kept, cap);
    }
    let rest = ranked[window..]
        .iter()
        .map(|&(id, score, text)| RefinedTrack {
            id,
            score,
            text,
            demoted: Vec::new(),
            versions: Vec::new(),
        });
    kept.extend(rest);
    Refined {
        tracks: kept,
        collapsed,
        nothing_matches_well,
    }
}

/// Reorders `tracks` so that no album has more than `cap` tracks in a round: round one takes,
/// in order, each album's first `cap` tracks; round two the next `cap`; and so on. Demotion
/// tiers are kept: the rounds run within each tier.
fn diversify(catalog: &Catalog, tracks: Vec<RefinedTrack>, cap: usize) -> Vec<RefinedTrack> {
    // An album's n-th track (counting from 0 within its tier) belongs to round n / cap; a stable
    // sort by (tier, round) then gives each round's tracks in their ranking order. One pass and
    // one sort, where taking the rounds one after another would walk the list once per round.
    let mut seen: HashMap<(u8, u32), usize> = HashMap::new();
    let mut keyed: Vec<((u8, usize), RefinedTrack)> = tracks
        .into_iter()
        .map(|k| {
            let tier = k.tier();
            let n = seen.entry((tier, catalog.album_group(k.id))).or_default();
            let round = *n / cap;
            *n += 1;
            ((tier, round), k)
        })
        .collect();
    keyed.sort_by_key(|(key, _)| *key);
    keyed.into_iter().map(|(_, k)| k).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalog::{CatalogBuilder, CatalogTrack};
    use musearch_index::{Metadata, ModelSpec, SignalFacts, TrackId};

    /// One track of a test catalog: (probability of tag "piano", duration, album, embedding
    /// direction, signal).
    struct T {
        p: f32,
        secs: f64,
        album: &'static str,
        dir: usize,
        signal: Option<SignalFacts>,
    }

    fn t(p: f32, secs: f64, album: &'static str, dir: usize) -> T {
        T {
            p,
            secs,
            album,
            dir,
            signal: None,
        }
    }

    fn catalog(tracks: &[T]) -> Catalog {
        let spec = ModelSpec {
            name: "MTT_musicnn".into(),
            version: "1".into(),
            tags: vec!["piano".into(), "drums".into()],
            embedding_dim: 8,
        };
        let mut b = CatalogBuilder::new(std::slice::from_ref(&spec));
        for (i, tr) in tracks.iter().enumerate() {
            let mut emb = vec![0.0f32; 8];
            emb[tr.dir % 8] = 1.0;
            // A small, distinct second component: near-identical within a direction.
            emb[(tr.dir + 1) % 8] = 0.05 * (i % 3) as f32;
            let track = CatalogTrack {
                id: TrackId([i as u8; 16]),
                paths: vec![format!("/music/{}/{i}.ogg", tr.album)],
                duration_secs: tr.secs,
                codec: "vorbis".into(),
                sample_rate: 44_100,
                channels: 2,
                metadata: Metadata::default(),
                taggrams: Vec::new(),
                warnings: Vec::new(),
                signal: tr.signal,
            };
            let probs = [tr.p, 0.5];
            b.push(track, &[Some(&probs)], &[Some(&emb)]);
        }
        b.build()
    }

    fn piano() -> SparseQuery {
        SparseQuery {
            terms: vec![(0, 1.0)],
        }
    }

    fn request(q: &SparseQuery) -> RefineRequest<'_> {
        RefineRequest {
            query: q,
            asks_short: false,
            asks_silence: false,
            max_per_album: None,
        }
    }

    /// Ranked in catalog order, scores falling.
    fn ranked(n: usize) -> Vec<RankedTrack> {
        (0..n).map(|i| (i, 10.0 - i as f32, None)).collect()
    }

    fn ids(r: &Refined) -> Vec<usize> {
        r.tracks.iter().map(|k| k.id).collect()
    }

    #[test]
    fn weak_evidence_is_demoted_below_good_evidence_and_marked() {
        let c = catalog(&[
            t(0.05, 200.0, "a", 0),
            t(0.9, 200.0, "b", 1),
            t(0.3, 200.0, "c", 2),
        ]);
        let q = piano();
        let r = refine(&c, &ranked(3), &request(&q), &RefineOptions::default());
        assert_eq!(ids(&r), vec![1, 2, 0]);
        assert_eq!(r.tracks[2].demoted, vec![Demotion::WeakEvidence]);
        assert!(r.tracks[0].demoted.is_empty());
        assert!(!r.nothing_matches_well);
        // A text match is evidence of its own.
        let mut with_text = ranked(3);
        with_text[0].2 = Some((1, 3.0));
        let r = refine(&c, &with_text, &request(&q), &RefineOptions::default());
        assert_eq!(ids(&r), vec![0, 1, 2]);
    }

    #[test]
    fn when_nothing_matches_well_the_best_are_still_returned_marked() {
        let c = catalog(&[t(0.1, 200.0, "a", 0), t(0.02, 200.0, "b", 1)]);
        let q = piano();
        let r = refine(&c, &ranked(2), &request(&q), &RefineOptions::default());
        assert_eq!(ids(&r), vec![0, 1]);
        assert!(r.tracks.iter().all(RefinedTrack::weak));
        assert!(r.nothing_matches_well);
        // No positive tag asked (negations only): no floor, no note.
        let neg = SparseQuery {
            terms: vec![(1, -1.0)],
        };
        let r = refine(&c, &ranked(2), &request(&neg), &RefineOptions::default());
        assert!(r.tracks.iter().all(|k| k.demoted.is_empty()));
        assert!(!r.nothing_matches_well);
    }

    #[test]
    fn short_and_silent_tracks_are_demoted_unless_asked_for() {
        let silent = SignalFacts {
            rms_dbfs: -70.0,
            silent_share: 0.95,
        };
        let loud = SignalFacts {
            rms_dbfs: -14.0,
            silent_share: 0.0,
        };
        let mut quiet = t(0.9, 120.0, "b", 1);
        quiet.signal = Some(silent);
        let mut fine = t(0.8, 120.0, "c", 2);
        fine.signal = Some(loud);
        let c = catalog(&[t(0.9, 5.0, "a", 0), quiet, fine, t(0.05, 300.0, "d", 3)]);
        let q = piano();
        let r = refine(&c, &ranked(4), &request(&q), &RefineOptions::default());
        // Good music, then weak music, then the clips.
        assert_eq!(ids(&r), vec![2, 3, 0, 1]);
        assert_eq!(r.tracks[2].demoted, vec![Demotion::Short]);
        assert_eq!(r.tracks[3].demoted, vec![Demotion::NearSilent]);

        let asked = RefineRequest {
            asks_short: true,
            asks_silence: true,
            ..request(&q)
        };
        let r = refine(&c, &ranked(4), &asked, &RefineOptions::default());
        assert_eq!(ids(&r), vec![0, 1, 2, 3]);
        // The length is configurable.
        let opts = RefineOptions {
            min_length_secs: 3.0,
            ..RefineOptions::default()
        };
        let r = refine(&c, &ranked(4), &request(&q), &opts);
        assert!(r
            .tracks
            .iter()
            .find(|k| k.id == 0)
            .unwrap()
            .demoted
            .is_empty());
        // What asks for it.
        let words = |s: &str| s.split(' ').map(String::from).collect::<Vec<_>>();
        assert!(RefineRequest::wants_short(
            &words("short victory jingle"),
            false
        ));
        assert!(RefineRequest::wants_short(&words("calm piano"), true));
        assert!(!RefineRequest::wants_short(&words("calm piano"), false));
        assert!(RefineRequest::wants_silence(&words("silence")));
        assert!(!RefineRequest::wants_silence(&words("quiet piano")));
    }

    #[test]
    fn near_duplicates_collapse_into_the_best_ranked_version() {
        // Tracks 0 and 2 share an embedding direction (cosine ≥ 0.99), 1 is different.
        let c = catalog(&[
            t(0.9, 200.0, "a", 0),
            t(0.9, 200.0, "b", 4),
            t(0.9, 200.0, "a", 0),
        ]);
        let q = piano();
        let r = refine(&c, &ranked(3), &request(&q), &RefineOptions::default());
        assert_eq!(ids(&r), vec![0, 1]);
        assert_eq!(r.tracks[0].versions, vec![2]);
        assert_eq!(r.collapsed, 1);
        // A stricter threshold keeps them apart.
        let opts = RefineOptions {
            duplicate_similarity: 0.9999,
            ..RefineOptions::default()
        };
        let r = refine(&c, &ranked(3), &request(&q), &opts);
        assert_eq!(ids(&r), vec![0, 1, 2]);
    }

    #[test]
    fn diversity_caps_an_album_per_round_and_can_be_turned_off() {
        // Five tracks of album "a" first, then two of "b" (distinct embeddings: no collapse).
        let tracks: Vec<T> = (0..7)
            .map(|i| t(0.9, 200.0, if i < 5 { "a" } else { "b" }, i))
            .collect();
        let c = catalog(&tracks);
        let q = piano();
        let capped = RefineRequest {
            max_per_album: Some(3),
            ..request(&q)
        };
        let opts = RefineOptions::default();
        let r = refine(&c, &ranked(7), &capped, &opts);
        assert_eq!(ids(&r), vec![0, 1, 2, 5, 6, 3, 4]);
        let r = refine(&c, &ranked(7), &request(&q), &opts);
        assert_eq!(ids(&r), (0..7).collect::<Vec<_>>());
        // Without an album tag, the folder is the album.
        assert_eq!(album_key(&c, 0), "dir:/music/a");
    }

    #[test]
    fn every_rule_can_be_off() {
        let mut quiet = t(0.01, 2.0, "a", 0);
        quiet.signal = Some(SignalFacts {
            rms_dbfs: -120.0,
            silent_share: 1.0,
        });
        let c = catalog(&[quiet, t(0.9, 200.0, "a", 0), t(0.9, 200.0, "a", 2)]);
        let q = piano();
        let r = refine(&c, &ranked(3), &request(&q), &RefineOptions::off());
        assert_eq!(ids(&r), vec![0, 1, 2]);
        assert!(r
            .tracks
            .iter()
            .all(|k| k.demoted.is_empty() && k.versions.is_empty()));
    }

    #[test]
    fn only_the_window_is_refined() {
        let c = catalog(&[
            t(0.05, 200.0, "a", 0),
            t(0.9, 200.0, "b", 1),
            t(0.01, 200.0, "c", 2),
        ]);
        let q = piano();
        let opts = RefineOptions {
            window: 2,
            ..RefineOptions::default()
        };
        let r = refine(&c, &ranked(3), &request(&q), &opts);
        assert_eq!(ids(&r), vec![1, 0, 2]);
        assert!(r.tracks[2].demoted.is_empty());
    }

    #[test]
    fn the_bounded_test_answers_as_the_full_dot_product() {
        // Positive unit vectors around a common direction (as tag probabilities are), with
        // cosines spread over the threshold: the bounded test agrees with the full product on
        // every pair.
        let mut state = 0x9e37_79b9_u32;
        let mut next = move || {
            state ^= state << 13;
            state ^= state >> 17;
            state ^= state << 5;
            state as f32 / u32::MAX as f32
        };
        let base: Vec<f32> = (0..100).map(|_| next()).collect();
        let vectors: Vec<Vec<f32>> = (0..200)
            .map(|i| {
                let spread = 0.002 * (i % 40) as f32;
                let mut v: Vec<f32> = base.iter().map(|&b| b + spread * next()).collect();
                let n = crate::ann::dot(&v, &v).sqrt();
                v.iter_mut().for_each(|x| *x /= n);
                v
            })
            .collect();
        let (mut kept, mut ruled_out) = (0, 0);
        for threshold in [0.985f32, 0.999, 0.9999] {
            for a in &vectors {
                for b in &vectors {
                    let full = crate::ann::dot(a, b) >= threshold;
                    let bounded = SplitEmbedding::new(a)
                        .similarity_at_least(&SplitEmbedding::new(b), threshold);
                    assert_eq!(bounded, full, "threshold {threshold}");
                    if full {
                        kept += 1;
                    } else {
                        ruled_out += 1;
                    }
                }
            }
        }
        assert!(
            kept > 1000 && ruled_out > 1000,
            "{kept} kept, {ruled_out} ruled out"
        );
    }
}
