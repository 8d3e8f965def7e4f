//! `musearch eval`: macro ROC-AUC and PR-AUC, and a per-tag table, of a trained run on a
//! split of a data set in the MagnaTagATune layout (see `musearch_models::metrics`).

use std::path::PathBuf;

use anyhow::{bail, Context, Result};
use musearch_models::dataset::cache::MelCache;
use musearch_models::dataset::mtt::{MttDataset, Split, TagConvention};
use musearch_models::torch_runtime::DeviceChoice;
use musearch_models::train::{evaluate_clips, Example, Trainer};

/// Arguments of `musearch eval`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The data set directory (annotations_final.csv and the folders 0/ … f/).
    #[arg(long, value_name = "DIR")]
    pub data: PathBuf,
    /// A run directory of `musearch train` (its checkpoint/ and best.safetensors).
    #[arg(long, value_name = "DIR")]
    pub run: PathBuf,
    /// Which weights: best (best validation ROC-AUC) or last (the checkpoint).
    #[arg(long, default_value = "best")]
    pub weights: String,
    /// The split to evaluate: test, validation or train.
    #[arg(long, default_value = "test")]
    pub split: String,
    /// Tag convention the run was trained with.
    #[arg(long, default_value = "plain")]
    pub tags: TagConvention,
    /// Mel cache directory (default DATA/.mel-cache).
    #[arg(long, value_name = "DIR")]
    pub cache: Option<PathBuf>,
    /// Where to run: cpu, cuda, cuda:N or auto.
    #[arg(long, default_value = "auto")]
    pub device: String,
    /// Most 187-frame patches averaged per clip.
    #[arg(long, default_value_t = 64)]
    pub max_patches: usize,
    /// Print the report as JSON.
    #[arg(long)]
    pub json: bool,
    /// Threads computing the mel cache.
    #[arg(long, default_value_t = 2)]
    pub jobs: usize,
}

/// Runs `musearch eval`.
pub fn run(args: Args) -> Result<()> {
    let split = match args.split.as_str() {
        "test" => Split::Test,
        "validation" => Split::Validation,
        "train" => Split::Train,
        other => bail!("unknown split '{other}' (test, validation, train)"),
    };
    let device = args.device.parse::<DeviceChoice>()?.resolve()?;
    let checkpoint = args.run.join("checkpoint");
    let mut trainer = Trainer::resume(&checkpoint, device)
        .with_context(|| format!("reading the run {}", args.run.display()))?;
    if args.weights == "best" {
        trainer.load_weights(&args.run.join("best.safetensors"))?;
    } else if args.weights != "last" {
        bail!("--weights is best or last");
    }
    let ds = MttDataset::open(&args.data, args.tags, usize::MAX)?
        .select_tags(&trainer.config.tags)
        .context("the run's tags are not all in the data set")?;
    let cache_dir = args
        .cache
        .clone()
        .unwrap_or_else(|| args.data.join(".mel-cache"));
    let paths: Vec<&str> = ds.clips.iter().map(|c| c.path.as_str()).collect();
    let cache = MelCache::open_or_build(&cache_dir, &args.data, &paths, args.jobs, &|| {})?;
    let examples: Vec<Example> = ds
        .clips
        .iter()
        .enumerate()
        .filter(|(i, c)| c.split == split && cache.entry(*i).frames > 0)
        .map(|(i, c)| Example {
            clip: i,
            labels: c.labels.clone(),
        })
        .collect();
    if examples.is_empty() {
        bail!("no decodable clip in the {} split", args.split);
    }
    let report = evaluate_clips(&trainer, &cache, &examples, args.max_patches)?;
    if args.json {
        println!("{}", serde_json::to_string_pretty(&report)?);
    } else {
        print!("{}", report.table());
    }
    Ok(())
}
