//! # musearch-indexer
//!
//! Turns music folders into a searchable index: `musearch index DIR…`.
//!
//! An index is a directory holding a track store (sled) and a text index (tantivy), in the format
//! of the `musearch-index` crate, which this crate writes through ([`musearch_index::TrackStore`],
//! [`musearch_index::TextIndex`]); a search reads it through that crate's read-only snapshot.
//! This crate owns the writer side: the scan, tagging, the two-phase writes, reconciliation
//! after a crash, and holding the index (sled's lock, tantivy's writer lock) for a whole run.
//!
//! Modules, in the order data flows: [`scan`] (walk, file facts, content hash), [`pipeline`]
//! (worker pool, batching; its writer side in `writer.rs`), [`tagger`] (the networks and pooling),
//! [`metadata`] (container tags → the record's metadata), [`index`] (the two stores together,
//! the only writer), [`report`], [`progress_log`] (progress as plain log lines), [`error`].
//! The binary `musearch-synth-index` writes synthetic indexes for load tests.
//!
//! ## Visibility and crash safety
//!
//! A track is **visible** (search may return it) when its record is in the store's `tracks`
//! tree, it has no entry in the `pending` tree, and the text index holds its document. Every
//! change goes through three phases:
//!
//! 1. **Intent** ([`Index::apply`]): one sled transaction writes the records and path entries
//!    and, for each touched track, a `pending` entry: `Upsert` (write its document) or `Remove`
//!    (delete its document, then the record). A removed track keeps its record until phase 3.
//! 2. **Text commit** ([`Index::commit`]): sled is flushed (the intent is durable), then every
//!    pending track's document is deleted and, for an upsert, written again from the record, and
//!    tantivy commits (atomically, durably).
//! 3. **Completion**: one sled transaction drops those `pending` entries (and the records of
//!    removed tracks), and sled is flushed.
//!
//! Because the intent is durable before the text index changes, the text index never holds a
//! document whose track the store does not know. A process killed at any moment leaves pending
//! entries at worst; [`Index::open`] runs [`Index::reconcile`], which redoes phases 2 and 3 for
//! them (both are idempotent: a document is deleted by id before it is added). It then compares
//! the document count with the record count, and only if they differ, compares ids one by one,
//! deleting orphan or duplicate documents and re-adding missing ones. Commits happen every few
//! hundred files or seconds, so a kill loses at most the uncommitted files' work (they are
//! indexed again by the next run), never anything committed, and never leaves a duplicate: a
//! track's id is its content hash, the key of both stores.
//!
//! ## Incremental runs
//!
//! A file whose path entry has the same size and modification time, and whose track carries the
//! configured models' versions, is skipped without being opened. A file whose content hash is
//! already a track (a move, a copy, a touched file) gains or keeps its path without being
//! decoded; the track's paths whose files are gone are dropped then, so a moved file keeps its
//! tags. Changed content is tagged again, as is every track when a model changes. `--prune`
//! removes the paths whose files are gone and the tracks left without one.
//!
//! ## Features
//!
//! `torch` (default) adds `tagger::TorchTaggers`, musicnn's networks through libtorch. Without
//! it everything else builds and works with any [`TrackTagger`].

pub mod error;
pub mod index;
pub mod metadata;
pub mod pipeline;
pub mod progress_log;
pub mod report;
pub mod scan;
pub mod tagger;
mod writer;

pub use error::IndexerError;
pub use index::{Index, IndexStats, Reconciled};
/// The index format this crate writes (records, stores, errors), for callers of the writer.
pub use musearch_index as format;
pub use pipeline::{Options, Progress};
pub use progress_log::ProgressLog;
pub use report::{Failure, Report};
pub use tagger::{BatchOutput, TrackTagger, TrackTags};
