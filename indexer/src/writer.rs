//! The writer side of a run (the calling thread, the index's only writer): turns each outcome
//! into an atomic [`Change`] of the track store, commits periodically, and prunes.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::Instant;

use crossbeam_channel::{Receiver, RecvTimeoutError};

use musearch_index::{
    display_path, os_path, Change, IndexError, PathEntry, SignalFacts, TrackId, TrackRecord,
    TrackStore,
};

use crate::error::IndexerError;
use crate::index::Index;
use crate::pipeline::{Options, Outcome, Progress, PROGRESS_TICK, SECS_PER_FRAME};
use crate::report::Report;
use crate::scan::FoundFile;

/// The writer: settles each outcome in the index, committing every `commit_every` changes or
/// `commit_interval`.
pub(crate) fn write_loop(
    index: &mut Index,
    rx: &Receiver<Outcome>,
    options: &Options,
    report: &mut Report,
    // Files found, whether the scan is done, log-mel frames decoded.
    (found, scan_done, decoded_frames): (&AtomicU64, &AtomicBool, &AtomicU64),
    progress: &mut dyn FnMut(&Progress),
) -> Result<(), IndexerError> {
    let mut since_commit = 0usize;
    let mut last_commit = Instant::now();
    let now = |report: &Report| Progress {
        found: found.load(Ordering::SeqCst),
        scan_done: scan_done.load(Ordering::SeqCst),
        done: report.files_done(),
        failed: report.failed.len() as u64,
        audio_secs: decoded_frames.load(Ordering::Relaxed) as f64 * SECS_PER_FRAME,
    };
    loop {
        let outcome = match rx.recv_timeout(PROGRESS_TICK) {
            Ok(outcome) => outcome,
            // Nothing settled for a while (one long file decoding): the progress still moves.
            Err(RecvTimeoutError::Timeout) => {
                progress(&now(report));
                continue;
            }
            Err(RecvTimeoutError::Disconnected) => break,
        };
        let change = match outcome {
            Outcome::Unchanged => {
                report.unchanged += 1;
                None
            }
            Outcome::Failed(f) => {
                tracing::debug!("failed: {}", f.message);
                report.failed.push(f);
                None
            }
            Outcome::Fatal(e) => return Err(e),
            Outcome::NotAudio(file) => {
                report.not_audio += 1;
                Some(settle(index.store(), &file, None)?.0)
            }
            Outcome::Known(file, id) => {
                let (change, new_path) = settle(index.store(), &file, Some((id, None)))?;
                if new_path {
                    report.moved += 1;
                } else {
                    report.unchanged += 1;
                }
                Some(change)
            }
            Outcome::Measured(file, id, signal) => {
                report.measured += 1;
                let stored = index.store().record(&id)?;
                let record = stored.map(|mut r| {
                    // A stream without samples still gets facts, so it is not measured again.
                    r.signal = Some(signal.unwrap_or(SignalFacts {
                        rms_dbfs: -120.0,
                        silent_share: 1.0,
                    }));
                    r
                });
                Some(settle(index.store(), &file, Some((id, record)))?.0)
            }
            Outcome::Tagged(record, file) => {
                report.indexed += 1;
                report.audio_secs += record.duration_secs;
                report
                    .warnings
                    .extend(record.warnings.iter().map(|w| crate::report::Failure {
                        path: display_path(&file.path).into_owned(),
                        code: w.code.clone(),
                        message: format!("{}: {}", display_path(&file.path), w.message),
                    }));
                Some(settle(index.store(), &file, Some((record.id, Some(*record))))?.0)
            }
        };
        if let Some(change) = change.filter(|c| !c.is_empty()) {
            index.apply(&change)?;
            since_commit += 1;
        }
        if since_commit > 0
            && (since_commit >= options.commit_every
                || last_commit.elapsed() >= options.commit_interval)
        {
            index.commit()?;
            since_commit = 0;
            last_commit = Instant::now();
        }
        progress(&now(report));
    }
    Ok(())
}

/// Whether a stored path's file is gone (other errors, such as permissions, do not count).
fn is_gone(path: &str) -> bool {
    matches!(std::fs::metadata(os_path(path)), Err(e) if e.kind() == std::io::ErrorKind::NotFound)
}

/// The change that records `file` as holding `track` (`None`: not audio): its path entry, the
/// track's record (a freshly tagged one, or the stored one gaining this path; stored paths whose
/// files are gone are dropped, which is how a move keeps its tags), and the path's removal from
/// the track it held before, if another. Also says whether the path is new to the track.
fn settle(
    store: &TrackStore,
    file: &FoundFile,
    track: Option<(TrackId, Option<TrackRecord>)>,
) -> Result<(Change, bool), IndexerError> {
    let mut change = Change::default();
    let id = track.as_ref().map(|(id, _)| *id);
    if let Some(PathEntry { id: Some(old), .. }) = store.path_entry(&file.path)? {
        if Some(old) != id {
            detach(store, old, std::slice::from_ref(&file.path), &mut change)?;
        }
    }
    change.set_paths.push((
        file.path.clone(),
        PathEntry {
            id,
            size: file.size,
            mtime_ns: file.mtime_ns,
        },
    ));
    let Some((id, tagged)) = track else {
        return Ok((change, true));
    };
    let retagged = tagged.is_some();
    let mut record = match (tagged, store.record(&id)?) {
        (Some(mut new), Some(old)) => {
            new.paths = old.paths;
            new
        }
        (Some(new), None) => new,
        (None, Some(old)) => old,
        (None, None) => {
            return Err(IndexError::Corrupt {
                what: "track record",
                reason: format!(
                    "{id} vanished while {} was being indexed",
                    display_path(&file.path)
                ),
            }
            .into())
        }
    };
    let before = record.paths.len();
    let new_path = !record.paths.contains(&file.path);
    let (keep, gone): (Vec<String>, Vec<String>) = record
        .paths
        .drain(..)
        .partition(|p| *p == file.path || !is_gone(p));
    record.paths = keep;
    if new_path {
        record.paths.push(file.path.clone());
        record.paths.sort();
    }
    let changed = retagged || new_path || record.paths.len() != before;
    change.unset_paths.extend(gone);
    if changed {
        change.upserts.push(record);
    }
    Ok((change, new_path))
}

/// Adds to `change` the removal of `paths` from track `id` (and of the track, when no path is
/// left). Returns whether the track goes.
fn detach(
    store: &TrackStore,
    id: TrackId,
    paths: &[String],
    change: &mut Change,
) -> Result<bool, IndexerError> {
    let Some(mut record) = store.record(&id)? else {
        return Ok(false);
    };
    record.paths.retain(|p| !paths.contains(p));
    if record.paths.is_empty() {
        change.removes.push(id);
        Ok(true)
    } else {
        change.upserts.push(record);
        Ok(false)
    }
}

/// `--prune`: removes every path whose file is gone, and the tracks left without a file.
pub(crate) fn prune(index: &mut Index, report: &mut Report) -> Result<(), IndexerError> {
    let mut gone: HashMap<Option<TrackId>, Vec<String>> = HashMap::new();
    for entry in index.store().paths() {
        let (path, entry) = entry?;
        if is_gone(&path) {
            gone.entry(entry.id).or_default().push(path);
        }
    }
    for (id, paths) in gone {
        let mut change = Change::default();
        report.pruned_files += paths.len() as u64;
        if let Some(id) = id {
            if detach(index.store(), id, &paths, &mut change)? {
                report.pruned_tracks += 1;
            }
        }
        change.unset_paths = paths;
        index.apply(&change)?;
    }
    index.commit()?;
    Ok(())
}
