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
//!
//! The files, by job: `table` reads the LevelDB table of the index, `proto` decodes the
//! protocol buffers of its values, `writer` writes a bundle; this file holds the types and
//! [`TfBundle`], which reads tensors from the data shards.

use std::collections::BTreeMap;
use std::fs::File;
use std::io::{Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};

use super::crc32c;

mod proto;
mod table;
#[cfg(test)]
mod tests;
mod writer;

use proto::{parse_entry, parse_header};
use table::read_table;
pub use writer::write_bundle;

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

    /// The index entry of tensor `name`, or `NoSuchTensor`.
    fn entry(&self, name: &str) -> Result<&TensorInfo> {
        self.entries
            .get(name)
            .ok_or_else(|| CheckpointError::NoSuchTensor {
                path: self.index_path.clone(),
                name: name.to_string(),
            })
    }

    /// Reads the raw bytes of tensor `name` from its shard and checks their CRC-32C.
    pub fn raw_bytes(&self, name: &str) -> Result<Vec<u8>> {
        let info = self.entry(name)?;
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
        let info = self.entry(name)?;
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
