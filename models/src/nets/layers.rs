//! The layers of musicnn's networks, with TensorFlow's parameter names and conventions: batch
//! normalisation with TensorFlow's epsilon and momentum, unpadded convolutions (TensorFlow's
//! `'same'` padding is applied explicitly, see [`tf_same_padding`]), dense layers, and the
//! names TensorFlow gives unnamed layers.

use tch::{nn, Tensor};

use super::tf_vars::{Init, Layout, VarSpecs};
use super::{TF_BATCH_NORM_EPSILON, TF_BATCH_NORM_MOMENTUM};

/// Batch normalisation in inference mode: `gamma · (x − mean) / √(var + ε) + beta` over
/// dimension 1, with TensorFlow's parameter names (`gamma`, `beta`, `moving_mean`,
/// `moving_variance`).
#[derive(Debug)]
pub struct BatchNorm {
    pub(super) gamma: Tensor,
    pub(super) beta: Tensor,
    pub(super) mean: Tensor,
    pub(super) var: Tensor,
}

impl BatchNorm {
    /// Creates the parameters for `channels` channels, filled from TF layer `tf_layer`.
    pub(super) fn new(
        path: nn::Path,
        tf_layer: &str,
        channels: i64,
        specs: &mut VarSpecs,
    ) -> BatchNorm {
        let mut param = |name: &str, init: Init| {
            specs.add(
                &path,
                name,
                &[channels],
                format!("{tf_layer}/{name}"),
                &[channels],
                Layout::Same,
                init,
            )
        };
        BatchNorm {
            gamma: param("gamma", Init::Ones),
            beta: param("beta", Init::Zeros),
            mean: param("moving_mean", Init::MovingZeros),
            var: param("moving_variance", Init::MovingOnes),
        }
    }

    /// Normalises `x` (channels on dimension 1) with the moving statistics (`train` false, as
    /// [`BatchNorm::forward`]) or, in training, with the batch's own statistics, updating the
    /// moving ones with TensorFlow's momentum ([`TF_BATCH_NORM_MOMENTUM`]).
    pub(super) fn forward_t(&self, x: &Tensor, train: bool) -> Tensor {
        if !train {
            return self.forward(x);
        }
        x.batch_norm(
            Some(&self.gamma),
            Some(&self.beta),
            Some(&self.mean),
            Some(&self.var),
            true,
            1.0 - TF_BATCH_NORM_MOMENTUM,
            TF_BATCH_NORM_EPSILON,
            true,
        )
    }

    /// The per-channel affine map this normalisation is: `(scale, shift)` with
    /// `bn(x) = x · scale + shift`.
    pub(super) fn scale_shift(&self) -> (Tensor, Tensor) {
        let scale = &self.gamma * (&self.var + TF_BATCH_NORM_EPSILON).rsqrt();
        let shift = &self.beta - &self.mean * &scale;
        (scale, shift)
    }

    /// Normalises `x` (channels on dimension 1, any rank ≥ 2).
    pub(super) fn forward(&self, x: &Tensor) -> Tensor {
        let mut shape = vec![1i64; x.dim()];
        shape[1] = -1;
        let (scale, shift) = self.scale_shift();
        x * scale.view(shape.as_slice()) + shift.view(shape.as_slice())
    }
}

/// A 2-D convolution with bias, weights from a TF `conv2d` layer (kernel HWIO).
#[derive(Debug)]
pub(super) struct Conv2d {
    pub(super) weight: Tensor,
    pub(super) bias: Tensor,
}

impl Conv2d {
    /// Creates the kernel and bias of TF layer `tf_layer`.
    pub(super) fn new(
        path: nn::Path,
        tf_layer: &str,
        kernel: [i64; 2],
        in_channels: i64,
        out_channels: i64,
        specs: &mut VarSpecs,
    ) -> Conv2d {
        let [kh, kw] = kernel;
        Conv2d {
            weight: specs.add(
                &path,
                "weight",
                &[out_channels, in_channels, kh, kw],
                format!("{tf_layer}/kernel"),
                &[kh, kw, in_channels, out_channels],
                Layout::Conv2d,
                Init::Glorot,
            ),
            bias: specs.add(
                &path,
                "bias",
                &[out_channels],
                format!("{tf_layer}/bias"),
                &[out_channels],
                Layout::Same,
                Init::Zeros,
            ),
        }
    }

    /// Valid (unpadded) convolution, stride 1, in full float32 ([`conv_valid`]).
    pub(super) fn forward(&self, x: &Tensor) -> Tensor {
        self.forward_t(x, false)
    }

    /// [`Conv2d::forward`], or in training (`train`) with TF32 tensor cores allowed.
    pub(super) fn forward_t(&self, x: &Tensor, train: bool) -> Tensor {
        conv_valid(x, &self.weight, Some(&self.bias), train)
    }
}

/// An unpadded, stride-1 convolution (1-D or 2-D, from the weight's rank).
///
/// libtorch lets cuDNN use TF32 tensor cores for convolutions by default on recent GPUs, which
/// would cost the fidelity to TensorFlow's float32 results: inference forbids it
/// (`allow_tf32` false). Training allows it, as libtorch's default convolution does for the
/// other trainable networks. On the CPU the flag changes nothing.
pub(super) fn conv_valid(
    x: &Tensor,
    weight: &Tensor,
    bias: Option<&Tensor>,
    allow_tf32: bool,
) -> Tensor {
    let spatial = weight.dim() - 2;
    let ones = vec![1i64; spatial];
    let zeros = vec![0i64; spatial];
    x.internal_convolution(
        weight,
        bias,
        ones.as_slice(),
        zeros.as_slice(),
        ones.as_slice(),
        false,
        zeros.as_slice(),
        1,
        false,
        false,
        true,
        allow_tf32,
    )
}

/// A dense layer with bias, weights from a TF `dense` layer (kernel `[in, out]`).
#[derive(Debug)]
pub(super) struct Dense {
    pub(super) weight: Tensor,
    pub(super) bias: Tensor,
}

impl Dense {
    /// Creates the kernel and bias of TF layer `tf_layer`.
    pub(super) fn new(
        path: nn::Path,
        tf_layer: &str,
        inputs: i64,
        outputs: i64,
        specs: &mut VarSpecs,
    ) -> Dense {
        Dense {
            weight: specs.add(
                &path,
                "weight",
                &[outputs, inputs],
                format!("{tf_layer}/kernel"),
                &[inputs, outputs],
                Layout::Dense,
                Init::Glorot,
            ),
            bias: specs.add(
                &path,
                "bias",
                &[outputs],
                format!("{tf_layer}/bias"),
                &[outputs],
                Layout::Same,
                Init::Zeros,
            ),
        }
    }

    /// `x · Wᵀ + b`.
    pub(super) fn forward(&self, x: &Tensor) -> Tensor {
        x.linear(&self.weight, Some(&self.bias))
    }
}

/// The sizes of a weight whose rank is known (`R`).
pub(super) fn weight_dims<const R: usize>(weight: &Tensor) -> [i64; R] {
    let size = weight.size();
    size.as_slice()
        .try_into()
        .unwrap_or_else(|_| panic!("weight of rank {} where {R} was built", size.len()))
}

/// The names TensorFlow gives unnamed layers of one kind, in creation order: `base`, `base_1`,
/// `base_2` …
pub(super) struct LayerNames {
    base: &'static str,
    count: usize,
}

impl LayerNames {
    /// Names starting from `base`.
    pub(super) fn new(base: &'static str) -> Self {
        LayerNames { base, count: 0 }
    }

    /// The name of the next layer created.
    pub(super) fn next(&mut self) -> String {
        let name = if self.count == 0 {
            self.base.to_string()
        } else {
            format!("{}_{}", self.base, self.count)
        };
        self.count += 1;
        name
    }
}

/// TensorFlow's `'same'` padding for stride 1: `(before, after)` with the odd element after.
pub fn tf_same_padding(kernel: i64) -> (i64, i64) {
    let total = kernel - 1;
    (total / 2, total - total / 2)
}

#[cfg(test)]
mod tests {
    use super::*;
    use tch::Device;

    #[test]
    fn same_padding_matches_tensorflow() {
        assert_eq!(tf_same_padding(128), (63, 64));
        assert_eq!(tf_same_padding(64), (31, 32));
        assert_eq!(tf_same_padding(32), (15, 16));
        assert_eq!(tf_same_padding(3), (1, 1));
        assert_eq!(tf_same_padding(1), (0, 0));
    }

    #[test]
    fn batch_norm_uses_moving_statistics() {
        let vs = nn::VarStore::new(Device::Cpu);
        let mut specs = VarSpecs::default();
        let bn = BatchNorm::new(vs.root(), "bn", 2, &mut specs);
        tch::no_grad(|| {
            bn.gamma
                .shallow_clone()
                .copy_(&Tensor::from_slice(&[2.0f32, 1.0]));
            bn.beta
                .shallow_clone()
                .copy_(&Tensor::from_slice(&[0.5f32, 0.0]));
            bn.mean
                .shallow_clone()
                .copy_(&Tensor::from_slice(&[1.0f32, -1.0]));
            bn.var
                .shallow_clone()
                .copy_(&Tensor::from_slice(&[4.0f32, 0.0]));
        });
        let x = Tensor::from_slice(&[3.0f32, 1.0]).view([1, 2]);
        let y = bn.forward(&x);
        let expect0 = 2.0 * (3.0 - 1.0) / (4.0f64 + 1e-3).sqrt() + 0.5;
        let expect1 = (1.0 + 1.0) / (1e-3f64).sqrt();
        assert!((y.double_value(&[0, 0]) - expect0).abs() < 1e-5);
        assert!((y.double_value(&[0, 1]) - expect1).abs() < 1e-3);
        let names: Vec<&str> = specs.iter().map(|s| s.tf_name.as_str()).collect();
        assert_eq!(
            names,
            [
                "bn/gamma",
                "bn/beta",
                "bn/moving_mean",
                "bn/moving_variance"
            ]
        );
    }
}
