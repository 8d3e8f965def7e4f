//! `musearch train`: train a tagger from scratch on a data set in the MagnaTagATune layout
//! (see `musearch_models::train`), and with `--export NAME` put it into the model store.

use std::path::PathBuf;

use anyhow::{bail, Context, Result};
use musearch_models::dataset::cache::MelCache;
use musearch_models::dataset::mtt::{MttDataset, Split, TagConvention};
use musearch_models::nets::mfcc::InputFeatures;
use musearch_models::train::amp::Precision;
use musearch_models::train::export::{check_model_name, export_run};
use musearch_models::train::{fit, validate, Example, TrainConfig, Trainer, LOG};

/// Arguments of `musearch train`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The data set directory (annotations_final.csv and the folders 0/ … f/).
    #[arg(long, value_name = "DIR", required_unless_present = "throughput")]
    pub data: Option<PathBuf>,
    /// Architecture: fcn3, fcn4 or fcn5 (Choi et al. 2016), multiscale (after Dabral et al.
    /// 2018), shortres (short-chunk ResNet, Won et al. 2020) or musicnn (Pons & Serra 2019,
    /// from scratch).
    #[arg(long, default_value = "fcn4")]
    pub model: String,
    /// Network input: the log-mel bands (mel) or their MFCCs (mfcc: orthonormal DCT-II of the
    /// log-mel, as librosa's feature.mfcc).
    #[arg(long, default_value = "mel", value_name = "mel|mfcc")]
    pub input: String,
    /// MFCCs kept with `--input mfcc`.
    #[arg(long, default_value_t = 20, value_name = "N")]
    pub n_mfcc: usize,
    /// Where the network runs.
    #[command(flatten)]
    pub device: super::args::DeviceArgs,
    /// Run directory: checkpoint/, best.safetensors, train.jsonl (default DATA/runs/MODEL).
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,
    /// The mel cache.
    #[command(flatten)]
    pub cache: super::args::MelCacheArgs,
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
    /// Frames per training example (default: 187 = 3 s, one musicnn patch; 231 = 3.7 s for
    /// shortres).
    #[arg(long)]
    pub frames: Option<usize>,
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
    /// After training, put the best weights into the model store under this name, for
    /// `musearch tag --model NAME` and `musearch index -m NAME`.
    #[arg(long, value_name = "NAME")]
    pub export: Option<String>,
    /// The model store.
    #[command(flatten)]
    pub store: super::args::StoreArgs,
    /// Arithmetic of the forward pass: fp32, or bf16 (autocast, CUDA only).
    #[arg(long, default_value = "fp32", value_name = "fp32|bf16")]
    pub precision: Precision,
    /// Instead of training on data: time this many optimiser steps on random batches (after
    /// 5 warm-up steps) with `--tags-count` outputs, and print one JSON line (examples per
    /// second, training TFLOP/s).
    #[arg(long, value_name = "STEPS")]
    pub throughput: Option<usize>,
    /// Output tags of the `--throughput` network (MagnaTagATune's 50 by default).
    #[arg(long, default_value_t = 50, value_name = "N")]
    pub tags_count: usize,
}

/// The input features named by `--input` and `--n-mfcc`.
fn input_features(args: &Args) -> Result<InputFeatures> {
    Ok(match args.input.as_str() {
        "mel" => InputFeatures::Mel,
        "mfcc" => InputFeatures::Mfcc {
            n_mfcc: args.n_mfcc,
        },
        other => bail!("--input is mel or mfcc, not '{other}'"),
    })
}

/// A new run's configuration from the flags.
fn new_config(args: &Args, tags: Vec<String>) -> Result<TrainConfig> {
    let mut cfg = TrainConfig::for_architecture(&args.model, tags)?;
    cfg.net = cfg.net.narrow(args.narrow);
    cfg.input = input_features(args)?;
    cfg.epochs = args.epochs;
    cfg.batch_size = args.batch_size;
    cfg.lr = args.lr;
    cfg.frames = args.frames.unwrap_or(cfg.frames);
    cfg.early_stop_patience = args.patience;
    cfg.seed = args.seed;
    cfg.precision = args.precision;
    Ok(cfg)
}

/// `--throughput STEPS`: times training steps on random batches.
fn throughput(args: &Args, steps: usize, device: musearch_models::nets::Device) -> Result<()> {
    let tags = (0..args.tags_count).map(|i| format!("tag{i}")).collect();
    let mut trainer = Trainer::new(new_config(args, tags)?, device)?;
    let report = musearch_models::train::throughput::measure(&mut trainer, 5, steps)?;
    println!("{}", serde_json::to_string(&report)?);
    Ok(())
}

/// Runs `musearch train`.
pub fn run(args: Args) -> Result<()> {
    if let Some(name) = &args.export {
        check_model_name(name)?;
    }
    let device = args.device.resolve()?;
    if let Some(steps) = args.throughput {
        return throughput(&args, steps, device);
    }
    let data = args.data.clone().context("--data is required")?;
    let ds = MttDataset::open(&data, args.tags, args.top_k)?;
    let out = args
        .out
        .clone()
        .unwrap_or_else(|| data.join("runs").join(&args.model));
    let cache_dir = args.cache.dir(&data);
    let paths: Vec<&str> = ds.clips.iter().map(|c| c.path.as_str()).collect();
    let bar = indicatif::ProgressBar::new(paths.len() as u64);
    bar.set_style(
        indicatif::ProgressStyle::with_template(
            "{spinner} mel cache [{bar:40}] {pos}/{len} clips, eta {eta}",
        )
        .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
    );
    let cache =
        MelCache::open_or_build(&cache_dir, &data, &paths, args.cache.jobs, &|| bar.inc(1))?;
    bar.finish_and_clear();
    let (train, val, test) = (
        Example::of_split(&ds, Split::Train),
        Example::of_split(&ds, Split::Validation),
        Example::of_split(&ds, Split::Test),
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
        Trainer::new(new_config(&args, ds.tags.clone())?, device)?
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
    println!(
        "{}: {:.2} GMAC per {}-frame example; curves in {}",
        trainer.config.net.name(),
        trainer
            .network()
            .macs_per_patch(trainer.config.frames as i64) as f64
            / 1e9,
        trainer.config.frames,
        out.display()
    );
    // Test with the best weights.
    let best = out.join(musearch_models::train::BEST);
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
    println!("run in {} (log {})", out.display(), out.join(LOG).display());
    if let Some(name) = &args.export {
        let store = args.store.dir();
        let dir = export_run(&out, &store, name, &data.display().to_string())
            .with_context(|| format!("exporting the run to the model store {}", store.display()))?;
        println!("exported as {name}: {}", dir.display());
    }
    Ok(())
}
