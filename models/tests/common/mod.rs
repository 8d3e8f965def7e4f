//! Helpers shared by the integration tests that need musicnn's checkpoints.

#![allow(dead_code)]

use std::path::PathBuf;

/// The environment variable naming the unpacked musicnn wheel.
pub const WHEEL_ENV: &str = "MUSEARCH_MUSICNN_WHEEL_DIR";

/// The `musicnn/` package directory of the unpacked wheel named by `MUSEARCH_MUSICNN_WHEEL_DIR`
/// (the wheel root or the package directory itself).
///
/// Panics with instructions when it is not set or holds no checkpoints: these tests must fail,
/// not pass silently, when their data is missing.
pub fn musicnn_package_dir() -> PathBuf {
    let help = format!(
        "these tests read musicnn's TensorFlow checkpoints from the unpacked PyPI wheel: run \
         `scripts/fetch-musicnn-wheel.sh /tmp/musicnn-wheel` and set \
         {WHEEL_ENV}=/tmp/musicnn-wheel"
    );
    let root = match std::env::var_os(WHEEL_ENV) {
        Some(dir) => PathBuf::from(dir),
        None => panic!("{WHEEL_ENV} is not set; {help}"),
    };
    for dir in [root.join("musicnn"), root.clone()] {
        if dir.join("MTT_musicnn").join(".index").is_file() {
            return dir;
        }
    }
    panic!(
        "{WHEEL_ENV}={} holds no musicnn/MTT_musicnn/.index; {help}",
        root.display()
    )
}

/// The checkpoint directory of one of musicnn's four models (`MTT_musicnn`, `MTT_vgg`,
/// `MSD_musicnn`, `MSD_vgg`).
pub fn checkpoint_dir(model: &str) -> PathBuf {
    musicnn_package_dir().join(model)
}

/// Panics, saying what to install, unless fluidsynth and the General-MIDI soundfont that the
/// synthetic data set renders with are present: the tests that render must fail, not pass
/// silently, without them.
#[cfg(feature = "audio")]
pub fn require_synth_tools(opts: &musearch_models::dataset::synth::SynthOptions) {
    if let Err(e) = musearch_models::dataset::synth::check_tools(opts) {
        panic!(
            "this test needs fluidsynth and the General-MIDI soundfont: {e} \
             (scripts/install-system-deps.sh installs both; scripts/test.sh runs it)"
        );
    }
}

/// The largest absolute difference between two equally long arrays (panics on a length mismatch).
pub fn max_abs_diff(a: &[f32], b: &[f32]) -> f32 {
    assert_eq!(a.len(), b.len());
    a.iter()
        .zip(b)
        .map(|(x, y)| (x - y).abs())
        .fold(0.0, f32::max)
}
