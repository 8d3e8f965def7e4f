//! The short-chunk ResNet of Won, Ferraro, Bogdanov and Serra, "Evaluation of CNN-based
//! automatic music tagging models" (SMC 2020): 2-D residual blocks over short (3.7 s) chunks
//! of a mel spectrogram, the best of the models they compared on MagnaTagATune.
//!
//! ```text
//! log-mel (N, T, F) ─ input BN ─ 7 × ResBlock (stride 2) ─ max over what is left ─ dense ─ BN ─ ReLU ─ dropout ─ output
//!                                                                                 (embedding)
//! ResBlock(x) = ReLU( BN(conv3×3(ReLU(BN(conv3×3/2(x))))) + shortcut(x) ),
//! shortcut = BN(conv3×3/2(x))   (every block strides, so every block projects)
//! ```
//!
//! With 128 channels (Won et al.'s default) the blocks have 128, 128, 256, 256, 256, 256 and
//! 512 channels; each halves frequency and time (rounding up), so the 96 mel bands become 1
//! and a 231-frame chunk (59,049 samples at 16 kHz, their input) 2 frames, max-pooled to 1.
//! Won et al. use 128 mel bands; musearch's front-end gives 96.

use tch::nn;
use tch::Tensor;

use super::blocks::{as_image, chain_macs, DenseHead, MapBlock};
use super::trainable::{NetOutput, TrainableNet};

/// Hyper-parameters of [`ShortChunkResNet`].
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct ShortResConfig {
    /// Output channels of the seven residual blocks.
    pub channels: Vec<i64>,
    /// Dropout rate before the output layer during training.
    pub dropout: f64,
}

impl Default for ShortResConfig {
    /// Won et al.'s network: `n_channels = 128`, blocks of 128, 128, 256, 256, 256, 256, 512
    /// channels, dropout 0.5.
    fn default() -> Self {
        ShortResConfig {
            channels: vec![128, 128, 256, 256, 256, 256, 512],
            dropout: 0.5,
        }
    }
}

impl ShortResConfig {
    /// Every width divided by `divisor` (at least 1).
    pub fn narrow(mut self, divisor: i64) -> Self {
        let d = divisor.max(1);
        self.channels.iter_mut().for_each(|c| *c = (*c / d).max(1));
        self
    }
}

/// A 3×3 convolution (padding 1) and its batch normalisation.
#[derive(Debug)]
struct ConvBn {
    conv: nn::Conv2D,
    bn: nn::BatchNorm,
}

impl ConvBn {
    fn new(p: &nn::Path, name: &str, c_in: i64, c_out: i64, stride: i64) -> Self {
        let cfg = nn::ConvConfig {
            stride,
            padding: 1,
            ..Default::default()
        };
        ConvBn {
            conv: nn::conv2d(p / format!("conv_{name}"), c_in, c_out, 3, cfg),
            bn: nn::batch_norm2d(p / format!("bn_{name}"), c_out, Default::default()),
        }
    }

    fn forward_t(&self, xs: &Tensor, train: bool) -> Tensor {
        xs.apply(&self.conv).apply_t(&self.bn, train)
    }

    /// Multiply-accumulates producing an `f × t` output map.
    fn macs(&self, f: i64, t: i64) -> u64 {
        (f * t * self.conv.ws.numel() as i64) as u64
    }
}

/// One residual block (see the module documentation).
#[derive(Debug)]
struct ResBlock {
    first: ConvBn,
    second: ConvBn,
    /// The projection of the input to the block's output shape.
    shortcut: ConvBn,
}

/// Output size of a stride-2, padding-1, 3-wide convolution: half, rounded up.
fn halved(n: i64) -> i64 {
    (n - 1) / 2 + 1
}

impl ResBlock {
    fn new(p: nn::Path, c_in: i64, c_out: i64) -> Self {
        // Every block strides by 2, so every block projects its input (Won et al.'s `diff`).
        ResBlock {
            first: ConvBn::new(&p, "1", c_in, c_out, 2),
            second: ConvBn::new(&p, "2", c_out, c_out, 1),
            shortcut: ConvBn::new(&p, "3", c_in, c_out, 2),
        }
    }

    fn forward_t(&self, x: &Tensor, train: bool) -> Tensor {
        let residual = self
            .second
            .forward_t(&self.first.forward_t(x, train).relu(), train);
        (residual + self.shortcut.forward_t(x, train)).relu()
    }
}

impl MapBlock for ResBlock {
    fn macs(&self, f: i64, t: i64) -> (u64, i64, i64) {
        let (fo, to) = (halved(f), halved(t));
        let macs = self.first.macs(fo, to) + self.second.macs(fo, to) + self.shortcut.macs(fo, to);
        (macs, fo, to)
    }
}

/// The short-chunk ResNet (see the module documentation).
#[derive(Debug)]
pub struct ShortChunkResNet {
    input_bn: nn::BatchNorm,
    blocks: Vec<ResBlock>,
    head: DenseHead,
    config: ShortResConfig,
}

impl ShortChunkResNet {
    /// Creates the network's variables under `p` for `classes` tags.
    pub fn new(p: &nn::Path, config: ShortResConfig, classes: i64) -> Self {
        let mut c_in = 1;
        let blocks = config
            .channels
            .iter()
            .enumerate()
            .map(|(i, &c)| {
                let b = ResBlock::new(p / format!("layer{}", i + 1), c_in, c);
                c_in = c;
                b
            })
            .collect();
        ShortChunkResNet {
            input_bn: nn::batch_norm2d(p / "input_bn", 1, Default::default()),
            blocks,
            head: DenseHead::new(
                p,
                ["dense1", "dense_bn", "dense2"],
                c_in,
                c_in,
                classes,
                config.dropout,
            ),
            config,
        }
    }
}

impl TrainableNet for ShortChunkResNet {
    fn forward_t(&self, input: &Tensor, train: bool) -> NetOutput {
        let mut x = as_image(input, &self.input_bn, train);
        for block in &self.blocks {
            x = block.forward_t(&x, train);
        }
        // Frequency is down to one band; max over the frames left.
        self.head.forward_t(&x.amax([2, 3], false), train)
    }

    fn embedding_dim(&self) -> i64 {
        self.config.channels.last().copied().unwrap_or(1)
    }

    fn macs_per_patch(&self, frames: i64, bands: i64) -> u64 {
        chain_macs(&self.blocks, bands, frames) + self.head.macs()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tch::{Device, Kind};

    #[test]
    fn seven_blocks_reduce_96_bands_to_one() {
        let mut f = 96;
        let mut t = 231;
        for _ in 0..7 {
            (f, t) = (halved(f), halved(t));
        }
        assert_eq!((f, t), (1, 2));
    }

    #[test]
    fn macs_of_the_first_block_and_the_dense_layers() {
        let vs = nn::VarStore::new(Device::Cpu);
        let cfg = ShortResConfig {
            channels: vec![4],
            dropout: 0.5,
        };
        let net = ShortChunkResNet::new(&vs.root(), cfg, 3);
        // 96 × 231 → 48 × 116: conv_1 (1→4), conv_2 (4→4), conv_3 (1→4), 3×3 each.
        let expect = 48 * 116 * 9 * (4 + 16 + 4) + 4 * 4 + 4 * 3;
        assert_eq!(net.macs_per_patch(231, 96), expect);
        let x = Tensor::randn([2, 231, 96], (Kind::Float, Device::Cpu));
        assert_eq!(net.forward_t(&x, true).logits.size(), [2, 3]);
    }
}
