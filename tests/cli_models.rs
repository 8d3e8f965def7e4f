//! End-to-end: `musearch models import-musicnn` into a fresh store, `models list`, then
//! `musearch tag` on fixture clips; and a corrupted checkpoint refused with a clear error.
//!
//! Needs the unpacked musicnn wheel: see `scripts/fetch-musicnn-wheel.sh` and
//! `MUSEARCH_MUSICNN_WHEEL_DIR`.

#![cfg(feature = "torch")]

mod common;

use std::path::Path;
use std::process::Output;

use common::{fixture, import_musicnn, import_musicnn_ok, wheel_dir};

fn musearch(store: &Path, args: &[&str]) -> Output {
    common::run_musearch(store, args)
}

#[test]
fn import_list_and_tag() {
    let store = tempfile::tempdir().unwrap();
    import_musicnn_ok(store.path(), &["MTT_musicnn", "MSD_vgg"]);
    for model in ["MTT_musicnn", "MSD_vgg"] {
        let dir = store.path().join(model);
        for file in ["model.safetensors", "manifest.json", "LICENSE-musicnn.md"] {
            assert!(dir.join(file).is_file(), "{model}/{file}");
        }
        let manifest: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(dir.join("manifest.json")).unwrap())
                .unwrap();
        assert_eq!(manifest["name"], model);
        assert_eq!(manifest["tags"].as_array().unwrap().len(), 50);
        assert_eq!(manifest["licence"]["spdx"], "ISC");
        assert_eq!(manifest["frontend"]["n_mels"], 96);
    }
    let notice =
        std::fs::read_to_string(store.path().join("MTT_musicnn/LICENSE-musicnn.md")).unwrap();
    assert!(notice.contains("Universitat Pompeu Fabra"), "{notice}");
    // Nothing left behind but the models.
    let entries: Vec<_> = std::fs::read_dir(store.path()).unwrap().collect();
    assert_eq!(entries.len(), 2);

    let out = musearch(store.path(), &["models", "list"]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("MTT_musicnn") && text.contains("MSD_vgg"),
        "{text}"
    );

    // The nexuiz excerpt is electronic music.
    let clip = fixture("real_16k_mono.wav");
    let out = musearch(
        store.path(),
        &["tag", "--device", "cpu", "--top", "3", &clip],
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("techno"), "{text}");

    let out = musearch(
        store.path(),
        &["tag", "--device", "cpu", "--json", "-m", "MSD_vgg", &clip],
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let record: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(record["tags"].as_array().unwrap().len(), 50);
    assert_eq!(record["embedding"].as_array().unwrap().len(), 256);
    assert_eq!(record["patches"], 2);

    // A model that was not imported, and a file that is not audio.
    let out = musearch(store.path(), &["tag", "-m", "MTT_vgg", &clip]);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("import-musicnn"));
    let out = musearch(
        store.path(),
        &["tag", "--device", "cpu", &clip, &fixture("bad/text.wav")],
    );
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("text.wav") && stderr.contains("1 of 2"),
        "{stderr}"
    );
}

#[test]
fn corrupted_checkpoint_is_not_imported() {
    let src = wheel_dir().join("musicnn");
    let copy = tempfile::tempdir().unwrap();
    let pkg = copy.path().join("musicnn");
    for model in ["MTT_musicnn"] {
        std::fs::create_dir_all(pkg.join(model)).unwrap();
        for file in [".index", ".data-00000-of-00001"] {
            std::fs::copy(src.join(model).join(file), pkg.join(model).join(file)).unwrap();
        }
    }
    let data = pkg.join("MTT_musicnn/.data-00000-of-00001");
    let mut bytes = std::fs::read(&data).unwrap();
    let middle = bytes.len() / 2;
    bytes[middle] ^= 0x01;
    std::fs::write(&data, bytes).unwrap();

    let store = tempfile::tempdir().unwrap();
    let out = import_musicnn(store.path(), copy.path(), &["MTT_musicnn"]);
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("CRC-32C mismatch"), "{stderr}");
    assert!(!store.path().join("MTT_musicnn").exists());
    assert_eq!(std::fs::read_dir(store.path()).unwrap().count(), 0);
}
