//! A wheel's `RECORD` (PEP 376 / PEP 427): one CSV line per file, `path,sha256=DIGEST,size`,
//! where DIGEST is the urlsafe base64 of the sha256, without padding.

use std::collections::HashMap;

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use sha2::{Digest, Sha256};

/// One file's entry in `RECORD`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct RecordEntry {
    /// The digest as written: urlsafe base64 of the sha256, no padding.
    pub sha256: String,
    /// The size in bytes.
    pub size: u64,
}

/// Parses `RECORD` into path → entry. Lines without a hash (the `RECORD` line itself, `.pyc`
/// files) are left out; any other line that does not parse is an error message.
pub(crate) fn parse_record(text: &str) -> Result<HashMap<String, RecordEntry>, String> {
    let mut out = HashMap::new();
    for (n, line) in text.lines().enumerate() {
        let line = line.trim_end_matches('\r');
        if line.is_empty() {
            continue;
        }
        // The path may hold commas (then it is quoted); hash and size never do.
        let mut fields = line.rsplitn(3, ',');
        let (size, hash, path) = match (fields.next(), fields.next(), fields.next()) {
            (Some(size), Some(hash), Some(path)) => (size, hash, unquote(path)),
            _ => return Err(format!("line {}: not `path,hash,size`", n + 1)),
        };
        if hash.is_empty() {
            continue;
        }
        let digest = hash
            .strip_prefix("sha256=")
            .ok_or_else(|| format!("line {}: `{path}` has hash `{hash}`, not sha256=…", n + 1))?;
        let size = size
            .parse::<u64>()
            .map_err(|_| format!("line {}: `{path}` has size `{size}`", n + 1))?;
        out.insert(
            path,
            RecordEntry {
                sha256: digest.to_owned(),
                size,
            },
        );
    }
    Ok(out)
}

fn unquote(field: &str) -> String {
    match field.strip_prefix('"').and_then(|f| f.strip_suffix('"')) {
        Some(inner) => inner.replace("\"\"", "\""),
        None => field.to_owned(),
    }
}

/// The sha256 of `bytes` as `RECORD` writes it (urlsafe base64, no padding).
pub(crate) fn record_digest(bytes: &[u8]) -> String {
    URL_SAFE_NO_PAD.encode(Sha256::digest(bytes))
}

/// The sha256 of `bytes` in lower-case hex (the manifest's spelling).
pub(crate) fn hex_digest(bytes: &[u8]) -> String {
    Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// Checks `bytes` against `entry`: the size, then the digest. The error says which differs.
pub(crate) fn check(entry: &RecordEntry, bytes: &[u8]) -> Result<(), String> {
    if bytes.len() as u64 != entry.size {
        return Err(format!(
            "size {} bytes, RECORD says {}",
            bytes.len(),
            entry.size
        ));
    }
    let actual = record_digest(bytes);
    if actual != entry.sha256 {
        return Err(format!("sha256 {actual}, RECORD says {}", entry.sha256));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_pip_style_lines() {
        let text = "pkg/a.py,sha256=LJPbXQUlIxikZbOvuduF59yy_UJ8ZVx94RO9Npb-lx4,2781\n\
                    \"pkg/a,b.txt\",sha256=abc,3\n\
                    pkg-0.1.dist-info/RECORD,,\n";
        let rec = parse_record(text).unwrap();
        assert_eq!(rec.len(), 2);
        assert_eq!(rec["pkg/a.py"].size, 2781);
        assert_eq!(rec["pkg/a,b.txt"].sha256, "abc");
        assert!(parse_record("x,md5=00,1\n").is_err());
        assert!(parse_record("x,sha256=00,big\n").is_err());
    }

    #[test]
    fn digest_is_urlsafe_base64_without_padding() {
        // sha256("") = e3b0c442…b855; its urlsafe base64 has 43 characters and no '='.
        assert_eq!(
            record_digest(b""),
            "47DEQpj8HBSa-_TImW-5JCeuQeRkm5NMpJWZG3hSuFU"
        );
        assert_eq!(
            hex_digest(b""),
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
        );
        let entry = RecordEntry {
            sha256: record_digest(b"abc"),
            size: 3,
        };
        assert!(check(&entry, b"abc").is_ok());
        assert!(check(&entry, b"abd").unwrap_err().contains("sha256"));
        assert!(check(&entry, b"ab").unwrap_err().contains("size"));
    }
}
