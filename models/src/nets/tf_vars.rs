//! How musicnn's TensorFlow variables map onto the tch parameters: each parameter records the
//! checkpoint variable it comes from, its shape there and the layout conversion ([`VarSpec`]);
//! the loaders fill the parameters from a TensorFlow checkpoint or from a safetensors file
//! with the same names, refusing anything that does not fit exactly.

use std::collections::{BTreeMap, BTreeSet};

use tch::{nn, Kind, Tensor};

use super::NetError;
use crate::checkpoint::{DType, TfBundle};

/// How a checkpoint variable's layout maps to the tch parameter's.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Layout {
    /// Same shape and order.
    Same,
    /// A 2-D convolution kernel: TensorFlow's `[kh, kw, in, out]` (HWIO) to torch's OIHW.
    Conv2d,
    /// A 2-D kernel spanning the whole input width with one input channel, `[k, w, 1, out]`,
    /// used as a 1-D convolution over `w` channels: to torch's `[out, w, k]`.
    Conv1dFromFullWidth,
    /// A dense kernel: TensorFlow's `[in, out]` to torch's `[out, in]`.
    Dense,
}

impl Layout {
    /// Converts a tensor in checkpoint layout to the torch layout.
    fn apply(self, t: &Tensor) -> Tensor {
        match self {
            Layout::Same => t.shallow_clone(),
            Layout::Conv2d => t.permute([3, 2, 0, 1]),
            Layout::Conv1dFromFullWidth => t.squeeze_dim(2).permute([2, 1, 0]),
            Layout::Dense => t.transpose(0, 1),
        }
    }
}

/// One network parameter and the checkpoint variable it comes from.
#[derive(Debug)]
pub struct VarSpec {
    /// The variable name in musicnn's TensorFlow checkpoint (e.g. `conv2d/kernel`).
    pub tf_name: String,
    /// Its shape in the checkpoint.
    pub tf_shape: Vec<usize>,
    /// The tch parameter it fills (its name in the [`nn::VarStore`]).
    pub tch_name: String,
    /// The layout conversion.
    pub layout: Layout,
    /// The parameter.
    pub(super) tensor: Tensor,
}

/// How a parameter starts when a network is built for training: TensorFlow's defaults for
/// `tf.compat.v1.layers`, which musicnn's `models.py` keeps.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Init {
    /// Glorot-uniform over the checkpoint shape's fans (kernels): for a kernel
    /// `[kh, kw, in, out]` fan-in `kh·kw·in` and fan-out `kh·kw·out`, for `[in, out]` `in` and
    /// `out`.
    Glorot,
    /// Zeros, trained (biases, batch norm's beta).
    Zeros,
    /// Ones, trained (batch norm's gamma).
    Ones,
    /// Zeros, updated by batch norm in training but not by the optimiser (moving mean).
    MovingZeros,
    /// Ones, updated by batch norm in training but not by the optimiser (moving variance).
    MovingOnes,
}

impl Init {
    /// Glorot-uniform's bound `√(6 / (fan_in + fan_out))` for a checkpoint shape.
    fn glorot_bound(tf_shape: &[i64]) -> f64 {
        let (fan_in, fan_out) = match tf_shape {
            [inputs, outputs] => (*inputs, *outputs),
            [kernel @ .., inputs, outputs] => {
                let receptive: i64 = kernel.iter().product();
                (receptive * inputs, receptive * outputs)
            }
            [n] => (*n, *n),
            [] => (1, 1),
        };
        (6.0 / (fan_in + fan_out) as f64).sqrt()
    }
}

/// The parameters of a network as they are created, with their checkpoint names.
///
/// [`VarSpecs::default`] creates every parameter as a zero, non-trainable tensor for weights
/// loaded next (inference); [`VarSpecs::for_training`] creates them initialised and trainable.
#[derive(Debug, Default)]
pub struct VarSpecs {
    specs: Vec<VarSpec>,
    training: bool,
}

impl VarSpecs {
    /// Specs whose parameters start from TensorFlow's initialisation and are trained (the
    /// moving statistics of batch norm excepted).
    pub fn for_training() -> VarSpecs {
        VarSpecs {
            specs: Vec::new(),
            training: true,
        }
    }

    /// Creates the parameter at `path/name` and records its source variable: zero and
    /// non-trainable for inference, started by `init` for training.
    #[allow(clippy::too_many_arguments)]
    pub(super) fn add(
        &mut self,
        path: &nn::Path,
        name: &str,
        shape: &[i64],
        tf_name: String,
        tf_shape: &[i64],
        layout: Layout,
        init: Init,
    ) -> Tensor {
        let tensor = if !self.training {
            path.zeros_no_train(name, shape)
        } else {
            match init {
                Init::Glorot => {
                    let bound = Init::glorot_bound(tf_shape);
                    path.var(
                        name,
                        shape,
                        nn::Init::Uniform {
                            lo: -bound,
                            up: bound,
                        },
                    )
                }
                Init::Zeros => path.zeros(name, shape),
                Init::Ones => path.ones(name, shape),
                Init::MovingZeros => path.zeros_no_train(name, shape),
                Init::MovingOnes => path.ones_no_train(name, shape),
            }
        };
        self.specs.push(VarSpec {
            tf_name,
            tf_shape: tf_shape.iter().map(|&d| d as usize).collect(),
            tch_name: path.path(name),
            layout,
            tensor: tensor.shallow_clone(),
        });
        tensor
    }

    /// All recorded parameters.
    pub fn iter(&self) -> impl Iterator<Item = &VarSpec> {
        self.specs.iter()
    }
}

/// Whether a checkpoint variable is optimiser state (Adam moments and power accumulators, the
/// step counter) rather than part of the network.
pub fn is_optimizer_variable(name: &str) -> bool {
    name.ends_with("/Adam")
        || name.ends_with("/Adam_1")
        || matches!(name, "beta1_power" | "beta2_power" | "global_step")
}

/// Fills the parameters of `specs` from a TensorFlow checkpoint.
///
/// Refuses a checkpoint with a missing or an extra network variable (optimiser state is ignored,
/// though its checksums are verified too), with a variable of another shape or dtype, or with a
/// corrupted tensor; nothing is copied unless everything fits.
pub(super) fn load_tf_bundle(
    specs: &VarSpecs,
    bundle: &TfBundle,
    model: &str,
) -> Result<(), NetError> {
    let source_name = bundle.index_path().display().to_string();
    let in_checkpoint: BTreeSet<&str> = bundle
        .names()
        .filter(|n| !is_optimizer_variable(n))
        .collect();
    let in_network: BTreeSet<&str> = specs.iter().map(|s| s.tf_name.as_str()).collect();
    let missing: Vec<String> = in_network
        .difference(&in_checkpoint)
        .map(|s| s.to_string())
        .collect();
    if !missing.is_empty() {
        return Err(NetError::MissingVariables {
            source_name,
            model: model.to_string(),
            names: missing,
        });
    }
    let extra: Vec<String> = in_checkpoint
        .difference(&in_network)
        .map(|s| s.to_string())
        .collect();
    if !extra.is_empty() {
        return Err(NetError::UnexpectedVariables {
            source_name,
            model: model.to_string(),
            names: extra,
        });
    }
    for spec in specs.iter() {
        let info = bundle.info(&spec.tf_name).expect("checked above");
        if info.shape != spec.tf_shape {
            return Err(NetError::ShapeMismatch {
                source_name,
                model: model.to_string(),
                name: spec.tf_name.clone(),
                expected: spec.tf_shape.clone(),
                found: info.shape.clone(),
            });
        }
    }
    // The optimiser state is not loaded, but a checkpoint with any corrupted byte is refused.
    for name in bundle.names().filter(|n| is_optimizer_variable(n)) {
        bundle.raw_bytes(name)?;
    }
    let mut converted = Vec::with_capacity(specs.specs.len());
    for spec in specs.iter() {
        let data = bundle.tensor(&spec.tf_name)?;
        if data.dtype != DType::Float {
            return Err(NetError::WrongDtype {
                source_name,
                name: spec.tf_name.clone(),
                dtype: format!("{:?}", data.dtype),
            });
        }
        let shape: Vec<i64> = data.shape.iter().map(|&d| d as i64).collect();
        let t = Tensor::from_slice(&data.values).reshape(shape.as_slice());
        converted.push(spec.layout.apply(&t).contiguous());
    }
    tch::no_grad(|| {
        for (spec, t) in specs.iter().zip(&converted) {
            let mut target = spec.tensor.shallow_clone();
            debug_assert_eq!(target.size(), t.size(), "{}", spec.tch_name);
            target.copy_(t);
        }
    });
    Ok(())
}

/// Fills the parameters of `specs` from tensors named as in the [`nn::VarStore`] (a safetensors
/// file written by [`super::Tagger::save_safetensors`]), with the same checks as [`load_tf_bundle`].
pub(super) fn load_named_tensors(
    specs: &VarSpecs,
    named: Vec<(String, Tensor)>,
    source_name: &str,
    model: &str,
) -> Result<(), NetError> {
    let by_name: BTreeMap<String, Tensor> = named.into_iter().collect();
    let in_file: BTreeSet<&str> = by_name.keys().map(String::as_str).collect();
    let in_network: BTreeSet<&str> = specs.iter().map(|s| s.tch_name.as_str()).collect();
    let missing: Vec<String> = in_network
        .difference(&in_file)
        .map(|s| s.to_string())
        .collect();
    if !missing.is_empty() {
        return Err(NetError::MissingVariables {
            source_name: source_name.to_string(),
            model: model.to_string(),
            names: missing,
        });
    }
    let extra: Vec<String> = in_file
        .difference(&in_network)
        .map(|s| s.to_string())
        .collect();
    if !extra.is_empty() {
        return Err(NetError::UnexpectedVariables {
            source_name: source_name.to_string(),
            model: model.to_string(),
            names: extra,
        });
    }
    for spec in specs.iter() {
        let t = &by_name[&spec.tch_name];
        if t.kind() != Kind::Float {
            return Err(NetError::WrongDtype {
                source_name: source_name.to_string(),
                name: spec.tch_name.clone(),
                dtype: format!("{:?}", t.kind()),
            });
        }
        if t.size() != spec.tensor.size() {
            let dims = |v: Vec<i64>| v.into_iter().map(|d| d as usize).collect();
            return Err(NetError::ShapeMismatch {
                source_name: source_name.to_string(),
                model: model.to_string(),
                name: spec.tch_name.clone(),
                expected: dims(spec.tensor.size()),
                found: dims(t.size()),
            });
        }
    }
    tch::no_grad(|| {
        for spec in specs.iter() {
            spec.tensor.shallow_clone().copy_(&by_name[&spec.tch_name]);
        }
    });
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use tch::Device;

    #[test]
    fn layouts() {
        let hwio = Tensor::arange(2 * 3 * 4 * 5, (Kind::Float, Device::Cpu)).view([2, 3, 4, 5]);
        let oihw = Layout::Conv2d.apply(&hwio);
        assert_eq!(oihw.size(), [5, 4, 2, 3]);
        // element [o=1, i=2, h=1, w=0] is hwio[1, 0, 2, 1]
        assert_eq!(
            oihw.double_value(&[1, 2, 1, 0]),
            hwio.double_value(&[1, 0, 2, 1])
        );
        let full = Tensor::arange(7 * 6 * 4, (Kind::Float, Device::Cpu)).view([7, 6, 1, 4]);
        let oik = Layout::Conv1dFromFullWidth.apply(&full);
        assert_eq!(oik.size(), [4, 6, 7]);
        assert_eq!(
            oik.double_value(&[3, 5, 2]),
            full.double_value(&[2, 5, 0, 3])
        );
        let dense = Tensor::arange(6, (Kind::Float, Device::Cpu)).view([2, 3]);
        assert_eq!(Layout::Dense.apply(&dense).size(), [3, 2]);
    }
}
