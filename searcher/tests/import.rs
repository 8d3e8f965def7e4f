//! The spaCy importer on a miniature unpacked wheel: `.npy` vectors, a MessagePack key2row
//! keyed by spaCy's MurmurHash, the strings, shared rows and case variants.

use musearch_searcher::vectors::{import, murmur::spacy_key, VectorSource, WordVectors};

fn npy_f32(rows: usize, cols: usize, values: &[f32]) -> Vec<u8> {
    let mut header =
        format!("{{'descr': '<f4', 'fortran_order': False, 'shape': ({rows}, {cols}), }}");
    while (10 + header.len() + 1) % 64 != 0 {
        header.push(' ');
    }
    header.push('\n');
    let mut out = b"\x93NUMPY\x01\x00".to_vec();
    out.extend_from_slice(&(header.len() as u16).to_le_bytes());
    out.extend_from_slice(header.as_bytes());
    for v in values {
        out.extend_from_slice(&v.to_le_bytes());
    }
    out
}

fn msgpack_map(entries: &[(u64, u64)]) -> Vec<u8> {
    let mut out = vec![0xde];
    out.extend_from_slice(&(entries.len() as u16).to_be_bytes());
    for &(k, v) in entries {
        out.push(0xcf);
        out.extend_from_slice(&k.to_be_bytes());
        out.push(0xcd);
        out.extend_from_slice(&(v as u16).to_be_bytes());
    }
    out
}

#[test]
fn imports_a_spacy_vocabulary() {
    let dir = tempfile::tempdir().unwrap();
    let vocab = dir.path().join("pkg/en_core_web_md-3.7.1/vocab");
    std::fs::create_dir_all(&vocab).unwrap();
    // Row 0 = (3, 4), row 1 = (0, 2). "Piano" and "keys" share row 0; "Jazz" only exists
    // capitalised; "$$$" is not a query word; "orphan" has no row.
    std::fs::write(vocab.join("vectors"), npy_f32(2, 2, &[3.0, 4.0, 0.0, 2.0])).unwrap();
    let words = ["piano", "Piano", "keys", "Jazz", "$$$", "orphan"];
    let rows = [0u64, 0, 0, 1, 1];
    let map: Vec<(u64, u64)> = words
        .iter()
        .zip(rows)
        .map(|(w, r)| (spacy_key(w), r))
        .collect();
    std::fs::write(vocab.join("key2row"), msgpack_map(&map)).unwrap();
    std::fs::write(
        vocab.join("strings.json"),
        serde_json::to_vec(&words).unwrap(),
    )
    .unwrap();

    let out = dir.path().join("out/spacy-md.fifu");
    let report = import(VectorSource::SpacyMd, dir.path(), &out).unwrap();
    assert_eq!(report.words_in_source, 5);
    assert_eq!(report.dims, 2);
    assert_eq!(report.distinct_rows, 2);
    // piano, keys, jazz (lower-cased from "Jazz"); not "Piano" (a case variant of a kept
    // word), "$$$" or "orphan".
    assert_eq!(report.words_kept, 3);

    let v = WordVectors::open(&out).unwrap();
    assert_eq!(v.len(), 3);
    assert_eq!(v.words()[..2], ["keys".to_string(), "piano".to_string()]); // row order
    let piano = v.get("piano").unwrap();
    assert!((piano[0] - 0.6).abs() < 1e-6 && (piano[1] - 0.8).abs() < 1e-6);
    let raw = v.get_raw("piano").unwrap();
    assert!((raw[0] - 3.0).abs() < 1e-5 && (raw[1] - 4.0).abs() < 1e-5);
    assert_eq!(v.get("jazz").unwrap(), vec![0.0, 1.0]);
    assert!(v.get("Piano").is_none() && v.get("orphan").is_none());
    assert_eq!(v.metadata("source").as_deref(), Some("spacy-md"));
    // No temporary file is left behind.
    let names: Vec<_> = std::fs::read_dir(dir.path().join("out")).unwrap().collect();
    assert_eq!(names.len(), 1);
}

#[test]
fn missing_members_and_files_are_errors_not_panics() {
    let dir = tempfile::tempdir().unwrap();
    let err = import(
        VectorSource::Glove50d,
        dir.path(),
        &dir.path().join("x.fifu"),
    )
    .unwrap_err();
    assert!(err.to_string().contains("glove_6B_50d_emb.npy"), "{err}");
    let err = WordVectors::open(&dir.path().join("nope.fifu")).unwrap_err();
    assert!(err.to_string().contains("import-vectors"), "{err}");
    let bogus = dir.path().join("bogus.whl");
    std::fs::write(&bogus, b"not a zip").unwrap();
    let err = import(VectorSource::SpacyMd, &bogus, &dir.path().join("y.fifu")).unwrap_err();
    assert!(err.to_string().contains("bogus.whl"), "{err}");
}
