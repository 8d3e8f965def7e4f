//! `musearch bench …`: benchmarks that print figures for docs/BENCHMARKS.md.

mod agreement;
mod compare;

use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::{bail, Result};
use musearch_models::audio;

#[cfg(feature = "torch")]
mod network;

/// The benchmarks.
#[derive(Debug, clap::Subcommand)]
pub enum BenchCommand {
    /// Front-end throughput: decode only, and decode + resample + log-mel, on one thread.
    ///
    /// Compare with librosa side by side with `scripts/bench/frontend.sh`.
    Frontend(FrontendArgs),
    /// musearch's tagger against musicnn's Python tagger (TensorFlow) on the same tracks:
    /// throughput of each and the ratio, and per track the top-5 tags of each and how far they
    /// agree.
    Compare(compare::CompareArgs),
    /// The tagging network alone on the CPU: its ways of computing side by side, in GFLOP/s
    /// and as a share of the FP32 peak.
    #[cfg(feature = "torch")]
    Network(network::NetworkArgs),
}

/// Arguments of `musearch bench frontend`.
#[derive(Debug, clap::Args)]
pub struct FrontendArgs {
    /// Audio files, or folders searched recursively for audio files.
    #[arg(required = true)]
    pub paths: Vec<PathBuf>,
    /// Print one JSON object instead of a table.
    #[arg(long)]
    pub json: bool,
}

/// Runs a benchmark.
pub fn run(cmd: BenchCommand) -> Result<()> {
    match cmd {
        BenchCommand::Frontend(args) => frontend(args),
        #[cfg(feature = "torch")]
        BenchCommand::Network(args) => network::network(args),
        BenchCommand::Compare(args) => compare::compare(args),
    }
}

/// File extensions the benchmark picks up in folders.
const AUDIO_EXTENSIONS: &[&str] = &[
    "mp3", "ogg", "oga", "opus", "flac", "wav", "m4a", "mp4", "aac", "mka", "webm",
];

fn collect_files(paths: &[PathBuf]) -> Result<Vec<PathBuf>> {
    fn walk(dir: &Path, out: &mut Vec<PathBuf>) -> std::io::Result<()> {
        let mut entries: Vec<_> = std::fs::read_dir(dir)?.collect::<Result<_, _>>()?;
        entries.sort_by_key(|e| e.path());
        for entry in entries {
            let path = entry.path();
            let ft = entry.file_type()?;
            if ft.is_dir() {
                walk(&path, out)?;
            } else if ft.is_file()
                && path
                    .extension()
                    .and_then(|e| e.to_str())
                    .is_some_and(|e| AUDIO_EXTENSIONS.contains(&e.to_ascii_lowercase().as_str()))
            {
                out.push(path);
            }
        }
        Ok(())
    }
    let mut files = Vec::new();
    for p in paths {
        if p.is_dir() {
            walk(p, &mut files)?;
        } else {
            files.push(p.clone());
        }
    }
    if files.is_empty() {
        bail!("no audio files found");
    }
    Ok(files)
}

#[derive(Debug, serde::Serialize)]
struct FileTiming {
    path: PathBuf,
    codec: String,
    sample_rate: u32,
    duration_s: f64,
    decode_s: f64,
    total_s: f64,
}

fn frontend(args: FrontendArgs) -> Result<()> {
    let files = collect_files(&args.paths)?;
    // Warm-up: page cache and lazily built tables (filterbank, FFT plans, codec registry).
    let _ = audio::decode_only(&files[0]);

    let mut timings = Vec::new();
    let mut failures = Vec::new();
    for path in &files {
        let t0 = Instant::now();
        let decoded = audio::decode_only(path);
        let decode_s = t0.elapsed().as_secs_f64();
        let (frames, info) = match decoded {
            Ok(ok) => ok,
            Err(e) => {
                failures.push(e.to_string());
                continue;
            }
        };
        let t1 = Instant::now();
        let mut sink = 0.0f32;
        let summary = audio::stream_log_mel(path, &mut |frame| sink += frame[0])?;
        let total_s = t1.elapsed().as_secs_f64();
        std::hint::black_box(sink);
        debug_assert_eq!(summary.source_frames, frames);
        timings.push(FileTiming {
            path: path.clone(),
            codec: info.codec.clone(),
            sample_rate: info.sample_rate,
            duration_s: frames as f64 / info.sample_rate as f64,
            decode_s,
            total_s,
        });
    }
    let audio_s: f64 = timings.iter().map(|t| t.duration_s).sum();
    let decode_s: f64 = timings.iter().map(|t| t.decode_s).sum();
    let total_s: f64 = timings.iter().map(|t| t.total_s).sum();
    let rest_s = (total_s - decode_s).max(0.0);
    if args.json {
        let value = serde_json::json!({
            "implementation": "musearch",
            "threads": 1,
            "files": timings,
            "failures": failures,
            "audio_s": audio_s,
            "decode_s": decode_s,
            "total_s": total_s,
            "decode_x_realtime": audio_s / decode_s,
            "total_x_realtime": audio_s / total_s,
            "resample_mel_share_of_decode": rest_s / decode_s,
        });
        println!("{}", serde_json::to_string_pretty(&value)?);
        return Ok(());
    }
    println!(
        "{:<48} {:>8} {:>9} {:>11} {:>11}",
        "file", "codec", "audio s", "decode ×RT", "total ×RT"
    );
    for t in &timings {
        let name = t
            .path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        println!(
            "{:<48} {:>8} {:>9.1} {:>11.0} {:>11.0}",
            truncate(&name, 48),
            t.codec,
            t.duration_s,
            t.duration_s / t.decode_s,
            t.duration_s / t.total_s
        );
    }
    println!(
        "\n{} files, {:.1} min of audio, one thread:\n  decode only:              {:>7.0}× real time\n  decode + resample + mel:  {:>7.0}× real time\n  resample + mel cost {:.0}% of decoding",
        timings.len(),
        audio_s / 60.0,
        audio_s / decode_s,
        audio_s / total_s,
        100.0 * rest_s / decode_s
    );
    for f in &failures {
        println!("  skipped: {f}");
    }
    Ok(())
}

fn truncate(s: &str, n: usize) -> String {
    if s.chars().count() <= n {
        s.to_string()
    } else {
        s.chars().take(n - 1).chain(std::iter::once('…')).collect()
    }
}
