//! Just enough MessagePack to read spaCy's `vocab/key2row`: one map from unsigned integer keys
//! (64-bit string hashes) to unsigned integer values (matrix rows).

/// Why MessagePack data is not a map of unsigned integers.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MsgpackError {
    /// No bytes at all.
    #[error("empty MessagePack data")]
    Empty,
    /// The data ends inside a value.
    #[error("truncated MessagePack data")]
    Truncated,
    /// The first value is not a map.
    #[error("expected a MessagePack map, found type byte {0:#04x}")]
    NotAMap(u8),
    /// A key or value is not an unsigned integer.
    #[error("expected an unsigned integer at byte {at}, found type byte {byte:#04x}")]
    NotAnUnsigned {
        /// The value's offset.
        at: usize,
        /// Its type byte.
        byte: u8,
    },
}

/// Decode a MessagePack map of unsigned integers to unsigned integers.
pub fn read_uint_map(bytes: &[u8]) -> Result<Vec<(u64, u64)>, MsgpackError> {
    let mut pos = 0usize;
    let tag = *bytes.first().ok_or(MsgpackError::Empty)?;
    pos += 1;
    let len = match tag {
        0x80..=0x8f => (tag & 0x0f) as usize,
        0xde => read_be(bytes, &mut pos, 2)? as usize,
        0xdf => read_be(bytes, &mut pos, 4)? as usize,
        t => return Err(MsgpackError::NotAMap(t)),
    };
    let mut out = Vec::with_capacity(len);
    for _ in 0..len {
        let key = read_uint(bytes, &mut pos)?;
        let value = read_uint(bytes, &mut pos)?;
        out.push((key, value));
    }
    Ok(out)
}

fn read_uint(bytes: &[u8], pos: &mut usize) -> Result<u64, MsgpackError> {
    let tag = *bytes.get(*pos).ok_or(MsgpackError::Truncated)?;
    *pos += 1;
    match tag {
        0x00..=0x7f => Ok(u64::from(tag)),
        0xcc => read_be(bytes, pos, 1),
        0xcd => read_be(bytes, pos, 2),
        0xce => read_be(bytes, pos, 4),
        0xcf => read_be(bytes, pos, 8),
        byte => Err(MsgpackError::NotAnUnsigned { at: *pos - 1, byte }),
    }
}

fn read_be(bytes: &[u8], pos: &mut usize, n: usize) -> Result<u64, MsgpackError> {
    let slice = bytes.get(*pos..*pos + n).ok_or(MsgpackError::Truncated)?;
    *pos += n;
    Ok(slice.iter().fold(0u64, |acc, &b| (acc << 8) | u64::from(b)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_mixed_width_integers() {
        // {5: 1, 0x1234: 300, 2^40: 7}
        let mut data = vec![0x83, 0x05, 0x01, 0xcd, 0x12, 0x34, 0xcd, 0x01, 0x2c, 0xcf];
        data.extend_from_slice(&(1u64 << 40).to_be_bytes());
        data.push(0x07);
        let map = read_uint_map(&data).unwrap();
        assert_eq!(map, vec![(5, 1), (0x1234, 300), (1 << 40, 7)]);
        assert_eq!(read_uint_map(&data[..4]), Err(MsgpackError::Truncated));
        assert_eq!(read_uint_map(&[]), Err(MsgpackError::Empty));
        assert_eq!(read_uint_map(&[0x91]), Err(MsgpackError::NotAMap(0x91)));
    }
}
