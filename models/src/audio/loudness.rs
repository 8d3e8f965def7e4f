//! Loudness facts of a whole track, measured while it decodes: the RMS level in dBFS and the
//! share of near-silent blocks.
//!
//! The search side uses them to tell a near-silent file (a "silence" placeholder, a track of
//! room tone) from music without decoding anything at query time. The measure runs on the mono
//! down-mix at the source rate (the samples [`super::AudioDecoder::next_mono`] gives), in
//! blocks of 50 ms: a block whose RMS is below [`SILENT_BLOCK_DBFS`] counts as near-silent.

use super::decode::AudioDecoder;
use super::error::AudioError;

/// A block quieter than this (RMS, dBFS) is near-silent: about the level of a quiet room on a
/// 16-bit recording, far below any music.
pub const SILENT_BLOCK_DBFS: f32 = -60.0;

/// The level reported for digital silence (no energy at all), in dBFS.
pub const FLOOR_DBFS: f32 = -120.0;

/// Length of one analysis block, in seconds.
pub const BLOCK_SECONDS: f64 = 0.05;

/// What [`LoudnessMeter`] measured.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Loudness {
    /// RMS level of the whole track in dBFS (full scale = 0 dB; [`FLOOR_DBFS`] for silence).
    pub rms_dbfs: f32,
    /// Share of 50 ms blocks whose RMS is below [`SILENT_BLOCK_DBFS`], in [0, 1].
    pub silent_share: f32,
}

/// Streams mono samples in, gives [`Loudness`] out; constant memory.
#[derive(Debug, Clone)]
pub struct LoudnessMeter {
    block_len: usize,
    /// Sum of squares over the whole track (f64: hours of audio stay exact enough).
    total_sq: f64,
    total_n: u64,
    block_sq: f64,
    block_n: usize,
    blocks: u64,
    silent_blocks: u64,
}

/// `10·log10(mean square)`, floored at [`FLOOR_DBFS`].
fn dbfs(mean_sq: f64) -> f32 {
    if mean_sq <= 0.0 {
        return FLOOR_DBFS;
    }
    ((10.0 * mean_sq.log10()) as f32).max(FLOOR_DBFS)
}

impl LoudnessMeter {
    /// A meter for samples at `sample_rate` Hz.
    pub fn new(sample_rate: u32) -> LoudnessMeter {
        LoudnessMeter {
            block_len: ((sample_rate as f64 * BLOCK_SECONDS).round() as usize).max(1),
            total_sq: 0.0,
            total_n: 0,
            block_sq: 0.0,
            block_n: 0,
            blocks: 0,
            silent_blocks: 0,
        }
    }

    /// Adds samples (mono, in [-1, 1]).
    pub fn push(&mut self, samples: &[f32]) {
        for &x in samples {
            let sq = f64::from(x) * f64::from(x);
            self.total_sq += sq;
            self.block_sq += sq;
            self.block_n += 1;
            if self.block_n == self.block_len {
                self.close_block();
            }
        }
        self.total_n += samples.len() as u64;
    }

    fn close_block(&mut self) {
        if self.block_n == 0 {
            return;
        }
        self.blocks += 1;
        if dbfs(self.block_sq / self.block_n as f64) < SILENT_BLOCK_DBFS {
            self.silent_blocks += 1;
        }
        self.block_sq = 0.0;
        self.block_n = 0;
    }

    /// The facts of everything pushed (a trailing partial block counts as a block); `None`
    /// when no sample was pushed.
    pub fn finish(mut self) -> Option<Loudness> {
        if self.total_n == 0 {
            return None;
        }
        self.close_block();
        Some(Loudness {
            rms_dbfs: dbfs(self.total_sq / self.total_n as f64),
            silent_share: (self.silent_blocks as f64 / self.blocks as f64) as f32,
        })
    }
}

/// Decodes the rest of `decoder`'s stream and measures it, without resampling or analysis (a
/// re-index measures the tracks it already tagged this way). Returns the facts (`None` for a
/// stream without samples) and the samples per channel decoded.
pub fn measure_loudness(mut decoder: AudioDecoder) -> Result<(Option<Loudness>, u64), AudioError> {
    let mut meter = LoudnessMeter::new(decoder.info().sample_rate);
    let mut pcm = Vec::with_capacity(16_384);
    while decoder.next_mono(&mut pcm)? {
        meter.push(&pcm);
        pcm.clear();
    }
    Ok((meter.finish(), decoder.decoded_frames()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_full_scale_sine_is_minus_3_db_and_never_silent() {
        let rate = 16_000;
        let x: Vec<f32> = (0..rate * 2)
            .map(|n| (2.0 * std::f32::consts::PI * 440.0 * n as f32 / rate as f32).sin())
            .collect();
        let mut m = LoudnessMeter::new(rate as u32);
        // In uneven pieces: blocks span pushes.
        for piece in x.chunks(777) {
            m.push(piece);
        }
        let l = m.finish().unwrap();
        assert!((l.rms_dbfs - (-3.0103)).abs() < 0.01, "{l:?}");
        assert_eq!(l.silent_share, 0.0);
    }

    #[test]
    fn silence_and_its_share_are_measured() {
        let rate = 8_000u32;
        // One second of a quiet tone (-40 dBFS RMS), then three seconds of digital silence.
        let amp = 0.01 * 2f32.sqrt();
        let mut x: Vec<f32> = (0..rate)
            .map(|n| amp * (2.0 * std::f32::consts::PI * 100.0 * n as f32 / rate as f32).sin())
            .collect();
        x.extend(std::iter::repeat_n(0.0, 3 * rate as usize));
        let mut m = LoudnessMeter::new(rate);
        m.push(&x);
        let l = m.finish().unwrap();
        assert!((l.silent_share - 0.75).abs() < 1e-6, "{l:?}");
        // A quarter of the energy of a -40 dB tone: -46 dB.
        assert!((l.rms_dbfs - (-46.02)).abs() < 0.05, "{l:?}");

        let mut zero = LoudnessMeter::new(rate);
        zero.push(&[0.0; 100]);
        let z = zero.finish().unwrap();
        assert_eq!((z.rms_dbfs, z.silent_share), (FLOOR_DBFS, 1.0));
        assert_eq!(LoudnessMeter::new(rate).finish(), None);
    }
}
