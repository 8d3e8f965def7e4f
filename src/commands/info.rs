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
