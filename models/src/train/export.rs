//! Exporting a trained run into the model store, in the format of the imported models:
//! `<store>/<name>/model.safetensors`, `manifest.json` (architecture, tags, front-end, source,
//! and the [`crate::manifest::TrainedInfo`] that rebuilds the network) and a provenance notice.
//! `musearch tag --model NAME` and `musearch index -m NAME` then load it like any other model
//! ([`crate::nets::Tagger::load`]).

use std::path::{Path, PathBuf};

use tch::Device;

use super::{io_err, TrainError, Trainer, BEST};
use crate::manifest::{
    EmbeddingInfo, FrontendParams, LicenceInfo, ModelManifest, SourceInfo, TrainedInfo,
    MANIFEST_FILE, MANIFEST_FORMAT, WEIGHTS_FILE,
};
use crate::nets::trainable::NetConfig;
use crate::nets::PretrainedModel;

/// The provenance notice written next to an exported model's manifest.
pub const NOTICE_FILE: &str = "NOTICE.md";

/// Checks that `name` can be a model directory of the store and does not shadow one of
/// musicnn's pretrained models.
pub fn check_model_name(name: &str) -> Result<(), TrainError> {
    let ok = !name.is_empty()
        && !name.starts_with('.')
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.'));
    if !ok {
        return Err(TrainError::Invalid(format!(
            "model name {name:?}: use letters, digits, '_', '-' and '.', not starting with '.'"
        )));
    }
    if PretrainedModel::from_name(name).is_some() {
        return Err(TrainError::Invalid(format!(
            "{name} is the name of one of musicnn's pretrained models; choose another"
        )));
    }
    Ok(())
}

/// The paper an architecture comes from, for the manifest's citation.
fn citation(net: &NetConfig) -> &'static str {
    match net {
        NetConfig::Fcn(_) => {
            "Keunwoo Choi, György Fazekas and Mark Sandler, \"Automatic tagging using deep \
convolutional neural networks\", ISMIR 2016"
        }
        NetConfig::MultiScale(_) => {
            "after Dabral et al., multi-scale CNN for music tagging on the merged \
MagnaTagATune tags, 2018"
        }
        NetConfig::ShortRes(_) => {
            "Minz Won, Andres Ferraro, Dmitry Bogdanov and Xavier Serra, \"Evaluation of \
CNN-based automatic music tagging models\", SMC 2020"
        }
        NetConfig::Musicnn(_) => {
            "Jordi Pons and Xavier Serra, \"musicnn: pre-trained convolutional neural networks \
for music audio tagging\", ISMIR 2019 late-breaking demo"
        }
    }
}

/// The embedding layer of an architecture, in words.
fn embedding_layer(net: &NetConfig) -> &'static str {
    match net {
        NetConfig::Fcn(_) => "global max-pooling of the last convolution block",
        NetConfig::MultiScale(_) => "dense layer after the concatenated scales (ReLU)",
        NetConfig::ShortRes(_) => "first dense layer after the residual blocks (ReLU)",
        NetConfig::Musicnn(_) => "penultimate dense layer (ReLU, batch norm)",
    }
}

/// Writes the run in `run` (its `checkpoint/` and, when present, its best weights) into the
/// model store `store` as `name`, replacing a previous export of that name in one rename.
/// `data` is recorded as the data set it was trained on. Returns the model directory.
pub fn export_run(run: &Path, store: &Path, name: &str, data: &str) -> Result<PathBuf, TrainError> {
    check_model_name(name)?;
    let mut trainer = Trainer::resume(&run.join("checkpoint"), Device::Cpu)?;
    let best = run.join(BEST);
    let (weights_from, epoch) = if best.is_file() {
        trainer.load_weights(&best)?;
        (best.clone(), trainer.state.best_epoch)
    } else {
        (run.join("checkpoint"), trainer.state.epoch)
    };
    let config = &trainer.config;
    let val_roc_auc = trainer
        .state
        .history
        .iter()
        .find(|r| r.epoch == epoch)
        .and_then(|r| r.val_roc_auc);

    std::fs::create_dir_all(store).map_err(io_err(store))?;
    let staging = store.join(format!(".{name}.export"));
    let _ = std::fs::remove_dir_all(&staging);
    std::fs::create_dir_all(&staging).map_err(io_err(&staging))?;
    trainer.network().save(&staging.join(WEIGHTS_FILE))?;
    let mut frontend = FrontendParams::musicnn();
    frontend.float16_before_log = false;
    frontend.patch_frames = config.frames;
    let manifest = ModelManifest {
        format: MANIFEST_FORMAT,
        name: name.to_string(),
        architecture: config.net.name(),
        vocabulary: None,
        tags: config.tags.clone(),
        weights: WEIGHTS_FILE.to_string(),
        embedding: EmbeddingInfo {
            layer: embedding_layer(&config.net).to_string(),
            dim: trainer.network().embedding_dim() as usize,
        },
        frontend,
        source: SourceInfo {
            package: format!("musearch {} (musearch train)", env!("CARGO_PKG_VERSION")),
            location: run.display().to_string(),
            checkpoint: weights_from.display().to_string(),
            checksums: Vec::new(),
        },
        licence: LicenceInfo {
            spdx: "NOASSERTION".to_string(),
            notice_file: NOTICE_FILE.to_string(),
            citation: citation(&config.net).to_string(),
        },
        published_roc_auc: None,
        trained: Some(TrainedInfo {
            network: serde_json::to_value(&config.net)
                .map_err(|e| TrainError::Invalid(e.to_string()))?,
            input: serde_json::to_value(config.input)
                .map_err(|e| TrainError::Invalid(e.to_string()))?,
            train_frames: config.frames,
            data: data.to_string(),
            epochs: trainer.state.epoch,
            best_epoch: epoch,
            val_roc_auc,
        }),
    };
    let json = serde_json::to_string_pretty(&manifest).unwrap_or_default() + "\n";
    let path = staging.join(MANIFEST_FILE);
    std::fs::write(&path, json).map_err(io_err(&path))?;
    let notice = format!(
        "# {name}\n\nTrained by `musearch train` ({arch}, {input} input) on the data set `{data}`;\n\
         weights of epoch {epoch} of {epochs}. The weights carry whatever terms the training data\n\
         set's audio and labels carry.\n",
        arch = config.net.name(),
        input = config.input,
        epochs = trainer.state.epoch,
    );
    let path = staging.join(NOTICE_FILE);
    std::fs::write(&path, notice).map_err(io_err(&path))?;

    let dest = store.join(name);
    let old = store.join(format!(".{name}.old"));
    let _ = std::fs::remove_dir_all(&old);
    if dest.exists() {
        std::fs::rename(&dest, &old).map_err(io_err(&dest))?;
    }
    std::fs::rename(&staging, &dest).map_err(io_err(&dest))?;
    let _ = std::fs::remove_dir_all(&old);
    Ok(dest)
}
