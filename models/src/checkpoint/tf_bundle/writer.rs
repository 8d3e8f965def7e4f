//! Writing a tensor bundle ([`write_bundle`]): the LevelDB table of the index with its
//! prefix-compressed blocks and checksums, and the `BundleEntryProto` of every tensor.

use std::path::Path;

use super::{with_suffix, CheckpointError, Result, TensorData, TABLE_MAGIC};
use crate::checkpoint::crc32c;

/// Entries per data block and restart interval of the blocks [`write_bundle`] writes.
const ENTRIES_PER_BLOCK: usize = 64;
const RESTART_INTERVAL: usize = 16;

/// Appends `v` as a varint.
pub(super) fn put_varint(out: &mut Vec<u8>, mut v: u64) {
    while v >= 0x80 {
        out.push((v as u8) | 0x80);
        v >>= 7;
    }
    out.push(v as u8);
}

/// Appends a varint field (wire type 0).
pub(super) fn put_field_varint(out: &mut Vec<u8>, field: u64, v: u64) {
    put_varint(out, field << 3);
    put_varint(out, v);
}

/// Appends a length-delimited field (wire type 2).
pub(super) fn put_field_bytes(out: &mut Vec<u8>, field: u64, b: &[u8]) {
    put_varint(out, (field << 3) | 2);
    put_varint(out, b.len() as u64);
    out.extend_from_slice(b);
}

/// A block with prefix compression and a restart point every `restart_every` keys.
fn encode_block(entries: &[(Vec<u8>, Vec<u8>)], restart_every: usize) -> Vec<u8> {
    let mut out = Vec::new();
    let mut restarts = Vec::new();
    let mut prev: &[u8] = &[];
    for (i, (k, v)) in entries.iter().enumerate() {
        let shared = if i % restart_every == 0 {
            restarts.push(out.len() as u32);
            0
        } else {
            k.iter().zip(prev).take_while(|(a, b)| a == b).count()
        };
        put_varint(&mut out, shared as u64);
        put_varint(&mut out, (k.len() - shared) as u64);
        put_varint(&mut out, v.len() as u64);
        out.extend_from_slice(&k[shared..]);
        out.extend_from_slice(v);
        prev = k;
    }
    if restarts.is_empty() {
        restarts.push(0);
    }
    for r in &restarts {
        out.extend_from_slice(&r.to_le_bytes());
    }
    out.extend_from_slice(&(restarts.len() as u32).to_le_bytes());
    out
}

/// Appends `block` and its trailer (no compression, masked CRC-32C) to `file`; returns the
/// block's handle (offset, size).
fn append_block(file: &mut Vec<u8>, block: &[u8]) -> (u64, u64) {
    let offset = file.len() as u64;
    file.extend_from_slice(block);
    file.push(0);
    let crc = crc32c::extend(crc32c::value(block), &[0]);
    file.extend_from_slice(&crc32c::mask(crc).to_le_bytes());
    (offset, block.len() as u64)
}

/// A table with `per_block` entries in each data block.
pub(super) fn encode_table(entries: &[(Vec<u8>, Vec<u8>)], per_block: usize) -> Vec<u8> {
    let mut file = Vec::new();
    let mut index = Vec::new();
    for chunk in entries.chunks(per_block) {
        let (off, size) = append_block(&mut file, &encode_block(chunk, RESTART_INTERVAL));
        let mut handle = Vec::new();
        put_varint(&mut handle, off);
        put_varint(&mut handle, size);
        index.push((chunk.last().unwrap().0.clone(), handle));
    }
    let meta = append_block(&mut file, &encode_block(&[], 16));
    let idx = append_block(&mut file, &encode_block(&index, 1));
    let mut footer = Vec::new();
    for v in [meta.0, meta.1, idx.0, idx.1] {
        put_varint(&mut footer, v);
    }
    footer.resize(40, 0);
    footer.extend_from_slice(&TABLE_MAGIC.to_le_bytes());
    file.extend_from_slice(&footer);
    file
}

/// TensorFlow's `DT_FLOAT`, the dtype code of float32 tensors.
const DT_FLOAT: u64 = 1;

/// Serialises a `BundleEntryProto` for a tensor of dtype code `dtype` in shard 0.
pub(super) fn entry_proto(dtype: u64, shape: &[u64], offset: u64, data: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    put_field_varint(&mut out, 1, dtype);
    let mut shape_proto = Vec::new();
    for &d in shape {
        let mut dim = Vec::new();
        put_field_varint(&mut dim, 1, d);
        put_field_bytes(&mut shape_proto, 2, &dim);
    }
    put_field_bytes(&mut out, 2, &shape_proto);
    put_field_varint(&mut out, 4, offset);
    put_field_varint(&mut out, 5, data.len() as u64);
    put_varint(&mut out, (6 << 3) | 5);
    out.extend_from_slice(&crc32c::mask(crc32c::value(data)).to_le_bytes());
    out
}

/// Writes `tensors` as a single-shard, uncompressed tensor bundle: `prefix.index` and
/// `prefix.data-00000-of-00001`, the layout TensorFlow's `Saver` writes (and reads back).
///
/// Every tensor is stored as float32 (`DT_FLOAT`) whatever its [`TensorData::dtype`]. Names must
/// be unique. Used to test the loaders on checkpoints TensorFlow never wrote (a wrong shape, an
/// extra variable) and by tools that re-export weights.
pub fn write_bundle(prefix: &Path, tensors: &[(&str, &TensorData)]) -> Result<()> {
    let index_path = with_suffix(prefix, ".index");
    let data_path = with_suffix(prefix, ".data-00000-of-00001");
    let mut sorted: Vec<&(&str, &TensorData)> = tensors.iter().collect();
    sorted.sort_by(|a, b| a.0.as_bytes().cmp(b.0.as_bytes()));
    let mut entries = Vec::with_capacity(sorted.len() + 1);
    // BundleHeaderProto: one shard, little endian (the default), VersionDef { producer: 1 }.
    let mut header = Vec::new();
    put_field_varint(&mut header, 1, 1);
    let mut version = Vec::new();
    put_field_varint(&mut version, 1, 1);
    put_field_bytes(&mut header, 3, &version);
    entries.push((Vec::new(), header));
    let mut data = Vec::new();
    for pair in sorted.windows(2) {
        if pair[0].0 == pair[1].0 {
            return Err(CheckpointError::Malformed {
                path: index_path,
                what: format!("tensor {:?} given twice", pair[0].0),
            });
        }
    }
    for (name, tensor) in sorted {
        if name.is_empty() || tensor.values.len() != tensor.shape.iter().product::<usize>() {
            return Err(CheckpointError::Malformed {
                path: index_path,
                what: format!(
                    "tensor {name:?}: {} values for shape {:?}",
                    tensor.values.len(),
                    tensor.shape
                ),
            });
        }
        let bytes: Vec<u8> = tensor.values.iter().flat_map(|v| v.to_le_bytes()).collect();
        entries.push((
            name.as_bytes().to_vec(),
            entry_proto(
                DT_FLOAT,
                &tensor.shape.iter().map(|&d| d as u64).collect::<Vec<_>>(),
                data.len() as u64,
                &bytes,
            ),
        ));
        data.extend_from_slice(&bytes);
    }
    let table = encode_table(&entries, ENTRIES_PER_BLOCK);
    std::fs::write(&data_path, &data).map_err(|source| CheckpointError::Io {
        path: data_path,
        source,
    })?;
    std::fs::write(&index_path, &table).map_err(|source| CheckpointError::Io {
        path: index_path,
        source,
    })?;
    Ok(())
}
