//! Building blocks shared by the networks musearch trains ([`super::fcn`], [`super::multiscale`],
//! [`super::shortres`]): the spectrogram as a one-channel image, a convolution block with
//! pooling, the multiply-accumulate count of a chain of blocks, and the dense back-end.

use tch::nn;
use tch::Tensor;

use super::trainable::NetOutput;

/// `(N, T, F)` log-mel → `(N, 1, F, T)` batch-normalised: frequency is the image height, as in
/// the papers' figures.
pub(crate) fn as_image(mel: &Tensor, input_bn: &nn::BatchNorm, train: bool) -> Tensor {
    mel.transpose(1, 2).unsqueeze(1).apply_t(input_bn, train)
}

/// A block that maps an `f × t` feature map to a smaller one.
pub(crate) trait MapBlock {
    /// Multiply-accumulates on an `f × t` input map, and the output map's size.
    fn macs(&self, f: i64, t: i64) -> (u64, i64, i64);
}

/// Multiply-accumulates of `blocks` applied in turn to an `f × t` map.
pub(crate) fn chain_macs<B: MapBlock>(blocks: &[B], f: i64, t: i64) -> u64 {
    let (mut f, mut t, mut macs) = (f, t, 0);
    for b in blocks {
        let (m, f2, t2) = b.macs(f, t);
        macs += m;
        (f, t) = (f2, t2);
    }
    macs
}

/// The non-linearity of a [`ConvPoolBlock`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Activation {
    /// ELU (Choi et al.'s FCN).
    Elu,
    /// ReLU.
    Relu,
}

/// 3×3 convolution (padded), batch normalisation, activation, max-pooling by `pool`
/// (frequency, time), the window clamped to the map.
#[derive(Debug)]
pub(crate) struct ConvPoolBlock {
    conv: nn::Conv2D,
    bn: nn::BatchNorm,
    pool: (i64, i64),
    activation: Activation,
}

impl ConvPoolBlock {
    /// The block's variables under `p` (`conv`, `bn`).
    pub(crate) fn new(
        p: nn::Path,
        c_in: i64,
        c_out: i64,
        pool: (i64, i64),
        activation: Activation,
    ) -> Self {
        let cfg = nn::ConvConfig {
            padding: 1,
            ..Default::default()
        };
        ConvPoolBlock {
            conv: nn::conv2d(&p / "conv", c_in, c_out, 3, cfg),
            bn: nn::batch_norm2d(&p / "bn", c_out, Default::default()),
            pool,
            activation,
        }
    }

    /// The pooling window on an `f × t` map: the configured one, clamped to the map.
    fn window(&self, f: i64, t: i64) -> (i64, i64) {
        (self.pool.0.min(f).max(1), self.pool.1.min(t).max(1))
    }

    /// `(N, c_in, f, t)` → `(N, c_out, f / pool, t / pool)`.
    pub(crate) fn forward_t(&self, xs: &Tensor, train: bool) -> Tensor {
        let ys = xs.apply(&self.conv).apply_t(&self.bn, train);
        let ys = match self.activation {
            Activation::Elu => ys.elu(),
            Activation::Relu => ys.relu(),
        };
        let (_, _, f, t) = ys.size4().expect("4-d activations");
        let (kf, kt) = self.window(f, t);
        ys.max_pool2d([kf, kt], [kf, kt], [0, 0], [1, 1], false)
    }
}

impl MapBlock for ConvPoolBlock {
    fn macs(&self, f: i64, t: i64) -> (u64, i64, i64) {
        let [c_out, c_in, kh, kw] = super::layers::weight_dims::<4>(&self.conv.ws);
        let (kf, kt) = self.window(f, t);
        ((f * t * c_in * c_out * kh * kw) as u64, f / kf, t / kt)
    }
}

/// The dense back-end: dense → batch norm → ReLU (the embedding) → dropout → output layer.
#[derive(Debug)]
pub(crate) struct DenseHead {
    dense: nn::Linear,
    dense_bn: nn::BatchNorm,
    output: nn::Linear,
    dropout: f64,
}

impl DenseHead {
    /// The head's variables under `p`, named `names` = [dense, batch norm, output] (each
    /// network keeps the names its checkpoints were written with).
    pub(crate) fn new(
        p: &nn::Path,
        names: [&str; 3],
        inputs: i64,
        units: i64,
        classes: i64,
        dropout: f64,
    ) -> Self {
        DenseHead {
            dense: nn::linear(p / names[0], inputs, units, Default::default()),
            dense_bn: nn::batch_norm1d(p / names[1], units, Default::default()),
            output: nn::linear(p / names[2], units, classes, Default::default()),
            dropout,
        }
    }

    /// `(N, inputs)` pooled features → logits and embedding.
    pub(crate) fn forward_t(&self, pooled: &Tensor, train: bool) -> NetOutput {
        let embedding = pooled
            .apply(&self.dense)
            .apply_t(&self.dense_bn, train)
            .relu();
        let logits = embedding.dropout(self.dropout, train).apply(&self.output);
        NetOutput { logits, embedding }
    }

    /// Multiply-accumulates of the two dense layers.
    pub(crate) fn macs(&self) -> u64 {
        (self.dense.ws.numel() + self.output.ws.numel()) as u64
    }
}
