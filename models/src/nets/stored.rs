//! Any tagger of the model store, built from its manifest's architecture.
//!
//! The store holds musicnn's imported taggers (`musicnn`, `vgg`: [`super::Tagger`]) and the
//! networks musearch trained (`fcn3` … `shortres`, and `musicnn` trained from scratch:
//! [`TrainedNet`], rebuilt from the manifest's [`crate::manifest::TrainedInfo`]; a manifest
//! with that section is a trained network, one without it an import). [`StoredTagger::load`]
//! reads `<store>/<name>/manifest.json` and builds the right one; both then take the same
//! log-mel patches and give the same [`TaggerOutput`].

use std::path::{Path, PathBuf};

use serde::de::Error as _;
use tch::{Device, Kind, Tensor};

use super::mfcc::InputFeatures;
use super::trainable::NetConfig;
use super::trained::TrainedNet;
use super::{NetError, PatchOutputs, PretrainedModel, Tagger, TaggerOutput, N_MELS};
use crate::manifest::{ManifestError, ModelManifest, MANIFEST_FILE};

/// A tagger loaded from the model store.
#[derive(Debug)]
pub enum StoredTagger {
    /// One of musicnn's pretrained taggers.
    Pretrained(Tagger),
    /// A network trained by musearch.
    Trained {
        /// The network and its weights.
        net: TrainedNet,
        /// Its output tags, in order.
        tags: Vec<String>,
        /// Its name in the store.
        name: String,
    },
}

impl StoredTagger {
    /// Loads the model `name` from the store `store` onto `device`: reads its manifest and
    /// builds the network its `architecture` names. Returns the tagger, the manifest and the
    /// weights file.
    pub fn load(
        store: &Path,
        name: &str,
        device: Device,
    ) -> Result<(StoredTagger, ModelManifest, PathBuf), NetError> {
        // musicnn's models answer to their names in any case, as they always have.
        let name: &str = match PretrainedModel::from_name(name) {
            Some(model) => model.name(),
            None => name,
        };
        let dir = store.join(name);
        let manifest_path = dir.join(MANIFEST_FILE);
        if name.is_empty() || name.contains(['/', '\\']) || !manifest_path.is_file() {
            return Err(NetError::NotInStore {
                model: name.to_string(),
                store: store.to_owned(),
            });
        }
        let manifest = ModelManifest::read(&manifest_path)?;
        let weights = dir.join(&manifest.weights);
        let bad = |reason: String| {
            NetError::Manifest(ManifestError::Parse {
                path: manifest_path.clone(),
                source: serde_json::Error::custom(reason),
            })
        };
        let arch = manifest.architecture.as_str();
        let tagger = match &manifest.trained {
            None => {
                if !matches!(arch, "musicnn" | "vgg") {
                    return Err(bad(format!(
                        "architecture {arch:?} without a `trained` section"
                    )));
                }
                let model = PretrainedModel::from_name(&manifest.name).ok_or_else(|| {
                    bad(format!(
                        "{:?} is not one of musicnn's pretrained models",
                        manifest.name
                    ))
                })?;
                StoredTagger::Pretrained(Tagger::from_safetensors(model, &weights, device)?)
            }
            Some(info) => {
                let config: NetConfig = serde_json::from_value(info.network.clone())
                    .map_err(|e| bad(format!("trained.network: {e}")))?;
                let input: InputFeatures = serde_json::from_value(info.input.clone())
                    .map_err(|e| bad(format!("trained.input: {e}")))?;
                if config.name() != arch {
                    return Err(bad(format!(
                        "architecture {arch:?} but the network is a {}",
                        config.name()
                    )));
                }
                config.check_input(input, N_MELS as usize).map_err(bad)?;
                if manifest.tags.is_empty() {
                    return Err(bad("no tags".into()));
                }
                let mut net = TrainedNet::new(config, input, manifest.tags.len() as i64, device);
                net.load(&weights)?;
                StoredTagger::Trained {
                    net,
                    tags: manifest.tags.clone(),
                    name: manifest.name.clone(),
                }
            }
        };
        Ok((tagger, manifest, weights))
    }

    /// The model's name.
    pub fn name(&self) -> &str {
        match self {
            StoredTagger::Pretrained(t) => t.model().name(),
            StoredTagger::Trained { name, .. } => name,
        }
    }

    /// The tags of the output units, in order.
    pub fn tags(&self) -> Vec<String> {
        match self {
            StoredTagger::Pretrained(t) => t.tags().iter().map(|s| s.to_string()).collect(),
            StoredTagger::Trained { tags, .. } => tags.clone(),
        }
    }

    /// The device the weights live on.
    pub fn device(&self) -> Device {
        match self {
            StoredTagger::Pretrained(t) => t.device(),
            StoredTagger::Trained { net, .. } => net.device(),
        }
    }

    /// The size of the embedding ([`TaggerOutput::embedding`]).
    pub fn embedding_dim(&self) -> i64 {
        match self {
            StoredTagger::Pretrained(t) => t.embedding_dim(),
            StoredTagger::Trained { net, .. } => net.embedding_dim(),
        }
    }

    /// Multiply-accumulates of one forward pass over one patch of `frames` frames.
    pub fn macs_per_patch(&self, frames: i64) -> u64 {
        match self {
            StoredTagger::Pretrained(t) => t.macs_per_patch(frames),
            StoredTagger::Trained { net, .. } => net.macs_per_patch(frames),
        }
    }

    /// Runs a batch of log-mel patches `(N, frames, 96)` through the network in inference
    /// mode (see [`Tagger::forward`]; a trained network takes any number of frames ≥ 1).
    pub fn forward(&self, patches: &Tensor) -> Result<TaggerOutput, NetError> {
        match self {
            StoredTagger::Pretrained(t) => t.forward(patches),
            StoredTagger::Trained { net, name, .. } => {
                let size = patches.size();
                if size.len() != 3 || size[2] != N_MELS || size[1] < 1 {
                    return Err(NetError::BadInput {
                        model: name.clone(),
                        what: format!(
                            "expected a batch of log-mel patches (N, frames, {N_MELS}), got {size:?}"
                        ),
                    });
                }
                let x = patches.to_kind(Kind::Float);
                let out = tch::no_grad(|| net.forward_t(&x, false));
                Ok(TaggerOutput::from_logits(out.logits, out.embedding))
            }
        }
    }

    /// Runs flat patches (`n × frames × 96`) through the network `batch_size` at a time (see
    /// [`Tagger::run_patches`]).
    pub fn run_patches(
        &self,
        patches: &[f32],
        frames: i64,
        batch_size: usize,
    ) -> Result<PatchOutputs, NetError> {
        super::run_patches_through(self.name(), patches, frames, batch_size, |x| {
            self.forward(x)
        })
    }
}
