//! End-to-end: index the fixture clips with the real `musearch index` (MTT_musicnn and
//! MSD_musicnn imported from the musicnn wheel into a fresh store), then `musearch search` and
//! `musearch similar` on that index, with the tiny GloVe fixture as word vectors.
//!
//! Needs the unpacked musicnn wheel: see `scripts/fetch-musicnn-wheel.sh` and
//! `MUSEARCH_MUSICNN_WHEEL_DIR`.

#![cfg(feature = "torch")]

mod common;

use std::path::{Path, PathBuf};

use common::{fixture, import_musicnn_ok, musearch_ok as musearch};
use musearch_searcher::response::{SearchResponse, SimilarResponse};

/// The clips indexed: one real recording in three encodings, and other real clips.
const CLIPS: &[&str] = &[
    "real_44k_stereo.flac",
    "real_44k_stereo.mp3",
    "real_44k_stereo.m4a",
    "real_48k_stereo.ogg",
    "real_48k_stereo.opus",
    "real_16k_mono.wav",
    "real_22k_mono.wav",
    "short_2s_16k.wav",
];

fn tiny_vectors() -> String {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fixtures/vectors/glove-50d-tiny.fifu")
        .display()
        .to_string()
}

/// A store with both MTT and MSD musicnn, an index of [`CLIPS`], and the music folder.
fn indexed() -> (tempfile::TempDir, PathBuf, PathBuf) {
    let store = tempfile::tempdir().unwrap();
    import_musicnn_ok(store.path(), &["MTT_musicnn", "MSD_musicnn"]);
    let music = store.path().join("music");
    std::fs::create_dir_all(&music).unwrap();
    for clip in CLIPS {
        std::fs::copy(fixture(clip), music.join(clip)).unwrap();
    }
    let index = store.path().join("index");
    musearch(
        store.path(),
        &[
            "index",
            music.to_str().unwrap(),
            "--index",
            index.to_str().unwrap(),
            "--device",
            "cpu",
        ],
    );
    (store, index, music)
}

fn search_json(store: &Path, index: &Path, extra: &[&str]) -> SearchResponse {
    let vectors = tiny_vectors();
    let mut args = vec![
        "search",
        "--index",
        index.to_str().unwrap(),
        "--vectors",
        &vectors,
        "--json",
    ];
    args.extend_from_slice(extra);
    let out = musearch(store, &args);
    serde_json::from_slice(&out.stdout).expect("search --json prints a SearchResponse")
}

#[test]
fn search_and_similar_on_a_real_index() {
    let (store, index, music) = indexed();
    let store = store.path();

    // A tag query ranks every track (near-duplicates folded into one result), with
    // explanations from both models.
    let r = search_json(store, &index, &["piano", "--limit", "3"]);
    let every = search_json(store, &index, &["piano", "--limit", "100"]);
    let folded: usize = every.results.iter().map(|h| h.versions.len()).sum();
    assert_eq!(every.total + folded, CLIPS.len());
    assert_eq!(every.results.len(), every.total);
    assert_eq!(r.total, every.total);
    assert_eq!(r.results.len(), 3);
    assert_eq!(r.interpreted.tags[0].tag, "piano");
    for hit in &r.results {
        assert_eq!(hit.track.id.len(), 32);
        // Only MTT outputs piano.
        let piano: Vec<_> = hit
            .explanation
            .tags
            .iter()
            .filter(|t| t.tag == "piano")
            .collect();
        assert_eq!(piano.len(), 1, "{:?}", hit.explanation);
        assert_eq!(piano[0].model, "MTT_musicnn");
        for t in piano {
            assert!((0.0..=1.0).contains(&t.probability));
            assert!((t.contribution - t.weight * t.calibrated).abs() < 1e-4);
        }
    }
    // Best first among the results moved down for the same reasons (short, weak evidence).
    let plain = search_json(
        store,
        &index,
        &["piano", "--limit", "100", "--no-diversity"],
    );
    for w in plain.results.windows(2) {
        if w[0].demoted == w[1].demoted {
            assert!(w[0].score >= w[1].score, "{:?}", plain.results);
        }
    }
    // With no minimum length, the clips are not marked short.
    let any_length = search_json(store, &index, &["piano", "--min-length", "0"]);
    assert!(any_length
        .results
        .iter()
        .all(|h| !h.demoted.contains(&"short".to_string())));

    // The next page continues the ranking.
    let all = search_json(store, &index, &["piano", "--limit", "6"]);
    let next = search_json(store, &index, &["piano", "--limit", "3", "--offset", "3"]);
    let ids = |r: &SearchResponse| {
        r.results
            .iter()
            .map(|h| h.track.id.clone())
            .collect::<Vec<_>>()
    };
    assert_eq!(ids(&all)[3..], ids(&next)[..]);
    assert_eq!(next.total, r.total);

    // Filters: the format, and a duration window that holds only the 2 s clip.
    let ogg = search_json(store, &index, &["piano", "--format", "ogg"]);
    assert_eq!(ogg.total, 1);
    assert_eq!(ogg.results[0].track.format, "ogg");
    let short = search_json(store, &index, &["piano", "--max-duration", "2.5"]);
    assert_eq!(short.total, 1);
    assert!(short.results[0].track.duration_secs <= 2.5);

    // A word nothing knows: text search, an empty answer, not an error.
    let unknown = search_json(store, &index, &["qwxzv"]);
    assert!(unknown.interpreted.text_only);
    assert_eq!(unknown.total, 0);

    // The readable form names the tags and their probabilities.
    let vectors = tiny_vectors();
    let out = musearch(
        store,
        &[
            "search",
            "piano",
            "--index",
            index.to_str().unwrap(),
            "--vectors",
            &vectors,
        ],
    );
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("piano (MTT p="), "{text}");
    assert!(text.contains("score"), "{text}");

    // Similar: one encoding of a recording finds its other encodings first.
    let flac = music.join("real_44k_stereo.flac");
    let out = musearch(
        store,
        &[
            "similar",
            flac.to_str().unwrap(),
            "--index",
            index.to_str().unwrap(),
            "--vectors",
            &vectors,
            "--json",
            "--limit",
            "4",
        ],
    );
    let similar: SimilarResponse = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(similar.total, CLIPS.len() - 1);
    assert_eq!(similar.results.len(), 4);
    assert!(similar.results.iter().all(|h| h.track.id != similar.id));
    // The files have no title tag: the title is the file name without its extension. The
    // nearest is another encoding of the same recording.
    let first = &similar.results[0].track;
    assert_eq!(first.title, "real_44k_stereo", "{:?}", similar.results);
    assert_ne!(first.format, "flac");
    assert!(similar.results[0].similarity > similar.results[2].similarity);

    // By id too, and mistakes are errors with a message, not panics.
    let out = musearch(
        store,
        &[
            "similar",
            &similar.id,
            "--index",
            index.to_str().unwrap(),
            "--vectors",
            &vectors,
        ],
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("similarity"));
    for bad in [
        vec![
            "search",
            "",
            "--index",
            index.to_str().unwrap(),
            "--vectors",
            &vectors,
        ],
        vec![
            "search",
            "piano",
            "--limit",
            "0",
            "--index",
            index.to_str().unwrap(),
            "--vectors",
            &vectors,
        ],
        vec![
            "similar",
            "nope",
            "--index",
            index.to_str().unwrap(),
            "--vectors",
            &vectors,
        ],
    ] {
        let out = common::run_musearch(store, &bad);
        assert!(!out.status.success(), "{bad:?} should fail");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(
            err.starts_with("error: ") && !err.contains("panicked"),
            "{err}"
        );
    }
}
