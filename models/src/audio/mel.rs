//! The log-mel spectrogram, computed frame by frame.
//!
//! What librosa's `feature.melspectrogram` computes with musicnn's arguments, followed by
//! musicnn's compression:
//!
//! 1. centred frames: the signal is padded with `n_fft / 2` zeros at both ends (librosa ≥ 0.10's
//!    `pad_mode="constant"`), giving `1 + n_samples / hop` frames;
//! 2. each frame is multiplied by a periodic Hann window and transformed with a real FFT
//!    (rustfft through realfft, in double precision as numpy does);
//! 3. power spectrum `|X|²`, then a Slaney-style mel filterbank with Slaney area normalisation
//!    (librosa's `filters.mel` defaults, after Slaney's Auditory Toolbox);
//! 4. `log10(1 + 10000 · x)` (musicnn's `extractor.py`).
//!
//! Output frames are `n_mels` `f32` values each, emitted as soon as a frame is complete, so a
//! file of any length streams through in constant memory.

use std::sync::Arc;

use realfft::{RealFftPlanner, RealToComplex};
use rustfft::num_complex::Complex;

/// A bank of triangular mel filters over the bins of a real FFT, stored sparsely.
#[derive(Debug, Clone)]
pub struct MelFilterbank {
    n_fft: usize,
    /// One filter per mel band: the first FFT bin it covers and its weights from there on.
    bands: Vec<(usize, Vec<f64>)>,
}

/// Slaney scale: Hz per mel in the linear part below 1 kHz.
const SLANEY_HZ_PER_MEL: f64 = 200.0 / 3.0;
/// Slaney scale: where the logarithmic part begins, in Hz (15 mels).
const SLANEY_MIN_LOG_HZ: f64 = 1000.0;
const SLANEY_MIN_LOG_MEL: f64 = SLANEY_MIN_LOG_HZ / SLANEY_HZ_PER_MEL;

/// Slaney scale: mels per natural-log step above 1 kHz (27 mels per factor 6.4).
fn slaney_log_step() -> f64 {
    6.4f64.ln() / 27.0
}

/// Hz to mel on the Slaney scale: linear below 1 kHz (200/3 Hz per mel), logarithmic above.
pub fn hz_to_mel_slaney(hz: f64) -> f64 {
    if hz >= SLANEY_MIN_LOG_HZ {
        SLANEY_MIN_LOG_MEL + (hz / SLANEY_MIN_LOG_HZ).ln() / slaney_log_step()
    } else {
        hz / SLANEY_HZ_PER_MEL
    }
}

/// Mel (Slaney scale) to Hz, the inverse of [`hz_to_mel_slaney`].
pub fn mel_to_hz_slaney(mel: f64) -> f64 {
    if mel >= SLANEY_MIN_LOG_MEL {
        SLANEY_MIN_LOG_HZ * (slaney_log_step() * (mel - SLANEY_MIN_LOG_MEL)).exp()
    } else {
        mel * SLANEY_HZ_PER_MEL
    }
}

impl MelFilterbank {
    /// The filterbank librosa's `filters.mel(sr, n_fft, n_mels, fmin, fmax)` builds with its
    /// defaults (`htk=False`, `norm="slaney"`): `n_mels` triangles whose edges are equally spaced
    /// on the Slaney mel scale between `fmin` and `fmax`, each scaled by `2 / (f_hi - f_lo)` so
    /// that every filter has the same area.
    pub fn slaney(sample_rate: u32, n_fft: usize, n_mels: usize, fmin: f64, fmax: f64) -> Self {
        let n_bins = n_fft / 2 + 1;
        let fft_freqs: Vec<f64> = (0..n_bins)
            .map(|k| k as f64 * sample_rate as f64 / n_fft as f64)
            .collect();
        let (mel_lo, mel_hi) = (hz_to_mel_slaney(fmin), hz_to_mel_slaney(fmax));
        let edges: Vec<f64> = (0..n_mels + 2)
            .map(|i| mel_to_hz_slaney(mel_lo + (mel_hi - mel_lo) * i as f64 / (n_mels + 1) as f64))
            .collect();
        let bands = (0..n_mels)
            .map(|m| {
                let (lo, centre, hi) = (edges[m], edges[m + 1], edges[m + 2]);
                let norm = 2.0 / (hi - lo);
                let weights: Vec<f64> = fft_freqs
                    .iter()
                    .map(|&f| {
                        let rising = (f - lo) / (centre - lo);
                        let falling = (hi - f) / (hi - centre);
                        rising.min(falling).max(0.0) * norm
                    })
                    .collect();
                let first = weights.iter().position(|&w| w > 0.0).unwrap_or(0);
                let last = weights
                    .iter()
                    .rposition(|&w| w > 0.0)
                    .map_or(first, |l| l + 1);
                (first, weights[first..last].to_vec())
            })
            .collect();
        MelFilterbank { n_fft, bands }
    }

    /// Number of mel bands.
    pub fn n_mels(&self) -> usize {
        self.bands.len()
    }

    /// The dense `n_mels × (n_fft/2 + 1)` weight matrix, row-major (librosa's layout).
    pub fn to_dense(&self) -> Vec<f64> {
        let n_bins = self.n_fft / 2 + 1;
        let mut dense = vec![0.0; self.bands.len() * n_bins];
        for (m, (first, weights)) in self.bands.iter().enumerate() {
            dense[m * n_bins + first..m * n_bins + first + weights.len()].copy_from_slice(weights);
        }
        dense
    }

    /// Applies the filterbank to one power spectrum.
    pub fn apply(&self, power: &[f64], out: &mut [f64]) {
        for ((first, weights), o) in self.bands.iter().zip(out.iter_mut()) {
            *o = weights
                .iter()
                .zip(&power[*first..])
                .map(|(w, p)| w * p)
                .sum();
        }
    }
}

/// Parameters of the spectrogram. [`MelConfig::musicnn`] is the one every model uses.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct MelConfig {
    /// Sample rate of the input in Hz.
    pub sample_rate: u32,
    /// FFT length (and window length) in samples.
    pub n_fft: usize,
    /// Hop between frames in samples.
    pub hop: usize,
    /// Number of mel bands.
    pub n_mels: usize,
}

impl MelConfig {
    /// musicnn's front-end: 16 kHz, n_fft 512, hop 256, 96 bands.
    pub const fn musicnn() -> Self {
        MelConfig {
            sample_rate: 16_000,
            n_fft: 512,
            hop: 256,
            n_mels: 96,
        }
    }
}

impl Default for MelConfig {
    fn default() -> Self {
        Self::musicnn()
    }
}

/// musicnn's compression of mel power: `log10(1 + 10000 · x)`.
#[inline]
pub fn compress(power: f64) -> f32 {
    (1.0 + 10_000.0 * power).log10() as f32
}

/// Turns a stream of samples into log-mel frames.
pub struct LogMelExtractor {
    config: MelConfig,
    filterbank: Arc<MelFilterbank>,
    window: Vec<f64>,
    fft: Arc<dyn RealToComplex<f64>>,
    /// Samples not yet consumed; `buffer[start..]` begins the next frame.
    buffer: Vec<f32>,
    start: usize,
    frame_in: Vec<f64>,
    spectrum: Vec<Complex<f64>>,
    scratch: Vec<Complex<f64>>,
    power: Vec<f64>,
    mel: Vec<f64>,
    out: Vec<f32>,
    frames_emitted: usize,
}

impl std::fmt::Debug for LogMelExtractor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LogMelExtractor")
            .field("config", &self.config)
            .finish()
    }
}

impl LogMelExtractor {
    /// An extractor for `config`, with the filterbank built for it.
    pub fn new(config: MelConfig) -> Self {
        let filterbank = Arc::new(MelFilterbank::slaney(
            config.sample_rate,
            config.n_fft,
            config.n_mels,
            0.0,
            config.sample_rate as f64 / 2.0,
        ));
        Self::with_filterbank(config, filterbank)
    }

    /// An extractor sharing an already built filterbank (cheap to create per file).
    pub fn with_filterbank(config: MelConfig, filterbank: Arc<MelFilterbank>) -> Self {
        let n = config.n_fft;
        // Periodic Hann (scipy's `get_window("hann", n, fftbins=True)`).
        let window = (0..n)
            .map(|i| 0.5 - 0.5 * (2.0 * std::f64::consts::PI * i as f64 / n as f64).cos())
            .collect();
        let fft = RealFftPlanner::<f64>::new().plan_fft_forward(n);
        let spectrum = fft.make_output_vec();
        let scratch = fft.make_scratch_vec();
        LogMelExtractor {
            config,
            window,
            frame_in: vec![0.0; n],
            spectrum,
            scratch,
            power: vec![0.0; n / 2 + 1],
            mel: vec![0.0; config.n_mels],
            out: vec![0.0; config.n_mels],
            // Centring: n_fft/2 zeros before the first sample.
            buffer: vec![0.0; n / 2],
            start: 0,
            fft,
            filterbank,
            frames_emitted: 0,
        }
    }

    /// The configuration.
    pub fn config(&self) -> &MelConfig {
        &self.config
    }

    /// Frames emitted so far.
    pub fn frames_emitted(&self) -> usize {
        self.frames_emitted
    }

    /// Feeds samples; calls `on_frame` with each completed log-mel frame (`n_mels` values).
    pub fn push(&mut self, samples: &[f32], on_frame: &mut dyn FnMut(&[f32])) {
        self.buffer.extend_from_slice(samples);
        self.drain_frames(on_frame);
    }

    /// Ends the stream: pads `n_fft/2` zeros and emits the remaining frames.
    pub fn finish(&mut self, on_frame: &mut dyn FnMut(&[f32])) {
        let pad = self.config.n_fft / 2;
        self.buffer.extend(std::iter::repeat_n(0.0, pad));
        self.drain_frames(on_frame);
        self.buffer.clear();
        self.start = 0;
    }

    fn drain_frames(&mut self, on_frame: &mut dyn FnMut(&[f32])) {
        let (n, hop) = (self.config.n_fft, self.config.hop);
        while self.buffer.len() - self.start >= n {
            let frame = &self.buffer[self.start..self.start + n];
            for ((dst, &s), &w) in self.frame_in.iter_mut().zip(frame).zip(&self.window) {
                *dst = s as f64 * w;
            }
            self.fft
                .process_with_scratch(&mut self.frame_in, &mut self.spectrum, &mut self.scratch)
                .expect("FFT buffers are sized by the planner");
            for (p, c) in self.power.iter_mut().zip(&self.spectrum) {
                *p = c.norm_sqr();
            }
            self.filterbank.apply(&self.power, &mut self.mel);
            for (o, &m) in self.out.iter_mut().zip(&self.mel) {
                *o = compress(m);
            }
            on_frame(&self.out);
            self.frames_emitted += 1;
            self.start += hop;
        }
        // Keep the buffer short: drop consumed samples once they dominate.
        if self.start > 16 * n {
            self.buffer.drain(..self.start);
            self.start = 0;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slaney_scale_round_trips_and_is_linear_below_1khz() {
        assert!((hz_to_mel_slaney(1000.0) - 15.0).abs() < 1e-12);
        assert!((hz_to_mel_slaney(200.0) - 3.0).abs() < 1e-12);
        for hz in [0.0, 100.0, 999.0, 1000.0, 4321.0, 8000.0] {
            assert!((mel_to_hz_slaney(hz_to_mel_slaney(hz)) - hz).abs() < 1e-9);
        }
    }

    #[test]
    fn frame_count_is_one_plus_samples_over_hop() {
        for n in [0usize, 1, 255, 256, 257, 16_000, 48_000] {
            let mut ex = LogMelExtractor::new(MelConfig::musicnn());
            let mut frames = 0;
            let samples = vec![0.25f32; n];
            for chunk in samples.chunks(1000) {
                ex.push(chunk, &mut |_| frames += 1);
            }
            ex.finish(&mut |_| frames += 1);
            assert_eq!(frames, 1 + n / 256, "n = {n}");
        }
    }

    #[test]
    fn sine_energy_lands_in_the_right_band() {
        // 1 kHz sits at 15 Slaney mels; with 96 bands over 0–8 kHz the peak is band 34 or 35.
        let samples: Vec<f32> = (0..16_000)
            .map(|i| (2.0 * std::f32::consts::PI * 1000.0 * i as f32 / 16_000.0).sin())
            .collect();
        let mut ex = LogMelExtractor::new(MelConfig::musicnn());
        let mut frames = Vec::new();
        ex.push(&samples, &mut |f| frames.push(f.to_vec()));
        let mid = &frames[frames.len() / 2];
        let peak = mid
            .iter()
            .enumerate()
            .max_by(|a, b| a.1.total_cmp(b.1))
            .unwrap()
            .0;
        let fb = MelFilterbank::slaney(16_000, 512, 96, 0.0, 8000.0);
        let mel_1k = hz_to_mel_slaney(1000.0);
        let expected = ((mel_1k / hz_to_mel_slaney(8000.0)) * 97.0).round() as usize - 1;
        assert!(
            peak.abs_diff(expected) <= 1,
            "peak band {peak}, expected about {expected} ({} bands)",
            fb.n_mels()
        );
    }
}
