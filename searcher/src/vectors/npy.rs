//! A reader for the NumPy `.npy` matrices the wheels ship (little-endian `f4`, C or Fortran
//! order). The GloVe wheel stores its matrix in Fortran (column-major) order.

use ndarray::{Array2, ShapeBuilder};

/// Parse a two-dimensional little-endian float32 `.npy` file from memory into a row-major
/// matrix; the error is a message for the caller to attach to the file name.
pub fn read_f32_matrix(bytes: &[u8]) -> Result<Array2<f32>, String> {
    if bytes.len() < 10 || &bytes[..6] != b"\x93NUMPY" {
        return Err("not a .npy file (bad magic)".into());
    }
    let major = bytes[6];
    let (header_len, start) = match major {
        1 => (u16::from_le_bytes([bytes[8], bytes[9]]) as usize, 10),
        2 | 3 => {
            if bytes.len() < 12 {
                return Err("truncated .npy header".into());
            }
            (
                u32::from_le_bytes([bytes[8], bytes[9], bytes[10], bytes[11]]) as usize,
                12,
            )
        }
        v => return Err(format!("unsupported .npy version {v}")),
    };
    let header = bytes
        .get(start..start + header_len)
        .ok_or("truncated .npy header")?;
    let header = std::str::from_utf8(header).map_err(|_| "non-UTF-8 .npy header")?;
    let descr = dict_value(header, "descr").ok_or("no 'descr' in .npy header")?;
    let descr = descr.trim_matches(|c| c == '\'' || c == '"');
    if descr != "<f4" {
        return Err(format!(
            "dtype {descr} (only little-endian float32 '<f4' is supported)"
        ));
    }
    let fortran = match dict_value(header, "fortran_order") {
        Some("True") => true,
        Some("False") => false,
        other => return Err(format!("bad fortran_order {other:?}")),
    };
    let shape = dict_value(header, "shape").ok_or("no 'shape' in .npy header")?;
    let dims: Vec<usize> = shape
        .trim_matches(|c| c == '(' || c == ')')
        .split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(|s| s.parse::<usize>().map_err(|_| format!("bad shape {shape}")))
        .collect::<Result<_, _>>()?;
    let [rows, cols] = dims[..] else {
        return Err(format!("expected a matrix, shape is {shape}"));
    };
    let data = &bytes[start + header_len..];
    let n = rows * cols;
    if data.len() < n * 4 {
        return Err(format!(
            "data too short: {} bytes for shape ({rows}, {cols})",
            data.len()
        ));
    }
    let values: Vec<f32> = data[..n * 4]
        .chunks_exact(4)
        .map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]]))
        .collect();
    let shape = if fortran {
        (rows, cols).f()
    } else {
        (rows, cols).into_shape()
    };
    let arr = Array2::from_shape_vec(shape, values).map_err(|e| e.to_string())?;
    // Copy into standard (row-major) layout so that rows are contiguous.
    Ok(if fortran {
        arr.as_standard_layout().into_owned()
    } else {
        arr
    })
}

/// The raw text of `key`'s value in a Python dict literal such as NumPy writes.
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

#[cfg(test)]
mod tests {
    use super::*;

    fn npy(header: &str, values: &[f32]) -> Vec<u8> {
        let mut h = header.to_string();
        while (10 + h.len() + 1) % 64 != 0 {
            h.push(' ');
        }
        h.push('\n');
        let mut out = b"\x93NUMPY\x01\x00".to_vec();
        out.extend_from_slice(&(h.len() as u16).to_le_bytes());
        out.extend_from_slice(h.as_bytes());
        for v in values {
            out.extend_from_slice(&v.to_le_bytes());
        }
        out
    }

    #[test]
    fn reads_c_and_fortran_order() {
        let c = npy(
            "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }",
            &[1., 2., 3., 4., 5., 6.],
        );
        let a = read_f32_matrix(&c).unwrap();
        assert_eq!(a.row(1).to_vec(), vec![4., 5., 6.]);
        // The same matrix stored column by column.
        let f = npy(
            "{'descr': '<f4', 'fortran_order': True, 'shape': (2, 3), }",
            &[1., 4., 2., 5., 3., 6.],
        );
        let b = read_f32_matrix(&f).unwrap();
        assert_eq!(a, b);
        assert!(b.is_standard_layout());
    }

    #[test]
    fn rejects_other_dtypes() {
        let bad = npy(
            "{'descr': '<f8', 'fortran_order': False, 'shape': (1, 1), }",
            &[0., 0.],
        );
        assert!(read_f32_matrix(&bad).unwrap_err().contains("<f8"));
    }
}
