//! # musearch-models
//!
//! Everything between an audio file and tag probabilities:
//!
//! * `audio` (feature `audio`): the musicnn-compatible front-end. Decoding (symphonia, plus libopus for Opus),
//!   down-mix to mono, resampling to 16 kHz (libsoxr), the log-mel spectrogram (rustfft) and
//!   3-second patches, all streaming so that a long file never sits in memory as PCM.
//! * [`checkpoint`]: a pure-Rust reader of TensorFlow checkpoints (tensor bundles), the format
//!   of musicnn's pretrained weights.
//! * [`manifest`]: the description stored with every model (tags, front-end, source, licence).
//! * `nets` (feature `torch`): musicnn and its VGG baseline in libtorch, loaded from musicnn's
//!   pretrained checkpoints.
//! * [`npy`]: reading and writing NumPy `.npy` arrays, the exchange format with the
//!   reference implementations.
//! * `plot` (feature `plot`): heat-map pictures of spectrograms and taggrams, with labelled axes (embedded
//!   DejaVu Sans font).
//! * [`store`]: where model weights live (`$MUSEARCH_HOME`).
//! * [`rng`]: the seeded generator of the synthetic data (SplitMix64).
//! * `torch_runtime` (feature `torch`): device choice (`cpu`, `cuda:N`, `auto`) and a report of
//!   what libtorch can do here (CUDA, cuDNN, threads).
//! * [`tags`]: the tag vocabularies of the pretrained taggers.
//! * `taggram` (feature `plot`): tag probabilities over time, their track-level aggregation (mean or max) and
//!   their picture.
//!
//! ## Features
//!
//! | feature | adds | heavy dependencies |
//! | --- | --- | --- |
//! | (none) | `tags`, `store`, `manifest`, `npy`, `metrics`, `checkpoint` | none |
//! | `audio` | `audio`, `dataset` | symphonia, libopus, libsoxr, rustfft, realfft |
//! | `plot` | `plot`, `taggram` (pictures as PNG bytes) | plotters, image |
//! | `torch` (implies `audio`, `plot`) | `nets`, `train`, `torch_runtime` | libtorch (tch) |
//!
//! All three are on by default. The search side takes none of them (the tag vocabularies and
//! the store's directory), the web server only `plot`, so neither links libtorch nor decodes
//! audio.

#[cfg(feature = "audio")]
pub mod audio;
pub mod checkpoint;
#[cfg(feature = "audio")]
pub mod dataset;
pub mod manifest;
pub mod metrics;
#[cfg(feature = "torch")]
pub mod nets;
pub mod npy;
#[cfg(feature = "plot")]
pub mod plot;
pub mod rng;
pub mod store;
#[cfg(feature = "plot")]
pub mod taggram;
pub mod tags;
#[cfg(feature = "torch")]
pub mod torch_runtime;
#[cfg(feature = "torch")]
pub mod train;
