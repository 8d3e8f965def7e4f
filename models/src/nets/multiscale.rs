//! A multi-scale convolutional tagger after Dabral et al. 2018 (the merged-MTT paper): the
//! spectrogram is looked at at three time resolutions at once.
//!
//! ```text
//! log-mel (N, T, F) ─ input BN ─┬─ time ÷1 ─ branch₁ ─ global max ─┐
//!                               ├─ time ÷2 ─ branch₂ ─ global max ─┼─ concat ─ dense ─ BN ─ ReLU ─ dropout ─ output
//!                               └─ time ÷4 ─ branch₄ ─ global max ─┘            (embedding)
//! branch = 3 × [3×3 conv ─ BN ─ ReLU ─ 2×2 max-pool]
//! ```
//!
//! Each sub-sampled spectrogram is the input averaged over 1, 2 or 4 consecutive frames, so
//! the same 3×3 kernels span 3, 6 or 12 frames (about 50, 100 and 200 ms at hop 256); each
//! branch has its own weights. The widths and the dense layer are musearch's choices
//! ([`MultiScaleConfig::default`]); the structure, sub-sampled inputs convolved separately and
//! concatenated before the dense back-end, is the paper's.

use tch::nn;
use tch::Tensor;

use super::blocks::{as_image, chain_macs, Activation, ConvPoolBlock, DenseHead};
use super::trainable::{NetOutput, TrainableNet};

/// Hyper-parameters of [`MultiScale`].
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct MultiScaleConfig {
    /// Time sub-sampling factor of each branch.
    pub scales: Vec<i64>,
    /// Output channels of each convolution block of a branch.
    pub channels: Vec<i64>,
    /// Units of the dense layer after the concatenation (the embedding).
    pub dense: i64,
    /// Dropout rate before the output layer during training.
    pub dropout: f64,
}

impl Default for MultiScaleConfig {
    /// Three scales (1, 2, 4), blocks of 32, 64, 128 channels, a 256-unit dense layer,
    /// dropout 0.5.
    fn default() -> Self {
        MultiScaleConfig {
            scales: vec![1, 2, 4],
            channels: vec![32, 64, 128],
            dense: 256,
            dropout: 0.5,
        }
    }
}

impl MultiScaleConfig {
    /// Every width divided by `divisor` (at least 1).
    pub fn narrow(mut self, divisor: i64) -> Self {
        let d = divisor.max(1);
        self.channels.iter_mut().for_each(|c| *c = (*c / d).max(1));
        self.dense = (self.dense / d).max(1);
        self
    }
}

/// One time scale: sub-sampling, then the convolution blocks and a global max-pooling.
#[derive(Debug)]
struct Branch {
    scale: i64,
    /// Each block: 3×3 convolution, batch normalisation, ReLU, 2×2 max-pooling.
    blocks: Vec<ConvPoolBlock>,
}

impl Branch {
    fn new(p: nn::Path, scale: i64, channels: &[i64]) -> Self {
        let mut c_in = 1;
        let blocks = channels
            .iter()
            .enumerate()
            .map(|(i, &c)| {
                let path = &p / format!("block{}", i + 1);
                let b = ConvPoolBlock::new(path, c_in, c, (2, 2), Activation::Relu);
                c_in = c;
                b
            })
            .collect();
        Branch { scale, blocks }
    }

    /// The sub-sampled spectrogram: `(N, 1, F, T)` averaged over `scale` frames.
    fn subsample(&self, xs: &Tensor) -> Tensor {
        let t = xs.size()[3];
        let k = self.scale.min(t).max(1);
        if k == 1 {
            xs.shallow_clone()
        } else {
            xs.avg_pool2d([1, k], [1, k], [0, 0], false, true, None::<i64>)
        }
    }

    /// `(N, 1, F, T)` → `(N, channels)`.
    fn forward_t(&self, xs: &Tensor, train: bool) -> Tensor {
        let mut ys = self.subsample(xs);
        for b in &self.blocks {
            ys = b.forward_t(&ys, train);
        }
        ys.amax([2, 3], false)
    }

    fn macs(&self, frames: i64, bands: i64) -> u64 {
        chain_macs(&self.blocks, bands, frames / self.scale.min(frames).max(1))
    }
}

/// The multi-scale network (see the module documentation).
#[derive(Debug)]
pub struct MultiScale {
    input_bn: nn::BatchNorm,
    branches: Vec<Branch>,
    head: DenseHead,
    config: MultiScaleConfig,
}

impl MultiScale {
    /// Creates the network's variables under `p` for `classes` tags.
    pub fn new(p: &nn::Path, config: MultiScaleConfig, classes: i64) -> Self {
        let branches: Vec<Branch> = config
            .scales
            .iter()
            .map(|&s| Branch::new(p / format!("scale{s}"), s, &config.channels))
            .collect();
        let concat = config.channels.last().copied().unwrap_or(1) * branches.len() as i64;
        MultiScale {
            input_bn: nn::batch_norm2d(p / "input_bn", 1, Default::default()),
            head: DenseHead::new(
                p,
                ["dense", "dense_bn", "output"],
                concat,
                config.dense,
                classes,
                config.dropout,
            ),
            branches,
            config,
        }
    }
}

impl TrainableNet for MultiScale {
    fn forward_t(&self, input: &Tensor, train: bool) -> NetOutput {
        let x = as_image(input, &self.input_bn, train);
        let scales: Vec<Tensor> = self
            .branches
            .iter()
            .map(|b| b.forward_t(&x, train))
            .collect();
        self.head.forward_t(&Tensor::cat(&scales, 1), train)
    }

    fn embedding_dim(&self) -> i64 {
        self.config.dense
    }

    fn macs_per_patch(&self, frames: i64, bands: i64) -> u64 {
        let convs: u64 = self.branches.iter().map(|b| b.macs(frames, bands)).sum();
        convs + self.head.macs()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tch::Device;

    #[test]
    fn macs_of_the_default_network() {
        let vs = nn::VarStore::new(Device::Cpu);
        let net = MultiScale::new(&vs.root(), MultiScaleConfig::default(), 50);
        let branch = |t: i64| 9 * (96 * t * 32 + 48 * (t / 2) * 32 * 64 + 24 * (t / 4) * 64 * 128);
        let expect = branch(187) + branch(93) + branch(46) + 384 * 256 + 256 * 50;
        assert_eq!(net.macs_per_patch(187, 96), expect as u64);
    }
}
