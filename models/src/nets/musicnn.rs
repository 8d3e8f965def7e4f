//! musicnn: the musically motivated CNN of Pons & Serra, "musicnn: pre-trained convolutional
//! neural networks for music audio tagging" (2019), as in the `models.py` of the `musicnn`
//! wheel (`build_musicnn`, ISC licence).
//!
//! ```text
//! log-mel (N, T, 96) ─ batch norm ─┬─ timbral  7×38 conv (204) ─ ReLU ─ BN ─ max over freq ─┐
//!                                  ├─ timbral  7×67 conv (204) ─ ReLU ─ BN ─ max over freq ─┤
//!                                  ├─ temporal 128×1 conv (51) ─ ReLU ─ BN ─ max over freq ─┤ front-end
//!                                  ├─ temporal  64×1 conv (51) ─ ReLU ─ BN ─ max over freq ─┤ (N, 561, T)
//!                                  └─ temporal  32×1 conv (51) ─ ReLU ─ BN ─ max over freq ─┘
//! mid-end: three 7-frame convolutions over all features (64 each) with ReLU and BN, the 2nd and
//!          3rd with residual connections; front-end and the three outputs concatenated (753, T)
//! back-end: max and mean over time (interleaved, 1506) ─ BN ─ dense 200 ─ ReLU ─ BN
//!           (the penultimate layer, the embedding) ─ dense 50 ─ sigmoid
//! ```
//!
//! Tensors are kept channels-first: the front-end works on `(N, C, T, F)`, the mid- and
//! back-end on `(N, features, T)`. The timbral convolutions see the input padded by 3 frames on
//! both sides and no frequency padding (as musicnn does, since frequency is max-pooled away);
//! the temporal ones use TensorFlow's `'same'` padding in time, asymmetric for their even
//! kernels (63 frames before and 64 after for the 128-frame kernel).

use tch::{nn, Tensor};

use super::{
    conv_fp32, tf_same_padding, weight_dims, BatchNorm, Conv2d, Dense, LayerNames, Layout,
    TaggerOutput, VarSpecs,
};

/// The hyper-parameters of `build_musicnn`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct MusicnnConfig {
    /// Mel bands of the input (96).
    pub n_mels: i64,
    /// musicnn's `num_filt_frontend` (1.6): timbral blocks get `int(1.6·128)` filters, temporal
    /// blocks `int(1.6·32)`.
    pub frontend_filter_factor: f64,
    /// Filters of each mid-end convolution (`num_filt_midend`, 64).
    pub midend_filters: i64,
    /// Units of the penultimate dense layer (`num_units_backend`, 200).
    pub backend_units: i64,
}

impl Default for MusicnnConfig {
    /// The configuration of the released `MTT_musicnn` and `MSD_musicnn`.
    fn default() -> Self {
        MusicnnConfig {
            n_mels: 96,
            frontend_filter_factor: 1.6,
            midend_filters: 64,
            backend_units: 200,
        }
    }
}

/// Python's `int()` of a positive float: truncation.
fn py_int(x: f64) -> i64 {
    x.trunc() as i64
}

/// A front-end block: convolution, ReLU, batch norm, max pooling over all frequencies.
#[derive(Debug)]
struct FrontendBlock {
    conv: Conv2d,
    bn: BatchNorm,
    /// Frames padded before and after the input.
    time_padding: (i64, i64),
}

impl FrontendBlock {
    /// `(N, 1, T, F)` → `(N, filters, T)`.
    ///
    /// Computed as `max_F bn(relu(conv))` is, without its three passes over the convolution's
    /// output (the largest tensor of the network, `N × filters × T × F`): per channel,
    /// `bn ∘ relu` is non-decreasing where batch norm's scale is ≥ 0 and non-increasing where it
    /// is negative, so its maximum over frequency is `bn(relu(max_F conv))` or
    /// `bn(relu(min_F conv))`; one `aminmax` pass gives both. Floating-point rounding is
    /// monotone too, so the result is the same to the bit.
    fn forward(&self, x: &Tensor) -> Tensor {
        let (before, after) = self.time_padding;
        let padded = x.constant_pad_nd([0, 0, before, after]);
        let (lowest, highest) = self.conv.forward(&padded).aminmax(3, false);
        let (scale, shift) = self.bn.scale_shift();
        let (scale, shift) = (scale.view([1, -1, 1]), shift.view([1, -1, 1]));
        let extreme = highest.where_self(&scale.ge(0.0), &lowest);
        extreme.relu() * scale + shift
    }
}

/// A mid-end layer: 7-frame convolution over the full feature axis, ReLU, batch norm.
///
/// musicnn writes it as a 2-D convolution whose kernel spans the whole feature axis of a
/// one-channel map; here it is the equivalent 1-D convolution with the features as channels.
#[derive(Debug)]
struct MidendLayer {
    weight: Tensor,
    bias: Tensor,
    bn: BatchNorm,
}

impl MidendLayer {
    const KERNEL: i64 = 7;

    fn new(
        path: &nn::Path,
        conv_layer: &str,
        bn_layer: &str,
        inputs: i64,
        filters: i64,
        specs: &mut VarSpecs,
    ) -> MidendLayer {
        let conv = path / "conv";
        let k = Self::KERNEL;
        MidendLayer {
            weight: specs.add(
                &conv,
                "weight",
                &[filters, inputs, k],
                format!("{conv_layer}/kernel"),
                &[k, inputs, 1, filters],
                Layout::Conv1dFromFullWidth,
            ),
            bias: specs.add(
                &conv,
                "bias",
                &[filters],
                format!("{conv_layer}/bias"),
                &[filters],
                Layout::Same,
            ),
            bn: BatchNorm::new(path / "bn", bn_layer, filters, specs),
        }
    }

    /// `(N, inputs, T)` → `(N, filters, T)`, 3 frames of zero padding on each side.
    fn forward(&self, x: &Tensor) -> Tensor {
        let pad = (Self::KERNEL - 1) / 2;
        let padded = x.constant_pad_nd([pad, pad]);
        let y = conv_fp32(&padded, &self.weight, &self.bias);
        self.bn.forward(&y.relu())
    }
}

/// The musicnn network.
#[derive(Debug)]
pub struct Musicnn {
    config: MusicnnConfig,
    input_bn: BatchNorm,
    frontend: Vec<FrontendBlock>,
    midend: Vec<MidendLayer>,
    pool_bn: BatchNorm,
    dense: Dense,
    dense_bn: BatchNorm,
    output: Dense,
}

impl Musicnn {
    /// Creates the parameters under `path`, recording for each the TensorFlow variable
    /// `build_musicnn` gives it (layers are numbered in creation order: `conv2d`, `conv2d_1` …,
    /// `batch_normalization`, `batch_normalization_1` …, `dense`, `dense_1`).
    pub fn new(
        path: nn::Path,
        config: MusicnnConfig,
        classes: i64,
        specs: &mut VarSpecs,
    ) -> Musicnn {
        let mut convs = LayerNames::new("conv2d");
        let mut bns = LayerNames::new("batch_normalization");

        let input_bn = BatchNorm::new(&path / "input_bn", &bns.next(), 1, specs);

        let timbral_filters = py_int(config.frontend_filter_factor * 128.0);
        let temporal_filters = py_int(config.frontend_filter_factor * 32.0);
        let f = config.n_mels as f64;
        // (block name, kernel, filters, time padding): timbral 7×⌊0.4·F⌋ and 7×⌊0.7·F⌋ with 3
        // frames each side, temporal 128×1, 64×1 and 32×1 with 'same' padding.
        let blocks = [
            ("timbral_74", [7, py_int(0.4 * f)], timbral_filters, (3, 3)),
            ("timbral_77", [7, py_int(0.7 * f)], timbral_filters, (3, 3)),
            (
                "temporal_128",
                [128, 1],
                temporal_filters,
                tf_same_padding(128),
            ),
            (
                "temporal_64",
                [64, 1],
                temporal_filters,
                tf_same_padding(64),
            ),
            (
                "temporal_32",
                [32, 1],
                temporal_filters,
                tf_same_padding(32),
            ),
        ];
        let mut frontend = Vec::new();
        for (name, kernel, filters, time_padding) in blocks {
            let p = &path / "frontend" / name;
            let conv = Conv2d::new(&p / "conv", &convs.next(), kernel, 1, filters, specs);
            let bn = BatchNorm::new(&p / "bn", &bns.next(), filters, specs);
            frontend.push(FrontendBlock {
                conv,
                bn,
                time_padding,
            });
        }

        let frontend_features = 2 * timbral_filters + 3 * temporal_filters;
        let mut midend = Vec::new();
        let mut inputs = frontend_features;
        for i in 0..3 {
            midend.push(MidendLayer::new(
                &(&path / "midend" / format!("conv{}", i + 1)),
                &convs.next(),
                &bns.next(),
                inputs,
                config.midend_filters,
                specs,
            ));
            inputs = config.midend_filters;
        }

        let features = frontend_features + 3 * config.midend_filters;
        let backend = &path / "backend";
        let pool_bn = BatchNorm::new(&backend / "pool_bn", &bns.next(), 2 * features, specs);
        let dense = Dense::new(
            &backend / "dense",
            "dense",
            2 * features,
            config.backend_units,
            specs,
        );
        let dense_bn = BatchNorm::new(
            &backend / "dense_bn",
            &bns.next(),
            config.backend_units,
            specs,
        );
        let output = Dense::new(
            &backend / "output",
            "dense_1",
            config.backend_units,
            classes,
            specs,
        );
        Musicnn {
            config,
            input_bn,
            frontend,
            midend,
            pool_bn,
            dense,
            dense_bn,
            output,
        }
    }

    /// The size of the embedding (the penultimate layer).
    pub fn embedding_dim(&self) -> i64 {
        self.config.backend_units
    }

    /// Multiply-accumulates of one forward pass over a patch of `frames` frames, counted from
    /// the layer shapes: every convolution (output elements × kernel volume × input channels)
    /// and dense layer (inputs × outputs). Batch norm, ReLU, pooling and the sigmoid are left
    /// out (a few tenths of a percent). For the released models and 187 frames: 1 398 553 584
    /// (2.80 GFLOP at two FLOP per MAC).
    pub fn macs_per_patch(&self, frames: i64) -> u64 {
        let n_mels = self.config.n_mels;
        let mut macs = 0i64;
        for block in &self.frontend {
            let [out, inp, kh, kw] = weight_dims::<4>(&block.conv.weight);
            let (before, after) = block.time_padding;
            let t = frames + before + after - kh + 1;
            let f = n_mels - kw + 1;
            macs += t * f * out * inp * kh * kw;
        }
        for layer in &self.midend {
            let [out, inp, k] = weight_dims::<3>(&layer.weight);
            macs += frames * out * inp * k;
        }
        for dense in [&self.dense, &self.output] {
            let [out, inp] = weight_dims::<2>(&dense.weight);
            macs += out * inp;
        }
        macs as u64
    }

    /// `(N, T, F)` log-mel patches → probabilities, logits and embedding.
    pub fn forward(&self, patches: &Tensor) -> TaggerOutput {
        // Front-end: (N, 1, T, F) → five (N, C_i, T) maps → (N, 561, T).
        let x = self.input_bn.forward(&patches.unsqueeze(1));
        let front: Vec<Tensor> = self.frontend.iter().map(|b| b.forward(&x)).collect();
        let front = Tensor::cat(&front, 1);

        // Mid-end with residual connections; dense concatenation of all levels.
        let m1 = self.midend[0].forward(&front);
        let m2 = self.midend[1].forward(&m1) + &m1;
        let m3 = self.midend[2].forward(&m2) + &m2;
        let features = Tensor::cat(&[&front, &m1, &m2, &m3], 1);

        // Back-end: temporal max and mean, interleaved per feature as TF's flatten of
        // concat([max, mean], axis=2) orders them.
        let max = features.amax([2], false);
        let mean = features.mean_dim(&[2i64][..], false, None);
        let n = features.size()[0];
        let pooled = Tensor::stack(&[max, mean], 2).reshape([n, -1]);
        let pooled = self.pool_bn.forward(&pooled);
        let embedding = self.dense_bn.forward(&self.dense.forward(&pooled).relu());
        let logits = self.output.forward(&embedding);
        TaggerOutput::from_logits(logits, embedding)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_2_8_gflop_per_patch() {
        let vs = nn::VarStore::new(tch::Device::Cpu);
        let net = Musicnn::new(
            vs.root(),
            MusicnnConfig::default(),
            50,
            &mut VarSpecs::default(),
        );
        // By hand: timbral 187·59·204·7·38 + 187·30·204·7·67, temporal 187·96·51·(128+64+32),
        // mid-end 187·64·561·7 + 2·187·64·64·7, dense 1506·200 + 200·50.
        assert_eq!(net.macs_per_patch(187), 1_398_553_584);
    }
}
