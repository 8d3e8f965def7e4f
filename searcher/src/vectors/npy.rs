//! The NumPy `.npy` matrices the wheels ship (little-endian float, C or Fortran order; the
//! GloVe wheel stores its matrix in Fortran order), read by [`musearch_models::npy`].

use musearch_models::npy::{parse_npy_f32, NpyFormatError};
use ndarray::Array2;

/// Why a `.npy` file is not a float matrix; the caller attaches the file name.
#[derive(Debug, thiserror::Error)]
pub enum MatrixError {
    /// Not a readable float `.npy` file.
    #[error(transparent)]
    Npy(#[from] NpyFormatError),
    /// A float array of another rank than 2.
    #[error("expected a matrix, shape is {0:?}")]
    NotAMatrix(Vec<usize>),
    /// The values do not fill the shape.
    #[error(transparent)]
    Shape(#[from] ndarray::ShapeError),
}

/// Parse a two-dimensional `.npy` file from memory into a row-major matrix.
pub fn read_f32_matrix(bytes: &[u8]) -> Result<Array2<f32>, MatrixError> {
    let (shape, values) = parse_npy_f32(bytes)?;
    let [rows, cols] = shape[..] else {
        return Err(MatrixError::NotAMatrix(shape));
    };
    Ok(Array2::from_shape_vec((rows, cols), values)?)
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
        assert!(
            matches!(err, MatrixError::NotAMatrix(ref shape) if shape == &[6]),
            "{err}"
        );
    }
}
