//! Reading pretrained checkpoints.
//!
//! * [`tf_bundle`]: TensorFlow's tensor-bundle format (`.index` + `.data-*`), the format of the
//!   checkpoints that ship in the `musicnn` wheel (Pons & Serra, "musicnn: pre-trained
//!   convolutional neural networks for music audio tagging", 2019). Pure Rust: no TensorFlow.
//!
//! Nothing here needs libtorch; mapping variables onto networks lives in `nets` (feature `torch`).

pub mod crc32c;
pub mod tf_bundle;

pub use tf_bundle::{CheckpointError, DType, TensorData, TensorInfo, TfBundle};
