//! `musearch eval`: macro ROC-AUC and PR-AUC, and a per-tag table, on a split of a data set in
//! the MagnaTagATune layout (see `musearch_models::metrics`), of a trained run (`--run DIR`)
//! or of any model of the store (`--model NAME`, e.g. the imported `MTT_musicnn`), scored on
//! the tags it shares with the data set.

use std::path::PathBuf;

use anyhow::{bail, Context, Result};
use musearch_models::dataset::cache::MelCache;
use musearch_models::dataset::mtt::{MttDataset, Split, TagConvention};
use musearch_models::nets::{Device, Kind, Tagger, Tensor, PATCH_FRAMES};
use musearch_models::tags::normalize_tag;
use musearch_models::train::{evaluate_clips, Example, PatchScorer, TrainError, Trainer};

/// Arguments of `musearch eval`.
#[derive(Debug, clap::Args)]
#[command(group(clap::ArgGroup::new("what").required(true).args(["run", "model"])))]
pub struct Args {
    /// The data set directory (annotations_final.csv and the folders 0/ … f/).
    #[arg(long, value_name = "DIR")]
    pub data: PathBuf,
    /// A run directory of `musearch train` (its checkpoint/ and best.safetensors).
    #[arg(long, value_name = "DIR")]
    pub run: Option<PathBuf>,
    /// A model of the store instead of a run, scored on the tags it shares with the data set.
    #[arg(long, value_name = "NAME")]
    pub model: Option<String>,
    /// The model store.
    #[command(flatten)]
    pub store: super::args::StoreArgs,
    /// Score only these tags (comma-separated), e.g. the instruments.
    #[arg(long, value_delimiter = ',', value_name = "TAG,…")]
    pub only: Vec<String>,
    /// Which weights of a run: best (best validation ROC-AUC) or last (the checkpoint).
    #[arg(long, default_value = "best")]
    pub weights: String,
    /// The split to evaluate: test, validation or train.
    #[arg(long, default_value = "test")]
    pub split: String,
    /// Tag convention of the data set's labels.
    #[arg(long, default_value = "plain")]
    pub tags: TagConvention,
    /// The mel cache.
    #[command(flatten)]
    pub cache: super::args::MelCacheArgs,
    /// Where the network runs.
    #[command(flatten)]
    pub device: super::args::DeviceArgs,
    /// Most patches averaged per clip.
    #[arg(long, default_value_t = 64)]
    pub max_patches: usize,
    /// Print the report as JSON.
    #[arg(long)]
    pub json: bool,
}

/// A store model scored on some of its outputs: the columns `columns` of its probabilities.
struct StoreScorer {
    tagger: Tagger,
    columns: Tensor,
}

impl PatchScorer for StoreScorer {
    fn patch_frames(&self) -> usize {
        PATCH_FRAMES as usize
    }

    fn score(&self, patches: &Tensor) -> Result<Tensor, TrainError> {
        let out = self.tagger.forward(patches)?;
        Ok(out
            .probabilities
            .index_select(1, &self.columns.to_device(self.tagger.device())))
    }
}

/// The model's scorer, the tags it is scored on (the data set's spelling) and the data set
/// restricted to them.
fn store_model(
    args: &Args,
    name: &str,
    device: Device,
) -> Result<(Box<dyn PatchScorer>, Vec<String>, MttDataset)> {
    let store = args.store.dir();
    let (tagger, _, _) =
        Tagger::load(&store, name, device).with_context(|| format!("loading {name}"))?;
    let ds = MttDataset::open(&args.data, args.tags, usize::MAX)?;
    let model_tags: Vec<String> = tagger.tags().iter().map(|t| normalize_tag(t)).collect();
    let mut tags = Vec::new();
    let mut columns = Vec::new();
    for tag in &ds.tags {
        if let Some(col) = model_tags.iter().position(|m| *m == normalize_tag(tag)) {
            tags.push(tag.clone());
            columns.push(col as i64);
        }
    }
    if tags.is_empty() {
        bail!("{name} shares no tag with the data set");
    }
    let ds = ds.select_tags(&tags)?;
    let scorer = StoreScorer {
        tagger,
        columns: Tensor::from_slice(&columns).to_kind(Kind::Int64),
    };
    Ok((Box::new(scorer), tags, ds))
}

/// The run's trainer (best or last weights), its tags and the data set restricted to them.
fn trained_run(
    args: &Args,
    run: &std::path::Path,
    device: Device,
) -> Result<(Box<dyn PatchScorer>, Vec<String>, MttDataset)> {
    let mut trainer = Trainer::resume(&run.join("checkpoint"), device)
        .with_context(|| format!("reading the run {}", run.display()))?;
    if args.weights == "best" {
        trainer.load_weights(&run.join(musearch_models::train::BEST))?;
    } else if args.weights != "last" {
        bail!("--weights is best or last");
    }
    let tags = trainer.config.tags.clone();
    let ds = MttDataset::open(&args.data, args.tags, usize::MAX)?
        .select_tags(&tags)
        .context("the run's tags are not all in the data set")?;
    Ok((Box::new(trainer), tags, ds))
}

/// Runs `musearch eval`.
pub fn run(args: Args) -> Result<()> {
    let split = match args.split.as_str() {
        "test" => Split::Test,
        "validation" => Split::Validation,
        "train" => Split::Train,
        other => bail!("unknown split '{other}' (test, validation, train)"),
    };
    let device = args.device.resolve()?;
    let (scorer, mut tags, mut ds) = match (&args.run, &args.model) {
        (Some(run), _) => trained_run(&args, run, device)?,
        (None, Some(name)) => store_model(&args, name, device)?,
        (None, None) => bail!("pass --run DIR or --model NAME"),
    };
    // `--only`: keep those tags, as positions in the scorer's outputs.
    let mut keep: Vec<usize> = (0..tags.len()).collect();
    if !args.only.is_empty() {
        keep = args
            .only
            .iter()
            .map(|t| {
                tags.iter()
                    .position(|x| normalize_tag(x) == normalize_tag(t))
                    .with_context(|| format!("--only: '{t}' is not among the scored tags {tags:?}"))
            })
            .collect::<Result<_>>()?;
        tags = keep.iter().map(|&i| tags[i].clone()).collect();
        ds = ds.select_tags(&tags)?;
    }
    let cache_dir = args.cache.dir(&args.data);
    // The cache holds every clip of the annotation file in order, so its indices are the
    // data set's whatever tags are kept.
    let paths: Vec<&str> = ds.clips.iter().map(|c| c.path.as_str()).collect();
    let cache = MelCache::open_or_build(&cache_dir, &args.data, &paths, args.cache.jobs, &|| {})?;
    let examples: Vec<Example> = Example::of_split(&ds, split)
        .into_iter()
        .filter(|e| cache.entry(e.clip).frames > 0)
        .collect();
    if examples.is_empty() {
        bail!("no decodable clip in the {} split", args.split);
    }
    let selected = Selected {
        inner: scorer.as_ref(),
        columns: Tensor::from_slice(&keep.iter().map(|&i| i as i64).collect::<Vec<_>>()),
    };
    let report = evaluate_clips(&selected, &tags, &cache, &examples, args.max_patches)?;
    if args.json {
        println!("{}", serde_json::to_string_pretty(&report)?);
    } else {
        println!(
            "{} clips of the {} split, {} tags",
            examples.len(),
            args.split,
            tags.len()
        );
        print!("{}", report.table());
    }
    Ok(())
}

/// Some outputs of a scorer, in a given order.
struct Selected<'a> {
    inner: &'a dyn PatchScorer,
    columns: Tensor,
}

impl PatchScorer for Selected<'_> {
    fn patch_frames(&self) -> usize {
        self.inner.patch_frames()
    }

    fn score(&self, patches: &Tensor) -> Result<Tensor, TrainError> {
        let p = self.inner.score(patches)?;
        Ok(p.index_select(1, &self.columns.to_device(p.device())))
    }
}
