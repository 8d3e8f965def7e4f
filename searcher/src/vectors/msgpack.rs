//! Just enough MessagePack to read spaCy's `vocab/key2row`: one map from unsigned integer keys
//! (64-bit string hashes) to unsigned integer values (matrix rows).

/// Decode a MessagePack map of unsigned integers to unsigned integers.
pub fn read_uint_map(bytes: &[u8]) -> Result<Vec<(u64, u64)>, String> {
    let mut pos = 0usize;
    let tag = *bytes.first().ok_or("empty MessagePack data")?;
    pos += 1;
    let len = match tag {
        0x80..=0x8f => (tag & 0x0f) as usize,
        0xde => read_be(bytes, &mut pos, 2)? as usize,
        0xdf => read_be(bytes, &mut pos, 4)? as usize,
        t => {
            return Err(format!(
                "expected a MessagePack map, found type byte {t:#04x}"
            ))
        }
    };
    let mut out = Vec::with_capacity(len);
    for _ in 0..len {
        let key = read_uint(bytes, &mut pos)?;
        let value = read_uint(bytes, &mut pos)?;
        out.push((key, value));
    }
    Ok(out)
}

fn read_uint(bytes: &[u8], pos: &mut usize) -> Result<u64, String> {
    let tag = *bytes.get(*pos).ok_or("truncated MessagePack map")?;
    *pos += 1;
    match tag {
        0x00..=0x7f => Ok(u64::from(tag)),
        0xcc => read_be(bytes, pos, 1),
        0xcd => read_be(bytes, pos, 2),
        0xce => read_be(bytes, pos, 4),
        0xcf => read_be(bytes, pos, 8),
        t => Err(format!(
            "expected an unsigned integer at byte {}, found type byte {t:#04x}",
            *pos - 1
        )),
    }
}

fn read_be(bytes: &[u8], pos: &mut usize, n: usize) -> Result<u64, String> {
    let slice = bytes
        .get(*pos..*pos + n)
        .ok_or("truncated MessagePack data")?;
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
        assert!(read_uint_map(&data[..4]).is_err());
    }
}
