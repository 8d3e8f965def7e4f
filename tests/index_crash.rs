//! Crash safety of `musearch index`: the real binary is killed with SIGKILL at random moments,
//! again and again, then run to completion. After every kill the index must be consistent (what
//! the text index and the track store hold agree, no duplicates), nothing committed before a
//! kill may be lost, and the final index must hold every file exactly once.
//!
//! Needs the unpacked musicnn wheel (`MUSEARCH_MUSICNN_WHEEL_DIR`, as `tests/cli_models.rs`); one
//! model (MTT_musicnn) on the CPU, synthetic clips of a few seconds.

#![cfg(feature = "torch")]

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use musearch_indexer::format::TrackId;
use musearch_indexer::Index;

/// A small deterministic generator (the test prints its seed).
struct Lcg(u64);

impl Lcg {
    fn next(&mut self) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        self.0 >> 33
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

/// Writes a 16 kHz mono 16-bit WAV: a few tones and noise, different for every `seed`.
fn write_wav(path: &Path, seed: u64, secs: f32) {
    let mut rng = Lcg(seed.wrapping_mul(7919) + 1);
    let n = (16_000.0 * secs) as usize;
    let freqs: Vec<f32> = (0..3).map(|_| 80.0 + rng.below(3000) as f32).collect();
    let mut data = Vec::with_capacity(n * 2);
    for i in 0..n {
        let t = i as f32 / 16_000.0;
        let mut v: f32 = freqs
            .iter()
            .map(|f| (2.0 * std::f32::consts::PI * f * t).sin())
            .sum::<f32>()
            / 4.0;
        v += (rng.below(1000) as f32 / 1000.0 - 0.5) * 0.1;
        data.extend_from_slice(&((v * 20_000.0) as i16).to_le_bytes());
    }
    let mut out = Vec::with_capacity(44 + data.len());
    out.extend_from_slice(b"RIFF");
    out.extend_from_slice(&(36 + data.len() as u32).to_le_bytes());
    out.extend_from_slice(b"WAVEfmt ");
    out.extend_from_slice(&16u32.to_le_bytes());
    out.extend_from_slice(&1u16.to_le_bytes()); // PCM
    out.extend_from_slice(&1u16.to_le_bytes()); // mono
    out.extend_from_slice(&16_000u32.to_le_bytes());
    out.extend_from_slice(&32_000u32.to_le_bytes());
    out.extend_from_slice(&2u16.to_le_bytes());
    out.extend_from_slice(&16u16.to_le_bytes());
    out.extend_from_slice(b"data");
    out.extend_from_slice(&(data.len() as u32).to_le_bytes());
    out.extend_from_slice(&data);
    std::fs::write(path, out).unwrap();
}

fn wheel_dir() -> PathBuf {
    let var = "MUSEARCH_MUSICNN_WHEEL_DIR";
    PathBuf::from(std::env::var_os(var).unwrap_or_else(|| {
        panic!("{var} is not set: run `scripts/fetch-musicnn-wheel.sh DIR` and set {var}=DIR")
    }))
}

fn musearch() -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_musearch"));
    cmd.env_remove("MUSEARCH_INDEX").env("RUST_LOG", "warn");
    cmd
}

/// Checks the invariants of a closed index and returns its visible tracks with their paths.
fn check_index(dir: &Path) -> BTreeMap<TrackId, Vec<String>> {
    let index = Index::open(dir).expect("the index opens after a kill");
    let store = index.store();
    assert!(store.pending().unwrap().is_empty(), "reconciled on open");
    let mut text_ids = index.text().ids().unwrap();
    text_ids.sort();
    let before = text_ids.len();
    text_ids.dedup();
    assert_eq!(before, text_ids.len(), "duplicate text documents");
    let mut tracks = BTreeMap::new();
    for record in store.records() {
        let record = record.unwrap();
        assert!(!record.paths.is_empty());
        assert_eq!(record.models.len(), 1);
        assert_eq!(record.models[0].probabilities.len(), 50);
        tracks.insert(record.id, record.paths);
    }
    let store_ids: Vec<String> = tracks.keys().map(TrackId::to_hex).collect();
    assert_eq!(text_ids, store_ids, "text index and track store agree");
    let mut seen_paths = BTreeSet::new();
    for (id, paths) in &tracks {
        for p in paths {
            assert!(seen_paths.insert(p.clone()), "{p} belongs to two tracks");
            let entry = store.path_entry(p).unwrap().expect("path entry");
            assert_eq!(entry.id, Some(*id));
        }
    }
    for entry in store.paths() {
        let (path, entry) = entry.unwrap();
        if entry.id.is_some() {
            assert!(seen_paths.contains(&path), "{path}: entry without a track");
        }
    }
    tracks
}

#[test]
fn killed_at_random_times_the_index_stays_consistent() {
    let tmp = tempfile::tempdir().unwrap();
    let store = tmp.path().join("models");
    let out = musearch()
        .env("MUSEARCH_HOME", &store)
        .args([
            "models",
            "import-musicnn",
            "--model",
            "MTT_musicnn",
            "--wheel",
        ])
        .arg(wheel_dir())
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );

    // 96 distinct clips in nested folders, 6 copies (same content, other names), a bad file and
    // a non-audio file.
    let music = tmp.path().join("music");
    let mut audio_files = Vec::new();
    for i in 0..96u64 {
        let dir = music
            .join(format!("album{}", i % 6))
            .join(format!("disc{}", i % 2));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join(format!("track{i:02}.wav"));
        write_wav(&path, i, 3.5 + (i % 4) as f32);
        audio_files.push(path);
    }
    std::fs::create_dir_all(music.join("copies")).unwrap();
    for i in 0..6 {
        let to = music.join("copies").join(format!("copy{i}.wav"));
        std::fs::copy(&audio_files[i * 13], &to).unwrap();
        audio_files.push(to);
    }
    std::fs::write(music.join("copies/broken.wav"), b"RIFF\x10\0\0\0WAVEjunk").unwrap();
    std::fs::write(music.join("README.txt"), "not audio").unwrap();

    let index_dir = tmp.path().join("index");
    let report_path = tmp.path().join("report.json");
    let index_cmd = || {
        let mut cmd = musearch();
        cmd.arg("index")
            .arg(&music)
            .arg("--index")
            .arg(&index_dir)
            .arg("--store")
            .arg(&store)
            .args([
                "--model",
                "MTT_musicnn",
                "--device",
                "cpu",
                "--workers",
                "2",
            ])
            .args([
                "--batch-size",
                "8",
                "--commit-every",
                "3",
                "--commit-secs",
                "0.5",
            ])
            .arg("--report")
            .arg(&report_path)
            .stdout(Stdio::null())
            .stderr(Stdio::piped());
        cmd
    };

    let seed = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos() as u64;
    eprintln!("kill schedule seed: {seed}");
    let mut rng = Lcg(seed);
    let mut committed: BTreeSet<TrackId> = BTreeSet::new();
    let mut kills = 0;
    for round in 0..10 {
        let mut child = index_cmd().spawn().unwrap();
        let delay = Duration::from_millis(200 + rng.below(1500));
        let started = Instant::now();
        let finished = loop {
            if let Some(status) = child.try_wait().unwrap() {
                break Some(status);
            }
            if started.elapsed() >= delay {
                break None;
            }
            std::thread::sleep(Duration::from_millis(5));
        };
        match finished {
            Some(status) => {
                // It finished before its kill: fine, nothing more to interrupt.
                assert!(status.success(), "round {round} failed");
                eprintln!("round {round}: finished before the kill at {delay:?}");
                break;
            }
            None => {
                child.kill().unwrap(); // SIGKILL
                child.wait().unwrap();
                kills += 1;
            }
        }
        let tracks = check_index(&index_dir);
        let now: BTreeSet<TrackId> = tracks.keys().copied().collect();
        assert!(
            committed.is_subset(&now),
            "round {round}: committed tracks lost after a kill at {delay:?}"
        );
        eprintln!(
            "round {round}: killed after {delay:?}, {} tracks visible",
            now.len()
        );
        committed = now;
    }
    assert!(
        kills >= 1,
        "no run was interrupted; the workload is too small"
    );

    let out = index_cmd().output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let tracks = check_index(&index_dir);
    assert!(committed.is_subset(&tracks.keys().copied().collect()));
    assert_eq!(tracks.len(), 96, "one track per distinct content");
    let indexed: BTreeSet<String> = tracks.values().flatten().cloned().collect();
    let expected: BTreeSet<String> = audio_files
        .iter()
        .map(|p| {
            std::path::absolute(p)
                .unwrap()
                .to_str()
                .unwrap()
                .to_string()
        })
        .collect();
    assert_eq!(indexed, expected, "every audio file exactly once");

    let report: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&report_path).unwrap()).unwrap();
    let failed = report["failed"].as_array().unwrap();
    assert_eq!(failed.len(), 1, "{failed:?}");
    assert!(failed[0]["path"].as_str().unwrap().ends_with("broken.wav"));

    // A last run reads nothing.
    let out = index_cmd().output().unwrap();
    assert!(out.status.success());
    let report: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&report_path).unwrap()).unwrap();
    assert_eq!(report["indexed"], 0);
    assert_eq!(report["moved"], 0);
    assert_eq!(
        report["unchanged"].as_u64().unwrap() + 1,
        report["files_seen"].as_u64().unwrap()
    );

    let out = musearch()
        .args(["info", "--index"])
        .arg(&index_dir)
        .output()
        .unwrap();
    let info = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{info}");
    assert!(info.contains("tracks:         96 (102 files"), "{info}");
    assert!(info.contains("MTT_musicnn"), "{info}");
}
