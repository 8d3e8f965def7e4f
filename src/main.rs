//! `musearch`: the command-line tool. Each subcommand lives in its own module under
//! `commands/` and only wires flags to the library crates.

mod commands;

/// mimalloc for every Rust allocation (libtorch keeps its own allocator): per-request allocation
/// in the server cost ~15 % of its time under glibc malloc (docs/BENCHMARKS.md).
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

use clap::{Parser, Subcommand};

/// Semantic music search: tag audio with a CNN, search it with words.
#[derive(Debug, Parser)]
#[command(name = "musearch", version, about, long_about = None)]
struct Cli {
    /// More log output (-v info, -vv debug, -vvv trace). `RUST_LOG` overrides it.
    #[arg(short, long, global = true, action = clap::ArgAction::Count)]
    verbose: u8,

    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Compute the log-mel spectrogram the taggers see, as a picture and/or a .npy array.
    Mel(commands::mel::Args),
    /// Benchmarks that print figures (see docs/BENCHMARKS.md).
    #[command(subcommand)]
    Bench(commands::bench::BenchCommand),
    /// Check the installation: libtorch, CUDA, the model store.
    Doctor(commands::doctor::Args),
    /// Manage the model store: import musicnn's pretrained taggers, list models.
    #[command(subcommand)]
    Models(commands::models::ModelsCommand),
    /// Tag audio files with a pretrained tagger from the model store.
    Tag(commands::tag::Args),
    /// Index music folders: tag every track and make it searchable (incremental, crash-safe).
    Index(commands::index::Args),
    /// Show what an index holds: tracks, hours of audio, models, size on disk.
    Info(commands::info::Args),
    /// Search the index: free text to ranked tracks, each with why it ranks there.
    Search(commands::search::Args),
    /// Draw the t-SNE maps: the tags by meaning, or (`--tracks`) the catalog by sound.
    Map(commands::map::Args),
    /// The tracks that sound most like one indexed track (by id or file path).
    Similar(commands::similar::Args),
    /// Score query → tag mapping on a graded relevance file: nDCG@5 and nDCG@10.
    EvalQueries(commands::eval_queries::Args),
    /// Score whole searches on graded judgements of files: nDCG@10, P@10, MRR and the rates
    /// of bad results on first pages (near-silent, short, duplicates, one album).
    EvalSearch(commands::eval_search::Args),
    /// Compose and render a synthetic data set in the MagnaTagATune layout with known labels.
    SynthDataset(commands::synth_dataset::Args),
    /// Serve the search API, the audio and the page over HTTP (prints the URL).
    Serve(commands::serve::Args),
    /// Train a tagger (FCN-3/4/5, multi-scale, short-chunk ResNet) on a data set in the
    /// MagnaTagATune layout; `--export NAME` puts it into the model store.
    #[cfg(feature = "torch")]
    Train(commands::train::Args),
    /// Evaluate a trained run or a store model on a data set: macro ROC-AUC and PR-AUC and a
    /// per-tag table.
    #[cfg(feature = "torch")]
    Eval(commands::eval::Args),
}

fn main() -> std::process::ExitCode {
    let cli = Cli::parse();
    // `serve` sets up its own logs (request lines, JSON on request).
    if !matches!(cli.command, Command::Serve(_)) {
        init_logging(cli.verbose);
    }
    let result = match cli.command {
        Command::Mel(args) => commands::mel::run(args),
        Command::Bench(cmd) => commands::bench::run(cmd),
        Command::Doctor(args) => commands::doctor::run(args),
        Command::Models(cmd) => commands::models::run(cmd),
        Command::Tag(args) => commands::tag::run(args),
        Command::Index(args) => commands::index::run(args),
        Command::Info(args) => commands::info::run(args),
        Command::Search(args) => commands::search::run(args),
        Command::Map(args) => commands::map::run(args),
        Command::Similar(args) => commands::similar::run(args),
        Command::EvalQueries(args) => commands::eval_queries::run(args, cli.verbose),
        Command::EvalSearch(args) => commands::eval_search::run(args, cli.verbose),
        Command::SynthDataset(args) => commands::synth_dataset::run(args),
        Command::Serve(args) => commands::serve::run(args, cli.verbose),
        #[cfg(feature = "torch")]
        Command::Train(args) => commands::train::run(args),
        #[cfg(feature = "torch")]
        Command::Eval(args) => commands::eval::run(args),
    };
    match result {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("error: {}", error_chain(&err));
            std::process::ExitCode::FAILURE
        }
    }
}

/// The error and its causes on one line, `outer: cause: root`, leaving out a cause whose text
/// the line already holds (library errors often print their source in their own message too,
/// and the line would otherwise say the same thing twice).
fn error_chain(err: &anyhow::Error) -> String {
    let mut line = String::new();
    for cause in err.chain() {
        let text = cause.to_string();
        if line.contains(&text) {
            continue;
        }
        if !line.is_empty() {
            line.push_str(": ");
        }
        line.push_str(&text);
    }
    line
}

fn init_logging(verbose: u8) {
    // symphonia reports every skipped byte of junk; musearch's own errors say what matters.
    let default = match verbose {
        0 => "warn,symphonia=off",
        1 => "info,symphonia=error",
        2 => "debug",
        _ => "trace",
    };
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(default));
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .init();
}

#[cfg(test)]
mod tests {
    use super::*;

    /// An error that prints its source in its own message, as `IndexError::Store` does with
    /// sled's "could not acquire lock" error.
    #[derive(Debug)]
    struct Outer(std::io::Error);

    impl std::fmt::Display for Outer {
        fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            write!(f, "track store /x/store: {}", self.0)
        }
    }

    impl std::error::Error for Outer {
        fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
            Some(&self.0)
        }
    }

    #[test]
    fn a_cause_already_in_the_message_is_said_once() {
        let io = std::io::Error::other("could not acquire lock on \"/x/store/db\"");
        let err = anyhow::Error::new(Outer(io)).context("opening the index /x");
        // What `{:#}` printed: the lock message twice on one line.
        assert_eq!(format!("{err:#}").matches("acquire lock").count(), 2);
        let line = error_chain(&err);
        assert_eq!(line.matches("acquire lock").count(), 1, "{line}");
        assert!(
            line.starts_with("opening the index /x: track store /x/store: "),
            "{line}"
        );
    }
}
