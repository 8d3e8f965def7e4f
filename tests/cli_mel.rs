//! End-to-end: the `musearch mel` command on real fixture clips.

use std::path::{Path, PathBuf};
use std::process::Command;

use musearch_models::npy::read_npy_f32;

fn musearch() -> Command {
    Command::new(env!("CARGO_BIN_EXE_musearch"))
}

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fixtures/audio")
        .join(name)
}

#[test]
fn mel_writes_npy_png_and_json_summary() {
    let dir = tempfile::tempdir().unwrap();
    let (npy, png) = (dir.path().join("m.npy"), dir.path().join("m.png"));
    let out = musearch()
        .args(["mel", "--json", "--npy"])
        .arg(&npy)
        .arg("--png")
        .arg(&png)
        .arg(fixture("real_48k_stereo.opus"))
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "stderr: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let summary: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(summary["stream"]["codec"], "opus");
    assert_eq!(summary["stream"]["sample_rate"], 48000);
    assert_eq!(summary["mel_frames"], 251);
    assert_eq!(summary["patches"], 1);

    let (shape, data) = read_npy_f32(&npy).unwrap();
    assert_eq!(shape, vec![251, 96]);
    assert!(data.iter().all(|v| v.is_finite() && *v >= 0.0));
    // The same array as the librosa reference for this clip, within the resampled-input bound.
    let (_, reference) = read_npy_f32(
        &Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("fixtures/reference/frontend/real_48k_stereo.opus.logmel.npy"),
    )
    .unwrap();
    let mean = data
        .iter()
        .zip(&reference)
        .map(|(a, b)| (a - b).abs() as f64)
        .sum::<f64>()
        / data.len() as f64;
    assert!(mean < 0.01, "mean |diff| vs librosa {mean}");

    let png_bytes = std::fs::read(&png).unwrap();
    assert_eq!(&png_bytes[1..4], b"PNG");
    // 251 columns drawn 2 px wide, 96 rows 3 px high.
    let width = u32::from_be_bytes(png_bytes[16..20].try_into().unwrap());
    let height = u32::from_be_bytes(png_bytes[20..24].try_into().unwrap());
    assert_eq!((width, height), (502, 288));
}

#[test]
fn mel_on_a_bad_file_fails_with_a_clear_message() {
    let bad = fixture("bad/truncated.flac");
    let out = musearch().arg("mel").arg(&bad).output().unwrap();
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("truncated.flac") && stderr.contains("truncated"),
        "stderr: {stderr}"
    );
    assert!(!stderr.contains("panicked"), "stderr: {stderr}");
}

#[test]
fn mel_on_a_missing_file_fails_with_a_clear_message() {
    let out = musearch()
        .args(["mel", "/nonexistent/song.mp3"])
        .output()
        .unwrap();
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("/nonexistent/song.mp3") && stderr.contains("cannot read"),
        "stderr: {stderr}"
    );
}
