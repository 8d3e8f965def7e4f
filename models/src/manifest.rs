//! The manifest that travels with every model in the model store ([`crate::store`]).
//!
//! `musearch models import-musicnn` writes, for each of musicnn's pretrained taggers (Pons &
//! Serra, "musicnn: pre-trained convolutional neural networks for music audio tagging", 2019),
//! a directory `<store>/<name>/` holding `model.safetensors` (the tch parameters), the licence
//! notice of the source, and `manifest.json`, this structure: what network it is, which tags its
//! outputs are, which front-end it expects, where the weights came from and under which licence.
//! A reader needs no libtorch to learn the tag list or the front-end parameters.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::tags::Vocabulary;

/// The file name of a model's manifest in its store directory.
pub const MANIFEST_FILE: &str = "manifest.json";
/// The file name of a model's weights in its store directory.
pub const WEIGHTS_FILE: &str = "model.safetensors";
/// The current manifest format.
pub const MANIFEST_FORMAT: u32 = 1;

/// Everything musearch records about one stored model.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ModelManifest {
    /// The manifest format ([`MANIFEST_FORMAT`]).
    pub format: u32,
    /// The model name, also its directory in the store (e.g. `MTT_musicnn`).
    pub name: String,
    /// The network architecture: `musicnn` or `vgg`.
    pub architecture: String,
    /// The tag vocabulary of the outputs, for musicnn's pretrained taggers; absent for a network
    /// trained by musearch on a data set's own tags (see [`ModelManifest::trained`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub vocabulary: Option<Vocabulary>,
    /// The tags of the output units, in order, original spelling.
    pub tags: Vec<String>,
    /// The weights file, relative to the model directory.
    pub weights: String,
    /// The audio embedding the network exposes.
    pub embedding: EmbeddingInfo,
    /// The front-end the network was trained with.
    pub frontend: FrontendParams,
    /// Where the weights came from.
    pub source: SourceInfo,
    /// The licence of the weights and architecture.
    pub licence: LicenceInfo,
    /// The test ROC-AUC its authors published (on the model's own data set, MTT or MSD), when
    /// known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub published_roc_auc: Option<f64>,
    /// For a network trained by musearch (`musearch train --export`): what it needs to be
    /// rebuilt and how it was trained. Absent for imported models.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub trained: Option<TrainedInfo>,
}

/// How a network trained by musearch is built and was trained.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TrainedInfo {
    /// The architecture's hyper-parameters, as `musearch_models::nets::trainable::NetConfig`
    /// writes them (`{"kind": "fcn", …}`).
    pub network: serde_json::Value,
    /// What the network sees of the log-mel patches, as
    /// `musearch_models::nets::mfcc::InputFeatures` writes it (`{"kind": "mel"}` or
    /// `{"kind": "mfcc", "n_mfcc": 20}`).
    pub input: serde_json::Value,
    /// Frames per training example.
    pub train_frames: usize,
    /// The data set directory it was trained on.
    pub data: String,
    /// Epochs trained.
    pub epochs: usize,
    /// The epoch whose weights these are (best validation ROC-AUC).
    pub best_epoch: usize,
    /// Its validation macro ROC-AUC.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub val_roc_auc: Option<f64>,
}

/// Why a `manifest.json` could not be read.
#[derive(Debug, thiserror::Error)]
pub enum ManifestError {
    /// The file could not be read.
    #[error("reading {path}: {source}")]
    Io {
        /// The manifest file.
        path: PathBuf,
        /// The cause.
        source: std::io::Error,
    },
    /// The file is not a valid manifest.
    #[error("parsing {path}: {source}")]
    Parse {
        /// The manifest file.
        path: PathBuf,
        /// The cause.
        source: serde_json::Error,
    },
}

impl ModelManifest {
    /// Reads a `manifest.json`.
    pub fn read(path: &Path) -> Result<ModelManifest, ManifestError> {
        let text = std::fs::read_to_string(path).map_err(|source| ManifestError::Io {
            path: path.to_owned(),
            source,
        })?;
        serde_json::from_str(&text).map_err(|source| ManifestError::Parse {
            path: path.to_owned(),
            source,
        })
    }
}

/// The embedding layer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EmbeddingInfo {
    /// Which layer (e.g. `penultimate: batch-normalised dense layer`).
    pub layer: String,
    /// Its size.
    pub dim: usize,
}

/// Front-end parameters (musicnn's `configuration.py` and `extractor.py`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FrontendParams {
    /// Sample rate in Hz (16000).
    pub sample_rate: u32,
    /// FFT size (512).
    pub n_fft: usize,
    /// Hop length in samples (256).
    pub hop_length: usize,
    /// Mel bands (96).
    pub n_mels: usize,
    /// Mel scale and filter normalisation (`slaney`, librosa's defaults).
    pub mel: String,
    /// The compression applied to the mel power spectrogram.
    pub log: String,
    /// Whether musicnn's extractor rounds the mel spectrogram to float16 before the log.
    pub float16_before_log: bool,
    /// Frames per input patch (187, 3 s).
    pub patch_frames: usize,
}

impl FrontendParams {
    /// musicnn's front-end.
    pub fn musicnn() -> Self {
        FrontendParams {
            sample_rate: 16_000,
            n_fft: 512,
            hop_length: 256,
            n_mels: 96,
            mel: "slaney".into(),
            log: "log10(1 + 10000 x)".into(),
            float16_before_log: true,
            patch_frames: 187,
        }
    }
}

/// Provenance of the weights.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SourceInfo {
    /// The package (e.g. `musicnn 0.1.0 (PyPI)`).
    pub package: String,
    /// Where it was taken from (the wheel file or directory).
    pub location: String,
    /// The checkpoint inside the package (e.g. `musicnn/MTT_musicnn/`).
    pub checkpoint: String,
    /// CRC-32C of each checkpoint file read, as `file: 0x…`.
    pub checksums: Vec<String>,
}

/// A licence and its notice.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LicenceInfo {
    /// SPDX identifier (`ISC`).
    pub spdx: String,
    /// The notice file next to the manifest.
    pub notice_file: String,
    /// The citation the authors ask for.
    pub citation: String,
}

/// The citation of musicnn.
pub const MUSICNN_CITATION: &str =
    "Jordi Pons and Xavier Serra, \"musicnn: pre-trained convolutional \
neural networks for music audio tagging\", ISMIR late-breaking/demo, 2019";
