//! `musearch eval-queries FILE.tsv`: score the query → tag mapping against graded judgements
//! (nDCG@5 and nDCG@10, see `musearch_searcher::eval`).

use std::path::PathBuf;

use anyhow::Context;
use musearch_searcher::eval;
use musearch_searcher::tag_space::{default_glosses, weigh_ensemble, TagSpace, TagSpaceConfig};
use musearch_searcher::vectors::{self, VectorSource, WordVectors};

/// Flags of `musearch eval-queries`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Judgement files: `query<TAB>tag:grade …` per line (e.g. `shared/eval/queries-dev.tsv`).
    #[arg(required = true)]
    pub files: Vec<PathBuf>,
    /// Word vectors: a source name (`spacy-md`, `glove-50d`) from the model store, or a path
    /// to a finalfusion file; several, comma-separated, are combined (`spacy-md,glove-50d`).
    /// Default: `$MUSEARCH_VECTORS`, else spacy-md.
    #[arg(long)]
    pub vectors: Option<String>,
    /// Which method: `tuned` (default) or `seed` (mean word vector, nearest tags by cosine).
    #[arg(long, default_value = "tuned", value_parser = ["tuned", "seed"])]
    pub method: String,
    /// A JSON object overriding fields of the method's configuration
    /// (e.g. `{"feedback_k": 0}`).
    #[arg(long)]
    pub config: Option<String>,
    /// Print one line per query (nDCG@5, nDCG@10, top tags); `-v` does the same.
    #[arg(long = "per-query")]
    pub per_query: bool,
    /// Also score N interleaved folds of each file (query i in fold i mod N), to check that
    /// a figure holds on every part of the file.
    #[arg(long, default_value_t = 0)]
    pub folds: usize,
    /// Print the results as JSON.
    #[arg(long)]
    pub json: bool,
    /// Also time the mapping: weigh every query of each file this many rounds, one thread,
    /// and print the mean, p50 and p99 time per query (a benchmark of query understanding).
    #[arg(long, default_value_t = 0, value_name = "ROUNDS")]
    pub timing: usize,
}

/// Time per query mapping, in microseconds.
#[derive(Debug, Clone, Copy, serde::Serialize)]
struct Timing {
    rounds: usize,
    mean_us: f64,
    p50_us: f64,
    p99_us: f64,
}

/// Weigh every query `rounds` times with `rank` and summarise the times of the calls.
fn time_queries(queries: &[String], rounds: usize, rank: impl Fn(&str) -> Vec<String>) -> Timing {
    let mut times: Vec<f64> = Vec::with_capacity(rounds * queries.len());
    for _ in 0..rounds {
        for q in queries {
            let started = std::time::Instant::now();
            std::hint::black_box(rank(q));
            times.push(started.elapsed().as_secs_f64() * 1e6);
        }
    }
    times.sort_by(f64::total_cmp);
    let at = |p: f64| times[((times.len() - 1) as f64 * p).round() as usize];
    Timing {
        rounds,
        mean_us: times.iter().sum::<f64>() / times.len() as f64,
        p50_us: at(0.5),
        p99_us: at(0.99),
    }
}

/// Open the word vectors named by a `--vectors` value (source name or path), or the default.
pub fn open_vectors(spec: Option<&str>) -> anyhow::Result<WordVectors> {
    let path = match spec {
        None => vectors::default_path(VectorSource::SpacyMd),
        Some(s) => match VectorSource::from_name(s) {
            Some(source) => musearch_searcher::store::vectors_dir().join(source.file_name()),
            None => PathBuf::from(s),
        },
    };
    Ok(WordVectors::open(&path)?)
}

/// Run `musearch eval-queries`; `verbose` is the global `-v` count (per-query lines when > 0).
pub fn run(args: Args, verbose: u8) -> anyhow::Result<()> {
    let per_query = args.per_query || verbose > 0;
    let mut config = match args.method.as_str() {
        "seed" => TagSpaceConfig::seed(),
        _ => TagSpaceConfig::default(),
    };
    if let Some(overrides) = &args.config {
        let mut value = serde_json::to_value(&config)?;
        let patch: serde_json::Value =
            serde_json::from_str(overrides).context("--config is not a JSON object")?;
        let (Some(obj), Some(patch)) = (value.as_object_mut(), patch.as_object()) else {
            anyhow::bail!("--config must be a JSON object");
        };
        for (k, v) in patch {
            anyhow::ensure!(obj.contains_key(k), "--config: unknown field `{k}`");
            obj.insert(k.clone(), v.clone());
        }
        config = serde_json::from_value(value).context("--config")?;
    }
    let tags = musearch_models::tags::union_vocabulary();
    // Several vector sets (comma-separated) are combined by summing their standardised weights.
    let specs: Vec<Option<&str>> = match args.vectors.as_deref() {
        None => vec![None],
        Some(s) => s.split(',').map(Some).collect(),
    };
    let mut spaces = Vec::new();
    for spec in specs {
        let vectors = open_vectors(spec)?;
        spaces.push(TagSpace::new(
            vectors,
            &tags,
            &default_glosses(),
            config.clone(),
        ));
    }
    let vectors_path = spaces
        .iter()
        .map(|s| s.vectors().path().display().to_string())
        .collect::<Vec<_>>()
        .join(" + ");
    let rank = |q: &str| -> Vec<String> {
        match &spaces[..] {
            [one] => one.weigh(q).ranking(),
            many => weigh_ensemble(many, q)
                .map(|r| r.ranking())
                .unwrap_or_default(),
        }
    };
    let mut all = Vec::new();
    for file in &args.files {
        let judgements = eval::read_judgements(file)?;
        let summary = eval::evaluate(&judgements, rank);
        let timing = (args.timing > 0 && !judgements.is_empty()).then(|| {
            let queries: Vec<String> = judgements.iter().map(|j| j.query.clone()).collect();
            time_queries(&queries, args.timing, rank)
        });
        if !args.json {
            if per_query {
                for q in &summary.queries {
                    println!(
                        "{:.3}  {:.3}  {:<28} {}",
                        q.ndcg5,
                        q.ndcg10,
                        q.query,
                        q.top[..q.top.len().min(6)].join(", ")
                    );
                }
            }
            println!(
                "{}: {} queries, {} method, vectors {}: nDCG@5 = {:.4}, nDCG@10 = {:.4}",
                file.display(),
                summary.queries.len(),
                args.method,
                vectors_path,
                summary.ndcg5,
                summary.ndcg10
            );
            for (f, (n5, n10)) in eval::fold_means(&summary, args.folds).iter().enumerate() {
                println!(
                    "  fold {}/{} (queries {}, {}+{}, …): nDCG@5 = {n5:.4}, nDCG@10 = {n10:.4}",
                    f + 1,
                    args.folds,
                    f + 1,
                    f + 1,
                    args.folds
                );
            }
            if let Some(t) = timing {
                println!(
                    "  time per query ({} rounds, one thread): mean {:.1} µs, p50 {:.1} µs, p99 {:.1} µs",
                    t.rounds, t.mean_us, t.p50_us, t.p99_us
                );
            }
        }
        all.push(serde_json::json!({
            "file": file,
            "method": args.method,
            "vectors": vectors_path,
            "ndcg5": summary.ndcg5,
            "ndcg10": summary.ndcg10,
            "folds": eval::fold_means(&summary, args.folds)
                .iter()
                .map(|(n5, n10)| serde_json::json!({"ndcg5": n5, "ndcg10": n10}))
                .collect::<Vec<_>>(),
            "queries": summary.queries,
            "timing": timing,
        }));
    }
    if args.json {
        println!("{}", serde_json::to_string_pretty(&all)?);
    }
    Ok(())
}
