//! `musearch serve [--index INDEX] [--bind ADDR] [--config musearch.toml] [--min-length S]
//! [--no-diversity] [--max-per-album N]`: the JSON API, the audio,
//! the taggram pictures and the page over HTTP (see `musearch-web` and docs/API.md). Prints the
//! URL on stdout (its only line there) once it listens.

use std::path::PathBuf;
use std::sync::Arc;

use anyhow::Context;
use musearch_web::{LogFormat, ServerConfig};

use super::search::{EngineArgs, RankingArgs};

/// Flags of `musearch serve`; they override the `[server]` table of the configuration file.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Which index and word vectors (`--db` is another name for `--index`).
    #[command(flatten)]
    pub engine: EngineArgs,
    /// Address and port to listen on (default 127.0.0.1:8080; port 0 picks a free one).
    #[arg(long, value_name = "ADDR:PORT")]
    pub bind: Option<String>,
    /// The ranking rules (minimum length, album diversity), over the `[ranking]` table.
    #[command(flatten)]
    pub ranking: RankingArgs,
    /// A musearch.toml with a `[server]` table (API keys, CORS origins, limits, log format)
    /// and a `[ranking]` table (the rules applied to every ranking).
    #[arg(long, env = "MUSEARCH_CONFIG", value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// Request logs as JSON lines (as `log_format = "json"`).
    #[arg(long)]
    pub log_json: bool,
    /// HTTP worker threads (default: one per core).
    #[arg(long)]
    pub workers: Option<usize>,
}

/// Runs `musearch serve`; `verbose` is the global `-v` count.
pub fn run(args: Args, verbose: u8) -> anyhow::Result<()> {
    let mut config = match &args.config {
        Some(path) => ServerConfig::load(path)?,
        None => ServerConfig::default(),
    };
    let ranking = match &args.config {
        Some(path) => musearch_web::config::load_ranking(path)?,
        None => Default::default(),
    };
    let ranking = args.ranking.apply(ranking)?;
    if let Some(bind) = args.bind {
        config.bind = bind;
    }
    if args.log_json {
        config.log_format = LogFormat::Json;
    }
    if let Some(workers) = args.workers {
        config.workers = workers;
    }
    musearch_web::logging::init(verbose, config.log_format);

    let dir = args.engine.dir();
    let spinner = indicatif::ProgressBar::new_spinner();
    spinner.set_message(format!("loading {}", dir.display()));
    spinner.enable_steady_tick(std::time::Duration::from_millis(120));
    let engine = args.engine.open_with(ranking);
    spinner.finish_and_clear();
    let engine = Arc::new(engine?);
    let tracks = engine.stats().tracks;

    musearch_web::run(engine, config, |addr| {
        tracing::info!(%addr, tracks, "listening");
        println!("http://{addr}/");
        use std::io::Write;
        let _ = std::io::stdout().flush();
    })
    .context("running the HTTP server")
}
