//! End-to-end: what `musearch bench compare` does without TensorFlow (CI never has it): its
//! arguments, and a clear error, before any tagging, when the Python side is missing or lacks
//! musicnn. The comparison itself needs musicnn's Python tagger; docs/BENCHMARKS.md has its
//! figures.

mod common;

use std::process::{Command, Output};

use common::fixture;

/// Runs `musearch bench compare ARGS` without `$MUSEARCH_MUSICNN_PYTHON`.
fn compare(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_musearch"))
        .args(["bench", "compare"])
        .args(args)
        .env_remove("MUSEARCH_MUSICNN_PYTHON")
        .output()
        .expect("running musearch")
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

#[test]
fn files_are_required() {
    let out = compare(&[]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(stderr(&out).contains("FILE_OR_DIR"), "{}", stderr(&out));
}

#[test]
fn a_folder_without_audio_is_an_error() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("notes.txt"), "no audio here").unwrap();
    let out = compare(&["--python", "/usr/bin/python3", dir.path().to_str().unwrap()]);
    assert!(!out.status.success());
    assert!(
        stderr(&out).contains("no audio files found"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn no_python_named_is_a_clear_error() {
    let out = compare(&[&fixture("real_16k_mono.wav")]);
    assert!(!out.status.success());
    let err = stderr(&out);
    assert!(err.contains("--python"), "{err}");
    assert!(err.contains("MUSEARCH_MUSICNN_PYTHON"), "{err}");
    assert!(!err.contains("panicked"), "{err}");
}

#[test]
fn a_missing_python_is_named() {
    let out = compare(&[
        "--python",
        "/nonexistent/venv/bin/python",
        &fixture("real_16k_mono.wav"),
    ]);
    assert!(!out.status.success());
    let err = stderr(&out);
    assert!(err.contains("/nonexistent/venv/bin/python"), "{err}");
    assert!(err.contains("cannot run"), "{err}");
}

#[test]
fn the_environment_variable_names_the_python() {
    let out = Command::new(env!("CARGO_BIN_EXE_musearch"))
        .args(["bench", "compare", &fixture("real_16k_mono.wav")])
        .env("MUSEARCH_MUSICNN_PYTHON", "/nonexistent/from-env/python")
        .output()
        .expect("running musearch");
    assert!(!out.status.success());
    assert!(
        stderr(&out).contains("/nonexistent/from-env/python"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn a_python_without_musicnn_is_a_clear_error() {
    // The system Python: a real interpreter, without musicnn or TensorFlow.
    let python = "/usr/bin/python3";
    assert!(
        std::path::Path::new(python).exists(),
        "{python} is needed (scripts/install-system-deps.sh installs python3)"
    );
    let out = compare(&["--python", python, &fixture("real_16k_mono.wav")]);
    assert!(!out.status.success());
    let err = stderr(&out);
    assert!(err.contains("cannot import musicnn"), "{err}");
    assert!(err.contains("ModuleNotFoundError"), "{err}");
}
