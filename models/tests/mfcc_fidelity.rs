//! MFCC input (`musearch train --input mfcc`) against librosa 0.11's `feature.mfcc`.
//!
//! Reference: `scripts/reference/mfcc.py`, `librosa.feature.mfcc(S=logmel.T, n_mfcc=N)` of the
//! librosa log-mel of `fixtures/audio/real_16k_mono.wav` committed by the front-end reference,
//! for N = 20 and 40 (`fixtures/reference/mfcc/`).
//!
//! * The transform alone (our DCT of librosa's log-mel): max |diff| ≤ 1e-4, float32 rounding.
//! * End to end (our front-end, then our DCT): the orthonormal DCT preserves each frame's
//!   Euclidean norm, so a bound of 1e-3 per band on the log-mel gives at most √96 · 1e-3 per
//!   coefficient. The front-end's own bound on 16 kHz input is 100 times tighter (1e-5,
//!   `frontend_fidelity.rs`); this test keeps the looser one so that it checks the DCT end to
//!   end, not the front-end twice.
#![cfg(feature = "torch")]

mod common;

use std::path::{Path, PathBuf};

use musearch_models::audio::{self, N_MELS};
use musearch_models::nets::mfcc::mfcc_of_log_mel;
use musearch_models::npy::read_npy_f32;

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../fixtures")
}

fn reference(n_mfcc: usize) -> (Vec<usize>, Vec<f32>) {
    let path = fixtures().join(format!("reference/mfcc/real_16k_mono.wav.mfcc{n_mfcc}.npy"));
    read_npy_f32(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

#[test]
fn dct_of_librosas_log_mel_matches_librosa_mfcc() {
    let (shape, log_mel) =
        read_npy_f32(&fixtures().join("reference/frontend/real_16k_mono.wav.logmel.npy")).unwrap();
    assert_eq!(shape[1], N_MELS);
    for n_mfcc in [20, 40] {
        let (ref_shape, expected) = reference(n_mfcc);
        assert_eq!(ref_shape, vec![shape[0], n_mfcc]);
        let ours = mfcc_of_log_mel(&log_mel, N_MELS, n_mfcc);
        let diff = common::max_abs_diff(&ours, &expected);
        let peak = expected.iter().fold(0.0f32, |m, v| m.max(v.abs()));
        eprintln!("n_mfcc {n_mfcc}: max |diff| {diff:e} (values up to {peak})");
        assert!(peak > 1.0, "the reference is not trivial");
        assert!(diff <= 1e-4, "n_mfcc {n_mfcc}: max |diff| {diff}");
    }
}

#[test]
fn our_front_end_and_dct_match_librosa_mfcc() {
    let (ours, _) = audio::log_mel_file(&fixtures().join("audio/real_16k_mono.wav")).unwrap();
    let (ref_shape, expected) = reference(20);
    assert_eq!(ours.n_frames, ref_shape[0]);
    let mfcc = mfcc_of_log_mel(&ours.data, N_MELS, 20);
    let diff = common::max_abs_diff(&mfcc, &expected);
    let bound = (N_MELS as f32).sqrt() * 1e-3;
    eprintln!("end to end: max |diff| {diff:e}, bound {bound:e}");
    assert!(diff <= bound, "max |diff| {diff} > {bound}");
}
