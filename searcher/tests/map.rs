//! The t-SNE maps: the tag map on the real word vectors, the track map, their cache.

mod common;

use std::path::Path;
use std::time::Instant;

use musearch_searcher::map::{
    self, cached_tag_map, cached_track_map, tag_map, tag_map_params, track_map, TagMap,
    TrackFeatures, TrackMap, TrackMapParams, TrackSample, TsneParams,
};
use musearch_searcher::tag_space::{parse_synonyms, TagSpace, SYNONYMS_TSV};
use rand_xoshiro::rand_core::{RngCore, SeedableRng};
use rand_xoshiro::Xoshiro256PlusPlus;

/// The tag space over the union vocabulary on the real vectors (`$MUSEARCH_VECTORS`, else the
/// model store's spaCy vectors). Fails, with instructions, when the file is absent.
fn real_space() -> TagSpace {
    common::space(common::real_vectors())
}

/// Tags, their models (by vocabulary) and their tag-space vectors.
fn tag_inputs(space: &TagSpace) -> (Vec<String>, Vec<Vec<String>>, Vec<Vec<f32>>) {
    use musearch_models::tags::{normalize_tag, Vocabulary};
    let tags = space.tags().to_vec();
    let models = tags
        .iter()
        .map(|t| {
            [Vocabulary::MagnaTagATune, Vocabulary::MillionSong]
                .into_iter()
                .filter(|v| v.tags().iter().any(|x| normalize_tag(x) == *t))
                .map(|v| v.short_name().to_uppercase())
                .collect()
        })
        .collect();
    let vectors = (0..tags.len())
        .map(|i| space.tag_vector(i).to_vec())
        .collect();
    (tags, models, vectors)
}

fn distance(map: &TagMap, a: &str, b: &str) -> Option<f32> {
    let p = |t: &str| map.points.iter().find(|p| p.tag == t);
    let (a, b) = (p(a)?, p(b)?);
    Some(((a.x - b.x).powi(2) + (a.y - b.y).powi(2)).sqrt())
}

#[test]
fn tag_map_on_real_vectors_groups_synonyms() {
    let space = real_space();
    let (tags, models, vectors) = tag_inputs(&space);
    assert_eq!(tags, musearch_models::tags::union_vocabulary());
    let params = tag_map_params();
    let start = Instant::now();
    let map = tag_map(&tags, &models, &vectors, &params).unwrap();
    eprintln!(
        "tag map: {} tags in {:.2} s",
        map.points.len(),
        start.elapsed().as_secs_f64()
    );

    // One point per tag, in order, with its models, finite and inside [-1, 1].
    assert_eq!(map.points.len(), tags.len());
    for (p, (t, m)) in map.points.iter().zip(tags.iter().zip(&models)) {
        assert_eq!(&p.tag, t);
        assert_eq!(&p.models, m);
        assert!(p.x.is_finite() && p.y.is_finite());
        assert!(p.x.abs() <= 1.0 && p.y.abs() <= 1.0, "{p:?}");
    }
    let guitar = map.points.iter().find(|p| p.tag == "guitar").unwrap();
    assert_eq!(guitar.models, ["MTT", "MSD"]);
    assert_eq!(map.seed, params.seed);
    assert_eq!(map.perplexity, params.perplexity);

    // Synonyms (data/tag_synonyms.tsv) lie nearer each other than tags do on average.
    let mut synonym = Vec::new();
    for group in parse_synonyms(SYNONYMS_TSV) {
        for (i, a) in group.iter().enumerate() {
            for b in &group[i + 1..] {
                synonym.extend(distance(&map, a, b));
            }
        }
    }
    let mut all = Vec::new();
    for (i, a) in tags.iter().enumerate() {
        for b in &tags[i + 1..] {
            all.extend(distance(&map, a, b));
        }
    }
    let mean = |v: &[f32]| v.iter().sum::<f32>() / v.len() as f32;
    let (syn, any) = (mean(&synonym), mean(&all));
    eprintln!(
        "mean distance: {} synonym pairs {syn:.3}, all {} pairs {any:.3}",
        synonym.len(),
        all.len()
    );
    assert!(synonym.len() >= 20);
    assert!(syn < 0.5 * any, "synonyms {syn} vs all pairs {any}");
    for (a, b) in [("male vocal", "male voice"), ("female", "female vocal")] {
        let d = distance(&map, a, b).unwrap();
        assert!(d < any, "{a}–{b}: {d} vs mean {any}");
    }

    // Same seed, same map; another seed, another layout.
    assert_eq!(map, tag_map(&tags, &models, &vectors, &params).unwrap());
    let other = TsneParams { seed: 7, ..params };
    let moved = tag_map(&tags, &models, &vectors, &other).unwrap();
    assert_ne!(map.points, moved.points);
}

/// Tracks in three groups ("piano", "rock", "ambient"), 100 tag probabilities each, drawn from
/// a seeded generator.
fn synthetic_tracks(n: usize, seed: u64) -> Vec<TrackFeatures> {
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(seed);
    let mut unit = move || (rng.next_u32() >> 8) as f32 / (1u32 << 24) as f32;
    let groups = ["piano", "rock", "ambient"];
    (0..n)
        .map(|i| {
            let g = i % groups.len();
            let features = (0..100)
                .map(|t| {
                    let base = if t % groups.len() == g { 0.6 } else { 0.05 };
                    (base + 0.2 * unit()).min(1.0)
                })
                .collect();
            TrackFeatures {
                id: format!("{:032x}", (i as u128 + 1) * 0x9e37_79b9_7f4a_7c15),
                title: format!("Track {i}"),
                artist: (i % 2 == 0).then(|| format!("Artist {}", i % 7)),
                top_tag: Some(groups[g].to_string()),
                features,
            }
        })
        .collect()
}

/// The track map of a catalog given as `tracks`.
fn map_of(tracks: &[TrackFeatures], params: &TrackMapParams) -> TrackMap {
    track_map(&TrackSample::of(tracks.to_vec(), params), params).unwrap()
}

fn quick_track_params(max_tracks: usize) -> TrackMapParams {
    let mut p = TrackMapParams {
        max_tracks,
        ..TrackMapParams::default()
    };
    p.tsne.max_iter = 400;
    p
}

#[test]
fn track_map_samples_a_big_catalog_deterministically() {
    let tracks = synthetic_tracks(300, 1);
    let params = quick_track_params(120);
    let map = map_of(&tracks, &params);
    assert!(map.sampled);
    assert_eq!(map.total, 300);
    assert_eq!(map.points.len(), 120);
    assert!(map.points.windows(2).all(|w| w[0].id < w[1].id));
    for p in &map.points {
        let t = tracks.iter().find(|t| t.id == p.id).unwrap();
        assert_eq!(
            (&p.title, &p.artist, &p.top_tag),
            (&t.title, &t.artist, &t.top_tag)
        );
        assert!(p.x.is_finite() && p.y.is_finite() && p.x.abs() <= 1.0 && p.y.abs() <= 1.0);
    }
    // Tracks of a group lie nearer each other than tracks of different groups.
    let (mut same, mut diff) = ((0.0, 0), (0.0, 0));
    for a in &map.points {
        for b in &map.points {
            let d = ((a.x - b.x).powi(2) + (a.y - b.y).powi(2)).sqrt();
            let acc = if a.top_tag == b.top_tag {
                &mut same
            } else {
                &mut diff
            };
            acc.0 += d;
            acc.1 += 1;
        }
    }
    let (same, diff) = (same.0 / same.1 as f32, diff.0 / diff.1 as f32);
    assert!(same < 0.5 * diff, "same group {same}, different {diff}");

    // The same catalog in another order gives the same map.
    let mut shuffled = tracks.clone();
    shuffled.reverse();
    assert_eq!(map_of(&shuffled, &params), map);
    // Another seed samples and lays out differently.
    let mut reseeded = params;
    reseeded.tsne.seed += 1;
    let other = map_of(&tracks, &reseeded);
    assert_ne!(other.points, map.points);

    // A small catalog is mapped whole.
    let small = map_of(&tracks[..50], &params);
    assert!(!small.sampled);
    assert_eq!((small.points.len(), small.total), (50, 50));
    // A track without probabilities is left out but counted.
    let mut with_gap = tracks[..50].to_vec();
    with_gap[0].features[0] = f32::NAN;
    let gap = map_of(&with_gap, &params);
    assert_eq!((gap.points.len(), gap.total), (49, 50));
    assert!(gap.sampled && gap.points.iter().all(|p| p.id != with_gap[0].id));
    // No tracks, no points.
    let empty = map_of(&[], &params);
    assert!(empty.points.is_empty() && !empty.sampled && empty.total == 0);
}

/// The modification time of the cache file, to tell a rewrite from a reuse.
fn written_at(path: &Path) -> std::time::SystemTime {
    std::fs::metadata(path).unwrap().modified().unwrap()
}

#[test]
fn tag_map_cache_is_reused_until_an_input_changes() {
    let dir = tempfile::tempdir().unwrap();
    // Small synthetic inputs: the cache logic does not depend on where the vectors come from.
    let tracks = synthetic_tracks(30, 2);
    let tags: Vec<String> = tracks.iter().map(|t| t.title.clone()).collect();
    let models = vec![vec!["MTT".to_string()]; tags.len()];
    let mut vectors: Vec<Vec<f32>> = tracks.iter().map(|t| t.features.clone()).collect();
    let params = TsneParams {
        max_iter: 300,
        ..tag_map_params()
    };

    let first = cached_tag_map(dir.path(), &tags, &models, &vectors, &params).unwrap();
    assert!(!first.from_cache);
    assert_eq!(first.path, Some(dir.path().join("maps/tags.json")));
    let path = first.path.clone().unwrap();
    let stamp = written_at(&path);
    let again = cached_tag_map(dir.path(), &tags, &models, &vectors, &params).unwrap();
    assert!(again.from_cache);
    assert_eq!(again.map, first.map);
    assert_eq!(again.seconds, first.seconds);
    assert_eq!(written_at(&path), stamp);

    // A changed vector, model list or parameter is recomputed (and the new map cached).
    vectors[3][0] += 0.5;
    let changed = cached_tag_map(dir.path(), &tags, &models, &vectors, &params).unwrap();
    assert!(!changed.from_cache);
    assert_ne!(changed.map, first.map);
    assert!(
        cached_tag_map(dir.path(), &tags, &models, &vectors, &params)
            .unwrap()
            .from_cache
    );
    let mut two_models = models.clone();
    two_models[0].push("MSD".into());
    assert!(
        !cached_tag_map(dir.path(), &tags, &two_models, &vectors, &params)
            .unwrap()
            .from_cache
    );
    let reseeded = TsneParams { seed: 1, ..params };
    assert!(
        !cached_tag_map(dir.path(), &tags, &two_models, &vectors, &reseeded)
            .unwrap()
            .from_cache
    );
}

#[test]
fn track_map_cache_follows_the_catalog() {
    let dir = tempfile::tempdir().unwrap();
    let mut tracks = synthetic_tracks(60, 3);
    let params = quick_track_params(40);
    let map_of_catalog = |tracks: &[_]| {
        cached_track_map(
            dir.path(),
            &TrackSample::of(tracks.to_vec(), &params),
            &params,
        )
        .unwrap()
    };
    let first = map_of_catalog(&tracks);
    assert!(!first.from_cache);
    assert_eq!(first.map, map_of(&tracks, &params));
    assert!(map_of_catalog(&tracks).from_cache);

    // A retitled track that is on the map: recomputed.
    let shown = &first.map.points[0].id;
    let i = tracks.iter().position(|t| &t.id == shown).unwrap();
    tracks[i].title.push_str(" (remaster)");
    let retitled = map_of_catalog(&tracks);
    assert!(!retitled.from_cache);
    assert_eq!(retitled.map.points[0].title, tracks[i].title);
    // A new track (the catalog size is part of the key, even if it is not sampled).
    tracks.extend(synthetic_tracks(61, 4).pop());
    let grown = map_of_catalog(&tracks);
    assert!(!grown.from_cache);
    assert_eq!(grown.map.total, 61);
    assert!(map_of_catalog(&tracks).from_cache);
    assert!(dir.path().join("maps/tracks.json").is_file());
    assert_eq!(Some(map::cache_path(dir.path(), "tracks")), grown.path);
}

/// How long the default track map takes on a 3000-track catalog (the default sample size):
/// `cargo test --release -p musearch-searcher --test map -- --ignored --nocapture`.
#[test]
#[ignore = "timing, run by hand (see docs/BENCHMARKS.md)"]
fn track_map_timing_3000() {
    let tracks = synthetic_tracks(5000, 5);
    let params = TrackMapParams::default();
    let start = Instant::now();
    let map = map_of(&tracks, &params);
    let secs = start.elapsed().as_secs_f64();
    println!(
        "track map: {} of {} tracks ({}-d), perplexity {}, θ {}, {} iterations: {secs:.2} s",
        map.points.len(),
        map.total,
        tracks[0].features.len(),
        params.tsne.perplexity,
        params.tsne.theta,
        params.tsne.max_iter
    );
    assert_eq!(map.points.len(), 3000);
}
