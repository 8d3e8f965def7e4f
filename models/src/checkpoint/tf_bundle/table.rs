//! Reading the LevelDB table (SSTable) of a bundle's `.index` file: the footer, the block
//! handles, the blocks with their trailers (compression byte, masked CRC-32C) and the
//! prefix-compressed entries of a block.

use std::path::Path;

use super::{CheckpointError, Result, TABLE_MAGIC};
use crate::checkpoint::crc32c;

/// The length of the table footer: two block handles, padding, the magic number.
const FOOTER_LEN: usize = 48;
/// The length of a block trailer: the compression byte and the masked CRC-32C.
const BLOCK_TRAILER_LEN: usize = 5;

/// A pointer to a block: offset and size (without the trailer).
#[derive(Debug, Clone, Copy)]
struct BlockHandle {
    offset: u64,
    size: u64,
}

/// Reads a varint (up to 64 bits) at `*pos`, advancing it; `None` if cut short or too long.
pub(super) fn read_varint(buf: &[u8], pos: &mut usize) -> Option<u64> {
    let mut value = 0u64;
    for shift in (0..64).step_by(7) {
        let byte = *buf.get(*pos)?;
        *pos += 1;
        value |= ((byte & 0x7f) as u64) << shift;
        if byte & 0x80 == 0 {
            return Some(value);
        }
    }
    None
}

/// Reads a block handle (two varints) at `*pos`, advancing it.
fn read_handle(buf: &[u8], pos: &mut usize) -> Option<BlockHandle> {
    let offset = read_varint(buf, pos)?;
    let size = read_varint(buf, pos)?;
    Some(BlockHandle { offset, size })
}

/// Parses a whole table into its (key, value) pairs in order.
pub(super) fn read_table(bytes: &[u8], path: &Path) -> Result<Vec<(Vec<u8>, Vec<u8>)>> {
    if bytes.len() < FOOTER_LEN {
        return Err(CheckpointError::Truncated {
            path: path.to_path_buf(),
            what: format!(
                "{} bytes, shorter than the {FOOTER_LEN}-byte table footer",
                bytes.len()
            ),
        });
    }
    let footer = &bytes[bytes.len() - FOOTER_LEN..];
    let magic = u64::from_le_bytes(footer[40..48].try_into().expect("8 bytes"));
    if magic != TABLE_MAGIC {
        return Err(CheckpointError::BadMagic {
            path: path.to_path_buf(),
            found: magic,
            expected: TABLE_MAGIC,
        });
    }
    let mut pos = 0;
    let handles = read_handle(footer, &mut pos).and_then(|meta| {
        let index = read_handle(footer, &mut pos)?;
        Some((meta, index))
    });
    let (_metaindex, index_handle) = handles.ok_or_else(|| CheckpointError::Malformed {
        path: path.to_path_buf(),
        what: "bad block handles in the table footer".into(),
    })?;
    let body_len = bytes.len() - FOOTER_LEN;
    let index_block = read_block(&bytes[..body_len], index_handle, path, "the index block")?;
    let mut out = Vec::new();
    for (i, (_separator, handle_bytes)) in block_entries(index_block, path, "the index block")?
        .into_iter()
        .enumerate()
    {
        let mut p = 0;
        let handle =
            read_handle(handle_bytes, &mut p).ok_or_else(|| CheckpointError::Malformed {
                path: path.to_path_buf(),
                what: format!("bad block handle in index entry {i}"),
            })?;
        let what = format!("data block {i}");
        let block = read_block(&bytes[..body_len], handle, path, &what)?;
        for (key, value) in block_entries(block, path, &what)? {
            out.push((key, value.to_vec()));
        }
    }
    Ok(out)
}

/// Returns the contents of the block at `handle`, after checking its trailer.
fn read_block<'a>(
    body: &'a [u8],
    handle: BlockHandle,
    path: &Path,
    what: &str,
) -> Result<&'a [u8]> {
    let start = usize::try_from(handle.offset).ok();
    let end = start.and_then(|s| {
        s.checked_add(usize::try_from(handle.size).ok()?)?
            .checked_add(BLOCK_TRAILER_LEN)
    });
    let (start, end) = match (start, end) {
        (Some(s), Some(e)) if e <= body.len() => (s, e),
        _ => {
            return Err(CheckpointError::Truncated {
                path: path.to_path_buf(),
                what: format!(
                    "{what} at offset {} with {} bytes lies past the end of the table ({} bytes before the footer)",
                    handle.offset,
                    handle.size,
                    body.len()
                ),
            })
        }
    };
    let content_end = end - BLOCK_TRAILER_LEN;
    let contents = &body[start..content_end];
    let kind = body[content_end];
    let stored = crc32c::unmask(u32::from_le_bytes(
        body[content_end + 1..end].try_into().expect("4 bytes"),
    ));
    let computed = crc32c::extend(crc32c::value(contents), &[kind]);
    if stored != computed {
        return Err(CheckpointError::CrcMismatch {
            path: path.to_path_buf(),
            what: what.to_string(),
            stored,
            computed,
        });
    }
    if kind != 0 {
        return Err(CheckpointError::UnsupportedCompression {
            path: path.to_path_buf(),
            kind,
        });
    }
    Ok(contents)
}

/// Decodes the entries of a block (prefix-compressed keys, restart array at the end).
fn block_entries<'a>(block: &'a [u8], path: &Path, what: &str) -> Result<Vec<(Vec<u8>, &'a [u8])>> {
    let malformed = |detail: &str| CheckpointError::Malformed {
        path: path.to_path_buf(),
        what: format!("{what}: {detail}"),
    };
    if block.len() < 4 {
        return Err(malformed("shorter than its restart count"));
    }
    let num_restarts =
        u32::from_le_bytes(block[block.len() - 4..].try_into().expect("4 bytes")) as usize;
    let restarts_len = num_restarts
        .checked_mul(4)
        .and_then(|n| n.checked_add(4))
        .filter(|&n| n <= block.len())
        .ok_or_else(|| malformed("restart array larger than the block"))?;
    let data = &block[..block.len() - restarts_len];
    let mut entries = Vec::new();
    let mut key: Vec<u8> = Vec::new();
    let mut pos = 0;
    while pos < data.len() {
        let shared = read_varint(data, &mut pos).ok_or_else(|| malformed("bad varint"))? as usize;
        let non_shared =
            read_varint(data, &mut pos).ok_or_else(|| malformed("bad varint"))? as usize;
        let value_len =
            read_varint(data, &mut pos).ok_or_else(|| malformed("bad varint"))? as usize;
        if shared > key.len() {
            return Err(malformed("key shares more bytes than the previous key has"));
        }
        let key_end = pos
            .checked_add(non_shared)
            .filter(|&e| e <= data.len())
            .ok_or_else(|| malformed("key runs past the block"))?;
        key.truncate(shared);
        key.extend_from_slice(&data[pos..key_end]);
        let value_end = key_end
            .checked_add(value_len)
            .filter(|&e| e <= data.len())
            .ok_or_else(|| malformed("value runs past the block"))?;
        entries.push((key.clone(), &data[key_end..value_end]));
        pos = value_end;
    }
    Ok(entries)
}
