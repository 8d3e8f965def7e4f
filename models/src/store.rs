//! Where musearch keeps downloaded and converted model weights.
//!
//! The store is `$MUSEARCH_HOME` when that is set and not empty, otherwise the user's data
//! directory plus `musearch` (on Linux `$XDG_DATA_HOME/musearch`, by default
//! `~/.local/share/musearch`; on macOS `~/Library/Application Support/musearch`).

use std::ffi::OsString;
use std::path::PathBuf;

/// The environment variable that overrides the store's location.
pub const MUSEARCH_HOME: &str = "MUSEARCH_HOME";

/// The model store directory (see the [module documentation](self)). Only computes the path: the
/// directory may not exist yet. Where neither `$MUSEARCH_HOME` nor a user data directory is known
/// (no `$HOME`), it is `.musearch` in the current directory.
pub fn model_store_dir() -> PathBuf {
    store_dir_from(std::env::var_os(MUSEARCH_HOME), dirs::data_dir())
}

/// [`model_store_dir`] from the value of `$MUSEARCH_HOME` and the user's data directory.
fn store_dir_from(home: Option<OsString>, data_dir: Option<PathBuf>) -> PathBuf {
    match home {
        Some(home) if !home.is_empty() => PathBuf::from(home),
        _ => data_dir.map_or_else(|| PathBuf::from(".musearch"), |dir| dir.join("musearch")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn musearch_home_wins() {
        assert_eq!(
            store_dir_from(
                Some("/srv/models".into()),
                Some("/home/a/.local/share".into())
            ),
            PathBuf::from("/srv/models")
        );
    }

    #[test]
    fn data_dir_otherwise() {
        let data = Some(PathBuf::from("/home/a/.local/share"));
        let expected = PathBuf::from("/home/a/.local/share/musearch");
        assert_eq!(store_dir_from(None, data.clone()), expected);
        // An empty MUSEARCH_HOME counts as unset.
        assert_eq!(store_dir_from(Some(OsString::new()), data), expected);
        assert_eq!(store_dir_from(None, None), PathBuf::from(".musearch"));
    }

    #[test]
    fn follows_the_environment() {
        // Reads the real environment only: setting variables would race with other tests.
        let dir = model_store_dir();
        match std::env::var_os(MUSEARCH_HOME).filter(|v| !v.is_empty()) {
            Some(home) => assert_eq!(dir, PathBuf::from(home)),
            None => assert!(dir.ends_with("musearch") || dir == std::path::Path::new(".musearch")),
        }
    }
}
