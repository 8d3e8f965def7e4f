//! `musearch tag FILE…`: tag audio files with one of the pretrained taggers in the model store.
//!
//! Each file goes through the musicnn front-end (16 kHz log-mel, non-overlapping 3 s patches),
//! the network (musicnn or its VGG baseline, Pons & Serra 2019) in batches, and the patch
//! probabilities (the taggram) are averaged over time, as musicnn's `top_tags` does, or their
//! maximum taken (`--aggregate max`). `--taggram OUT.png` draws each file's taggram. A thread
//! decodes the next file while the network runs. A file that cannot be decoded is reported and
//! skipped; the exit status is non-zero when any was.

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
    /// Where the network runs.
    #[command(flatten)]
    pub device: super::args::DeviceArgs,
    /// Patches per forward pass (on the CPU, about 1.6 GB of activations for 64).
    #[arg(long, default_value_t = 64)]
    pub batch_size: usize,
    /// The model store.
    #[command(flatten)]
    pub store: super::args::StoreArgs,
    /// Print one JSON object per file (all tags, the mean embedding) instead of text.
    #[arg(long)]
    pub json: bool,
    /// Track-level score of a tag: the mean of its patch probabilities (musicnn's `top_tags`)
    /// or their maximum (whether it occurs anywhere).
    #[arg(long, default_value = "mean", value_name = "mean|max")]
    pub aggregate: musearch_models::taggram::Aggregate,
    /// Draw each file's taggram (tags × time heat map) as a PNG: OUT.png itself for one file;
    /// for several files OUT-1.png, OUT-2.png … numbered in the order the files are given.
    #[arg(long, value_name = "OUT.png")]
    pub taggram: Option<PathBuf>,
    /// libtorch's CPU threads.
    #[command(flatten)]
    pub threads: super::args::ThreadsArgs,
    /// Print a summary on stderr at the end (one JSON line after `stats: `): audio seconds,
    /// patches, wall and network seconds, the network's GFLOP/s.
    #[arg(long)]
    pub stats: bool,
}

/// Where the taggram of the `index`-th (0-based) of `n_files` files goes: `out` itself for a
/// single file, else `out` with `-<index + 1>` before its extension.
#[cfg(feature = "torch")]
fn taggram_path(out: &std::path::Path, index: usize, n_files: usize) -> PathBuf {
    if n_files <= 1 {
        return out.to_owned();
    }
    let stem = out.file_stem().unwrap_or_default().to_string_lossy();
    let name = match out.extension() {
        Some(ext) => format!("{stem}-{}.{}", index + 1, ext.to_string_lossy()),
        None => format!("{stem}-{}", index + 1),
    };
    out.with_file_name(name)
}

/// What `musearch tag --json` prints for one file.
#[cfg(feature = "torch")]
#[derive(Debug, serde::Serialize)]
struct FileTags {
    file: PathBuf,
    model: String,
    patches: usize,
    duration_secs: f64,
    /// How the track-level scores were computed from the patches (`mean` or `max`).
    aggregate: &'static str,
    /// All tags, highest track-level score first.
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
    use musearch_models::audio::{MelConfig, PATCH_FRAMES};
    use musearch_models::nets::Tagger;
    use musearch_models::taggram::Taggram;
    use std::time::Instant;

    let device = args.device.resolve()?;
    let (tagger, _, weights) = Tagger::load(&args.store.dir(), &args.model, device)
        .with_context(|| format!("loading {}", args.model))?;
    let model = tagger.name().to_string();
    tracing::info!("loaded {model} from {}", weights.display());
    let batch_size = args.batch_size.max(1);
    args.threads.apply();
    if device == musearch_models::nets::Device::Cpu {
        musearch_models::nets::keep_freed_memory();
    }
    let tags: Vec<String> = tagger.tags().to_vec();
    let mel_config = MelConfig::musicnn();
    let patch_secs = (PATCH_FRAMES * mel_config.hop) as f64 / f64::from(mel_config.sample_rate);
    let started = Instant::now();
    let (mut network_secs, mut audio_secs, mut n_patches) = (0.0f64, 0.0f64, 0usize);

    // Decoding overlaps the network: a thread decodes the next file into a bounded channel
    // while the network runs on this one.
    let (sender, receiver) = std::sync::mpsc::sync_channel(1);
    let files = args.files.clone();
    let decoder = std::thread::spawn(move || {
        for file in files {
            let decoded = musearch_models::audio::log_mel_file(&file);
            if sender.send((file, decoded)).is_err() {
                break;
            }
        }
    });
    let mut failed = 0usize;
    for (index, (file, decoded)) in receiver.into_iter().enumerate() {
        let (mel, summary) = match decoded {
            Ok(v) => v,
            Err(err) => {
                eprintln!("skipped {}: {err}", file.display());
                failed += 1;
                continue;
            }
        };
        let t0 = Instant::now();
        let out = tagger.run_patches(&mel.patches(), PATCH_FRAMES as i64, batch_size)?;
        network_secs += t0.elapsed().as_secs_f64();
        audio_secs += summary.duration_secs();
        n_patches += out.patches;
        let taggram = Taggram::new(tags.clone(), patch_secs, out.probabilities)?;
        if let Some(png) = &args.taggram {
            let path = taggram_path(png, index, args.files.len());
            let name = file.file_name().unwrap_or_default().to_string_lossy();
            taggram
                .write_png(&path, &format!("{model} taggram: {name}"))
                .with_context(|| format!("drawing the taggram of {}", file.display()))?;
            tracing::info!("taggram of {}: {}", file.display(), path.display());
        }
        let ranked = taggram.ranked(args.aggregate);
        if args.json {
            let dim = tagger.embedding_dim() as usize;
            let mut embedding = vec![0.0f32; dim];
            for row in out.embeddings.chunks_exact(dim) {
                embedding.iter_mut().zip(row).for_each(|(e, v)| *e += v);
            }
            embedding.iter_mut().for_each(|e| *e /= out.patches as f32);
            let record = FileTags {
                file: file.clone(),
                model: model.clone(),
                patches: out.patches,
                duration_secs: summary.duration_secs(),
                aggregate: args.aggregate.name(),
                tags: ranked,
                embedding,
            };
            println!("{}", serde_json::to_string(&record)?);
        } else {
            let top: Vec<String> = ranked
                .iter()
                .take(args.top)
                .map(|(t, p)| format!("{t} ({p:.2})"))
                .collect();
            println!("{}: {}", file.display(), top.join(", "));
        }
    }
    decoder
        .join()
        .map_err(|_| anyhow::anyhow!("the decoding thread panicked"))?;
    if args.stats {
        let flops = 2.0 * tagger.macs_per_patch(PATCH_FRAMES as i64) as f64;
        let stats = serde_json::json!({
            "model": model,
            "files": args.files.len() - failed,
            "skipped": failed,
            "audio_secs": audio_secs,
            "patches": n_patches,
            "wall_secs": started.elapsed().as_secs_f64(),
            "network_secs": network_secs,
            "gflop_per_patch": flops / 1e9,
            "network_gflops": flops * n_patches as f64 / network_secs.max(1e-9) / 1e9,
            "threads": musearch_models::nets::get_num_threads(),
            "batch_size": batch_size,
        });
        eprintln!("stats: {stats}");
    }
    if failed > 0 {
        bail!(
            "{failed} of {} file(s) could not be tagged",
            args.files.len()
        );
    }
    Ok(())
}

#[cfg(all(test, feature = "torch"))]
mod tests {
    use super::taggram_path;
    use std::path::Path;

    #[test]
    fn taggram_paths_are_numbered_only_for_several_files() {
        let out = Path::new("pics/t.png");
        assert_eq!(taggram_path(out, 0, 1), Path::new("pics/t.png"));
        assert_eq!(taggram_path(out, 0, 3), Path::new("pics/t-1.png"));
        assert_eq!(taggram_path(out, 2, 3), Path::new("pics/t-3.png"));
        assert_eq!(taggram_path(Path::new("t"), 1, 2), Path::new("t-2"));
    }
}
