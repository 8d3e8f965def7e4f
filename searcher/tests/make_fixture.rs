//! Regenerates `fixtures/vectors/glove-50d-tiny.fifu` from the imported GloVe vectors:
//!
//! ```text
//! musearch models import-vectors --source glove-50d
//! MUSEARCH_VECTORS=<store>/vectors/glove-50d.fifu \
//!   cargo test -p musearch-searcher --test make_fixture -- --ignored
//! ```
//!
//! The words: every word of the tag names and glosses plus the words the tests use.

mod common;

use musearch_searcher::query::{tokenize, Token};
use musearch_searcher::tag_space::GLOSSES_TSV;
use musearch_searcher::vectors::{import::write_finalfusion, WordVectors};

/// Words the tests query with, besides the tag and gloss words.
const TEST_WORDS: &[&str] = &[
    "no",
    "not",
    "without",
    "happy",
    "sad",
    "cheerful",
    "gloomy",
    "relaxing",
    "calm",
    "beach",
    "workout",
    "sleep",
    "christmas",
    "upbeat",
    "bass",
    "singer",
    "song",
    "music",
    "energetic",
    "drums",
    "vocals",
    "piano",
    "pianist",
    "keyboard",
    "violin",
    "quartet",
    "angry",
    "rage",
];

#[test]
#[ignore = "writes the fixture; needs the full GloVe import in MUSEARCH_VECTORS"]
fn make_tiny_glove_fixture() {
    let path = std::env::var("MUSEARCH_VECTORS").expect("set MUSEARCH_VECTORS to glove-50d.fifu");
    let full = WordVectors::open(std::path::Path::new(&path)).unwrap();
    assert_eq!(full.dims(), 50, "expected the GloVe 50-d vectors");
    let mut words: Vec<String> = Vec::new();
    let mut add = |w: &str| {
        if full.contains(w) && !words.iter().any(|x| x == w) {
            words.push(w.to_string());
        }
    };
    for tag in musearch_models::tags::union_vocabulary() {
        for w in tag.split([' ', '-']) {
            add(w);
        }
        add(&tag);
    }
    for w in TEST_WORDS {
        add(w);
    }
    for line in GLOSSES_TSV.lines().filter(|l| !l.starts_with('#')) {
        for tok in tokenize(line).into_iter().filter_map(Token::word) {
            add(&tok);
        }
    }
    let rows: Vec<Vec<f32>> = words.iter().map(|w| full.get_raw(w).unwrap()).collect();
    let flat: Vec<f32> = rows.concat();
    let matrix = ndarray::Array2::from_shape_vec((words.len(), 50), flat).unwrap();
    let mut meta = toml::Table::new();
    meta.insert("source".into(), "glove-50d (tiny test subset)".into());
    meta.insert(
        "licence".into(),
        "PDDL 1.0 (GloVe 6B, Pennington, Socher & Manning, Stanford NLP)".into(),
    );
    let out = common::repo_root().join("fixtures/vectors/glove-50d-tiny.fifu");
    write_finalfusion(
        words.clone(),
        matrix,
        Some(finalfusion::metadata::Metadata::new(meta)),
        &out,
    )
    .unwrap();
    eprintln!("wrote {} words to {}", words.len(), out.display());
}
