//! [`Tagger`]: any tagging network, ready for inference, with one loader for the model store.
//!
//! The store holds musicnn's imported taggers (`musicnn`, `vgg`: a [`PretrainedModel`] with its
//! weights) and the networks musearch trained (`fcn3` … `shortres`, and `musicnn` trained from
//! scratch: a [`TrainedNet`], rebuilt from the manifest's [`crate::manifest::TrainedInfo`]; a
//! manifest with that section is a trained network, one without it an import).
//! [`Tagger::load`] reads `<store>/<name>/manifest.json` and builds the right one; both then take
//! the same log-mel patches and give the same [`TaggerOutput`].

use std::path::{Path, PathBuf};

use tch::{Device, Kind, Tensor};

use super::mfcc::InputFeatures;
use super::pretrained::PretrainedNet;
use super::tf_vars::VarSpec;
use super::trainable::NetConfig;
use super::trained::TrainedNet;
use super::{
    musicnn, run_patches_through, NetError, PatchOutputs, PretrainedModel, TaggerOutput, N_MELS,
};
use crate::checkpoint::TfBundle;
use crate::manifest::{ModelManifest, MANIFEST_FILE};

/// A tagging network with its weights, ready for inference: one of musicnn's pretrained models
/// or a network musearch trained.
///
/// ```no_run
/// use musearch_models::nets::{PretrainedModel, Tagger};
/// let tagger = Tagger::from_tf_checkpoint(
///     PretrainedModel::MttMusicnn,
///     std::path::Path::new("musicnn/MTT_musicnn"),
///     tch::Device::Cpu,
/// )?;
/// let patches = tch::Tensor::zeros([4, 187, 96], (tch::Kind::Float, tch::Device::Cpu));
/// let out = tagger.forward(&patches)?;
/// assert_eq!(out.probabilities.size(), [4, 50]);
/// # Ok::<(), musearch_models::nets::NetError>(())
/// ```
#[derive(Debug)]
pub struct Tagger {
    /// Its name (in the store).
    name: String,
    /// Its output tags, in order.
    tags: Vec<String>,
    net: Network,
}

/// The two kinds of network a [`Tagger`] runs.
#[derive(Debug)]
enum Network {
    /// One of musicnn's pretrained networks, in TensorFlow's variable layout.
    Pretrained(PretrainedNet),
    /// A network trained by musearch.
    Trained(TrainedNet),
}

impl Tagger {
    fn pretrained(net: PretrainedNet) -> Tagger {
        let model = net.model();
        Tagger {
            name: model.name().to_string(),
            tags: model
                .vocabulary()
                .tags()
                .iter()
                .map(|t| t.to_string())
                .collect(),
            net: Network::Pretrained(net),
        }
    }

    /// Loads the model `name` from the store `store` onto `device`: reads its manifest and
    /// builds the network its `architecture` names (musicnn's models answer to their names in
    /// any case). Returns the tagger, the manifest and the weights file.
    pub fn load(
        store: &Path,
        name: &str,
        device: Device,
    ) -> Result<(Tagger, ModelManifest, PathBuf), NetError> {
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
        let bad = |what: String| NetError::InvalidManifest {
            path: manifest_path.clone(),
            what,
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
                Tagger::from_safetensors(model, &weights, device)?
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
                config
                    .check_input(input, N_MELS as usize)
                    .map_err(|e| bad(e.to_string()))?;
                if manifest.tags.is_empty() {
                    return Err(bad("no tags".into()));
                }
                let mut net = TrainedNet::new(config, input, manifest.tags.len() as i64, device);
                net.load(&weights)?;
                Tagger {
                    name: manifest.name.clone(),
                    tags: manifest.tags.clone(),
                    net: Network::Trained(net),
                }
            }
        };
        Ok((tagger, manifest, weights))
    }

    /// Builds the pretrained `model` on `device` and loads its weights from the TensorFlow
    /// checkpoint with prefix (or directory) `checkpoint`, e.g. the wheel's
    /// `musicnn/MTT_musicnn`.
    ///
    /// Fails if a variable is missing, extra, of another shape, or corrupted.
    pub fn from_tf_checkpoint(
        model: PretrainedModel,
        checkpoint: &Path,
        device: Device,
    ) -> Result<Tagger, NetError> {
        let bundle = TfBundle::open(checkpoint)?;
        Self::from_tf_bundle(model, &bundle, device)
    }

    /// Like [`Tagger::from_tf_checkpoint`], from an already opened bundle.
    pub fn from_tf_bundle(
        model: PretrainedModel,
        bundle: &TfBundle,
        device: Device,
    ) -> Result<Tagger, NetError> {
        PretrainedNet::from_tf_bundle(model, bundle, device).map(Tagger::pretrained)
    }

    /// Builds the pretrained `model` on `device` and loads weights saved by
    /// [`Tagger::save_safetensors`].
    ///
    /// The file must hold exactly the network's parameters, with the same shapes, as float32.
    pub fn from_safetensors(
        model: PretrainedModel,
        path: &Path,
        device: Device,
    ) -> Result<Tagger, NetError> {
        PretrainedNet::from_safetensors(model, path, device).map(Tagger::pretrained)
    }

    /// Saves the weights (torch layout: for a pretrained model the names of
    /// [`Tagger::parameters`]) as safetensors.
    pub fn save_safetensors(&self, path: &Path) -> Result<(), NetError> {
        match &self.net {
            Network::Pretrained(net) => net.var_store().save(path)?,
            Network::Trained(net) => net.save(path)?,
        }
        Ok(())
    }

    /// The model's name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Which of musicnn's pretrained models this is, `None` for a network musearch trained.
    pub fn pretrained_model(&self) -> Option<PretrainedModel> {
        match &self.net {
            Network::Pretrained(net) => Some(net.model()),
            Network::Trained(_) => None,
        }
    }

    /// The device the weights live on.
    pub fn device(&self) -> Device {
        match &self.net {
            Network::Pretrained(net) => net.var_store().device(),
            Network::Trained(net) => net.device(),
        }
    }

    /// The tags of the output units, in order.
    pub fn tags(&self) -> &[String] {
        &self.tags
    }

    /// The size of the embedding ([`TaggerOutput::embedding`]).
    pub fn embedding_dim(&self) -> i64 {
        match &self.net {
            Network::Pretrained(net) => net.embedding_dim(),
            Network::Trained(net) => net.embedding_dim(),
        }
    }

    /// Multiply-accumulates of one forward pass over one patch of `frames` frames (musicnn's
    /// VGG takes 187 only), counted from the layer shapes; see
    /// [`musicnn::Musicnn::macs_per_patch`].
    pub fn macs_per_patch(&self, frames: i64) -> u64 {
        match &self.net {
            Network::Pretrained(net) => net.macs_per_patch(frames),
            Network::Trained(net) => net.macs_per_patch(frames),
        }
    }

    /// Every parameter of a pretrained model with its checkpoint variable and layout (none for
    /// a network musearch trained, whose variables have no TensorFlow names).
    pub fn parameters(&self) -> impl Iterator<Item = &VarSpec> {
        let pretrained = match &self.net {
            Network::Pretrained(net) => Some(net.parameters()),
            Network::Trained(_) => None,
        };
        pretrained.into_iter().flatten()
    }

    /// Runs a batch of log-mel patches `(N, frames, 96)` (float32, any device: moved to the
    /// model's) through the network in inference mode.
    ///
    /// musicnn and the trained networks take any number of frames ≥ 1; musicnn's VGG takes
    /// exactly 187.
    ///
    /// For a pretrained model on the CPU the patches are shared out among libtorch's threads
    /// (see [`super::set_num_threads`]), each running whole forward passes on its share.
    pub fn forward(&self, patches: &Tensor) -> Result<TaggerOutput, NetError> {
        match &self.net {
            Network::Pretrained(net) => net.forward(patches),
            Network::Trained(net) => self.forward_trained(net, patches),
        }
    }

    /// [`Tagger::forward`] on the calling thread alone, with libtorch's own parallelism inside
    /// each operator, where `forward` shares the patches of a pretrained model out among
    /// threads on the CPU. For callers that run several networks side by side, and for
    /// comparing the two.
    pub fn forward_on_this_thread(&self, patches: &Tensor) -> Result<TaggerOutput, NetError> {
        match &self.net {
            Network::Pretrained(net) => net.forward_on_this_thread(patches),
            Network::Trained(net) => self.forward_trained(net, patches),
        }
    }

    /// A trained network's forward pass in inference mode, on the calling thread.
    fn forward_trained(
        &self,
        net: &TrainedNet,
        patches: &Tensor,
    ) -> Result<TaggerOutput, NetError> {
        let size = patches.size();
        if size.len() != 3 || size[2] != N_MELS || size[1] < 1 {
            return Err(NetError::BadInput {
                model: self.name.clone(),
                what: format!(
                    "expected a batch of log-mel patches (N, frames, {N_MELS}), got {size:?}"
                ),
            });
        }
        let x = patches.to_kind(Kind::Float);
        let out = tch::no_grad(|| net.forward_t(&x, false));
        Ok(TaggerOutput::from_logits(out.logits, out.embedding))
    }

    /// Runs the patches of `patches` (flat, `n × frames × 96`, as
    /// [`crate::audio::LogMel::patches`] gives them) through the network `batch_size` at a time
    /// and brings probabilities and embeddings back to the CPU as rows.
    pub fn run_patches(
        &self,
        patches: &[f32],
        frames: i64,
        batch_size: usize,
    ) -> Result<PatchOutputs, NetError> {
        run_patches_through(&self.name, patches, frames, batch_size, |x| self.forward(x))
    }

    /// How a pretrained musicnn computes its front-end convolutions (`None` for the VGG and
    /// the trained networks).
    pub fn frontend_kernel(&self) -> Option<musicnn::FrontendKernel> {
        match &self.net {
            Network::Pretrained(net) => net.frontend_kernel(),
            Network::Trained(_) => None,
        }
    }

    /// Makes a pretrained musicnn compute its front-end convolutions with `kernel`; returns
    /// `false`, and changes nothing, for the other networks.
    pub fn set_frontend_kernel(&mut self, kernel: musicnn::FrontendKernel) -> bool {
        match &mut self.net {
            Network::Pretrained(net) => net.set_frontend_kernel(kernel),
            Network::Trained(_) => false,
        }
    }
}
