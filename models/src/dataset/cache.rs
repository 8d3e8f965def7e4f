//! A log-mel cache: every clip's spectrogram computed once with the musicnn front-end
//! ([`crate::audio::stream_log_mel`]) and memory-mapped, so that training epochs never decode
//! audio again.
//!
//! On disk, a cache directory holds
//!
//! * `mels.f32`: the frames of every clip, one after the other, as little-endian `f32`
//!   ([`N_MELS`] values per frame);
//! * `index.json`: the front-end's description, and for every clip its audio path (relative to
//!   the data set), the file's size and modification time when it was read, and where its
//!   frames are (`offset`, in frames, and `frames`).
//!
//! `index.json` is written last (to a temporary name, then renamed), so an interrupted build
//! leaves no index and is simply rebuilt. [`MelCache::open`] compares the index with the data
//! set: a clip added, removed, re-ordered or modified since, or another front-end, is a
//! [`DatasetError::StaleCache`] naming the difference, never silently wrong data.
//! A clip that fails to decode is recorded with its error and no frames; training skips it.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;

use super::DatasetError;
use crate::audio::{stream_log_mel, N_MELS};

const INDEX: &str = "index.json";
const DATA: &str = "mels.f32";
/// Version of the cache format; a different one is stale.
const FORMAT_VERSION: u32 = 1;

/// Identifies the front-end whose output a cache holds.
fn frontend_id() -> String {
    format!("musicnn-logmel/sr16000/nfft512/hop256/mels{N_MELS}/log10(1+10000x)")
}

/// One clip in the index.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct CacheEntry {
    /// Audio path relative to the data set directory.
    pub path: String,
    /// File size in bytes when it was cached.
    pub size: u64,
    /// Modification time (nanoseconds since the Unix epoch) when it was cached.
    pub mtime_ns: u128,
    /// First frame in `mels.f32`.
    pub offset: u64,
    /// Number of frames (0 if it failed).
    pub frames: u64,
    /// Why the clip could not be decoded, if it could not.
    pub error: Option<String>,
}

#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
struct Index {
    version: u32,
    frontend: String,
    n_mels: usize,
    entries: Vec<CacheEntry>,
}

/// A memory-mapped mel cache (see the module documentation).
#[derive(Debug)]
pub struct MelCache {
    dir: PathBuf,
    entries: Vec<CacheEntry>,
    map: Option<memmap2::Mmap>,
}

fn stat(root: &Path, rel: &str) -> Result<(u64, u128), DatasetError> {
    let p = root.join(rel);
    let meta = std::fs::metadata(&p).map_err(|e| DatasetError::io(&p, e))?;
    let mtime = meta
        .modified()
        .ok()
        .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
        .map_or(0, |d| d.as_nanos());
    Ok((meta.len(), mtime))
}

impl MelCache {
    /// Opens the cache in `dir` for the clips `paths` (relative to `root`, in data set order),
    /// checking that it describes exactly these files as they are now.
    pub fn open<S: AsRef<str>>(dir: &Path, root: &Path, paths: &[S]) -> Result<Self, DatasetError> {
        let index_path = dir.join(INDEX);
        let text =
            std::fs::read_to_string(&index_path).map_err(|e| DatasetError::io(&index_path, e))?;
        let index: Index = serde_json::from_str(&text).map_err(|e| DatasetError::Format {
            path: index_path.clone(),
            line: e.line(),
            reason: e.to_string(),
        })?;
        let stale = |reason: String| DatasetError::StaleCache {
            path: dir.to_path_buf(),
            reason,
        };
        if index.version != FORMAT_VERSION
            || index.frontend != frontend_id()
            || index.n_mels != N_MELS
        {
            return Err(stale(format!(
                "made by another front-end or format ({} v{})",
                index.frontend, index.version
            )));
        }
        if index.entries.len() != paths.len() {
            return Err(stale(format!(
                "it holds {} clips, the data set has {}",
                index.entries.len(),
                paths.len()
            )));
        }
        for (e, p) in index.entries.iter().zip(paths) {
            if e.path != p.as_ref() {
                return Err(stale(format!(
                    "clip '{}' where '{}' was expected",
                    e.path,
                    p.as_ref()
                )));
            }
            let (size, mtime) = stat(root, &e.path)?;
            if size != e.size || mtime != e.mtime_ns {
                return Err(stale(format!("'{}' changed since it was cached", e.path)));
            }
        }
        let total: u64 = index.entries.iter().map(|e| e.frames).sum();
        let data_path = dir.join(DATA);
        let file = std::fs::File::open(&data_path).map_err(|e| DatasetError::io(&data_path, e))?;
        let len = file
            .metadata()
            .map_err(|e| DatasetError::io(&data_path, e))?
            .len();
        if len != total * (N_MELS as u64) * 4 {
            return Err(stale(format!(
                "{DATA} has {len} bytes, the index describes {}",
                total * (N_MELS as u64) * 4
            )));
        }
        let map = if len == 0 {
            None
        } else {
            // SAFETY: the file is only read; the cache is private to musearch and written
            // before the index that makes it visible. Modifying it while mapped is outside
            // the contract, as for any memory-mapped cache.
            Some(
                unsafe { memmap2::Mmap::map(&file) }
                    .map_err(|e| DatasetError::io(&data_path, e))?,
            )
        };
        Ok(MelCache {
            dir: dir.to_path_buf(),
            entries: index.entries,
            map,
        })
    }

    /// Computes the cache for `paths` (relative to `root`) into `dir` on `jobs` threads,
    /// calling `progress` once per clip, then opens it. An existing cache is replaced.
    pub fn build<S: AsRef<str> + Sync>(
        dir: &Path,
        root: &Path,
        paths: &[S],
        jobs: usize,
        progress: &(dyn Fn() + Sync),
    ) -> Result<Self, DatasetError> {
        std::fs::create_dir_all(dir).map_err(|e| DatasetError::io(dir, e))?;
        let _ = std::fs::remove_file(dir.join(INDEX));
        let data_path = dir.join(DATA);
        let mut data = std::io::BufWriter::new(
            std::fs::File::create(&data_path).map_err(|e| DatasetError::io(&data_path, e))?,
        );
        let mut entries = Vec::with_capacity(paths.len());
        let mut offset = 0u64;
        let jobs = jobs.max(1);
        // Batches of a few clips per thread keep memory bounded and the file in order.
        for batch in paths.chunks(jobs * 4) {
            type Computed = Result<(u64, u128, Vec<f32>), DatasetError>;
            let next = AtomicUsize::new(0);
            let results: Mutex<Vec<Option<Computed>>> =
                Mutex::new((0..batch.len()).map(|_| None).collect());
            std::thread::scope(|scope| {
                for _ in 0..jobs.min(batch.len()) {
                    scope.spawn(|| loop {
                        let i = next.fetch_add(1, Ordering::Relaxed);
                        if i >= batch.len() {
                            break;
                        }
                        let rel = batch[i].as_ref();
                        let r = stat(root, rel).and_then(|(size, mtime)| {
                            let mut frames = Vec::new();
                            stream_log_mel(&root.join(rel), &mut |f| frames.extend_from_slice(f))
                                .map(|_| (size, mtime, frames))
                                .map_err(DatasetError::from)
                        });
                        if let Ok(mut res) = results.lock() {
                            res[i] = Some(r);
                        }
                        progress();
                    });
                }
            });
            let results = results.into_inner().unwrap_or_default();
            for (rel, r) in batch.iter().zip(results) {
                let rel = rel.as_ref().to_string();
                // A clip a thread did not compute (it panicked) is skipped like a bad one.
                let computed = r.map(|r| r.map_err(|e| e.to_string()));
                match computed.unwrap_or_else(|| Err("not computed".into())) {
                    Ok((size, mtime_ns, frames)) => {
                        let n = (frames.len() / N_MELS) as u64;
                        for v in &frames[..n as usize * N_MELS] {
                            data.write_all(&v.to_le_bytes())
                                .map_err(|e| DatasetError::io(&data_path, e))?;
                        }
                        entries.push(CacheEntry {
                            path: rel,
                            size,
                            mtime_ns,
                            offset,
                            frames: n,
                            error: None,
                        });
                        offset += n;
                    }
                    Err(error) => {
                        tracing::warn!(clip = %rel, %error, "clip skipped in the mel cache");
                        let (size, mtime_ns) = stat(root, &rel).unwrap_or((0, 0));
                        entries.push(CacheEntry {
                            path: rel,
                            size,
                            mtime_ns,
                            offset,
                            frames: 0,
                            error: Some(error),
                        });
                    }
                }
            }
        }
        data.flush().map_err(|e| DatasetError::io(&data_path, e))?;
        drop(data);
        let index = Index {
            version: FORMAT_VERSION,
            frontend: frontend_id(),
            n_mels: N_MELS,
            entries,
        };
        let tmp = dir.join("index.json.tmp");
        let json =
            serde_json::to_string(&index).map_err(|e| DatasetError::Invalid(e.to_string()))?;
        std::fs::write(&tmp, json).map_err(|e| DatasetError::io(&tmp, e))?;
        std::fs::rename(&tmp, dir.join(INDEX)).map_err(|e| DatasetError::io(dir.join(INDEX), e))?;
        Self::open(dir, root, paths)
    }

    /// Opens the cache if it is there and current, builds it if there is none. A stale cache is
    /// an error (it is not replaced behind the user's back).
    pub fn open_or_build<S: AsRef<str> + Sync>(
        dir: &Path,
        root: &Path,
        paths: &[S],
        jobs: usize,
        progress: &(dyn Fn() + Sync),
    ) -> Result<Self, DatasetError> {
        if dir.join(INDEX).exists() {
            Self::open(dir, root, paths)
        } else {
            Self::build(dir, root, paths, jobs, progress)
        }
    }

    /// The cache directory.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Number of clips.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether the cache holds no clip.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// The index entry of clip `i`.
    pub fn entry(&self, i: usize) -> &CacheEntry {
        &self.entries[i]
    }

    /// The log-mel frames of clip `i`, row-major `frames × N_MELS` (empty if it failed).
    pub fn mel(&self, i: usize) -> Vec<f32> {
        let mut out = Vec::new();
        self.mel_into(i, 0, self.entries[i].frames as usize, &mut out);
        out
    }

    /// Appends frames `start .. start + len` of clip `i` (clamped to the clip) to `out`.
    pub fn mel_into(&self, i: usize, start: usize, len: usize, out: &mut Vec<f32>) {
        let e = &self.entries[i];
        let start = start.min(e.frames as usize);
        let end = (start + len).min(e.frames as usize);
        let Some(map) = &self.map else { return };
        let from = (e.offset as usize + start) * N_MELS * 4;
        let to = (e.offset as usize + end) * N_MELS * 4;
        out.extend(
            map[from..to]
                .chunks_exact(4)
                .map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]])),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fixtures() -> PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../fixtures/audio")
    }

    #[test]
    fn builds_maps_and_detects_staleness() {
        let root = tempfile::tempdir().unwrap();
        for name in ["real_16k_mono.wav", "short_2s_16k.wav"] {
            std::fs::copy(fixtures().join(name), root.path().join(name)).unwrap();
        }
        std::fs::write(root.path().join("broken.wav"), b"RIFF....not audio").unwrap();
        let paths = ["real_16k_mono.wav", "broken.wav", "short_2s_16k.wav"];
        let dir = root.path().join("cache");
        let calls = AtomicUsize::new(0);
        let cache = MelCache::build(&dir, root.path(), &paths, 2, &|| {
            calls.fetch_add(1, Ordering::Relaxed);
        })
        .unwrap();
        assert_eq!(calls.load(Ordering::Relaxed), 3);
        assert_eq!(cache.len(), 3);
        assert!(cache.entry(1).error.is_some());
        assert_eq!(cache.entry(1).frames, 0);
        for (i, name) in [(0, "real_16k_mono.wav"), (2, "short_2s_16k.wav")] {
            let mut direct = Vec::new();
            stream_log_mel(&root.path().join(name), &mut |f| {
                direct.extend_from_slice(f)
            })
            .unwrap();
            assert_eq!(cache.mel(i), direct, "{name}");
        }
        // A window.
        let mut w = Vec::new();
        cache.mel_into(0, 10, 3, &mut w);
        assert_eq!(w, cache.mel(0)[10 * N_MELS..13 * N_MELS]);

        // Reopening checks the data set.
        MelCache::open(&dir, root.path(), &paths).unwrap();
        let e = MelCache::open(&dir, root.path(), &paths[..2]).unwrap_err();
        assert!(matches!(e, DatasetError::StaleCache { .. }), "{e}");
        let swapped = ["short_2s_16k.wav", "broken.wav", "real_16k_mono.wav"];
        assert!(MelCache::open(&dir, root.path(), &swapped).is_err());
        std::fs::write(root.path().join("broken.wav"), b"RIFF....still not audio").unwrap();
        let e = MelCache::open_or_build(&dir, root.path(), &paths, 1, &|| {}).unwrap_err();
        assert!(e.to_string().contains("broken.wav' changed"), "{e}");
    }
}
