//! The search engine: a snapshot of the index in memory, ranked by calibrated tags and text.
//!
//! [`Engine::open`] reads the visible tracks of an index through its read-only snapshot
//! ([`musearch_index::IndexSnapshot`]: never the writer, never a repair) into a [`Catalog`],
//! calibrates every (model, tag) column across it ([`Calibration`]), builds the [`TrackIndex`]
//! (calibrated values column by column, an HNSW graph for large catalogs) and the
//! [`SimilarIndex`] (audio embeddings), and keeps the tantivy text index of the same state open
//! for BM25. The sled store is closed again once read, so an indexer can run again; the engine
//! serves the snapshot it read. While an indexer is writing the index, opening fails with a
//! clear error ([`musearch_index::IndexError::Busy`]).
//!
//! A search: query text → weights over every tag ([`TagSpace::weigh`]) → a [`QueryPlan`] of a
//! few strong tags (negated ones with negative weights) → tag scores `Σ weight·calibrated` →
//! fused with BM25 over the metadata by reciprocal rank fusion → filters, a page, an
//! explanation per result. A query whose words the vectors do not know is answered by text
//! search alone, never an error.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::time::Instant;

use musearch_index::{IndexSnapshot, TextReader, TrackId};

use crate::calibration::Calibration;
use crate::catalog::Catalog;
use crate::explain::explain;
use crate::filters::TrackFilter;
use crate::neighbours::bounded_levenshtein;
use crate::rank::{fuse, plan_concepts, remainder_query, PlanOptions, QueryPlan, RRF_WINDOW};
use crate::refine::{refine, RankedTrack, RefineOptions, RefineRequest, RefinedTrack};
use crate::response::{
    CatalogStats, Hit, Interpretation, ModelProbabilities, SearchRequest, SearchResponse,
    SimilarHit, SimilarResponse, TagInfo, TagProbability, TagWeight, TaggramData, TrackDetail,
    TrackSummary, Version, MAX_LIMIT,
};
use crate::similar::{SimilarIndex, SimilarMode, SimilarOptions};
use crate::tag_space::{default_glosses, weigh_ensemble, QueryTags, TagSpace, TagSpaceConfig};
use crate::track_index::{SparseQuery, TrackIndex, TrackIndexOptions};
use crate::vectors::{self, VectorSource, WordVectors};

mod error;

pub use error::{EngineError, Result};

/// The deepest page a request may reach (`offset + limit`).
pub const MAX_DEPTH: usize = 100_000;

/// The longest query, in characters.
pub const MAX_QUERY_CHARS: usize = 1000;

/// Text hits fused with the tag ranking (the best by BM25).
const TEXT_FUSION_DEPTH: usize = 200;

/// Text hits read when the text alone ranks (and counted for the total).
const TEXT_ONLY_DEPTH: usize = 10_000;

/// Seconds of audio per 3 s patch of a taggram.
const PATCH_SECONDS: f64 = 3.0;

/// How the engine is built.
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct EngineOptions {
    /// Word-vector files (finalfusion); several are combined ([`weigh_ensemble`]). Empty: the
    /// default ([`vectors::default_path`]: `$MUSEARCH_VECTORS`, else spaCy's in the model
    /// store).
    pub vectors: Vec<PathBuf>,
    /// Query → tag weights.
    pub tag_space: TagSpaceConfig,
    /// Which tags a query keeps.
    pub plan: PlanOptions,
    /// The track ranking (exact scan or HNSW).
    pub tracks: TrackIndexOptions,
    /// The similar-track index.
    pub similar: SimilarOptions,
    /// The rules applied to a ranking before it is shown ([`crate::refine`]).
    pub refine: RefineOptions,
}

/// An indexed track's audio file, as found on disk.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AudioFile {
    /// The file (the first of the track's files that exists).
    pub path: PathBuf,
    /// The codec of its audio (`vorbis`, `opus`, `mp3`, `pcm_s16le` …).
    pub codec: String,
}

/// The search engine over one catalog snapshot. `Send + Sync`: share it behind an `Arc`.
pub struct Engine {
    catalog: Catalog,
    calibration: Calibration,
    tracks: TrackIndex,
    similar: SimilarIndex,
    text: Option<TextReader>,
    spaces: Vec<TagSpace>,
    by_id: HashMap<TrackId, usize>,
    options: EngineOptions,
    /// Where the maps are cached (none for an in-memory catalog).
    index_dir: Option<PathBuf>,
}

impl std::fmt::Debug for Engine {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Engine")
            .field("tracks", &self.catalog.len())
            .field("columns", &self.catalog.columns().len())
            .field("hnsw", &self.tracks.has_hnsw())
            .field("text", &self.text.is_some())
            .finish()
    }
}

/// Opens the word vectors of `options` (the default when none are named) as tag spaces over
/// the union vocabulary.
pub fn open_tag_spaces(options: &EngineOptions) -> Result<Vec<TagSpace>> {
    let paths = if options.vectors.is_empty() {
        vec![vectors::default_path(VectorSource::SpacyMd)]
    } else {
        options.vectors.clone()
    };
    let tags = musearch_models::tags::union_vocabulary();
    let glosses = default_glosses();
    paths
        .iter()
        .map(|p| {
            let vectors = WordVectors::open(p)?;
            Ok(TagSpace::new(
                vectors,
                &tags,
                &glosses,
                options.tag_space.clone(),
            ))
        })
        .collect()
}

impl Engine {
    /// Reads the visible tracks of the index in `index_dir` and opens its text index and the
    /// word vectors of `options`.
    pub fn open(index_dir: &Path, options: &EngineOptions) -> Result<Engine> {
        if !index_dir.join("store").is_dir() {
            return Err(EngineError::NoIndex(index_dir.to_owned()));
        }
        // The word vectors first: a missing file is the likeliest mistake, and reading a large
        // catalog takes a while.
        let started = std::time::Instant::now();
        let spaces = open_tag_spaces(options)?;
        let vectors_secs = started.elapsed().as_secs_f64();
        let snapshot = IndexSnapshot::open(index_dir)?;
        let records = snapshot
            .visible_records()
            .collect::<std::result::Result<Vec<_>, _>>()?;
        let catalog = Catalog::from_records(snapshot.models(), records);
        // The sled store closes here (an indexer may open it again); the text index stays at
        // the state the records were read at.
        let text = snapshot.into_text();
        let catalog_secs = started.elapsed().as_secs_f64() - vectors_secs;
        let tracks = catalog.len();
        let mut engine = Engine::from_catalog(catalog, spaces, Some(text), options)?;
        engine.index_dir = Some(index_dir.to_owned());
        tracing::info!(
            tracks,
            dir = %index_dir.display(),
            vectors_secs,
            catalog_secs,
            ranking_secs = started.elapsed().as_secs_f64() - vectors_secs - catalog_secs,
            "search engine loaded"
        );
        Ok(engine)
    }

    /// An engine over an in-memory catalog (benchmarks, tests): `spaces` map queries to tags
    /// (at least one), `text` is the text index for BM25 (none: tag ranking only).
    pub fn from_catalog(
        catalog: Catalog,
        spaces: Vec<TagSpace>,
        text: Option<TextReader>,
        options: &EngineOptions,
    ) -> Result<Engine> {
        if spaces.is_empty() {
            return Err(EngineError::invalid(
                "no_word_vectors",
                "the engine needs at least one word-vector space",
            ));
        }
        let calibration = Calibration::fit(catalog.probability_matrix(), catalog.columns().len());
        let tracks = TrackIndex::build(&catalog, &calibration, options.tracks);
        let similar = SimilarIndex::new(&catalog, options.similar);
        let by_id = catalog
            .tracks()
            .iter()
            .enumerate()
            .map(|(i, t)| (t.id, i))
            .collect();
        Ok(Engine {
            catalog,
            calibration,
            tracks,
            similar,
            text,
            spaces,
            by_id,
            options: options.clone(),
            index_dir: None,
        })
    }

    /// Builds the similar-track graph when the catalog is large enough for one (minutes for a
    /// few hundred thousand tracks on two cores; meanwhile [`Engine::similar`] scans exactly).
    /// A server calls this on a background thread after start-up; a one-shot command never
    /// needs to. Returns whether a graph is in use afterwards.
    pub fn build_similar_graph(&self) -> bool {
        if !self.similar.wants_graph(&self.catalog) || self.similar.graph_ready() {
            return self.similar.graph_ready();
        }
        let started = std::time::Instant::now();
        tracing::info!(
            tracks = self.catalog.len(),
            "building the similar-track graph"
        );
        let built = self.similar.build_graph(&self.catalog);
        tracing::info!(
            secs = started.elapsed().as_secs_f64(),
            "similar-track graph ready"
        );
        built
    }

    /// How [`Engine::similar`] finds neighbours right now.
    pub fn similar_mode(&self) -> SimilarMode {
        if self.similar.graph_ready() {
            SimilarMode::Graph
        } else if self.similar.wants_graph(&self.catalog) {
            SimilarMode::Building
        } else {
            SimilarMode::Exact
        }
    }

    /// The catalog snapshot.
    pub fn catalog(&self) -> &Catalog {
        &self.catalog
    }

    /// The per-column calibration.
    pub fn calibration(&self) -> &Calibration {
        &self.calibration
    }

    /// The track ranking index.
    pub fn track_index(&self) -> &TrackIndex {
        &self.tracks
    }

    /// The options the engine was built with.
    pub fn options(&self) -> &EngineOptions {
        &self.options
    }

    /// The query's weight for every tag (several vector spaces combined).
    pub fn weigh(&self, query: &str) -> QueryTags {
        match &self.spaces[..] {
            [one] => one.weigh(query),
            many => weigh_ensemble(many, query).expect("at least one space"),
        }
    }

    /// The plan the ranking would use for `query`. When the query names a tag literally and
    /// has other words too ("calm piano for a rainy day"), the other words are weighed on
    /// their own and their tags join the literal one ([`plan_concepts`]), so no concept is
    /// lost.
    pub fn plan(&self, query: &str) -> QueryPlan {
        let whole = self.weigh(query);
        let rest = remainder_query(&whole.parsed, &self.catalog).map(|q| self.weigh(&q));
        plan_concepts(&whole, rest.as_ref(), &self.catalog, &self.options.plan)
    }

    /// The index of a track given by id (32 hex digits) or by the path of one of its files.
    pub fn resolve(&self, id_or_path: &str) -> Option<usize> {
        if let Some(i) = TrackId::from_hex(id_or_path.trim()).and_then(|id| self.by_id.get(&id)) {
            return Some(*i);
        }
        let wanted: Vec<String> = std::iter::once(id_or_path.to_string())
            .chain(
                std::fs::canonicalize(id_or_path)
                    .ok()
                    .map(|p| musearch_index::StoredPath::from_path(&p).into_string()),
            )
            .collect();
        self.catalog
            .tracks()
            .iter()
            .position(|t| t.paths.iter().any(|p| wanted.contains(p)))
    }

    /// Ranks the catalog for a request.
    pub fn search(&self, request: &SearchRequest) -> Result<SearchResponse> {
        let started = Instant::now();
        let query = request.query.trim();
        if query.is_empty() {
            return Err(EngineError::invalid("empty_query", "the query is empty"));
        }
        if query.chars().count() > MAX_QUERY_CHARS {
            return Err(EngineError::invalid(
                "query_too_long",
                format!("the query is longer than {MAX_QUERY_CHARS} characters"),
            ));
        }
        check_page(request.limit, request.offset)?;
        let filter = TrackFilter::compile(&request.filters)?;
        let (mask, accepted) = filter.mask(&self.catalog);
        let mask = mask.as_deref();
        let plan = self.plan(query);
        // The refinement looks at the first `window` tracks whatever the page, so every page
        // reads one ranking; the extra tracks make up for near-duplicates folded away.
        let depth = request.offset + request.limit + self.options.refine.window;

        let text_depth = if plan.query.is_empty() {
            TEXT_ONLY_DEPTH
        } else {
            TEXT_FUSION_DEPTH
        };
        let text_hits = self.text_hits(&plan.text_words, text_depth, mask)?;

        // (track, score, text match), best first, the whole ranking to `depth`.
        let (ranked, total): (Vec<RankedTrack>, usize) = if plan.query.is_empty() {
            let ranked = text_hits
                .iter()
                .enumerate()
                .take(depth)
                .map(|(r, &(i, s))| (i, s, Some((r + 1, s))))
                .collect();
            (ranked, text_hits.len())
        } else if text_hits.is_empty() {
            let hits = self.tracks.top(&plan.query, depth, mask).hits;
            (
                hits.iter().map(|s| (s.id, s.score, None)).collect(),
                accepted,
            )
        } else {
            let fused = self.fused(&plan, &text_hits, depth, mask);
            (
                fused
                    .into_iter()
                    .take(depth)
                    .map(|f| (f.id, f.score, f.text))
                    .collect(),
                accepted,
            )
        };
        let duration_filter =
            request.filters.min_duration.is_some() || request.filters.max_duration.is_some();
        let diverse = request.diverse.unwrap_or(self.options.refine.diversity);
        let refine_request = RefineRequest {
            query: &plan.query,
            // A text-only query names what it wants (a title): nothing is demoted for length or
            // level.
            asks_short: plan.query.is_empty()
                || RefineRequest::wants_short(&plan.text_words, duration_filter),
            asks_silence: plan.query.is_empty() || RefineRequest::wants_silence(&plan.text_words),
            max_per_album: diverse.then(|| {
                request
                    .max_per_album
                    .unwrap_or(self.options.refine.max_per_album)
            }),
        };
        let refined = refine(
            &self.catalog,
            &ranked,
            &refine_request,
            &self.options.refine,
        );
        let note = refined.nothing_matches_well.then(|| {
            "nothing in the catalog matches this query well: these are the closest tracks, \
             each marked as a weak match"
                .to_string()
        });
        let results = refined
            .tracks
            .iter()
            .skip(request.offset)
            .take(request.limit)
            .map(|r| self.refined_hit(&plan.query, r))
            .collect();
        Ok(SearchResponse {
            query: request.query.clone(),
            interpreted: self.interpretation(&plan),
            total: total.saturating_sub(refined.collapsed),
            offset: request.offset,
            limit: request.limit,
            took_ms: started.elapsed().as_secs_f64() * 1e3,
            results,
            note,
        })
    }

    /// The tag ranking fused with the text hits, best first (at least `depth` long when the
    /// catalog allows). The tag ranking's window is its first [`RRF_WINDOW`] tracks, or
    /// `depth + text hits` when more: a track outside it cannot reach the fused first `depth`
    /// unless it is a text hit, and a text hit outside it gets no tag credit.
    fn fused(
        &self,
        plan: &QueryPlan,
        text_hits: &[(usize, f32)],
        depth: usize,
        mask: Option<&[bool]>,
    ) -> Vec<crate::rank::Fused> {
        let window = (depth + text_hits.len()).max(RRF_WINDOW);
        let tag_hits = self.tracks.top(&plan.query, window, mask).hits;
        fuse(
            &tag_hits,
            text_hits,
            |i| self.tracks.score(&plan.query, i),
            depth,
        )
    }

    /// BM25 hits over the metadata for `words`, as catalog indices, filtered, best first.
    fn text_hits(
        &self,
        words: &[String],
        limit: usize,
        mask: Option<&[bool]>,
    ) -> Result<Vec<(usize, f32)>> {
        let Some(text) = &self.text else {
            return Ok(Vec::new());
        };
        if words.is_empty() {
            return Ok(Vec::new());
        }
        let words: Vec<&str> = words.iter().map(String::as_str).collect();
        Ok(text
            .search_metadata(&words, limit)?
            .into_iter()
            .filter_map(|(id, s)| self.by_id.get(&id).map(|&i| (i, s)))
            .filter(|&(i, _)| mask.is_none_or(|m| m[i]))
            .collect())
    }

    fn interpretation(&self, plan: &QueryPlan) -> Interpretation {
        Interpretation {
            tags: plan.tags.clone(),
            negated: plan.negated.clone(),
            unknown: plan.unknown.clone(),
            text_only: plan.query.is_empty(),
            did_you_mean: plan.unknown.iter().find_map(|w| self.did_you_mean(w)),
        }
    }

    /// The catalog's tag closest in spelling to `word` (edit distance 1 up to 4 letters, else 2).
    fn did_you_mean(&self, word: &str) -> Option<String> {
        let max = if word.chars().count() <= 4 { 1 } else { 2 };
        self.catalog
            .tags()
            .into_iter()
            .filter_map(|t| bounded_levenshtein(word, t, max).map(|d| (d, t)))
            .min()
            .map(|(_, t)| t.to_string())
    }

    /// The tracks that sound most like track `id` (an id or a file path of an indexed track),
    /// by audio embedding.
    pub fn similar(&self, id: &str, limit: usize, offset: usize) -> Result<SimilarResponse> {
        let started = Instant::now();
        check_page(limit, offset)?;
        let of = self
            .resolve(id)
            .ok_or_else(|| EngineError::TrackNotFound(id.to_string()))?;
        let hits = self.similar.nearest(&self.catalog, of, offset + limit);
        Ok(SimilarResponse {
            id: self.catalog.tracks()[of].id.to_hex(),
            total: self.similar.with_embedding().saturating_sub(1),
            offset,
            limit,
            took_ms: started.elapsed().as_secs_f64() * 1e3,
            results: hits
                .into_iter()
                .skip(offset)
                .map(|s| SimilarHit {
                    track: self.summary(s.id),
                    similarity: s.score,
                })
                .collect(),
        })
    }

    /// The tracks that have `tag` most (by calibrated value, averaged over the models that
    /// output it), as a search response.
    pub fn tag_tracks(&self, tag: &str, limit: usize, offset: usize) -> Result<SearchResponse> {
        let started = Instant::now();
        check_page(limit, offset)?;
        let name = musearch_models::tags::normalize_tag(tag);
        let columns = self.catalog.tag_columns(&name);
        if columns.is_empty() {
            return Err(EngineError::TagNotFound(name));
        }
        let plan = QueryPlan {
            tags: vec![TagWeight {
                tag: name.clone(),
                weight: 1.0,
            }],
            query: SparseQuery {
                terms: columns
                    .iter()
                    .map(|&c| (c, 1.0 / columns.len() as f32))
                    .collect(),
            },
            ..QueryPlan::default()
        };
        let hits = self.tracks.top(&plan.query, offset + limit, None).hits;
        Ok(SearchResponse {
            query: name,
            interpreted: self.interpretation(&plan),
            total: self.catalog.len(),
            offset,
            limit,
            took_ms: started.elapsed().as_secs_f64() * 1e3,
            results: hits
                .into_iter()
                .skip(offset)
                .map(|s| self.hit(&plan.query, s.id, s.score, None))
                .collect(),
            note: None,
        })
    }

    /// Everything about one track (by id or file path); `None` for an unknown one.
    pub fn track(&self, id: &str) -> Option<TrackDetail> {
        let i = self.resolve(id)?;
        let t = &self.catalog.tracks()[i];
        let probabilities = self.catalog.probabilities(i);
        let models = self
            .catalog
            .models()
            .iter()
            .enumerate()
            .filter_map(|(m, spec)| {
                let mut tags: Vec<TagProbability> = self
                    .catalog
                    .columns()
                    .iter()
                    .enumerate()
                    .filter(|(c, col)| col.model == m && !probabilities[*c].is_nan())
                    .map(|(c, col)| TagProbability {
                        tag: col.tag.clone(),
                        probability: probabilities[c],
                        calibrated: self.tracks.calibrated(c, i),
                    })
                    .collect();
                if tags.is_empty() {
                    return None;
                }
                tags.sort_by(|a, b| b.probability.total_cmp(&a.probability));
                Some(ModelProbabilities {
                    model: spec.name.clone(),
                    tags,
                })
            })
            .collect();
        let taggram = t.taggrams.first().map(|(m, g)| {
            let spec = &self.catalog.models()[*m];
            let n = g.tags as usize;
            let columns: Vec<Vec<f32>> = (0..g.columns()).map(|c| g.column(c)).collect();
            TaggramData {
                model: spec.name.clone(),
                tags: spec
                    .tags
                    .iter()
                    .take(n)
                    .map(|s| musearch_models::tags::normalize_tag(s))
                    .collect(),
                seconds_per_column: g.patches_per_column as f64 * PATCH_SECONDS,
                values: (0..n)
                    .map(|tag| columns.iter().map(|col| col[tag]).collect())
                    .collect(),
            }
        });
        Some(TrackDetail {
            track: self.summary(i),
            track_number: t.metadata.track_number,
            codec: t.codec.clone(),
            sample_rate: t.sample_rate,
            channels: t.channels,
            paths: t.paths.clone(),
            models,
            taggram,
            warnings: t.warnings.clone(),
        })
    }

    /// The audio file of an indexed track (the first of its files that exists) and its codec;
    /// `None` for an unknown track or when none of its files exists any more.
    pub fn audio_file(&self, id: &str) -> Option<AudioFile> {
        let i = self.resolve(id)?;
        let t = &self.catalog.tracks()[i];
        let path = t
            .paths
            .iter()
            .map(|p| musearch_index::os_path(p))
            .find(|p| p.is_file())?;
        Some(AudioFile {
            path,
            codec: t.codec.clone(),
        })
    }

    /// Every tag of the catalog with its models and base rate.
    pub fn tags(&self) -> Vec<TagInfo> {
        self.catalog
            .tags()
            .into_iter()
            .map(|tag| {
                let columns = self.catalog.tag_columns(tag);
                TagInfo {
                    name: tag.to_string(),
                    models: columns
                        .iter()
                        .map(|&c| {
                            self.catalog.models()[self.catalog.columns()[c].model]
                                .name
                                .clone()
                        })
                        .collect(),
                    base_rate: columns
                        .iter()
                        .map(|&c| self.calibration.base_rate(c))
                        .sum::<f32>()
                        / columns.len() as f32,
                }
            })
            .collect()
    }

    /// The t-SNE map of every tag of both vocabularies ([`crate::map::catalog_tag_map`]),
    /// cached in the index directory.
    pub fn tag_map(&self) -> Result<crate::map::TagMap> {
        let dir = self.index_dir.as_deref();
        Ok(crate::map::catalog_tag_map(dir, &self.spaces[0], &self.catalog)?.map)
    }

    /// The t-SNE map of (a sample of) the catalog's tracks ([`crate::map::catalog_track_map`]),
    /// cached in the index directory.
    pub fn track_map(&self) -> Result<crate::map::TrackMap> {
        let (dir, params) = (self.index_dir.as_deref(), Default::default());
        Ok(crate::map::catalog_track_map(dir, &self.catalog, &params)?.map)
    }

    /// Totals of the catalog.
    pub fn stats(&self) -> CatalogStats {
        CatalogStats {
            tracks: self.catalog.len(),
            hours: self.catalog.hours(),
            models: self
                .catalog
                .models()
                .iter()
                .map(|m| m.name.clone())
                .collect(),
            tags: self.catalog.tags().len(),
        }
    }

    /// One result: track `i` with its `score` and why it ranks there for `query` (`text`: its
    /// BM25 rank and score when the text search found it).
    fn hit(&self, query: &SparseQuery, i: usize, score: f32, text: Option<(usize, f32)>) -> Hit {
        Hit {
            track: self.summary(i),
            score,
            explanation: explain(&self.catalog, &self.tracks, query, i, text),
            weak_match: false,
            demoted: Vec::new(),
            versions: Vec::new(),
        }
    }

    /// One result of a refined ranking: [`Engine::hit`] with its marks and folded versions.
    fn refined_hit(&self, query: &SparseQuery, r: &RefinedTrack) -> Hit {
        let mut hit = self.hit(query, r.id, r.score, r.text);
        hit.weak_match = r.weak();
        hit.demoted = r.demoted.iter().map(|d| d.code().to_string()).collect();
        hit.versions = r
            .versions
            .iter()
            .map(|&v| {
                let t = &self.catalog.tracks()[v];
                Version {
                    id: t.id.to_hex(),
                    path: t.paths.first().cloned().unwrap_or_default(),
                    format: t.format(),
                    duration_secs: t.duration_secs,
                    similarity: crate::refine::cosine(&self.catalog, r.id, v),
                }
            })
            .collect();
        hit
    }

    /// What a result shows of track `i`.
    pub fn summary(&self, i: usize) -> TrackSummary {
        let t = &self.catalog.tracks()[i];
        TrackSummary {
            id: t.id.to_hex(),
            title: t.title(),
            artist: t.metadata.artist.clone(),
            album: t.metadata.album.clone(),
            genre: t.metadata.genre.clone(),
            year: t.metadata.year,
            duration_secs: t.duration_secs,
            format: t.format(),
        }
    }
}

/// Refuses a page size outside 1 ..= [`MAX_LIMIT`] or a page deeper than [`MAX_DEPTH`].
fn check_page(limit: usize, offset: usize) -> Result<()> {
    if limit == 0 || limit > MAX_LIMIT {
        return Err(EngineError::invalid(
            "invalid_limit",
            format!("limit must be between 1 and {MAX_LIMIT}, not {limit}"),
        ));
    }
    if offset.saturating_add(limit) > MAX_DEPTH {
        return Err(EngineError::invalid(
            "invalid_offset",
            format!("offset + limit must be at most {MAX_DEPTH}"),
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn assert_send_sync<T: Send + Sync>() {}

    #[test]
    fn engine_is_send_and_sync() {
        assert_send_sync::<Engine>();
    }

    #[test]
    fn pages_are_checked() {
        assert_eq!(check_page(0, 0).unwrap_err().code(), "invalid_limit");
        assert_eq!(
            check_page(MAX_LIMIT + 1, 0).unwrap_err().code(),
            "invalid_limit"
        );
        assert_eq!(
            check_page(10, MAX_DEPTH).unwrap_err().code(),
            "invalid_offset"
        );
        assert!(check_page(10, 0).is_ok());
    }
}
