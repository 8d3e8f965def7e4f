//! What every handler shares: the engine, the settings, the keys and the metrics.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use musearch_searcher::engine::Engine;

use crate::auth::ApiKeys;
use crate::config::{PathDisplay, ServerConfig};
use crate::metrics::Metrics;

/// The application state, behind `web::Data` (one `Arc`, shared by every worker).
pub struct AppState {
    /// The search engine over the index.
    pub engine: Arc<Engine>,
    /// The `[server]` settings.
    pub config: ServerConfig,
    /// The API keys of the settings.
    pub keys: ApiKeys,
    /// Request counts and latencies.
    pub metrics: Metrics,
    /// The indexed root: the deepest directory holding every indexed file (paths are shown
    /// relative to it).
    root: PathBuf,
}

impl AppState {
    /// The state for `engine` with `config`.
    pub fn new(engine: Arc<Engine>, config: ServerConfig) -> AppState {
        let files: Vec<PathBuf> = engine
            .catalog()
            .tracks()
            .iter()
            .flat_map(|t| t.paths.iter().map(|p| musearch_searcher::os_path(p)))
            .collect();
        let root = common_dir(files.iter().map(PathBuf::as_path));
        AppState {
            keys: ApiKeys::new(&config.api_keys),
            engine,
            config,
            metrics: Metrics::default(),
            root,
        }
    }

    /// The paths of a track (stored forms) as the API shows them ([`ServerConfig::paths`]):
    /// relative to the indexed root, or none. Never an absolute server path; bytes of a name
    /// that are not UTF-8 are shown as U+FFFD.
    pub fn shown_paths(&self, paths: &[String]) -> Vec<String> {
        match self.config.paths {
            PathDisplay::None => Vec::new(),
            PathDisplay::Relative => paths
                .iter()
                .map(|p| relative_to(&self.root, &musearch_searcher::os_path(p)))
                .collect(),
        }
    }
}

/// The deepest directory that holds every path of `paths` (`/` when they share none, or when
/// there are none).
pub fn common_dir<'a>(paths: impl Iterator<Item = &'a Path>) -> PathBuf {
    let mut common: Option<PathBuf> = None;
    for path in paths {
        let dir = path.parent().unwrap_or(Path::new("/"));
        common = Some(match common {
            None => dir.to_owned(),
            Some(c) => c
                .components()
                .zip(dir.components())
                .take_while(|(a, b)| a == b)
                .map(|(a, _)| a)
                .collect(),
        });
    }
    common.unwrap_or_else(|| PathBuf::from("/"))
}

/// `path` relative to `root`; a path outside it keeps its file name only.
fn relative_to(root: &Path, path: &Path) -> String {
    match path.strip_prefix(root) {
        Ok(rel) => rel.to_string_lossy().into_owned(),
        Err(_) => path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_are_shown_relative_to_their_common_directory() {
        let paths = [
            "/srv/music/a/x.ogg",
            "/srv/music/b/c/y.mp3",
            "/srv/music/z.flac",
        ];
        let root = common_dir(paths.iter().map(Path::new));
        assert_eq!(root, PathBuf::from("/srv/music"));
        assert_eq!(relative_to(&root, Path::new(paths[1])), "b/c/y.mp3");
        assert_eq!(relative_to(&root, Path::new("/elsewhere/q.wav")), "q.wav");
        let one = common_dir(std::iter::once(Path::new("/srv/music/one.ogg")));
        assert_eq!(
            relative_to(&one, Path::new("/srv/music/one.ogg")),
            "one.ogg"
        );
        assert_eq!(common_dir(std::iter::empty()), PathBuf::from("/"));
    }
}
