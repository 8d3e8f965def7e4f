//! `musearch tag FILE…`: tag audio files with one of the pretrained taggers in the model store.
//!
//! Each file goes through the musicnn front-end (16 kHz log-mel, non-overlapping 3 s patches),
//! the network (musicnn or its VGG baseline, Pons & Serra 2019) in batches, and the patch
//! probabilities are averaged over time, as musicnn's `top_tags` does. A file that cannot be
//! decoded is reported and skipped; the exit status is non-zero when any was.

use std::path::PathBuf;

use anyhow::bail;

/// Flags of `musearch tag`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Audio files to tag.
    #[arg(required = true, value_name = "FILE")]
    pub files: Vec<PathBuf>,
    /// The model (see `musearch models list`).
    #[arg(long, short, default_value = "MTT_musicnn")]
    pub model: String,
    /// How many tags to print per file.
    #[arg(long, default_value_t = 10)]
    pub top: usize,
    /// Where to run the network: cpu, cuda, cuda:N or auto.
    #[arg(long, default_value = "auto")]
    pub device: String,
    /// Patches per forward pass.
    #[arg(long, default_value_t = 64)]
    pub batch_size: usize,
    /// The model store (default: `$MUSEARCH_HOME`, else the user's data directory).
    #[arg(long, value_name = "DIR")]
    pub store: Option<PathBuf>,
    /// Print one JSON object per file (all tags, the mean embedding) instead of text.
    #[arg(long)]
    pub json: bool,
}

/// What `musearch tag --json` prints for one file.
#[cfg(feature = "torch")]
#[derive(Debug, serde::Serialize)]
struct FileTags {
    file: PathBuf,
    model: String,
    patches: usize,
    duration_secs: f64,
    /// All tags, most probable first, with their time-averaged probabilities.
    tags: Vec<(String, f32)>,
    /// The time-averaged embedding (penultimate layer).
    embedding: Vec<f32>,
}

/// Runs `musearch tag` (not available without the `torch` feature).
#[cfg(not(feature = "torch"))]
pub fn run(_args: Args) -> anyhow::Result<()> {
    bail!("this musearch was built without the `torch` feature: it cannot run the taggers")
}

/// Runs `musearch tag`.
#[cfg(feature = "torch")]
pub fn run(args: Args) -> anyhow::Result<()> {
    use anyhow::Context;
    use musearch_models::audio::{N_MELS, PATCH_FRAMES};
    use musearch_models::manifest::{MANIFEST_FILE, WEIGHTS_FILE};
    use musearch_models::nets::{Device, Kind, PretrainedModel, Tagger, Tensor};
    use musearch_models::torch_runtime::DeviceChoice;

    let model = PretrainedModel::from_name(&args.model).with_context(|| {
        format!(
            "unknown model {:?} (MTT_musicnn, MTT_vgg, MSD_musicnn, MSD_vgg)",
            args.model
        )
    })?;
    let device = args.device.parse::<DeviceChoice>()?.resolve()?;
    let store = args
        .store
        .clone()
        .unwrap_or_else(musearch_models::store::model_store_dir);
    let dir = store.join(model.name());
    if !dir.join(MANIFEST_FILE).is_file() {
        bail!(
            "{model} is not in the model store {} (run `musearch models import-musicnn`)",
            store.display()
        );
    }
    let manifest = super::models::read_manifest(&dir.join(MANIFEST_FILE))?;
    let tagger = Tagger::from_safetensors(model, &dir.join(&manifest.weights), device)
        .with_context(|| format!("loading {}", dir.join(WEIGHTS_FILE).display()))?;
    let batch_size = args.batch_size.max(1) as i64;

    let mut failed = 0usize;
    for file in &args.files {
        let (mel, summary) = match musearch_models::audio::log_mel_file(file) {
            Ok(v) => v,
            Err(err) => {
                eprintln!("skipped {}: {err}", file.display());
                failed += 1;
                continue;
            }
        };
        let patches = mel.patches();
        let n = (patches.len() / (PATCH_FRAMES * N_MELS)) as i64;
        let x = Tensor::from_slice(&patches).view([n, PATCH_FRAMES as i64, N_MELS as i64]);
        let mut probs = Vec::new();
        let mut embs = Vec::new();
        for start in (0..n).step_by(batch_size as usize) {
            let len = batch_size.min(n - start);
            let out = tagger.forward(&x.narrow(0, start, len))?;
            probs.push(out.probabilities.to_device(Device::Cpu));
            embs.push(out.embedding.to_device(Device::Cpu));
        }
        let mean = |parts: &[Tensor]| -> anyhow::Result<Vec<f32>> {
            let t = Tensor::cat(parts, 0).mean_dim(&[0i64][..], false, Kind::Float);
            Ok(Vec::<f32>::try_from(t)?)
        };
        let mean_probs = mean(&probs)?;
        let embedding = mean(&embs)?;
        let mut tags: Vec<(String, f32)> = tagger
            .tags()
            .iter()
            .map(|t| t.to_string())
            .zip(mean_probs)
            .collect();
        tags.sort_by(|a, b| b.1.total_cmp(&a.1));
        if args.json {
            let record = FileTags {
                file: file.clone(),
                model: model.name().to_string(),
                patches: n as usize,
                duration_secs: summary.duration_secs(),
                tags,
                embedding,
            };
            println!("{}", serde_json::to_string(&record)?);
        } else {
            let top: Vec<String> = tags
                .iter()
                .take(args.top)
                .map(|(t, p)| format!("{t} ({p:.2})"))
                .collect();
            println!("{}: {}", file.display(), top.join(", "));
        }
    }
    if failed > 0 {
        bail!(
            "{failed} of {} file(s) could not be tagged",
            args.files.len()
        );
    }
    Ok(())
}
