//! The networks musearch trains from scratch, behind one interface.
//!
//! A [`NetConfig`] names an architecture and holds its hyper-parameters; it is what a training
//! checkpoint and a trained model's manifest record, and [`NetConfig::build`] creates the
//! network's variables from it. Every network takes a batch of input frames `(N, frames,
//! bands)` (log-mel bands, or MFCCs: [`super::mfcc::InputFeatures`]) and returns logits and an
//! embedding ([`NetOutput`]).
//!
//! * `fcn3`, `fcn4`, `fcn5`: [`super::fcn::Fcn`] (Choi et al. 2016);
//! * `multiscale`: [`super::multiscale::MultiScale`] (after Dabral et al. 2018);
//! * `shortres`: [`super::shortres::ShortChunkResNet`] (Won et al. 2020);
//! * `musicnn`: [`super::musicnn::Musicnn`] (Pons & Serra 2019), the architecture of the
//!   pretrained taggers, here from TensorFlow's initialisation.

use tch::{nn, Tensor};

use super::fcn::{Fcn, FcnConfig};
use super::mfcc::{InputError, InputFeatures};
use super::multiscale::{MultiScale, MultiScaleConfig};
use super::musicnn::{Musicnn, MusicnnConfig};
use super::shortres::{ShortChunkResNet, ShortResConfig};
use super::tf_vars::VarSpecs;

/// What a trainable network computes for a batch.
#[derive(Debug)]
pub struct NetOutput {
    /// One logit per tag, `(N, classes)`.
    pub logits: Tensor,
    /// The layer before the output, `(N, embedding_dim)`.
    pub embedding: Tensor,
}

/// A network trained by musearch.
pub trait TrainableNet: std::fmt::Debug + Send {
    /// Logits and embedding of input frames `(N, frames, bands)`; `train` selects batch
    /// statistics and dropout (training) or running averages (inference).
    fn forward_t(&self, input: &Tensor, train: bool) -> NetOutput;
    /// The size of [`NetOutput::embedding`].
    fn embedding_dim(&self) -> i64;
    /// Multiply-accumulates of one forward pass over one input of `frames × bands`, counted
    /// from the layer shapes (convolutions and dense layers; normalisations, activations and
    /// pooling are not counted).
    fn macs_per_patch(&self, frames: i64, bands: i64) -> u64;
}

/// An architecture and its hyper-parameters.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(tag = "kind", rename_all = "lowercase")]
pub enum NetConfig {
    /// A fully convolutional network (FCN-3/4/5).
    Fcn(FcnConfig),
    /// The multi-scale network.
    MultiScale(MultiScaleConfig),
    /// The short-chunk ResNet.
    ShortRes(ShortResConfig),
    /// musicnn.
    Musicnn(MusicnnConfig),
}

/// The architecture names [`NetConfig::from_name`] knows.
pub const TRAINABLE_ARCHITECTURES: [&str; 6] =
    ["fcn3", "fcn4", "fcn5", "multiscale", "shortres", "musicnn"];

impl NetConfig {
    /// The default configuration of an architecture name ([`TRAINABLE_ARCHITECTURES`]).
    pub fn from_name(name: &str) -> Option<NetConfig> {
        match name {
            "fcn3" | "fcn4" | "fcn5" => {
                let layers = name[3..].parse().ok()?;
                FcnConfig::with_layers(layers).map(NetConfig::Fcn)
            }
            "multiscale" => Some(NetConfig::MultiScale(MultiScaleConfig::default())),
            "shortres" => Some(NetConfig::ShortRes(ShortResConfig::default())),
            "musicnn" => Some(NetConfig::Musicnn(MusicnnConfig::default())),
            _ => None,
        }
    }

    /// The architecture's name (`fcn4`, `multiscale`, `shortres`, `musicnn` …).
    pub fn name(&self) -> String {
        match self {
            NetConfig::Fcn(c) => format!("fcn{}", c.channels.len()),
            NetConfig::MultiScale(_) => "multiscale".into(),
            NetConfig::ShortRes(_) => "shortres".into(),
            NetConfig::Musicnn(_) => "musicnn".into(),
        }
    }

    /// Input frames per training example its paper uses: 187 (3 s) for the FCN, the
    /// multi-scale network and musicnn, 231 (3.7 s, Won et al.'s 59,049 samples) for the short-chunk ResNet.
    pub fn default_frames(&self) -> usize {
        match self {
            NetConfig::ShortRes(_) => 231,
            _ => 187,
        }
    }

    /// The same architecture with every layer's width divided by `divisor` (quick runs).
    pub fn narrow(self, divisor: i64) -> NetConfig {
        match self {
            NetConfig::Fcn(c) => NetConfig::Fcn(c.narrow(divisor)),
            NetConfig::MultiScale(c) => NetConfig::MultiScale(c.narrow(divisor)),
            NetConfig::ShortRes(c) => NetConfig::ShortRes(c.narrow(divisor)),
            NetConfig::Musicnn(c) => NetConfig::Musicnn(c.narrow(divisor)),
        }
    }

    /// Whether the architecture can take `input` computed from `n_mels` mel bands: the
    /// features must be valid ([`InputFeatures::validate`]), and musicnn, whose timbral kernels
    /// span ⌊0.4 · bands⌋ bands, needs at least 3 of them; the others pool over any count.
    pub fn check_input(&self, input: InputFeatures, n_mels: usize) -> Result<(), InputError> {
        input.validate(n_mels)?;
        let bands = input.bands(n_mels);
        match self {
            NetConfig::Musicnn(_) if bands < 3 => Err(InputError::TooFewBands {
                architecture: "musicnn",
                needed: 3,
                bands,
            }),
            _ => Ok(()),
        }
    }

    /// Creates the network's variables under `p` for input of `bands` bands per frame and
    /// `classes` tags (the convolutional networks pool over any band count; musicnn sizes its
    /// timbral kernels by it).
    pub fn build(&self, p: &nn::Path, bands: i64, classes: i64) -> Box<dyn TrainableNet> {
        match self {
            NetConfig::Fcn(c) => Box::new(Fcn::new(p, c.clone(), classes)),
            NetConfig::MultiScale(c) => Box::new(MultiScale::new(p, c.clone(), classes)),
            NetConfig::ShortRes(c) => Box::new(ShortChunkResNet::new(p, c.clone(), classes)),
            NetConfig::Musicnn(c) => Box::new(Musicnn::new(
                p.clone(),
                *c,
                bands,
                classes,
                &mut VarSpecs::for_training(),
            )),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tch::{Device, Kind};

    #[test]
    fn every_architecture_builds_and_runs_on_mel_and_mfcc_sized_input() {
        for name in TRAINABLE_ARCHITECTURES {
            let cfg = NetConfig::from_name(name).unwrap();
            assert_eq!(cfg.name(), name);
            let cfg = cfg.narrow(16);
            for (frames, bands) in [(187, 96), (231, 96), (187, 20)] {
                let vs = nn::VarStore::new(Device::Cpu);
                let net = cfg.build(&vs.root(), bands, 7);
                assert!(!vs.trainable_variables().is_empty(), "{name}");
                let x = Tensor::randn([2, frames, bands], (Kind::Float, Device::Cpu));
                let out = net.forward_t(&x, true);
                assert_eq!(out.logits.size(), [2, 7], "{name} {frames}×{bands}");
                assert_eq!(out.embedding.size(), [2, net.embedding_dim()], "{name}");
                let out = net.forward_t(&x, false);
                assert!(out.logits.isfinite().all().int64_value(&[]) == 1);
                assert!(net.macs_per_patch(frames, bands) > 0);
            }
        }
        let musicnn = NetConfig::from_name("musicnn").unwrap();
        let mfcc = |n_mfcc| InputFeatures::Mfcc { n_mfcc };
        assert!(musicnn.check_input(mfcc(2), 96).is_err());
        assert!(musicnn.check_input(mfcc(3), 96).is_ok());
        let fcn4 = NetConfig::from_name("fcn4").unwrap();
        assert!(fcn4.check_input(mfcc(1), 96).is_ok());
        assert!(fcn4.check_input(mfcc(0), 96).is_err());
        assert!(NetConfig::from_name("fcn6").is_none());
        assert!(NetConfig::from_name("vgg").is_none());
    }

    #[test]
    fn configurations_round_trip_through_json() {
        for name in TRAINABLE_ARCHITECTURES {
            let cfg = NetConfig::from_name(name).unwrap();
            let json = serde_json::to_string(&cfg).unwrap();
            assert_eq!(serde_json::from_str::<NetConfig>(&json).unwrap(), cfg);
        }
    }
}
