//! `musearch info`: what an index holds: tracks, hours of audio, taggers, size on disk.

use anyhow::Context;

/// Flags of `musearch info`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The index directory (default: as `musearch index`).
    #[command(flatten)]
    pub index: super::args::IndexDirArgs,
    /// Print one JSON object.
    #[arg(long)]
    pub json: bool,
    /// Show one track instead (its 32-hex-digit id): files, duration, codec and the warnings of
    /// its indexing (`truncated`, `shorter_than_a_patch`).
    #[arg(long, value_name = "ID")]
    pub track: Option<String>,
}

/// Runs `musearch info`.
pub fn run(args: Args) -> anyhow::Result<()> {
    let dir = args.index.dir();
    if !dir.join("store").is_dir() {
        anyhow::bail!(
            "no index at {} (create one with `musearch index DIR…`)",
            dir.display()
        );
    }
    let index = musearch_indexer::Index::open(&dir)
        .with_context(|| format!("opening {}", dir.display()))?;
    if let Some(id) = &args.track {
        return show_track(&index, id, args.json);
    }
    let stats = index.stats()?;
    if args.json {
        println!("{}", serde_json::to_string_pretty(&stats)?);
        return Ok(());
    }
    println!("index:          {}", stats.dir.display());
    println!(
        "schema version: {}",
        musearch_indexer::format::SCHEMA_VERSION
    );
    println!(
        "tracks:         {} ({} files, {} non-audio files remembered)",
        stats.tracks, stats.files, stats.non_audio_files
    );
    println!("audio:          {:.2} hours", stats.hours);
    println!("text documents: {}", stats.text_documents);
    if stats.pending > 0 {
        println!("pending:        {}", stats.pending);
    }
    for m in &stats.models {
        println!(
            "model:          {} (version {}, {} tags, {}-d embedding)",
            m.name,
            m.version,
            m.tags.len(),
            m.embedding_dim
        );
    }
    println!(
        "size on disk:   {:.1} MiB",
        stats.bytes_on_disk as f64 / (1 << 20) as f64
    );
    Ok(())
}

/// `musearch info --track ID`.
fn show_track(index: &musearch_indexer::Index, id: &str, json: bool) -> anyhow::Result<()> {
    let track = musearch_indexer::format::TrackId::from_hex(id)
        .with_context(|| format!("`{id}` is not a track id (32 hex digits)"))?;
    let record = index
        .store()
        .record(&track)?
        .with_context(|| format!("no track {id} in {}", index.dir().display()))?;
    if json {
        let value = serde_json::json!({
            "id": record.id.to_hex(),
            "paths": record
                .paths
                .iter()
                .map(|p| musearch_indexer::format::display_path(p))
                .collect::<Vec<_>>(),
            "duration_secs": record.duration_secs,
            "codec": record.codec,
            "sample_rate": record.sample_rate,
            "channels": record.channels,
            "warnings": record.warnings,
            "signal": record.signal,
        });
        println!("{}", serde_json::to_string_pretty(&value)?);
        return Ok(());
    }
    println!("track:          {}", record.id);
    for path in &record.paths {
        println!(
            "file:           {}",
            musearch_indexer::format::display_path(path)
        );
    }
    println!(
        "audio:          {:.2} s, {}, {} Hz, {} channel(s)",
        record.duration_secs, record.codec, record.sample_rate, record.channels
    );
    match &record.signal {
        Some(s) => println!(
            "loudness:       {:.1} dBFS RMS, {:.0} % near-silent",
            s.rms_dbfs,
            100.0 * s.silent_share
        ),
        None => println!("loudness:       not measured (index it again to measure)"),
    }
    if record.warnings.is_empty() {
        println!("warnings:       none");
    }
    for w in &record.warnings {
        println!("warning:        {}: {}", w.code, w.message);
    }
    Ok(())
}
