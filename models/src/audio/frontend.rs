//! The whole front-end: file → mono PCM → 16 kHz → log-mel frames → 3 s patches.

use std::path::Path;
use std::sync::{Arc, OnceLock};

use super::decode::{AudioDecoder, StreamInfo};
use super::error::AudioError;
use super::loudness::{Loudness, LoudnessMeter};
use super::mel::{LogMelExtractor, MelConfig, MelFilterbank};
use super::resample::{ResampleError, StreamingResampler};

/// Sample rate the networks expect, in Hz.
pub const SAMPLE_RATE: u32 = 16_000;
/// Mel bands per frame.
pub const N_MELS: usize = 96;
/// Frames per patch: 187 frames of 16 ms hop ≈ 3 s (musicnn's `input_length=3`).
pub const PATCH_FRAMES: usize = 187;

fn musicnn_filterbank() -> Arc<MelFilterbank> {
    static FB: OnceLock<Arc<MelFilterbank>> = OnceLock::new();
    FB.get_or_init(|| {
        let c = MelConfig::musicnn();
        Arc::new(MelFilterbank::slaney(
            c.sample_rate,
            c.n_fft,
            c.n_mels,
            0.0,
            c.sample_rate as f64 / 2.0,
        ))
    })
    .clone()
}

/// What the front-end saw of one file.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct FileSummary {
    /// The container's description of the stream.
    pub info: StreamInfo,
    /// Samples per channel decoded at the source rate.
    pub source_frames: u64,
    /// Samples after resampling to 16 kHz.
    pub samples_16k: u64,
    /// Log-mel frames produced.
    pub mel_frames: usize,
    /// Packets that failed to decode and were skipped.
    pub decode_errors: usize,
    /// When the decoder was told to keep a truncated stream
    /// ([`AudioDecoder::keep_truncated`]) and it was cut: where
    /// ([`AudioError::truncation_detail`]).
    pub truncated: Option<String>,
    /// The loudness of the decoded mono signal at the source rate (`None` without samples).
    #[serde(default)]
    pub loudness: Option<Loudness>,
}

impl FileSummary {
    /// Decoded duration in seconds.
    pub fn duration_secs(&self) -> f64 {
        self.source_frames as f64 / self.info.sample_rate as f64
    }
}

/// Decodes `path` and streams its log-mel frames (each [`N_MELS`] values) to `on_frame`.
///
/// Memory stays constant whatever the file's length: samples flow through in packet-sized
/// pieces and only the frame being computed is buffered.
pub fn stream_log_mel(
    path: &Path,
    on_frame: &mut dyn FnMut(&[f32]),
) -> Result<FileSummary, AudioError> {
    stream_log_mel_from(AudioDecoder::open(path)?, on_frame)
}

/// [`stream_log_mel`] over an already opened decoder (a file, or bytes in memory).
pub fn stream_log_mel_from(
    mut decoder: AudioDecoder,
    on_frame: &mut dyn FnMut(&[f32]),
) -> Result<FileSummary, AudioError> {
    let path = decoder.path().to_owned();
    let path = path.as_path();
    let rate = decoder.info().sample_rate;
    let resample_err = |e: ResampleError| AudioError::Resample {
        path: path.to_owned(),
        reason: e.to_string(),
    };
    let mut resampler = StreamingResampler::new(rate, SAMPLE_RATE).map_err(resample_err)?;
    let mut mel = LogMelExtractor::with_filterbank(MelConfig::musicnn(), musicnn_filterbank());
    let mut pcm = Vec::with_capacity(16_384);
    let mut pcm16 = Vec::with_capacity(16_384);
    let mut meter = LoudnessMeter::new(rate);
    while decoder.next_mono(&mut pcm)? {
        meter.push(&pcm);
        resampler.push(&pcm, &mut pcm16).map_err(resample_err)?;
        mel.push(&pcm16, on_frame);
        pcm.clear();
        pcm16.clear();
    }
    resampler.finish(&mut pcm16).map_err(resample_err)?;
    mel.push(&pcm16, on_frame);
    mel.finish(on_frame);
    Ok(FileSummary {
        info: decoder.info().clone(),
        source_frames: decoder.decoded_frames(),
        samples_16k: resampler.emitted(),
        mel_frames: mel.frames_emitted(),
        decode_errors: decoder.decode_errors(),
        truncated: decoder.truncation().and_then(AudioError::truncation_detail),
        loudness: meter.finish(),
    })
}

/// Decodes `path` to mono 16 kHz samples (what `librosa.load(path, sr=16000)` returns).
///
/// This holds the whole signal in memory; use [`stream_log_mel`] for long files.
pub fn decode_16k(path: &Path) -> Result<(Vec<f32>, StreamInfo), AudioError> {
    let mut decoder = AudioDecoder::open(path)?;
    let resample_err = |e: ResampleError| AudioError::Resample {
        path: path.to_owned(),
        reason: e.to_string(),
    };
    let mut resampler =
        StreamingResampler::new(decoder.info().sample_rate, SAMPLE_RATE).map_err(resample_err)?;
    let mut pcm = Vec::new();
    let mut out = Vec::new();
    while decoder.next_mono(&mut pcm)? {
        resampler.push(&pcm, &mut out).map_err(resample_err)?;
        pcm.clear();
    }
    resampler.finish(&mut out).map_err(resample_err)?;
    Ok((out, decoder.info().clone()))
}

/// Decodes `path` without resampling or analysis and returns the samples-per-channel count.
/// The floor of the front-end's cost, for benchmarks.
pub fn decode_only(path: &Path) -> Result<(u64, StreamInfo), AudioError> {
    let mut decoder = AudioDecoder::open(path)?;
    let mut pcm = Vec::with_capacity(16_384);
    while decoder.next_mono(&mut pcm)? {
        pcm.clear();
    }
    Ok((decoder.decoded_frames(), decoder.info().clone()))
}

/// A whole log-mel spectrogram in memory: `n_frames × N_MELS`, frames first (musicnn's layout).
#[derive(Debug, Clone, PartialEq)]
pub struct LogMel {
    /// Number of frames.
    pub n_frames: usize,
    /// `n_frames × N_MELS` values, row-major.
    pub data: Vec<f32>,
}

impl LogMel {
    /// Frame `i` (`N_MELS` values).
    pub fn frame(&self, i: usize) -> &[f32] {
        &self.data[i * N_MELS..(i + 1) * N_MELS]
    }

    /// Number of [`PATCH_FRAMES`]-frame patches [`patches`](Self::patches) returns.
    pub fn n_patches(&self) -> usize {
        (self.n_frames / PATCH_FRAMES).max(1)
    }

    /// Non-overlapping 3 s patches, flattened `n_patches × PATCH_FRAMES × N_MELS`.
    ///
    /// A trailing partial patch is dropped, as musicnn does; a spectrogram shorter than one patch
    /// is repeated from its start until it fills one (numpy's `resize`, musicnn's rule for short
    /// clips). An empty spectrogram gives one patch of zeros.
    pub fn patches(&self) -> Vec<f32> {
        if self.n_frames >= PATCH_FRAMES {
            return self.data[..self.n_patches() * PATCH_FRAMES * N_MELS].to_vec();
        }
        let mut out = Vec::with_capacity(PATCH_FRAMES * N_MELS);
        if self.data.is_empty() {
            out.resize(PATCH_FRAMES * N_MELS, 0.0);
        } else {
            out.extend(self.data.iter().cycle().take(PATCH_FRAMES * N_MELS));
        }
        out
    }
}

/// Computes the whole log-mel spectrogram of `path` (see [`stream_log_mel`] for the streaming form).
pub fn log_mel_file(path: &Path) -> Result<(LogMel, FileSummary), AudioError> {
    let mut data = Vec::new();
    let summary = stream_log_mel(path, &mut |frame| data.extend_from_slice(frame))?;
    Ok((
        LogMel {
            n_frames: summary.mel_frames,
            data,
        },
        summary,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_spectrogram_drops_the_partial_patch() {
        let n_frames = PATCH_FRAMES * 2 + 50;
        let mel = LogMel {
            n_frames,
            data: (0..n_frames * N_MELS).map(|i| i as f32).collect(),
        };
        let patches = mel.patches();
        assert_eq!(mel.n_patches(), 2);
        assert_eq!(patches.len(), 2 * PATCH_FRAMES * N_MELS);
        assert_eq!(patches[..], mel.data[..patches.len()]);
    }

    #[test]
    fn short_spectrogram_is_repeat_padded() {
        let n_frames = 70;
        let mel = LogMel {
            n_frames,
            data: (0..n_frames * N_MELS).map(|i| i as f32).collect(),
        };
        let patches = mel.patches();
        assert_eq!(patches.len(), PATCH_FRAMES * N_MELS);
        for f in 0..PATCH_FRAMES {
            assert_eq!(
                &patches[f * N_MELS..(f + 1) * N_MELS],
                mel.frame(f % n_frames)
            );
        }
    }
}
