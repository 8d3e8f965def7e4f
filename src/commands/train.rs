//! `musearch train`: train a tagger from scratch on a data set in the MagnaTagATune layout
//! (see `musearch_models::train`).

use std::path::PathBuf;

use anyhow::{bail, Context, Result};
use musearch_models::dataset::cache::MelCache;
use musearch_models::dataset::mtt::{MttDataset, Split, TagConvention};
use musearch_models::torch_runtime::DeviceChoice;
use musearch_models::train::{fit, validate, Example, TrainConfig, Trainer};

/// Arguments of `musearch train`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The data set directory (annotations_final.csv and the folders 0/ … f/).
    #[arg(long, value_name = "DIR")]
    pub data: PathBuf,
    /// Architecture: fcn3, fcn4 or fcn5 (Choi et al. 2016).
    #[arg(long, default_value = "fcn4")]
    pub model: String,
    /// Where to run: cpu, cuda, cuda:N or auto.
    #[arg(long, default_value = "auto")]
    pub device: String,
    /// Run directory: checkpoint/, best.safetensors, train.jsonl (default DATA/runs/MODEL).
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,
    /// Mel cache directory (default DATA/.mel-cache); built on first use.
    #[arg(long, value_name = "DIR")]
    pub cache: Option<PathBuf>,
    /// Tag convention: plain (top tags as they are) or merged (Dabral et al. 2018 synonyms).
    #[arg(long, default_value = "plain")]
    pub tags: TagConvention,
    /// Number of most frequent tags to learn.
    #[arg(long, default_value_t = 50)]
    pub top_k: usize,
    /// Most epochs.
    #[arg(long, default_value_t = 100)]
    pub epochs: usize,
    /// Clips per batch.
    #[arg(long, default_value_t = 16)]
    pub batch_size: usize,
    /// Initial learning rate (Adam).
    #[arg(long, default_value_t = 1e-3)]
    pub lr: f64,
    /// Frames per training example (187 = 3 s, one musicnn patch).
    #[arg(long, default_value_t = 187)]
    pub frames: usize,
    /// Early stopping: epochs without a better validation ROC-AUC.
    #[arg(long, default_value_t = 5)]
    pub patience: usize,
    /// Divide every layer's width by this (quick experiments).
    #[arg(long, default_value_t = 1)]
    pub narrow: i64,
    /// Seed of initialisation and batch order.
    #[arg(long, default_value_t = 0)]
    pub seed: u64,
    /// Continue from OUT/checkpoint.
    #[arg(long)]
    pub resume: bool,
    /// Threads computing the mel cache.
    #[arg(long, default_value_t = 2)]
    pub jobs: usize,
}

/// Runs `musearch train`.
pub fn run(args: Args) -> Result<()> {
    let layers = match args.model.as_str() {
        "fcn3" => 3,
        "fcn4" => 4,
        "fcn5" => 5,
        other => bail!("architecture '{other}' cannot be trained yet (fcn3, fcn4, fcn5)"),
    };
    let device = args.device.parse::<DeviceChoice>()?.resolve()?;
    let ds = MttDataset::open(&args.data, args.tags, args.top_k)?;
    let out = args
        .out
        .clone()
        .unwrap_or_else(|| args.data.join("runs").join(&args.model));
    let cache_dir = args
        .cache
        .clone()
        .unwrap_or_else(|| args.data.join(".mel-cache"));
    let paths: Vec<&str> = ds.clips.iter().map(|c| c.path.as_str()).collect();
    let bar = indicatif::ProgressBar::new(paths.len() as u64);
    bar.set_style(
        indicatif::ProgressStyle::with_template(
            "{spinner} mel cache [{bar:40}] {pos}/{len} clips, eta {eta}",
        )
        .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
    );
    let cache = MelCache::open_or_build(&cache_dir, &args.data, &paths, args.jobs, &|| bar.inc(1))?;
    bar.finish_and_clear();
    let examples = |split| -> Vec<Example> {
        ds.clips
            .iter()
            .enumerate()
            .filter(|(_, c)| c.split == split)
            .map(|(i, c)| Example {
                clip: i,
                labels: c.labels.clone(),
            })
            .collect()
    };
    let (train, val, test) = (
        examples(Split::Train),
        examples(Split::Validation),
        examples(Split::Test),
    );
    println!(
        "{} tags ({:?}); clips: {} train, {} validation, {} test",
        ds.tags.len(),
        args.tags,
        train.len(),
        val.len(),
        test.len()
    );
    let checkpoint = out.join("checkpoint");
    let mut trainer = if args.resume {
        let mut t = Trainer::resume(&checkpoint, device)
            .with_context(|| format!("resuming from {}", checkpoint.display()))?;
        t.config.epochs = args.epochs;
        t
    } else {
        if checkpoint.exists() {
            bail!(
                "{} already holds a run; pass --resume to continue it or --out for a new one",
                out.display()
            );
        }
        let mut cfg = TrainConfig::fcn(layers, ds.tags.clone())?;
        cfg.fcn = cfg.fcn.narrow(args.narrow);
        cfg.epochs = args.epochs;
        cfg.batch_size = args.batch_size;
        cfg.lr = args.lr;
        cfg.frames = args.frames;
        cfg.early_stop_patience = args.patience;
        cfg.seed = args.seed;
        Trainer::new(cfg, device)?
    };
    if trainer.config.tags != ds.tags {
        bail!("the checkpoint's tags differ from the data set's");
    }
    let batches = train.len().div_ceil(trainer.config.batch_size) as u64;
    let bar = indicatif::ProgressBar::new(batches);
    bar.set_style(
        indicatif::ProgressStyle::with_template(
            "{spinner} epoch {msg} [{bar:40}] {pos}/{len} batches, eta {eta}",
        )
        .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
    );
    let mut done = 0u64;
    fit(&mut trainer, &cache, &train, &val, &out, &mut |loss| {
        done += 1;
        if batches == 1 || done % batches == 1 {
            bar.reset();
        }
        bar.set_message(format!("loss {loss:.4}"));
        bar.inc(1);
    })?;
    bar.finish_and_clear();
    for r in &trainer.state.history {
        println!(
            "epoch {:3}  train loss {:.4}  val loss {}  val ROC-AUC {}  PR-AUC {}  lr {:.1e}",
            r.epoch,
            r.train_loss,
            r.val_loss.map_or("-".into(), |v| format!("{v:.4}")),
            r.val_roc_auc.map_or("-".into(), |v| format!("{v:.4}")),
            r.val_pr_auc.map_or("-".into(), |v| format!("{v:.4}")),
            r.lr
        );
    }
    // Test with the best weights.
    let best = out.join("best.safetensors");
    if best.is_file() && !test.is_empty() {
        let mut t = Trainer::new(trainer.config.clone(), device)?;
        t.load_weights(&best)?;
        let (roc, pr, loss) = validate(&t, &cache, &test, 64)?;
        println!(
            "test (best epoch {}): ROC-AUC {}  PR-AUC {}  loss {loss:.4}",
            trainer.state.best_epoch,
            roc.map_or("-".into(), |v| format!("{v:.4}")),
            pr.map_or("-".into(), |v| format!("{v:.4}"))
        );
    }
    println!("run in {}", out.display());
    Ok(())
}
