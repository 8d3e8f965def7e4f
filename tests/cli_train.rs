//! End-to-end: train a tiny network for one epoch on a rendered synthetic data set, export it
//! into a fresh model store, then tag a clip with it through `musearch tag --model NAME` and
//! score it with `musearch eval --model NAME`, for an FCN on log-mel input, a short-chunk
//! ResNet on MFCCs and musicnn trained from scratch on log-mel input.
//!
//! Needs fluidsynth and the General-MIDI soundfont (scripts/install-system-deps.sh); without
//! them the test fails and says so.

#![cfg(feature = "torch")]

mod common;

use std::path::Path;
use std::process::Output;

use musearch_models::dataset::synth::{check_tools, SynthOptions};

/// Runs `musearch ARGS` and insists that it succeeds.
fn musearch(store: &Path, args: &[&str]) -> Output {
    let out = common::run_musearch(store, args);
    assert!(
        out.status.success(),
        "musearch {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

#[test]
fn a_trained_model_is_exported_and_tags_through_the_cli() {
    if let Err(e) = check_tools(&SynthOptions::default()) {
        panic!(
            "this test needs fluidsynth and the General-MIDI soundfont: {e} \
             (scripts/install-system-deps.sh installs both; scripts/test.sh runs it)"
        );
    }
    let dir = tempfile::tempdir().unwrap();
    let (data, store) = (dir.path().join("data"), dir.path().join("store"));
    let data_s = data.display().to_string();
    musearch(
        &store,
        &[
            "synth-dataset",
            "--clips",
            "16",
            "--seconds",
            "4",
            "--seed",
            "3",
            "--jobs",
            "2",
            "--out",
            &data_s,
        ],
    );
    let annotations = std::fs::read_to_string(data.join("annotations_final.csv")).unwrap();
    let dataset_tags: Vec<String> = annotations
        .lines()
        .next()
        .unwrap()
        .split('\t')
        .map(|t| t.trim_matches('"').to_string())
        .filter(|t| t != "clip_id" && t != "mp3_path")
        .collect();
    let clip = annotations
        .lines()
        .nth(1)
        .unwrap()
        .split('\t')
        .next_back()
        .unwrap();
    let clip = data.join(clip.trim_matches('"')).display().to_string();

    for (name, model, input) in [
        ("tiny_fcn4", "fcn4", "mel"),
        ("tiny_shortres", "shortres", "mfcc"),
        ("tiny_musicnn", "musicnn", "mel"),
    ] {
        let run = dir.path().join(format!("run-{name}")).display().to_string();
        let out = musearch(
            &store,
            &[
                "train",
                "--data",
                &data_s,
                "--model",
                model,
                "--input",
                input,
                "--narrow",
                "32",
                "--epochs",
                "1",
                "--batch-size",
                "4",
                "--frames",
                "96",
                "--device",
                "cpu",
                "--out",
                &run,
                "--export",
                name,
            ],
        );
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert!(stdout.contains(&format!("exported as {name}")), "{stdout}");
        assert!(Path::new(&run).join("loss.png").is_file());

        let out = musearch(&store, &["models", "list"]);
        let listing = String::from_utf8_lossy(&out.stdout);
        assert!(
            listing.contains(name) && listing.contains(model),
            "{listing}"
        );

        let out = musearch(
            &store,
            &["tag", "--model", name, "--device", "cpu", "--json", &clip],
        );
        let record: serde_json::Value =
            serde_json::from_str(String::from_utf8_lossy(&out.stdout).trim()).unwrap();
        assert_eq!(record["model"], name);
        let tags = record["tags"].as_array().unwrap();
        assert_eq!(tags.len(), dataset_tags.len());
        let mut names: Vec<String> = tags
            .iter()
            .map(|t| t[0].as_str().unwrap().to_string())
            .collect();
        names.sort();
        let mut expected = dataset_tags.clone();
        expected.sort();
        assert_eq!(names, expected);
        assert!(tags
            .iter()
            .all(|t| (0.0..=1.0).contains(&t[1].as_f64().unwrap())));
        assert!(!record["embedding"].as_array().unwrap().is_empty());

        let out = musearch(
            &store,
            &[
                "eval", "--data", &data_s, "--model", name, "--split", "train", "--device", "cpu",
                "--json",
            ],
        );
        let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        assert!(report.is_object(), "{report}");
    }
    // An unknown model is an error, not a panic.
    let out = common::run_musearch(&store, &["tag", "--model", "absent", &clip]);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("absent"));
}
