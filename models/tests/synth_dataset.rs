//! The synthetic data set end to end: compose, render with fluidsynth, read back with the MTT
//! loader, decode with the front-end. Fails, saying why, where fluidsynth or the General-MIDI
//! soundfont is not installed (scripts/install-system-deps.sh installs both).

#![cfg(feature = "audio")]

mod common;

use std::path::Path;

use musearch_models::audio::decode_16k;
use musearch_models::dataset::mtt::{MttDataset, TagConvention};
use musearch_models::dataset::synth::{generate, SynthOptions, SYNTH_TAGS};

#[test]
fn four_rendered_clips_read_back_with_their_labels() {
    let opts = SynthOptions {
        clips: 4,
        seconds: 2.0,
        seed: 11,
        jobs: 2,
        ..SynthOptions::default()
    };
    common::require_synth_tools(&opts);
    let dir = tempfile::tempdir().unwrap();
    let done = std::sync::atomic::AtomicUsize::new(0);
    let report = generate(dir.path(), &opts, &|| {
        done.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    })
    .unwrap();
    assert_eq!(done.into_inner(), 4);
    assert!(report.failed.is_empty(), "{:?}", report.failed);
    assert_eq!(report.written.len(), 4);

    let ds = MttDataset::open(dir.path(), TagConvention::Plain, 100).unwrap();
    assert_eq!(ds.clips.len(), 4);
    let ds = ds.select_tags(SYNTH_TAGS).unwrap_or_else(|_| {
        // Tags no clip has are still columns: the plain convention keeps zero-count columns.
        panic!("every synth tag should be a column")
    });
    for (clip, spec) in ds.clips.iter().zip(&report.written) {
        assert_eq!(clip.clip_id, spec.index as u64);
        let got: Vec<&str> = ds
            .tags
            .iter()
            .zip(&clip.labels)
            .filter(|(_, &l)| l)
            .map(|(t, _)| t.as_str())
            .collect();
        let mut want = spec.tags();
        want.sort_by_key(|t| SYNTH_TAGS.iter().position(|s| s == t));
        assert_eq!(got, want, "clip {}", clip.clip_id);
        let (pcm, info) = decode_16k(&ds.audio_path(clip)).unwrap();
        assert_eq!(info.sample_rate, 16_000);
        // fluidsynth renders at least the piece (plus the release tail).
        assert!(pcm.len() as f64 >= 16_000.0 * 1.9, "{} samples", pcm.len());
        let rms = (pcm.iter().map(|x| x * x).sum::<f32>() / pcm.len() as f32).sqrt();
        assert!(rms > 1e-3, "clip {} is silent (rms {rms})", clip.clip_id);
        assert!(Path::new(
            &dir.path()
                .join("midi")
                .join(&clip.path)
                .with_extension("mid")
        )
        .is_file());
    }
    assert!(dir.path().join("synth_clips.jsonl").is_file());
}
