//! `musearch-synth-index --tracks N --out DIR [--seed S]`: writes an index of N synthetic tracks
//! through the indexer's public API (the same records and two-phase commits as `musearch index`),
//! for load tests of the server (`scripts/bench/web_load.sh`) on catalogs larger than any music
//! at hand. No audio files exist behind it: search, tracks, tags, similar and maps work; audio
//! does not.
//!
//! The probabilities are shaped like real tagger output: most tags are rare (base rates of 1 to
//! 15 %), every track belongs to one or two of 40 styles that raise a handful of tags per model
//! strongly, probabilities vary from patch to patch around the track's level, and the audio
//! embeddings cluster by style. Metadata mixes a few hundred title words, 8,000 artists and four
//! formats, so text search finds something for common words.

use std::path::PathBuf;
use std::time::Instant;

use musearch_index::{Change, IndexError, Metadata, ModelSpec, TrackId, TrackRecord};
use musearch_indexer::{BatchOutput, Index, TrackTags};
use musearch_models::rng::SplitMix64;
use musearch_models::tags::Vocabulary;

/// Number of styles tracks are drawn from.
const STYLES: usize = 40;
/// Embedding size of both models (musicnn's penultimate layer).
const EMBEDDING_DIM: usize = 200;
/// Records per commit.
const BATCH: usize = 5_000;

const WORDS: [&str; 64] = [
    "blue", "night", "river", "summer", "rain", "city", "light", "dream", "fire", "ocean",
    "winter", "road", "home", "heart", "storm", "gold", "shadow", "morning", "dance", "sky",
    "stone", "wind", "echo", "silver", "forest", "song", "journey", "sun", "moon", "star", "beach",
    "mountain", "desert", "garden", "island", "lake", "valley", "glass", "paper", "train",
    "harbor", "midnight", "velvet", "neon", "autumn", "spring", "thunder", "whisper", "lullaby",
    "anthem", "groove", "serenade", "waltz", "blues", "fever", "machine", "electric", "quiet",
    "wild", "lonely", "happy", "broken", "golden", "distant",
];
const FORMATS: [(&str, &str); 4] = [
    ("ogg", "vorbis"),
    ("mp3", "mp3"),
    ("flac", "flac"),
    ("opus", "opus"),
];

fn sigmoid(x: f32) -> f32 {
    1.0 / (1.0 + (-x).exp())
}

fn logit(p: f32) -> f32 {
    (p / (1.0 - p)).ln()
}

/// One model's part of a style: extra logits per tag and an embedding centre.
struct StyleModel {
    boost: Vec<f32>,
    centre: Vec<f32>,
}

/// The generator's fixed world: models, base logits, styles.
struct World {
    specs: Vec<ModelSpec>,
    base: Vec<Vec<f32>>,
    styles: Vec<Vec<StyleModel>>,
}

impl World {
    fn new(rng: &mut SplitMix64) -> World {
        let specs: Vec<ModelSpec> = [
            ("MTT_musicnn", Vocabulary::MagnaTagATune),
            ("MSD_musicnn", Vocabulary::MillionSong),
        ]
        .iter()
        .map(|(name, vocab)| ModelSpec {
            name: name.to_string(),
            version: "synthetic".into(),
            tags: vocab.tags().iter().map(|t| t.to_string()).collect(),
            embedding_dim: EMBEDDING_DIM,
        })
        .collect();
        let base = specs
            .iter()
            .map(|s| {
                s.tags
                    .iter()
                    .map(|_| logit(0.01 + 0.14 * rng.unit() * rng.unit()))
                    .collect()
            })
            .collect();
        let styles = (0..STYLES)
            .map(|_| {
                specs
                    .iter()
                    .map(|s| {
                        let mut boost = vec![0.0; s.tags.len()];
                        for _ in 0..3 + rng.index(4) {
                            boost[rng.index(s.tags.len())] += 2.5 + 2.5 * rng.unit();
                        }
                        let centre = (0..EMBEDDING_DIM).map(|_| rng.normal()).collect();
                        StyleModel { boost, centre }
                    })
                    .collect()
            })
            .collect();
        World {
            specs,
            base,
            styles,
        }
    }

    fn record(&self, i: u64, rng: &mut SplitMix64) -> TrackRecord {
        let mut chosen = vec![rng.index(STYLES)];
        if rng.unit() < 0.4 {
            chosen.push(rng.index(STYLES));
        }
        let duration_secs = 60.0 + 300.0 * f64::from(rng.unit());
        let patches = (duration_secs / 3.0) as usize;
        let outputs: Vec<BatchOutput> = self
            .specs
            .iter()
            .enumerate()
            .map(|(m, spec)| {
                let level: Vec<f32> = (0..spec.tags.len())
                    .map(|t| {
                        let boost: f32 = chosen.iter().map(|&s| self.styles[s][m].boost[t]).sum();
                        self.base[m][t] + boost / chosen.len() as f32 + 0.8 * rng.normal()
                    })
                    .collect();
                let mut probabilities = Vec::with_capacity(patches * level.len());
                for _ in 0..patches {
                    probabilities.extend(level.iter().map(|&l| sigmoid(l + 0.6 * rng.normal())));
                }
                let centre = &self.styles[chosen[0]][m].centre;
                let embedding: Vec<f32> = centre.iter().map(|&c| c + 0.5 * rng.normal()).collect();
                BatchOutput {
                    probabilities,
                    embeddings: embedding.repeat(patches),
                }
            })
            .collect();
        let mut tags = TrackTags::new(&self.specs);
        tags.add(&outputs, 0..patches);

        let mut id = [0u8; 16];
        id[..8].copy_from_slice(&i.to_le_bytes());
        id[8..].copy_from_slice(&rng.next_u64().to_le_bytes());
        let title = format!(
            "{} {}",
            capitalised(WORDS[rng.index(WORDS.len())]),
            capitalised(WORDS[rng.index(WORDS.len())])
        );
        let artist = format!(
            "{} Artist {}",
            capitalised(WORDS[rng.index(WORDS.len())]),
            i % 8000
        );
        let album = format!(
            "{} Album {}",
            capitalised(WORDS[rng.index(WORDS.len())]),
            i % 900
        );
        let (ext, codec) = FORMATS[rng.index(FORMATS.len())];
        let genre_tag = &self.specs[1].tags[argmax(&self.styles[chosen[0]][1].boost)];
        TrackRecord {
            id: TrackId(id),
            paths: vec![format!(
                "/music/synthetic/{artist}/{album}/{i:06} {title}.{ext}"
            )],
            size: 3_000_000 + (duration_secs * 16_000.0) as u64,
            mtime_ns: 1_700_000_000_000_000_000 + i as i64,
            duration_secs,
            sample_rate: 44_100,
            channels: 2,
            codec: codec.into(),
            metadata: Metadata {
                title: Some(title),
                artist: Some(artist),
                album: Some(album),
                genre: Some(capitalised(genre_tag)),
                year: Some(1960 + rng.index(66) as u16),
                track_number: Some(1 + (i % 14) as u32),
            },
            models: tags.finish(&self.specs),
            indexed_at: 1_700_000_000,
            warnings: Vec::new(),
            signal: None,
        }
    }
}

fn capitalised(word: &str) -> String {
    let mut chars = word.chars();
    chars
        .next()
        .map(|c| c.to_uppercase().chain(chars).collect())
        .unwrap_or_default()
}

fn argmax(values: &[f32]) -> usize {
    values
        .iter()
        .enumerate()
        .max_by(|a, b| a.1.total_cmp(b.1))
        .map_or(0, |(i, _)| i)
}

/// `--name VALUE` from the arguments.
fn arg(args: &[String], name: &str) -> Option<String> {
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1).cloned())
}

fn main() -> std::process::ExitCode {
    let args: Vec<String> = std::env::args().collect();
    let usage = "usage: musearch-synth-index --tracks N --out DIR [--seed S]";
    let (Some(tracks), Some(out)) = (
        arg(&args, "--tracks").and_then(|v| v.parse::<u64>().ok()),
        arg(&args, "--out").map(PathBuf::from),
    ) else {
        eprintln!("{usage}");
        return std::process::ExitCode::from(2);
    };
    let seed = arg(&args, "--seed")
        .and_then(|v| v.parse().ok())
        .unwrap_or(42);
    match write(tracks, &out, seed) {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("error: {err}");
            std::process::ExitCode::FAILURE
        }
    }
}

fn write(tracks: u64, out: &std::path::Path, seed: u64) -> Result<(), IndexError> {
    if out.join("store").exists() {
        eprintln!(
            "{} already holds an index: records are added to it",
            out.display()
        );
    }
    let mut rng = SplitMix64::new(seed);
    let world = World::new(&mut rng);
    let mut index = Index::open(out)?;
    index.set_models(&world.specs)?;
    let start = Instant::now();
    let bar = indicatif::ProgressBar::new(tracks);
    bar.set_style(
        indicatif::ProgressStyle::with_template(
            "{elapsed_precise} [{wide_bar}] {pos}/{len} tracks, {per_sec}, ETA {eta}",
        )
        .expect("valid template")
        .progress_chars("=> "),
    );
    let mut i = 0;
    while i < tracks {
        let n = (BATCH as u64).min(tracks - i);
        let records: Vec<TrackRecord> = (i..i + n).map(|j| world.record(j, &mut rng)).collect();
        let change = Change::new_tracks(records);
        index.apply(&change)?;
        index.commit()?;
        i += n;
        bar.set_position(i);
    }
    bar.finish_and_clear();
    eprintln!(
        "{tracks} tracks written in {:.1} s",
        start.elapsed().as_secs_f64()
    );
    println!("{}", out.display());
    Ok(())
}
