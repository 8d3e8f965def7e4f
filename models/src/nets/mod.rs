//! The tagging networks, in libtorch through `tch` (feature `torch`).
//!
//! * [`musicnn`]: musicnn, the musically motivated CNN of Pons & Serra, "musicnn: pre-trained
//!   convolutional neural networks for music audio tagging" (ISMIR late-breaking demo, 2019):
//!   timbral and temporal convolutions, dense mid-end with residual connections, mean/max
//!   temporal pooling and a dense back-end.
//! * [`vgg`]: the VGG-like baseline released with it: five 3×3 convolution blocks with
//!   max pooling and one dense output layer.
//!
//! Both are built to reproduce the `models.py` of the `musicnn` wheel (ISC licence, see
//! `models/LICENSE-musicnn.md`) in inference mode: batch normalisation uses its moving
//! statistics with TensorFlow's epsilon (0.001), dropout is the identity, and TensorFlow's
//! `'same'` padding is applied explicitly (asymmetric for even kernels). A [`Tagger`] loads the
//! pretrained weights from musicnn's TensorFlow checkpoints with the pure-Rust reader of
//! [`crate::checkpoint`], or from a safetensors file written by [`Tagger::save_safetensors`].
//!
//! Input: a batch of log-mel patches `(N, 187, 96)` (frames × mel bands, see [`crate::audio`]).
//! Output: tag probabilities `(N, 50)` and the penultimate layer as an audio embedding.

mod blocks;
pub mod fcn;
mod im2col;
pub mod mfcc;
pub mod multiscale;
pub mod musicnn;
pub mod shortres;
pub mod stored;
pub mod trainable;
pub mod trained;
pub mod vgg;

use std::collections::{BTreeSet, VecDeque};
use std::path::{Path, PathBuf};
use std::sync::{Mutex, PoisonError};

use tch::nn;
pub use tch::{get_num_threads, set_num_threads, Device, Kind, Tensor};

use crate::checkpoint::{CheckpointError, DType, TfBundle};
use crate::manifest::{ManifestError, ModelManifest, MANIFEST_FILE};
use crate::tags::Vocabulary;

/// TensorFlow's default batch-normalisation epsilon (`tf.compat.v1.layers.batch_normalization`).
pub const TF_BATCH_NORM_EPSILON: f64 = 1e-3;

/// TensorFlow's default batch-normalisation momentum: the moving statistics keep 0.99 of
/// themselves at each training step (libtorch's momentum is the complement, 0.01).
pub const TF_BATCH_NORM_MOMENTUM: f64 = 0.99;

/// Number of mel bands the networks take.
pub const N_MELS: i64 = 96;

/// Number of frames in one input patch (3 s at 16 kHz with hop 256).
pub const PATCH_FRAMES: i64 = 187;

/// Errors building, loading or running a network.
#[derive(Debug, thiserror::Error)]
pub enum NetError {
    /// The checkpoint could not be read.
    #[error(transparent)]
    Checkpoint(#[from] CheckpointError),
    /// Variables the network needs are absent from the checkpoint.
    #[error("{source_name}: checkpoint does not fit {model}: missing variables {names:?}")]
    MissingVariables {
        /// The checkpoint.
        source_name: String,
        /// The network it was loaded into.
        model: String,
        /// The absent variable names.
        names: Vec<String>,
    },
    /// The checkpoint holds variables the network does not have.
    #[error("{source_name}: checkpoint does not fit {model}: unexpected variables {names:?}")]
    UnexpectedVariables {
        /// The checkpoint.
        source_name: String,
        /// The network it was loaded into.
        model: String,
        /// The variable names the network does not know.
        names: Vec<String>,
    },
    /// A variable has another shape than the network's.
    #[error("{source_name}: checkpoint does not fit {model}: variable {name:?} has shape {found:?}, expected {expected:?}")]
    ShapeMismatch {
        /// The checkpoint.
        source_name: String,
        /// The network it was loaded into.
        model: String,
        /// The variable.
        name: String,
        /// Its shape in the network (checkpoint layout).
        expected: Vec<usize>,
        /// Its shape in the checkpoint.
        found: Vec<usize>,
    },
    /// A variable is not stored as 32-bit floats.
    #[error("{source_name}: variable {name:?} has dtype {dtype}, expected float32")]
    WrongDtype {
        /// The checkpoint.
        source_name: String,
        /// The variable.
        name: String,
        /// Its dtype.
        dtype: String,
    },
    /// The input batch does not have the shape the network takes.
    #[error("bad input for {model}: {what}")]
    BadInput {
        /// The network.
        model: String,
        /// What is wrong.
        what: String,
    },
    /// An error from libtorch (loading or saving a file, a failed operation).
    #[error("libtorch: {0}")]
    Torch(#[from] tch::TchError),
    /// The model has not been imported into the model store.
    #[error("{model} is not in the model store {store} (run `musearch models import-musicnn`)")]
    NotInStore {
        /// The model.
        model: String,
        /// The store directory.
        store: PathBuf,
    },
    /// The model's manifest could not be read.
    #[error(transparent)]
    Manifest(#[from] ManifestError),
}

/// The two architectures of the musicnn release.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Architecture {
    /// The musically motivated CNN ([`musicnn::Musicnn`]).
    Musicnn,
    /// The VGG-like baseline ([`vgg::Vgg`]).
    Vgg,
}

/// The four pretrained models of the `musicnn` wheel.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PretrainedModel {
    /// musicnn trained on MagnaTagATune (published test ROC-AUC 0.9067).
    MttMusicnn,
    /// VGG baseline trained on MagnaTagATune (published test ROC-AUC 0.9030).
    MttVgg,
    /// musicnn trained on the Million Song Dataset.
    MsdMusicnn,
    /// VGG baseline trained on the Million Song Dataset.
    MsdVgg,
}

impl PretrainedModel {
    /// All four, in the order of the wheel's documentation.
    pub const ALL: [PretrainedModel; 4] = [
        PretrainedModel::MttMusicnn,
        PretrainedModel::MttVgg,
        PretrainedModel::MsdMusicnn,
        PretrainedModel::MsdVgg,
    ];

    /// The name musicnn uses, which is also the checkpoint directory in the wheel
    /// (`MTT_musicnn`, `MTT_vgg`, `MSD_musicnn`, `MSD_vgg`).
    pub fn name(self) -> &'static str {
        match self {
            PretrainedModel::MttMusicnn => "MTT_musicnn",
            PretrainedModel::MttVgg => "MTT_vgg",
            PretrainedModel::MsdMusicnn => "MSD_musicnn",
            PretrainedModel::MsdVgg => "MSD_vgg",
        }
    }

    /// The model of a musicnn name (case-insensitive), `None` if unknown.
    pub fn from_name(name: &str) -> Option<PretrainedModel> {
        Self::ALL
            .into_iter()
            .find(|m| m.name().eq_ignore_ascii_case(name))
    }

    /// The network architecture.
    pub fn architecture(self) -> Architecture {
        match self {
            PretrainedModel::MttMusicnn | PretrainedModel::MsdMusicnn => Architecture::Musicnn,
            PretrainedModel::MttVgg | PretrainedModel::MsdVgg => Architecture::Vgg,
        }
    }

    /// The tag vocabulary of its outputs.
    pub fn vocabulary(self) -> Vocabulary {
        match self {
            PretrainedModel::MttMusicnn | PretrainedModel::MttVgg => Vocabulary::MagnaTagATune,
            PretrainedModel::MsdMusicnn | PretrainedModel::MsdVgg => Vocabulary::MillionSong,
        }
    }
}

impl std::fmt::Display for PretrainedModel {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// What a forward pass returns.
#[derive(Debug)]
pub struct TaggerOutput {
    /// Tag probabilities (sigmoid of the logits), `(N, 50)`.
    pub probabilities: Tensor,
    /// The logits, `(N, 50)`.
    pub logits: Tensor,
    /// The penultimate layer, `(N, D)`: musicnn's batch-normalised 200-unit dense layer, or the
    /// VGG's flattened last pooling (256 values). An audio embedding for similarity search.
    pub embedding: Tensor,
}

impl TaggerOutput {
    /// The output of a network's last layer (`logits`) and its penultimate layer (`embedding`).
    pub fn from_logits(logits: Tensor, embedding: Tensor) -> Self {
        TaggerOutput {
            probabilities: logits.sigmoid(),
            logits,
            embedding,
        }
    }
}

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
    tensor: Tensor,
}

/// How a parameter starts when a network is built for training: TensorFlow's defaults for
/// `tf.compat.v1.layers`, which musicnn's `models.py` keeps.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Init {
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
    fn add(
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
fn load_tf_bundle(specs: &VarSpecs, bundle: &TfBundle, model: &str) -> Result<(), NetError> {
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
/// file written by [`Tagger::save_safetensors`]), with the same checks as [`load_tf_bundle`].
fn load_named_tensors(
    specs: &VarSpecs,
    named: Vec<(String, Tensor)>,
    source_name: &str,
    model: &str,
) -> Result<(), NetError> {
    let by_name: std::collections::BTreeMap<String, Tensor> = named.into_iter().collect();
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

/// Batch normalisation in inference mode: `gamma · (x − mean) / √(var + ε) + beta` over
/// dimension 1, with TensorFlow's parameter names (`gamma`, `beta`, `moving_mean`,
/// `moving_variance`).
#[derive(Debug)]
pub struct BatchNorm {
    gamma: Tensor,
    beta: Tensor,
    mean: Tensor,
    var: Tensor,
}

impl BatchNorm {
    /// Creates the parameters for `channels` channels, filled from TF layer `tf_layer`.
    fn new(path: nn::Path, tf_layer: &str, channels: i64, specs: &mut VarSpecs) -> BatchNorm {
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
    fn forward_t(&self, x: &Tensor, train: bool) -> Tensor {
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
    fn scale_shift(&self) -> (Tensor, Tensor) {
        let scale = &self.gamma * (&self.var + TF_BATCH_NORM_EPSILON).rsqrt();
        let shift = &self.beta - &self.mean * &scale;
        (scale, shift)
    }

    /// Normalises `x` (channels on dimension 1, any rank ≥ 2).
    fn forward(&self, x: &Tensor) -> Tensor {
        let mut shape = vec![1i64; x.dim()];
        shape[1] = -1;
        let (scale, shift) = self.scale_shift();
        x * scale.view(shape.as_slice()) + shift.view(shape.as_slice())
    }
}

/// A 2-D convolution with bias, weights from a TF `conv2d` layer (kernel HWIO).
#[derive(Debug)]
struct Conv2d {
    weight: Tensor,
    bias: Tensor,
}

impl Conv2d {
    fn new(
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
    fn forward(&self, x: &Tensor) -> Tensor {
        self.forward_t(x, false)
    }

    /// [`Conv2d::forward`], or in training (`train`) with TF32 tensor cores allowed.
    fn forward_t(&self, x: &Tensor, train: bool) -> Tensor {
        conv_valid(x, &self.weight, Some(&self.bias), train)
    }
}

/// An unpadded, stride-1 convolution (1-D or 2-D, from the weight's rank).
///
/// libtorch lets cuDNN use TF32 tensor cores for convolutions by default on recent GPUs, which
/// would cost the fidelity to TensorFlow's float32 results: inference forbids it
/// (`allow_tf32` false). Training allows it, as libtorch's default convolution does for the
/// other trainable networks. On the CPU the flag changes nothing.
fn conv_valid(x: &Tensor, weight: &Tensor, bias: Option<&Tensor>, allow_tf32: bool) -> Tensor {
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
struct Dense {
    weight: Tensor,
    bias: Tensor,
}

impl Dense {
    fn new(
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

    fn forward(&self, x: &Tensor) -> Tensor {
        x.linear(&self.weight, Some(&self.bias))
    }
}

/// Makes glibc's allocator keep freed memory for reuse instead of handing it back to the kernel.
///
/// glibc serves every block over its mmap threshold (at most 32 MiB) with a fresh `mmap` and
/// unmaps it on free, so each batch page-faults its large activations in again: with musicnn's
/// front-end as libtorch convolutions (`N × filters × T × F` outputs, about 1.6 GB for a batch
/// of 64) a third of the CPU time went to the kernel. The GEMM front-end no longer makes those,
/// but the VGG's and the mid-end's activations of a batch still pass the threshold. This turns
/// off `mmap` for allocations (`M_MMAP_MAX = 0`) and trimming of the heap
/// (`M_TRIM_THRESHOLD`), so the process keeps its peak heap and reuses it. Call it once, before tagging, in a process that runs many batches. A no-op
/// elsewhere than glibc; returns whether both settings were taken.
pub fn keep_freed_memory() -> bool {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    {
        // SAFETY: mallopt only changes allocator parameters; it is safe to call at any time.
        unsafe {
            libc::mallopt(libc::M_MMAP_MAX, 0) == 1
                && libc::mallopt(libc::M_TRIM_THRESHOLD, i32::MAX) == 1
        }
    }
    #[cfg(not(all(target_os = "linux", target_env = "gnu")))]
    {
        false
    }
}

/// The sizes of a weight whose rank is known (`R`).
fn weight_dims<const R: usize>(weight: &Tensor) -> [i64; R] {
    let size = weight.size();
    size.as_slice()
        .try_into()
        .unwrap_or_else(|_| panic!("weight of rank {} where {R} was built", size.len()))
}

/// What [`Tagger::run_patches`] returns: one row per patch, row-major.
#[derive(Debug, Clone, PartialEq)]
pub struct PatchOutputs {
    /// Number of patches.
    pub patches: usize,
    /// Tag probabilities, `patches × tags`.
    pub probabilities: Vec<f32>,
    /// Embeddings, `patches × embedding_dim`.
    pub embeddings: Vec<f32>,
}

/// TensorFlow's `'same'` padding for stride 1: `(before, after)` with the odd element after.
pub fn tf_same_padding(kernel: i64) -> (i64, i64) {
    let total = kernel - 1;
    (total / 2, total - total / 2)
}

/// The names TensorFlow gives unnamed layers of one kind, in creation order: `base`, `base_1`,
/// `base_2` …
struct LayerNames {
    base: &'static str,
    count: usize,
}

impl LayerNames {
    fn new(base: &'static str) -> Self {
        LayerNames { base, count: 0 }
    }

    /// The name of the next layer created.
    fn next(&mut self) -> String {
        let name = if self.count == 0 {
            self.base.to_string()
        } else {
            format!("{}_{}", self.base, self.count)
        };
        self.count += 1;
        name
    }
}

/// A network of the musicnn release.
#[derive(Debug)]
enum Net {
    Musicnn(musicnn::Musicnn),
    Vgg(vgg::Vgg),
}

impl Net {
    /// The forward pass on the calling thread, in inference mode.
    fn forward(&self, x: &Tensor) -> TaggerOutput {
        tch::no_grad(|| match self {
            Net::Musicnn(n) => n.forward(x),
            Net::Vgg(n) => n.forward(x),
        })
    }
}

/// A network shared by the threads of one batch on the CPU.
struct SharedNet<'a>(&'a Net);

// SAFETY: a forward pass only reads the parameters (inference: no gradient, batch norm uses its
// stored statistics, no operation writes a parameter in place), and libtorch's operators may
// read the same tensors from several threads at once (tch itself declares its TorchScript
// modules `Sync` on that ground). `Tensor` is not `Sync` in tch only because it cannot know
// that nobody writes.
unsafe impl Sync for SharedNet<'_> {}

impl SharedNet<'_> {
    /// The forward pass on the calling thread.
    fn forward(&self, x: &Tensor) -> TaggerOutput {
        self.0.forward(x)
    }

    /// The forward pass over a batch on the CPU, the patches split among libtorch's threads.
    ///
    /// libtorch parallelises each operator over its threads (OpenMP), which pays a barrier per
    /// operator and, on a machine whose cores other processes also use, waits at each one for
    /// the slowest thread. Here each thread instead runs whole forward passes on its own share
    /// of the patches with one intra-op thread: the batch is cut into pieces (about two per
    /// thread) that the threads take in turn, so one slowed by other processes takes fewer. The
    /// calling thread's libtorch thread count decides how many threads, and is restored after.
    fn forward_in_parallel(&self, x: &Tensor) -> TaggerOutput {
        let threads = get_num_threads().max(1);
        let n = x.size()[0];
        let workers = i64::from(threads).min(n);
        if workers <= 1 {
            return self.forward(x);
        }
        let piece = (n - 1) / (2 * workers) + 1; // ⌈n / (2 · workers)⌉, n ≥ 1
        let pieces: Vec<Tensor> = x.split(piece, 0);
        let count = pieces.len();
        let queue = Mutex::new(pieces.into_iter().enumerate().collect::<VecDeque<_>>());
        let results = Mutex::new((0..count).map(|_| None).collect::<Vec<_>>());
        std::thread::scope(|scope| {
            for _ in 0..workers {
                scope.spawn(|| {
                    set_num_threads(1);
                    loop {
                        let next = queue
                            .lock()
                            .unwrap_or_else(PoisonError::into_inner)
                            .pop_front();
                        let Some((index, piece)) = next else { break };
                        let out = self.forward(&piece);
                        results.lock().unwrap_or_else(PoisonError::into_inner)[index] = Some(out);
                    }
                });
            }
        });
        set_num_threads(threads);
        let outputs: Vec<TaggerOutput> = results
            .into_inner()
            .unwrap_or_else(PoisonError::into_inner)
            .into_iter()
            .map(|out| out.expect("every piece is run once the threads have joined"))
            .collect();
        let cat = |field: fn(&TaggerOutput) -> &Tensor| {
            Tensor::cat(&outputs.iter().map(field).collect::<Vec<_>>(), 0)
        };
        TaggerOutput {
            probabilities: cat(|o| &o.probabilities),
            logits: cat(|o| &o.logits),
            embedding: cat(|o| &o.embedding),
        }
    }
}

/// A pretrained tagger: one of musicnn's four models with its weights, ready for inference.
///
/// ```no_run
/// use musearch_models::nets::{PretrainedModel, Tagger};
/// let tagger = Tagger::from_tf_checkpoint(
///     PretrainedModel::MttMusicnn,
///     std::path::Path::new("musicnn/MTT_musicnn"),
///     tch::Device::Cpu,
/// )?;
/// let patches = tch::Tensor::zeros([4, 187, 96], (tch::Kind::Float, tch::Device::Cpu));
/// let out = tagger.forward(&patches)?;
/// assert_eq!(out.probabilities.size(), [4, 50]);
/// # Ok::<(), musearch_models::nets::NetError>(())
/// ```
#[derive(Debug)]
pub struct Tagger {
    model: PretrainedModel,
    vs: nn::VarStore,
    specs: VarSpecs,
    net: Net,
}

impl Tagger {
    /// Builds `model` with all parameters zero on `device` (load weights next).
    pub fn new(model: PretrainedModel, device: Device) -> Tagger {
        let vs = nn::VarStore::new(device);
        let mut specs = VarSpecs::default();
        let classes = model.vocabulary().tags().len() as i64;
        let net = match model.architecture() {
            Architecture::Musicnn => Net::Musicnn(musicnn::Musicnn::new(
                vs.root(),
                musicnn::MusicnnConfig::default(),
                N_MELS,
                classes,
                &mut specs,
            )),
            Architecture::Vgg => Net::Vgg(vgg::Vgg::new(
                vs.root(),
                vgg::VggConfig::default(),
                classes,
                &mut specs,
            )),
        };
        Tagger {
            model,
            vs,
            specs,
            net,
        }
    }

    /// Builds `model` on `device` and loads its weights from the TensorFlow checkpoint with
    /// prefix (or directory) `checkpoint`, e.g. the wheel's `musicnn/MTT_musicnn`.
    ///
    /// Fails if a variable is missing, extra, of another shape, or corrupted.
    pub fn from_tf_checkpoint(
        model: PretrainedModel,
        checkpoint: &Path,
        device: Device,
    ) -> Result<Tagger, NetError> {
        let bundle = TfBundle::open(checkpoint)?;
        Self::from_tf_bundle(model, &bundle, device)
    }

    /// Like [`Tagger::from_tf_checkpoint`], from an already opened bundle.
    pub fn from_tf_bundle(
        model: PretrainedModel,
        bundle: &TfBundle,
        device: Device,
    ) -> Result<Tagger, NetError> {
        let tagger = Tagger::new(model, device);
        load_tf_bundle(&tagger.specs, bundle, model.name())?;
        Ok(tagger)
    }

    /// Builds `model` on `device` and loads weights saved by [`Tagger::save_safetensors`].
    ///
    /// The file must hold exactly the network's parameters, with the same shapes, as float32.
    pub fn from_safetensors(
        model: PretrainedModel,
        path: &Path,
        device: Device,
    ) -> Result<Tagger, NetError> {
        let tagger = Tagger::new(model, device);
        let named = Tensor::read_safetensors(path)?;
        load_named_tensors(
            &tagger.specs,
            named,
            &path.display().to_string(),
            model.name(),
        )?;
        Ok(tagger)
    }

    /// Loads `model` from the model store `store` (see [`crate::store`]): reads
    /// `<store>/<name>/manifest.json`, then the weights file it names. Returns the tagger, its
    /// manifest and the path of the weights file.
    pub fn load_from_store(
        store: &Path,
        model: PretrainedModel,
        device: Device,
    ) -> Result<(Tagger, ModelManifest, PathBuf), NetError> {
        let dir = store.join(model.name());
        let manifest_path = dir.join(MANIFEST_FILE);
        if !manifest_path.is_file() {
            return Err(NetError::NotInStore {
                model: model.name().to_string(),
                store: store.to_owned(),
            });
        }
        let manifest = ModelManifest::read(&manifest_path)?;
        let weights = dir.join(&manifest.weights);
        let tagger = Tagger::from_safetensors(model, &weights, device)?;
        Ok((tagger, manifest, weights))
    }

    /// Saves the weights (torch layout, the names of [`Tagger::parameters`]) as safetensors.
    pub fn save_safetensors(&self, path: &Path) -> Result<(), NetError> {
        self.vs.save(path)?;
        Ok(())
    }

    /// Which pretrained model this is.
    pub fn model(&self) -> PretrainedModel {
        self.model
    }

    /// The device the weights live on.
    pub fn device(&self) -> Device {
        self.vs.device()
    }

    /// The tags of the output units, in order.
    pub fn tags(&self) -> &'static [&'static str] {
        self.model.vocabulary().tags()
    }

    /// The size of the embedding ([`TaggerOutput::embedding`]).
    pub fn embedding_dim(&self) -> i64 {
        match &self.net {
            Net::Musicnn(n) => n.embedding_dim(),
            Net::Vgg(n) => n.embedding_dim(),
        }
    }

    /// Multiply-accumulates of one forward pass over one patch of `frames` frames (the VGG
    /// takes 187 only), counted from the layer shapes; see [`musicnn::Musicnn::macs_per_patch`].
    pub fn macs_per_patch(&self, frames: i64) -> u64 {
        match &self.net {
            Net::Musicnn(n) => n.macs_per_patch(frames),
            Net::Vgg(n) => n.macs_per_patch(),
        }
    }

    /// Runs the patches of `patches` (flat, `n × frames × 96`, as
    /// [`crate::audio::LogMel::patches`] gives them) through the network `batch_size` at a time
    /// and brings probabilities and embeddings back to the CPU as rows.
    pub fn run_patches(
        &self,
        patches: &[f32],
        frames: i64,
        batch_size: usize,
    ) -> Result<PatchOutputs, NetError> {
        run_patches_through(self.model.name(), patches, frames, batch_size, |x| {
            self.forward(x)
        })
    }

    /// Every parameter with its checkpoint variable and layout.
    pub fn parameters(&self) -> impl Iterator<Item = &VarSpec> {
        self.specs.iter()
    }

    /// Runs a batch of log-mel patches `(N, frames, 96)` (float32, any device: moved to the
    /// model's) through the network in inference mode.
    ///
    /// musicnn takes any number of frames ≥ 1; the VGG takes exactly 187.
    ///
    /// On the CPU the patches are shared out among libtorch's threads (see
    /// [`set_num_threads`]), each running whole forward passes on its share.
    pub fn forward(&self, patches: &Tensor) -> Result<TaggerOutput, NetError> {
        let x = self.checked_input(patches)?;
        if self.device() == Device::Cpu {
            Ok(SharedNet(&self.net).forward_in_parallel(&x))
        } else {
            Ok(self.net.forward(&x))
        }
    }

    /// `patches` as float32 on the model's device, or an error if it is not a batch of
    /// log-mel patches this network takes.
    fn checked_input(&self, patches: &Tensor) -> Result<Tensor, NetError> {
        let size = patches.size();
        let bad = |what: String| NetError::BadInput {
            model: self.model.name().to_string(),
            what,
        };
        if size.len() != 3 || size[2] != N_MELS || size[1] < 1 {
            return Err(bad(format!(
                "expected a batch of log-mel patches (N, frames, {N_MELS}), got {size:?}"
            )));
        }
        if matches!(self.net, Net::Vgg(_)) && size[1] != PATCH_FRAMES {
            return Err(bad(format!(
                "the VGG takes patches of exactly {PATCH_FRAMES} frames, got {}",
                size[1]
            )));
        }
        Ok(patches.to_device(self.device()).to_kind(Kind::Float))
    }

    /// [`Tagger::forward`] on the calling thread alone, with libtorch's own parallelism inside
    /// each operator, where `forward` shares the patches out among threads on the CPU. For
    /// callers that run several networks side by side, and for comparing the two.
    pub fn forward_on_this_thread(&self, patches: &Tensor) -> Result<TaggerOutput, NetError> {
        let x = self.checked_input(patches)?;
        Ok(self.net.forward(&x))
    }

    /// How a musicnn computes its front-end convolutions (`None` for the VGG, which has none).
    pub fn frontend_kernel(&self) -> Option<musicnn::FrontendKernel> {
        match &self.net {
            Net::Musicnn(n) => Some(n.frontend_kernel()),
            Net::Vgg(_) => None,
        }
    }

    /// Makes a musicnn compute its front-end convolutions with `kernel`; returns `false`, and
    /// changes nothing, for the VGG.
    pub fn set_frontend_kernel(&mut self, kernel: musicnn::FrontendKernel) -> bool {
        match &mut self.net {
            Net::Musicnn(n) => {
                n.set_frontend_kernel(kernel);
                true
            }
            Net::Vgg(_) => false,
        }
    }
}

/// Runs flat log-mel patches (`n × frames × 96`) through `forward`, `batch_size` at a time, and
/// brings probabilities and embeddings back to the CPU as rows; `model` names the network in
/// the error for input that is not whole patches.
pub(crate) fn run_patches_through(
    model: &str,
    patches: &[f32],
    frames: i64,
    batch_size: usize,
    forward: impl Fn(&Tensor) -> Result<TaggerOutput, NetError>,
) -> Result<PatchOutputs, NetError> {
    let per_patch = (frames.max(1) * N_MELS) as usize;
    if frames < 1 || patches.len() % per_patch != 0 {
        return Err(NetError::BadInput {
            model: model.to_string(),
            what: format!(
                "{} values are not whole patches of {frames} × {N_MELS}",
                patches.len()
            ),
        });
    }
    let mut out = PatchOutputs {
        patches: patches.len() / per_patch,
        probabilities: Vec::new(),
        embeddings: Vec::new(),
    };
    for chunk in patches.chunks(per_patch * batch_size.max(1)) {
        let n = (chunk.len() / per_patch) as i64;
        let y = forward(&Tensor::from_slice(chunk).view([n, frames, N_MELS]))?;
        for (t, dest) in [
            (&y.probabilities, &mut out.probabilities),
            (&y.embedding, &mut out.embeddings),
        ] {
            let t = t.to_device(Device::Cpu).contiguous().view([-1]);
            dest.extend(Vec::<f32>::try_from(&t)?);
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_padding_matches_tensorflow() {
        assert_eq!(tf_same_padding(128), (63, 64));
        assert_eq!(tf_same_padding(64), (31, 32));
        assert_eq!(tf_same_padding(32), (15, 16));
        assert_eq!(tf_same_padding(3), (1, 1));
        assert_eq!(tf_same_padding(1), (0, 0));
    }

    #[test]
    fn model_names() {
        for m in PretrainedModel::ALL {
            assert_eq!(PretrainedModel::from_name(m.name()), Some(m));
        }
        assert_eq!(
            PretrainedModel::from_name("mtt_musicnn"),
            Some(PretrainedModel::MttMusicnn)
        );
        assert_eq!(PretrainedModel::from_name("MSD_musicnn_big"), None);
    }

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
