//! The NumPy `.npy` matrices the wheels ship (little-endian float, C or Fortran order; the
//! GloVe wheel stores its matrix in Fortran order), read by [`musearch_models::npy`].

use musearch_models::npy::parse_npy_f32;
use ndarray::Array2;

/// Parse a two-dimensional `.npy` file from memory into a row-major matrix; the error is a
/// message for the caller to attach to the file name.
pub fn read_f32_matrix(bytes: &[u8]) -> Result<Array2<f32>, String> {
    let (shape, values) = parse_npy_f32(bytes).map_err(|e| e.to_string())?;
    let [rows, cols] = shape[..] else {
        return Err(format!("expected a matrix, shape is {shape:?}"));
    };
    Array2::from_shape_vec((rows, cols), values).map_err(|e| e.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_a_matrix_into_rows_and_refuses_other_ranks() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("m.npy");
        let values = [1.0f32, 2., 3., 4., 5., 6.];
        musearch_models::npy::write_npy_f32(&path, &[2, 3], &values).unwrap();
        let a = read_f32_matrix(&std::fs::read(&path).unwrap()).unwrap();
        assert!(a.is_standard_layout());
        assert_eq!(a.row(1).to_vec(), vec![4., 5., 6.]);
        musearch_models::npy::write_npy_f32(&path, &[6], &values).unwrap();
        let err = read_f32_matrix(&std::fs::read(&path).unwrap()).unwrap_err();
        assert!(err.contains("expected a matrix"), "{err}");
    }
}
