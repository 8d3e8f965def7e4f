//! `musearch similar TRACK`: the tracks that sound most like one indexed track (by id or file
//! path), by the models' audio embeddings.

use musearch_searcher::response::SimilarResponse;

use super::search::EngineArgs;

/// Flags of `musearch similar`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The track: its id (32 hex digits, as `musearch search` prints) or the path of its file.
    pub track: String,
    /// Which index and word vectors.
    #[command(flatten)]
    pub engine: EngineArgs,
    /// Which page of results.
    #[command(flatten)]
    pub page: super::args::PageArgs,
    /// Print the response as JSON.
    #[arg(long)]
    pub json: bool,
}

/// Runs `musearch similar`.
pub fn run(args: Args) -> anyhow::Result<()> {
    let engine = args.engine.open()?;
    let response = engine.similar(&args.track, args.page.limit, args.page.offset)?;
    if args.json {
        let linked = musearch_web::links::similar(response);
        println!("{}", serde_json::to_string_pretty(&linked)?);
    } else {
        let title = engine
            .track(&response.id)
            .map(|d| d.track.title)
            .unwrap_or_default();
        print!("{}", render(&response, &title));
    }
    Ok(())
}

/// The readable form: one line per similar track.
pub fn render(r: &SimilarResponse, title: &str) -> String {
    use std::fmt::Write;
    let mut out = format!(
        "tracks like {title:?} ({}): {} of {}, {:.1} ms\n\n",
        r.id,
        r.results.len(),
        r.total,
        r.took_ms
    );
    for (k, hit) in r.results.iter().enumerate() {
        let t = &hit.track;
        let _ = writeln!(
            out,
            "{:>3}. {} — {}  [{}]  similarity {:.3}\n     id {}",
            r.offset + k + 1,
            t.title,
            t.artist.as_deref().unwrap_or("unknown artist"),
            t.format,
            hit.similarity,
            t.id
        );
    }
    out
}
