//! Finding the files to index: a recursive walk that follows symbolic links without looping,
//! the file facts that decide whether a file changed, and the content hash that identifies a
//! track.
//!
//! Every regular file is a candidate: whether it is audio is decided by probing its content
//! (in the pipeline), not by its extension.

use std::io::Read;
use std::path::{Path, PathBuf};
use std::time::UNIX_EPOCH;

use musearch_index::{StoredPath, TrackId};

use crate::error::IndexerError;

/// A regular file found by [`walk`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FoundFile {
    /// Absolute path (through the links it was reached by), in its stored form
    /// ([`StoredPath`]: as it is when UTF-8, escaped bytes otherwise).
    pub path: String,
    /// Size in bytes.
    pub size: u64,
    /// Modification time, nanoseconds since the Unix epoch.
    pub mtime_ns: i64,
}

/// What [`walk`] reports for each entry.
#[derive(Debug)]
pub enum ScanItem {
    /// A regular file.
    File(FoundFile),
    /// An entry that could not be read (permissions, a symlink loop …).
    Error {
        /// The path, as far as known.
        path: PathBuf,
        /// Why.
        message: String,
    },
}

/// Makes `root` absolute and checks that it is a directory.
pub fn check_root(root: &Path) -> Result<PathBuf, IndexerError> {
    let abs = std::path::absolute(root).map_err(|e| IndexerError::io(root, e))?;
    if !abs.is_dir() {
        return Err(IndexerError::NotADirectory(root.to_owned()));
    }
    Ok(abs)
}

/// Walks `root` recursively in a stable (sorted) order, following symbolic links. A link back to
/// one of its own ancestors is reported once as an error and not followed, so loops end.
pub fn walk(root: &Path) -> impl Iterator<Item = ScanItem> {
    walkdir::WalkDir::new(root)
        .follow_links(true)
        .sort_by_file_name()
        .into_iter()
        .filter_map(|entry| match entry {
            Ok(entry) if entry.file_type().is_file() => Some(match entry.metadata() {
                Ok(meta) => ScanItem::File(FoundFile {
                    path: StoredPath::from_path(entry.path()).into_string(),
                    size: meta.len(),
                    mtime_ns: mtime_ns(&meta),
                }),
                Err(e) => ScanItem::Error {
                    path: entry.path().to_owned(),
                    message: e.to_string(),
                },
            }),
            Ok(_) => None,
            Err(e) => Some(ScanItem::Error {
                path: e.path().map(Path::to_owned).unwrap_or_default(),
                message: e.to_string(),
            }),
        })
}

/// The file's modification time in nanoseconds since the Unix epoch (0 where unknown).
pub fn mtime_ns(meta: &std::fs::Metadata) -> i64 {
    meta.modified()
        .ok()
        .and_then(|t| match t.duration_since(UNIX_EPOCH) {
            Ok(d) => i64::try_from(d.as_nanos()).ok(),
            Err(e) => i64::try_from(e.duration().as_nanos()).ok().map(|n| -n),
        })
        .unwrap_or(0)
}

/// BLAKE3 of a file's bytes, streamed.
pub fn hash_file(path: &Path) -> Result<blake3::Hash, IndexerError> {
    let mut file = std::fs::File::open(path).map_err(|e| IndexerError::io(path, e))?;
    let mut hasher = blake3::Hasher::new();
    let mut buf = vec![0u8; 256 << 10];
    loop {
        let n = file.read(&mut buf).map_err(|e| IndexerError::io(path, e))?;
        if n == 0 {
            break;
        }
        hasher.update(&buf[..n]);
    }
    Ok(hasher.finalize())
}

/// The track id of a file: the first 16 bytes of [`hash_file`].
pub fn content_id(path: &Path) -> Result<TrackId, IndexerError> {
    let hash = hash_file(path)?;
    let mut id = [0u8; 16];
    id.copy_from_slice(&hash.as_bytes()[..16]);
    Ok(TrackId(id))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    #[cfg(unix)]
    fn symlink_loops_end() {
        let dir = tempfile::tempdir().unwrap();
        let sub = dir.path().join("a/b");
        std::fs::create_dir_all(&sub).unwrap();
        std::fs::write(sub.join("x.bin"), b"x").unwrap();
        std::os::unix::fs::symlink(dir.path().join("a"), sub.join("loop")).unwrap();
        std::os::unix::fs::symlink(sub.join("x.bin"), dir.path().join("link.bin")).unwrap();
        let items: Vec<ScanItem> = walk(dir.path()).collect();
        let files: Vec<&str> = items
            .iter()
            .filter_map(|i| match i {
                ScanItem::File(f) => Some(f.path.as_str()),
                ScanItem::Error { .. } => None,
            })
            .collect();
        assert_eq!(files.len(), 2, "{items:?}");
        assert!(files.iter().any(|p| p.ends_with("a/b/x.bin")));
        assert!(files.iter().any(|p| p.ends_with("link.bin")));
        let errors = items.len() - files.len();
        assert_eq!(errors, 1, "the loop is reported once: {items:?}");
    }

    #[test]
    fn identical_content_has_one_id() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("a"), b"same").unwrap();
        std::fs::write(dir.path().join("b"), b"same").unwrap();
        std::fs::write(dir.path().join("c"), b"other").unwrap();
        let id = |n: &str| content_id(&dir.path().join(n)).unwrap();
        assert_eq!(id("a"), id("b"));
        assert_ne!(id("a"), id("c"));
    }
}
