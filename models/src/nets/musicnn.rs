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
//! The front-end takes the input as `(N, T, F)` and gives each block's output channels-last,
//! `(N, T, C)`; the mid- and back-end work on `(N, features, T)`. On the CPU the front-end
//! convolutions, 85 % of the arithmetic, run as im2col + SGEMM ([`FrontendKernel::Gemm`]):
//! with one input channel that keeps the CPU busy multiplying, where libtorch's convolution
//! spends its time reordering its output. The timbral convolutions see the input padded by 3 frames on
//! both sides and no frequency padding (as musicnn does, since frequency is max-pooled away);
//! the temporal ones use TensorFlow's `'same'` padding in time, asymmetric for their even
//! kernels (63 frames before and 64 after for the 128-frame kernel).

use tch::{nn, Kind, Tensor};

use super::im2col::{cpu_values, cpu_values_mut, max_over_bands, unfold_rows, WindowLayout};
use super::layers::{
    conv_valid, tf_same_padding, weight_dims, BatchNorm, Conv2d, Dense, LayerNames,
};
use super::tf_vars::{Init, Layout, VarSpecs};
use super::trainable::{NetOutput, TrainableNet};
use super::TaggerOutput;

/// The hyper-parameters of `build_musicnn` (the input's band count is given to
/// [`Musicnn::new`]: 96 mel bands for the released models).
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct MusicnnConfig {
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
            frontend_filter_factor: 1.6,
            midend_filters: 64,
            backend_units: 200,
        }
    }
}

impl MusicnnConfig {
    /// The same network with every layer's width divided by `divisor` (at least one filter
    /// or unit each): small networks for tests and quick experiments.
    pub fn narrow(self, divisor: i64) -> Self {
        let divisor = divisor.max(1);
        MusicnnConfig {
            frontend_filter_factor: self.frontend_filter_factor / divisor as f64,
            midend_filters: (self.midend_filters / divisor).max(1),
            backend_units: (self.backend_units / divisor).max(1),
        }
    }
}

/// Dropout before each dense layer of the back-end in training (`rate=0.5` in `models.py`).
const BACKEND_DROPOUT: f64 = 0.5;

/// Python's `int()` of a positive float: truncation.
fn py_int(x: f64) -> i64 {
    x.trunc() as i64
}

/// How the front-end convolutions are computed. Both give the same result up to the order of
/// the floating-point sums.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FrontendKernel {
    /// libtorch's convolution (oneDNN on the CPU, cuDNN on a GPU) over the whole
    /// `N × filters × T × F` output, then one pass for the maximum and minimum over frequency.
    /// With one input channel oneDNN is bound by reordering its output, not by arithmetic.
    Convolution,
    /// The windows of a few frames at a time unfolded into rows (im2col) and multiplied by the
    /// `(kernel area, filters)` weight matrix in one SGEMM (MKL), each product reduced over
    /// frequency while it is still in the cache. The default on the CPU.
    Gemm,
}

/// Rows of the unfolded input multiplied at a time by [`FrontendKernel::Gemm`]: about 1.5 MB of
/// windows and 1.2 MB of products for the 7×67 kernel, so both stay in a core's 2 MB L2 cache
/// between the unfolding, the product and the reduction.
const GEMM_ROWS: i64 = 1536;

/// A front-end block: convolution, ReLU, batch norm, max pooling over all frequencies.
#[derive(Debug)]
struct FrontendBlock {
    conv: Conv2d,
    bn: BatchNorm,
    /// Frames padded before and after the input.
    time_padding: (i64, i64),
}

impl FrontendBlock {
    /// `(N, T, F)` → `(N, T, filters)`.
    ///
    /// Computed as `max_F bn(relu(conv))` is, without its three passes over the convolution's
    /// output (the largest tensor of the network, `N × filters × T × F`): per channel,
    /// `bn ∘ relu` is non-decreasing where batch norm's scale is ≥ 0 and non-increasing where it
    /// is negative, so its maximum over frequency is `bn(relu(max_F conv))` or
    /// `bn(relu(min_F conv))`. Floating-point rounding is monotone too, so the result is the
    /// same to the bit. The bias is added after the reduction (`max_F (c_F + b) = max_F c_F + b`,
    /// exact for the same reason).
    fn forward(&self, x: &Tensor, kernel: FrontendKernel) -> Tensor {
        let (scale, shift) = self.bn.scale_shift();
        let extreme = match kernel {
            FrontendKernel::Convolution => self.extremes_by_convolution(x, &scale),
            FrontendKernel::Gemm => self.extremes_by_gemm(x, &scale),
        };
        (extreme + &self.conv.bias).relu() * scale + shift
    }

    /// `(N, T, F)` → `(N, T, filters)` in training: the layers in musicnn's order over the
    /// whole convolution output (batch norm then needs every band's value for its batch
    /// statistics, so the reordering of [`Self::forward`] does not apply), differentiable.
    fn forward_train(&self, x: &Tensor) -> Tensor {
        let conv = self.conv.forward_t(&self.pad(x).unsqueeze(1), true);
        self.bn
            .forward_t(&conv.relu(), true)
            .amax([3], false)
            .transpose(1, 2)
    }

    /// The input padded in time, `(N, T + before + after, F)`.
    fn pad(&self, x: &Tensor) -> Tensor {
        let (before, after) = self.time_padding;
        x.constant_pad_nd([0, 0, before, after])
    }

    /// Per channel, the maximum over frequency of the convolution without bias where `scale` is
    /// ≥ 0 and the minimum where it is negative: `(N, T, filters)`.
    fn extremes_by_convolution(&self, x: &Tensor, scale: &Tensor) -> Tensor {
        let padded = self.pad(x).unsqueeze(1);
        let conv = conv_valid(&padded, &self.conv.weight, None, false);
        let (lowest, highest) = conv.aminmax(3, false);
        highest
            .where_self(&scale.view([1, -1, 1]).ge(0.0), &lowest)
            .transpose(1, 2)
    }

    /// [`Self::extremes_by_convolution`] as im2col + SGEMM.
    ///
    /// The filters of negative `scale` are negated, so that every channel needs the maximum
    /// (`min_F c = −max_F (−c)`, exact: negation commutes with rounding). The windows are laid
    /// out so that the kernel's longer side is contiguous in memory (frequency for the timbral
    /// 7×38 and 7×67 kernels, time for the temporal 128×1, 64×1 and 32×1 ones: the input is
    /// transposed for those), and unfolded [`GEMM_ROWS`] at a time by
    /// [`unfold_rows`]: rows are `(frame, band)`, columns the kernel's taps, so the product
    /// `(rows, filters)` is reduced over its bands by [`max_over_bands`] while it is in the
    /// cache. Memory beyond the output is two buffers of `GEMM_ROWS` rows, whatever the batch.
    ///
    /// Writing into buffers is something autograd cannot follow, and the loops read CPU
    /// memory: where the weights track gradients (trainable weights outside `tch::no_grad`) or
    /// the input is not float32 on the CPU, this is [`Self::extremes_by_convolution`].
    fn extremes_by_gemm(&self, x: &Tensor, scale: &Tensor) -> Tensor {
        let [filters, _, kh, kw] = weight_dims::<4>(&self.conv.weight);
        let sign = scale.ge(0.0).to_kind(Kind::Float) * 2.0 - 1.0;
        let weight = &self.conv.weight * sign.view([-1, 1, 1, 1]);
        if weight.requires_grad() || x.device() != tch::Device::Cpu || x.kind() != Kind::Float {
            return self.extremes_by_convolution(x, scale);
        }
        let padded = self.pad(x).contiguous();
        let [n, padded_frames, padded_bands] = weight_dims::<3>(&padded);
        let frames = padded_frames - kh + 1;
        let bands = padded_bands - kw + 1;
        // Windows: runs of `b` contiguous values along the kernel's longer side; weights
        // `(a · b, filters)` in the same order.
        let (src, layout, weight) = if kw >= kh {
            let layout = WindowLayout {
                frame: padded_bands as usize,
                band: 1,
                step: padded_bands as usize,
                a: kh as usize,
                b: kw as usize,
            };
            (padded, layout, weight.reshape([filters, kh * kw]))
        } else {
            let layout = WindowLayout {
                frame: 1,
                band: padded_frames as usize,
                step: padded_frames as usize,
                a: kw as usize,
                b: kh as usize,
            };
            let transposed = padded.transpose(1, 2).contiguous();
            let weight = weight.permute([0, 1, 3, 2]).reshape([filters, kw * kh]);
            (transposed, layout, weight)
        };
        let weight = weight.tr();
        let chunk = (GEMM_ROWS / bands).clamp(1, frames);
        let options = (Kind::Float, x.device());
        let rows = Tensor::empty([chunk * bands, kh * kw], options);
        let products = Tensor::empty([chunk * bands, filters], options);
        let out = Tensor::empty([n, frames, filters], options);
        let (frames, bands, filters) = (frames as usize, bands as usize, filters as usize);
        // SAFETY: `src` is this call's own contiguous float32 CPU tensor (`x` is on the CPU,
        // checked above), and no libtorch operation writes it while the slice lives.
        let Some(src_values) = (unsafe { cpu_values(&src) }) else {
            unreachable!("a float32 CPU tensor made contiguous above")
        };
        let per_patch = src_values.len() / n.max(1) as usize;
        for patch in 0..n as usize {
            let src = &src_values[patch * per_patch..(patch + 1) * per_patch];
            for start in (0..frames).step_by(chunk as usize) {
                let len = (chunk as usize).min(frames - start);
                // SAFETY: `rows` is this call's own contiguous float32 CPU tensor, and no
                // libtorch operation uses it while the slice lives.
                let Some(unfolded) = (unsafe { cpu_values_mut(&rows) }) else {
                    unreachable!("a float32 CPU tensor made above")
                };
                unfold_rows(src, unfolded, layout, start, len, bands);
                let rows = rows.narrow(0, 0, (len * bands) as i64);
                let products = products.narrow(0, 0, (len * bands) as i64);
                let _ = rows.mm_out(&products, &weight);
                // SAFETY: as above, for `products` (written by the product just returned) and
                // `out`, also this call's own; `src`, read meanwhile, is a different tensor.
                let views = unsafe { (cpu_values(&products), cpu_values_mut(&out)) };
                let (Some(products), Some(out)) = views else {
                    unreachable!("float32 CPU tensors made contiguous above")
                };
                let first = (patch * frames + start) * filters;
                max_over_bands(
                    products,
                    &mut out[first..first + len * filters],
                    bands,
                    filters,
                );
            }
        }
        out * sign
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
                Init::Glorot,
            ),
            bias: specs.add(
                &conv,
                "bias",
                &[filters],
                format!("{conv_layer}/bias"),
                &[filters],
                Layout::Same,
                Init::Zeros,
            ),
            bn: BatchNorm::new(path / "bn", bn_layer, filters, specs),
        }
    }

    /// `(N, inputs, T)` → `(N, filters, T)`, 3 frames of zero padding on each side; `train`
    /// selects batch statistics.
    fn forward_t(&self, x: &Tensor, train: bool) -> Tensor {
        let pad = (Self::KERNEL - 1) / 2;
        let padded = x.constant_pad_nd([pad, pad]);
        let y = conv_valid(&padded, &self.weight, Some(&self.bias), train);
        self.bn.forward_t(&y.relu(), train)
    }
}

/// The musicnn network.
#[derive(Debug)]
pub struct Musicnn {
    config: MusicnnConfig,
    n_mels: i64,
    frontend_kernel: FrontendKernel,
    input_bn: BatchNorm,
    frontend: Vec<FrontendBlock>,
    midend: Vec<MidendLayer>,
    pool_bn: BatchNorm,
    dense: Dense,
    dense_bn: BatchNorm,
    output: Dense,
}

impl Musicnn {
    /// Creates the parameters under `path` for input of `n_mels` bands (the timbral kernels
    /// span 40 % and 70 % of them), recording for each the TensorFlow variable `build_musicnn`
    /// gives it (layers are numbered in creation order: `conv2d`, `conv2d_1` …,
    /// `batch_normalization`, `batch_normalization_1` …, `dense`, `dense_1`). `specs` decides
    /// whether they are zeros to load or initialised for training ([`VarSpecs::for_training`]).
    pub fn new(
        path: nn::Path,
        config: MusicnnConfig,
        n_mels: i64,
        classes: i64,
        specs: &mut VarSpecs,
    ) -> Musicnn {
        let mut convs = LayerNames::new("conv2d");
        let mut bns = LayerNames::new("batch_normalization");

        let input_bn = BatchNorm::new(&path / "input_bn", &bns.next(), 1, specs);

        let timbral_filters = py_int(config.frontend_filter_factor * 128.0);
        let temporal_filters = py_int(config.frontend_filter_factor * 32.0);
        let f = n_mels as f64;
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
        let frontend_kernel = match path.device() {
            tch::Device::Cpu => FrontendKernel::Gemm,
            _ => FrontendKernel::Convolution,
        };
        Musicnn {
            config,
            n_mels,
            frontend_kernel,
            input_bn,
            frontend,
            midend,
            pool_bn,
            dense,
            dense_bn,
            output,
        }
    }

    /// How the front-end convolutions are computed: [`FrontendKernel::Gemm`] when the network
    /// was built on the CPU, [`FrontendKernel::Convolution`] on a GPU (one cuDNN call per block
    /// beats many small products there).
    pub fn frontend_kernel(&self) -> FrontendKernel {
        self.frontend_kernel
    }

    /// Computes the front-end convolutions with `kernel` from now on (e.g. to compare both).
    pub fn set_frontend_kernel(&mut self, kernel: FrontendKernel) {
        self.frontend_kernel = kernel;
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
        let n_mels = self.n_mels;
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

    /// `(N, T, F)` log-mel patches → probabilities, logits and embedding (inference).
    pub fn forward(&self, patches: &Tensor) -> TaggerOutput {
        let out = TrainableNet::forward_t(self, patches, false);
        TaggerOutput::from_logits(out.logits, out.embedding)
    }
}

impl TrainableNet for Musicnn {
    /// `(N, T, F)` input → logits and embedding. In training (`train`), batch norm uses the
    /// batch's statistics and dropout (0.5) precedes both dense layers, as in `models.py`.
    fn forward_t(&self, patches: &Tensor, train: bool) -> NetOutput {
        // Front-end: (N, T, F) → five (N, T, C_i) maps → (N, 561, T).
        let x = self
            .input_bn
            .forward_t(&patches.unsqueeze(1), train)
            .squeeze_dim(1);
        let front: Vec<Tensor> = self
            .frontend
            .iter()
            .map(|b| match train {
                true => b.forward_train(&x),
                false => b.forward(&x, self.frontend_kernel),
            })
            .collect();
        let front = Tensor::cat(&front, 2).transpose(1, 2).contiguous();

        // Mid-end with residual connections; dense concatenation of all levels.
        let m1 = self.midend[0].forward_t(&front, train);
        let m2 = self.midend[1].forward_t(&m1, train) + &m1;
        let m3 = self.midend[2].forward_t(&m2, train) + &m2;
        let features = Tensor::cat(&[&front, &m1, &m2, &m3], 1);

        // Back-end: temporal max and mean, interleaved per feature as TF's flatten of
        // concat([max, mean], axis=2) orders them.
        let max = features.amax([2], false);
        let mean = features.mean_dim(&[2i64][..], false, None);
        let n = features.size()[0];
        let pooled = Tensor::stack(&[max, mean], 2).reshape([n, -1]);
        let pooled = self
            .pool_bn
            .forward_t(&pooled, train)
            .dropout(BACKEND_DROPOUT, train);
        let embedding = self
            .dense_bn
            .forward_t(&self.dense.forward(&pooled).relu(), train);
        let logits = self
            .output
            .forward(&embedding.dropout(BACKEND_DROPOUT, train));
        NetOutput { logits, embedding }
    }

    fn embedding_dim(&self) -> i64 {
        Musicnn::embedding_dim(self)
    }

    fn macs_per_patch(&self, frames: i64, bands: i64) -> u64 {
        debug_assert_eq!(
            bands, self.n_mels,
            "musicnn built for {} bands",
            self.n_mels
        );
        Musicnn::macs_per_patch(self, frames)
    }
}

#[cfg(test)]
mod tests {
    use super::super::TF_BATCH_NORM_MOMENTUM;
    use super::*;

    #[test]
    fn counts_2_8_gflop_per_patch() {
        let vs = nn::VarStore::new(tch::Device::Cpu);
        let net = Musicnn::new(
            vs.root(),
            MusicnnConfig::default(),
            96,
            50,
            &mut VarSpecs::default(),
        );
        // By hand: timbral 187·59·204·7·38 + 187·30·204·7·67, temporal 187·96·51·(128+64+32),
        // mid-end 187·64·561·7 + 2·187·64·64·7, dense 1506·200 + 200·50.
        assert_eq!(net.macs_per_patch(187), 1_398_553_584);
    }

    #[test]
    fn training_uses_batch_statistics_and_reaches_every_parameter() {
        tch::manual_seed(3);
        let cpu = (Kind::Float, tch::Device::Cpu);
        let vs = nn::VarStore::new(tch::Device::Cpu);
        let config = MusicnnConfig::default().narrow(16);
        let mut specs = VarSpecs::for_training();
        let net = Musicnn::new(vs.root(), config, 40, 5, &mut specs);
        // MFCC-sized input: the timbral kernels span ⌊0.4·40⌋ and ⌊0.7·40⌋ bands.
        let kernel_widths: Vec<i64> = net.frontend[..2]
            .iter()
            .map(|b| b.conv.weight.size()[3])
            .collect();
        assert_eq!(kernel_widths, [16, 28]);
        // Glorot-uniform kernels (TensorFlow's default): conv2d is [7, 16, 1, 12].
        let bound = (6.0f64 / (7.0 * 16.0 * (1.0 + 12.0))).sqrt();
        let largest = net.frontend[0].conv.weight.abs().max().double_value(&[]);
        assert!(
            largest <= bound && largest > 0.8 * bound,
            "{largest} vs {bound}"
        );

        let x = Tensor::randn([4, 50, 40], cpu) * 3.0 + 2.0;
        let out = TrainableNet::forward_t(&net, &x, true);
        assert_eq!(out.logits.size(), [4, 5]);
        // The moving mean moved from 0 by 1 − 0.99 of the batch mean.
        let moved = net.input_bn.mean.double_value(&[0]);
        let expected = (1.0 - TF_BATCH_NORM_MOMENTUM) * x.mean(Kind::Float).double_value(&[]);
        assert!((moved - expected).abs() < 1e-5, "{moved} vs {expected}");

        out.logits.sum(Kind::Float).backward();
        let trainable = vs.trainable_variables();
        // 5 front-end and 3 mid-end convolutions, 2 dense layers (weight and bias each), 11
        // batch norms (gamma and beta each).
        assert_eq!(trainable.len(), 2 * (5 + 3 + 2) + 2 * 11);
        for v in &trainable {
            let g = v.grad();
            assert!(g.defined() && g.abs().sum(Kind::Float).double_value(&[]) > 0.0);
        }

        // Inference uses the moving statistics: a patch scores the same whatever its batch.
        let alone = tch::no_grad(|| net.forward(&x.narrow(0, 0, 1)));
        let batched = tch::no_grad(|| net.forward(&x));
        let diff = (alone.logits - batched.logits.narrow(0, 0, 1))
            .abs()
            .max()
            .double_value(&[]);
        assert!(diff < 1e-5, "{diff}");
    }

    #[test]
    fn gemm_front_end_matches_the_convolution() {
        tch::manual_seed(7);
        let vs = nn::VarStore::new(tch::Device::Cpu);
        let mut specs = VarSpecs::default();
        let mut net = Musicnn::new(vs.root(), MusicnnConfig::default(), 96, 50, &mut specs);
        assert_eq!(net.frontend_kernel(), FrontendKernel::Gemm);
        tch::no_grad(|| {
            for spec in specs.iter() {
                let mut t = spec.tensor.shallow_clone();
                let values = Tensor::randn(t.size(), (Kind::Float, tch::Device::Cpu));
                // Variances must be positive; gammas of both signs exercise the min branch.
                let values = if spec.tf_name.ends_with("moving_variance") {
                    values.abs() + 0.1
                } else {
                    values * 0.1
                };
                t.copy_(&values);
            }
        });
        // 40 frames: shorter than the temporal kernels, so their padding is exercised too.
        let x = Tensor::randn([3, 40, 96], (Kind::Float, tch::Device::Cpu));
        let gemm = net.forward(&x);
        net.set_frontend_kernel(FrontendKernel::Convolution);
        let conv = net.forward(&x);
        for (a, b) in [
            (&gemm.embedding, &conv.embedding),
            (&gemm.logits, &conv.logits),
        ] {
            let scale = b.abs().max().double_value(&[]);
            let diff = (a - b).abs().max().double_value(&[]);
            assert!(scale > 1e-3, "degenerate output {scale}");
            assert!(diff <= 1e-5 * scale, "diff {diff} at scale {scale}");
        }
    }
}
