//! The audio front-end, musicnn-compatible (see DESIGN.md, "Audio front-end"):
//! decode → mono → 16 kHz → log-mel (96 bands, n_fft 512, hop 256) → 3 s patches of 187 frames.
//!
//! * [`decode`]: symphonia (and libopus) to mono PCM, streaming, with typed errors.
//! * [`resample`]: streaming resampling with libsoxr's HQ recipe, as librosa does by default.
//! * [`mel`]: the Slaney mel filterbank and the streaming log-mel extractor (rustfft).
//! * [`frontend`]: the pipeline put together, and 3 s patches.
//! * [`loudness`]: RMS level and near-silent share of a whole track, measured while it decodes.

pub mod decode;
pub mod error;
pub mod frontend;
mod guard;
pub mod loudness;
pub mod mel;
mod mp4;
mod ogg_end;
pub mod opus;
pub mod resample;

pub use decode::{AudioDecoder, StreamInfo, TrackMetadata};
pub use error::AudioError;
pub use frontend::{
    decode_16k, decode_only, log_mel_file, stream_log_mel, stream_log_mel_from, FileSummary,
    LogMel, N_MELS, PATCH_FRAMES, SAMPLE_RATE,
};
pub use loudness::{measure_loudness, Loudness, LoudnessMeter};
pub use mel::{LogMelExtractor, MelConfig, MelFilterbank};
pub use opus::OpusDecoder;
pub use resample::{ResampleError, StreamingResampler};
