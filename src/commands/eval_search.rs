//! `musearch eval-search JUDGEMENTS… --index INDEX`: run every judged query through the whole
//! search engine (or the seed ranking) and score the first pages: nDCG@10, P@10, MRR and the
//! bad-result rates (`musearch_searcher::search_eval`, docs/EVALUATION.md).

use std::path::PathBuf;

use anyhow::Context;
use musearch_searcher::engine::{Engine, EngineOptions};
use musearch_searcher::search_eval::{evaluate_search, Method, SearchJudgements, SeedRanker};

use super::search::{vector_paths, EngineArgs};

/// Flags of `musearch eval-search`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Judgement files (JSON, from `scripts/eval/judge_search.py`, e.g.
    /// `fixtures/eval/search-dev.judgements.json`).
    #[arg(required = true)]
    pub files: Vec<PathBuf>,
    /// Which index and word vectors.
    #[command(flatten)]
    pub engine: EngineArgs,
    /// Which ranking: `current` (the engine's search, as the server runs it) or `seed` (mean
    /// word vector → nearest tags → tracks by raw probability).
    #[arg(long, default_value = "current", value_parser = ["current", "seed"])]
    pub method: String,
    /// Print one line per query.
    #[arg(long = "per-query")]
    pub per_query: bool,
    /// Print the reports as JSON (with every first page).
    #[arg(long)]
    pub json: bool,
}

/// Runs `musearch eval-search`; `verbose` is the global `-v` count (per-query lines when > 0).
pub fn run(args: Args, verbose: u8) -> anyhow::Result<()> {
    let method: Method = args.method.parse().map_err(anyhow::Error::msg)?;
    let sets = args
        .files
        .iter()
        .map(|f| SearchJudgements::read(f).map_err(anyhow::Error::from))
        .collect::<anyhow::Result<Vec<_>>>()?;
    let dir = args.engine.dir();
    let options = EngineOptions {
        vectors: vector_paths(args.engine.vectors.as_deref()),
        ..EngineOptions::default()
    };
    let engine = Engine::open(&dir, &options)
        .with_context(|| format!("opening the index {}", dir.display()))?;
    let seed = match method {
        Method::Seed => Some(SeedRanker::open(&options)?),
        Method::Current => None,
    };
    let mut reports = Vec::new();
    for (file, set) in args.files.iter().zip(&sets) {
        let report = evaluate_search(&engine, set, method, seed.as_ref())?;
        anyhow::ensure!(
            report.files_found > 0,
            "{}: none of its {} files is in the index {} (was the evaluation catalog indexed there?)",
            file.display(),
            set.files.len(),
            dir.display()
        );
        if !args.json {
            if args.per_query || verbose > 0 {
                for q in &report.queries {
                    let flags = [
                        (q.near_silent, "near-silent"),
                        (q.short, "short"),
                        (q.duplicates, "dup"),
                    ]
                    .iter()
                    .filter(|(n, _)| *n > 0)
                    .map(|(n, what)| format!("{n} {what}"))
                    .collect::<Vec<_>>()
                    .join(", ");
                    println!(
                        "{}  nDCG {:.3}  P {:.2}  RR {:.2}  judged {:>3}  album max {}  {:<36} {}",
                        if q.scored { " " } else { "-" },
                        q.ndcg,
                        q.precision,
                        q.reciprocal_rank,
                        q.judged,
                        q.album_max,
                        q.query,
                        flags
                    );
                }
            }
            let b = &report.bad;
            println!(
                "{} ({}): {} method, {}/{} queries scored, {} files found ({} missing): \
                 nDCG@{k} = {:.4}, P@{k} = {:.4}, MRR = {:.4}",
                file.display(),
                report.name,
                args.method,
                report.queries_scored,
                report.queries_total,
                report.files_found,
                report.files_missing,
                report.ndcg,
                report.precision,
                report.mrr,
                k = report.k
            );
            println!(
                "  first pages: near-silent {:.3} ({} pages), short {:.3}, duplicates {:.3} \
                 ({} pages), most from one album {:.2} on average ({} pages over {})",
                b.near_silent_rate,
                b.pages_with_near_silent,
                b.short_rate,
                b.duplicate_rate,
                b.pages_with_duplicate,
                b.album_max_mean,
                b.pages_over_album_limit,
                musearch_searcher::search_eval::ALBUM_LIMIT
            );
        }
        reports.push(serde_json::json!({ "file": file, "report": report }));
    }
    if args.json {
        println!("{}", serde_json::to_string_pretty(&reports)?);
    }
    Ok(())
}
