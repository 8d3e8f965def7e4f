//! The Rust encoder against sentence-transformers: every sentence of
//! `fixtures/encoder/reference.json` (written by `scripts/reference/encoder_reference.py` from
//! the same wheel's files) within 1e-4 of the reference in every dimension, in one padded
//! batch and one at a time.
//!
//! Needs the imported encoder: `MUSEARCH_ENCODER=DIR` (scripts/test.sh sets it), else the model
//! store's `encoders/all-minilm-l6-v2`. Without it the test fails, saying how to get it.

mod common;

use musearch_searcher::encoder::{self, SentenceEncoder, EMBEDDING_DIM};

/// The bound on any dimension's difference from sentence-transformers.
const TOLERANCE: f32 = 1e-4;

struct Reference {
    text: String,
    tokens: usize,
    embedding: Vec<f32>,
}

fn reference() -> (usize, Vec<Reference>) {
    let path = common::repo_root().join("fixtures/encoder/reference.json");
    let text = std::fs::read_to_string(&path).expect("fixtures/encoder/reference.json");
    let doc: serde_json::Value = serde_json::from_str(&text).expect("reference.json parses");
    let max_seq_length = doc["max_seq_length"].as_u64().expect("max_seq_length") as usize;
    let sentences = doc["sentences"]
        .as_array()
        .expect("sentences")
        .iter()
        .map(|s| Reference {
            text: s["text"].as_str().expect("text").to_owned(),
            tokens: s["tokens"].as_u64().expect("tokens") as usize,
            embedding: s["embedding"]
                .as_array()
                .expect("embedding")
                .iter()
                .map(|x| x.as_f64().expect("a number") as f32)
                .collect(),
        })
        .collect();
    (max_seq_length, sentences)
}

/// The imported encoder, or a panic that says how to import it.
pub fn real_encoder() -> SentenceEncoder {
    let dir = encoder::default_dir();
    match SentenceEncoder::load(&dir) {
        Ok(e) => e,
        Err(e) => panic!(
            "this test needs the imported sentence encoder: {e}\n\
             run `musearch models import-encoder` first, or set MUSEARCH_ENCODER to an imported \
             encoder directory (scripts/test.sh does both)"
        ),
    }
}

fn max_abs_diff(a: &[f32], b: &[f32]) -> f32 {
    assert_eq!(a.len(), b.len());
    a.iter()
        .zip(b)
        .map(|(x, y)| (x - y).abs())
        .fold(0.0, f32::max)
}

#[test]
fn matches_sentence_transformers() {
    let encoder = real_encoder();
    let (max_seq_length, refs) = reference();
    assert!(
        refs.len() >= 10,
        "reference.json has {} sentences",
        refs.len()
    );
    assert_eq!(encoder.max_seq_length(), max_seq_length);
    assert!(
        refs.iter().any(|r| r.tokens == max_seq_length),
        "a sentence long enough to be truncated"
    );

    let texts: Vec<&str> = refs.iter().map(|r| r.text.as_str()).collect();
    let batch = encoder.encode(&texts).expect("encode the batch");
    assert_eq!(batch.len(), refs.len());
    let mut worst_batch = 0.0f32;
    let mut worst_single = 0.0f32;
    for (r, got) in refs.iter().zip(&batch) {
        assert_eq!(got.len(), EMBEDDING_DIM);
        assert_eq!(r.embedding.len(), EMBEDDING_DIM);
        assert_eq!(
            encoder.token_count(&r.text).expect("tokenize"),
            r.tokens,
            "token count of {:?}",
            r.text
        );
        let norm = got.iter().map(|x| x * x).sum::<f32>().sqrt();
        assert!((norm - 1.0).abs() < 1e-5, "norm {norm} of {:?}", r.text);
        let d_batch = max_abs_diff(got, &r.embedding);
        let single = encoder.encode(&[&r.text]).expect("encode one");
        let d_single = max_abs_diff(&single[0], &r.embedding);
        println!(
            "{:>4} tokens  max |diff| batch {d_batch:.2e}  alone {d_single:.2e}  {:?}",
            r.tokens,
            r.text.chars().take(50).collect::<String>()
        );
        assert!(
            d_batch <= TOLERANCE && d_single <= TOLERANCE,
            "{:?}: max |diff| {d_batch:e} (batch), {d_single:e} (alone) > {TOLERANCE:e}",
            r.text
        );
        worst_batch = worst_batch.max(d_batch);
        worst_single = worst_single.max(d_single);
    }
    println!(
        "max |diff| over {} sentences × {EMBEDDING_DIM} dims: {worst_batch:.3e} (one batch), \
         {worst_single:.3e} (one at a time)",
        refs.len()
    );
}

#[test]
fn related_queries_are_closer_than_unrelated_ones() {
    let encoder = real_encoder();
    let v = encoder
        .encode(&[
            "calm piano for a rainy day",
            "soft relaxing piano music",
            "aggressive death metal with screaming",
        ])
        .expect("encode");
    let cos = |a: &[f32], b: &[f32]| a.iter().zip(b).map(|(x, y)| x * y).sum::<f32>();
    let related = cos(&v[0], &v[1]);
    let unrelated = cos(&v[0], &v[2]);
    println!(
        "cos(calm piano, soft piano) {related:.3}, cos(calm piano, death metal) {unrelated:.3}"
    );
    assert!(related > unrelated + 0.2, "{related} vs {unrelated}");
    assert!(encoder.encode(&[]).expect("nothing to encode").is_empty());
}
