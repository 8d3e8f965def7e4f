//! Search latency and HNSW recall over synthetic catalogs.
//!
//! ```text
//! cargo bench -p musearch-searcher --bench search_latency -- \
//!     [--sizes 10000,100000,1000000] [--queries ../shared/eval/queries-dev.tsv] \
//!     [--index DIR] [--rounds 5] [--no-hnsw-above N] [--m 24] [--ef-construction 200] \
//!     [--ef-search 96]
//! ```
//!
//! Catalogs: two models with musicnn's MTT and MSD tag lists. With `--index DIR` (a copy of a
//! real index: sled takes a lock) every synthetic track is a real track's probabilities with
//! Gaussian noise (σ = 0.5) added in logit space; without it, each tag gets a base rate drawn
//! log-uniformly from [0.005, 0.3] and each track's probability is Beta(2b, 2(1 − b)) around
//! it. Queries: the first column of the judgement file, mapped to tags with the default word
//! vectors (`$MUSEARCH_VECTORS`, else spaCy's in the model store).
//!
//! Per size it prints: single-threaded latency (p50, p99) of the full `Engine::search` (page of
//! 10, explanations included) on the exact path and on the HNSW path, the ranking step alone on
//! both paths, the graph's build time, and recall@10 of the HNSW path against exact scoring.

use std::path::{Path, PathBuf};
use std::time::Instant;

use musearch_index::{IndexSnapshot, Metadata, ModelSpec, TrackId};
use musearch_models::tags::{MSD_TAGS, MTT_TAGS};
use musearch_searcher::ann::HnswParams;
use musearch_searcher::calibration::logit;
use musearch_searcher::catalog::{Catalog, CatalogBuilder, CatalogTrack};
use musearch_searcher::engine::{open_tag_spaces, Engine, EngineOptions};
use musearch_searcher::response::SearchRequest;
use musearch_searcher::track_index::{SparseQuery, TrackIndexOptions};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use rand_distr::{Beta, Distribution, Normal};

struct Args {
    sizes: Vec<usize>,
    queries: PathBuf,
    index: Option<PathBuf>,
    rounds: usize,
    no_hnsw_above: usize,
    hnsw: HnswParams,
}

fn parse_args() -> Args {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let mut args = Args {
        sizes: vec![10_000, 100_000, 1_000_000],
        queries: root.join("../shared/eval/queries-dev.tsv"),
        index: None,
        rounds: 5,
        no_hnsw_above: usize::MAX,
        hnsw: HnswParams::default(),
    };
    let mut it = std::env::args().skip(1);
    while let Some(a) = it.next() {
        let mut value = || it.next().unwrap_or_else(|| panic!("{a} needs a value"));
        match a.as_str() {
            "--sizes" => {
                args.sizes = value()
                    .split(',')
                    .map(|s| s.trim().parse().expect("--sizes: numbers"))
                    .collect()
            }
            "--queries" => args.queries = value().into(),
            "--index" => args.index = Some(value().into()),
            "--rounds" => args.rounds = value().parse().expect("--rounds: a number"),
            "--no-hnsw-above" => args.no_hnsw_above = value().parse().expect("a number"),
            "--m" => args.hnsw.max_connections = value().parse().expect("--m: a number"),
            "--ef-construction" => args.hnsw.ef_construction = value().parse().expect("a number"),
            "--ef-search" => args.hnsw.ef_search = value().parse().expect("a number"),
            // cargo bench passes --bench.
            _ => {}
        }
    }
    args
}

fn models() -> Vec<ModelSpec> {
    let spec = |name: &str, tags: &[&str]| ModelSpec {
        name: name.into(),
        version: "synthetic".into(),
        tags: tags.iter().map(|t| t.to_string()).collect(),
        embedding_dim: 0,
    };
    vec![
        spec("MTT_musicnn", &MTT_TAGS),
        spec("MSD_musicnn", &MSD_TAGS),
    ]
}

/// Per track, one probability row per model.
type Sampler = Box<dyn FnMut(&mut StdRng) -> Vec<Vec<f32>>>;

/// Real tracks' probabilities with logit noise.
fn real_sampler(dir: &Path, models: &[ModelSpec]) -> Sampler {
    let index = IndexSnapshot::open(dir).expect("opening --index");
    let mut rows: Vec<Vec<Vec<f32>>> = Vec::new();
    for r in index.visible_records() {
        let r = r.expect("reading a record");
        let per_model: Option<Vec<Vec<f32>>> = models
            .iter()
            .map(|m| r.model(&m.name).map(|t| t.probabilities.clone()))
            .collect();
        if let Some(p) = per_model {
            rows.push(p);
        }
    }
    assert!(
        !rows.is_empty(),
        "no track of {} has both models",
        dir.display()
    );
    println!(
        "sampling {} real tracks of {} with logit noise σ = 0.5",
        rows.len(),
        dir.display()
    );
    let noise = Normal::new(0.0f32, 0.5).unwrap();
    Box::new(move |rng| {
        let base = &rows[rng.gen_range(0..rows.len())];
        base.iter()
            .map(|m| {
                m.iter()
                    .map(|&p| {
                        let l = logit(p) + noise.sample(rng);
                        1.0 / (1.0 + (-l).exp())
                    })
                    .collect()
            })
            .collect()
    })
}

/// Beta-distributed probabilities around per-tag base rates.
fn beta_sampler(models: &[ModelSpec], rng: &mut StdRng) -> Sampler {
    println!("Beta(2b, 2(1 − b)) per tag, base rates b log-uniform in [0.005, 0.3]");
    let dists: Vec<Vec<Beta<f32>>> = models
        .iter()
        .map(|m| {
            m.tags
                .iter()
                .map(|_| {
                    let b = (rng.gen_range(0.005f32.ln()..0.3f32.ln())).exp();
                    Beta::new(2.0 * b, 2.0 * (1.0 - b)).unwrap()
                })
                .collect()
        })
        .collect();
    Box::new(move |rng| {
        dists
            .iter()
            .map(|m| m.iter().map(|d| d.sample(rng)).collect())
            .collect()
    })
}

fn catalog(n: usize, models: &[ModelSpec], sample: &mut Sampler, rng: &mut StdRng) -> Catalog {
    let mut b = CatalogBuilder::new(models);
    b.reserve(n);
    for i in 0..n {
        let probs = sample(rng);
        let mut id = [0u8; 16];
        id[..8].copy_from_slice(&(i as u64).to_le_bytes());
        let track = CatalogTrack {
            id: TrackId(id),
            paths: vec![format!("/synthetic/{i}.ogg")],
            duration_secs: rng.gen_range(60.0..420.0),
            codec: "vorbis".into(),
            sample_rate: 44_100,
            channels: 2,
            metadata: Metadata {
                title: Some(format!("Track {i}")),
                ..Metadata::default()
            },
            taggrams: Vec::new(),
            warnings: Vec::new(),
            signal: None,
        };
        let p: Vec<Option<&[f32]>> = probs.iter().map(|v| Some(v.as_slice())).collect();
        b.push(track, &p, &[]);
    }
    b.build()
}

fn percentile(sorted: &[f64], q: f64) -> f64 {
    let i = ((sorted.len() as f64 - 1.0) * q).round() as usize;
    sorted[i]
}

/// p50 and p99 in milliseconds of `f` over every query, `rounds` times.
fn latency<T>(queries: usize, rounds: usize, mut f: impl FnMut(usize) -> T) -> (f64, f64) {
    let mut ms = Vec::with_capacity(queries * rounds);
    for _ in 0..rounds {
        for q in 0..queries {
            let t = Instant::now();
            std::hint::black_box(f(q));
            ms.push(t.elapsed().as_secs_f64() * 1e3);
        }
    }
    ms.sort_by(f64::total_cmp);
    (percentile(&ms, 0.5), percentile(&ms, 0.99))
}

fn main() {
    let args = parse_args();
    let queries: Vec<String> = std::fs::read_to_string(&args.queries)
        .unwrap_or_else(|e| panic!("{}: {e}", args.queries.display()))
        .lines()
        .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
        .filter_map(|l| l.split('\t').next().map(str::to_string))
        .collect();
    let models = models();
    let mut rng = StdRng::seed_from_u64(42);
    let mut sample = match &args.index {
        Some(dir) => real_sampler(dir, &models),
        None => beta_sampler(&models, &mut rng),
    };
    let t = Instant::now();
    let spaces_options = EngineOptions::default();
    println!(
        "{} queries from {}, {} rounds, single thread for queries; word vectors loaded in {:.1} s",
        queries.len(),
        args.queries.display(),
        args.rounds,
        {
            drop(open_tag_spaces(&spaces_options).expect("word vectors"));
            t.elapsed().as_secs_f64()
        }
    );
    println!("HNSW: {:?}", args.hnsw);
    println!(
        "{:>9} {:>8} | {:>15} {:>15} | {:>15} {:>15} | {:>9} {:>9}",
        "tracks",
        "build s",
        "search exact",
        "search hnsw",
        "rank exact",
        "rank hnsw",
        "recall@10",
        "fallbacks"
    );
    println!(
        "{:>9} {:>8} | {:>15} {:>15} | {:>15} {:>15} | {:>9} {:>9}",
        "", "(hnsw)", "p50 / p99 ms", "p50 / p99 ms", "p50 / p99 ms", "p50 / p99 ms", "", ""
    );
    for &n in &args.sizes {
        let catalog = catalog(n, &models, &mut sample, &mut rng);
        let requests: Vec<SearchRequest> = queries
            .iter()
            .map(|q| SearchRequest {
                limit: 10,
                ..SearchRequest::new(q.clone())
            })
            .collect();

        // The exact path.
        let exact = Engine::from_catalog(
            catalog.clone(),
            open_tag_spaces(&spaces_options).expect("word vectors"),
            None,
            &EngineOptions {
                tracks: TrackIndexOptions {
                    hnsw_min_tracks: usize::MAX,
                    ..TrackIndexOptions::default()
                },
                ..EngineOptions::default()
            },
        )
        .expect("engine");
        let plans: Vec<SparseQuery> = queries.iter().map(|q| exact.plan(q).query).collect();
        let search_exact = latency(queries.len(), args.rounds, |q| exact.search(&requests[q]));
        let rank_exact = latency(queries.len(), args.rounds, |q| {
            exact.track_index().exact_top(&plans[q], 10, None)
        });
        let truth: Vec<Vec<usize>> = plans
            .iter()
            .map(|p| {
                exact
                    .track_index()
                    .exact_top(p, 10, None)
                    .iter()
                    .map(|s| s.id)
                    .collect()
            })
            .collect();
        drop(exact);

        if n > args.no_hnsw_above {
            println!(
                "{:>9} {:>8} | {:>6.2} / {:>6.2} {:>15} | {:>6.2} / {:>6.2} {:>15} | {:>9} {:>9}",
                n,
                "-",
                search_exact.0,
                search_exact.1,
                "-",
                rank_exact.0,
                rank_exact.1,
                "-",
                "-",
                "-"
            );
            continue;
        }
        let t = Instant::now();
        let graph = Engine::from_catalog(
            catalog,
            open_tag_spaces(&spaces_options).expect("word vectors"),
            None,
            &EngineOptions {
                tracks: TrackIndexOptions {
                    hnsw_min_tracks: 0,
                    hnsw: args.hnsw,
                    ..TrackIndexOptions::default()
                },
                ..EngineOptions::default()
            },
        )
        .expect("engine");
        let build = t.elapsed().as_secs_f64();
        let search_hnsw = latency(queries.len(), args.rounds, |q| graph.search(&requests[q]));
        let rank_hnsw = latency(queries.len(), args.rounds, |q| {
            graph.track_index().hnsw_top(&plans[q], 10, None)
        });
        let (mut found, mut wanted, mut fallbacks) = (0usize, 0usize, 0usize);
        for (p, truth) in plans.iter().zip(&truth) {
            match graph.track_index().hnsw_top(p, 10, None) {
                Some(hits) => {
                    found += hits.iter().filter(|s| truth.contains(&s.id)).count();
                }
                None => fallbacks += 1,
            }
            wanted += truth.len();
        }
        println!(
            "{:>9} {:>8.1} | {:>6.2} / {:>6.2} {:>6.2} / {:>6.2} | {:>6.2} / {:>6.2} {:>6.2} / {:>6.2} | {:>9.3} {:>9}",
            n,
            build,
            search_exact.0,
            search_exact.1,
            search_hnsw.0,
            search_hnsw.1,
            rank_exact.0,
            rank_exact.1,
            rank_hnsw.0,
            rank_hnsw.1,
            found as f64 / wanted.max(1) as f64,
            fallbacks
        );
    }
}
