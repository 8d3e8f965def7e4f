//! [`Index`]: the track store and the text index together, kept consistent by the protocol in
//! the crate documentation.

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};

use musearch_index::reader::visible;
use musearch_index::{
    Change, Counts, IndexError, ModelSpec, PendingOp, Sign, TextIndex, TrackId, TrackRecord,
    TrackStore,
};

/// What [`Index::reconcile`] repaired.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct Reconciled {
    /// Pending updates (from an interrupted run) completed.
    pub completed: usize,
    /// Text documents deleted because the store does not hold their track, or held twice.
    pub orphans_removed: usize,
    /// Visible tracks whose text document was missing and was written again.
    pub readded: usize,
}

/// Totals of an index, for `musearch info`.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct IndexStats {
    /// The index directory.
    pub dir: PathBuf,
    /// Visible tracks.
    pub tracks: usize,
    /// Files (paths) of those tracks.
    pub files: usize,
    /// Files remembered as not audio.
    pub non_audio_files: usize,
    /// Hours of audio in the visible tracks.
    pub hours: f64,
    /// Documents in the text index.
    pub text_documents: u64,
    /// Updates not yet committed in the text index.
    pub pending: usize,
    /// The taggers of the last run.
    pub models: Vec<ModelSpec>,
    /// Bytes on disk: the whole index directory.
    pub bytes_on_disk: u64,
}

/// An index directory: `<dir>/store/` (sled) and `<dir>/text/` (tantivy).
#[derive(Debug)]
pub struct Index {
    dir: PathBuf,
    store: TrackStore,
    text: TextIndex,
    models: Vec<ModelSpec>,
    reconciled: Reconciled,
}

impl Index {
    /// Opens (or creates) the index in `dir` and [reconciles](Index::reconcile) its two stores.
    pub fn open(dir: &Path) -> Result<Index, IndexError> {
        std::fs::create_dir_all(dir).map_err(|e| IndexError::io(dir, e))?;
        let store = TrackStore::open(&dir.join("store"))?;
        let text = TextIndex::open(&dir.join("text"))?;
        let models = store.models()?;
        let mut index = Index {
            dir: dir.to_owned(),
            store,
            text,
            models,
            reconciled: Reconciled::default(),
        };
        index.reconciled = index.reconcile()?;
        if index.reconciled != Reconciled::default() {
            tracing::info!(fixed = ?index.reconciled, "reconciled {}", dir.display());
        }
        Ok(index)
    }

    /// The index directory.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// What [`Index::open`]'s reconciliation repaired (all zero after a clean shutdown).
    pub fn reconciled_on_open(&self) -> &Reconciled {
        &self.reconciled
    }

    /// The track store (for reads; writes go through [`Index::apply`]).
    pub fn store(&self) -> &TrackStore {
        &self.store
    }

    /// The text index.
    pub fn text(&self) -> &TextIndex {
        &self.text
    }

    /// The taggers the index records.
    pub fn models(&self) -> &[ModelSpec] {
        &self.models
    }

    /// Records the taggers of this run (their tag lists name the text index's tags).
    pub fn set_models(&mut self, models: &[ModelSpec]) -> Result<(), IndexError> {
        self.store.set_models(models)?;
        self.models = models.to_vec();
        Ok(())
    }

    /// Phase 1: applies `change` to the track store. Its tracks stay invisible until
    /// [`Index::commit`].
    pub fn apply(&mut self, change: &Change) -> Result<(), IndexError> {
        if !change.is_empty() {
            self.store.apply(change)?;
        }
        Ok(())
    }

    /// Phases 2 and 3: makes every pending update durable in the store, writes it to the text
    /// index and commits that, then marks the tracks visible. Returns how many updates it
    /// completed.
    pub fn commit(&mut self) -> Result<usize, IndexError> {
        let pending = self.store.pending()?;
        if pending.is_empty() {
            return Ok(0);
        }
        // The intent must be on disk before the text index can hold anything of it: then the
        // text index never has a document the store does not know about.
        self.store.flush()?;
        for (id, op) in &pending {
            match (op, self.store.record(id)?) {
                (PendingOp::Upsert, Some(record)) => self.text.upsert(&record, &self.models)?,
                _ => self.text.delete(id)?,
            }
        }
        self.text.commit()?;
        self.store.complete(&pending)?;
        self.store.flush()?;
        Ok(pending.len())
    }

    /// Brings the two stores back into agreement after a crash: completes pending updates, then,
    /// when the text index's document count differs from the store's record count, compares
    /// them id by id, deleting orphan or duplicate documents and re-adding missing ones.
    pub fn reconcile(&mut self) -> Result<Reconciled, IndexError> {
        let mut report = Reconciled {
            completed: self.commit()?,
            ..Reconciled::default()
        };
        if self.text.num_docs() == self.store.len()? as u64 {
            return Ok(report);
        }
        let mut seen: HashMap<String, usize> = HashMap::new();
        for id in self.text.ids()? {
            *seen.entry(id).or_default() += 1;
        }
        let mut known = HashSet::new();
        for record in self.store.records() {
            let record = record?;
            let hex = record.id.to_hex();
            match seen.get(&hex) {
                Some(1) => {}
                Some(_) => {
                    // upsert deletes every copy before adding one.
                    report.orphans_removed += seen[&hex] - 1;
                    self.text.upsert(&record, &self.models)?;
                }
                None => {
                    report.readded += 1;
                    self.text.upsert(&record, &self.models)?;
                }
            }
            known.insert(hex);
        }
        for (hex, count) in &seen {
            if !known.contains(hex) {
                report.orphans_removed += count;
                match TrackId::from_hex(hex) {
                    Some(id) => self.text.delete(&id)?,
                    None => tracing::warn!("text document with malformed id {hex:?}"),
                }
            }
        }
        self.text.commit()?;
        Ok(report)
    }

    /// Visible tracks (committed in both stores), in id order.
    pub fn visible_records(&self) -> impl Iterator<Item = Result<TrackRecord, IndexError>> + '_ {
        visible(&self.store)
    }

    /// Totals for `musearch info`: the store's [`Counts`] less the records of pending updates
    /// (which are not visible), so the cost is in proportion to the pending updates, not to the
    /// index.
    pub fn stats(&self) -> Result<IndexStats, IndexError> {
        let all = self.store.counts()?;
        let pending = self.store.pending()?;
        let mut invisible = Counts::default();
        for (id, _) in &pending {
            if let Some(record) = self.store.record(id)? {
                invisible.add_record(&record, Sign::Add);
            }
        }
        Ok(IndexStats {
            dir: self.dir.clone(),
            tracks: all.tracks.saturating_sub(invisible.tracks) as usize,
            files: all.track_paths.saturating_sub(invisible.track_paths) as usize,
            non_audio_files: all.non_audio_paths as usize,
            hours: all.duration_ms.saturating_sub(invisible.duration_ms) as f64 / 3_600_000.0,
            text_documents: self.text.num_docs(),
            pending: pending.len(),
            models: self.models.clone(),
            bytes_on_disk: dir_size(&self.dir),
        })
    }
}

/// Total size of the files under `dir`.
pub fn dir_size(dir: &Path) -> u64 {
    walkdir::WalkDir::new(dir)
        .into_iter()
        .filter_map(Result::ok)
        .filter_map(|e| e.metadata().ok())
        .filter(|m| m.is_file())
        .map(|m| m.len())
        .sum()
}
