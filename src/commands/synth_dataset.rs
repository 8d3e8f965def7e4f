//! `musearch synth-dataset`: a synthetic data set in the MagnaTagATune layout with known labels,
//! composed as MIDI and rendered by fluidsynth (see `musearch_models::dataset::synth`).

use std::path::PathBuf;

use anyhow::{Context, Result};
use musearch_models::dataset::synth::{generate, SynthOptions, DEFAULT_SOUNDFONT};

/// Arguments of `musearch synth-dataset`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Number of clips to compose and render.
    #[arg(long, default_value_t = 200, value_name = "N")]
    pub clips: usize,
    /// Output directory (gets annotations_final.csv, the audio folders 0/ … f/ and midi/).
    #[arg(long, value_name = "DIR")]
    pub out: PathBuf,
    /// Length of each clip in seconds (MagnaTagATune clips are about 29 s).
    #[arg(long, default_value_t = 29.0, value_name = "S")]
    pub seconds: f64,
    /// Seed: the same seed gives the same pieces and labels.
    #[arg(long, default_value_t = 0)]
    pub seed: u64,
    /// The General-MIDI soundfont fluidsynth renders with.
    #[arg(long, default_value = DEFAULT_SOUNDFONT, value_name = "FILE.sf2")]
    pub soundfont: PathBuf,
    /// fluidsynth's master gain.
    #[arg(long, default_value_t = 0.5)]
    pub gain: f64,
    /// Parallel fluidsynth processes (default: one per core).
    #[arg(long, value_name = "N")]
    pub jobs: Option<usize>,
}

/// Runs `musearch synth-dataset`.
pub fn run(args: Args) -> Result<()> {
    let defaults = SynthOptions::default();
    let opts = SynthOptions {
        clips: args.clips,
        seconds: args.seconds,
        seed: args.seed,
        soundfont: args.soundfont,
        gain: args.gain,
        jobs: args.jobs.unwrap_or(defaults.jobs),
        ..defaults
    };
    let bar = indicatif::ProgressBar::new(opts.clips as u64);
    bar.set_style(
        indicatif::ProgressStyle::with_template(
            "{spinner} rendering [{bar:40}] {pos}/{len} clips, {elapsed} (eta {eta})",
        )
        .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
    );
    let report = generate(&args.out, &opts, &|| bar.inc(1))
        .with_context(|| format!("writing the synthetic data set to {}", args.out.display()))?;
    bar.finish_and_clear();
    println!(
        "{} clips written to {} ({} failed)",
        report.written.len(),
        args.out.display(),
        report.failed.len()
    );
    for (i, e) in &report.failed {
        eprintln!("clip {i} skipped: {e}");
    }
    Ok(())
}
