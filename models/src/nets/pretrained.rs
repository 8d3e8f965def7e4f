//! musicnn's pretrained networks: the four models of the wheel ([`PretrainedModel`]), their two
//! architectures, and [`PretrainedNet`], one of them with its weights in TensorFlow's variable
//! layout, loaded from a TensorFlow checkpoint or from the safetensors file of an import.

use std::path::Path;

use tch::{nn, Device, Kind, Tensor};

use super::runner::forward_in_parallel;
use super::tf_vars::{load_named_tensors, load_tf_bundle, VarSpec, VarSpecs};
use super::{musicnn, vgg, NetError, TaggerOutput, N_MELS, PATCH_FRAMES};
use crate::checkpoint::TfBundle;
use crate::tags::Vocabulary;

/// The two architectures of the musicnn release.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Architecture {
    /// The musically motivated CNN ([`musicnn::Musicnn`]).
    Musicnn,
    /// The VGG-like baseline ([`vgg::Vgg`]).
    Vgg,
}

/// The four pretrained models of the `musicnn` wheel.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PretrainedModel {
    /// musicnn trained on MagnaTagATune (published test ROC-AUC 0.9067).
    MttMusicnn,
    /// VGG baseline trained on MagnaTagATune (published test ROC-AUC 0.9030).
    MttVgg,
    /// musicnn trained on the Million Song Dataset.
    MsdMusicnn,
    /// VGG baseline trained on the Million Song Dataset.
    MsdVgg,
}

impl PretrainedModel {
    /// All four, in the order of the wheel's documentation.
    pub const ALL: [PretrainedModel; 4] = [
        PretrainedModel::MttMusicnn,
        PretrainedModel::MttVgg,
        PretrainedModel::MsdMusicnn,
        PretrainedModel::MsdVgg,
    ];

    /// The name musicnn uses, which is also the checkpoint directory in the wheel
    /// (`MTT_musicnn`, `MTT_vgg`, `MSD_musicnn`, `MSD_vgg`).
    pub fn name(self) -> &'static str {
        match self {
            PretrainedModel::MttMusicnn => "MTT_musicnn",
            PretrainedModel::MttVgg => "MTT_vgg",
            PretrainedModel::MsdMusicnn => "MSD_musicnn",
            PretrainedModel::MsdVgg => "MSD_vgg",
        }
    }

    /// The model of a musicnn name (case-insensitive), `None` if unknown.
    pub fn from_name(name: &str) -> Option<PretrainedModel> {
        Self::ALL
            .into_iter()
            .find(|m| m.name().eq_ignore_ascii_case(name))
    }

    /// The network architecture.
    pub fn architecture(self) -> Architecture {
        match self {
            PretrainedModel::MttMusicnn | PretrainedModel::MsdMusicnn => Architecture::Musicnn,
            PretrainedModel::MttVgg | PretrainedModel::MsdVgg => Architecture::Vgg,
        }
    }

    /// The tag vocabulary of its outputs.
    pub fn vocabulary(self) -> Vocabulary {
        match self {
            PretrainedModel::MttMusicnn | PretrainedModel::MttVgg => Vocabulary::MagnaTagATune,
            PretrainedModel::MsdMusicnn | PretrainedModel::MsdVgg => Vocabulary::MillionSong,
        }
    }
}

impl std::fmt::Display for PretrainedModel {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// A network of the musicnn release.
#[derive(Debug)]
pub(super) enum Net {
    /// musicnn.
    Musicnn(musicnn::Musicnn),
    /// The VGG-like baseline.
    Vgg(vgg::Vgg),
}

impl Net {
    /// The forward pass on the calling thread, in inference mode.
    pub(super) fn forward(&self, x: &Tensor) -> TaggerOutput {
        tch::no_grad(|| match self {
            Net::Musicnn(n) => n.forward(x),
            Net::Vgg(n) => n.forward(x),
        })
    }
}

/// One of musicnn's pretrained networks with its parameters and their checkpoint variables.
#[derive(Debug)]
pub(super) struct PretrainedNet {
    model: PretrainedModel,
    vs: nn::VarStore,
    specs: VarSpecs,
    net: Net,
}

impl PretrainedNet {
    /// Builds `model` with all parameters zero on `device` (load weights next).
    pub(super) fn new(model: PretrainedModel, device: Device) -> PretrainedNet {
        let vs = nn::VarStore::new(device);
        let mut specs = VarSpecs::default();
        let classes = model.vocabulary().tags().len() as i64;
        let net = match model.architecture() {
            Architecture::Musicnn => Net::Musicnn(musicnn::Musicnn::new(
                vs.root(),
                musicnn::MusicnnConfig::default(),
                N_MELS,
                classes,
                &mut specs,
            )),
            Architecture::Vgg => Net::Vgg(vgg::Vgg::new(
                vs.root(),
                vgg::VggConfig::default(),
                classes,
                &mut specs,
            )),
        };
        PretrainedNet {
            model,
            vs,
            specs,
            net,
        }
    }

    /// Builds `model` on `device` with the weights of a TensorFlow checkpoint.
    pub(super) fn from_tf_bundle(
        model: PretrainedModel,
        bundle: &TfBundle,
        device: Device,
    ) -> Result<PretrainedNet, NetError> {
        let net = PretrainedNet::new(model, device);
        load_tf_bundle(&net.specs, bundle, model.name())?;
        Ok(net)
    }

    /// Builds `model` on `device` with the weights of a safetensors file in torch layout.
    pub(super) fn from_safetensors(
        model: PretrainedModel,
        path: &Path,
        device: Device,
    ) -> Result<PretrainedNet, NetError> {
        let net = PretrainedNet::new(model, device);
        let named = Tensor::read_safetensors(path)?;
        load_named_tensors(&net.specs, named, &path.display().to_string(), model.name())?;
        Ok(net)
    }

    /// Which pretrained model this is.
    pub(super) fn model(&self) -> PretrainedModel {
        self.model
    }

    /// The variables (torch layout).
    pub(super) fn var_store(&self) -> &nn::VarStore {
        &self.vs
    }

    /// Every parameter with its checkpoint variable and layout.
    pub(super) fn parameters(&self) -> impl Iterator<Item = &VarSpec> {
        self.specs.iter()
    }

    /// The size of the embedding.
    pub(super) fn embedding_dim(&self) -> i64 {
        match &self.net {
            Net::Musicnn(n) => n.embedding_dim(),
            Net::Vgg(n) => n.embedding_dim(),
        }
    }

    /// Multiply-accumulates of one forward pass over one patch of `frames` frames (the VGG
    /// takes 187 only).
    pub(super) fn macs_per_patch(&self, frames: i64) -> u64 {
        match &self.net {
            Net::Musicnn(n) => n.macs_per_patch(frames),
            Net::Vgg(n) => n.macs_per_patch(),
        }
    }

    /// The forward pass in inference mode; on the CPU the patches are shared out among
    /// libtorch's threads ([`forward_in_parallel`]).
    pub(super) fn forward(&self, patches: &Tensor) -> Result<TaggerOutput, NetError> {
        let x = self.checked_input(patches)?;
        if self.vs.device() == Device::Cpu {
            Ok(forward_in_parallel(&self.net, &x))
        } else {
            Ok(self.net.forward(&x))
        }
    }

    /// The forward pass on the calling thread alone.
    pub(super) fn forward_on_this_thread(
        &self,
        patches: &Tensor,
    ) -> Result<TaggerOutput, NetError> {
        let x = self.checked_input(patches)?;
        Ok(self.net.forward(&x))
    }

    /// `patches` as float32 on the model's device, or an error if it is not a batch of
    /// log-mel patches this network takes.
    fn checked_input(&self, patches: &Tensor) -> Result<Tensor, NetError> {
        let size = patches.size();
        let bad = |what: String| NetError::BadInput {
            model: self.model.name().to_string(),
            what,
        };
        if size.len() != 3 || size[2] != N_MELS || size[1] < 1 {
            return Err(bad(format!(
                "expected a batch of log-mel patches (N, frames, {N_MELS}), got {size:?}"
            )));
        }
        if matches!(self.net, Net::Vgg(_)) && size[1] != PATCH_FRAMES {
            return Err(bad(format!(
                "the VGG takes patches of exactly {PATCH_FRAMES} frames, got {}",
                size[1]
            )));
        }
        Ok(patches.to_device(self.vs.device()).to_kind(Kind::Float))
    }

    /// How a musicnn computes its front-end convolutions (`None` for the VGG).
    pub(super) fn frontend_kernel(&self) -> Option<musicnn::FrontendKernel> {
        match &self.net {
            Net::Musicnn(n) => Some(n.frontend_kernel()),
            Net::Vgg(_) => None,
        }
    }

    /// Makes a musicnn compute its front-end convolutions with `kernel`; `false` for the VGG.
    pub(super) fn set_frontend_kernel(&mut self, kernel: musicnn::FrontendKernel) -> bool {
        match &mut self.net {
            Net::Musicnn(n) => {
                n.set_frontend_kernel(kernel);
                true
            }
            Net::Vgg(_) => false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn model_names() {
        for m in PretrainedModel::ALL {
            assert_eq!(PretrainedModel::from_name(m.name()), Some(m));
        }
        assert_eq!(
            PretrainedModel::from_name("mtt_musicnn"),
            Some(PretrainedModel::MttMusicnn)
        );
        assert_eq!(PretrainedModel::from_name("MSD_musicnn_big"), None);
    }
}
