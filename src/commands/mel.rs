//! `musearch mel`: the log-mel spectrogram a tagger sees, as a picture and/or a `.npy` array.

use std::path::PathBuf;

use anyhow::{Context, Result};
use musearch_models::audio::{self, N_MELS, PATCH_FRAMES};
use musearch_models::npy::NpyWriter;
use musearch_models::plot::{heatmap_png, ColumnPooler};

/// Arguments of `musearch mel`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The audio file (mp3, ogg, opus, flac, wav, m4a …).
    pub file: PathBuf,
    /// Write the spectrogram as a PNG heat map (time → right, low bands at the bottom).
    #[arg(long, value_name = "OUT.png")]
    pub png: Option<PathBuf>,
    /// Write the spectrogram as a float32 NumPy array of shape (frames, 96).
    #[arg(long, value_name = "OUT.npy")]
    pub npy: Option<PathBuf>,
    /// Widest picture in columns; longer files average neighbouring frames.
    #[arg(long, default_value_t = 2400, value_name = "N")]
    pub max_columns: usize,
    /// Print the summary as JSON.
    #[arg(long)]
    pub json: bool,
}

/// Runs `musearch mel`.
pub fn run(args: Args) -> Result<()> {
    let mut npy = match &args.npy {
        Some(path) => Some(NpyWriter::create(path, N_MELS)?),
        None => None,
    };
    let mut pooler = args
        .png
        .as_ref()
        .map(|_| ColumnPooler::new(N_MELS, args.max_columns));
    let mut write_error = None;
    let summary = audio::stream_log_mel(&args.file, &mut |frame| {
        if let Some(w) = npy.as_mut() {
            if let Err(e) = w.write_row(frame) {
                write_error.get_or_insert(e);
            }
        }
        if let Some(p) = pooler.as_mut() {
            p.push(frame);
        }
    })?;
    if let Some(e) = write_error {
        return Err(e.into());
    }
    if let Some(w) = npy {
        w.finish()?;
    }
    if let (Some(path), Some(pooler)) = (&args.png, pooler) {
        let pool = pooler.pool();
        let cols = pooler.finish();
        let px = if cols.len() < 600 { 2 } else { 1 };
        heatmap_png(path, &cols, px, 3).with_context(|| format!("drawing {}", path.display()))?;
        if pool > 1 {
            eprintln!("note: {} averages {pool} frames per column", path.display());
        }
    }
    let patches = (summary.mel_frames / PATCH_FRAMES).max(1);
    if args.json {
        let value = serde_json::json!({
            "file": args.file,
            "stream": summary.info,
            "duration_s": summary.duration_secs(),
            "mel_frames": summary.mel_frames,
            "patches": patches,
            "decode_errors": summary.decode_errors,
        });
        println!("{}", serde_json::to_string_pretty(&value)?);
    } else {
        let info = &summary.info;
        println!("{}", args.file.display());
        println!(
            "  {} · {} Hz · {} channel(s) · {:.2} s",
            info.codec,
            info.sample_rate,
            info.channels,
            summary.duration_secs()
        );
        println!(
            "  {} frames × {N_MELS} mel bands → {patches} patch(es) of {PATCH_FRAMES} frames",
            summary.mel_frames
        );
        if summary.decode_errors > 0 {
            println!("  {} undecodable packet(s) skipped", summary.decode_errors);
        }
        for (what, path) in [("npy", &args.npy), ("png", &args.png)] {
            if let Some(path) = path {
                println!("  wrote {what}: {}", path.display());
            }
        }
    }
    Ok(())
}
