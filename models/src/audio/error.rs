//! Errors of the audio front-end. Every variant names the file and the cause.

use std::path::PathBuf;

/// Why an audio file could not be turned into a spectrogram.
///
/// Every variant carries the path, so a batch job can log and skip a bad file and a user reading
/// the message knows which file to look at.
#[derive(Debug, thiserror::Error)]
pub enum AudioError {
    /// The file could not be opened or read.
    #[error("{path}: cannot read file: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The operating system's error.
        #[source]
        source: std::io::Error,
    },
    /// The file has no bytes at all.
    #[error("{path}: file is empty")]
    Empty {
        /// The file.
        path: PathBuf,
    },
    /// No supported container or stream format was recognised in the file's content.
    #[error("{path}: not a supported audio file ({reason})")]
    UnsupportedFormat {
        /// The file.
        path: PathBuf,
        /// What the probe said.
        reason: String,
    },
    /// The container holds no audio track.
    #[error("{path}: contains no audio track")]
    NoAudioTrack {
        /// The file.
        path: PathBuf,
    },
    /// The audio track uses a codec musearch cannot decode.
    #[error("{path}: unsupported audio codec: {codec}")]
    UnsupportedCodec {
        /// The file.
        path: PathBuf,
        /// The codec's name, or a description of what is unsupported about it.
        codec: String,
    },
    /// The stream is damaged: the container or too many of its packets could not be decoded.
    #[error("{path}: corrupt audio stream: {reason}")]
    Corrupt {
        /// The file.
        path: PathBuf,
        /// What went wrong.
        reason: String,
    },
    /// The file ends before the length its header declares.
    #[error("{path}: file is truncated: decoded {decoded_secs:.2} s of the {declared_secs:.2} s its header declares")]
    Truncated {
        /// The file.
        path: PathBuf,
        /// Seconds of audio actually decoded.
        decoded_secs: f64,
        /// Seconds of audio the container declares.
        declared_secs: f64,
    },
    /// The file ends inside its stream although its header declares no length: an Ogg stream
    /// whose last page is cut off or does not carry the end-of-stream flag.
    #[error("{path}: file is truncated: decoded {decoded_secs:.2} s, then {reason}")]
    Cut {
        /// The file.
        path: PathBuf,
        /// Seconds of audio decoded before the cut.
        decoded_secs: f64,
        /// Where the container shows the cut.
        reason: String,
    },
    /// The stream decoded to zero samples.
    #[error("{path}: contains no audio samples")]
    NoSamples {
        /// The file.
        path: PathBuf,
    },
    /// The stream contains NaN or infinite samples (possible only in floating-point formats).
    #[error("{path}: contains non-finite (NaN or infinite) samples, first at {seconds:.3} s")]
    NonFiniteSamples {
        /// The file.
        path: PathBuf,
        /// Where the first such sample is, in seconds from the start.
        seconds: f64,
    },
    /// The stream contains sample values so far outside the ±1 full-scale range (beyond ±10⁶,
    /// 120 dB over full scale) that they cannot be audio, and would overflow the analysis.
    #[error("{path}: sample values far outside the ±1 range (|x| = {magnitude:e}) at {seconds:.3} s: not valid audio")]
    OutOfRangeSamples {
        /// The file.
        path: PathBuf,
        /// Where the first such sample is, in seconds from the start.
        seconds: f64,
        /// Its magnitude.
        magnitude: f32,
    },
    /// The stream's parameters are unusable (no sample rate, zero channels, an absurd rate).
    #[error("{path}: invalid stream parameters: {reason}")]
    InvalidStream {
        /// The file.
        path: PathBuf,
        /// What is wrong.
        reason: String,
    },
    /// The resampler refused its input (an internal error: please report it).
    #[error("{path}: resampling failed: {reason}")]
    Resample {
        /// The file.
        path: PathBuf,
        /// The resampler's message.
        reason: String,
    },
}

impl AudioError {
    /// For [`AudioError::Truncated`] and [`AudioError::Cut`], what was decoded and where the
    /// file ends, without its path (`decoded 7.50 s of the 26.80 s its header declares`).
    pub fn truncation_detail(&self) -> Option<String> {
        match self {
            AudioError::Truncated {
                decoded_secs,
                declared_secs,
                ..
            } => Some(format!(
                "decoded {decoded_secs:.2} s of the {declared_secs:.2} s its header declares"
            )),
            AudioError::Cut {
                decoded_secs,
                reason,
                ..
            } => Some(format!("decoded {decoded_secs:.2} s, then {reason}")),
            _ => None,
        }
    }

    /// The file this error is about.
    pub fn path(&self) -> &std::path::Path {
        match self {
            AudioError::Io { path, .. }
            | AudioError::Empty { path }
            | AudioError::UnsupportedFormat { path, .. }
            | AudioError::NoAudioTrack { path }
            | AudioError::UnsupportedCodec { path, .. }
            | AudioError::Corrupt { path, .. }
            | AudioError::Truncated { path, .. }
            | AudioError::Cut { path, .. }
            | AudioError::NoSamples { path }
            | AudioError::NonFiniteSamples { path, .. }
            | AudioError::OutOfRangeSamples { path, .. }
            | AudioError::InvalidStream { path, .. }
            | AudioError::Resample { path, .. } => path,
        }
    }

    /// A short stable code for reports and APIs (`io`, `empty`, `unsupported_format`, …).
    pub fn code(&self) -> &'static str {
        match self {
            AudioError::Io { .. } => "io",
            AudioError::Empty { .. } => "empty",
            AudioError::UnsupportedFormat { .. } => "unsupported_format",
            AudioError::NoAudioTrack { .. } => "no_audio_track",
            AudioError::UnsupportedCodec { .. } => "unsupported_codec",
            AudioError::Corrupt { .. } => "corrupt",
            AudioError::Truncated { .. } | AudioError::Cut { .. } => "truncated",
            AudioError::NoSamples { .. } => "no_samples",
            AudioError::NonFiniteSamples { .. } => "non_finite_samples",
            AudioError::OutOfRangeSamples { .. } => "out_of_range_samples",
            AudioError::InvalidStream { .. } => "invalid_stream",
            AudioError::Resample { .. } => "resample",
        }
    }
}
