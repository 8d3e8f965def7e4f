//! The track store: a sled database under `<index>/store/`. [`StoreReader`] reads it (what a
//! search needs); [`TrackStore`], the writer's handle, adds the atomic changes the indexer makes.
//!
//! | tree | key | value |
//! | --- | --- | --- |
//! | `tracks` | [`TrackId`] (16 bytes) | [`TrackRecord`] |
//! | `paths` | absolute path (UTF-8 bytes) | [`PathEntry`] |
//! | `pending` | [`TrackId`] | [`PendingOp`]: the track's text-index update is not committed yet |
//! | `meta` | `schema_version`, `models`, `counts` | the schema version (u32, little endian); the configured taggers (JSON); the [`Counts`] |
//!
//! A record is *visible* (to search) when it is in `tracks` and not in `pending`; see the crate
//! documentation for the protocol that keeps this true across crashes.
//!
//! The [`Counts`] change in the same transaction as the trees they count, so [`TrackStore::len`],
//! [`TrackStore::path_count`] and the index's statistics read one key instead of walking the
//! trees.

use std::ops::Deref;
use std::path::{Path, PathBuf};

use sled::transaction::{ConflictableTransactionError, TransactionError, TransactionalTree};
use sled::Transactional;

use crate::counts::{Counts, Sign};
use crate::error::IndexError;
use crate::record::{
    decode, encode, ModelSpec, PathEntry, Stored, TrackId, TrackRecord, OLDEST_READABLE_SCHEMA,
    SCHEMA_VERSION,
};

const SCHEMA_KEY: &[u8] = b"schema_version";
const MODELS_KEY: &[u8] = b"models";
const COUNTS_KEY: &[u8] = b"counts";

/// A text-index update that the track store has decided but the text index may not have
/// committed yet.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PendingOp {
    /// (Re-)write the track's document.
    Upsert,
    /// Delete the track's document, then the record.
    Remove,
}

impl PendingOp {
    fn to_byte(self) -> u8 {
        match self {
            PendingOp::Upsert => 1,
            PendingOp::Remove => 2,
        }
    }

    fn from_byte(b: &[u8]) -> Result<PendingOp, IndexError> {
        match b {
            [1] => Ok(PendingOp::Upsert),
            [2] => Ok(PendingOp::Remove),
            _ => Err(IndexError::Corrupt {
                what: "pending entry",
                reason: format!("unknown operation {b:?}"),
            }),
        }
    }
}

/// One atomic change to the track store, decided by the indexer. Applied in one sled
/// transaction by [`TrackStore::apply`].
#[derive(Debug, Default)]
pub struct Change {
    /// Records to write; each becomes pending [`PendingOp::Upsert`].
    pub upserts: Vec<TrackRecord>,
    /// Records to delete; each becomes pending [`PendingOp::Remove`] (the record itself goes when
    /// the text index has committed the deletion).
    pub removes: Vec<TrackId>,
    /// Path entries to write.
    pub set_paths: Vec<(String, PathEntry)>,
    /// Path entries to delete.
    pub unset_paths: Vec<String>,
}

impl Change {
    /// A change that writes `records`, each with a path entry for its first path (size and
    /// mtime from the record): what a batch of newly found tracks needs.
    pub fn new_tracks(records: Vec<TrackRecord>) -> Change {
        let set_paths = records
            .iter()
            .map(|r| {
                let entry = PathEntry {
                    id: Some(r.id),
                    size: r.size,
                    mtime_ns: r.mtime_ns,
                };
                (r.paths[0].clone(), entry)
            })
            .collect();
        Change {
            upserts: records,
            set_paths,
            ..Change::default()
        }
    }

    /// Whether the change does nothing.
    pub fn is_empty(&self) -> bool {
        self.upserts.is_empty()
            && self.removes.is_empty()
            && self.set_paths.is_empty()
            && self.unset_paths.is_empty()
    }
}

/// Read access to the track store: records, path entries, pending updates, counts, taggers.
/// It has no method that writes; [`TrackStore`] (the indexer's handle) dereferences to it.
/// Cheap to clone; clones share the database.
#[derive(Debug, Clone)]
pub struct StoreReader {
    dir: PathBuf,
    db: sled::Db,
    tracks: sled::Tree,
    paths: sled::Tree,
    pending: sled::Tree,
    meta: sled::Tree,
}

/// The indexer's handle on the track store: everything [`StoreReader`] reads, plus the atomic
/// changes ([`TrackStore::apply`], [`TrackStore::complete`]). Cheap to clone; clones share the
/// database (reads from worker threads, writes from the indexer's single writer).
#[derive(Debug, Clone)]
pub struct TrackStore {
    store: StoreReader,
}

impl Deref for TrackStore {
    type Target = StoreReader;

    fn deref(&self) -> &StoreReader {
        &self.store
    }
}

/// The trees of the store, by name.
const TREES: [&str; 4] = ["tracks", "paths", "pending", "meta"];

impl StoreReader {
    /// Opens an existing store without creating or changing anything in it: no directory, no
    /// tree, no counts are written. Fails with [`IndexError::NotFound`] when `dir` holds no
    /// store, [`IndexError::Busy`] when another process has it open (an indexer writing it),
    /// [`IndexError::SchemaMismatch`] when it was written with another schema.
    pub fn open_existing(dir: &Path) -> Result<StoreReader, IndexError> {
        if !dir.join("db").is_file() {
            return Err(IndexError::NotFound(dir.to_owned()));
        }
        let db = open_db(dir)?;
        let names = db.tree_names();
        if let Some(missing) = TREES
            .iter()
            .find(|t| !names.iter().any(|n| n == t.as_bytes()))
        {
            return Err(IndexError::Corrupt {
                what: "track store",
                reason: format!("no `{missing}` tree"),
            });
        }
        let store = StoreReader::with_trees(dir, db)?;
        store.check_schema()?;
        Ok(store)
    }

    /// Opens the four trees (sled creates a missing one).
    fn with_trees(dir: &Path, db: sled::Db) -> Result<StoreReader, IndexError> {
        let err = |source| IndexError::Store {
            path: dir.to_owned(),
            source,
        };
        Ok(StoreReader {
            dir: dir.to_owned(),
            tracks: db.open_tree(TREES[0]).map_err(err)?,
            paths: db.open_tree(TREES[1]).map_err(err)?,
            pending: db.open_tree(TREES[2]).map_err(err)?,
            meta: db.open_tree(TREES[3]).map_err(err)?,
            db,
        })
    }

    /// The schema version on disk: `Ok(Some(version))` when this build reads it (its own or an
    /// older one [`decode`] still reads), `Ok(None)` when none is recorded and the store is empty
    /// (new), [`IndexError::SchemaMismatch`] otherwise.
    fn check_schema(&self) -> Result<Option<u32>, IndexError> {
        let mismatch = |found| IndexError::SchemaMismatch {
            path: self.dir.clone(),
            found,
            expected: SCHEMA_VERSION,
        };
        match self.meta.get(SCHEMA_KEY).map_err(|e| self.err(e))? {
            Some(v) => {
                let found = <[u8; 4]>::try_from(v.as_ref())
                    .map(u32::from_le_bytes)
                    .unwrap_or(0);
                if (OLDEST_READABLE_SCHEMA..=SCHEMA_VERSION).contains(&found) {
                    Ok(Some(found))
                } else {
                    Err(mismatch(found))
                }
            }
            None if !self.tracks.is_empty() || !self.paths.is_empty() => Err(mismatch(0)),
            None => Ok(None),
        }
    }

    fn err(&self, source: sled::Error) -> IndexError {
        IndexError::Store {
            path: self.dir.clone(),
            source,
        }
    }

    /// The store's directory.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The record of `id`, visible or not.
    pub fn record(&self, id: &TrackId) -> Result<Option<TrackRecord>, IndexError> {
        self.tracks
            .get(id.0)
            .map_err(|e| self.err(e))?
            .map(|v| decode("track record", &v))
            .transpose()
    }

    /// Whether `id` is committed in both stores (see the crate documentation).
    pub fn is_visible(&self, id: &TrackId) -> Result<bool, IndexError> {
        Ok(self.tracks.contains_key(id.0).map_err(|e| self.err(e))?
            && !self.pending.contains_key(id.0).map_err(|e| self.err(e))?)
    }

    /// The entry of one path.
    pub fn path_entry(&self, path: &str) -> Result<Option<PathEntry>, IndexError> {
        self.paths
            .get(path.as_bytes())
            .map_err(|e| self.err(e))?
            .map(|v| decode("path entry", &v))
            .transpose()
    }

    /// Every record (visible or not), in id order.
    pub fn records(&self) -> impl Iterator<Item = Result<TrackRecord, IndexError>> + '_ {
        self.tracks.iter().map(move |kv| {
            let (_, v) = kv.map_err(|e| self.err(e))?;
            decode("track record", &v)
        })
    }

    /// Every path entry, in path order.
    pub fn paths(&self) -> impl Iterator<Item = Result<(String, PathEntry), IndexError>> + '_ {
        self.paths.iter().map(move |kv| {
            let (k, v) = kv.map_err(|e| self.err(e))?;
            let path = String::from_utf8(k.to_vec()).map_err(|e| IndexError::Corrupt {
                what: "path key",
                reason: e.to_string(),
            })?;
            Ok((path, decode("path entry", &v)?))
        })
    }

    /// The text-index updates not committed yet.
    pub fn pending(&self) -> Result<Vec<(TrackId, PendingOp)>, IndexError> {
        self.pending
            .iter()
            .map(|kv| {
                let (k, v) = kv.map_err(|e| self.err(e))?;
                let id = <[u8; 16]>::try_from(k.as_ref()).map_err(|_| IndexError::Corrupt {
                    what: "pending key",
                    reason: format!("{} bytes", k.len()),
                })?;
                Ok((TrackId(id), PendingOp::from_byte(&v)?))
            })
            .collect()
    }

    /// Number of records (visible or not), from the stored [`Counts`].
    pub fn len(&self) -> Result<usize, IndexError> {
        Ok(self.counts()?.tracks as usize)
    }

    /// Whether the store holds no record.
    pub fn is_empty(&self) -> Result<bool, IndexError> {
        Ok(self.counts()?.tracks == 0)
    }

    /// Number of path entries (audio files and remembered non-audio files), from the stored
    /// [`Counts`].
    pub fn path_count(&self) -> Result<usize, IndexError> {
        Ok(self.counts()?.paths as usize)
    }

    /// The running totals (one read of `meta`; a store written before the totals were kept,
    /// which the indexer has not opened since, is counted).
    pub fn counts(&self) -> Result<Counts, IndexError> {
        match self.meta.get(COUNTS_KEY).map_err(|e| self.err(e))? {
            Some(bytes) => Counts::decode(&bytes),
            None => self.recount(),
        }
    }

    /// The totals counted by walking every record and path entry: what [`TrackStore::counts`]
    /// must equal. Takes time in proportion to the store (for checks and for indexes written
    /// before the counts were kept).
    pub fn recount(&self) -> Result<Counts, IndexError> {
        let mut counts = Counts::default();
        for record in self.records() {
            counts.add_record(&record?, Sign::Add);
        }
        for entry in self.paths() {
            counts.add_path(&entry?.1, Sign::Add);
        }
        Ok(counts)
    }

    /// The taggers the index was last run with.
    pub fn models(&self) -> Result<Vec<ModelSpec>, IndexError> {
        match self.meta.get(MODELS_KEY).map_err(|e| self.err(e))? {
            Some(v) => serde_json::from_slice(&v).map_err(|e| IndexError::Corrupt {
                what: "model list",
                reason: e.to_string(),
            }),
            None => Ok(Vec::new()),
        }
    }

    /// Bytes the database occupies on disk.
    pub fn size_on_disk(&self) -> Result<u64, IndexError> {
        self.db.size_on_disk().map_err(|e| self.err(e))
    }
}

impl TrackStore {
    /// Rewrites every record of an older readable schema in this one, then records this schema,
    /// in one batch each (a crash between them leaves a store that migrates again on open).
    fn migrate(&self) -> Result<(), IndexError> {
        tracing::info!(
            "rewriting the records of {} in index schema {SCHEMA_VERSION}",
            self.dir.display()
        );
        self.rewrite::<TrackRecord>(&self.tracks, "track record")?;
        self.rewrite::<PathEntry>(&self.paths, "path entry")?;
        self.meta
            .insert(SCHEMA_KEY, &SCHEMA_VERSION.to_le_bytes())
            .map_err(|e| self.err(e))?;
        self.flush()
    }

    /// Decodes every value of `tree` as a `T` (in whichever readable schema it was written) and
    /// writes it back in the current one, in one batch.
    fn rewrite<T: Stored + serde::Serialize>(
        &self,
        tree: &sled::Tree,
        what: &'static str,
    ) -> Result<(), IndexError> {
        let mut batch = sled::Batch::default();
        for entry in tree.iter() {
            let (key, value) = entry.map_err(|e| self.err(e))?;
            batch.insert(key, encode(&decode::<T>(what, &value)?));
        }
        tree.apply_batch(batch).map_err(|e| self.err(e))
    }

    /// Opens (or creates) the store in `dir` for writing: it holds the store (sled's lock) until
    /// dropped. Fails with [`IndexError::SchemaMismatch`] when it was written with another
    /// schema, [`IndexError::Busy`] when another process has it open.
    pub fn open(dir: &Path) -> Result<TrackStore, IndexError> {
        let db = open_db(dir)?;
        let store = TrackStore {
            store: StoreReader::with_trees(dir, db)?,
        };
        let err = |e| store.err(e);
        let found = store.check_schema()?;
        if found.is_some_and(|v| v < SCHEMA_VERSION) {
            store.migrate()?;
        } else if found.is_none() {
            let mut batch = sled::Batch::default();
            batch.insert(SCHEMA_KEY, &SCHEMA_VERSION.to_le_bytes());
            batch.insert(COUNTS_KEY, &Counts::default().encode()[..]);
            store.meta.apply_batch(batch).map_err(err)?;
            store.flush()?;
        }
        if store.meta.get(COUNTS_KEY).map_err(err)?.is_none() {
            // Written before the counts existed: count once. Nothing else writes while the
            // store is open here (sled's lock keeps other processes out).
            tracing::info!("counting the records of {} once", dir.display());
            let counts = store.recount()?;
            store
                .meta
                .insert(COUNTS_KEY, &counts.encode()[..])
                .map_err(err)?;
            store.flush()?;
        }
        Ok(store)
    }

    /// Records the taggers of this run.
    pub fn set_models(&self, models: &[ModelSpec]) -> Result<(), IndexError> {
        let json = serde_json::to_vec(models).expect("model specs serialise");
        self.meta
            .insert(MODELS_KEY, json)
            .map_err(|e| self.err(e))?;
        Ok(())
    }

    /// Applies `change` atomically: all of it or (after a crash) none of it.
    pub fn apply(&self, change: &Change) -> Result<(), IndexError> {
        let upserts: Vec<(TrackId, Vec<u8>)> =
            change.upserts.iter().map(|r| (r.id, encode(r))).collect();
        let paths: Vec<(&str, Vec<u8>)> = change
            .set_paths
            .iter()
            .map(|(p, e)| (p.as_str(), encode(e)))
            .collect();
        (&self.tracks, &self.paths, &self.pending, &self.meta)
            .transaction(|(tracks, path_tree, pending, meta)| {
                let mut counts = tx_counts(meta)?;
                for (record, (id, bytes)) in change.upserts.iter().zip(&upserts) {
                    if let Some(old) = tracks.insert(&id.0, bytes.as_slice())? {
                        let old: TrackRecord = decode("track record", &old).map_err(abort)?;
                        counts.add_record(&old, Sign::Remove);
                    }
                    counts.add_record(record, Sign::Add);
                    pending.insert(&id.0, &[PendingOp::Upsert.to_byte()])?;
                }
                for id in &change.removes {
                    pending.insert(&id.0, &[PendingOp::Remove.to_byte()])?;
                }
                for path in &change.unset_paths {
                    if let Some(old) = path_tree.remove(path.as_bytes())? {
                        let old: PathEntry = decode("path entry", &old).map_err(abort)?;
                        counts.add_path(&old, Sign::Remove);
                    }
                }
                for ((path, bytes), (_, entry)) in paths.iter().zip(&change.set_paths) {
                    if let Some(old) = path_tree.insert(path.as_bytes(), bytes.as_slice())? {
                        let old: PathEntry = decode("path entry", &old).map_err(abort)?;
                        counts.add_path(&old, Sign::Remove);
                    }
                    counts.add_path(entry, Sign::Add);
                }
                meta.insert(COUNTS_KEY, &counts.encode()[..])?;
                Ok(())
            })
            .map_err(tx_error)
    }

    /// Marks `done` as committed in the text index: drops their pending entries and, for
    /// removals, the records. Entries whose operation changed since are kept.
    pub fn complete(&self, done: &[(TrackId, PendingOp)]) -> Result<(), IndexError> {
        (&self.tracks, &self.pending, &self.meta)
            .transaction(|(tracks, pending, meta)| {
                let mut counts = tx_counts(meta)?;
                for (id, op) in done {
                    let current = pending.get(id.0)?;
                    if current.as_deref() == Some(&[op.to_byte()][..]) {
                        pending.remove(&id.0)?;
                        if *op == PendingOp::Remove {
                            if let Some(old) = tracks.remove(&id.0)? {
                                let old: TrackRecord =
                                    decode("track record", &old).map_err(abort)?;
                                counts.add_record(&old, Sign::Remove);
                            }
                        }
                    }
                }
                meta.insert(COUNTS_KEY, &counts.encode()[..])?;
                Ok(())
            })
            .map_err(tx_error)
    }

    /// Makes everything written so far durable.
    pub fn flush(&self) -> Result<(), IndexError> {
        self.db.flush().map_err(|e| self.err(e))?;
        Ok(())
    }
}

/// Opens the sled database, waiting up to two seconds for its lock: sled's background flusher
/// holds a just-dropped database open for a moment, so reopening at once in the same process
/// can find it still locked. A lock held longer means another process is using the index:
/// [`IndexError::Busy`].
fn open_db(dir: &Path) -> Result<sled::Db, IndexError> {
    let mut attempts = 0;
    loop {
        match sled::Config::new()
            .path(dir)
            .cache_capacity(64 << 20)
            .open()
        {
            Err(sled::Error::Io(e)) if e.to_string().contains("acquire lock") => {
                attempts += 1;
                if attempts >= 100 {
                    return Err(IndexError::Busy(dir.to_owned()));
                }
                std::thread::sleep(std::time::Duration::from_millis(20));
            }
            other => {
                return other.map_err(|source| IndexError::Store {
                    path: dir.to_owned(),
                    source,
                })
            }
        }
    }
}

/// The counts as a transaction sees them.
fn tx_counts(meta: &TransactionalTree) -> Result<Counts, ConflictableTransactionError<IndexError>> {
    match meta.get(COUNTS_KEY)? {
        Some(bytes) => Counts::decode(&bytes).map_err(abort),
        None => Ok(Counts::default()),
    }
}

/// Aborts a transaction with `e`.
fn abort(e: IndexError) -> ConflictableTransactionError<IndexError> {
    ConflictableTransactionError::Abort(e)
}

fn tx_error(e: TransactionError<IndexError>) -> IndexError {
    match e {
        TransactionError::Abort(e) => e,
        TransactionError::Storage(e) => IndexError::Transaction(e.to_string()),
    }
}
