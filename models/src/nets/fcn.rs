//! The fully convolutional network (FCN) of Choi, Fazekas and Sandler, "Automatic tagging
//! using deep convolutional neural networks" (ISMIR 2016), for training from scratch.
//!
//! The input log-mel spectrogram (96 bands × T frames) is batch-normalised, then passes through
//! `L` blocks of `3×3 convolution → batch normalisation → ELU → max-pooling`; a global
//! max-pooling and a 1×1 output layer (a linear layer on the pooled channels) give one logit
//! per tag, and a sigmoid the probabilities. The paper's variants ([`FcnConfig::fcn3`],
//! [`FcnConfig::fcn4`], [`FcnConfig::fcn5`]) differ in depth, width and pooling; FCN-4 is its
//! main model (channels 128, 384, 768, 2048; pooling (2,4), (4,5), (3,8), (4,8) in
//! (frequency, time)).
//!
//! The paper fed 29-s clips (1366 frames at 12 kHz). musearch feeds 3-s musicnn patches
//! (187 frames at 16 kHz) by default, so a time pooling larger than the frames left is clamped
//! to them (and the global max-pooling covers what remains): the frequency pooling, which
//! reduces the 96 bands to 1, is the paper's.

use tch::nn::{self, ModuleT};
use tch::Tensor;

use super::blocks::{as_image, chain_macs, Activation, ConvPoolBlock};
use super::trainable::{NetOutput, TrainableNet};

/// Depth, width and pooling of an FCN.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct FcnConfig {
    /// Output channels of each convolution block.
    pub channels: Vec<i64>,
    /// Max-pooling (frequency, time) after each block.
    pub pools: Vec<(i64, i64)>,
}

impl FcnConfig {
    /// FCN-3: three blocks (128, 384, 2048 channels) pooling the 96 bands by 4 × 4 × 6.
    pub fn fcn3() -> Self {
        FcnConfig {
            channels: vec![128, 384, 2048],
            pools: vec![(4, 8), (4, 8), (6, 16)],
        }
    }

    /// FCN-4, the model of Choi et al. 2016 (Table 1).
    pub fn fcn4() -> Self {
        FcnConfig {
            channels: vec![128, 384, 768, 2048],
            pools: vec![(2, 4), (4, 5), (3, 8), (4, 8)],
        }
    }

    /// FCN-5: five blocks (128 … 2048 channels), pooling (2,4), (2,4), (2,4), (3,5), (4,4).
    pub fn fcn5() -> Self {
        FcnConfig {
            channels: vec![128, 256, 512, 1024, 2048],
            pools: vec![(2, 4), (2, 4), (2, 4), (3, 5), (4, 4)],
        }
    }

    /// The variant with `layers` blocks (3, 4 or 5).
    pub fn with_layers(layers: usize) -> Option<Self> {
        match layers {
            3 => Some(Self::fcn3()),
            4 => Some(Self::fcn4()),
            5 => Some(Self::fcn5()),
            _ => None,
        }
    }

    /// The same pooling with every channel count divided by `divisor` (at least 1): small
    /// networks for tests and quick experiments.
    pub fn narrow(mut self, divisor: i64) -> Self {
        for c in &mut self.channels {
            *c = (*c / divisor.max(1)).max(1);
        }
        self
    }
}

/// The FCN (see the module documentation).
#[derive(Debug)]
pub struct Fcn {
    input_bn: nn::BatchNorm,
    /// Each block: 3×3 convolution, batch normalisation, ELU, max-pooling.
    blocks: Vec<ConvPoolBlock>,
    output: nn::Linear,
    config: FcnConfig,
    classes: i64,
}

impl Fcn {
    /// Creates the network's variables under `p` for `classes` tags.
    pub fn new(p: &nn::Path, config: FcnConfig, classes: i64) -> Self {
        let input_bn = nn::batch_norm2d(p / "input_bn", 1, Default::default());
        let mut blocks = Vec::with_capacity(config.channels.len());
        let mut c_in = 1;
        for (i, (&c, &pool)) in config.channels.iter().zip(&config.pools).enumerate() {
            let path = p / format!("block{}", i + 1);
            blocks.push(ConvPoolBlock::new(path, c_in, c, pool, Activation::Elu));
            c_in = c;
        }
        let output = nn::linear(p / "output", c_in, classes, Default::default());
        Fcn {
            input_bn,
            blocks,
            output,
            config,
            classes,
        }
    }

    /// The configuration.
    pub fn config(&self) -> &FcnConfig {
        &self.config
    }

    /// Number of output tags.
    pub fn classes(&self) -> i64 {
        self.classes
    }

    /// Logits `(N, classes)` of log-mel input `(N, frames, 96)`; `train` selects batch
    /// statistics (training) or the running averages (inference).
    pub fn logits(&self, mel: &Tensor, train: bool) -> Tensor {
        self.pooled(mel, train).apply(&self.output)
    }

    /// Tag probabilities `(N, classes)` (sigmoid of [`Fcn::logits`]).
    pub fn probabilities(&self, mel: &Tensor) -> Tensor {
        self.logits(mel, false).sigmoid()
    }

    /// The globally max-pooled channels of the last block, `(N, channels)`: the embedding.
    fn pooled(&self, mel: &Tensor, train: bool) -> Tensor {
        let mut xs = as_image(mel, &self.input_bn, train);
        for b in &self.blocks {
            xs = b.forward_t(&xs, train);
        }
        // Global max-pooling over what is left of frequency and time.
        xs.amax([2, 3], false)
    }
}

impl TrainableNet for Fcn {
    fn forward_t(&self, input: &Tensor, train: bool) -> NetOutput {
        let embedding = self.pooled(input, train);
        NetOutput {
            logits: embedding.apply(&self.output),
            embedding,
        }
    }

    fn embedding_dim(&self) -> i64 {
        self.config.channels.last().copied().unwrap_or(1)
    }

    fn macs_per_patch(&self, frames: i64, bands: i64) -> u64 {
        chain_macs(&self.blocks, bands, frames) + (self.embedding_dim() * self.classes) as u64
    }
}

impl ModuleT for Fcn {
    fn forward_t(&self, xs: &Tensor, train: bool) -> Tensor {
        self.logits(xs, train)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tch::{Device, Kind};

    #[test]
    fn shapes_for_patches_and_whole_clips() {
        for layers in [3, 4, 5] {
            let vs = nn::VarStore::new(Device::Cpu);
            let cfg = FcnConfig::with_layers(layers).unwrap().narrow(32);
            let net = Fcn::new(&vs.root(), cfg, 50);
            for frames in [187, 1366] {
                let x = Tensor::randn([2, frames, 96], (Kind::Float, Device::Cpu));
                let y = net.logits(&x, true);
                assert_eq!(y.size(), [2, 50], "FCN-{layers}, {frames} frames");
                let p = net.probabilities(&x);
                let (lo, hi) = (p.min().double_value(&[]), p.max().double_value(&[]));
                assert!((0.0..=1.0).contains(&lo) && (0.0..=1.0).contains(&hi));
            }
        }
        assert!(FcnConfig::with_layers(6).is_none());
    }

    #[test]
    fn fcn4_has_the_papers_size() {
        // The 3×3 convolution weights dominate: 9 · (1·128 + 128·384 + 384·768 + 768·2048).
        let vs = nn::VarStore::new(Device::Cpu);
        let _net = Fcn::new(&vs.root(), FcnConfig::fcn4(), 50);
        let n: i64 = vs
            .trainable_variables()
            .iter()
            .map(|t| t.numel() as i64)
            .sum();
        let conv: i64 = 9 * (128 + 128 * 384 + 384 * 768 + 768 * 2048);
        assert!(n > conv && n < conv + 200_000, "{n}");
    }

    #[test]
    fn fcn4_macs_follow_the_pooled_maps() {
        let vs = nn::VarStore::new(Device::Cpu);
        let net = Fcn::new(&vs.root(), FcnConfig::fcn4(), 50);
        // 96 × 187 → (2,4) → 48 × 46 → (4,5) → 12 × 9 → (3,8) → 4 × 1 → (4,1) → 1 × 1.
        let expect = 9 * (96 * 187 * 128 + 48 * 46 * 128 * 384 + 12 * 9 * 384 * 768)
            + 9 * 4 * 768 * 2048
            + 2048 * 50;
        assert_eq!(net.macs_per_patch(187, 96), expect as u64);
    }
}
