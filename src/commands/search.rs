//! `musearch search "QUERY"`: rank the index for a query and print the results with why each
//! ranks where it does (`--json`: the engine's SearchResponse, the same document as the HTTP
//! API's).

use std::path::PathBuf;

use anyhow::Context;
use musearch_searcher::engine::{Engine, EngineOptions};
use musearch_searcher::refine::RefineOptions;
use musearch_searcher::response::{Filters, SearchRequest, SearchResponse};
use musearch_searcher::vectors::VectorSource;

use super::index::default_index_dir;

/// Flags shared by the commands that open a search engine.
#[derive(Debug, clap::Args)]
pub struct EngineArgs {
    /// The index directory (default: `index` in the musearch data directory, as for
    /// `musearch index`).
    #[arg(long, short, alias = "db", env = "MUSEARCH_INDEX", value_name = "DIR")]
    pub index: Option<PathBuf>,
    /// Word vectors: a source name (`spacy-md`, `glove-50d`) from the model store, or a path to
    /// a finalfusion file; several, comma-separated, are combined. Default: `$MUSEARCH_VECTORS`,
    /// else spacy-md.
    #[arg(long)]
    pub vectors: Option<String>,
}

impl EngineArgs {
    /// The index directory these flags name.
    pub fn dir(&self) -> PathBuf {
        default_index_dir(self.index.clone())
    }

    /// Opens the engine on the index these flags name, with the default ranking rules.
    pub fn open(&self) -> anyhow::Result<Engine> {
        self.open_with(RefineOptions::default())
    }

    /// Opens the engine on the index these flags name, refining rankings with `refine`.
    pub fn open_with(&self, refine: RefineOptions) -> anyhow::Result<Engine> {
        let dir = self.dir();
        let options = EngineOptions {
            vectors: vector_paths(self.vectors.as_deref()),
            refine,
            ..EngineOptions::default()
        };
        Engine::open(&dir, &options).with_context(|| format!("opening the index {}", dir.display()))
    }
}

/// The finalfusion files a `--vectors` value names (source names resolved in the model store);
/// empty for the default.
pub fn vector_paths(spec: Option<&str>) -> Vec<PathBuf> {
    let Some(spec) = spec else {
        return Vec::new();
    };
    spec.split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(|s| match VectorSource::from_name(s) {
            Some(source) => musearch_searcher::store::vectors_dir().join(source.file_name()),
            None => PathBuf::from(s),
        })
        .collect()
}

/// The ranking rules' flags of `musearch search` and `musearch serve` (over the `[ranking]`
/// table of the configuration file for `serve`).
#[derive(Debug, Clone, Default, clap::Args)]
pub struct RankingArgs {
    /// Tracks shorter than this (seconds) go below the others unless the query asks for short
    /// ones ("short", "jingle" …, or a duration filter). Default 25.
    #[arg(long, value_name = "S")]
    pub min_length: Option<f64>,
    /// Do not limit how many results of one album come in a row (the diversity rule).
    #[arg(long)]
    pub no_diversity: bool,
    /// The most results of one album (album tag, else folder) per round of the diversity rule.
    /// Default 3.
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u64).range(1..))]
    pub max_per_album: Option<u64>,
}

impl RankingArgs {
    /// `base` with these flags applied.
    pub fn apply(&self, mut base: RefineOptions) -> anyhow::Result<RefineOptions> {
        if let Some(s) = self.min_length {
            anyhow::ensure!(
                s.is_finite() && s >= 0.0,
                "--min-length must be a number of seconds, 0 or more, not {s}"
            );
            base.min_length_secs = s;
        }
        if self.no_diversity {
            base.diversity = false;
        }
        if let Some(n) = self.max_per_album {
            base.max_per_album = n as usize;
        }
        Ok(base)
    }
}

/// Flags of `musearch search`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The query: free text ("calm piano without drums"), tag names, an artist …
    pub query: String,
    /// Which index and word vectors.
    #[command(flatten)]
    pub engine: EngineArgs,
    /// Which page of results.
    #[command(flatten)]
    pub page: super::args::PageArgs,
    /// Only tracks at least this long (seconds).
    #[arg(long, value_name = "S")]
    pub min_duration: Option<f64>,
    /// Only tracks at most this long (seconds).
    #[arg(long, value_name = "S")]
    pub max_duration: Option<f64>,
    /// Only tracks whose artist contains this text (case-insensitive).
    #[arg(long)]
    pub artist: Option<String>,
    /// Only files of this format: an extension (`ogg`, `mp3` …) or a codec (`vorbis` …).
    #[arg(long)]
    pub format: Option<String>,
    /// The ranking rules (minimum length, album diversity).
    #[command(flatten)]
    pub ranking: RankingArgs,
    /// Print the SearchResponse as JSON.
    #[arg(long)]
    pub json: bool,
}

/// Runs `musearch search`.
pub fn run(args: Args) -> anyhow::Result<()> {
    let engine = args
        .engine
        .open_with(args.ranking.apply(RefineOptions::default())?)?;
    let request = SearchRequest {
        query: args.query.clone(),
        limit: args.page.limit,
        offset: args.page.offset,
        filters: Filters {
            min_duration: args.min_duration,
            max_duration: args.max_duration,
            artist: args.artist.clone(),
            format: args.format.clone(),
        },
        diverse: None,
        max_per_album: None,
    };
    let response = engine.search(&request)?;
    if args.json {
        // The API's document: the tracks with their URLs, built as the server builds them.
        let linked = musearch_web::links::search(response);
        println!("{}", serde_json::to_string_pretty(&linked)?);
    } else {
        print!("{}", render(&response));
    }
    Ok(())
}

/// The readable form: how the query was read, then one block per result.
pub fn render(r: &SearchResponse) -> String {
    use std::fmt::Write;
    let mut out = String::new();
    let i = &r.interpreted;
    let tags: Vec<String> = i
        .tags
        .iter()
        .map(|t| format!("{} {:+.2}", t.tag, t.weight))
        .collect();
    let _ = write!(out, "query {:?}", r.query);
    if i.text_only {
        let _ = write!(out, ": text search only");
    } else {
        let _ = write!(out, ": tags {}", tags.join(", "));
    }
    if !i.negated.is_empty() {
        let _ = write!(out, "; without {}", i.negated.join(", "));
    }
    if !i.unknown.is_empty() {
        let _ = write!(out, "; unknown words {}", i.unknown.join(", "));
    }
    if let Some(d) = &i.did_you_mean {
        let _ = write!(out, " (did you mean {d:?}?)");
    }
    if let Some(note) = &r.note {
        let _ = write!(out, "\nnote: {note}");
    }
    let _ = writeln!(
        out,
        "\n{} of {} tracks (from {}), {:.1} ms\n",
        r.results.len(),
        r.total,
        r.offset + 1,
        r.took_ms
    );
    for (k, hit) in r.results.iter().enumerate() {
        let t = &hit.track;
        let artist = t.artist.as_deref().unwrap_or("unknown artist");
        let minutes = (t.duration_secs / 60.0).floor();
        let seconds = t.duration_secs - 60.0 * minutes;
        let _ = writeln!(
            out,
            "{:>3}. {} — {}  [{}, {}:{:02.0}]  score {:.3}",
            r.offset + k + 1,
            t.title,
            artist,
            t.format,
            minutes,
            seconds.floor(),
            hit.score
        );
        let _ = writeln!(out, "     id {}", t.id);
        if !hit.demoted.is_empty() {
            let _ = writeln!(
                out,
                "     demoted: {}{}",
                hit.demoted.join(", "),
                if hit.weak_match { " (weak match)" } else { "" }
            );
        }
        if !hit.versions.is_empty() {
            let versions: Vec<String> = hit
                .versions
                .iter()
                .map(|v| format!("{} ({})", v.path, v.format))
                .collect();
            let _ = writeln!(out, "     also: {}", versions.join("; "));
        }
        let why: Vec<String> = hit
            .explanation
            .by_tag
            .iter()
            .take(6)
            .map(|e| {
                let models: Vec<String> = e
                    .models
                    .iter()
                    .map(|m| {
                        format!(
                            "{} p={:.2} z={:+.1}",
                            short_model(&m.model),
                            m.probability,
                            m.calibrated
                        )
                    })
                    .collect();
                format!("{} ({}) → {:+.2}", e.tag, models.join(", "), e.contribution)
            })
            .collect();
        if !why.is_empty() {
            let _ = writeln!(out, "     {}", why.join("; "));
        }
        if let Some(text) = &hit.explanation.text {
            let _ = writeln!(
                out,
                "     text match: rank {}, BM25 {:.2}",
                text.rank, text.score
            );
        }
    }
    out
}

/// `MTT_musicnn` → `MTT`.
fn short_model(model: &str) -> &str {
    model.split('_').next().unwrap_or(model)
}
