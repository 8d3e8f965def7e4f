//! The TensorFlow checkpoint reader on musicnn's real checkpoints and on corrupted copies.
//!
//! Needs the unpacked musicnn wheel: see `scripts/fetch-musicnn-wheel.sh` and
//! `MUSEARCH_MUSICNN_WHEEL_DIR`.

mod common;

use std::path::{Path, PathBuf};

use musearch_models::checkpoint::{CheckpointError, DType, TfBundle};

const MODELS: [&str; 4] = ["MTT_musicnn", "MTT_vgg", "MSD_musicnn", "MSD_vgg"];

/// Copies a checkpoint's index and data shard into `dir` (same layout: `dir/.index` …).
fn copy_checkpoint(model: &str, dir: &Path) -> PathBuf {
    let src = common::checkpoint_dir(model);
    for file in [".index", ".data-00000-of-00001"] {
        std::fs::copy(src.join(file), dir.join(file)).unwrap();
    }
    dir.to_path_buf()
}

#[test]
fn reads_every_tensor_of_every_checkpoint() {
    for model in MODELS {
        let bundle = TfBundle::open(&common::checkpoint_dir(model))
            .unwrap_or_else(|e| panic!("{model}: {e}"));
        let names: Vec<String> = bundle.names().map(str::to_string).collect();
        assert!(names.len() > 20, "{model}: only {} tensors", names.len());
        for name in &names {
            let t = bundle
                .tensor(name)
                .unwrap_or_else(|e| panic!("{model}: {e}"));
            assert_eq!(t.values.len(), t.shape.iter().product::<usize>(), "{name}");
            assert!(t.values.iter().all(|v| v.is_finite()), "{model}/{name}");
        }
    }
}

#[test]
fn musicnn_checkpoint_has_the_published_architecture() {
    let bundle = TfBundle::open(&common::checkpoint_dir("MTT_musicnn")).unwrap();
    // Input batch norm over the single spectrogram channel.
    let beta = bundle.tensor("batch_normalization/beta").unwrap();
    assert_eq!(beta.dtype, DType::Float);
    assert_eq!(beta.shape, [1]);
    // The first timbral filter: 7 frames × 38 mel bands (0.4 × 96), 1 → 204 (1.6 × 128) channels.
    let kernel = bundle.tensor("conv2d/kernel").unwrap();
    assert_eq!(kernel.shape, [7, 38, 1, 204]);
    // The output layer: 200 penultimate units to 50 tags.
    let info = bundle.info("dense_1/kernel").unwrap();
    assert_eq!(info.shape, [200, 50]);
    // Moving variances of a trained network are positive.
    let var = bundle
        .tensor("batch_normalization/moving_variance")
        .unwrap();
    assert!(var.values.iter().all(|&v| v > 0.0));
}

#[test]
fn flipped_byte_in_data_is_a_crc_error() {
    let dir = tempfile::tempdir().unwrap();
    let prefix = copy_checkpoint("MTT_musicnn", dir.path());
    let bundle = TfBundle::open(&prefix).unwrap();
    let info = bundle.info("conv2d/kernel").unwrap().clone();
    let data_path = dir.path().join(".data-00000-of-00001");
    let mut data = std::fs::read(&data_path).unwrap();
    data[(info.offset + info.size / 2) as usize] ^= 0x01;
    std::fs::write(&data_path, &data).unwrap();

    let err = bundle.tensor("conv2d/kernel").unwrap_err();
    assert!(matches!(err, CheckpointError::CrcMismatch { .. }), "{err}");
    let msg = err.to_string();
    assert!(
        msg.contains("conv2d/kernel") && msg.contains(".data-00000-of-00001"),
        "{msg}"
    );
    // The other tensors are intact.
    bundle.tensor("batch_normalization/beta").unwrap();
}

#[test]
fn truncated_index_is_a_clear_error() {
    let dir = tempfile::tempdir().unwrap();
    let prefix = copy_checkpoint("MTT_musicnn", dir.path());
    let index = dir.path().join(".index");
    let bytes = std::fs::read(&index).unwrap();

    // Cut in the middle: the footer is gone.
    std::fs::write(&index, &bytes[..bytes.len() / 2]).unwrap();
    let err = TfBundle::open(&prefix).unwrap_err();
    assert!(matches!(err, CheckpointError::BadMagic { .. }), "{err}");
    assert!(err.to_string().contains(".index"), "{err}");

    // Shorter than a footer.
    std::fs::write(&index, &bytes[..20]).unwrap();
    let err = TfBundle::open(&prefix).unwrap_err();
    assert!(matches!(err, CheckpointError::Truncated { .. }), "{err}");

    // Footer intact but blocks missing: the index block lies past the (shortened) file.
    let mut cut = bytes[..bytes.len() / 2].to_vec();
    cut.extend_from_slice(&bytes[bytes.len() - 48..]);
    std::fs::write(&index, &cut).unwrap();
    let err = TfBundle::open(&prefix).unwrap_err();
    assert!(matches!(err, CheckpointError::Truncated { .. }), "{err}");

    // Empty file.
    std::fs::write(&index, b"").unwrap();
    let err = TfBundle::open(&prefix).unwrap_err();
    assert!(matches!(err, CheckpointError::Truncated { .. }), "{err}");
}

#[test]
fn flipped_byte_in_index_is_a_crc_error() {
    let dir = tempfile::tempdir().unwrap();
    let prefix = copy_checkpoint("MTT_musicnn", dir.path());
    let index = dir.path().join(".index");
    let mut bytes = std::fs::read(&index).unwrap();
    bytes[40] ^= 0x20;
    std::fs::write(&index, &bytes).unwrap();
    let err = TfBundle::open(&prefix).unwrap_err();
    assert!(matches!(err, CheckpointError::CrcMismatch { .. }), "{err}");
}

#[test]
fn other_files_are_rejected() {
    let dir = tempfile::tempdir().unwrap();
    let prefix = copy_checkpoint("MTT_musicnn", dir.path());
    // Not an index: musicnn's graph definition.
    std::fs::copy(
        common::checkpoint_dir("MTT_musicnn").join(".meta"),
        dir.path().join(".index"),
    )
    .unwrap();
    let err = TfBundle::open(&prefix).unwrap_err();
    assert!(matches!(err, CheckpointError::BadMagic { .. }), "{err}");

    // No index at all.
    let err = TfBundle::open(&dir.path().join("nothing")).unwrap_err();
    assert!(matches!(err, CheckpointError::Io { .. }), "{err}");
    assert!(err.to_string().contains("nothing.index"), "{err}");
}

#[test]
fn missing_data_shard_is_reported() {
    let dir = tempfile::tempdir().unwrap();
    let prefix = copy_checkpoint("MTT_musicnn", dir.path());
    std::fs::remove_file(dir.path().join(".data-00000-of-00001")).unwrap();
    let err = TfBundle::open(&prefix).unwrap_err();
    assert!(matches!(err, CheckpointError::MissingShard { .. }), "{err}");
    assert!(err.to_string().contains(".data-00000-of-00001"), "{err}");
}
