//! Streaming resampling of mono audio to the front-end's 16 kHz.
//!
//! Uses rubato's FFT resampler (a windowed-sinc anti-aliasing filter applied by fast
//! convolution), compensates its latency so output sample 0 lines up with input sample 0, and
//! produces exactly `ceil(n_in · 16000 / rate)` samples, the length librosa's `resample` gives.

use rubato::{FftFixedIn, Resampler as _};

/// Input frames per resampler call: about 0.1 s at common rates. Small enough to stream,
/// large enough that the FFTs are efficient.
const CHUNK_SECONDS: f64 = 0.1;

/// The resampler refused its settings or its input (rubato's error).
#[derive(Debug, thiserror::Error)]
pub enum ResampleError {
    /// The rates or the chunk size cannot make a resampler.
    #[error(transparent)]
    Construction(#[from] rubato::ResamplerConstructionError),
    /// A chunk could not be processed.
    #[error(transparent)]
    Process(#[from] rubato::ResampleError),
}

/// Resamples a mono stream from one rate to another, chunk by chunk.
pub struct StreamingResampler {
    from: u32,
    to: u32,
    /// `None` when the rates are equal: samples pass through untouched.
    inner: Option<FftFixedIn<f32>>,
    pending: Vec<f32>,
    out_scratch: Vec<Vec<f32>>,
    /// Output samples still to drop: the resampler's latency.
    skip: usize,
    input_total: u64,
    emitted: u64,
}

impl std::fmt::Debug for StreamingResampler {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StreamingResampler")
            .field("from", &self.from)
            .field("to", &self.to)
            .finish()
    }
}

impl StreamingResampler {
    /// A resampler from `from` Hz to `to` Hz for one channel.
    pub fn new(from: u32, to: u32) -> Result<Self, ResampleError> {
        let inner = if from == to {
            None
        } else {
            let chunk = ((from as f64 * CHUNK_SECONDS) as usize).max(64);
            Some(FftFixedIn::<f32>::new(
                from as usize,
                to as usize,
                chunk,
                2,
                1,
            )?)
        };
        let skip = inner.as_ref().map_or(0, |r| r.output_delay());
        let out_scratch = vec![vec![
            0.0;
            inner.as_ref().map_or(0, |r| r.output_frames_max())
        ]];
        Ok(StreamingResampler {
            from,
            to,
            inner,
            pending: Vec::new(),
            out_scratch,
            skip,
            input_total: 0,
            emitted: 0,
        })
    }

    /// Feeds input samples and appends whatever output is ready to `out`.
    pub fn push(&mut self, input: &[f32], out: &mut Vec<f32>) -> Result<(), ResampleError> {
        self.input_total += input.len() as u64;
        let Some(inner) = self.inner.as_mut() else {
            out.extend_from_slice(input);
            self.emitted += input.len() as u64;
            return Ok(());
        };
        self.pending.extend_from_slice(input);
        let mut consumed = 0;
        loop {
            let need = inner.input_frames_next();
            if self.pending.len() - consumed < need {
                break;
            }
            let chunk = &self.pending[consumed..consumed + need];
            let (_, produced) = inner.process_into_buffer(&[chunk], &mut self.out_scratch, None)?;
            consumed += need;
            emit(
                &self.out_scratch[0][..produced],
                &mut self.skip,
                &mut self.emitted,
                u64::MAX,
                out,
            );
        }
        self.pending.drain(..consumed);
        Ok(())
    }

    /// Flushes the resampler at the end of the stream. After this, exactly
    /// `ceil(total_input · to / from)` samples have been produced.
    pub fn finish(&mut self, out: &mut Vec<f32>) -> Result<(), ResampleError> {
        let target = (self.input_total * self.to as u64).div_ceil(self.from as u64);
        let Some(inner) = self.inner.as_mut() else {
            return Ok(());
        };
        // Pad with silence until the tail (and the filter's latency) has come out.
        while self.emitted < target {
            let need = inner.input_frames_next();
            let mut chunk = std::mem::take(&mut self.pending);
            chunk.resize(need, 0.0);
            let (_, produced) =
                inner.process_into_buffer(&[&chunk[..]], &mut self.out_scratch, None)?;
            emit(
                &self.out_scratch[0][..produced],
                &mut self.skip,
                &mut self.emitted,
                target,
                out,
            );
        }
        Ok(())
    }

    /// Output samples produced so far.
    pub fn emitted(&self) -> u64 {
        self.emitted
    }
}

/// Appends `produced` to `out`, first dropping `skip` latency samples and never going past `limit`.
fn emit(produced: &[f32], skip: &mut usize, emitted: &mut u64, limit: u64, out: &mut Vec<f32>) {
    let dropped = (*skip).min(produced.len());
    *skip -= dropped;
    let rest = &produced[dropped..];
    let room = limit.saturating_sub(*emitted).min(rest.len() as u64) as usize;
    out.extend_from_slice(&rest[..room]);
    *emitted += room as u64;
}

#[cfg(test)]
mod tests {
    use super::*;

    fn resample_all(input: &[f32], from: u32, to: u32, chunk: usize) -> Vec<f32> {
        let mut r = StreamingResampler::new(from, to).unwrap();
        let mut out = Vec::new();
        for part in input.chunks(chunk) {
            r.push(part, &mut out).unwrap();
        }
        r.finish(&mut out).unwrap();
        out
    }

    #[test]
    fn output_length_matches_librosa_rule() {
        for (from, n) in [
            (44_100u32, 44_100usize),
            (48_000, 12_345),
            (22_050, 1),
            (8_000, 777),
        ] {
            let input = vec![0.1f32; n];
            let out = resample_all(&input, from, 16_000, 1000);
            assert_eq!(
                out.len() as u64,
                (n as u64 * 16_000).div_ceil(from as u64),
                "{from} Hz, {n} samples"
            );
        }
    }

    #[test]
    fn sine_keeps_frequency_amplitude_and_timing() {
        // A 440 Hz sine at 44.1 kHz must come out as the same sine at 16 kHz, aligned in time.
        // rubato reports its latency in whole output samples; the filter's true latency is
        // fractional, so we allow a quarter of an output sample (15.6 µs) of timing error.
        let from = 44_100u32;
        let omega = 2.0 * std::f64::consts::PI * 440.0;
        let input: Vec<f32> = (0..from as usize)
            .map(|i| (omega * i as f64 / from as f64).sin() as f32)
            .collect();
        let out = resample_all(&input, from, 16_000, 4096);
        // Compare away from the edges, where the filter sees zeros beyond the signal.
        let max_err_at = |shift: f64| {
            (800..15_200)
                .map(|i| (out[i] as f64 - (omega * (i as f64 + shift) / 16_000.0).sin()).abs())
                .fold(0.0f64, f64::max)
        };
        let quarter_sample_phase = omega * 0.25 / 16_000.0;
        assert!(
            max_err_at(0.0) < quarter_sample_phase,
            "timing off by more than a quarter sample: {}",
            max_err_at(0.0)
        );
        // Amplitude: the best-aligned comparison leaves almost nothing.
        let best = (-8..=8)
            .map(|k| max_err_at(k as f64 / 32.0))
            .fold(f64::INFINITY, f64::min);
        assert!(best < 3e-3, "amplitude or shape error {best}");
    }

    #[test]
    fn chunking_does_not_change_the_result() {
        let input: Vec<f32> = (0..30_000)
            .map(|i| ((i * 7919) % 1000) as f32 / 1000.0 - 0.5)
            .collect();
        let a = resample_all(&input, 48_000, 16_000, 333);
        let b = resample_all(&input, 48_000, 16_000, 30_000);
        assert_eq!(a, b);
    }

    #[test]
    fn equal_rates_pass_through() {
        let input: Vec<f32> = (0..1000).map(|i| i as f32).collect();
        assert_eq!(resample_all(&input, 16_000, 16_000, 77), input);
    }
}
