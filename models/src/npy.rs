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
    #[error("{path}: not a readable .npy file: {source}")]
    Format {
        /// The file.
        path: PathBuf,
        /// What is wrong.
        #[source]
        source: NpyFormatError,
    },
}

/// What is wrong with the bytes of a `.npy` array ([`parse_npy_f32`]), or with an array to
/// write.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum NpyFormatError {
    /// The bytes do not start with NumPy's magic string.
    #[error("missing NumPy magic")]
    BadMagic,
    /// A format version other than 1, 2 or 3.
    #[error("unsupported format version {0}")]
    Version(u8),
    /// The header is cut short.
    #[error("truncated header")]
    TruncatedHeader,
    /// The header is not UTF-8 text.
    #[error("header is not text")]
    HeaderNotText,
    /// The header dictionary lacks a key.
    #[error("no {0:?} in the header")]
    MissingKey(&'static str),
    /// An element type other than little-endian float32 or float64.
    #[error("dtype {0} (only little-endian float32 '<f4' and float64 '<f8' are supported)")]
    Dtype(String),
    /// `fortran_order` is neither `True` nor `False`.
    #[error("bad fortran_order {0}")]
    FortranOrder(String),
    /// The shape is not a tuple of sizes.
    #[error("malformed shape {0}")]
    Shape(String),
    /// The data does not hold the number of values the shape says.
    #[error("expected {expected} data bytes for shape {shape:?}, found {found}")]
    DataLength {
        /// The shape.
        shape: Vec<usize>,
        /// Bytes the shape needs.
        expected: usize,
        /// Bytes present.
        found: usize,
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
            source: NpyFormatError::DataLength {
                shape: shape.to_vec(),
                expected: expected * 4,
                found: data.len() * 4,
            },
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

/// Reads a `.npy` file of `<f4` or `<f8` values (C or Fortran order); returns its shape and
/// its values as `f32` in row-major (C) order.
pub fn read_npy_f32(path: &Path) -> Result<(Vec<usize>, Vec<f32>), NpyError> {
    let io = |source| NpyError::Io {
        path: path.to_owned(),
        source,
    };
    let mut bytes = Vec::new();
    File::open(path)
        .map_err(io)?
        .read_to_end(&mut bytes)
        .map_err(io)?;
    parse_npy_f32(&bytes).map_err(|source| NpyError::Format {
        path: path.to_owned(),
        source,
    })
}

/// Parses a `.npy` array held in memory (format version 1, 2 or 3; `<f4` or `<f8` values in C
/// or Fortran order); returns its shape and its values as `f32` in row-major (C) order.
pub fn parse_npy_f32(bytes: &[u8]) -> Result<(Vec<usize>, Vec<f32>), NpyFormatError> {
    if bytes.len() < 10 || &bytes[..6] != MAGIC {
        return Err(NpyFormatError::BadMagic);
    }
    let (header_len, header_start) = match bytes[6] {
        1 => (u16::from_le_bytes([bytes[8], bytes[9]]) as usize, 10),
        2 | 3 if bytes.len() >= 12 => (
            u32::from_le_bytes([bytes[8], bytes[9], bytes[10], bytes[11]]) as usize,
            12,
        ),
        2 | 3 => return Err(NpyFormatError::TruncatedHeader),
        v => return Err(NpyFormatError::Version(v)),
    };
    let data_start = header_start + header_len;
    let header = std::str::from_utf8(
        bytes
            .get(header_start..data_start)
            .ok_or(NpyFormatError::TruncatedHeader)?,
    )
    .map_err(|_| NpyFormatError::HeaderNotText)?;
    let descr = dict_value(header, "descr").ok_or(NpyFormatError::MissingKey("descr"))?;
    let width = match descr.trim_matches(|c| c == '\'' || c == '"') {
        "<f4" => 4,
        "<f8" => 8,
        other => return Err(NpyFormatError::Dtype(other.to_string())),
    };
    let fortran_order = match dict_value(header, "fortran_order") {
        Some("True") => true,
        Some("False") | None => false,
        Some(other) => return Err(NpyFormatError::FortranOrder(other.to_string())),
    };
    let shape_text = dict_value(header, "shape").ok_or(NpyFormatError::MissingKey("shape"))?;
    let shape: Vec<usize> = shape_text
        .strip_prefix('(')
        .and_then(|s| s.strip_suffix(')'))
        .ok_or_else(|| NpyFormatError::Shape(shape_text.to_string()))?
        .split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(|s| {
            s.parse::<usize>()
                .map_err(|_| NpyFormatError::Shape(shape_text.to_string()))
        })
        .collect::<Result<_, _>>()?;
    let count: usize = shape.iter().product();
    let payload = &bytes[data_start..];
    if Some(payload.len()) != count.checked_mul(width) {
        return Err(NpyFormatError::DataLength {
            expected: count.saturating_mul(width),
            found: payload.len(),
            shape,
        });
    }
    let values: Vec<f32> = if width == 4 {
        payload
            .chunks_exact(4)
            .map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]]))
            .collect()
    } else {
        payload
            .chunks_exact(8)
            .map(|c| f64::from_le_bytes(c.try_into().expect("8 bytes")) as f32)
            .collect()
    };
    if fortran_order && shape.len() > 1 {
        let values = fortran_to_c_order(&shape, &values);
        return Ok((shape, values));
    }
    Ok((shape, values))
}

/// The raw text of `key`'s value in the Python dict literal of a `.npy` header (single or
/// double quotes around the key; a tuple value whole, parentheses included).
fn dict_value<'a>(header: &'a str, key: &str) -> Option<&'a str> {
    let pos = header
        .find(&format!("'{key}'"))
        .or_else(|| header.find(&format!("\"{key}\"")))?;
    let rest = &header[pos + key.len() + 2..];
    let rest = rest.trim_start().strip_prefix(':')?.trim_start();
    if rest.starts_with('(') {
        let end = rest.find(')')?;
        Some(&rest[..=end])
    } else {
        let end = rest.find([',', '}']).unwrap_or(rest.len());
        Some(rest[..end].trim())
    }
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
        assert!(matches!(
            read_npy_f32(&p),
            Err(NpyError::Format {
                source: NpyFormatError::BadMagic,
                ..
            })
        ));
    }

    /// A version-1 `.npy` file of `values` under a hand-written header dictionary.
    fn npy_bytes(dict: &str, values: &[u8]) -> Vec<u8> {
        let mut h = dict.to_string();
        while (10 + h.len() + 1) % 64 != 0 {
            h.push(' ');
        }
        h.push('\n');
        let mut out = MAGIC.to_vec();
        out.extend_from_slice(&[1, 0]);
        out.extend_from_slice(&(h.len() as u16).to_le_bytes());
        out.extend_from_slice(h.as_bytes());
        out.extend_from_slice(values);
        out
    }

    fn le_bytes(values: &[f32]) -> Vec<u8> {
        values.iter().flat_map(|v| v.to_le_bytes()).collect()
    }

    #[test]
    fn parses_c_and_fortran_order_from_memory() {
        let c = npy_bytes(
            "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }",
            &le_bytes(&[1., 2., 3., 4., 5., 6.]),
        );
        let (shape, values) = parse_npy_f32(&c).unwrap();
        assert_eq!(shape, [2, 3]);
        assert_eq!(values, [1., 2., 3., 4., 5., 6.]);
        // The same matrix stored column by column, with double-quoted keys.
        let f = npy_bytes(
            "{\"descr\": \"<f4\", \"fortran_order\": True, \"shape\": (2, 3)}",
            &le_bytes(&[1., 4., 2., 5., 3., 6.]),
        );
        assert_eq!(parse_npy_f32(&f).unwrap(), (shape, values));
        let doubles: Vec<u8> = [0.5f64, -2.0]
            .iter()
            .flat_map(|v| v.to_le_bytes())
            .collect();
        let d = npy_bytes(
            "{'descr': '<f8', 'fortran_order': False, 'shape': (2,), }",
            &doubles,
        );
        assert_eq!(parse_npy_f32(&d).unwrap(), (vec![2], vec![0.5, -2.0]));
    }

    #[test]
    fn refuses_what_it_cannot_read() {
        let dict = |descr: &str, shape: &str| {
            format!("{{'descr': '{descr}', 'fortran_order': False, 'shape': {shape}, }}")
        };
        let two = le_bytes(&[0., 0.]);
        let err = parse_npy_f32(&npy_bytes(&dict("<i4", "(2,)"), &two)).unwrap_err();
        assert_eq!(err, NpyFormatError::Dtype("<i4".into()));
        assert!(err.to_string().contains("<i4"), "{err}");
        let err = parse_npy_f32(&npy_bytes(&dict("<f4", "(3,)"), &two)).unwrap_err();
        assert!(
            matches!(
                err,
                NpyFormatError::DataLength {
                    expected: 12,
                    found: 8,
                    ..
                }
            ),
            "{err}"
        );
        let err = parse_npy_f32(&npy_bytes(&dict("<f4", "(x,)"), &two)).unwrap_err();
        assert!(matches!(err, NpyFormatError::Shape(_)), "{err}");
        let mut future = npy_bytes(&dict("<f4", "(2,)"), &two);
        future[6] = 9;
        assert_eq!(parse_npy_f32(&future), Err(NpyFormatError::Version(9)));
        let bytes = npy_bytes(&dict("<f4", "(2,)"), &two);
        assert_eq!(
            parse_npy_f32(&bytes[..20]),
            Err(NpyFormatError::TruncatedHeader)
        );
    }
}
