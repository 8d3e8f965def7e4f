//! The summary of an indexing run: counts, the files that failed and why, written as JSON by
//! `musearch index --report FILE.json`.

use std::path::PathBuf;

use serde::Serialize;

use crate::index::Reconciled;

/// A file that could not be indexed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Failure {
    /// The file, for people (bytes of its name that are not UTF-8 shown as U+FFFD).
    pub path: String,
    /// A short stable code (`truncated`, `unsupported_codec`, `io`, `scan` …; see
    /// `musearch_models::audio::AudioError::code`).
    pub code: String,
    /// The full message.
    pub message: String,
}

/// What a run did.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Report {
    /// The directories indexed.
    pub roots: Vec<PathBuf>,
    /// The index.
    pub index: PathBuf,
    /// The taggers, as `name@version`.
    pub models: Vec<String>,
    /// Regular files found.
    pub files_seen: u64,
    /// Files decoded and tagged (new or changed content, or a changed model).
    pub indexed: u64,
    /// Files already tagged by the current models that were decoded once more only to measure
    /// the signal facts their records lacked (an index from before schema 3). Not tagged again.
    pub measured: u64,
    /// Files whose content was already indexed: moved, copied or touched. Not decoded.
    pub moved: u64,
    /// Files unchanged since the last run (same size and modification time): not read.
    pub unchanged: u64,
    /// Files that are not audio (probed by content), remembered and skipped while unchanged.
    pub not_audio: u64,
    /// Files that could not be indexed, with the reason.
    pub failed: Vec<Failure>,
    /// Files indexed with a warning (`truncated`: the file ends before its container says it
    /// should, and what decoded was indexed; `shorter_than_a_patch`: less audio than one 3-s
    /// patch, so the tagger saw it repeated to fill one). The track's record keeps them too.
    pub warnings: Vec<Failure>,
    /// Paths removed by `--prune` because their files are gone.
    pub pruned_files: u64,
    /// Tracks removed by `--prune` (no file of theirs is left).
    pub pruned_tracks: u64,
    /// Seconds of audio decoded and tagged.
    pub audio_secs: f64,
    /// Wall-clock seconds of the run.
    pub elapsed_secs: f64,
    /// Visible tracks in the index after the run.
    pub tracks_in_index: usize,
    /// What opening the index repaired after an interrupted run.
    pub reconciled: Reconciled,
}

impl Report {
    /// Files handled so far (every outcome but pruning).
    pub fn files_done(&self) -> u64 {
        self.indexed
            + self.measured
            + self.moved
            + self.unchanged
            + self.not_audio
            + self.failed.len() as u64
    }

    /// A few lines for the terminal.
    pub fn summary(&self) -> String {
        let mut out = format!(
            "{} files: {} indexed, {} moved or copied, {} unchanged, {} not audio, {} failed",
            self.files_seen,
            self.indexed,
            self.moved,
            self.unchanged,
            self.not_audio,
            self.failed.len()
        );
        if self.measured > 0 {
            out += &format!("; {} measured (signal facts, not re-tagged)", self.measured);
        }
        if self.pruned_files > 0 || self.pruned_tracks > 0 {
            out += &format!(
                "; pruned {} files, {} tracks",
                self.pruned_files, self.pruned_tracks
            );
        }
        out += &format!(
            "\n{:.1} min of audio tagged in {:.1} s; {} tracks in the index",
            self.audio_secs / 60.0,
            self.elapsed_secs,
            self.tracks_in_index
        );
        let mut codes: Vec<(&str, usize)> = Vec::new();
        for f in &self.failed {
            match codes.iter_mut().find(|(c, _)| *c == f.code) {
                Some((_, n)) => *n += 1,
                None => codes.push((&f.code, 1)),
            }
        }
        for (code, n) in codes {
            out += &format!("\nfailed ({code}): {n}");
        }
        if !self.warnings.is_empty() {
            out += &format!("\nindexed with a warning: {}", self.warnings.len());
            for w in self.warnings.iter().take(20) {
                out += &format!("\n  {}", w.message);
            }
        }
        for f in self.failed.iter().take(20) {
            out += &format!("\n  {}", f.message);
        }
        if self.failed.len() > 20 {
            out += &format!("\n  … {} more (see --report)", self.failed.len() - 20);
        }
        out
    }
}
