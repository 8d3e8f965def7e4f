//! The read-only snapshot: it sees only visible tracks, creates and repairs nothing, and an
//! index held by a writer gives a clear error, not a half-written state.

use std::path::Path;

use musearch_index::{
    Change, IndexError, IndexSnapshot, Metadata, ModelSpec, ModelTags, PendingOp, TextIndex,
    TrackId, TrackRecord, TrackStore,
};

fn spec() -> ModelSpec {
    ModelSpec {
        name: "m".into(),
        version: "1".into(),
        tags: vec!["piano".into(), "rock".into()],
        embedding_dim: 2,
    }
}

fn record(n: u8, title: &str) -> TrackRecord {
    TrackRecord {
        id: TrackId([n; 16]),
        paths: vec![format!("/music/{n}.ogg")],
        size: 1000 + u64::from(n),
        mtime_ns: 0,
        duration_secs: 30.0,
        sample_rate: 44_100,
        channels: 2,
        codec: "vorbis".into(),
        metadata: Metadata {
            title: Some(title.into()),
            ..Metadata::default()
        },
        models: vec![ModelTags {
            model: "m".into(),
            version: "1".into(),
            probabilities: vec![0.9, 0.1],
            taggram: Default::default(),
            embedding: vec![1.0, 0.0],
        }],
        indexed_at: 0,
        warnings: Vec::new(),
        signal: None,
    }
}

/// Writes `committed` through both phases and leaves `interrupted` pending (its intent is in
/// the store, its text document was never committed): an indexer killed mid-run.
fn write_index(dir: &Path, committed: &[TrackRecord], interrupted: &[TrackRecord]) {
    let store = TrackStore::open(&dir.join("store")).unwrap();
    let mut text = TextIndex::open(&dir.join("text")).unwrap();
    store.set_models(&[spec()]).unwrap();
    store
        .apply(&Change::new_tracks(committed.to_vec()))
        .unwrap();
    store.flush().unwrap();
    let done: Vec<(TrackId, PendingOp)> = committed
        .iter()
        .map(|r| (r.id, PendingOp::Upsert))
        .collect();
    for r in committed {
        text.upsert(r, &[spec()]).unwrap();
    }
    text.commit().unwrap();
    store.complete(&done).unwrap();
    store
        .apply(&Change::new_tracks(interrupted.to_vec()))
        .unwrap();
    store.flush().unwrap();
}

/// Every file under `dir` with its size, in path order.
fn listing(dir: &Path) -> Vec<(String, u64)> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let entry = entry.unwrap();
        let meta = entry.metadata().unwrap();
        if meta.is_file() {
            out.push((entry.file_name().to_string_lossy().into_owned(), meta.len()));
        }
    }
    out.sort();
    out
}

#[test]
fn a_missing_index_is_not_found_and_nothing_is_created() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("nowhere");
    match IndexSnapshot::open(&dir) {
        Err(IndexError::NotFound(path)) => assert_eq!(path, dir),
        other => panic!("expected NotFound, got {other:?}"),
    }
    assert!(
        !dir.exists(),
        "opening for reading created {}",
        dir.display()
    );
    // A store without its text index is refused too, and the text index is not created.
    write_index(&dir, &[record(1, "a")], &[]);
    std::fs::remove_dir_all(dir.join("text")).unwrap();
    assert!(matches!(
        IndexSnapshot::open(&dir),
        Err(IndexError::NotFound(_))
    ));
    assert!(!dir.join("text").exists());
}

#[test]
fn the_snapshot_sees_visible_tracks_and_repairs_nothing() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let (kept, pending) = (record(1, "harbour lights"), record(2, "zanzibar"));
    write_index(
        dir,
        std::slice::from_ref(&kept),
        std::slice::from_ref(&pending),
    );
    let text_files = listing(&dir.join("text"));

    let snapshot = IndexSnapshot::open(dir).unwrap();
    let visible: Vec<TrackRecord> = snapshot.visible_records().map(Result::unwrap).collect();
    assert_eq!(visible, vec![kept.clone()]);
    assert_eq!(snapshot.record(&pending.id).unwrap(), None);
    assert_eq!(snapshot.record(&kept.id).unwrap(), Some(kept.clone()));
    assert_eq!(snapshot.pending().unwrap(), 1);
    assert_eq!(snapshot.models(), &[spec()]);
    assert_eq!(snapshot.counts().unwrap().tracks, 2);
    assert_eq!(snapshot.text().num_docs(), 1);
    assert_eq!(
        snapshot.text().search("harbour", 10).unwrap(),
        vec![kept.id]
    );
    let text = snapshot.into_text();
    assert_eq!(text.num_docs(), 1);
    drop(text);

    // Nothing was completed or repaired: the pending update is still pending, the text index
    // files are the same (no commit, no writer lock left behind).
    assert_eq!(listing(&dir.join("text")), text_files);
    let store = TrackStore::open(&dir.join("store")).unwrap();
    assert_eq!(
        store.pending().unwrap(),
        vec![(pending.id, PendingOp::Upsert)]
    );
}

#[test]
fn a_snapshot_while_a_writer_holds_the_index_is_a_clear_error() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    write_index(dir, &[record(1, "a")], &[]);
    let writer = TrackStore::open(&dir.join("store")).unwrap();
    match IndexSnapshot::open(dir) {
        Err(e @ IndexError::Busy(_)) => {
            let msg = e.to_string();
            assert!(msg.contains("in use by another musearch process"), "{msg}");
        }
        other => panic!("expected Busy while the writer holds the store, got {other:?}"),
    }
    drop(writer);
    let snapshot = IndexSnapshot::open(dir).expect("opens once the writer is gone");
    assert_eq!(snapshot.visible_records().count(), 1);
}

#[test]
fn the_text_snapshot_keeps_its_state_while_a_writer_commits() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    write_index(dir, &[record(1, "a")], &[]);
    let text = IndexSnapshot::open(dir).unwrap().into_text();
    // The store is free again: an indexer opens it and commits a new track.
    write_index(dir, &[record(2, "b")], &[]);
    assert_eq!(text.num_docs(), 1, "the snapshot moved");
    assert_eq!(
        IndexSnapshot::open(dir).unwrap().text().num_docs(),
        2,
        "a new snapshot sees the commit"
    );
}

/// A store written by schema 1 (records without `warnings`): the snapshot reads it as it is,
/// and the writer's opening rewrites it in the current schema.
#[test]
fn a_schema_1_store_is_read_and_migrated() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("index");
    let old = record(1, "Old");
    write_index(&dir, std::slice::from_ref(&old), &[]);
    {
        // Downgrade: schema 1 in `meta`, the record in schema 1's layout (no trailing
        // `warnings`: an empty Vec is postcard's one zero byte at the end).
        let db = sled::open(dir.join("store")).unwrap();
        db.open_tree("meta")
            .unwrap()
            .insert("schema_version", &1u32.to_le_bytes())
            .unwrap();
        let tracks = db.open_tree("tracks").unwrap();
        let mut bytes = tracks.get(old.id.0).unwrap().unwrap().to_vec();
        assert_eq!(bytes.pop(), Some(0));
        bytes[0] = 1;
        tracks.insert(old.id.0, bytes).unwrap();
        db.flush().unwrap();
    }
    let snapshot = IndexSnapshot::open(&dir).unwrap();
    assert_eq!(snapshot.record(&old.id).unwrap().as_ref(), Some(&old));
    drop(snapshot);
    let store = TrackStore::open(&dir.join("store")).unwrap();
    assert_eq!(store.record(&old.id).unwrap().as_ref(), Some(&old));
    drop(store);
    let db = sled::open(dir.join("store")).unwrap();
    let schema = db.open_tree("meta").unwrap().get("schema_version").unwrap();
    assert_eq!(
        schema.as_deref(),
        Some(&musearch_index::SCHEMA_VERSION.to_le_bytes()[..])
    );
    let stored = db
        .open_tree("tracks")
        .unwrap()
        .get(old.id.0)
        .unwrap()
        .unwrap();
    assert_eq!(stored[0] as u32, musearch_index::SCHEMA_VERSION);
}
