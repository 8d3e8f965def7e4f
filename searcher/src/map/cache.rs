//! The maps' cache: one JSON file per map in the index directory (`<index>/maps/`), holding the
//! map and the key of the inputs it was computed from. A file whose key differs (the tags, their
//! vectors, the tracks, their models or the parameters changed), of another format, or that
//! cannot be read is recomputed. Files are written aside and renamed into place, so a reader
//! never sees half a file.

use std::path::{Path, PathBuf};
use std::time::Instant;

use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

use super::MapError;

/// The version of the cache files' layout and of the map computation; bumping it invalidates
/// every cached map.
pub const CACHE_FORMAT: u32 = 1;

/// The subdirectory of an index directory holding the cached maps.
pub const MAPS_DIR: &str = "maps";

/// Builds a cache key: a BLAKE3 hash of everything a map is computed from. Every field is
/// length-prefixed, so that different inputs never hash the same byte stream.
#[derive(Debug, Clone)]
pub struct CacheKey(blake3::Hasher);

impl CacheKey {
    /// A key for the map called `kind` (`tags`, `tracks`), of the current [`CACHE_FORMAT`].
    pub fn new(kind: &str) -> Self {
        let mut key = CacheKey(blake3::Hasher::new());
        key.u64(u64::from(CACHE_FORMAT)).str(kind);
        key
    }

    /// Adds an integer.
    pub fn u64(&mut self, v: u64) -> &mut Self {
        self.0.update(&v.to_le_bytes());
        self
    }

    /// Adds a float (its bits).
    pub fn f64(&mut self, v: f64) -> &mut Self {
        self.u64(v.to_bits())
    }

    /// Adds a string.
    pub fn str(&mut self, s: &str) -> &mut Self {
        self.u64(s.len() as u64);
        self.0.update(s.as_bytes());
        self
    }

    /// Adds a vector of floats (their bits).
    pub fn floats(&mut self, v: &[f32]) -> &mut Self {
        self.u64(v.len() as u64);
        for x in v {
            self.0.update(&x.to_bits().to_le_bytes());
        }
        self
    }

    /// The key as 64 hex digits.
    pub fn finish(&self) -> String {
        self.0.finalize().to_hex().to_string()
    }
}

/// A map with where it came from.
#[derive(Debug, Clone, PartialEq)]
pub struct Cached<T> {
    /// The map.
    pub map: T,
    /// True when it was read from the cache, false when computed now.
    pub from_cache: bool,
    /// Seconds the computation took (now, or when the cached map was computed).
    pub seconds: f64,
    /// The cache file (none when the map was computed without a cache).
    pub path: Option<PathBuf>,
}

/// A cache file's contents.
#[derive(Debug, Serialize, Deserialize)]
struct CacheFile<T> {
    format: u32,
    key: String,
    seconds: f64,
    map: T,
}

/// The map in `path` if it was computed from inputs with this `key`; otherwise `compute`s it
/// and writes it there (atomically). A cache that cannot be read or written is logged and
/// bypassed, never an error: the map is still returned.
pub fn cached<T, F>(path: &Path, key: &str, compute: F) -> Result<Cached<T>, MapError>
where
    T: Serialize + DeserializeOwned,
    F: FnOnce() -> Result<T, MapError>,
{
    if let Some((map, seconds)) = load(path, key) {
        tracing::debug!("map cache hit: {}", path.display());
        return Ok(Cached {
            map,
            from_cache: true,
            seconds,
            path: Some(path.to_owned()),
        });
    }
    let start = Instant::now();
    let map = compute()?;
    let seconds = start.elapsed().as_secs_f64();
    let file = CacheFile {
        format: CACHE_FORMAT,
        key: key.to_owned(),
        seconds,
        map,
    };
    if let Err(e) = store(path, &file) {
        tracing::warn!("cannot cache the map: {e}");
    }
    Ok(Cached {
        map: file.map,
        from_cache: false,
        seconds,
        path: Some(path.to_owned()),
    })
}

/// The cached map and its computing time, if `path` holds one of this format and `key`.
fn load<T: DeserializeOwned>(path: &Path, key: &str) -> Option<(T, f64)> {
    let bytes = match std::fs::read(path) {
        Ok(b) => b,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return None,
        Err(e) => {
            tracing::warn!("cannot read the map cache {}: {e}", path.display());
            return None;
        }
    };
    // Check the header before parsing the map, so a file of another format is not an error.
    #[derive(Deserialize)]
    struct Header {
        format: u32,
        key: String,
    }
    match serde_json::from_slice::<Header>(&bytes) {
        Ok(h) if h.format == CACHE_FORMAT && h.key == key => {}
        Ok(_) => {
            tracing::info!("map cache {} is out of date", path.display());
            return None;
        }
        Err(e) => {
            tracing::warn!(
                "map cache {} is unreadable ({e}); recomputing",
                path.display()
            );
            return None;
        }
    }
    match serde_json::from_slice::<CacheFile<T>>(&bytes) {
        Ok(file) => Some((file.map, file.seconds)),
        Err(e) => {
            tracing::warn!(
                "map cache {} is unreadable ({e}); recomputing",
                path.display()
            );
            None
        }
    }
}

/// Writes `file` to `path` through a temporary file in the same directory and a rename.
fn store<T: Serialize>(path: &Path, file: &CacheFile<T>) -> Result<(), MapError> {
    let io = |p: &Path| {
        let p = p.to_owned();
        move |source| MapError::Io { path: p, source }
    };
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).map_err(io(dir))?;
    }
    let mut tmp = path.as_os_str().to_owned();
    tmp.push(format!(".tmp-{}", std::process::id()));
    let tmp = PathBuf::from(tmp);
    let json = serde_json::to_vec(file).map_err(|e| MapError::Io {
        path: path.to_owned(),
        source: e.into(),
    })?;
    let written = std::fs::write(&tmp, json)
        .map_err(io(&tmp))
        .and_then(|()| std::fs::rename(&tmp, path).map_err(io(path)));
    if written.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    written
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_separate_fields() {
        let k = |a: &str, b: &str| CacheKey::new("t").str(a).str(b).finish();
        assert_ne!(k("ab", "c"), k("a", "bc"));
        assert_eq!(k("a", "b"), k("a", "b"));
        assert_ne!(
            CacheKey::new("tags").finish(),
            CacheKey::new("tracks").finish()
        );
    }

    #[test]
    fn hit_miss_and_corrupt_files() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("maps/x.json");
        let mut runs = 0;
        let mut get = |key: &str, value: u32| {
            cached(&path, key, || {
                runs += 1;
                Ok(value)
            })
            .unwrap()
        };
        let first = get("k1", 1);
        assert!(!first.from_cache);
        let again = get("k1", 2);
        assert!(again.from_cache);
        assert_eq!(again.map, 1);
        let changed = get("k2", 3);
        assert!(!changed.from_cache);
        assert_eq!(changed.map, 3);
        std::fs::write(&path, b"{ not json").unwrap();
        let repaired = get("k2", 4);
        assert!(!repaired.from_cache);
        assert_eq!(repaired.map, 4);
        assert_eq!(runs, 3);
        // No temporary file is left behind.
        let names: Vec<_> = std::fs::read_dir(dir.path().join("maps"))
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(names, vec![std::ffi::OsString::from("x.json")]);
    }
}
