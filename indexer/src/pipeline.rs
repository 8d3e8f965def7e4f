//! The indexing run: scan → probe, hash, decode and log-mel (worker pool) → networks in batches
//! (one tagging thread) → the index (the calling thread, the only writer).
//!
//! ```text
//! scanner ──jobs (bounded)──▶ workers ×N ──patches (bounded)──▶ tagger ──┐
//!    │                          │                                          ├─outcomes (bounded)─▶ writer
//!    └──────────────────────────┴──────────────────────────────────────────┘
//! ```
//!
//! Every queue is bounded, and a worker streams a file's patches a few at a time, so memory stays
//! flat whatever the catalog's size or a file's length. Unchanged files (same size and
//! modification time as recorded, and tagged by the current models) are settled by the scanner
//! without being opened. A file whose content hash is already in the index (a move or a copy) is
//! not decoded. A track tagged by the current models but without signal facts (indexed before
//! they existed) is decoded once to measure them, without running the networks. A bad file
//! becomes a [`Failure`] in the report and the run goes on.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use crossbeam_channel::{bounded, Receiver, Sender, TryRecvError};
use musearch_models::audio::{
    measure_loudness, stream_log_mel_from, AudioDecoder, AudioError, FileSummary, LogMel, Loudness,
    N_MELS, PATCH_FRAMES,
};

use musearch_index::{
    ModelSpec, ModelTags, SignalFacts, TrackId, TrackRecord, TrackStore, TrackWarning,
};

use crate::error::IndexerError;
use crate::index::Index;
use crate::metadata::metadata_from_tags;
use crate::report::{Failure, Report};
use crate::scan::{self, FoundFile, ScanItem};
use crate::tagger::{TrackTagger, TrackTags};
use crate::writer;

/// Seconds of one tagger patch (187 frames of 16 ms).
const PATCH_SECS: f64 = 3.0;

/// Values in one patch.
const PATCH_LEN: usize = PATCH_FRAMES * N_MELS;

/// Extensions of audio formats: a file with one of these that does not probe as audio is a
/// failure (a broken audio file), any other such file is simply not audio.
const AUDIO_EXTENSIONS: &[&str] = &[
    "aac", "aif", "aifc", "aiff", "alac", "caf", "flac", "m4a", "m4b", "mka", "mp2", "mp3", "mp4",
    "oga", "ogg", "opus", "wav", "wave", "webm", "wma", "wv",
];

/// How an indexing run behaves.
#[derive(Debug, Clone)]
pub struct Options {
    /// Directories to index.
    pub roots: Vec<PathBuf>,
    /// Remove tracks whose files are gone (anywhere in the index, not only under `roots`).
    pub prune: bool,
    /// Decoding threads.
    pub workers: usize,
    /// Patches per forward pass.
    pub batch_size: usize,
    /// Patches a worker sends at a time (and the depth of the patch queue, in messages).
    pub chunk_patches: usize,
    /// Commit (make visible) after this many changed files …
    pub commit_every: usize,
    /// … or after this long, whichever comes first.
    pub commit_interval: Duration,
    /// Refuse a truncated file (a failure in the report) instead of indexing what decoded with a
    /// `truncated` warning (the default).
    pub refuse_truncated: bool,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            roots: Vec::new(),
            prune: false,
            workers: std::thread::available_parallelism().map_or(2, |n| n.get()),
            batch_size: 32,
            chunk_patches: 16,
            commit_every: 256,
            commit_interval: Duration::from_secs(10),
            refuse_truncated: false,
        }
    }
}

/// Where a run is, for a progress bar.
#[derive(Debug, Clone, Default)]
pub struct Progress {
    /// Files found so far.
    pub found: u64,
    /// Whether the scan has finished (then `found` is the total).
    pub scan_done: bool,
    /// Files settled (any outcome).
    pub done: u64,
    /// Files that failed so far.
    pub failed: u64,
    /// Seconds of audio decoded so far, files still being decoded included: it moves while one
    /// long file decodes, between two settled files.
    pub audio_secs: f64,
}

/// Seconds of audio per log-mel frame (a 256-sample hop at 16 kHz).
pub(crate) const SECS_PER_FRAME: f64 = 256.0 / 16_000.0;

/// How often the progress callback is called while no file settles.
pub(crate) const PROGRESS_TICK: Duration = Duration::from_secs(1);

/// A file for the workers.
#[derive(Debug)]
struct Job {
    seq: u64,
    file: FoundFile,
}

/// A track a worker has decoded, waiting for its last patches to be tagged.
#[derive(Debug)]
struct Decoded {
    file: FoundFile,
    id: TrackId,
    summary: FileSummary,
}

/// Worker → tagger.
enum TagMsg {
    Patches { seq: u64, data: Vec<f32> },
    Done { seq: u64, decoded: Box<Decoded> },
    Failed { seq: u64, failure: Failure },
}

/// Anything → writer.
pub(crate) enum Outcome {
    Unchanged,
    NotAudio(FoundFile),
    Failed(Failure),
    Known(FoundFile, TrackId),
    /// A known track (tagged by the current models) measured for the signal facts it lacked.
    Measured(FoundFile, TrackId, Option<SignalFacts>),
    Tagged(Box<TrackRecord>, FoundFile),
    Fatal(IndexerError),
}

/// Runs the pipeline over `options.roots` into `index` with `tagger`, calling `progress` after
/// every settled file. Returns the report; fails only when the index itself fails (a bad file is a
/// [`Failure`] in the report).
pub fn run(
    index: &mut Index,
    tagger: &mut dyn TrackTagger,
    options: &Options,
    progress: &mut dyn FnMut(&Progress),
) -> Result<Report, IndexerError> {
    let started = Instant::now();
    let roots = distinct_roots(&options.roots)?;
    let models = tagger.models().to_vec();
    index.set_models(&models)?;
    let current: Vec<(String, String)> = models
        .iter()
        .map(|m| (m.name.clone(), m.version.clone()))
        .collect();
    let mut report = Report {
        roots: roots.clone(),
        index: index.dir().to_owned(),
        models: current.iter().map(|(n, v)| format!("{n}@{v}")).collect(),
        ..Report::default()
    };
    let store = index.store().clone();
    let found = AtomicU64::new(0);
    let scan_done = AtomicBool::new(false);
    let decoded_frames = AtomicU64::new(0);
    let workers = options.workers.max(1);
    let batch_size = options.batch_size.max(1);
    let chunk = options.chunk_patches.clamp(1, batch_size);

    let (job_tx, job_rx) = bounded::<Job>(workers * 2);
    let (tag_tx, tag_rx) = bounded::<TagMsg>(workers * 2);
    let (out_tx, out_rx) = bounded::<Outcome>(256);

    let result = std::thread::scope(|s| {
        {
            let (store, current, out_tx, roots) = (&store, &current, out_tx.clone(), &roots);
            let (found, scan_done) = (&found, &scan_done);
            s.spawn(move || {
                scan_all(roots, store, current, &job_tx, &out_tx, found);
                scan_done.store(true, Ordering::SeqCst);
            });
        }
        for _ in 0..workers {
            let (job_rx, tag_tx, out_tx) = (job_rx.clone(), tag_tx.clone(), out_tx.clone());
            let (store, current, decoded) = (&store, &current, &decoded_frames);
            let keep_truncated = !options.refuse_truncated;
            s.spawn(move || {
                for job in job_rx {
                    let queues = (&tag_tx, &out_tx);
                    if !work(
                        job,
                        store,
                        current,
                        (chunk, keep_truncated),
                        decoded,
                        queues,
                    ) {
                        break;
                    }
                }
            });
        }
        drop((job_rx, tag_tx));
        {
            let (out_tx, models) = (out_tx.clone(), &models);
            s.spawn(move || tag_loop(tagger, models, batch_size, tag_rx, &out_tx));
        }
        drop(out_tx);
        let result = writer::write_loop(
            index,
            &out_rx,
            options,
            &mut report,
            (&found, &scan_done, &decoded_frames),
            progress,
        );
        // On an error, dropping the receiver makes every sender fail, so every thread ends.
        drop(out_rx);
        result
    });
    result?;
    index.commit()?;
    if options.prune {
        writer::prune(index, &mut report)?;
    }
    report.files_seen = found.load(Ordering::SeqCst);
    report.tracks_in_index = index.store().len()?;
    report.elapsed_secs = started.elapsed().as_secs_f64();
    Ok(report)
}

/// Absolute roots, each checked to be a directory, without those inside another.
fn distinct_roots(roots: &[PathBuf]) -> Result<Vec<PathBuf>, IndexerError> {
    let mut abs = roots
        .iter()
        .map(|r| scan::check_root(r))
        .collect::<Result<Vec<_>, _>>()?;
    abs.sort();
    abs.dedup();
    let keep: Vec<PathBuf> = abs
        .iter()
        .filter(|r| !abs.iter().any(|o| o != *r && r.starts_with(o)))
        .cloned()
        .collect();
    Ok(keep)
}

/// The scanner: walks every root and settles unchanged files itself.
fn scan_all(
    roots: &[PathBuf],
    store: &TrackStore,
    current: &[(String, String)],
    jobs: &Sender<Job>,
    out: &Sender<Outcome>,
    found: &AtomicU64,
) {
    let mut seq = 0u64;
    for root in roots {
        for item in scan::walk(root) {
            found.fetch_add(1, Ordering::SeqCst);
            let sent = match item {
                ScanItem::Error { path, message } => out
                    .send(Outcome::Failed(Failure {
                        path: path.display().to_string(),
                        code: "scan".into(),
                        message,
                    }))
                    .is_ok(),
                ScanItem::File(file) => match unchanged(store, current, &file) {
                    Ok(true) => out.send(Outcome::Unchanged).is_ok(),
                    Ok(false) => {
                        seq += 1;
                        jobs.send(Job { seq, file }).is_ok()
                    }
                    Err(e) => {
                        let _ = out.send(Outcome::Fatal(e));
                        false
                    }
                },
            };
            if !sent {
                return;
            }
        }
    }
}

/// Whether `file` is as the index last saw it (size and mtime) and its track carries the
/// current models' tags and its signal facts.
fn unchanged(
    store: &TrackStore,
    current: &[(String, String)],
    file: &FoundFile,
) -> Result<bool, IndexerError> {
    let Some(entry) = store.path_entry(&file.path)? else {
        return Ok(false);
    };
    if entry.size != file.size || entry.mtime_ns != file.mtime_ns {
        return Ok(false);
    }
    match entry.id {
        None => Ok(true),
        Some(id) => Ok(store
            .record(&id)?
            .is_some_and(|r| r.tagged_by(current) && r.signal.is_some())),
    }
}

/// Whether an open error means "this is not an audio file" rather than "a broken one".
fn is_not_audio(err: &AudioError, path: &Path) -> bool {
    let audio_ext = path
        .extension()
        .and_then(|e| e.to_str())
        .is_some_and(|e| AUDIO_EXTENSIONS.contains(&e.to_ascii_lowercase().as_str()));
    matches!(
        err,
        AudioError::UnsupportedFormat { .. } | AudioError::Empty { .. }
    ) && !audio_ext
}

/// A failure of the file at `path` (its stored form; the report shows it to people).
fn failure(path: &str, code: &str, message: impl ToString) -> Failure {
    Failure {
        path: musearch_index::display_path(path).into_owned(),
        code: code.to_string(),
        message: message.to_string(),
    }
}

/// One worker's job: probe, hash, and (for new content) decode and stream patches. Returns
/// false when the run is over (a queue closed).
fn work(
    job: Job,
    store: &TrackStore,
    current: &[(String, String)],
    // Patches per message, whether a truncated file is indexed.
    (chunk, keep_truncated): (usize, bool),
    decoded: &AtomicU64,
    (tag_tx, out): (&Sender<TagMsg>, &Sender<Outcome>),
) -> bool {
    let os_path = musearch_index::os_path(&job.file.path);
    let path = os_path.as_path();
    let decoder = match AudioDecoder::open(path) {
        Ok(mut d) => {
            d.keep_truncated(keep_truncated);
            d
        }
        Err(e) if is_not_audio(&e, path) => return out.send(Outcome::NotAudio(job.file)).is_ok(),
        Err(e) => {
            let f = failure(&job.file.path, e.code(), &e);
            return out.send(Outcome::Failed(f)).is_ok();
        }
    };
    let id = match scan::content_id(path) {
        Ok(id) => id,
        Err(e) => {
            return out
                .send(Outcome::Failed(failure(&job.file.path, "io", e)))
                .is_ok()
        }
    };
    match store.record(&id) {
        Ok(Some(r)) if r.tagged_by(current) && r.signal.is_some() => {
            return out.send(Outcome::Known(job.file, id)).is_ok();
        }
        Ok(Some(r)) if r.tagged_by(current) => {
            // Tagged before signal facts existed: measure them, no network.
            let outcome = match measure_loudness(decoder) {
                Ok((loudness, _)) => Outcome::Measured(job.file, id, loudness.map(signal_facts)),
                Err(e) => Outcome::Failed(failure(&job.file.path, e.code(), &e)),
            };
            return out.send(outcome).is_ok();
        }
        Ok(_) => {}
        Err(e) => {
            let _ = out.send(Outcome::Fatal(e.into()));
            return false;
        }
    }
    tracing::debug!("decoding {}", path.display());
    let seq = job.seq;
    let mut buf = Vec::with_capacity(chunk * PATCH_LEN);
    let mut sent = 0usize;
    let mut closed = false;
    let result = stream_log_mel_from(decoder, &mut |frame| {
        if closed {
            return;
        }
        decoded.fetch_add(1, Ordering::Relaxed);
        buf.extend_from_slice(frame);
        if buf.len() == chunk * PATCH_LEN {
            let data = std::mem::replace(&mut buf, Vec::with_capacity(chunk * PATCH_LEN));
            closed = tag_tx.send(TagMsg::Patches { seq, data }).is_err();
            sent += chunk;
        }
    });
    if closed {
        return false;
    }
    let summary = match result {
        Ok(summary) => summary,
        Err(e) => {
            let failure = failure(&job.file.path, e.code(), &e);
            return tag_tx.send(TagMsg::Failed { seq, failure }).is_ok();
        }
    };
    // musicnn's rule: a trailing partial patch is dropped, a clip shorter than one patch is
    // repeated to fill one.
    let full = buf.len() / PATCH_LEN;
    let tail = if sent == 0 && full == 0 {
        LogMel {
            n_frames: buf.len() / N_MELS,
            data: buf,
        }
        .patches()
    } else {
        buf.truncate(full * PATCH_LEN);
        buf
    };
    if !tail.is_empty() && tag_tx.send(TagMsg::Patches { seq, data: tail }).is_err() {
        return false;
    }
    let decoded = Box::new(Decoded {
        file: job.file,
        id,
        summary,
    });
    tag_tx.send(TagMsg::Done { seq, decoded }).is_ok()
}

/// A track in the tagging thread.
struct InFlight {
    tags: TrackTags,
    /// Patches in the batch buffer, not run yet.
    queued: usize,
    decoded: Option<Box<Decoded>>,
    failed: bool,
}

/// The tagging thread: gathers patches from all workers into batches, runs them, pools each
/// track's outputs and hands finished tracks to the writer.
fn tag_loop(
    tagger: &mut dyn TrackTagger,
    models: &[ModelSpec],
    batch_size: usize,
    rx: Receiver<TagMsg>,
    out: &Sender<Outcome>,
) {
    let mut tracks: HashMap<u64, InFlight> = HashMap::new();
    let mut batch: Vec<f32> = Vec::with_capacity((batch_size + 16) * PATCH_LEN);
    let mut owners: Vec<(u64, usize)> = Vec::new();
    let new_track = || InFlight {
        tags: TrackTags::new(models),
        queued: 0,
        decoded: None,
        failed: false,
    };
    loop {
        let msg = if batch.is_empty() {
            match rx.recv() {
                Ok(m) => Some(m),
                Err(_) => break,
            }
        } else {
            match rx.try_recv() {
                Ok(m) => Some(m),
                Err(TryRecvError::Empty) => None,
                Err(TryRecvError::Disconnected) => None,
            }
        };
        let mut touched = Vec::new();
        // Run the batch when it is full, or when no more patches are waiting.
        let run_now = match msg {
            Some(TagMsg::Patches { seq, data }) => {
                let n = data.len() / PATCH_LEN;
                batch.extend_from_slice(&data);
                owners.push((seq, n));
                tracks.entry(seq).or_insert_with(new_track).queued += n;
                batch.len() / PATCH_LEN >= batch_size
            }
            Some(TagMsg::Done { seq, decoded }) => {
                tracks.entry(seq).or_insert_with(new_track).decoded = Some(decoded);
                touched.push(seq);
                false
            }
            Some(TagMsg::Failed { seq, failure }) => {
                tracks.entry(seq).or_insert_with(new_track).failed = true;
                touched.push(seq);
                if out.send(Outcome::Failed(failure)).is_err() {
                    return;
                }
                false
            }
            None => true,
        };
        if run_now && !batch.is_empty() {
            let n = batch.len() / PATCH_LEN;
            let outputs = match tagger.tag_batch(&batch, n) {
                Ok(o) => o,
                Err(e) => {
                    let _ = out.send(Outcome::Fatal(IndexerError::Tagger(e)));
                    return;
                }
            };
            let mut offset = 0;
            for (seq, count) in owners.drain(..) {
                let t = tracks.get_mut(&seq).expect("owner is in flight");
                if !t.failed {
                    t.tags.add(&outputs, offset..offset + count);
                }
                t.queued -= count;
                offset += count;
                touched.push(seq);
            }
            batch.clear();
        }
        for seq in touched {
            let ready = tracks
                .get(&seq)
                .is_some_and(|t| t.queued == 0 && (t.failed || t.decoded.is_some()));
            if !ready {
                continue;
            }
            let t = tracks.remove(&seq).expect("checked above");
            if t.failed {
                continue;
            }
            let decoded = t.decoded.expect("checked above");
            let record = new_record(&decoded, t.tags.finish(models));
            if out
                .send(Outcome::Tagged(Box::new(record), decoded.file))
                .is_err()
            {
                return;
            }
        }
    }
}

/// The index's form of the front-end's loudness.
fn signal_facts(l: Loudness) -> SignalFacts {
    SignalFacts {
        rms_dbfs: l.rms_dbfs,
        silent_share: l.silent_share,
    }
}

fn new_record(d: &Decoded, models: Vec<ModelTags>) -> TrackRecord {
    let info = &d.summary.info;
    let duration_secs = d.summary.duration_secs();
    let mut warnings = Vec::new();
    if let Some(detail) = &d.summary.truncated {
        warnings.push(TrackWarning {
            code: "truncated".into(),
            message: format!("file is truncated: {detail} (what decoded is indexed)"),
        });
    }
    if duration_secs < PATCH_SECS {
        warnings.push(TrackWarning {
            code: "shorter_than_a_patch".into(),
            message: format!(
                "{duration_secs:.3} s of audio, shorter than one {PATCH_SECS} s patch (tagged as \
                 if repeated to fill one)"
            ),
        });
    }
    TrackRecord {
        id: d.id,
        paths: vec![d.file.path.clone()],
        size: d.file.size,
        mtime_ns: d.file.mtime_ns,
        duration_secs,
        sample_rate: info.sample_rate,
        channels: info.channels.min(u16::MAX as usize) as u16,
        codec: info.codec.clone(),
        metadata: metadata_from_tags(&info.metadata),
        models,
        indexed_at: SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_secs()),
        warnings,
        signal: d.summary.loudness.map(signal_facts),
    }
}
