//! [`IndexSnapshot`]: the read-only way into an index, for search.
//!
//! Opening takes the track store's handle (sled lets one process at a time open a store, so
//! this is also what keeps an indexer out while the snapshot is taken), reads nothing but the
//! store's metadata, and opens the text index at its last commit. It never creates a directory,
//! never takes tantivy's writer lock, never completes pending updates or repairs anything: an
//! interrupted run's pending tracks are simply not visible (the indexer's next open reconciles
//! them). Because an indexer cannot commit while the store is held, the records and the text
//! index are read at one and the same state.
//!
//! While an indexer holds the index, opening fails with [`IndexError::Busy`] after a short
//! wait, naming the directory: a search never sees a half-written state.

use std::path::{Path, PathBuf};

use crate::error::IndexError;
use crate::record::{ModelSpec, TrackId, TrackRecord};
use crate::store::StoreReader;
use crate::text::TextReader;
use crate::Counts;

/// A read-only, consistent view of an index directory: the visible track records and the text
/// index at one state. Keep it only while reading the records: it holds the track store, which
/// keeps an indexer from starting. [`IndexSnapshot::into_text`] closes the store and keeps the
/// text index (a tantivy snapshot, which an indexer's later commits do not change).
#[derive(Debug)]
pub struct IndexSnapshot {
    dir: PathBuf,
    store: StoreReader,
    text: TextReader,
    models: Vec<ModelSpec>,
}

impl IndexSnapshot {
    /// Opens the index in `dir` for reading. Errors: [`IndexError::NotFound`] (no index there;
    /// nothing is created), [`IndexError::Busy`] (an indexer is writing it),
    /// [`IndexError::SchemaMismatch`], or a store or text index that cannot be read.
    pub fn open(dir: &Path) -> Result<IndexSnapshot, IndexError> {
        let store_dir = dir.join("store");
        if !store_dir.is_dir() {
            return Err(IndexError::NotFound(dir.to_owned()));
        }
        let store = StoreReader::open_existing(&store_dir)?;
        // Opened while the store is held, so both are at the same committed state.
        let text = TextReader::open_existing(&dir.join("text"))?;
        let models = store.models()?;
        Ok(IndexSnapshot {
            dir: dir.to_owned(),
            store,
            text,
            models,
        })
    }

    /// The index directory.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The taggers the index records (their tag lists name the records' probabilities).
    pub fn models(&self) -> &[ModelSpec] {
        &self.models
    }

    /// The visible tracks (committed in both stores), in id order.
    pub fn visible_records(&self) -> impl Iterator<Item = Result<TrackRecord, IndexError>> + '_ {
        visible(&self.store)
    }

    /// The record of `id` when it is visible.
    pub fn record(&self, id: &TrackId) -> Result<Option<TrackRecord>, IndexError> {
        if !self.store.is_visible(id)? {
            return Ok(None);
        }
        self.store.record(id)
    }

    /// The store's running totals (visible records or not).
    pub fn counts(&self) -> Result<Counts, IndexError> {
        self.store.counts()
    }

    /// Updates an interrupted run left pending: their tracks are not visible until an indexer
    /// opens the index again and completes them.
    pub fn pending(&self) -> Result<usize, IndexError> {
        Ok(self.store.pending()?.len())
    }

    /// The text index at this snapshot's state.
    pub fn text(&self) -> &TextReader {
        &self.text
    }

    /// Closes the track store (an indexer may open it now) and keeps the text index.
    pub fn into_text(self) -> TextReader {
        self.text
    }
}

/// The records of `store` that are visible (in `tracks`, not in `pending`), in id order.
pub fn visible(store: &StoreReader) -> impl Iterator<Item = Result<TrackRecord, IndexError>> + '_ {
    store.records().filter(move |r| match r {
        Ok(r) => store.is_visible(&r.id).unwrap_or(false),
        Err(_) => true,
    })
}
