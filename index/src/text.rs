//! The text index: tantivy under `<index>/text/`, one document per visible track.
//! [`TextReader`] searches a committed state of it (what a search needs); [`TextIndex`], the
//! indexer's handle, adds the writer (tantivy's writer lock is taken on the first change).
//!
//! Fields: `id` (the track id in hex, untokenised and stored: the only stored field; everything
//! else is read from the track store), and the tokenised text fields `title`, `artist`, `album`,
//! `genre`, `path` and `tags` (the top tags of each tagger, see [`TOP_TAGS`]).

use std::collections::HashSet;
use std::ops::Deref;
use std::path::{Path, PathBuf};

use tantivy::collector::TopDocs;
use tantivy::directory::MmapDirectory;
use tantivy::query::{BooleanQuery, Occur, Query, QueryParser, TermQuery};
use tantivy::schema::{Field, IndexRecordOption, Schema, Value, STORED, STRING, TEXT};
use tantivy::{DocAddress, IndexReader, IndexWriter, ReloadPolicy, TantivyDocument, Term};

use crate::error::IndexError;
use crate::record::{ModelSpec, TrackId, TrackRecord};

/// How many of each tagger's most probable tags a track's `tags` field holds.
pub const TOP_TAGS: usize = 5;

/// Writer memory budget (tantivy's minimum is 15 MB per thread).
const WRITER_MEMORY: usize = 32 << 20;

/// Decompressed 16 KiB doc-store blocks each segment keeps (tantivy's default is 100). Only the
/// track id is stored, about 40 bytes a track, so this holds the whole store of a catalog of a
/// million tracks (about 50 MiB at most): a search reads the ids of its 200 text hits from
/// memory instead of decompressing a block for most of them.
const DOC_STORE_CACHE_BLOCKS: usize = 4096;

#[derive(Debug, Clone, Copy)]
struct Fields {
    id: Field,
    title: Field,
    artist: Field,
    album: Field,
    genre: Field,
    path: Field,
    tags: Field,
}

fn schema() -> (Schema, Fields) {
    let mut b = Schema::builder();
    let fields = Fields {
        id: b.add_text_field("id", STRING | STORED),
        title: b.add_text_field("title", TEXT),
        artist: b.add_text_field("artist", TEXT),
        album: b.add_text_field("album", TEXT),
        genre: b.add_text_field("genre", TEXT),
        path: b.add_text_field("path", TEXT),
        tags: b.add_text_field("tags", TEXT),
    };
    (b.build(), fields)
}

/// Read access to the text index at the commit it was opened at (or last reloaded at): a
/// consistent snapshot however an indexer commits meanwhile. It has no method that writes and
/// never takes tantivy's writer lock; [`TextIndex`] dereferences to it.
pub struct TextReader {
    dir: PathBuf,
    index: tantivy::Index,
    fields: Fields,
    reader: IndexReader,
}

impl std::fmt::Debug for TextReader {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TextReader")
            .field("dir", &self.dir)
            .finish()
    }
}

/// The indexer's handle on the text index: a [`TextReader`] plus tantivy's writer (one per
/// index: tantivy holds a lock file that a killed process releases).
pub struct TextIndex {
    text: TextReader,
    writer: Option<IndexWriter>,
}

impl std::fmt::Debug for TextIndex {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TextIndex")
            .field("dir", &self.text.dir)
            .finish()
    }
}

impl Deref for TextIndex {
    type Target = TextReader;

    fn deref(&self) -> &TextReader {
        &self.text
    }
}

impl TextReader {
    /// Opens the existing text index in `dir` without creating or changing anything:
    /// [`IndexError::NotFound`] when there is none, [`IndexError::SchemaMismatch`] when its
    /// fields are not this build's.
    pub fn open_existing(dir: &Path) -> Result<TextReader, IndexError> {
        if !dir.join("meta.json").is_file() {
            return Err(IndexError::NotFound(dir.to_owned()));
        }
        let err = |source| IndexError::Text {
            path: dir.to_owned(),
            source,
        };
        let directory = MmapDirectory::open(dir).map_err(|e| err(e.into()))?;
        let index = tantivy::Index::open(directory).map_err(err)?;
        let (schema, fields) = schema();
        if index.schema() != schema {
            return Err(IndexError::Corrupt {
                what: "text index schema",
                reason: format!("{} has other fields than this build's", dir.display()),
            });
        }
        TextReader::new(dir, index, fields)
    }

    fn new(dir: &Path, index: tantivy::Index, fields: Fields) -> Result<TextReader, IndexError> {
        let reader = index
            .reader_builder()
            .reload_policy(ReloadPolicy::Manual)
            .doc_store_cache_num_blocks(DOC_STORE_CACHE_BLOCKS)
            .try_into()
            .map_err(|source| IndexError::Text {
                path: dir.to_owned(),
                source,
            })?;
        Ok(TextReader {
            dir: dir.to_owned(),
            index,
            fields,
            reader,
        })
    }

    /// The text index's directory.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    fn err(&self, source: tantivy::TantivyError) -> IndexError {
        IndexError::Text {
            path: self.dir.clone(),
            source,
        }
    }
}

impl TextIndex {
    /// Opens (or creates) the text index in `dir` for writing.
    pub fn open(dir: &Path) -> Result<TextIndex, IndexError> {
        std::fs::create_dir_all(dir).map_err(|e| IndexError::io(dir, e))?;
        let err = |source| IndexError::Text {
            path: dir.to_owned(),
            source,
        };
        let (schema, fields) = schema();
        let directory = MmapDirectory::open(dir).map_err(|e| err(e.into()))?;
        let index = tantivy::Index::open_or_create(directory, schema).map_err(err)?;
        Ok(TextIndex {
            text: TextReader::new(dir, index, fields)?,
            writer: None,
        })
    }

    fn writer(&mut self) -> Result<&mut IndexWriter, IndexError> {
        if self.writer.is_none() {
            let writer = self
                .text
                .index
                .writer_with_num_threads(1, WRITER_MEMORY)
                .map_err(|e| self.err(e))?;
            self.writer = Some(writer);
        }
        Ok(self.writer.as_mut().expect("writer just created"))
    }

    /// Replaces the document of `record` (uncommitted until [`TextIndex::commit`]). `models`
    /// names the tags of each tagger.
    pub fn upsert(&mut self, record: &TrackRecord, models: &[ModelSpec]) -> Result<(), IndexError> {
        let f = self.text.fields;
        let mut doc = TantivyDocument::default();
        doc.add_text(f.id, record.id.to_hex());
        let m = &record.metadata;
        for (field, value) in [
            (f.title, &m.title),
            (f.artist, &m.artist),
            (f.album, &m.album),
            (f.genre, &m.genre),
        ] {
            if let Some(v) = value {
                doc.add_text(field, v);
            }
        }
        for path in &record.paths {
            doc.add_text(f.path, crate::path::display_path(path));
        }
        for tag in top_tags(record, models) {
            doc.add_text(f.tags, tag);
        }
        let id_term = Term::from_field_text(f.id, &record.id.to_hex());
        let writer = self.writer()?;
        writer.delete_term(id_term);
        writer.add_document(doc).map_err(|e| self.text.err(e))?;
        Ok(())
    }

    /// Deletes the document of `id` (uncommitted until [`TextIndex::commit`]).
    pub fn delete(&mut self, id: &TrackId) -> Result<(), IndexError> {
        let term = Term::from_field_text(self.text.fields.id, &id.to_hex());
        self.writer()?.delete_term(term);
        Ok(())
    }

    /// Commits every change since the last commit (durably: tantivy syncs its files) and
    /// refreshes the reader.
    pub fn commit(&mut self) -> Result<(), IndexError> {
        if let Some(writer) = self.writer.as_mut() {
            writer.commit().map_err(|source| IndexError::Text {
                path: self.text.dir.clone(),
                source,
            })?;
        }
        self.text.reader.reload().map_err(|e| self.text.err(e))
    }
}

impl TextReader {
    /// Number of documents (committed, not deleted).
    pub fn num_docs(&self) -> u64 {
        self.reader.searcher().num_docs()
    }

    /// The id of every committed document, duplicates included (there should be none).
    pub fn ids(&self) -> Result<Vec<String>, IndexError> {
        let searcher = self.reader.searcher();
        let mut out = Vec::with_capacity(searcher.num_docs() as usize);
        for (ord, segment) in searcher.segment_readers().iter().enumerate() {
            for doc in segment.doc_ids_alive() {
                let doc: TantivyDocument = searcher
                    .doc(DocAddress::new(ord as u32, doc))
                    .map_err(|e| self.err(e))?;
                if let Some(id) = doc.get_first(self.fields.id).and_then(|v| v.as_str()) {
                    out.push(id.to_string());
                }
            }
        }
        Ok(out)
    }

    /// The ids of the best `limit` documents for a query in tantivy's query language over all
    /// text fields (e.g. `piano`, `artist:wesnoth`, `tags:"female vocals"`).
    pub fn search(&self, query: &str, limit: usize) -> Result<Vec<TrackId>, IndexError> {
        let f = self.fields;
        let parser = QueryParser::for_index(
            &self.index,
            vec![f.title, f.artist, f.album, f.genre, f.path, f.tags],
        );
        let query = parser
            .parse_query(query)
            .map_err(|e| self.err(tantivy::TantivyError::InvalidArgument(e.to_string())))?;
        let searcher = self.reader.searcher();
        let hits = searcher
            .search(&query, &TopDocs::with_limit(limit.max(1)))
            .map_err(|e| self.err(e))?;
        Ok(self
            .track_ids(&searcher, hits)?
            .into_iter()
            .map(|(id, _)| id)
            .collect())
    }

    /// BM25 over the metadata fields (title, artist, album, genre): the best `limit` documents
    /// matching any of `words` (each tokenised as the fields are: lower case, split on
    /// punctuation), best first, with their scores. No words, or words without tokens, match
    /// nothing. Unlike [`TextIndex::search`] the words are never parsed as query syntax.
    pub fn search_metadata(
        &self,
        words: &[&str],
        limit: usize,
    ) -> Result<Vec<(TrackId, f32)>, IndexError> {
        let f = self.fields;
        let mut clauses: Vec<(Occur, Box<dyn Query>)> = Vec::new();
        for field in [f.title, f.artist, f.album, f.genre] {
            let mut analyzer = self
                .index
                .tokenizer_for_field(field)
                .map_err(|e| self.err(e))?;
            for word in words {
                let mut stream = analyzer.token_stream(word);
                while let Some(token) = stream.next() {
                    let term = Term::from_field_text(field, &token.text);
                    clauses.push((
                        Occur::Should,
                        Box::new(TermQuery::new(term, IndexRecordOption::WithFreqs)),
                    ));
                }
            }
        }
        if clauses.is_empty() || limit == 0 {
            return Ok(Vec::new());
        }
        let query = BooleanQuery::new(clauses);
        let searcher = self.reader.searcher();
        let hits = searcher
            .search(&query, &TopDocs::with_limit(limit))
            .map_err(|e| self.err(e))?;
        self.track_ids(&searcher, hits)
    }

    /// The track id stored in each hit's document, in the hits' order, each id once (its first
    /// hit's score).
    fn track_ids(
        &self,
        searcher: &tantivy::Searcher,
        hits: Vec<(f32, tantivy::DocAddress)>,
    ) -> Result<Vec<(TrackId, f32)>, IndexError> {
        let mut seen = HashSet::new();
        let mut out = Vec::with_capacity(hits.len());
        for (score, addr) in hits {
            let doc: TantivyDocument = searcher.doc(addr).map_err(|e| self.err(e))?;
            if let Some(id) = doc
                .get_first(self.fields.id)
                .and_then(|v| v.as_str())
                .and_then(TrackId::from_hex)
            {
                if seen.insert(id) {
                    out.push((id, score));
                }
            }
        }
        Ok(out)
    }
}

/// The [`TOP_TAGS`] most probable tags of each tagger of `record`, without repeats.
pub fn top_tags<'a>(record: &TrackRecord, models: &'a [ModelSpec]) -> Vec<&'a str> {
    let mut out: Vec<&str> = Vec::new();
    for tags in &record.models {
        let Some(spec) = models.iter().find(|s| s.name == tags.model) else {
            continue;
        };
        let mut order: Vec<usize> = (0..tags.probabilities.len().min(spec.tags.len())).collect();
        order.sort_by(|&a, &b| tags.probabilities[b].total_cmp(&tags.probabilities[a]));
        for i in order.into_iter().take(TOP_TAGS) {
            let tag = spec.tags[i].as_str();
            if !out.contains(&tag) {
                out.push(tag);
            }
        }
    }
    out
}
