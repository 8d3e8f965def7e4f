//! End-to-end: `musearch tag --aggregate mean|max --taggram OUT.png` on fixture clips, with
//! MTT_musicnn imported from the musicnn wheel into a fresh store.
//!
//! Needs the unpacked musicnn wheel: see `scripts/fetch-musicnn-wheel.sh` and
//! `MUSEARCH_MUSICNN_WHEEL_DIR`.

#![cfg(feature = "torch")]

mod common;

use std::collections::BTreeMap;
use std::path::Path;

use common::{fixture, import_musicnn_ok, musearch_ok as musearch};
use musearch_models::plot::png_size;
use musearch_models::taggram::Taggram;

/// Runs `tag --json` with `aggregate` and returns, per file, the tag scores and the patches.
fn tag_json(
    store: &Path,
    aggregate: &str,
    files: &[String],
) -> Vec<(BTreeMap<String, f64>, usize)> {
    let mut args = vec!["tag", "--device", "cpu", "--json", "--aggregate", aggregate];
    args.extend(files.iter().map(String::as_str));
    let out = musearch(store, &args);
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|line| {
            let v: serde_json::Value = serde_json::from_str(line).unwrap();
            assert_eq!(v["aggregate"], aggregate);
            let tags = v["tags"]
                .as_array()
                .unwrap()
                .iter()
                .map(|p| (p[0].as_str().unwrap().to_string(), p[1].as_f64().unwrap()))
                .collect();
            (tags, v["patches"].as_u64().unwrap() as usize)
        })
        .collect()
}

#[test]
fn aggregate_and_taggram_pictures() {
    let store = tempfile::tempdir().unwrap();
    import_musicnn_ok(store.path(), &["MTT_musicnn"]);
    // Two patches, and 2 s (one repeat-padded patch).
    let files = [fixture("real_16k_mono.wav"), fixture("short_2s_16k.wav")];

    let mean = tag_json(store.path(), "mean", &files);
    let max = tag_json(store.path(), "max", &files);
    assert_eq!(mean.len(), 2);
    for ((mean, patches), (max, _)) in mean.iter().zip(&max) {
        assert_eq!(mean.len(), 50);
        for (tag, m) in mean {
            assert!(max[tag] >= *m, "{tag}: max {} < mean {m}", max[tag]);
        }
        if *patches == 1 {
            // One patch: the mean is the max.
            assert!(mean.iter().all(|(t, m)| (max[t] - m).abs() < 1e-6));
        }
    }
    assert_eq!(mean[0].1, 2);
    assert_eq!(mean[1].1, 1);
    assert!(
        mean[0]
            .0
            .iter()
            .zip(&max[0].0)
            .any(|((_, a), (_, b))| b > a),
        "several patches: max exceeds the mean somewhere"
    );

    // Several files: OUT-1.png, OUT-2.png in argument order, each of the documented size.
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("taggram.png");
    let mut args = vec!["tag", "--device", "cpu", "--taggram", out.to_str().unwrap()];
    args.extend(files.iter().map(String::as_str));
    musearch(store.path(), &args);
    for (i, (_, patches)) in mean.iter().enumerate() {
        let png = dir.path().join(format!("taggram-{}.png", i + 1));
        let size = png_size(&std::fs::read(&png).unwrap()).unwrap();
        let tags = (0..50).map(|t| t.to_string()).collect();
        let expected = Taggram::new(tags, 3.0, vec![0.0; patches * 50])
            .unwrap()
            .picture_size();
        assert_eq!(size, expected, "{}", png.display());
    }
    assert!(!out.exists());

    // One file: OUT.png itself.
    musearch(
        store.path(),
        &[
            "tag",
            "--device",
            "cpu",
            "--taggram",
            out.to_str().unwrap(),
            &files[0],
        ],
    );
    assert!(png_size(&std::fs::read(&out).unwrap()).is_some());
}
