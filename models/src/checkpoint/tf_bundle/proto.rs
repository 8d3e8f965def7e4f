//! Decoding the protocol buffers of a bundle's index: a small reader of the wire format and the
//! few fields of `BundleHeaderProto`, `BundleEntryProto` and `TensorShapeProto` that are needed.

use std::path::Path;

use super::table::read_varint;
use super::{CheckpointError, Result, TensorInfo};

/// A field value in protobuf wire format.
enum Wire<'a> {
    Varint(u64),
    /// A 64-bit fixed field (no field the reader uses has this type).
    Fixed64,
    Bytes(&'a [u8]),
    Fixed32(u32),
}

/// Iterates over the (field number, value) pairs of a serialized message.
struct ProtoReader<'a> {
    buf: &'a [u8],
    pos: usize,
}

impl<'a> ProtoReader<'a> {
    fn new(buf: &'a [u8]) -> Self {
        ProtoReader { buf, pos: 0 }
    }

    /// The next field, `Ok(None)` at the end, `Err(())` on malformed input.
    fn next_field(&mut self) -> Result<Option<(u64, Wire<'a>)>, ()> {
        if self.pos >= self.buf.len() {
            return Ok(None);
        }
        let tag = read_varint(self.buf, &mut self.pos).ok_or(())?;
        let field = tag >> 3;
        let wire = match tag & 7 {
            0 => Wire::Varint(read_varint(self.buf, &mut self.pos).ok_or(())?),
            1 => {
                self.buf.get(self.pos..self.pos + 8).ok_or(())?;
                self.pos += 8;
                Wire::Fixed64
            }
            2 => {
                let len = read_varint(self.buf, &mut self.pos).ok_or(())?;
                let len = usize::try_from(len).map_err(|_| ())?;
                let end = self.pos.checked_add(len).ok_or(())?;
                let b = self.buf.get(self.pos..end).ok_or(())?;
                self.pos = end;
                Wire::Bytes(b)
            }
            5 => {
                let b = self.buf.get(self.pos..self.pos + 4).ok_or(())?;
                self.pos += 4;
                Wire::Fixed32(u32::from_le_bytes(b.try_into().map_err(|_| ())?))
            }
            _ => return Err(()),
        };
        if field == 0 {
            return Err(());
        }
        Ok(Some((field, wire)))
    }
}

/// The fields of `BundleHeaderProto` the reader uses.
pub(super) struct BundleHeader {
    /// Number of data shards.
    pub(super) num_shards: u32,
    /// Whether the tensors are stored big-endian.
    pub(super) big_endian: bool,
}

/// Parses the `BundleHeaderProto` of the empty key.
pub(super) fn parse_header(value: &[u8], path: &Path) -> Result<BundleHeader> {
    let malformed = || CheckpointError::Malformed {
        path: path.to_path_buf(),
        what: "bad BundleHeaderProto".into(),
    };
    let mut header = BundleHeader {
        num_shards: 0,
        big_endian: false,
    };
    let mut reader = ProtoReader::new(value);
    while let Some((field, wire)) = reader.next_field().map_err(|_| malformed())? {
        match (field, wire) {
            (1, Wire::Varint(v)) => {
                header.num_shards = u32::try_from(v).map_err(|_| malformed())?;
            }
            (2, Wire::Varint(v)) => header.big_endian = v == 1,
            (1 | 2, _) => return Err(malformed()),
            _ => {} // version and unknown fields
        }
    }
    if header.num_shards == 0 {
        return Err(CheckpointError::Malformed {
            path: path.to_path_buf(),
            what: "bundle header declares no data shards".into(),
        });
    }
    Ok(header)
}

/// Parses the `BundleEntryProto` of tensor `name`.
pub(super) fn parse_entry(value: &[u8], path: &Path, name: &str) -> Result<TensorInfo> {
    let malformed = |detail: &str| CheckpointError::Malformed {
        path: path.to_path_buf(),
        what: format!("bad BundleEntryProto for {name:?}: {detail}"),
    };
    let mut info = TensorInfo {
        dtype_code: 0,
        shape: Vec::new(),
        shard_id: 0,
        offset: 0,
        size: 0,
        masked_crc32c: 0,
    };
    let mut reader = ProtoReader::new(value);
    while let Some((field, wire)) = reader
        .next_field()
        .map_err(|_| malformed("bad wire format"))?
    {
        match (field, wire) {
            (1, Wire::Varint(v)) => info.dtype_code = v as i32,
            (2, Wire::Bytes(b)) => {
                info.shape = parse_shape(b).map_err(|e| malformed(&e.to_string()))?
            }
            (3, Wire::Varint(v)) => {
                info.shard_id = u32::try_from(v).map_err(|_| malformed("bad shard id"))?
            }
            (4, Wire::Varint(v)) => info.offset = v,
            (5, Wire::Varint(v)) => info.size = v,
            (6, Wire::Fixed32(v)) => info.masked_crc32c = v,
            (7, Wire::Bytes(_)) => {
                return Err(CheckpointError::Unsupported {
                    path: path.to_path_buf(),
                    what: format!("tensor {name:?} is partitioned into slices"),
                })
            }
            (1..=7, _) => return Err(malformed(&format!("field {field} has the wrong wire type"))),
            _ => {}
        }
    }
    Ok(info)
}

/// What is wrong with a `TensorShapeProto`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
enum ShapeError {
    /// The message is not valid wire format.
    #[error("bad shape")]
    BadShape,
    /// A dimension message is not valid wire format.
    #[error("bad dimension")]
    BadDimension,
    /// A dimension is negative (unknown).
    #[error("dimension {0}")]
    Negative(i64),
    /// The shape has no known rank.
    #[error("shape of unknown rank")]
    UnknownRank,
}

/// Parses a `TensorShapeProto`: repeated `Dim dim = 2` (`int64 size = 1`), `bool unknown_rank = 3`.
fn parse_shape(buf: &[u8]) -> std::result::Result<Vec<usize>, ShapeError> {
    let mut dims = Vec::new();
    let mut reader = ProtoReader::new(buf);
    while let Some((field, wire)) = reader.next_field().map_err(|_| ShapeError::BadShape)? {
        match (field, wire) {
            (2, Wire::Bytes(dim)) => {
                let mut size = 0i64;
                let mut r = ProtoReader::new(dim);
                while let Some((f, w)) = r.next_field().map_err(|_| ShapeError::BadDimension)? {
                    if let (1, Wire::Varint(v)) = (f, w) {
                        size = v as i64;
                    }
                }
                let size = usize::try_from(size).map_err(|_| ShapeError::Negative(size))?;
                dims.push(size);
            }
            (3, Wire::Varint(v)) if v != 0 => return Err(ShapeError::UnknownRank),
            _ => {}
        }
    }
    Ok(dims)
}
