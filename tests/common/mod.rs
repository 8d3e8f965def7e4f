//! Helpers shared by the end-to-end tests that run the `musearch` binary with a model store.

#![allow(dead_code)] // each test file uses a different subset

pub mod openapi_check;
pub mod server;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// The unpacked musicnn wheel named by `MUSEARCH_MUSICNN_WHEEL_DIR` (set by scripts/test.sh).
pub fn wheel_dir() -> PathBuf {
    let var = "MUSEARCH_MUSICNN_WHEEL_DIR";
    let dir = std::env::var_os(var).unwrap_or_else(|| {
        panic!(
            "{var} is not set: run `scripts/fetch-musicnn-wheel.sh /tmp/musicnn-wheel` and set \
             {var}=/tmp/musicnn-wheel"
        )
    });
    PathBuf::from(dir)
}

/// Runs `musearch ARGS` with `store` as its model store; the caller judges the outcome.
pub fn run_musearch(store: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_musearch"))
        .args(args)
        .env("MUSEARCH_HOME", store)
        .output()
        .expect("running musearch")
}

/// Runs `musearch ARGS` like [`run_musearch`] and insists that it succeeds (its stderr in the
/// failure message).
pub fn musearch_ok(store: &Path, args: &[&str]) -> Output {
    let out = run_musearch(store, args);
    assert!(
        out.status.success(),
        "musearch {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

/// Runs `musearch models import-musicnn --wheel WHEEL --model M…` into `store`; the caller
/// judges the outcome.
pub fn import_musicnn(store: &Path, wheel: &Path, models: &[&str]) -> Output {
    let mut args = vec![
        "models",
        "import-musicnn",
        "--wheel",
        wheel.to_str().expect("a UTF-8 wheel path"),
    ];
    for model in models {
        args.extend(["--model", model]);
    }
    run_musearch(store, &args)
}

/// Imports `models` from the test wheel ([`wheel_dir`]) into `store` and insists that it
/// succeeds.
pub fn import_musicnn_ok(store: &Path, models: &[&str]) -> Output {
    let out = import_musicnn(store, &wheel_dir(), models);
    assert!(
        out.status.success(),
        "importing {models:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

/// The path of a clip in `fixtures/audio/`, as a string argument.
pub fn fixture(name: &str) -> String {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fixtures/audio")
        .join(name)
        .display()
        .to_string()
}
