//! Streaming resampling of mono audio to the front-end's 16 kHz, as librosa does by default.
//!
//! librosa ≥ 0.10 resamples with `res_type="soxr_hq"`: python-soxr's `resample(x, in, out,
//! quality="HQ")`, which runs libsoxr with `soxr_quality_spec(SOXR_HQ, 0)` (20-bit precision,
//! linear phase, pass-band to 0.913 of the output Nyquist frequency, roll-off ≤ 0.01 dB),
//! single-precision interleaved samples in and out, and libsoxr's default runtime (one thread).
//! librosa then cuts or zero-pads the result to `ceil(n_in · out / in)` samples
//! (`util.fix_length`). This module does the same through libsoxr itself (LGPL-2.1+, linked
//! dynamically; Debian `libsoxr-dev`), fed chunk by chunk so that long files are never held
//! whole. libsoxr removes its filter's delay itself: output sample 0 lines up with input
//! sample 0, and the output does not depend on how the input is chunked.

use std::ffi::{c_char, c_double, c_void, CStr};
use std::ptr;

/// What can go wrong while resampling.
#[derive(Debug, thiserror::Error)]
pub enum ResampleError {
    /// libsoxr refused to create a resampler for these rates.
    #[error("cannot resample {from} Hz to {to} Hz: libsoxr: {message}")]
    Create {
        /// Input rate in Hz.
        from: u32,
        /// Output rate in Hz.
        to: u32,
        /// libsoxr's message.
        message: String,
    },
    /// libsoxr reported an error while processing samples.
    #[error("libsoxr: {message}")]
    Process {
        /// libsoxr's message.
        message: String,
    },
}

/// The raw libsoxr interface this module needs (`soxr.h`, libsoxr 0.1.x).
mod ffi {
    use std::ffi::{c_char, c_double, c_uint, c_ulong, c_void};

    /// `soxr_datatype_t`: `SOXR_FLOAT32_I`, interleaved 32-bit floats.
    pub const SOXR_FLOAT32_I: c_uint = 0;
    /// The "high quality" recipe (`SOXR_HQ` = `SOXR_20_BITQ`), python-soxr's default.
    pub const SOXR_HQ: c_ulong = 4;

    /// `struct soxr_io_spec`.
    #[repr(C)]
    pub struct IoSpec {
        pub itype: c_uint,
        pub otype: c_uint,
        pub scale: c_double,
        pub e: *mut c_void,
        pub flags: c_ulong,
    }

    /// `struct soxr_quality_spec`.
    #[repr(C)]
    pub struct QualitySpec {
        pub precision: c_double,
        pub phase_response: c_double,
        pub passband_end: c_double,
        pub stopband_begin: c_double,
        pub e: *mut c_void,
        pub flags: c_ulong,
    }

    /// An opaque `struct soxr`.
    #[repr(C)]
    pub struct Soxr {
        _private: [u8; 0],
    }

    /// `soxr_error_t`: null on success, else a static message.
    pub type Error = *const c_char;

    #[link(name = "soxr")]
    extern "C" {
        pub fn soxr_io_spec(itype: c_uint, otype: c_uint) -> IoSpec;
        pub fn soxr_quality_spec(recipe: c_ulong, flags: c_ulong) -> QualitySpec;
        pub fn soxr_create(
            input_rate: c_double,
            output_rate: c_double,
            num_channels: c_uint,
            error: *mut Error,
            io_spec: *const IoSpec,
            quality_spec: *const QualitySpec,
            runtime_spec: *const c_void,
        ) -> *mut Soxr;
        pub fn soxr_process(
            resampler: *mut Soxr,
            input: *const c_void,
            ilen: usize,
            idone: *mut usize,
            output: *mut c_void,
            olen: usize,
            odone: *mut usize,
        ) -> Error;
        pub fn soxr_delete(resampler: *mut Soxr);
    }
}

/// libsoxr's message for a non-null error.
fn message(err: *const c_char) -> String {
    // SAFETY: libsoxr's errors are null or point to static NUL-terminated strings.
    unsafe { CStr::from_ptr(err) }
        .to_string_lossy()
        .into_owned()
}

/// Output samples asked of libsoxr per flushing call at the end of the stream.
const FLUSH_BLOCK: usize = 4096;

/// Resamples a mono stream from one rate to another, chunk by chunk, as librosa's default
/// `resample` does on the whole signal.
pub struct StreamingResampler {
    from: u32,
    to: u32,
    /// `None` when the rates are equal: samples pass through untouched (librosa does not
    /// resample then either).
    soxr: Option<ptr::NonNull<ffi::Soxr>>,
    input_total: u64,
    emitted: u64,
}

// SAFETY: a libsoxr resampler is plain heap state with no thread affinity; it is only touched
// through `&mut self` (and freed in `drop`), so moving it to or sharing it with another thread
// is sound.
unsafe impl Send for StreamingResampler {}
// SAFETY: no `&self` method reaches the libsoxr state.
unsafe impl Sync for StreamingResampler {}

impl std::fmt::Debug for StreamingResampler {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StreamingResampler")
            .field("from", &self.from)
            .field("to", &self.to)
            .finish()
    }
}

impl Drop for StreamingResampler {
    fn drop(&mut self) {
        if let Some(soxr) = self.soxr.take() {
            // SAFETY: created by soxr_create, deleted once.
            unsafe { ffi::soxr_delete(soxr.as_ptr()) };
        }
    }
}

impl StreamingResampler {
    /// A resampler from `from` Hz to `to` Hz for one channel, with libsoxr's HQ recipe.
    pub fn new(from: u32, to: u32) -> Result<Self, ResampleError> {
        let create_err = |message: String| ResampleError::Create { from, to, message };
        if from == 0 || to == 0 {
            return Err(create_err("a sample rate of 0 Hz".to_owned()));
        }
        let soxr = if from == to {
            None
        } else {
            let mut err: ffi::Error = ptr::null();
            // SAFETY: the specs are plain structs filled in by libsoxr's own constructors and
            // outlive the call; a null runtime spec selects libsoxr's default (one thread).
            let raw = unsafe {
                let io = ffi::soxr_io_spec(ffi::SOXR_FLOAT32_I, ffi::SOXR_FLOAT32_I);
                let quality = ffi::soxr_quality_spec(ffi::SOXR_HQ, 0);
                ffi::soxr_create(
                    from as c_double,
                    to as c_double,
                    1,
                    &mut err,
                    &io,
                    &quality,
                    ptr::null(),
                )
            };
            if !err.is_null() {
                if let Some(raw) = ptr::NonNull::new(raw) {
                    // SAFETY: a resampler that reported an error is still ours to free.
                    unsafe { ffi::soxr_delete(raw.as_ptr()) };
                }
                return Err(create_err(message(err)));
            }
            Some(
                ptr::NonNull::new(raw)
                    .ok_or_else(|| create_err("no resampler returned".to_owned()))?,
            )
        };
        Ok(StreamingResampler {
            from,
            to,
            soxr,
            input_total: 0,
            emitted: 0,
        })
    }

    /// Feeds input samples and appends whatever output is ready to `out`.
    pub fn push(&mut self, input: &[f32], out: &mut Vec<f32>) -> Result<(), ResampleError> {
        self.input_total += input.len() as u64;
        let Some(soxr) = self.soxr else {
            out.extend_from_slice(input);
            self.emitted += input.len() as u64;
            return Ok(());
        };
        let mut rest = input;
        loop {
            // Room for this input's share of output, plus a margin for what libsoxr held back.
            let room =
                (rest.len() as u64 * self.to as u64).div_ceil(self.from as u64) as usize + 64;
            let (used, produced) = self.process(soxr, Some(rest), room, out)?;
            rest = &rest[used..];
            if rest.is_empty() && produced < room {
                return Ok(());
            }
        }
    }

    /// Flushes the resampler at the end of the stream. After this, exactly
    /// `ceil(total_input · to / from)` samples have been produced: libsoxr's tail, cut or
    /// zero-padded to that length as librosa's `fix_length` does.
    pub fn finish(&mut self, out: &mut Vec<f32>) -> Result<(), ResampleError> {
        let target = (self.input_total * self.to as u64).div_ceil(self.from as u64);
        let Some(soxr) = self.soxr else {
            return Ok(());
        };
        loop {
            let (_, produced) = self.process(soxr, None, FLUSH_BLOCK, out)?;
            // Past the target length, librosa cuts: drop what this call gave beyond it.
            let excess = self.emitted.saturating_sub(target).min(produced as u64);
            out.truncate(out.len() - excess as usize);
            self.emitted -= excess;
            if produced < FLUSH_BLOCK {
                break;
            }
        }
        if self.emitted < target {
            out.resize(out.len() + (target - self.emitted) as usize, 0.0);
            self.emitted = target;
        }
        Ok(())
    }

    /// Output samples produced so far.
    pub fn emitted(&self) -> u64 {
        self.emitted
    }

    /// One `soxr_process` call writing at most `room` samples at the end of `out`; `input`
    /// `None` flushes. Returns (input samples used, output samples produced).
    fn process(
        &mut self,
        soxr: ptr::NonNull<ffi::Soxr>,
        input: Option<&[f32]>,
        room: usize,
        out: &mut Vec<f32>,
    ) -> Result<(usize, usize), ResampleError> {
        out.reserve(room);
        let (mut used, mut produced) = (0usize, 0usize);
        let (in_ptr, in_len) = input.map_or((ptr::null(), 0), |x| (x.as_ptr().cast(), x.len()));
        // SAFETY: `soxr` is live; the input slice is valid for `in_len` reads and the spare
        // capacity for `room` writes of f32 (reserved above); libsoxr reports in `produced`
        // how many it initialised, at most `room`.
        let err = unsafe {
            let dst = out.spare_capacity_mut().as_mut_ptr().cast::<c_void>();
            let err = ffi::soxr_process(
                soxr.as_ptr(),
                in_ptr,
                in_len,
                &mut used,
                dst,
                room,
                &mut produced,
            );
            if err.is_null() {
                out.set_len(out.len() + produced.min(room));
            }
            err
        };
        if !err.is_null() {
            return Err(ResampleError::Process {
                message: message(err),
            });
        }
        self.emitted += produced as u64;
        Ok((used, produced))
    }
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
        assert_eq!(r.emitted(), out.len() as u64);
        out
    }

    #[test]
    fn output_length_matches_librosa_rule() {
        for (from, n) in [
            (44_100u32, 44_100usize),
            (44_100, 44_101),
            (44_100, 1_323_001),
            (48_000, 12_345),
            (22_050, 1),
            (8_000, 777),
            (96_000, 5),
        ] {
            let input = vec![0.1f32; n];
            for chunk in [1000, 4096, n.max(1)] {
                let out = resample_all(&input, from, 16_000, chunk);
                assert_eq!(
                    out.len() as u64,
                    (n as u64 * 16_000).div_ceil(from as u64),
                    "{from} Hz, {n} samples, chunks of {chunk}"
                );
            }
        }
    }

    #[test]
    fn sine_keeps_frequency_amplitude_and_timing() {
        // A 440 Hz sine at 44.1 kHz must come out as the same sine at 16 kHz, aligned in time:
        // libsoxr's linear-phase filter has its delay removed, so no shift is allowed for.
        let from = 44_100u32;
        let omega = 2.0 * std::f64::consts::PI * 440.0;
        let input: Vec<f32> = (0..from as usize)
            .map(|i| (omega * i as f64 / from as f64).sin() as f32)
            .collect();
        let out = resample_all(&input, from, 16_000, 4096);
        // Compare away from the edges, where the filter sees zeros beyond the signal.
        let err = (800..15_200)
            .map(|i| (out[i] as f64 - (omega * i as f64 / 16_000.0).sin()).abs())
            .fold(0.0f64, f64::max);
        assert!(err < 1e-4, "shape, amplitude or timing error {err}");
    }

    #[test]
    fn content_above_the_new_nyquist_is_removed() {
        // 7.6 kHz survives (inside the 0.913 × 8 kHz pass band), 9 kHz must not alias back.
        let from = 44_100u32;
        let tone = |hz: f64| -> Vec<f32> {
            (0..from as usize)
                .map(|i| (2.0 * std::f64::consts::PI * hz * i as f64 / from as f64).sin() as f32)
                .collect()
        };
        let rms = |x: &[f32]| (x.iter().map(|v| v * v).sum::<f32>() / x.len() as f32).sqrt();
        let kept = resample_all(&tone(7_200.0), from, 16_000, 4096);
        let gone = resample_all(&tone(9_000.0), from, 16_000, 4096);
        assert!((rms(&kept[800..15_200]) - 0.5f32.sqrt()).abs() < 1e-3);
        assert!(
            rms(&gone[800..15_200]) < 1e-4,
            "{}",
            rms(&gone[800..15_200])
        );
    }

    #[test]
    fn chunking_does_not_change_the_result() {
        let input: Vec<f32> = (0..30_000)
            .map(|i| ((i * 7919) % 1000) as f32 / 1000.0 - 0.5)
            .collect();
        for from in [44_100, 48_000] {
            let a = resample_all(&input, from, 16_000, 333);
            let b = resample_all(&input, from, 16_000, 30_000);
            assert_eq!(a, b, "{from} Hz");
        }
    }

    #[test]
    fn equal_rates_pass_through() {
        let input: Vec<f32> = (0..1000).map(|i| i as f32).collect();
        assert_eq!(resample_all(&input, 16_000, 16_000, 77), input);
    }

    #[test]
    fn impossible_rates_are_an_error() {
        let err = StreamingResampler::new(0, 16_000).unwrap_err();
        assert!(
            matches!(err, ResampleError::Create { from: 0, .. }),
            "{err}"
        );
    }
}
