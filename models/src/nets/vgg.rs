//! The VGG-like baseline released with musicnn (Pons & Serra, "musicnn: pre-trained
//! convolutional neural networks for music audio tagging", 2019), as in the `vgg` function of
//! the `models.py` of the `musicnn` wheel (ISC licence).
//!
//! ```text
//! log-mel (N, 187, 96) ─ BN ─ [3×3 conv (128) 'same' ─ ReLU ─ BN ─ max pool] × 5 ─ flatten ─ dense 50 ─ sigmoid
//! pools (time × freq, stride): 4×1 /2×2, 2×2 /2, 2×2 /2, 2×2 /2, 4×4 /4  →  (128, 2, 1)
//! ```
//!
//! Pooling is TensorFlow's `'valid'` (no padding, floor). The flattened last pooling (256
//! values, in TensorFlow's time, frequency, channel order) is the embedding. Because of the
//! dense layer, the network only takes 187-frame patches.

use tch::{nn, Tensor};

use super::layers::{tf_same_padding, weight_dims, BatchNorm, Conv2d, Dense, LayerNames};
use super::tf_vars::VarSpecs;
use super::TaggerOutput;

/// The hyper-parameters of musicnn's `vgg`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct VggConfig {
    /// Filters of every convolution (128 in the released models).
    pub filters: i64,
    /// Frames of an input patch (187).
    pub frames: i64,
    /// Mel bands (96).
    pub n_mels: i64,
}

impl Default for VggConfig {
    /// The configuration of the released `MTT_vgg` and `MSD_vgg`.
    fn default() -> Self {
        VggConfig {
            filters: 128,
            frames: 187,
            n_mels: 96,
        }
    }
}

/// Pool size and stride (time, frequency) after each of the five convolutions.
const POOLS: [([i64; 2], [i64; 2]); 5] = [
    ([4, 1], [2, 2]),
    ([2, 2], [2, 2]),
    ([2, 2], [2, 2]),
    ([2, 2], [2, 2]),
    ([4, 4], [4, 4]),
];

/// Output length of a 'valid' pooling.
fn pooled_len(len: i64, size: i64, stride: i64) -> i64 {
    (len - size) / stride + 1
}

/// One block: 3×3 convolution with 'same' padding, ReLU, batch norm, max pooling.
#[derive(Debug)]
struct VggBlock {
    conv: Conv2d,
    bn: BatchNorm,
    pool: [i64; 2],
    stride: [i64; 2],
}

impl VggBlock {
    const KERNEL: i64 = 3;

    fn forward(&self, x: &Tensor) -> Tensor {
        let (before, after) = tf_same_padding(Self::KERNEL);
        let padded = x.constant_pad_nd([before, after, before, after]);
        let y = self.bn.forward(&self.conv.forward(&padded).relu());
        y.max_pool2d(self.pool, self.stride, [0, 0], [1, 1], false)
    }
}

/// The VGG baseline network.
#[derive(Debug)]
pub struct Vgg {
    input_bn: BatchNorm,
    blocks: Vec<VggBlock>,
    output: Dense,
    embedding_dim: i64,
    frames: i64,
    n_mels: i64,
}

impl Vgg {
    /// Creates the parameters under `path`, recording for each the TensorFlow variable musicnn
    /// gives it (`1CNN` … `5CNN`, `batch_normalization` … `batch_normalization_5`, `dense`).
    pub fn new(path: nn::Path, config: VggConfig, classes: i64, specs: &mut VarSpecs) -> Vgg {
        let mut bns = LayerNames::new("batch_normalization");
        let input_bn = BatchNorm::new(&path / "input_bn", &bns.next(), 1, specs);
        let mut blocks = Vec::new();
        let (mut t, mut f) = (config.frames, config.n_mels);
        let mut channels = 1;
        for (i, (pool, stride)) in POOLS.into_iter().enumerate() {
            let p = &path / format!("block{}", i + 1);
            let conv = Conv2d::new(
                &p / "conv",
                &format!("{}CNN", i + 1),
                [VggBlock::KERNEL, VggBlock::KERNEL],
                channels,
                config.filters,
                specs,
            );
            let bn = BatchNorm::new(&p / "bn", &bns.next(), config.filters, specs);
            blocks.push(VggBlock {
                conv,
                bn,
                pool,
                stride,
            });
            channels = config.filters;
            t = pooled_len(t, pool[0], stride[0]);
            f = pooled_len(f, pool[1], stride[1]);
        }
        let embedding_dim = t * f * config.filters;
        let output = Dense::new(&path / "output", "dense", embedding_dim, classes, specs);
        Vgg {
            input_bn,
            blocks,
            output,
            embedding_dim,
            frames: config.frames,
            n_mels: config.n_mels,
        }
    }

    /// The size of the embedding (the flattened last pooling).
    pub fn embedding_dim(&self) -> i64 {
        self.embedding_dim
    }

    /// `(N, 187, 96)` log-mel patches → probabilities, logits and embedding.
    /// Multiply-accumulates of one forward pass over a 187-frame patch, counted from the layer
    /// shapes ('same' 3×3 convolutions at each block's input size, then the dense layer).
    /// For the released models: 885 080 576 (1.77 GFLOP).
    pub fn macs_per_patch(&self) -> u64 {
        let (mut t, mut f) = (self.frames, self.n_mels);
        let mut macs = 0i64;
        for block in &self.blocks {
            let [out, inp, kh, kw] = weight_dims::<4>(&block.conv.weight);
            macs += t * f * out * inp * kh * kw;
            t = pooled_len(t, block.pool[0], block.stride[0]);
            f = pooled_len(f, block.pool[1], block.stride[1]);
        }
        let [out, inp] = weight_dims::<2>(&self.output.weight);
        (macs + out * inp) as u64
    }

    pub fn forward(&self, patches: &Tensor) -> TaggerOutput {
        let mut x = self.input_bn.forward(&patches.unsqueeze(1));
        for block in &self.blocks {
            x = block.forward(&x);
        }
        // (N, C, T, F) → TensorFlow's NHWC flatten order (T, F, C).
        let n = x.size()[0];
        let embedding = x.permute([0, 2, 3, 1]).reshape([n, -1]);
        let logits = self.output.forward(&embedding);
        TaggerOutput::from_logits(logits, embedding)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn released_vgg_flattens_to_256() {
        let (mut t, mut f) = (187, 96);
        for (pool, stride) in POOLS {
            t = pooled_len(t, pool[0], stride[0]);
            f = pooled_len(f, pool[1], stride[1]);
        }
        assert_eq!((t, f), (2, 1));
    }

    #[test]
    fn counts_1_77_gflop_per_patch() {
        let vs = nn::VarStore::new(tch::Device::Cpu);
        let net = Vgg::new(
            vs.root(),
            VggConfig::default(),
            50,
            &mut VarSpecs::default(),
        );
        assert_eq!(net.macs_per_patch(), 885_080_576);
    }
}
