//! `musearch index DIR…`: scan music folders, tag every new or changed track with the configured
//! taggers and record it in the index (sled track store + tantivy text index). Incremental and
//! crash-safe; see the `musearch-indexer` crate documentation.

use std::path::PathBuf;

/// Flags of `musearch index`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Music folders, scanned recursively (symbolic links followed, loops skipped).
    #[arg(required = true, value_name = "DIR")]
    pub dirs: Vec<PathBuf>,
    /// The index directory.
    #[command(flatten)]
    pub index: super::args::IndexDirArgs,
    /// Taggers to run on every track (repeat the flag for several).
    #[arg(long = "model", short, default_values_t = [String::from("MTT_musicnn"), String::from("MSD_musicnn")])]
    pub models: Vec<String>,
    /// Where the networks run.
    #[command(flatten)]
    pub device: super::args::DeviceArgs,
    /// Patches (3 s each) per forward pass.
    #[arg(long, default_value_t = 32)]
    pub batch_size: usize,
    /// Decoding threads (default: one per core).
    #[arg(long)]
    pub workers: Option<usize>,
    /// Remove tracks whose files are gone.
    #[arg(long)]
    pub prune: bool,
    /// Write the run's report (counts, failures with reasons) to this JSON file.
    #[arg(long, value_name = "FILE.json")]
    pub report: Option<PathBuf>,
    /// The model store.
    #[command(flatten)]
    pub store: super::args::StoreArgs,
    /// Make the work visible (commit) after this many files …
    #[arg(long, default_value_t = 256)]
    pub commit_every: usize,
    /// … or after this many seconds.
    #[arg(long, default_value_t = 10.0)]
    pub commit_secs: f64,
    /// Refuse truncated files (a failure in the report) instead of indexing what decoded with a
    /// `truncated` warning.
    #[arg(long)]
    pub refuse_truncated: bool,
}

/// The index directory `musearch index` and `musearch info` use when none is given.
pub fn default_index_dir(arg: Option<PathBuf>) -> PathBuf {
    arg.unwrap_or_else(|| musearch_models::store::model_store_dir().join("index"))
}

/// Runs `musearch index` (not available without the `torch` feature).
#[cfg(not(feature = "torch"))]
pub fn run(_args: Args) -> anyhow::Result<()> {
    anyhow::bail!("this musearch was built without the `torch` feature: it cannot run the taggers")
}

/// Runs `musearch index`.
#[cfg(feature = "torch")]
pub fn run(args: Args) -> anyhow::Result<()> {
    use anyhow::Context;
    use musearch_indexer::tagger::TorchTaggers;
    use musearch_indexer::{pipeline, Index, Options};

    let device = args.device.resolve()?;
    let mut taggers = TorchTaggers::load(&args.store.dir(), &args.models, device)?;
    if device == musearch_models::nets::Device::Cpu {
        // Batches reuse their activations' memory instead of page-faulting it in again.
        musearch_models::nets::keep_freed_memory();
    }
    let dir = args.index.dir();
    let mut index = Index::open(&dir).with_context(|| format!("opening {}", dir.display()))?;
    let defaults = Options::default();
    let options = Options {
        roots: args.dirs.clone(),
        prune: args.prune,
        workers: args.workers.unwrap_or(defaults.workers),
        batch_size: args.batch_size,
        commit_every: args.commit_every.max(1),
        commit_interval: std::time::Duration::from_secs_f64(args.commit_secs.max(0.0)),
        refuse_truncated: args.refuse_truncated,
        ..defaults
    };
    let mut progress = RunProgress::new();
    let mut report = pipeline::run(&mut index, &mut taggers, &options, &mut |p| {
        progress.update(p)
    })?;
    progress.finish();
    report.reconciled = index.reconciled_on_open().clone();
    println!("{}", report.summary());
    println!("index: {}", dir.display());
    if let Some(path) = &args.report {
        let json = serde_json::to_string_pretty(&report)?;
        std::fs::write(path, json).with_context(|| format!("writing {}", path.display()))?;
    }
    Ok(())
}

/// How a run shows its progress: an indicatif bar when stderr is a terminal, else a plain log line
/// every [`LOG_EVERY`] (CI and log files would show nothing of a redrawn bar).
#[cfg(feature = "torch")]
enum RunProgress {
    /// Redrawn in place on a terminal.
    Bar(indicatif::ProgressBar),
    /// Periodic lines, and the last state for the closing line.
    Log(
        musearch_indexer::ProgressLog,
        Option<musearch_indexer::Progress>,
    ),
}

/// How often a log line is written when stderr is not a terminal.
#[cfg(feature = "torch")]
const LOG_EVERY: std::time::Duration = std::time::Duration::from_secs(15);

#[cfg(feature = "torch")]
impl RunProgress {
    fn new() -> RunProgress {
        use std::io::IsTerminal;
        if !std::io::stderr().is_terminal() {
            let log = musearch_indexer::ProgressLog::new(std::time::Instant::now(), LOG_EVERY);
            return RunProgress::Log(log, None);
        }
        let bar = indicatif::ProgressBar::new(0);
        bar.set_style(
            indicatif::ProgressStyle::with_template(
                "{spinner} {elapsed_precise} [{wide_bar}] {pos}/{len} files, {per_sec}, ETA {eta} {msg}",
            )
            .expect("valid template")
            .progress_chars("=> "),
        );
        RunProgress::Bar(bar)
    }

    fn update(&mut self, p: &musearch_indexer::Progress) {
        match self {
            RunProgress::Bar(bar) => {
                bar.set_length(p.found);
                bar.set_position(p.done);
                let scanning = if p.scan_done { "" } else { " (scanning)" };
                // Moves while one long file decodes (the pipeline calls back every second).
                let audio = format!("{:.0} s of audio", p.audio_secs);
                if p.failed > 0 {
                    bar.set_message(format!("{audio}, {} failed{scanning}", p.failed));
                } else {
                    bar.set_message(format!("{audio}{scanning}"));
                }
            }
            RunProgress::Log(log, last) => {
                if let Some(line) = log.due(p, std::time::Instant::now()) {
                    eprintln!("{line}");
                }
                *last = Some(p.clone());
            }
        }
    }

    fn finish(self) {
        match self {
            RunProgress::Bar(bar) => bar.finish_and_clear(),
            RunProgress::Log(log, Some(last)) => {
                eprintln!("{}", log.line(&last, std::time::Instant::now()));
            }
            RunProgress::Log(_, None) => {}
        }
    }
}
