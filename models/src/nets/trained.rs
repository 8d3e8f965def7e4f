//! A network musearch trains: its architecture ([`NetConfig`]), its input features
//! ([`InputFeatures`]) and its variables. Training ([`crate::train`]) updates one; a trained
//! model in the store ([`super::Tagger::load`]) is one loaded read-only.

use std::path::Path;

use tch::{nn, Device, Tensor};

use super::mfcc::InputFeatures;
use super::trainable::{NetConfig, NetOutput, TrainableNet};
use super::{NetError, N_MELS};

/// A trainable network with its variables and input features.
#[derive(Debug)]
pub struct TrainedNet {
    vs: nn::VarStore,
    net: Box<dyn TrainableNet>,
    config: NetConfig,
    input: InputFeatures,
    classes: i64,
}

impl TrainedNet {
    /// A freshly initialised network (libtorch's default initialisation under the current
    /// seed) for `classes` tags on `device`.
    pub fn new(config: NetConfig, input: InputFeatures, classes: i64, device: Device) -> Self {
        let vs = nn::VarStore::new(device);
        let bands = input.bands(N_MELS as usize) as i64;
        let net = config.build(&vs.root(), bands, classes);
        TrainedNet {
            vs,
            net,
            config,
            input,
            classes,
        }
    }

    /// The architecture.
    pub fn config(&self) -> &NetConfig {
        &self.config
    }

    /// The input features.
    pub fn input(&self) -> InputFeatures {
        self.input
    }

    /// Number of output tags.
    pub fn classes(&self) -> i64 {
        self.classes
    }

    /// The variables.
    pub fn var_store(&self) -> &nn::VarStore {
        &self.vs
    }

    /// The device of the variables.
    pub fn device(&self) -> Device {
        self.vs.device()
    }

    /// Replaces every variable with the tensor of the same name in a safetensors file written
    /// by [`TrainedNet::save`]; fails if one is missing or has another shape.
    pub fn load(&mut self, path: &Path) -> Result<(), NetError> {
        self.vs.load(path)?;
        Ok(())
    }

    /// Saves every variable (weights and batch-norm statistics) as safetensors.
    pub fn save(&self, path: &Path) -> Result<(), NetError> {
        self.vs.save(path)?;
        Ok(())
    }

    /// Logits and embedding of log-mel frames `(N, frames, 96)` (moved to the network's
    /// device), through the input features.
    pub fn forward_t(&self, log_mel: &Tensor, train: bool) -> NetOutput {
        let x = self.input.apply(&log_mel.to_device(self.device()));
        self.net.forward_t(&x, train)
    }

    /// The size of the embedding.
    pub fn embedding_dim(&self) -> i64 {
        self.net.embedding_dim()
    }

    /// Multiply-accumulates of one forward pass over `frames` log-mel frames (input features
    /// included).
    pub fn macs_per_patch(&self, frames: i64) -> u64 {
        let bands = self.input.bands(N_MELS as usize) as i64;
        self.input.macs(frames, N_MELS) + self.net.macs_per_patch(frames, bands)
    }
}
