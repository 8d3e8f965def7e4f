//! The search engine over a real index (sled + tantivy, written through the indexer's API) of
//! synthetic tracks, with the tiny GloVe fixture as word vectors: literal tags, negation, text
//! fallback, pagination, explanations, filters, similar tracks, typed errors, and the HNSW path
//! against the exact scan.

mod common;

use std::path::PathBuf;
use std::sync::OnceLock;

use musearch_index::{Change, Metadata, ModelSpec, ModelTags, TrackId, TrackRecord};
use musearch_indexer::Index;
use musearch_models::tags::{MSD_TAGS, MTT_TAGS};
use musearch_searcher::catalog::Catalog;
use musearch_searcher::engine::{open_tag_spaces, Engine, EngineOptions};
use musearch_searcher::refine::RefineOptions;
use musearch_searcher::response::{Filters, SearchRequest, SearchResponse};
use musearch_searcher::similar::{SimilarMode, SimilarOptions};
use musearch_searcher::track_index::TrackIndexOptions;

const EMBEDDING: usize = 4;

fn models() -> Vec<ModelSpec> {
    let spec = |name: &str, tags: &[&str]| ModelSpec {
        name: name.into(),
        version: "test".into(),
        tags: tags.iter().map(|t| t.to_string()).collect(),
        embedding_dim: EMBEDDING,
    };
    vec![
        spec("MTT_musicnn", &MTT_TAGS),
        spec("MSD_musicnn", &MSD_TAGS),
    ]
}

/// One synthetic track: `strong` tags get their probability in every model that has them,
/// every other tag a small track-dependent value; the embedding is `group`'s direction plus a
/// small offset shared by the pair `(i / 2)`, so track `2k` and `2k + 1` are each other's
/// nearest.
struct Spec {
    title: &'static str,
    artist: &'static str,
    ext: &'static str,
    strong: &'static [(&'static str, f32)],
    group: usize,
}

const SPECS: &[Spec] = &[
    // 0: the most "piano" track, but with drums.
    Spec {
        title: "Hammer Keys",
        artist: "Ivory Band",
        ext: "ogg",
        strong: &[("piano", 0.97), ("drums", 0.9)],
        group: 0,
    },
    Spec {
        title: "Soft Keys",
        artist: "Ivory Band",
        ext: "ogg",
        strong: &[("piano", 0.9)],
        group: 0,
    },
    Spec {
        title: "Night Etude",
        artist: "Ivory Band",
        ext: "mp3",
        strong: &[("piano", 0.85), ("classical", 0.6)],
        group: 0,
    },
    Spec {
        title: "Morning Etude",
        artist: "Clara Keys",
        ext: "flac",
        strong: &[("piano", 0.8), ("classical", 0.7)],
        group: 0,
    },
    Spec {
        title: "Rain Waltz",
        artist: "Clara Keys",
        ext: "ogg",
        strong: &[("piano", 0.75)],
        group: 0,
    },
    Spec {
        title: "Last Waltz",
        artist: "Clara Keys",
        ext: "mp3",
        strong: &[("piano", 0.7)],
        group: 0,
    },
    Spec {
        title: "Riff One",
        artist: "Loud Amps",
        ext: "ogg",
        strong: &[("guitar", 0.9), ("drums", 0.85), ("rock", 0.9)],
        group: 1,
    },
    Spec {
        title: "Riff Two",
        artist: "Loud Amps",
        ext: "mp3",
        strong: &[("guitar", 0.85), ("drums", 0.8), ("rock", 0.85)],
        group: 1,
    },
    Spec {
        title: "Stage Dive",
        artist: "Loud Amps",
        ext: "ogg",
        strong: &[("guitar", 0.8), ("rock", 0.8), ("metal", 0.7)],
        group: 1,
    },
    Spec {
        title: "Encore",
        artist: "Loud Amps",
        ext: "flac",
        strong: &[("guitar", 0.75), ("drums", 0.7), ("rock", 0.75)],
        group: 1,
    },
    Spec {
        title: "Pulse",
        artist: "Grid Runner",
        ext: "opus",
        strong: &[("techno", 0.9), ("electronic", 0.9), ("beat", 0.8)],
        group: 2,
    },
    Spec {
        title: "Circuit",
        artist: "Grid Runner",
        ext: "opus",
        strong: &[("techno", 0.85), ("electronic", 0.85), ("synth", 0.8)],
        group: 2,
    },
    Spec {
        title: "Neon",
        artist: "Grid Runner",
        ext: "ogg",
        strong: &[("electronic", 0.8), ("dance", 0.8), ("beat", 0.7)],
        group: 2,
    },
    Spec {
        title: "Voltage",
        artist: "Grid Runner",
        ext: "mp3",
        strong: &[("techno", 0.8), ("electronic", 0.75)],
        group: 2,
    },
    Spec {
        title: "Quasar Nocturne",
        artist: "Zyxxor Quintet",
        ext: "ogg",
        strong: &[("ambient", 0.8)],
        group: 3,
    },
    Spec {
        title: "Quasar Dawn",
        artist: "Zyxxor Quintet",
        ext: "ogg",
        strong: &[("ambient", 0.75)],
        group: 3,
    },
    Spec {
        title: "Drift",
        artist: "Slow Tide",
        ext: "flac",
        strong: &[("ambient", 0.7), ("slow", 0.8)],
        group: 3,
    },
    Spec {
        title: "Tide",
        artist: "Slow Tide",
        ext: "flac",
        strong: &[("ambient", 0.65), ("slow", 0.75)],
        group: 3,
    },
];

fn duration(i: usize) -> f64 {
    60.0 + 30.0 * i as f64
}

fn record(i: usize, spec: &Spec, models: &[ModelSpec]) -> TrackRecord {
    let mut id = [0u8; 16];
    id[0] = i as u8 + 1;
    id[15] = 0xab;
    let tags = models
        .iter()
        .map(|m| {
            let probabilities = m
                .tags
                .iter()
                .enumerate()
                .map(|(t, tag)| {
                    spec.strong
                        .iter()
                        .find(|(s, _)| s == tag)
                        .map(|(_, p)| *p)
                        .unwrap_or(0.01 + 0.002 * ((i * 7 + t * 3) % 11) as f32)
                })
                .collect();
            let mut embedding = vec![0.0; EMBEDDING];
            embedding[spec.group] = 1.0;
            let pair = (i / 2) as f32;
            embedding[(spec.group + 1) % EMBEDDING] = 0.05 * pair + 0.001 * (i % 2) as f32;
            ModelTags {
                model: m.name.clone(),
                version: m.version.clone(),
                probabilities,
                taggram: Default::default(),
                embedding,
            }
        })
        .collect();
    TrackRecord {
        id: TrackId(id),
        paths: vec![format!("/music/{i:02} {}.{}", spec.title, spec.ext)],
        size: 1000,
        mtime_ns: 0,
        duration_secs: duration(i),
        sample_rate: 44_100,
        channels: 2,
        codec: match spec.ext {
            "ogg" => "vorbis",
            other => other,
        }
        .into(),
        metadata: Metadata {
            title: Some(spec.title.into()),
            artist: Some(spec.artist.into()),
            album: None,
            genre: None,
            year: Some(2020),
            track_number: Some(i as u32 + 1),
        },
        models: tags,
        indexed_at: 0,
        warnings: Vec::new(),
        signal: None,
    }
}

fn records() -> Vec<TrackRecord> {
    let models = models();
    SPECS
        .iter()
        .enumerate()
        .map(|(i, s)| record(i, s, &models))
        .collect()
}

/// The tiny vectors, and the ranking as scored: these tests check the scoring itself (the
/// fixture's pairs of near-identical embeddings would otherwise be folded, its one folder is one
/// album); `refined_rankings_*` check the refinement on the same catalog.
fn tiny_options() -> EngineOptions {
    EngineOptions {
        vectors: vec![common::repo_root().join("fixtures/vectors/glove-50d-tiny.fifu")],
        refine: RefineOptions::off(),
        ..EngineOptions::default()
    }
}

/// The index written once through the indexer, and the engine opened on it.
fn engine() -> &'static Engine {
    static ENGINE: OnceLock<(PathBuf, Engine)> = OnceLock::new();
    &ENGINE
        .get_or_init(|| {
            let dir = tempfile::tempdir().unwrap().keep();
            {
                let mut index = Index::open(&dir).unwrap();
                index.set_models(&models()).unwrap();
                index
                    .apply(&Change {
                        upserts: records(),
                        ..Change::default()
                    })
                    .unwrap();
                index.commit().unwrap();
            }
            let engine = Engine::open(&dir, &tiny_options()).unwrap();
            (dir, engine)
        })
        .1
}

fn search(query: &str) -> SearchResponse {
    engine().search(&SearchRequest::new(query)).unwrap()
}

fn titles(r: &SearchResponse) -> Vec<&str> {
    r.results.iter().map(|h| h.track.title.as_str()).collect()
}

fn rank_of(r: &SearchResponse, title: &str) -> usize {
    titles(r)
        .iter()
        .position(|t| *t == title)
        .unwrap_or(usize::MAX)
}

#[test]
fn the_engine_reads_every_visible_track() {
    let stats = engine().stats();
    assert_eq!(stats.tracks, SPECS.len());
    assert_eq!(stats.models, vec!["MTT_musicnn", "MSD_musicnn"]);
    let expected_hours: f64 = (0..SPECS.len()).map(duration).sum::<f64>() / 3600.0;
    assert!((stats.hours - expected_hours).abs() < 1e-9);
    let tags = engine().tags();
    let rock = tags.iter().find(|t| t.name == "rock").unwrap();
    assert_eq!(rock.models, vec!["MTT_musicnn", "MSD_musicnn"]);
    assert!(rock.base_rate > 0.1 && rock.base_rate < 0.5, "{rock:?}");
}

#[test]
fn a_literal_tag_ranks_its_tracks_first_with_an_explanation() {
    let r = search("piano");
    assert!(!r.interpreted.text_only);
    assert_eq!(r.interpreted.tags[0].tag, "piano");
    let top: Vec<&str> = titles(&r)[..6].to_vec();
    for title in [
        "Hammer Keys",
        "Soft Keys",
        "Night Etude",
        "Morning Etude",
        "Rain Waltz",
        "Last Waltz",
    ] {
        assert!(
            top.contains(&title),
            "{title} not in the first six: {top:?}"
        );
    }
    let first = &r.results[0];
    let piano = first
        .explanation
        .tags
        .iter()
        .find(|t| t.tag == "piano")
        .expect("piano explained");
    assert_eq!(piano.model, "MTT_musicnn");
    assert!((piano.probability - 0.97).abs() < 1e-6);
    assert!(piano.calibrated > 1.0, "{piano:?}");
    assert!((piano.contribution - piano.weight * piano.calibrated).abs() < 1e-5);
    let total: f32 = first.explanation.tags.iter().map(|t| t.contribution).sum();
    assert!(
        (total - first.score).abs() < 1e-4,
        "{total} vs {}",
        first.score
    );
    // Scores decrease down the list.
    assert!(r.results.windows(2).all(|w| w[0].score >= w[1].score));
}

#[test]
fn negation_pushes_a_tag_down() {
    let plain = search("piano");
    let negated = search("piano without drums");
    assert_eq!(negated.interpreted.negated, vec!["drums"]);
    let drums = negated
        .interpreted
        .tags
        .iter()
        .find(|t| t.tag == "drums")
        .expect("drums in the plan");
    assert!(drums.weight < 0.0);
    // The piano track with drums ranks first for "piano", below every drum-less piano track
    // when drums are negated.
    assert_eq!(rank_of(&plain, "Hammer Keys"), 0);
    let hammer = rank_of(&negated, "Hammer Keys");
    for title in [
        "Soft Keys",
        "Night Etude",
        "Morning Etude",
        "Rain Waltz",
        "Last Waltz",
    ] {
        assert!(
            rank_of(&negated, title) < hammer,
            "{title}: {:?}",
            titles(&negated)
        );
    }
    let explained = &negated.results[hammer].explanation.tags;
    let d = explained.iter().find(|t| t.tag == "drums").unwrap();
    assert!(d.contribution < 0.0, "{d:?}");
}

#[test]
fn words_the_vectors_do_not_know_fall_back_to_text_search() {
    let r = search("zyxxor");
    assert!(r.interpreted.text_only, "{:?}", r.interpreted);
    assert_eq!(r.interpreted.unknown, vec!["zyxxor"]);
    assert_eq!(r.total, 2);
    let mut got = titles(&r);
    got.sort();
    assert_eq!(got, vec!["Quasar Dawn", "Quasar Nocturne"]);
    let text = r.results[0].explanation.text.as_ref().unwrap();
    assert_eq!(text.rank, 1);
    assert!(text.score > 0.0);
    // A word nothing knows is an empty result, not an error.
    let none = search("qwxzv");
    assert_eq!(none.total, 0);
    assert!(none.results.is_empty());
}

#[test]
fn a_text_match_is_fused_with_the_tag_ranking() {
    // "quasar" is unknown to the tiny vectors, "ambient" a tag: both tracks named Quasar are
    // ambient and match the text, so they lead; the other ambient tracks follow.
    let r = search("ambient quasar");
    assert!(!r.interpreted.text_only);
    let top: Vec<&str> = titles(&r)[..2].to_vec();
    assert!(
        top.contains(&"Quasar Nocturne") && top.contains(&"Quasar Dawn"),
        "{top:?}"
    );
    assert!(r.results[0].explanation.text.is_some());
    assert_eq!(r.total, SPECS.len());
}

#[test]
fn pages_are_disjoint_and_the_total_is_stable() {
    let engine = engine();
    let page = |offset| {
        engine
            .search(&SearchRequest {
                limit: 4,
                offset,
                ..SearchRequest::new("electronic dance")
            })
            .unwrap()
    };
    let all = engine
        .search(&SearchRequest {
            limit: 12,
            ..SearchRequest::new("electronic dance")
        })
        .unwrap();
    let mut joined = Vec::new();
    for offset in [0, 4, 8] {
        let p = page(offset);
        assert_eq!(p.total, all.total);
        assert_eq!(p.offset, offset);
        assert_eq!(p.results.len(), 4);
        joined.extend(p.results.into_iter().map(|h| h.track.id));
    }
    let expected: Vec<String> = all.results.into_iter().map(|h| h.track.id).collect();
    assert_eq!(joined, expected);
    // Past the end: an empty page, same total.
    let end = page(SPECS.len());
    assert!(end.results.is_empty());
    assert_eq!(end.total, all.total);
}

#[test]
fn filters_restrict_results_and_the_total() {
    let engine = engine();
    let with = |filters: Filters| {
        engine
            .search(&SearchRequest {
                filters,
                limit: 50,
                ..SearchRequest::new("piano")
            })
            .unwrap()
    };
    let r = with(Filters {
        artist: Some("clara".into()),
        ..Filters::default()
    });
    assert_eq!(r.total, 3);
    assert!(r
        .results
        .iter()
        .all(|h| h.track.artist.as_deref() == Some("Clara Keys")));
    let r = with(Filters {
        format: Some("OGG".into()),
        ..Filters::default()
    });
    assert!(r.total > 0 && r.results.iter().all(|h| h.track.format == "ogg"));
    let vorbis = with(Filters {
        format: Some("vorbis".into()),
        ..Filters::default()
    });
    assert_eq!(vorbis.total, r.total);
    let r = with(Filters {
        min_duration: Some(100.0),
        max_duration: Some(200.0),
        ..Filters::default()
    });
    // Durations 60 + 30 i: i = 2, 3, 4 are within [100, 200].
    assert_eq!(r.total, 3);
    assert!(r
        .results
        .iter()
        .all(|h| (100.0..=200.0).contains(&h.track.duration_secs)));
    // Filters apply to text-only results too.
    let r = engine
        .search(&SearchRequest {
            filters: Filters {
                max_duration: Some(duration(14)),
                ..Filters::default()
            },
            ..SearchRequest::new("zyxxor")
        })
        .unwrap();
    assert_eq!(titles(&r), vec!["Quasar Nocturne"]);
}

#[test]
fn similar_returns_the_nearest_embedding_first_never_itself() {
    let engine = engine();
    let id = |i: usize| records()[i].id.to_hex();
    for (a, b) in [(0, 1), (7, 6), (10, 11), (15, 14)] {
        let r = engine.similar(&id(a), 3, 0).unwrap();
        assert_eq!(r.id, id(a));
        assert_eq!(r.results[0].track.id, id(b), "nearest of {a}");
        assert!(r.results.iter().all(|h| h.track.id != id(a)));
        assert!(r.results[0].similarity > 0.99);
        assert!(r
            .results
            .windows(2)
            .all(|w| w[0].similarity >= w[1].similarity));
        assert_eq!(r.total, SPECS.len() - 1);
    }
    // By file path as well as by id, and paged.
    let path = records()[0].paths[0].clone();
    let by_path = engine.similar(&path, 2, 1).unwrap();
    assert_eq!(by_path.id, id(0));
    assert_eq!(by_path.results.len(), 2);
}

#[test]
fn the_similar_graph_is_built_on_request_and_agrees_with_the_exact_scan() {
    let catalog = Catalog::from_records(&models(), records());
    let options = EngineOptions {
        similar: SimilarOptions {
            hnsw_min_tracks: 0,
            ..SimilarOptions::default()
        },
        ..tiny_options()
    };
    let exact = engine();
    let graph = Engine::from_catalog(
        catalog,
        open_tag_spaces(&tiny_options()).unwrap(),
        None,
        &options,
    )
    .unwrap();
    // Opening never builds the graph: queries scan until someone asks for it.
    assert_eq!(exact.similar_mode(), SimilarMode::Exact);
    assert_eq!(graph.similar_mode(), SimilarMode::Building);
    let id = |i: usize| records()[i].id.to_hex();
    let before = graph.similar(&id(0), 5, 0).unwrap();
    assert!(graph.build_similar_graph());
    assert_eq!(graph.similar_mode(), SimilarMode::Graph);
    assert!(
        !exact.build_similar_graph(),
        "a small catalog wants no graph"
    );
    for i in [0, 7, 10, 15] {
        let a = exact.similar(&id(i), 3, 0).unwrap();
        let b = graph.similar(&id(i), 3, 0).unwrap();
        let ids = |r: &musearch_searcher::response::SimilarResponse| {
            r.results
                .iter()
                .map(|h| h.track.id.clone())
                .collect::<Vec<_>>()
        };
        assert_eq!(ids(&a), ids(&b), "neighbours of {i}");
        assert_eq!(a.total, b.total);
    }
    let after = graph.similar(&id(0), 5, 0).unwrap();
    assert_eq!(before.results[0].track.id, after.results[0].track.id);
}

#[test]
fn tracks_tags_and_audio_files() {
    let engine = engine();
    let rec = &records()[3];
    let detail = engine.track(&rec.id.to_hex()).unwrap();
    assert_eq!(detail.track.title, "Morning Etude");
    assert_eq!(detail.track.format, "flac");
    assert_eq!(detail.models.len(), 2);
    assert_eq!(detail.models[0].tags[0].tag, "piano");
    assert_eq!(detail.track.id, rec.id.to_hex());
    assert!(engine.track("00").is_none());
    // The files of the synthetic records do not exist: no file to serve.
    assert!(engine.audio_file(&rec.id.to_hex()).is_none());
    // A tag both models output: one explanation entry per model.
    let r = engine.tag_tracks("Electronic", 2, 0).unwrap();
    assert_eq!(titles(&r), vec!["Pulse", "Circuit"]);
    assert_eq!(r.results[0].explanation.tags.len(), 2);
    assert_eq!(r.total, SPECS.len());
    let next = engine.tag_tracks("electronic", 2, 2).unwrap();
    assert_eq!(titles(&next), vec!["Neon", "Voltage"]);
}

#[test]
fn bad_requests_are_typed_errors() {
    let engine = engine();
    let code = |r: musearch_searcher::engine::Result<SearchResponse>| r.unwrap_err().code();
    assert_eq!(
        code(engine.search(&SearchRequest::new("   "))),
        "empty_query"
    );
    assert_eq!(
        code(engine.search(&SearchRequest {
            limit: 0,
            ..SearchRequest::new("piano")
        })),
        "invalid_limit"
    );
    assert_eq!(
        code(engine.search(&SearchRequest {
            filters: Filters {
                min_duration: Some(10.0),
                max_duration: Some(5.0),
                ..Filters::default()
            },
            ..SearchRequest::new("piano")
        })),
        "invalid_duration"
    );
    assert_eq!(
        code(engine.search(&SearchRequest {
            filters: Filters {
                min_duration: Some(f64::NAN),
                ..Filters::default()
            },
            ..SearchRequest::new("piano")
        })),
        "invalid_duration"
    );
    assert_eq!(
        code(engine.tag_tracks("no such tag", 5, 0)),
        "tag_not_found"
    );
    let err = engine.similar("0123", 5, 0).unwrap_err();
    assert_eq!(err.code(), "track_not_found");
    assert!(err.is_client_error());
    let missing = Engine::open(std::path::Path::new("/nonexistent/index"), &tiny_options());
    assert!(missing.is_err());
}

#[test]
fn the_hnsw_path_agrees_with_the_exact_scan() {
    let catalog = Catalog::from_records(&models(), records());
    let options = |hnsw_min_tracks| EngineOptions {
        tracks: TrackIndexOptions {
            hnsw_min_tracks,
            ..TrackIndexOptions::default()
        },
        ..tiny_options()
    };
    let exact = Engine::from_catalog(
        catalog.clone(),
        open_tag_spaces(&tiny_options()).unwrap(),
        None,
        &options(usize::MAX),
    )
    .unwrap();
    let graph = Engine::from_catalog(
        catalog,
        open_tag_spaces(&tiny_options()).unwrap(),
        None,
        &options(0),
    )
    .unwrap();
    assert!(graph.track_index().has_hnsw() && !exact.track_index().has_hnsw());
    for q in ["piano", "piano without drums", "rock guitar", "ambient"] {
        let a = exact.search(&SearchRequest::new(q)).unwrap();
        let b = graph.search(&SearchRequest::new(q)).unwrap();
        let ids = |r: &SearchResponse| {
            r.results
                .iter()
                .map(|h| h.track.id.clone())
                .collect::<Vec<_>>()
        };
        assert_eq!(ids(&a)[..5], ids(&b)[..5], "{q}");
    }
}

/// The same index as [`engine`], searched with the default refinement.
fn refined_engine() -> Engine {
    let catalog = Catalog::from_records(&models(), records());
    let options = EngineOptions {
        refine: RefineOptions::default(),
        ..tiny_options()
    };
    Engine::from_catalog(catalog, open_tag_spaces(&options).unwrap(), None, &options).unwrap()
}

#[test]
fn refined_rankings_fold_near_duplicates_and_put_weak_evidence_last() {
    let engine = refined_engine();
    let r = engine
        .search(&SearchRequest {
            limit: 100,
            ..SearchRequest::new("piano")
        })
        .unwrap();
    // The tracks of one group have near-identical embeddings (cosine > 0.99): one result per
    // group, the best-ranked, listing the others in ranking order.
    let groups = 4;
    assert_eq!(r.results.len(), groups, "{:?}", titles(&r));
    assert_eq!(r.total, groups);
    let id = |i: usize| records()[i].id.to_hex();
    let first = &r.results[0];
    assert_eq!(first.track.id, id(0), "{:?}", titles(&r));
    let versions: Vec<&str> = first.versions.iter().map(|v| v.id.as_str()).collect();
    assert_eq!(versions, (1..6).map(id).collect::<Vec<_>>());
    assert!(first.versions.iter().all(|v| v.similarity >= 0.97));
    // The piano group leads; the others (piano p ≈ 0.02) follow, marked as weak matches.
    let weak: Vec<bool> = r.results.iter().map(|h| h.weak_match).collect();
    assert_eq!(weak, [false, true, true, true]);
    for h in &r.results[1..] {
        assert_eq!(h.demoted, vec!["weak_evidence"]);
    }
    assert_eq!(r.note, None);
    // One chip per tag name, both models' evidence where both have the tag.
    let rock = engine.search(&SearchRequest::new("rock")).unwrap();
    let by_tag = &rock.results[0].explanation.by_tag;
    let entry = by_tag.iter().find(|e| e.tag == "rock").unwrap();
    let models: Vec<&str> = entry.models.iter().map(|m| m.model.as_str()).collect();
    assert_eq!(models, ["MTT_musicnn", "MSD_musicnn"]);
    let sum: f32 = entry.models.iter().map(|m| m.contribution).sum();
    assert!((entry.contribution - sum).abs() < 1e-6);
}

#[test]
fn refined_rankings_say_when_nothing_matches_well() {
    let engine = refined_engine();
    // No track has any "flute" at all (p ≈ 0.02 everywhere).
    let r = engine.search(&SearchRequest::new("flute")).unwrap();
    assert!(!r.results.is_empty());
    assert!(r.results.iter().all(|h| h.weak_match));
    assert!(r
        .note
        .as_deref()
        .unwrap()
        .contains("nothing in the catalog matches"));
}
