//! The track-store benchmark: writes synthetic track records (two taggers, 50 tags, 200-d
//! embeddings, a taggram of a 4-minute track, realistic paths and metadata) through the same
//! two-phase protocol as `musearch index`, commits every `--batch` records, and prints the write
//! rate, the bytes per track on disk, the time to open the index again (which reads the stored
//! counts) next to the time of sled's `Tree::len` walk that opening used to take, and the time to
//! read every record back.
//!
//! ```text
//! cargo bench -p musearch-indexer --bench store_write -- --records 1000000 [--batch 5000] [--dir DIR]
//! cargo bench -p musearch-indexer --bench store_write -- --reopen DIR   # only the open timings
//! ```

use std::path::PathBuf;
use std::time::Instant;

use musearch_index::{Change, Metadata, ModelSpec, TrackId, TrackRecord};
use musearch_indexer::index::dir_size;
use musearch_indexer::{BatchOutput, Index, TrackTags};

struct Lcg(u64);

impl Lcg {
    fn unit(&mut self) -> f32 {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (self.0 >> 40) as f32 / (1u64 << 24) as f32
    }
}

fn arg(args: &[String], name: &str) -> Option<String> {
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1).cloned())
}

fn specs() -> Vec<ModelSpec> {
    ["MTT_musicnn", "MSD_musicnn"]
        .iter()
        .map(|name| ModelSpec {
            name: name.to_string(),
            version: "0123456789abcdef".into(),
            tags: (0..50).map(|t| format!("tag{t}")).collect(),
            embedding_dim: 200,
        })
        .collect()
}

/// A record as a 4-minute track (80 patches) would give.
fn record(i: u64, rng: &mut Lcg, specs: &[ModelSpec]) -> TrackRecord {
    let patches = 80;
    let outputs: Vec<BatchOutput> = specs
        .iter()
        .map(|s| BatchOutput {
            probabilities: (0..patches * s.tags.len()).map(|_| rng.unit()).collect(),
            embeddings: (0..patches * s.embedding_dim).map(|_| rng.unit()).collect(),
        })
        .collect();
    let mut tags = TrackTags::new(specs);
    tags.add(&outputs, 0..patches);
    let mut id = [0u8; 16];
    id.copy_from_slice(&blake3::hash(&i.to_le_bytes()).as_bytes()[..16]);
    TrackRecord {
        id: TrackId(id),
        paths: vec![format!(
            "/home/listener/Music/Artist {}/Album {}/{:02} Track number {i}.ogg",
            i % 5000,
            i % 397,
            i % 20
        )],
        size: 4_000_000 + i % 1000,
        mtime_ns: 1_700_000_000_000_000_000 + i as i64,
        duration_secs: 240.0,
        sample_rate: 44_100,
        channels: 2,
        codec: "vorbis".into(),
        metadata: Metadata {
            title: Some(format!("Track number {i}")),
            artist: Some(format!("Artist {}", i % 5000)),
            album: Some(format!("Album {}", i % 397)),
            genre: Some("Soundtrack".into()),
            year: Some(2000 + (i % 25) as u16),
            track_number: Some((i % 20) as u32),
        },
        models: tags.finish(specs),
        indexed_at: 1_700_000_000,
        warnings: Vec::new(),
        signal: None,
    }
}

/// Times opening the index at `dir` (with its reconciliation) and, on the raw sled database,
/// the `Tree::len` walks of the `tracks` and `paths` trees that the counts replace. Returns the
/// opened index's record count.
fn time_open(dir: &std::path::Path) -> u64 {
    let t = Instant::now();
    let index = Index::open(dir).unwrap();
    let open_secs = t.elapsed().as_secs_f64();
    let counts = index.store().counts().unwrap();
    drop(index);
    // sled's flusher lets go of the lock a moment after the drop.
    let db = loop {
        match sled::Config::new().path(dir.join("store")).open() {
            Ok(db) => break db,
            Err(_) => std::thread::sleep(std::time::Duration::from_millis(50)),
        }
    };
    let t = Instant::now();
    let tracks = db.open_tree("tracks").unwrap().len() as u64;
    let walk_tracks = t.elapsed().as_secs_f64();
    let t = Instant::now();
    let paths = db.open_tree("paths").unwrap().len() as u64;
    let walk_paths = t.elapsed().as_secs_f64();
    drop(db);
    assert_eq!(
        (counts.tracks, counts.paths),
        (tracks, paths),
        "stored counts"
    );
    println!("open + reconcile:   {open_secs:.2} s (counts read from meta: {tracks} tracks, {paths} paths)");
    println!(
        "Tree::len walks:    tracks {walk_tracks:.2} s, paths {walk_paths:.2} s (what opening cost before the counts)"
    );
    tracks
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if let Some(dir) = arg(&args, "--reopen") {
        time_open(std::path::Path::new(&dir));
        return;
    }
    let records: u64 = arg(&args, "--records").map_or(100_000, |v| v.parse().unwrap());
    let batch: u64 = arg(&args, "--batch").map_or(5_000, |v| v.parse().unwrap());
    let tmp = tempfile::tempdir_in(std::env::temp_dir()).unwrap();
    let dir = arg(&args, "--dir").map_or_else(|| tmp.path().join("index"), PathBuf::from);

    let specs = specs();
    let mut index = Index::open(&dir).unwrap();
    index.set_models(&specs).unwrap();
    let mut rng = Lcg(42);
    let mut writing = 0f64;
    let mut generated_bytes = 0usize;
    let start = Instant::now();
    let mut i = 0;
    while i < records {
        let n = batch.min(records - i);
        let recs: Vec<TrackRecord> = (i..i + n).map(|j| record(j, &mut rng, &specs)).collect();
        generated_bytes += recs.iter().map(serde_json_len).sum::<usize>();
        let change = Change::new_tracks(recs);
        let t = Instant::now();
        index.apply(&change).unwrap();
        index.commit().unwrap();
        writing += t.elapsed().as_secs_f64();
        i += n;
        if i % (records / 10).max(batch) == 0 || i == records {
            eprintln!(
                "{i} records, {:.0} records/s so far",
                i as f64 / writing.max(1e-9)
            );
        }
    }
    let total = start.elapsed().as_secs_f64();
    drop(index);
    let store_bytes = dir_size(&dir.join("store"));
    let text_bytes = dir_size(&dir.join("text"));

    assert_eq!(time_open(&dir), records);
    let index = Index::open(&dir).unwrap();
    let t = Instant::now();
    let mut read = 0u64;
    let mut secs = 0f64;
    for r in index.store().records() {
        secs += r.unwrap().duration_secs;
        read += 1;
    }
    let read_secs = t.elapsed().as_secs_f64();
    assert_eq!(read, records);
    assert!(secs > 0.0);

    println!("records:            {records} (commit every {batch})");
    println!(
        "write:              {writing:.1} s ({:.0} records/s; {total:.1} s with generation)",
        records as f64 / writing
    );
    println!(
        "on disk:            {:.1} MiB: store {:.1} MiB, text {:.1} MiB",
        (store_bytes + text_bytes) as f64 / 1048576.0,
        store_bytes as f64 / 1048576.0,
        text_bytes as f64 / 1048576.0
    );
    println!(
        "bytes per track:    {:.0} (store {:.0}, text {:.0}; record as JSON {:.0})",
        (store_bytes + text_bytes) as f64 / records as f64,
        store_bytes as f64 / records as f64,
        text_bytes as f64 / records as f64,
        generated_bytes as f64 / records as f64
    );
    println!(
        "read all records:   {read_secs:.1} s ({:.0} records/s)",
        records as f64 / read_secs
    );
}

/// The record's size as JSON, for comparison with the binary encoding.
fn serde_json_len(r: &TrackRecord) -> usize {
    serde_json::to_vec(r).map_or(0, |v| v.len())
}
