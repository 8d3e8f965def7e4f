//! # musearch-index
//!
//! The on-disk format of a musearch index, and a read-only way into it.
//!
//! An index is a directory holding two stores:
//!
//! * `store/`: a [sled](https://docs.rs/sled) database ([`store`]): per track (one distinct
//!   audio content, identified by the hash of its bytes, a [`TrackId`]) a [`TrackRecord`] with
//!   its paths, size, mtime, duration, stream facts, [`Metadata`], and per tagger the tag
//!   probabilities, a [`CompactTaggram`], the embedding and the model version; per file a
//!   [`PathEntry`]; the schema version, the taggers ([`ModelSpec`]) and the running totals
//!   ([`Counts`]) in `meta`.
//! * `text/`: a [tantivy](https://docs.rs/tantivy) index ([`text`]): metadata text, paths and
//!   top tags, one document per visible track, for text search.
//!
//! A track is **visible** (search may return it) when its record is in the store's `tracks`
//! tree and it has no entry in the `pending` tree; the text index then holds its document. The
//! indexer (crate `musearch-indexer`) keeps this true across crashes with a two-phase protocol
//! over the handles of this crate that write ([`TrackStore`], [`TextIndex`]); a search reads
//! through [`IndexSnapshot`], which has no way to write.
//!
//! Modules: [`record`] (the stored values and their encoding), [`path`] (file paths of any
//! bytes in the string fields: [`StoredPath`]), [`counts`], [`store`], [`text`],
//! [`reader`] (the snapshot), [`error`].

pub mod counts;
pub mod error;
pub mod path;
pub mod reader;
pub mod record;
pub mod store;
pub mod text;

pub use counts::{Counts, Sign};
pub use error::IndexError;
pub use path::{display_path, os_path, StoredPath};
pub use reader::IndexSnapshot;
pub use record::{
    CompactTaggram, Metadata, ModelSpec, ModelTags, PathEntry, SignalFacts, TrackId, TrackRecord,
    TrackWarning, SCHEMA_VERSION,
};
pub use store::{Change, PendingOp, StoreReader, TrackStore};
pub use text::{TextIndex, TextReader};
