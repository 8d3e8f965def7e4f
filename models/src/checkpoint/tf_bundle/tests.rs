//! The reader and the writer on synthetic bundles.

use std::path::{Path, PathBuf};

use super::table::read_varint;
use super::writer::{encode_table, entry_proto, put_field_varint};
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
