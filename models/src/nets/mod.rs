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
//! [`Tagger`] is the one type that tags audio: [`Tagger::load`] loads any model of the store,
//! musicnn's imported taggers and the networks musearch trained ([`trainable`], [`trained`]).
//!
//! Input: a batch of log-mel patches `(N, 187, 96)` (frames × mel bands, see [`crate::audio`]).
//! Output: tag probabilities `(N, 50)` and the penultimate layer as an audio embedding.
//!
//! The files, by job:
//!
//! * [`layers`]: batch normalisation, convolution and dense layers with TensorFlow's names and
//!   conventions;
//! * [`tf_vars`]: how TensorFlow variables map onto the parameters, and the weight loaders;
//! * [`pretrained`]: musicnn's four pretrained models and their two architectures;
//! * `runner`: the CPU runner that shares a batch's patches out among threads;
//! * [`batching`]: a forward pass's output and flat patches run a batch at a time;
//! * [`tagger`]: [`Tagger`], and loading it from the model store;
//! * [`import`]: musicnn's wheel unpacked and its taggers converted into the model store;
//! * [`NetError`], in [`error`]: what can go wrong.

pub mod batching;
mod blocks;
pub mod error;
pub mod fcn;
mod im2col;
pub mod import;
pub mod layers;
pub mod mfcc;
pub mod multiscale;
pub mod musicnn;
pub mod pretrained;
mod runner;
pub mod shortres;
pub mod tagger;
pub mod tf_vars;
pub mod trainable;
pub mod trained;
pub mod vgg;

pub use tch::{get_num_threads, set_num_threads, Device, Kind, Tensor};

use batching::run_patches_through;
pub use batching::{PatchOutputs, TaggerOutput};
pub use error::NetError;
pub use layers::{tf_same_padding, BatchNorm};
pub use pretrained::{Architecture, PretrainedModel};
pub use runner::keep_freed_memory;
pub use tagger::Tagger;
pub use tf_vars::{is_optimizer_variable, Layout, VarSpec, VarSpecs};

/// TensorFlow's default batch-normalisation epsilon (`tf.compat.v1.layers.batch_normalization`).
pub const TF_BATCH_NORM_EPSILON: f64 = 1e-3;

/// TensorFlow's default batch-normalisation momentum: the moving statistics keep 0.99 of
/// themselves at each training step (libtorch's momentum is the complement, 0.01).
pub const TF_BATCH_NORM_MOMENTUM: f64 = 0.99;

/// Number of mel bands the networks take.
pub const N_MELS: i64 = 96;

/// Number of frames in one input patch (3 s at 16 kHz with hop 256).
pub const PATCH_FRAMES: i64 = 187;
