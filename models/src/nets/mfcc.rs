//! Mel-frequency cepstral coefficients as a network input layer.
//!
//! The MFCCs of a log-mel spectrogram are its type-II discrete cosine transform along the mel
//! axis, orthonormal, first `n_mfcc` coefficients kept: what librosa's `feature.mfcc(S=…,
//! n_mfcc=…)` computes with its defaults (`dct_type=2`, `norm='ortho'`, `lifter=0`; it calls
//! `scipy.fftpack.dct`). Here `S` is musicnn's log-mel, `log10(1 + 10000·mel)`, not librosa's
//! decibels, so a network trained on MFCCs takes the same input as every other musearch
//! tagger and applies the transform itself ([`InputFeatures::apply`]).
//!
//! For `N` input bands, coefficient `k` of frame `x` is
//! `X_k = s_k · Σ_n x_n · cos(π k (2n + 1) / 2N)` with `s_0 = √(1/N)` and `s_k = √(2/N)`.

use tch::{Device, Kind, Tensor};

/// The orthonormal DCT-II as a row-major `n_in × n_out` matrix `D` (`mfcc = logmel · D`), for
/// the first `n_out` coefficients of `n_in` bands.
pub fn dct_ii_ortho(n_in: usize, n_out: usize) -> Vec<f64> {
    let n = n_in as f64;
    let mut d = vec![0.0; n_in * n_out];
    for i in 0..n_in {
        for k in 0..n_out {
            let scale = if k == 0 {
                (1.0 / n).sqrt()
            } else {
                (2.0 / n).sqrt()
            };
            let angle = std::f64::consts::PI * k as f64 * (2.0 * i as f64 + 1.0) / (2.0 * n);
            d[i * n_out + k] = scale * angle.cos();
        }
    }
    d
}

/// An input a network cannot take.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum InputError {
    /// More MFCCs than mel bands, or none.
    #[error("n_mfcc must be between 1 and the {n_mels} mel bands, not {n_mfcc}")]
    MfccCount {
        /// The MFCCs asked for.
        n_mfcc: usize,
        /// The mel bands they are computed from.
        n_mels: usize,
    },
    /// Fewer bands than the architecture's narrowest kernel needs.
    #[error("{architecture} needs at least {needed} input bands (its narrowest kernel spans 40 % of them), not {bands}")]
    TooFewBands {
        /// The architecture.
        architecture: &'static str,
        /// The bands it needs at least.
        needed: usize,
        /// The bands it would get.
        bands: usize,
    },
}

/// What a trained network sees of the log-mel patches it is given.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
#[serde(tag = "kind", rename_all = "lowercase")]
pub enum InputFeatures {
    /// The log-mel spectrogram itself (96 bands).
    #[default]
    Mel,
    /// Its first `n_mfcc` MFCCs (see the module documentation).
    Mfcc {
        /// Coefficients kept (librosa's default is 20).
        n_mfcc: usize,
    },
}

impl InputFeatures {
    /// Bands per frame the network receives when given `n_mels` mel bands.
    pub fn bands(self, n_mels: usize) -> usize {
        match self {
            InputFeatures::Mel => n_mels,
            InputFeatures::Mfcc { n_mfcc } => n_mfcc,
        }
    }

    /// Checks the settings against `n_mels` input bands.
    pub fn validate(self, n_mels: usize) -> Result<(), InputError> {
        match self {
            InputFeatures::Mfcc { n_mfcc } if n_mfcc == 0 || n_mfcc > n_mels => {
                Err(InputError::MfccCount { n_mfcc, n_mels })
            }
            _ => Ok(()),
        }
    }

    /// Turns log-mel frames `(…, n_mels)` into the network's input `(…, bands)` (float32,
    /// on the input's device).
    pub fn apply(self, log_mel: &Tensor) -> Tensor {
        match self {
            InputFeatures::Mel => log_mel.shallow_clone(),
            InputFeatures::Mfcc { n_mfcc } => {
                let n_mels = *log_mel.size().last().unwrap_or(&0) as usize;
                let d = dct_ii_ortho(n_mels, n_mfcc);
                let d = Tensor::from_slice(&d)
                    .view([n_mels as i64, n_mfcc as i64])
                    .to_kind(Kind::Float)
                    .to_device(log_mel.device());
                log_mel.to_kind(Kind::Float).matmul(&d)
            }
        }
    }

    /// Multiply-accumulates of [`InputFeatures::apply`] on `frames` frames of `n_mels` bands.
    pub fn macs(self, frames: i64, n_mels: i64) -> u64 {
        match self {
            InputFeatures::Mel => 0,
            InputFeatures::Mfcc { n_mfcc } => (frames * n_mels * n_mfcc as i64) as u64,
        }
    }
}

impl std::fmt::Display for InputFeatures {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            InputFeatures::Mel => f.write_str("mel"),
            InputFeatures::Mfcc { n_mfcc } => write!(f, "mfcc ({n_mfcc} coefficients)"),
        }
    }
}

/// Runs [`InputFeatures::apply`] on a flat CPU buffer of `frames × n_mels` values and returns
/// `frames × n_mfcc` values (for tests and reference comparisons).
pub fn mfcc_of_log_mel(log_mel: &[f32], n_mels: usize, n_mfcc: usize) -> Vec<f32> {
    let frames = (log_mel.len() / n_mels.max(1)) as i64;
    let x = Tensor::from_slice(log_mel)
        .to_device(Device::Cpu)
        .view([frames, n_mels as i64]);
    let y = InputFeatures::Mfcc { n_mfcc }
        .apply(&x)
        .contiguous()
        .view([-1]);
    Vec::<f32>::try_from(&y).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn full_dct_is_orthonormal() {
        let n = 12;
        let d = dct_ii_ortho(n, n);
        for a in 0..n {
            for b in 0..n {
                let dot: f64 = (0..n).map(|i| d[i * n + a] * d[i * n + b]).sum();
                let expect = if a == b { 1.0 } else { 0.0 };
                assert!((dot - expect).abs() < 1e-12, "columns {a}, {b}: {dot}");
            }
        }
    }

    #[test]
    fn constant_input_has_only_a_dc_coefficient() {
        let x = vec![2.0f32; 3 * 96];
        let y = mfcc_of_log_mel(&x, 96, 20);
        assert_eq!(y.len(), 3 * 20);
        assert!((y[0] - 2.0 * 96f32.sqrt()).abs() < 1e-4, "{}", y[0]);
        assert!(y[1..20].iter().all(|v| v.abs() < 1e-4));
        assert!(InputFeatures::Mfcc { n_mfcc: 97 }.validate(96).is_err());
        assert!(InputFeatures::Mfcc { n_mfcc: 0 }.validate(96).is_err());
        assert!(InputFeatures::Mfcc { n_mfcc: 40 }.validate(96).is_ok());
    }
}
