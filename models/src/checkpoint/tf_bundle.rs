//! A reader of TensorFlow's checkpoint format, the *tensor bundle*, in pure Rust.
//!
//! A checkpoint saved by `tf.train.Saver` (TF 1.x) or `tf.train.Checkpoint` with prefix `P` is:
//!
//! * `P.index`: an immutable sorted key/value table in LevelDB's SSTable format. The key `""`
//!   holds a `BundleHeaderProto` (number of data shards, endianness, version); every other key is
//!   a variable name whose value is a `BundleEntryProto` (dtype, shape, shard id, byte offset and
//!   size in that shard, masked CRC-32C of the bytes).
//! * `P.data-SSSSS-of-NNNNN`: the shards, the tensors' raw little-endian bytes back to back.
//!
//! The SSTable layout (LevelDB's `table_format.md`): data blocks, a meta-index block and an index
//! block, each followed by a 5-byte trailer (compression type, masked CRC-32C of the block and
//! type byte), then a 48-byte footer (two varint block handles, padding, the magic number
//! `0xdb4775248b80fb57`). A block holds entries with prefix-compressed keys (`shared`,
//! `non_shared` and value lengths as varints) followed by an array of `u32` restart offsets and
//! their count. TensorFlow writes bundles uncompressed; a Snappy-compressed block is reported as
//! [`CheckpointError::UnsupportedCompression`].
//!
//! The protocol buffers are decoded by a small hand-written reader of the wire format: only the
//! few fields of `BundleHeaderProto`, `BundleEntryProto` and `TensorShapeProto` are needed.
//!
//! Every failure is a [`CheckpointError`] naming the file and the cause; nothing panics on a
//! malformed file. [`write_bundle`] writes the same format (float32 tensors, one shard).

use std::collections::BTreeMap;
use std::fs::File;
use std::io::{Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};

use super::crc32c;

/// Everything that can go wrong reading a checkpoint.
#[derive(Debug, thiserror::Error)]
pub enum CheckpointError {
    /// The file could not be opened or read.
    #[error("cannot read {}: {source}", path.display())]
    Io {
        /// The file.
        path: PathBuf,
        /// The operating system's error.
        #[source]
        source: std::io::Error,
    },
    /// The index file does not end with the LevelDB table magic number: not a tensor bundle index.
    #[error("{} is not a TensorFlow checkpoint index: bad table magic {found:#018x} (expected {expected:#018x})", path.display())]
    BadMagic {
        /// The index file.
        path: PathBuf,
        /// The last eight bytes read as a little-endian integer.
        found: u64,
        /// LevelDB's table magic number.
        expected: u64,
    },
    /// The file ends before a structure it announces.
    #[error("{} is truncated: {what}", path.display())]
    Truncated {
        /// The file.
        path: PathBuf,
        /// Which structure was cut short.
        what: String,
    },
    /// A checksum does not match the bytes: the file is corrupted.
    #[error("{} is corrupted: CRC-32C mismatch in {what} (stored {stored:#010x}, computed {computed:#010x})", path.display())]
    CrcMismatch {
        /// The file.
        path: PathBuf,
        /// The block or tensor whose checksum failed.
        what: String,
        /// The checksum the file records (unmasked).
        stored: u32,
        /// The checksum of the bytes read.
        computed: u32,
    },
    /// A structure is malformed (bad varint, impossible length, inconsistent sizes …).
    #[error("{} is malformed: {what}", path.display())]
    Malformed {
        /// The file.
        path: PathBuf,
        /// What is wrong.
        what: String,
    },
    /// A table block uses a compression this reader does not implement.
    #[error("{}: block compression type {kind} is not supported (only uncompressed tables)", path.display())]
    UnsupportedCompression {
        /// The index file.
        path: PathBuf,
        /// The compression byte of the block trailer (1 = Snappy).
        kind: u8,
    },
    /// A tensor has a dtype code this reader does not know.
    #[error("{}: tensor {name:?} has unknown dtype code {code}", path.display())]
    UnknownDtype {
        /// The index file.
        path: PathBuf,
        /// The variable.
        name: String,
        /// The `DataType` enum value.
        code: i32,
    },
    /// A tensor's dtype is known but cannot be converted to `f32` values (e.g. strings).
    #[error("{}: tensor {name:?} has dtype {dtype:?}, which cannot be read as numbers", path.display())]
    UnsupportedDtype {
        /// The index file.
        path: PathBuf,
        /// The variable.
        name: String,
        /// Its dtype.
        dtype: DType,
    },
    /// A feature of the format this reader does not implement (partitioned variables,
    /// big-endian bundles).
    #[error("{}: unsupported checkpoint feature: {what}", path.display())]
    Unsupported {
        /// The index file.
        path: PathBuf,
        /// What is not supported.
        what: String,
    },
    /// A data shard the index refers to does not exist.
    #[error("missing checkpoint data shard {}", path.display())]
    MissingShard {
        /// The expected shard file.
        path: PathBuf,
    },
    /// No tensor of that name in the checkpoint.
    #[error("{}: no tensor named {name:?}", path.display())]
    NoSuchTensor {
        /// The index file.
        path: PathBuf,
        /// The requested name.
        name: String,
    },
}

/// Result alias for checkpoint reading.
pub type Result<T, E = CheckpointError> = std::result::Result<T, E>;

/// The element types of TensorFlow's `DataType` enum that a bundle reader may meet.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DType {
    /// `DT_FLOAT`: 32-bit IEEE float.
    Float,
    /// `DT_DOUBLE`: 64-bit IEEE float.
    Double,
    /// `DT_INT32`.
    Int32,
    /// `DT_UINT8`.
    UInt8,
    /// `DT_INT16`.
    Int16,
    /// `DT_INT8`.
    Int8,
    /// `DT_STRING`: variable-length strings (not readable as numbers).
    String,
    /// `DT_INT64`.
    Int64,
    /// `DT_BOOL`: one byte per element.
    Bool,
    /// `DT_BFLOAT16`.
    BFloat16,
    /// `DT_HALF`: 16-bit IEEE float.
    Half,
}

impl DType {
    /// The dtype of a `DataType` enum value, `None` if unknown. Reference types (`code + 100`)
    /// map to their base type.
    pub fn from_code(code: i32) -> Option<DType> {
        let base = if code > 100 { code - 100 } else { code };
        Some(match base {
            1 => DType::Float,
            2 => DType::Double,
            3 => DType::Int32,
            4 => DType::UInt8,
            5 => DType::Int16,
            6 => DType::Int8,
            7 => DType::String,
            9 => DType::Int64,
            10 => DType::Bool,
            14 => DType::BFloat16,
            19 => DType::Half,
            _ => return None,
        })
    }

    /// Bytes per element, `None` for strings.
    pub fn size(self) -> Option<usize> {
        match self {
            DType::Float | DType::Int32 => Some(4),
            DType::Double | DType::Int64 => Some(8),
            DType::Int16 | DType::BFloat16 | DType::Half => Some(2),
            DType::UInt8 | DType::Int8 | DType::Bool => Some(1),
            DType::String => None,
        }
    }
}

/// Where and what one tensor is, as recorded by its `BundleEntryProto`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TensorInfo {
    /// The raw `DataType` code (see [`DType::from_code`]).
    pub dtype_code: i32,
    /// The dimensions, outermost first (TensorFlow's row-major order).
    pub shape: Vec<usize>,
    /// Which data shard holds the bytes.
    pub shard_id: u32,
    /// Byte offset in the shard.
    pub offset: u64,
    /// Number of bytes.
    pub size: u64,
    /// The masked CRC-32C of the bytes, as stored.
    pub masked_crc32c: u32,
}

impl TensorInfo {
    /// The number of elements (1 for a scalar).
    pub fn num_elements(&self) -> usize {
        self.shape.iter().product()
    }
}

/// A tensor read from a checkpoint, converted to `f32`.
#[derive(Debug, Clone, PartialEq)]
pub struct TensorData {
    /// The stored element type (the values are converted from it).
    pub dtype: DType,
    /// The dimensions, outermost first.
    pub shape: Vec<usize>,
    /// The elements in row-major order.
    pub values: Vec<f32>,
}

/// The LevelDB table magic number at the end of every `.index` file.
pub const TABLE_MAGIC: u64 = 0xdb47_7524_8b80_fb57;
const FOOTER_LEN: usize = 48;
const BLOCK_TRAILER_LEN: usize = 5;

/// An open tensor bundle: its index parsed into memory, its data shards read on demand.
#[derive(Debug, Clone)]
pub struct TfBundle {
    index_path: PathBuf,
    shard_paths: Vec<PathBuf>,
    entries: BTreeMap<String, TensorInfo>,
}

/// Appends `suffix` to the file name of `prefix` (`P` → `P.index`).
fn with_suffix(prefix: &Path, suffix: &str) -> PathBuf {
    let mut s = prefix.as_os_str().to_owned();
    s.push(suffix);
    PathBuf::from(s)
}

impl TfBundle {
    /// Opens the bundle with checkpoint prefix `prefix` (the path without `.index`).
    ///
    /// A directory is accepted as the prefix `dir/`, which is how musicnn ships its checkpoints
    /// (`MTT_musicnn/.index`, `MTT_musicnn/.data-00000-of-00001`).
    ///
    /// Parses and checks the whole index (every block's CRC) and checks that every data shard
    /// exists. Tensor bytes are read and checked by [`TfBundle::tensor`].
    pub fn open(prefix: &Path) -> Result<TfBundle> {
        let prefix = if prefix.is_dir() {
            prefix.join("")
        } else {
            prefix.to_path_buf()
        };
        let index_path = with_suffix(&prefix, ".index");
        let bytes = std::fs::read(&index_path).map_err(|source| CheckpointError::Io {
            path: index_path.clone(),
            source,
        })?;
        let table = read_table(&bytes, &index_path)?;

        let mut header = None;
        let mut entries = BTreeMap::new();
        for (key, value) in table {
            if key.is_empty() {
                header = Some(parse_header(&value, &index_path)?);
                continue;
            }
            let name = String::from_utf8(key).map_err(|_| CheckpointError::Malformed {
                path: index_path.clone(),
                what: "a tensor name is not UTF-8".into(),
            })?;
            let info = parse_entry(&value, &index_path, &name)?;
            entries.insert(name, info);
        }
        let header = header.ok_or_else(|| CheckpointError::Malformed {
            path: index_path.clone(),
            what: "no bundle header (empty key)".into(),
        })?;
        if header.big_endian {
            return Err(CheckpointError::Unsupported {
                path: index_path,
                what: "big-endian bundle".into(),
            });
        }
        let shard_paths: Vec<PathBuf> = (0..header.num_shards)
            .map(|i| {
                with_suffix(
                    &prefix,
                    &format!(".data-{i:05}-of-{:05}", header.num_shards),
                )
            })
            .collect();
        for (name, info) in &entries {
            if info.shard_id >= header.num_shards {
                return Err(CheckpointError::Malformed {
                    path: index_path.clone(),
                    what: format!(
                        "tensor {name:?} is in shard {} of {}",
                        info.shard_id, header.num_shards
                    ),
                });
            }
        }
        for path in &shard_paths {
            if !path.is_file() {
                return Err(CheckpointError::MissingShard { path: path.clone() });
            }
        }
        Ok(TfBundle {
            index_path,
            shard_paths,
            entries,
        })
    }

    /// The path of the `.index` file.
    pub fn index_path(&self) -> &Path {
        &self.index_path
    }

    /// The names of all tensors, sorted.
    pub fn names(&self) -> impl Iterator<Item = &str> {
        self.entries.keys().map(String::as_str)
    }

    /// The recorded dtype, shape and location of tensor `name`, without reading it.
    pub fn info(&self, name: &str) -> Option<&TensorInfo> {
        self.entries.get(name)
    }

    /// Whether a tensor `name` exists.
    pub fn contains(&self, name: &str) -> bool {
        self.entries.contains_key(name)
    }

    /// Reads the raw bytes of tensor `name` from its shard and checks their CRC-32C.
    pub fn raw_bytes(&self, name: &str) -> Result<Vec<u8>> {
        let info = self
            .entries
            .get(name)
            .ok_or_else(|| CheckpointError::NoSuchTensor {
                path: self.index_path.clone(),
                name: name.to_string(),
            })?;
        let path = &self.shard_paths[info.shard_id as usize];
        let io = |source| CheckpointError::Io {
            path: path.clone(),
            source,
        };
        let mut file = File::open(path).map_err(|source| {
            if source.kind() == std::io::ErrorKind::NotFound {
                CheckpointError::MissingShard { path: path.clone() }
            } else {
                io(source)
            }
        })?;
        let file_len = file.metadata().map_err(io)?.len();
        let end = info.offset.checked_add(info.size);
        if end.is_none_or(|end| end > file_len) {
            return Err(CheckpointError::Truncated {
                path: path.clone(),
                what: format!(
                    "tensor {name:?} needs bytes {}..{}+{} but the shard has {file_len}",
                    info.offset, info.offset, info.size
                ),
            });
        }
        let size = usize::try_from(info.size).map_err(|_| CheckpointError::Malformed {
            path: self.index_path.clone(),
            what: format!("tensor {name:?} size {} does not fit in memory", info.size),
        })?;
        file.seek(SeekFrom::Start(info.offset)).map_err(io)?;
        let mut buf = vec![0u8; size];
        file.read_exact(&mut buf).map_err(io)?;
        let stored = crc32c::unmask(info.masked_crc32c);
        let computed = crc32c::value(&buf);
        if stored != computed {
            return Err(CheckpointError::CrcMismatch {
                path: path.clone(),
                what: format!("tensor {name:?}"),
                stored,
                computed,
            });
        }
        Ok(buf)
    }

    /// Reads tensor `name`, checks its CRC-32C and converts its elements to `f32`.
    pub fn tensor(&self, name: &str) -> Result<TensorData> {
        let info = self
            .entries
            .get(name)
            .ok_or_else(|| CheckpointError::NoSuchTensor {
                path: self.index_path.clone(),
                name: name.to_string(),
            })?;
        let dtype =
            DType::from_code(info.dtype_code).ok_or_else(|| CheckpointError::UnknownDtype {
                path: self.index_path.clone(),
                name: name.to_string(),
                code: info.dtype_code,
            })?;
        let elem = dtype
            .size()
            .ok_or_else(|| CheckpointError::UnsupportedDtype {
                path: self.index_path.clone(),
                name: name.to_string(),
                dtype,
            })?;
        let n = info.num_elements();
        if n.checked_mul(elem) != Some(info.size as usize) {
            return Err(CheckpointError::Malformed {
                path: self.index_path.clone(),
                what: format!(
                    "tensor {name:?} of shape {:?} and dtype {dtype:?} should take {} bytes, the index says {}",
                    info.shape,
                    n.saturating_mul(elem),
                    info.size
                ),
            });
        }
        let bytes = self.raw_bytes(name)?;
        Ok(TensorData {
            dtype,
            shape: info.shape.clone(),
            values: convert(&bytes, dtype),
        })
    }
}

/// Converts little-endian elements of `dtype` to `f32`.
fn convert(bytes: &[u8], dtype: DType) -> Vec<f32> {
    match dtype {
        DType::Float => bytes
            .chunks_exact(4)
            .map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]]))
            .collect(),
        DType::Double => bytes
            .chunks_exact(8)
            .map(|c| f64::from_le_bytes(c.try_into().expect("8 bytes")) as f32)
            .collect(),
        DType::Int32 => bytes
            .chunks_exact(4)
            .map(|c| i32::from_le_bytes([c[0], c[1], c[2], c[3]]) as f32)
            .collect(),
        DType::Int64 => bytes
            .chunks_exact(8)
            .map(|c| i64::from_le_bytes(c.try_into().expect("8 bytes")) as f32)
            .collect(),
        DType::Int16 => bytes
            .chunks_exact(2)
            .map(|c| i16::from_le_bytes([c[0], c[1]]) as f32)
            .collect(),
        DType::UInt8 | DType::Bool => bytes.iter().map(|&b| b as f32).collect(),
        DType::Int8 => bytes.iter().map(|&b| b as i8 as f32).collect(),
        DType::BFloat16 => bytes
            .chunks_exact(2)
            .map(|c| f32::from_bits((u16::from_le_bytes([c[0], c[1]]) as u32) << 16))
            .collect(),
        DType::Half => bytes
            .chunks_exact(2)
            .map(|c| half_to_f32(u16::from_le_bytes([c[0], c[1]])))
            .collect(),
        DType::String => Vec::new(),
    }
}

/// IEEE 754 binary16 to binary32, exact.
fn half_to_f32(h: u16) -> f32 {
    let sign = ((h >> 15) as u32) << 31;
    let exp = ((h >> 10) & 0x1f) as u32;
    let mant = (h & 0x3ff) as u32;
    let bits = match (exp, mant) {
        (0, 0) => sign,
        (0, m) => {
            // Subnormal: value = m * 2^-24.
            let v = m as f32 * (1.0 / 16_777_216.0);
            return if sign != 0 { -v } else { v };
        }
        (0x1f, 0) => sign | 0x7f80_0000,
        (0x1f, m) => sign | 0x7f80_0000 | (m << 13),
        (e, m) => sign | ((e + 127 - 15) << 23) | (m << 13),
    };
    f32::from_bits(bits)
}

// ---------------------------------------------------------------------------------------------
// LevelDB table
// ---------------------------------------------------------------------------------------------

/// A pointer to a block: offset and size (without the trailer).
#[derive(Debug, Clone, Copy)]
struct BlockHandle {
    offset: u64,
    size: u64,
}

/// Reads a varint (up to 64 bits) at `*pos`, advancing it; `None` if cut short or too long.
fn read_varint(buf: &[u8], pos: &mut usize) -> Option<u64> {
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

fn read_handle(buf: &[u8], pos: &mut usize) -> Option<BlockHandle> {
    let offset = read_varint(buf, pos)?;
    let size = read_varint(buf, pos)?;
    Some(BlockHandle { offset, size })
}

/// Parses a whole table into its (key, value) pairs in order.
fn read_table(bytes: &[u8], path: &Path) -> Result<Vec<(Vec<u8>, Vec<u8>)>> {
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

// ---------------------------------------------------------------------------------------------
// Protocol buffers
// ---------------------------------------------------------------------------------------------

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
struct BundleHeader {
    num_shards: u32,
    big_endian: bool,
}

fn parse_header(value: &[u8], path: &Path) -> Result<BundleHeader> {
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

fn parse_entry(value: &[u8], path: &Path, name: &str) -> Result<TensorInfo> {
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
            (2, Wire::Bytes(b)) => info.shape = parse_shape(b).map_err(|e| malformed(&e))?,
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

/// Parses a `TensorShapeProto`: repeated `Dim dim = 2` (`int64 size = 1`), `bool unknown_rank = 3`.
fn parse_shape(buf: &[u8]) -> std::result::Result<Vec<usize>, String> {
    let mut dims = Vec::new();
    let mut reader = ProtoReader::new(buf);
    while let Some((field, wire)) = reader.next_field().map_err(|_| "bad shape".to_string())? {
        match (field, wire) {
            (2, Wire::Bytes(dim)) => {
                let mut size = 0i64;
                let mut r = ProtoReader::new(dim);
                while let Some((f, w)) = r.next_field().map_err(|_| "bad dimension".to_string())? {
                    if let (1, Wire::Varint(v)) = (f, w) {
                        size = v as i64;
                    }
                }
                let size = usize::try_from(size).map_err(|_| format!("dimension {size}"))?;
                dims.push(size);
            }
            (3, Wire::Varint(v)) if v != 0 => return Err("shape of unknown rank".into()),
            _ => {}
        }
    }
    Ok(dims)
}

// ---------------------------------------------------------------------------------------------
// Writing
// ---------------------------------------------------------------------------------------------

/// Entries per data block and restart interval of the blocks [`write_bundle`] writes.
const ENTRIES_PER_BLOCK: usize = 64;
const RESTART_INTERVAL: usize = 16;

fn put_varint(out: &mut Vec<u8>, mut v: u64) {
    while v >= 0x80 {
        out.push((v as u8) | 0x80);
        v >>= 7;
    }
    out.push(v as u8);
}

fn put_field_varint(out: &mut Vec<u8>, field: u64, v: u64) {
    put_varint(out, field << 3);
    put_varint(out, v);
}

fn put_field_bytes(out: &mut Vec<u8>, field: u64, b: &[u8]) {
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

fn append_block(file: &mut Vec<u8>, block: &[u8]) -> (u64, u64) {
    let offset = file.len() as u64;
    file.extend_from_slice(block);
    file.push(0);
    let crc = crc32c::extend(crc32c::value(block), &[0]);
    file.extend_from_slice(&crc32c::mask(crc).to_le_bytes());
    (offset, block.len() as u64)
}

/// A table with `per_block` entries in each data block.
fn encode_table(entries: &[(Vec<u8>, Vec<u8>)], per_block: usize) -> Vec<u8> {
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
fn entry_proto(dtype: u64, shape: &[u64], offset: u64, data: &[u8]) -> Vec<u8> {
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn varints() {
        let mut pos = 0;
        assert_eq!(read_varint(&[0x96, 0x01], &mut pos), Some(150));
        assert_eq!(pos, 2);
        let mut pos = 0;
        assert_eq!(read_varint(&[0x96], &mut pos), None);
    }

    #[test]
    fn half_floats() {
        assert_eq!(half_to_f32(0x3c00), 1.0);
        assert_eq!(half_to_f32(0xc000), -2.0);
        assert_eq!(half_to_f32(0x7bff), 65504.0);
        assert_eq!(half_to_f32(0x0001), 5.960_464_5e-8);
        assert!(half_to_f32(0x7c00).is_infinite());
    }

    // Raw entries, to test the reader on inputs TensorFlow would not produce (unknown dtypes,
    // other element types).

    /// Writes a bundle of (name, dtype code, shape, bytes) under `dir/ckpt`.
    fn write_raw_bundle(dir: &Path, tensors: &[(&str, i32, Vec<u64>, Vec<u8>)]) -> PathBuf {
        let mut header = Vec::new();
        put_field_varint(&mut header, 1, 1);
        let mut entries = vec![(Vec::new(), header)];
        let mut data = Vec::new();
        let mut sorted: Vec<_> = tensors.iter().collect();
        sorted.sort_by_key(|t| t.0);
        for (name, dtype, shape, bytes) in sorted {
            entries.push((
                name.as_bytes().to_vec(),
                entry_proto(*dtype as u64, shape, data.len() as u64, bytes),
            ));
            data.extend_from_slice(bytes);
        }
        let prefix = dir.join("ckpt");
        std::fs::write(with_suffix(&prefix, ".index"), encode_table(&entries, 3)).unwrap();
        std::fs::write(with_suffix(&prefix, ".data-00000-of-00001"), data).unwrap();
        prefix
    }

    fn f32_bytes(v: &[f32]) -> Vec<u8> {
        v.iter().flat_map(|x| x.to_le_bytes()).collect()
    }

    #[test]
    fn synthetic_bundle_round_trips() {
        let dir = tempfile::tempdir().unwrap();
        let tensors = vec![
            (
                "dense/kernel",
                1,
                vec![2, 3],
                f32_bytes(&[1.0, 2.0, 3.0, 4.0, 5.0, 6.0]),
            ),
            ("dense/bias", 1, vec![3], f32_bytes(&[0.5, -0.5, 0.25])),
            ("global_step", 9, vec![], 1234i64.to_le_bytes().to_vec()),
            ("half", 19, vec![2], [0x00u8, 0x3c, 0x00, 0xc0].to_vec()),
            (
                "ints",
                3,
                vec![2],
                [7i32.to_le_bytes(), (-8i32).to_le_bytes()].concat(),
            ),
            ("odd", 42, vec![1], vec![0, 0, 0, 0]),
            ("words", 7, vec![1], vec![3, b'a', b'b', b'c']),
        ];
        let prefix = write_raw_bundle(dir.path(), &tensors);
        let bundle = TfBundle::open(&prefix).unwrap();
        let names: Vec<&str> = bundle.names().collect();
        assert_eq!(
            names,
            [
                "dense/bias",
                "dense/kernel",
                "global_step",
                "half",
                "ints",
                "odd",
                "words"
            ]
        );
        let k = bundle.tensor("dense/kernel").unwrap();
        assert_eq!(k.dtype, DType::Float);
        assert_eq!(k.shape, [2, 3]);
        assert_eq!(k.values, [1.0, 2.0, 3.0, 4.0, 5.0, 6.0]);
        assert_eq!(
            bundle.tensor("dense/bias").unwrap().values,
            [0.5, -0.5, 0.25]
        );
        let step = bundle.tensor("global_step").unwrap();
        assert!(step.shape.is_empty());
        assert_eq!(step.values, [1234.0]);
        assert_eq!(bundle.tensor("half").unwrap().values, [1.0, -2.0]);
        assert_eq!(bundle.tensor("ints").unwrap().values, [7.0, -8.0]);

        let err = bundle.tensor("odd").unwrap_err();
        assert!(
            matches!(err, CheckpointError::UnknownDtype { code: 42, .. }),
            "{err}"
        );
        assert!(err.to_string().contains("odd"), "{err}");
        let err = bundle.tensor("words").unwrap_err();
        assert!(
            matches!(
                err,
                CheckpointError::UnsupportedDtype {
                    dtype: DType::String,
                    ..
                }
            ),
            "{err}"
        );
        let err = bundle.tensor("nope").unwrap_err();
        assert!(matches!(err, CheckpointError::NoSuchTensor { .. }), "{err}");
    }

    #[test]
    fn synthetic_bundle_detects_corruption() {
        let dir = tempfile::tempdir().unwrap();
        let tensors = vec![("w", 1, vec![4], f32_bytes(&[1.0, 2.0, 3.0, 4.0]))];
        let prefix = write_raw_bundle(dir.path(), &tensors);
        let data_path = with_suffix(&prefix, ".data-00000-of-00001");
        let mut data = std::fs::read(&data_path).unwrap();
        data[5] ^= 0x10;
        std::fs::write(&data_path, &data).unwrap();
        let err = TfBundle::open(&prefix).unwrap().tensor("w").unwrap_err();
        assert!(matches!(err, CheckpointError::CrcMismatch { .. }), "{err}");

        data.truncate(8);
        std::fs::write(&data_path, &data).unwrap();
        let err = TfBundle::open(&prefix).unwrap().tensor("w").unwrap_err();
        assert!(matches!(err, CheckpointError::Truncated { .. }), "{err}");

        std::fs::remove_file(&data_path).unwrap();
        let err = TfBundle::open(&prefix).unwrap_err();
        assert!(matches!(err, CheckpointError::MissingShard { .. }), "{err}");
    }

    #[test]
    fn written_bundle_reads_back() {
        let dir = tempfile::tempdir().unwrap();
        let mut tensors = Vec::new();
        for i in 0..150 {
            tensors.push((
                format!("layer_{i}/kernel"),
                TensorData {
                    dtype: DType::Float,
                    shape: vec![2, 2],
                    values: vec![i as f32, 1.0, 2.0, -3.5],
                },
            ));
        }
        let refs: Vec<(&str, &TensorData)> = tensors.iter().map(|(n, t)| (n.as_str(), t)).collect();
        let prefix = dir.path().join("ckpt");
        write_bundle(&prefix, &refs).unwrap();
        let bundle = TfBundle::open(&prefix).unwrap();
        assert_eq!(bundle.names().count(), 150);
        for (name, t) in &tensors {
            assert_eq!(&bundle.tensor(name).unwrap(), t);
        }
        let dup = [refs[0], refs[0]];
        assert!(write_bundle(&prefix, &dup).is_err());
    }

    #[test]
    fn dtype_codes() {
        assert_eq!(DType::from_code(1), Some(DType::Float));
        assert_eq!(DType::from_code(101), Some(DType::Float));
        assert_eq!(DType::from_code(9), Some(DType::Int64));
        assert_eq!(DType::from_code(42), None);
    }
}
