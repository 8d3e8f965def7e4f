//! `musearch map`: the t-SNE maps for curators — the tag map (every tag of both vocabularies,
//! placed by meaning) or, with `--tracks`, the catalog map (tracks placed by their tags).
//! `--json` prints the `/api/v1/map/*` document; `--png` draws the map. Maps are cached in
//! `<index>/maps/` (see `musearch_searcher::map`).

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use musearch_models::plot::{scatter_png, ScatterPoint};
use musearch_searcher::map::{TagMap, TrackMap};

use super::search::EngineArgs;

/// Flags of `musearch map`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The index and word vectors.
    #[command(flatten)]
    pub engine: EngineArgs,
    /// Map the catalog's tracks (a deterministic sample of at most 3000) instead of the tags.
    #[arg(long)]
    pub tracks: bool,
    /// Print the map as JSON (the `/api/v1/map/tags` or `/api/v1/map/tracks` document).
    #[arg(long)]
    pub json: bool,
    /// Draw the map as a PNG (tags labelled and coloured by their models; tracks coloured by
    /// their top tag).
    #[arg(long, value_name = "OUT.png")]
    pub png: Option<PathBuf>,
}

/// Runs `musearch map`.
pub fn run(args: Args) -> anyhow::Result<()> {
    let engine = args.engine.open()?;
    let what = if args.tracks { "track map" } else { "tag map" };
    let spinner = indicatif::ProgressBar::new_spinner()
        .with_message(format!("{what}: t-SNE (cached maps load at once)…"));
    spinner.enable_steady_tick(Duration::from_millis(120));
    let start = Instant::now();
    let map = if args.tracks {
        Map::Tracks(engine.track_map()?)
    } else {
        Map::Tags(engine.tag_map()?)
    };
    spinner.finish_and_clear();
    let secs = start.elapsed().as_secs_f64();
    if let Some(png) = &args.png {
        map.draw(png)?;
        eprintln!("wrote {}", png.display());
    }
    if args.json {
        let json = match &map {
            Map::Tags(m) => serde_json::to_string_pretty(m)?,
            Map::Tracks(m) => serde_json::to_string_pretty(m)?,
        };
        println!("{json}");
        return Ok(());
    }
    match &map {
        Map::Tags(m) => {
            for p in &m.points {
                println!(
                    "{:>7.3} {:>7.3}  {:<20} {}",
                    p.x,
                    p.y,
                    p.tag,
                    p.models.join(", ")
                );
            }
            println!(
                "{} tags, perplexity {:.1}, seed {}, {secs:.2} s",
                m.points.len(),
                m.perplexity,
                m.seed
            );
        }
        Map::Tracks(m) => {
            for p in &m.points {
                println!(
                    "{:>7.3} {:>7.3}  {}  {:<16} {} — {}",
                    p.x,
                    p.y,
                    p.id,
                    p.top_tag.as_deref().unwrap_or("-"),
                    p.artist.as_deref().unwrap_or("?"),
                    p.title
                );
            }
            println!(
                "{} of {} tracks{}, {secs:.2} s",
                m.points.len(),
                m.total,
                if m.sampled { " (sampled)" } else { "" }
            );
        }
    }
    Ok(())
}

/// Either map.
enum Map {
    Tags(TagMap),
    Tracks(TrackMap),
}

/// Tracks on a drawn track map are coloured by their top tag, the most common ones each in a
/// colour of their own.
const TRACK_MAP_COLOURED_TAGS: usize = 8;

/// Tracks are labelled with their titles on maps of at most this many.
const TRACK_MAP_MAX_LABELS: usize = 150;

impl Map {
    /// Draws the map as a PNG at `path`.
    fn draw(&self, path: &Path) -> anyhow::Result<()> {
        // Each map: its points (group filled in below), the group of each point, how many
        // groups get their own colour, the title.
        let (mut points, groups, most, title): (Vec<ScatterPoint>, Vec<String>, usize, String) =
            match self {
                Map::Tags(m) => (
                    m.points
                        .iter()
                        .map(|p| ScatterPoint {
                            x: p.x,
                            y: p.y,
                            label: p.tag.clone(),
                            group: 0,
                        })
                        .collect(),
                    m.points.iter().map(|p| p.models.join(" + ")).collect(),
                    usize::MAX,
                    format!(
                        "tag map: {} tags (t-SNE, perplexity {:.0})",
                        m.points.len(),
                        m.perplexity
                    ),
                ),
                Map::Tracks(m) => {
                    let label = m.points.len() <= TRACK_MAP_MAX_LABELS;
                    (
                        m.points
                            .iter()
                            .map(|p| ScatterPoint {
                                x: p.x,
                                y: p.y,
                                label: if label {
                                    p.title.clone()
                                } else {
                                    String::new()
                                },
                                group: 0,
                            })
                            .collect(),
                        m.points
                            .iter()
                            .map(|p| p.top_tag.clone().unwrap_or_default())
                            .collect(),
                        TRACK_MAP_COLOURED_TAGS,
                        format!(
                            "track map: {} of {} tracks, coloured by top tag",
                            m.points.len(),
                            m.total
                        ),
                    )
                }
            };
        let (index, legend) = group_index(&groups, most);
        for (point, group) in points.iter_mut().zip(&groups) {
            point.group = index[group];
        }
        scatter_png(path, &points, &title, &legend, 1200)?;
        Ok(())
    }
}

/// Numbers the distinct `groups`, most frequent first; beyond the `most` most frequent they
/// share one last group, `other`. Returns each group's number and the legend.
fn group_index(groups: &[String], most: usize) -> (HashMap<String, usize>, Vec<String>) {
    let mut counts: Vec<(String, usize)> = Vec::new();
    for g in groups {
        match counts.iter_mut().find(|(name, _)| name == g) {
            Some((_, c)) => *c += 1,
            None => counts.push((g.clone(), 1)),
        }
    }
    counts.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
    let mut legend: Vec<String> = counts
        .iter()
        .take(most)
        .map(|(g, _)| {
            if g.is_empty() {
                "(none)".to_string()
            } else {
                g.clone()
            }
        })
        .collect();
    let index = counts
        .iter()
        .enumerate()
        .map(|(i, (g, _))| (g.clone(), i.min(most)))
        .collect();
    if counts.len() > most {
        legend.push("other".into());
    }
    (index, legend)
}
