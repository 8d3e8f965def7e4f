//! NumPy `.npy` files (format version 1.0) of little-endian `f32`, the exchange format with the
//! reference implementations (librosa, musicnn/TensorFlow) and for users' own analysis.
//!
//! [`NpyWriter`] streams rows to disk and fixes the shape in the header when it is finished, so
//! a spectrogram of any length can be written without holding it in memory.

use std::fs::File;
use std::io::{BufWriter, Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

const MAGIC: &[u8] = b"\x93NUMPY";
/// Header length (magic + version + length field + dict + padding) reserved by [`NpyWriter`],
/// large enough for any shape.
const STREAMING_HEADER_LEN: usize = 128;

/// Errors reading or writing `.npy` files.
#[derive(Debug, thiserror::Error)]
pub enum NpyError {
    /// The file could not be read or written.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The operating system's error.
        #[source]
        source: std::io::Error,
    },
    /// The file is not a `.npy` file musearch can read.
    #[error("{path}: not a readable .npy file: {reason}")]
    Format {
        /// The file.
        path: PathBuf,
        /// What is wrong.
        reason: String,
    },
}

fn header_bytes(shape: &[usize], total_len: Option<usize>) -> Vec<u8> {
    let dims = match shape {
        [n] => format!("({n},)"),
        _ => format!(
            "({})",
            shape
                .iter()
                .map(|d| d.to_string())
                .collect::<Vec<_>>()
                .join(", ")
        ),
    };
    let dict = format!("{{'descr': '<f4', 'fortran_order': False, 'shape': {dims}, }}");
    let unpadded = MAGIC.len() + 2 + 2 + dict.len() + 1;
    let total = total_len.unwrap_or(unpadded.div_ceil(64) * 64);
    let mut out = Vec::with_capacity(total);
    out.extend_from_slice(MAGIC);
    out.extend_from_slice(&[1, 0]);
    out.extend_from_slice(&((total - 10) as u16).to_le_bytes());
    out.extend_from_slice(dict.as_bytes());
    out.resize(total - 1, b' ');
    out.push(b'\n');
    out
}

/// Writes `data` (row-major, C order) with `shape` as a `<f4` `.npy` file.
pub fn write_npy_f32(path: &Path, shape: &[usize], data: &[f32]) -> Result<(), NpyError> {
    let expected: usize = shape.iter().product();
    if expected != data.len() {
        return Err(NpyError::Format {
            path: path.to_owned(),
            reason: format!(
                "shape {shape:?} holds {expected} values, got {}",
                data.len()
            ),
        });
    }
    let io = |source| NpyError::Io {
        path: path.to_owned(),
        source,
    };
    let mut w = BufWriter::new(File::create(path).map_err(io)?);
    w.write_all(&header_bytes(shape, None)).map_err(io)?;
    for v in data {
        w.write_all(&v.to_le_bytes()).map_err(io)?;
    }
    w.flush().map_err(io)
}

/// Reads a `.npy` file of `<f4` or `<f8` values in C order; returns its shape and values as `f32`.
pub fn read_npy_f32(path: &Path) -> Result<(Vec<usize>, Vec<f32>), NpyError> {
    let io = |source| NpyError::Io {
        path: path.to_owned(),
        source,
    };
    let bad = |reason: &str| NpyError::Format {
        path: path.to_owned(),
        reason: reason.to_string(),
    };
    let mut bytes = Vec::new();
    File::open(path)
        .map_err(io)?
        .read_to_end(&mut bytes)
        .map_err(io)?;
    if bytes.len() < 10 || &bytes[..6] != MAGIC {
        return Err(bad("missing NumPy magic"));
    }
    let (header_len, header_start) = match bytes[6] {
        1 => (u16::from_le_bytes([bytes[8], bytes[9]]) as usize, 10),
        2 | 3 if bytes.len() >= 12 => (
            u32::from_le_bytes(bytes[8..12].try_into().unwrap()) as usize,
            12,
        ),
        v => return Err(bad(&format!("unsupported format version {v}"))),
    };
    let data_start = header_start + header_len;
    let header = std::str::from_utf8(
        bytes
            .get(header_start..data_start)
            .ok_or_else(|| bad("truncated header"))?,
    )
    .map_err(|_| bad("header is not text"))?;
    let field = |key: &str| -> Option<&str> {
        let at = header.find(&format!("'{key}'"))? + key.len() + 2;
        Some(header[at..].trim_start_matches([':', ' ']))
    };
    let descr = field("descr").ok_or_else(|| bad("no descr"))?;
    let width = if descr.starts_with("'<f4'") {
        4
    } else if descr.starts_with("'<f8'") {
        8
    } else {
        return Err(bad(
            "only little-endian float32/float64 arrays are supported",
        ));
    };
    let fortran_order = field("fortran_order").is_some_and(|v| v.starts_with("True"));
    let shape_text = field("shape").ok_or_else(|| bad("no shape"))?;
    let close = shape_text.find(')').ok_or_else(|| bad("malformed shape"))?;
    let shape: Vec<usize> = shape_text[1..close]
        .split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(|s| s.parse::<usize>().map_err(|_| bad("malformed shape")))
        .collect::<Result<_, _>>()?;
    let count: usize = shape.iter().product();
    let payload = &bytes[data_start..];
    if payload.len() != count * width {
        return Err(bad(&format!(
            "expected {} data bytes for shape {shape:?}, found {}",
            count * width,
            payload.len()
        )));
    }
    let values: Vec<f32> = if width == 4 {
        payload
            .chunks_exact(4)
            .map(|c| f32::from_le_bytes(c.try_into().unwrap()))
            .collect()
    } else {
        payload
            .chunks_exact(8)
            .map(|c| f64::from_le_bytes(c.try_into().unwrap()) as f32)
            .collect()
    };
    if fortran_order && shape.len() > 1 {
        return Ok((shape.clone(), fortran_to_c_order(&shape, &values)));
    }
    Ok((shape, values))
}

/// Reorders column-major (Fortran) values of an array of `shape` into row-major (C) order.
fn fortran_to_c_order(shape: &[usize], values: &[f32]) -> Vec<f32> {
    let mut out = vec![0.0; values.len()];
    let mut index = vec![0usize; shape.len()];
    for slot in out.iter_mut() {
        // `index` walks the array in C order; its Fortran offset has the first axis fastest.
        let mut offset = 0;
        for axis in (0..shape.len()).rev() {
            offset = offset * shape[axis] + index[axis];
        }
        *slot = values[offset];
        for axis in (0..shape.len()).rev() {
            index[axis] += 1;
            if index[axis] < shape[axis] {
                break;
            }
            index[axis] = 0;
        }
    }
    out
}

/// Streams rows of `row_len` `f32` values into a 2-D `.npy` file (`rows × row_len`).
///
/// The header is rewritten with the final row count by [`finish`](Self::finish); a writer dropped
/// without `finish` leaves a file that declares zero rows.
#[derive(Debug)]
pub struct NpyWriter {
    path: PathBuf,
    file: BufWriter<File>,
    row_len: usize,
    rows: usize,
}

impl NpyWriter {
    /// Creates `path` for rows of `row_len` values.
    pub fn create(path: &Path, row_len: usize) -> Result<Self, NpyError> {
        let io = |source| NpyError::Io {
            path: path.to_owned(),
            source,
        };
        let mut file = BufWriter::new(File::create(path).map_err(io)?);
        file.write_all(&header_bytes(&[0, row_len], Some(STREAMING_HEADER_LEN)))
            .map_err(io)?;
        Ok(NpyWriter {
            path: path.to_owned(),
            file,
            row_len,
            rows: 0,
        })
    }

    /// Appends one row; it must have `row_len` values.
    pub fn write_row(&mut self, row: &[f32]) -> Result<(), NpyError> {
        assert_eq!(
            row.len(),
            self.row_len,
            "row length must match the writer's"
        );
        for v in row {
            self.file
                .write_all(&v.to_le_bytes())
                .map_err(|source| NpyError::Io {
                    path: self.path.clone(),
                    source,
                })?;
        }
        self.rows += 1;
        Ok(())
    }

    /// Writes the final shape into the header and closes the file. Returns the row count.
    pub fn finish(mut self) -> Result<usize, NpyError> {
        let io = |source| NpyError::Io {
            path: self.path.clone(),
            source,
        };
        let header = header_bytes(&[self.rows, self.row_len], Some(STREAMING_HEADER_LEN));
        self.file.flush().map_err(io)?;
        let file = self.file.get_mut();
        file.seek(SeekFrom::Start(0)).map_err(io)?;
        file.write_all(&header).map_err(io)?;
        file.flush().map_err(io)?;
        Ok(self.rows)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_and_streaming_agree() {
        let dir = tempfile::tempdir().unwrap();
        let data: Vec<f32> = (0..12).map(|i| i as f32 * 0.5 - 1.0).collect();
        let a = dir.path().join("a.npy");
        write_npy_f32(&a, &[3, 4], &data).unwrap();
        assert_eq!(read_npy_f32(&a).unwrap(), (vec![3, 4], data.clone()));

        let b = dir.path().join("b.npy");
        let mut w = NpyWriter::create(&b, 4).unwrap();
        for row in data.chunks(4) {
            w.write_row(row).unwrap();
        }
        assert_eq!(w.finish().unwrap(), 3);
        assert_eq!(read_npy_f32(&b).unwrap(), (vec![3, 4], data));
        // The header length keeps the data 64-byte aligned, as NumPy requires.
        assert_eq!(std::fs::read(&b).unwrap().len(), STREAMING_HEADER_LEN + 48);
    }

    #[test]
    fn reads_fortran_order() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("f.npy");
        // np.asfortranarray([[0, 1, 2], [3, 4, 5]]) stores 0 3 1 4 2 5.
        let mut bytes = header_bytes(&[2, 3], None);
        let text = String::from_utf8(bytes.clone()).unwrap_or_default();
        assert!(!text.is_empty() || bytes.len() >= 64);
        let at = bytes.windows(5).position(|w| w == b"False").unwrap();
        bytes.splice(at..at + 5, b"True ".iter().copied());
        for v in [0.0f32, 3.0, 1.0, 4.0, 2.0, 5.0] {
            bytes.extend_from_slice(&v.to_le_bytes());
        }
        std::fs::write(&p, bytes).unwrap();
        assert_eq!(
            read_npy_f32(&p).unwrap(),
            (vec![2, 3], vec![0.0, 1.0, 2.0, 3.0, 4.0, 5.0])
        );
    }

    #[test]
    fn rejects_non_npy() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("x.npy");
        std::fs::write(&p, b"hello").unwrap();
        assert!(matches!(read_npy_f32(&p), Err(NpyError::Format { .. })));
    }
}
