//! Indexing runs on fixture clips with a small deterministic tagger (no libtorch): first run,
//! unchanged files, moves, copies, changed files, a changed model, pruning, bad files, a file
//! name that is not UTF-8, and recovery of interrupted commits.

use std::path::{Path, PathBuf};

use musearch_index::{Change, IndexError, ModelSpec, StoredPath, TrackRecord};
use musearch_indexer::{pipeline, BatchOutput, Index, Options, Report, TrackTagger};

const FIXTURES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../fixtures/audio");

/// Tags a patch by its loudness in three mel regions: deterministic, cheap, content-dependent.
struct BandTagger {
    specs: Vec<ModelSpec>,
}

impl BandTagger {
    fn new(version: &str) -> BandTagger {
        BandTagger {
            specs: vec![ModelSpec {
                name: "bands".into(),
                version: version.into(),
                tags: vec!["bass".into(), "mids".into(), "treble".into()],
                embedding_dim: 2,
            }],
        }
    }
}

impl TrackTagger for BandTagger {
    fn models(&self) -> &[ModelSpec] {
        &self.specs
    }

    fn tag_batch(&mut self, patches: &[f32], n: usize) -> Result<Vec<BatchOutput>, String> {
        let len = patches.len() / n;
        let mut probabilities = Vec::new();
        let mut embeddings = Vec::new();
        for patch in patches.chunks(len) {
            let mut bands = [0f32; 3];
            for frame in patch.chunks(96) {
                for (i, v) in frame.iter().enumerate() {
                    bands[i * 3 / 96] += v;
                }
            }
            let total: f32 = bands.iter().sum::<f32>().max(1e-6);
            probabilities.extend(bands.iter().map(|b| b / total));
            embeddings.extend([total, bands[0]]);
        }
        Ok(vec![BatchOutput {
            probabilities,
            embeddings,
        }])
    }
}

struct Setup {
    _tmp: tempfile::TempDir,
    music: PathBuf,
    index_dir: PathBuf,
}

fn setup(files: &[&str]) -> Setup {
    let tmp = tempfile::tempdir().unwrap();
    let music = tmp.path().join("music");
    std::fs::create_dir_all(music.join("sub")).unwrap();
    for (i, f) in files.iter().enumerate() {
        let to = if i % 2 == 0 {
            music.join(Path::new(f).file_name().unwrap())
        } else {
            music.join("sub").join(Path::new(f).file_name().unwrap())
        };
        std::fs::copy(Path::new(FIXTURES).join(f), to).unwrap();
    }
    let index_dir = tmp.path().join("index");
    Setup {
        music,
        index_dir,
        _tmp: tmp,
    }
}

fn run(setup: &Setup, tagger: &mut BandTagger, prune: bool) -> Report {
    let mut index = Index::open(&setup.index_dir).unwrap();
    let options = Options {
        roots: vec![setup.music.clone()],
        prune,
        workers: 2,
        batch_size: 8,
        commit_every: 2,
        ..Options::default()
    };
    let report = pipeline::run(&mut index, tagger, &options, &mut |_| {}).unwrap();
    check_consistent(&index);
    report
}

/// Both stores agree: every record visible, one text document per track, every path entry
/// pointing at a record that lists it; the stored counts equal a full recount, and the
/// statistics built on them equal a walk over the visible records.
fn check_consistent(index: &Index) {
    let store = index.store();
    assert!(store.pending().unwrap().is_empty());
    check_counts(index);
    let mut ids: Vec<String> = index.text().ids().unwrap();
    ids.sort();
    let n = ids.len();
    ids.dedup();
    assert_eq!(ids.len(), n, "duplicate text documents");
    let mut records: Vec<String> = store.records().map(|r| r.unwrap().id.to_hex()).collect();
    records.sort();
    assert_eq!(ids, records);
    for entry in store.paths() {
        let (path, entry) = entry.unwrap();
        if let Some(id) = entry.id {
            let record = store.record(&id).unwrap().expect("path points at a record");
            assert!(
                record.paths.contains(&path),
                "{path} not in {:?}",
                record.paths
            );
        }
    }
    for record in store.records() {
        for path in record.unwrap().paths {
            assert!(store.path_entry(&path).unwrap().is_some(), "{path}");
        }
    }
}

/// The stored counts against a walk over the trees, and `stats()` against the visible records.
fn check_counts(index: &Index) {
    let store = index.store();
    let counts = store.counts().unwrap();
    assert_eq!(counts, store.recount().unwrap(), "stored counts drifted");
    assert_eq!(store.len().unwrap(), store.records().count());
    assert_eq!(store.path_count().unwrap(), store.paths().count());
    let (mut tracks, mut files, mut secs) = (0, 0, 0.0);
    for record in index.visible_records() {
        let record = record.unwrap();
        tracks += 1;
        files += record.paths.len();
        secs += record.duration_secs;
    }
    let non_audio = store
        .paths()
        .filter(|e| e.as_ref().unwrap().1.id.is_none())
        .count();
    let stats = index.stats().unwrap();
    assert_eq!(
        (stats.tracks, stats.files, stats.non_audio_files),
        (tracks, files, non_audio)
    );
    // Durations are counted in whole milliseconds.
    assert!(
        (stats.hours * 3600.0 - secs).abs() <= 0.001 * tracks as f64,
        "{} h vs {secs} s",
        stats.hours
    );
}

fn record_at(index_dir: &Path, path: &Path) -> TrackRecord {
    let index = Index::open(index_dir).unwrap();
    let entry = index
        .store()
        .path_entry(StoredPath::from_path(path).as_str())
        .unwrap()
        .expect("path is indexed");
    index.store().record(&entry.id.unwrap()).unwrap().unwrap()
}

const CLIPS: [&str; 4] = [
    "short_2s_16k.wav",
    "real_16k_mono.wav",
    "real_48k_stereo.ogg",
    "real_44k_stereo.flac",
];

#[test]
fn first_run_then_unchanged() {
    let s = setup(&CLIPS);
    std::fs::write(s.music.join("notes.txt"), "liner notes").unwrap();
    let mut tagger = BandTagger::new("1");
    let r = run(&s, &mut tagger, false);
    assert_eq!(r.files_seen, 5);
    assert_eq!((r.indexed, r.not_audio, r.unchanged), (4, 1, 0), "{r:?}");
    assert!(r.failed.is_empty(), "{:?}", r.failed);
    assert!(r.audio_secs > 2.0);

    let rec = record_at(&s.index_dir, &s.music.join("sub/real_16k_mono.wav"));
    assert_eq!(rec.sample_rate, 16_000);
    assert_eq!(rec.channels, 1);
    assert_eq!(rec.models.len(), 1);
    let tags = &rec.models[0];
    assert_eq!((tags.model.as_str(), tags.version.as_str()), ("bands", "1"));
    assert_eq!(tags.probabilities.len(), 3);
    assert!((tags.probabilities.iter().sum::<f32>() - 1.0).abs() < 1e-4);
    assert_eq!(tags.embedding.len(), 2);
    assert!(tags.taggram.columns() >= 1);

    // Second run: nothing is read.
    let r = run(&s, &mut tagger, false);
    assert_eq!(
        (r.indexed, r.unchanged, r.moved, r.not_audio),
        (0, 5, 0, 0),
        "{r:?}"
    );

    let index = Index::open(&s.index_dir).unwrap();
    let stats = index.stats().unwrap();
    assert_eq!(
        (stats.tracks, stats.files, stats.non_audio_files),
        (4, 4, 1)
    );
    // Text search finds tracks by path words and by top tags.
    assert_eq!(index.text().search("flac", 10).unwrap().len(), 1);
    assert_eq!(index.text().search("tags:bass", 10).unwrap().len(), 4);
}

#[test]
fn moves_copies_and_changes() {
    let s = setup(&CLIPS);
    let mut tagger = BandTagger::new("1");
    run(&s, &mut tagger, false);
    let before = record_at(&s.index_dir, &s.music.join("real_48k_stereo.ogg"));

    // A move keeps the tags and is not decoded.
    std::fs::create_dir_all(s.music.join("moved")).unwrap();
    let moved = s.music.join("moved/renamed.ogg");
    std::fs::rename(s.music.join("real_48k_stereo.ogg"), &moved).unwrap();
    let r = run(&s, &mut tagger, false);
    assert_eq!((r.indexed, r.moved, r.unchanged), (0, 1, 3), "{r:?}");
    let after = record_at(&s.index_dir, &moved);
    assert_eq!(after.id, before.id);
    assert_eq!(after.models, before.models);
    assert_eq!(after.paths, vec![moved.to_str().unwrap().to_string()]);

    // A copy is the same track with two paths.
    let copy = s.music.join("copy.ogg");
    std::fs::copy(&moved, &copy).unwrap();
    let r = run(&s, &mut tagger, false);
    assert_eq!((r.indexed, r.moved), (0, 1), "{r:?}");
    assert_eq!(record_at(&s.index_dir, &copy).paths.len(), 2);
    assert_eq!(
        Index::open(&s.index_dir).unwrap().stats().unwrap().tracks,
        4
    );

    // Changed content at the same path is tagged again: the path moves to a new track.
    std::fs::copy(
        Path::new(FIXTURES).join("pcm_u8_16k.wav"),
        s.music.join("short_2s_16k.wav"),
    )
    .unwrap();
    let r = run(&s, &mut tagger, false);
    assert_eq!((r.indexed, r.moved), (1, 0), "{r:?}");
    let changed = record_at(&s.index_dir, &s.music.join("short_2s_16k.wav"));
    assert_eq!(changed.codec, "pcm_u8");
    // The old content had no other path: its track is gone.
    assert_eq!(
        Index::open(&s.index_dir).unwrap().stats().unwrap().tracks,
        4
    );
}

#[test]
fn changed_model_retags_everything() {
    let s = setup(&CLIPS[..2]);
    run(&s, &mut BandTagger::new("1"), false);
    let r = run(&s, &mut BandTagger::new("2"), false);
    assert_eq!((r.indexed, r.unchanged), (2, 0), "{r:?}");
    let rec = record_at(&s.index_dir, &s.music.join("short_2s_16k.wav"));
    assert_eq!(rec.models[0].version, "2");
    let r = run(&s, &mut BandTagger::new("2"), false);
    assert_eq!((r.indexed, r.unchanged), (0, 2), "{r:?}");
}

#[test]
fn prune_removes_gone_files() {
    let s = setup(&CLIPS);
    std::fs::write(s.music.join("cover.jpg"), [0xffu8, 0xd8, 0xff]).unwrap();
    let mut tagger = BandTagger::new("1");
    run(&s, &mut tagger, false);
    std::fs::remove_file(s.music.join("real_48k_stereo.ogg")).unwrap();
    std::fs::remove_file(s.music.join("cover.jpg")).unwrap();
    // Without --prune the track stays.
    let r = run(&s, &mut tagger, false);
    assert_eq!(r.pruned_tracks, 0);
    assert_eq!(
        Index::open(&s.index_dir).unwrap().stats().unwrap().tracks,
        4
    );
    let r = run(&s, &mut tagger, true);
    assert_eq!((r.pruned_files, r.pruned_tracks), (2, 1), "{r:?}");
    let index = Index::open(&s.index_dir).unwrap();
    assert_eq!(index.stats().unwrap().tracks, 3);
    assert_eq!(index.text().num_docs(), 3);
    assert!(index.text().search("ogg", 10).unwrap().is_empty());
}

/// A Latin-1 name (`caf\xe9.wav`, not UTF-8) is indexed through its bytes: found by its exact
/// path, unchanged on the next run (not decoded again), gone when the file is deleted.
#[cfg(unix)]
#[test]
fn a_file_name_that_is_not_utf8_is_indexed_through_its_bytes() {
    use std::os::unix::ffi::OsStrExt;
    let s = setup(&CLIPS[..1]);
    let latin = s.music.join(std::ffi::OsStr::from_bytes(b"caf\xe9.wav"));
    assert!(latin.to_str().is_none());
    std::fs::copy(Path::new(FIXTURES).join("real_16k_mono.wav"), &latin).unwrap();
    let mut tagger = BandTagger::new("1");
    let r = run(&s, &mut tagger, false);
    assert!(r.failed.is_empty(), "{:?}", r.failed);
    assert_eq!((r.files_seen, r.indexed), (2, 2), "{r:?}");

    let record = record_at(&s.index_dir, &latin);
    assert_eq!(record.sample_rate, 16_000);
    assert_eq!(record.paths.len(), 1);
    let stored = StoredPath::from_stored(record.paths[0].clone());
    assert!(stored.is_escaped());
    assert_eq!(
        stored.to_path_buf(),
        latin,
        "the stored path opens the file"
    );
    assert!(stored.display().ends_with("caf\u{FFFD}.wav"));
    let index = Index::open(&s.index_dir).unwrap();
    assert_eq!(index.text().search("caf", 10).unwrap().len(), 1);
    drop(index);

    // Re-indexing is incremental: nothing is decoded or tagged again.
    let r = run(&s, &mut tagger, false);
    assert_eq!((r.indexed, r.unchanged, r.moved), (0, 2, 0), "{r:?}");

    // Deleted: pruned with its track.
    std::fs::remove_file(&latin).unwrap();
    let r = run(&s, &mut tagger, true);
    assert_eq!((r.pruned_files, r.pruned_tracks), (1, 1), "{r:?}");
    let index = Index::open(&s.index_dir).unwrap();
    assert!(index.store().path_entry(stored.as_str()).unwrap().is_none());
    assert_eq!(index.stats().unwrap().tracks, 1);
}

#[test]
fn bad_files_are_reported_and_the_run_goes_on() {
    let s = setup(&[
        "short_2s_16k.wav",
        "bad/text.wav",
        "bad/garbage.ogg",
        "bad/empty.mp3",
        "bad/unsupported_container.wma",
        "bad/truncated.flac",
    ]);
    let r = run(&s, &mut BandTagger::new("1"), false);
    assert!(r.indexed >= 1, "{r:?}");
    let failed: Vec<&str> = r
        .failed
        .iter()
        .map(|f| Path::new(&f.path).file_name().unwrap().to_str().unwrap())
        .collect();
    for name in [
        "text.wav",
        "garbage.ogg",
        "empty.mp3",
        "unsupported_container.wma",
    ] {
        assert!(failed.contains(&name), "{name} not in {:?}", r.failed);
    }
    for f in &r.failed {
        assert!(
            f.message.contains(&f.path),
            "the message names the file: {f:?}"
        );
        assert!(!f.code.is_empty());
    }
    let json = serde_json::to_value(&r).unwrap();
    assert_eq!(json["failed"].as_array().unwrap().len(), r.failed.len());
}

#[test]
fn interrupted_commits_are_completed_on_open() {
    let s = setup(&CLIPS[..2]);
    run(&s, &mut BandTagger::new("1"), false);
    let path = s.music.join("short_2s_16k.wav");
    let mut rec = record_at(&s.index_dir, &path);
    {
        // Phase 1 only, as if killed before the text commit: the track is invisible.
        let mut index = Index::open(&s.index_dir).unwrap();
        rec.metadata.title = Some("Zanzibar".into());
        index
            .apply(&Change {
                upserts: vec![rec.clone()],
                ..Change::default()
            })
            .unwrap();
        assert!(!index.store().is_visible(&rec.id).unwrap());
    }
    let index = Index::open(&s.index_dir).unwrap();
    assert_eq!(index.reconciled_on_open().completed, 1);
    check_consistent(&index);
    assert_eq!(index.text().search("zanzibar", 10).unwrap(), vec![rec.id]);
}

#[test]
fn signal_facts_are_measured_once_and_missing_ones_without_tagging_again() {
    let s = setup(&CLIPS);
    let mut tagger = BandTagger::new("1");
    let r = run(&s, &mut tagger, false);
    assert_eq!((r.indexed, r.measured), (4, 0), "{r:?}");
    let path = s.music.join("sub/real_16k_mono.wav");
    let before = record_at(&s.index_dir, &path);
    let signal = before.signal.expect("measured while tagging");
    assert!(
        signal.rms_dbfs > -40.0 && signal.rms_dbfs < 0.0,
        "{signal:?}"
    );
    assert!((0.0..0.5).contains(&signal.silent_share), "{signal:?}");

    // An index from before signal facts (schema 2): the records have none.
    {
        let mut index = Index::open(&s.index_dir).unwrap();
        let upserts: Vec<TrackRecord> = index
            .store()
            .records()
            .map(|r| {
                let mut r = r.unwrap();
                r.signal = None;
                r
            })
            .collect();
        assert_eq!(upserts.len(), 4);
        index
            .apply(&Change {
                upserts,
                ..Change::default()
            })
            .unwrap();
        index.commit().unwrap();
    }
    // The next run measures them, and tags nothing again.
    let r = run(&s, &mut tagger, false);
    assert_eq!((r.indexed, r.measured, r.unchanged), (0, 4, 0), "{r:?}");
    let after = record_at(&s.index_dir, &path);
    assert_eq!(after.signal, Some(signal));
    assert_eq!(after.models, before.models);
    assert_eq!(after.indexed_at, before.indexed_at);
    // And then the files are unchanged again.
    let r = run(&s, &mut tagger, false);
    assert_eq!((r.indexed, r.measured, r.unchanged), (0, 0, 4), "{r:?}");
}

#[test]
fn schema_change_is_a_clear_error() {
    let s = setup(&CLIPS[..1]);
    run(&s, &mut BandTagger::new("1"), false);
    {
        let db = sled::open(s.index_dir.join("store")).unwrap();
        db.open_tree("meta")
            .unwrap()
            .insert("schema_version", &99u32.to_le_bytes())
            .unwrap();
        db.flush().unwrap();
    }
    match Index::open(&s.index_dir) {
        Err(e @ IndexError::SchemaMismatch { found: 99, .. }) => {
            let msg = e.to_string();
            assert!(msg.contains("schema version 99"), "{msg}");
        }
        other => panic!("expected a schema mismatch, got {other:?}"),
    }
}

#[test]
fn counts_stay_right_across_runs_pruning_and_reopening() {
    let s = setup(&CLIPS);
    std::fs::write(s.music.join("cover.jpg"), [0xffu8, 0xd8, 0xff]).unwrap();
    let mut tagger = BandTagger::new("1");
    run(&s, &mut tagger, false);
    let counts = |dir: &Path| Index::open(dir).unwrap().store().counts().unwrap();
    let first = counts(&s.index_dir);
    assert_eq!(
        (
            first.tracks,
            first.paths,
            first.non_audio_paths,
            first.track_paths
        ),
        (4, 5, 1, 4)
    );
    assert!(first.duration_ms > 2_000);

    // Unchanged: the same counts after the run and after reopening.
    run(&s, &mut tagger, false);
    assert_eq!(counts(&s.index_dir), first);

    // A copy adds a path to a track, not a track; a retag rewrites records without changing any
    // count.
    std::fs::copy(
        s.music.join("real_48k_stereo.ogg"),
        s.music.join("copy.ogg"),
    )
    .unwrap();
    run(&s, &mut tagger, false);
    let copied = counts(&s.index_dir);
    assert_eq!((copied.tracks, copied.paths, copied.track_paths), (4, 6, 5));
    assert_eq!(copied.duration_ms, first.duration_ms);
    run(&s, &mut BandTagger::new("2"), false);
    assert_eq!(counts(&s.index_dir), copied);

    // Pruning: one track's only file and the non-audio file are gone.
    std::fs::remove_file(s.music.join("short_2s_16k.wav")).unwrap();
    std::fs::remove_file(s.music.join("cover.jpg")).unwrap();
    let r = run(&s, &mut BandTagger::new("2"), true);
    assert_eq!((r.pruned_files, r.pruned_tracks), (2, 1), "{r:?}");
    let pruned = counts(&s.index_dir);
    assert_eq!(
        (
            pruned.tracks,
            pruned.paths,
            pruned.non_audio_paths,
            pruned.track_paths
        ),
        (3, 4, 0, 4)
    );
    assert!(pruned.duration_ms < copied.duration_ms);
    let index = Index::open(&s.index_dir).unwrap();
    check_consistent(&index);
    assert_eq!(index.stats().unwrap().tracks, 3);
}

#[test]
fn counts_of_pending_updates_and_of_an_index_without_counts() {
    let s = setup(&CLIPS[..2]);
    run(&s, &mut BandTagger::new("1"), false);
    let path = s.music.join("short_2s_16k.wav");
    let rec = record_at(&s.index_dir, &path);
    {
        // Phase 1 only, as if killed before the text commit: the counts include the pending
        // removal's record, the statistics do not show it.
        let mut index = Index::open(&s.index_dir).unwrap();
        index
            .apply(&Change {
                removes: vec![rec.id],
                unset_paths: vec![path.to_str().unwrap().to_string()],
                ..Change::default()
            })
            .unwrap();
        let counts = index.store().counts().unwrap();
        assert_eq!((counts.tracks, counts.paths), (2, 1));
        assert_eq!(index.stats().unwrap().tracks, 1);
        assert_eq!(index.stats().unwrap().pending, 1);
    }
    // Reopening completes the removal and counts it out.
    let index = Index::open(&s.index_dir).unwrap();
    assert_eq!(index.reconciled_on_open().completed, 1);
    check_consistent(&index);
    assert_eq!(index.store().len().unwrap(), 1);
    let expected = index.store().counts().unwrap();
    drop(index);

    // An index written before the counts existed gets them counted on its first open.
    {
        let db = sled_open(&s.index_dir.join("store"));
        db.open_tree("meta").unwrap().remove("counts").unwrap();
        db.flush().unwrap();
    }
    let index = Index::open(&s.index_dir).unwrap();
    assert_eq!(index.store().counts().unwrap(), expected);
    check_consistent(&index);
}

/// Opens the raw sled database of a just-closed index (sled lets go of its lock a moment after).
fn sled_open(dir: &Path) -> sled::Db {
    for _ in 0..100 {
        if let Ok(db) = sled::open(dir) {
            return db;
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    sled::open(dir).unwrap()
}

/// A [`BandTagger`] that takes `delay` per batch, as a CNN on a slow machine does.
struct SlowTagger {
    inner: BandTagger,
    delay: std::time::Duration,
}

impl TrackTagger for SlowTagger {
    fn models(&self) -> &[ModelSpec] {
        self.inner.models()
    }

    fn tag_batch(&mut self, patches: &[f32], n: usize) -> Result<Vec<BatchOutput>, String> {
        std::thread::sleep(self.delay);
        self.inner.tag_batch(patches, n)
    }
}

#[test]
fn progress_moves_while_one_long_file_is_decoded() {
    let s = setup(&["real_44k_stereo.flac"]);
    let mut index = Index::open(&s.index_dir).unwrap();
    let options = Options {
        roots: vec![s.music.clone()],
        workers: 1,
        batch_size: 1,
        ..Options::default()
    };
    let mut tagger = SlowTagger {
        inner: BandTagger::new("1"),
        delay: std::time::Duration::from_millis(1500),
    };
    let mut seen = Vec::new();
    let report = pipeline::run(&mut index, &mut tagger, &options, &mut |p| {
        seen.push(p.clone())
    })
    .unwrap();
    assert_eq!(report.indexed, 1);
    // Before the one file settles, the callback has come (every second) with the audio decoded
    // so far; at the end, all of the file's audio is counted.
    let before: Vec<_> = seen.iter().filter(|p| p.done == 0).collect();
    assert!(
        !before.is_empty(),
        "no progress before the file settled: {seen:?}"
    );
    assert!(before.iter().any(|p| p.audio_secs > 0.0), "{seen:?}");
    let last = seen.last().unwrap();
    assert_eq!(last.done, 1);
    assert!(
        (last.audio_secs - report.audio_secs).abs() < 0.1,
        "{last:?} vs {}",
        report.audio_secs
    );
}

#[test]
fn a_track_shorter_than_one_patch_is_reported() {
    let s = setup(&["short_2s_16k.wav", "real_44k_stereo.flac"]);
    let r = run(&s, &mut BandTagger::new("1"), false);
    assert_eq!(r.indexed, 2, "{r:?}");
    let warned: Vec<(&str, &str)> = r
        .warnings
        .iter()
        .map(|w| {
            (
                Path::new(&w.path).file_name().unwrap().to_str().unwrap(),
                w.code.as_str(),
            )
        })
        .collect();
    assert_eq!(warned, [("short_2s_16k.wav", "shorter_than_a_patch")]);
    let stored = record_at(&s.index_dir, &s.music.join("short_2s_16k.wav")).warnings;
    assert_eq!(stored.len(), 1, "{stored:?}");
    assert_eq!(stored[0].code, "shorter_than_a_patch");
    assert!(
        r.summary().contains("indexed with a warning: 1"),
        "{}",
        r.summary()
    );
}

/// A music folder with `real_48k_stereo.ogg` cut at 60 % (`cut.ogg`, no declared length: the
/// last page shows it; its headers fill the first third of this small file) and `bad/truncated.flac` (its header declares more than it holds).
fn truncated_setup() -> Setup {
    let s = setup(&["bad/truncated.flac"]);
    let whole = std::fs::read(Path::new(FIXTURES).join("real_48k_stereo.ogg")).unwrap();
    std::fs::write(s.music.join("cut.ogg"), &whole[..whole.len() * 6 / 10]).unwrap();
    s
}

fn run_truncated(s: &Setup, refuse_truncated: bool) -> Report {
    let mut index = Index::open(&s.index_dir).unwrap();
    let options = Options {
        roots: vec![s.music.clone()],
        workers: 2,
        batch_size: 8,
        refuse_truncated,
        ..Options::default()
    };
    let report = pipeline::run(&mut index, &mut BandTagger::new("1"), &options, &mut |_| {});
    check_consistent(&index);
    report.unwrap()
}

#[test]
fn a_truncated_file_is_indexed_with_a_warning() {
    let s = truncated_setup();
    let r = run_truncated(&s, false);
    assert_eq!((r.indexed, r.failed.len()), (2, 0), "{r:?}");
    for name in ["cut.ogg", "truncated.flac"] {
        let w = r
            .warnings
            .iter()
            .find(|w| w.path.ends_with(name) && w.code == "truncated")
            .unwrap_or_else(|| panic!("no warning for {name}: {:?}", r.warnings));
        assert!(
            w.message.contains(&w.path) && w.message.contains("decoded"),
            "{w:?}"
        );
    }
    let cut = record_at(&s.index_dir, &s.music.join("cut.ogg"));
    assert!(
        cut.duration_secs > 0.5 && cut.duration_secs < 3.0,
        "{cut:?}"
    );
    assert_eq!(cut.warnings[0].code, "truncated");
    let flac = record_at(&s.index_dir, &s.music.join("truncated.flac"));
    assert!(
        flac.warnings[0].message.contains("its header declares"),
        "{:?}",
        flac.warnings
    );
    assert!(!flac.warnings[0].message.contains('/'), "no path stored");
}

#[test]
fn refuse_truncated_keeps_the_refusal() {
    let s = truncated_setup();
    let r = run_truncated(&s, true);
    assert_eq!(r.indexed, 0, "{r:?}");
    let mut failed: Vec<(&str, &str)> = r
        .failed
        .iter()
        .map(|f| {
            let name = Path::new(&f.path).file_name().unwrap().to_str().unwrap();
            (name, f.code.as_str())
        })
        .collect();
    failed.sort();
    assert_eq!(
        failed,
        [("cut.ogg", "truncated"), ("truncated.flac", "truncated")]
    );
}
