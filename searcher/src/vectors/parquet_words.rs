//! Reading the GloVe wheel's word list: a Parquet file with a single (nullable) string column.

use parquet::errors::ParquetError;
use parquet::file::reader::{FileReader, SerializedFileReader};
use parquet::record::Field;

/// Every value of the file's first column, in row order; `None` for a null or non-string value.
pub fn read_string_column(bytes: Vec<u8>) -> Result<Vec<Option<String>>, ParquetError> {
    let reader = SerializedFileReader::new(bytes::Bytes::from(bytes))?;
    let rows = reader.metadata().file_metadata().num_rows().max(0) as usize;
    let mut out = Vec::with_capacity(rows);
    for row in reader.get_row_iter(None)? {
        let row = row?;
        let value = row.get_column_iter().next().and_then(|(_, f)| match f {
            Field::Str(s) => Some(s.clone()),
            _ => None,
        });
        out.push(value);
    }
    Ok(out)
}
