//! [`StoredPath`]: any file path of the OS, kept losslessly in the index's string fields
//! (`TrackRecord::paths`, the `paths` tree's keys, the change set, the text index).
//!
//! A path that is valid UTF-8 is stored exactly as it is, so the schema and every index written
//! before stay as they were. A path that is not (a Latin-1 `caf\xe9.wav` on Linux) is stored as
//! a NUL (which no OS path can hold, so no UTF-8 path is ever read as an escape) followed by
//! its bytes, each valid UTF-8 run as it is with `%` written `%25`, each byte outside one as
//! `%XX`. [`StoredPath::to_path_buf`] gives the original bytes back for file access;
//! [`StoredPath::display`] shows it to people with U+FFFD for what is not UTF-8.

use std::borrow::Cow;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

/// The mark at the start of an escaped (non-UTF-8) path.
const MARK: char = '\0';

/// A file path in its stored form; see the module documentation.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct StoredPath(String);

impl StoredPath {
    /// The stored form of `path`: itself when it is UTF-8, else its escaped bytes.
    pub fn from_path(path: &Path) -> StoredPath {
        if let Some(text) = path.to_str() {
            return StoredPath(text.to_owned());
        }
        let bytes = os_bytes(path);
        let mut out = String::with_capacity(bytes.len() * 2 + 1);
        out.push(MARK);
        for chunk in bytes.utf8_chunks() {
            for c in chunk.valid().chars() {
                if c == '%' {
                    out.push_str("%25");
                } else {
                    out.push(c);
                }
            }
            for b in chunk.invalid() {
                let _ = write!(out, "%{b:02X}");
            }
        }
        StoredPath(out)
    }

    /// A path as the index stores it (a record's `paths`, a `paths` key).
    pub fn from_stored(stored: impl Into<String>) -> StoredPath {
        StoredPath(stored.into())
    }

    /// The stored form.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The stored form, owned.
    pub fn into_string(self) -> String {
        self.0
    }

    /// Whether this path is not UTF-8 (stored escaped).
    pub fn is_escaped(&self) -> bool {
        self.0.starts_with(MARK)
    }

    /// The path's raw bytes (the OS path exactly as it was found).
    pub fn to_bytes(&self) -> Cow<'_, [u8]> {
        let Some(escaped) = self.0.strip_prefix(MARK) else {
            return Cow::Borrowed(self.0.as_bytes());
        };
        let mut out = Vec::with_capacity(escaped.len());
        let bytes = escaped.as_bytes();
        let mut i = 0;
        while i < bytes.len() {
            let hex = bytes
                .get(i + 1..i + 3)
                .filter(|_| bytes[i] == b'%')
                .and_then(|h| std::str::from_utf8(h).ok())
                .and_then(|h| u8::from_str_radix(h, 16).ok());
            match hex {
                Some(b) => {
                    out.push(b);
                    i += 3;
                }
                None => {
                    out.push(bytes[i]);
                    i += 1;
                }
            }
        }
        Cow::Owned(out)
    }

    /// The path for file access: the original bytes.
    pub fn to_path_buf(&self) -> PathBuf {
        if !self.is_escaped() {
            return PathBuf::from(&self.0);
        }
        path_from_bytes(self.to_bytes().into_owned())
    }

    /// The path for people: UTF-8 as it is, other bytes as U+FFFD.
    pub fn display(&self) -> Cow<'_, str> {
        if !self.is_escaped() {
            return Cow::Borrowed(&self.0);
        }
        Cow::Owned(String::from_utf8_lossy(&self.to_bytes()).into_owned())
    }
}

impl std::fmt::Display for StoredPath {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.display())
    }
}

/// The file path of a stored path string (a record's `paths` entry): its original bytes.
pub fn os_path(stored: &str) -> PathBuf {
    StoredPath::from_stored(stored).to_path_buf()
}

/// A stored path string shown to people (U+FFFD for bytes that are not UTF-8).
pub fn display_path(stored: &str) -> Cow<'_, str> {
    if !stored.starts_with(MARK) {
        return Cow::Borrowed(stored);
    }
    Cow::Owned(StoredPath::from_stored(stored).display().into_owned())
}

#[cfg(unix)]
fn os_bytes(path: &Path) -> Vec<u8> {
    use std::os::unix::ffi::OsStrExt;
    path.as_os_str().as_bytes().to_vec()
}

#[cfg(not(unix))]
fn os_bytes(path: &Path) -> Vec<u8> {
    path.to_string_lossy().into_owned().into_bytes()
}

#[cfg(unix)]
fn path_from_bytes(bytes: Vec<u8>) -> PathBuf {
    use std::os::unix::ffi::OsStringExt;
    PathBuf::from(std::ffi::OsString::from_vec(bytes))
}

#[cfg(not(unix))]
fn path_from_bytes(bytes: Vec<u8>) -> PathBuf {
    PathBuf::from(String::from_utf8_lossy(&bytes).into_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn utf8_paths_are_stored_as_they_are() {
        for p in ["/music/a.ogg", "/music/café 100%.flac", "/x/%E9.wav", ""] {
            let stored = StoredPath::from_path(Path::new(p));
            assert_eq!(stored.as_str(), p);
            assert!(!stored.is_escaped());
            assert_eq!(stored.to_path_buf(), PathBuf::from(p));
            assert_eq!(stored.display(), p);
        }
    }

    #[cfg(unix)]
    #[test]
    fn other_bytes_round_trip_exactly() {
        use std::os::unix::ffi::OsStrExt;
        let cases: [&[u8]; 5] = [
            b"/music/caf\xe9.wav",
            b"/m/\xff\xfe%41%/\xc3\xa9\xc3",
            b"\x80",
            b"/a/%25\xe9%",
            b"/\xed\xa0\x80/x",
        ];
        for bytes in cases {
            let path = Path::new(std::ffi::OsStr::from_bytes(bytes));
            let stored = StoredPath::from_path(path);
            assert!(stored.is_escaped(), "{bytes:?}");
            assert!(stored.as_str().starts_with('\0'));
            assert_eq!(&*stored.to_bytes(), bytes);
            assert_eq!(stored.to_path_buf(), path);
            // Through the string the index keeps.
            assert_eq!(os_path(&stored.clone().into_string()), path);
            assert_eq!(
                display_path(stored.as_str()),
                String::from_utf8_lossy(bytes)
            );
        }
        let cafe = StoredPath::from_path(Path::new(std::ffi::OsStr::from_bytes(
            b"/music/caf\xe9.wav",
        )));
        assert_eq!(cafe.as_str(), "\0/music/caf%E9.wav");
        assert_eq!(cafe.display(), "/music/caf\u{FFFD}.wav");
        assert_eq!(cafe.to_string(), "/music/caf\u{FFFD}.wav");
    }
}
