//! `musearch bench compare`: musearch's tagger and musicnn's own Python tagger (TensorFlow) on
//! the same tracks, in one run: the throughput of each and their ratio, and per track the top-5
//! tags of each and how far they agree.
//!
//! Both sides run as whole processes, one after the other, each given the whole file list once,
//! so start-up and model loading count on both sides:
//!
//! * musearch: this binary's `musearch tag --device cpu --json --stats FILES`;
//! * musicnn: `scripts/bench/musicnn_tagger.py --network-patches 0 FILES` (compiled into this
//!   binary and fed to Python on stdin), which calls `musicnn.extractor.extractor` per file, as
//!   musicnn's `top_tags` does; the track score is the mean over 3 s patches on both sides.

use std::ffi::OsString;
use std::io::{BufRead, BufReader, Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Instant;

use anyhow::{bail, Context, Result};

use super::agreement::{agreement, summarise, AgreementSummary, TrackAgreement, TOP};

/// musicnn's tagger, timed per file (the same script `scripts/bench/tagger.sh` runs).
const MUSICNN_TAGGER: &str = include_str!("../../../scripts/bench/musicnn_tagger.py");

/// The environment variable naming the Python with musicnn and TensorFlow.
pub const PYTHON_ENV: &str = "MUSEARCH_MUSICNN_PYTHON";

/// Arguments of `musearch bench compare`.
#[derive(Debug, clap::Args)]
pub struct CompareArgs {
    /// Audio files, or folders searched recursively for audio files.
    #[arg(required = true, value_name = "FILE_OR_DIR")]
    pub paths: Vec<PathBuf>,
    /// A Python interpreter with musicnn and TensorFlow 2.15 (for example the `bin/python` of the
    /// venv made by `scripts/reference/setup-venvs.sh tf`).
    #[arg(long, env = PYTHON_ENV, value_name = "PATH")]
    pub python: Option<PathBuf>,
    /// Taggers to compare (repeat the flag for several): MTT_musicnn, MSD_musicnn, MTT_vgg,
    /// MSD_vgg.
    #[arg(long = "model", short, default_values_t = [String::from("MTT_musicnn")])]
    pub models: Vec<String>,
    /// Where musearch runs its network (musicnn's tagger runs on the CPU).
    #[arg(long, default_value = "cpu")]
    pub device: String,
    /// musearch's model store.
    #[command(flatten)]
    pub store: crate::commands::args::StoreArgs,
    /// Print one JSON object instead of tables.
    #[arg(long)]
    pub json: bool,
}

/// One side's figures for one model.
#[derive(Debug, serde::Serialize)]
struct SideFigures {
    /// Tracks this side tagged.
    tracks: usize,
    /// Their audio, seconds.
    audio_secs: f64,
    /// The whole process: start-up, model loading, decoding, network.
    wall_secs: f64,
    /// The tagging loop alone, as the process itself timed it.
    in_process_secs: Option<f64>,
    tracks_per_sec: f64,
    x_realtime: f64,
    /// Files this side could not tag, with the reason.
    skipped: Vec<String>,
}

impl SideFigures {
    fn new(tracks: usize, audio_secs: f64, wall_secs: f64, in_process_secs: Option<f64>) -> Self {
        let wall = wall_secs.max(1e-9);
        SideFigures {
            tracks,
            audio_secs,
            wall_secs,
            in_process_secs,
            tracks_per_sec: tracks as f64 / wall,
            x_realtime: audio_secs / wall,
            skipped: Vec::new(),
        }
    }
}

/// One track, both sides.
#[derive(Debug, serde::Serialize)]
struct TrackComparison {
    file: String,
    duration_secs: f64,
    musearch_top5: Vec<String>,
    musicnn_top5: Vec<String>,
    #[serde(flatten)]
    agreement: TrackAgreement,
}

/// Everything measured for one model.
#[derive(Debug, serde::Serialize)]
struct ModelComparison {
    model: String,
    /// musicnn's side: TensorFlow's and librosa's versions.
    musicnn_versions: MusicnnVersions,
    musearch: SideFigures,
    musicnn: SideFigures,
    /// musearch's × real time over musicnn's (above 1: musearch is faster).
    speedup: f64,
    agreement: AgreementSummary,
    tracks: Vec<TrackComparison>,
}

/// One line of `musearch tag --json`.
#[derive(Debug, serde::Deserialize)]
struct MusearchFile {
    file: String,
    duration_secs: f64,
    tags: Vec<(String, f32)>,
}

/// What `musicnn_tagger.py` prints.
#[derive(Debug, serde::Deserialize)]
struct MusicnnRun {
    versions: MusicnnVersions,
    files: Vec<MusicnnFile>,
    #[serde(default)]
    skipped: Vec<MusicnnSkip>,
    total_s: f64,
}

#[derive(Debug, serde::Deserialize, serde::Serialize)]
struct MusicnnVersions {
    tensorflow: String,
    librosa: String,
}

#[derive(Debug, serde::Deserialize)]
struct MusicnnFile {
    path: String,
    duration_s: f64,
    top5: Vec<String>,
}

#[derive(Debug, serde::Deserialize)]
struct MusicnnSkip {
    path: String,
    reason: String,
}

/// Runs `musearch bench compare`.
pub fn compare(args: CompareArgs) -> Result<()> {
    let files = super::collect_files(&args.paths)?;
    let python = args.python.clone().with_context(|| {
        format!(
            "no Python with musicnn to compare against: pass --python PATH or set {PYTHON_ENV} \
             (a Python 3.11 venv with tensorflow-cpu==2.15.*, numpy<2 and the musicnn wheel; \
             scripts/reference/setup-venvs.sh tf makes one)"
        )
    })?;
    let tensorflow = check_python(&python)?;
    let file_args: Vec<OsString> = files.iter().map(|f| f.clone().into_os_string()).collect();
    if !args.json {
        eprintln!(
            "{} files; musearch, then musicnn (TensorFlow {tensorflow} via {}), per model",
            files.len(),
            python.display()
        );
    }
    let mut models = Vec::new();
    for model in &args.models {
        let musearch = run_musearch(&args, model, &file_args)?;
        let musicnn = run_musicnn(&python, model, &file_args)?;
        models.push(compare_model(model, musearch, musicnn));
    }
    if args.json {
        let value = serde_json::json!({
            "python": python,
            "tensorflow": tensorflow,
            "files": files.len(),
            "models": models,
        });
        println!("{}", serde_json::to_string_pretty(&value)?);
    } else {
        for m in &models {
            print_model(m);
        }
    }
    Ok(())
}

/// Checks that `python` runs and imports musicnn and TensorFlow; returns TensorFlow's version.
fn check_python(python: &Path) -> Result<String> {
    const MARK: &str = "musearch-musicnn-ok";
    let out = Command::new(python)
        .arg("-c")
        .arg(format!(
            "import os; os.environ.setdefault('TF_CPP_MIN_LOG_LEVEL', '2')\n\
             import musicnn, tensorflow, librosa\n\
             print('{MARK}', tensorflow.__version__)"
        ))
        .stdin(Stdio::null())
        .output()
        .with_context(|| {
            format!(
                "cannot run the Python {} (--python or {PYTHON_ENV})",
                python.display()
            )
        })?;
    let stdout = String::from_utf8_lossy(&out.stdout);
    match stdout.lines().find_map(|l| l.strip_prefix(MARK)) {
        Some(version) if out.status.success() => Ok(version.trim().to_string()),
        _ => bail!(
            "{} cannot import musicnn, tensorflow and librosa (--python or {PYTHON_ENV} must name \
             a Python with musicnn and TensorFlow 2.15): {}",
            python.display(),
            last_lines(&String::from_utf8_lossy(&out.stderr), 3)
        ),
    }
}

/// What a child process left behind.
struct Finished {
    stdout: String,
    stderr: String,
    success: bool,
    wall_secs: f64,
}

/// Runs `cmd` (with `stdin_text` on its stdin), advancing a progress bar of `total` files by one
/// for each line of the watched stream (stdout when `watch_stdout`, else stderr) that `is_file`
/// accepts.
fn run_watched(
    mut cmd: Command,
    stdin_text: Option<&str>,
    label: &str,
    total: usize,
    watch_stdout: bool,
    is_file: fn(&str) -> bool,
) -> Result<Finished> {
    let bar = indicatif::ProgressBar::new(total as u64);
    bar.set_style(
        indicatif::ProgressStyle::with_template("{elapsed_precise} {msg} [{bar:30}] {pos}/{len}")
            .expect("valid template")
            .progress_chars("=> "),
    );
    bar.set_message(label.to_string());
    let started = Instant::now();
    let mut child = cmd
        .stdin(if stdin_text.is_some() {
            Stdio::piped()
        } else {
            Stdio::null()
        })
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .with_context(|| format!("starting {label}"))?;
    if let (Some(text), Some(mut stdin)) = (stdin_text, child.stdin.take()) {
        stdin
            .write_all(text.as_bytes())
            .with_context(|| format!("feeding {label}"))?;
    }
    let (watched, other): (Box<dyn Read + Send>, Box<dyn Read + Send>) = {
        let out: Box<dyn Read + Send> = Box::new(child.stdout.take().expect("piped"));
        let err: Box<dyn Read + Send> = Box::new(child.stderr.take().expect("piped"));
        if watch_stdout {
            (out, err)
        } else {
            (err, out)
        }
    };
    let other = std::thread::spawn(move || {
        let mut text = String::new();
        let mut other = other;
        other.read_to_string(&mut text).map(|_| text)
    });
    let mut watched_text = String::new();
    for line in BufReader::new(watched).lines() {
        let line = line.with_context(|| format!("reading {label}'s output"))?;
        if is_file(&line) {
            bar.inc(1);
        }
        watched_text.push_str(&line);
        watched_text.push('\n');
    }
    let other_text = other
        .join()
        .map_err(|_| anyhow::anyhow!("reader thread panicked"))?
        .with_context(|| format!("reading {label}'s output"))?;
    let status = child
        .wait()
        .with_context(|| format!("waiting for {label}"))?;
    let wall_secs = started.elapsed().as_secs_f64();
    bar.finish_and_clear();
    let (stdout, stderr) = if watch_stdout {
        (watched_text, other_text)
    } else {
        (other_text, watched_text)
    };
    Ok(Finished {
        stdout,
        stderr,
        success: status.success(),
        wall_secs,
    })
}

/// musearch's side: `musearch tag --json --stats` in a child process.
fn run_musearch(
    args: &CompareArgs,
    model: &str,
    files: &[OsString],
) -> Result<(Vec<MusearchFile>, SideFigures)> {
    let exe = std::env::current_exe().context("finding the musearch binary")?;
    let mut cmd = Command::new(exe);
    cmd.args(["tag", "--json", "--stats", "--model", model, "--device"])
        .arg(&args.device);
    if let Some(store) = &args.store.store {
        cmd.arg("--store").arg(store);
    }
    cmd.arg("--").args(files);
    let done = run_watched(
        cmd,
        None,
        &format!("musearch {model}"),
        files.len(),
        true,
        |l| l.starts_with('{'),
    )?;
    let tagged: Vec<MusearchFile> = done
        .stdout
        .lines()
        .filter(|l| l.starts_with('{'))
        .map(serde_json::from_str)
        .collect::<Result<_, _>>()
        .context("parsing `musearch tag --json`")?;
    if tagged.is_empty() {
        bail!(
            "musearch tag {model} tagged no file: {}",
            last_lines(&done.stderr, 5)
        );
    }
    let in_process = done
        .stderr
        .lines()
        .find_map(|l| l.strip_prefix("stats: "))
        .and_then(|s| serde_json::from_str::<serde_json::Value>(s).ok())
        .and_then(|v| v["wall_secs"].as_f64());
    let audio: f64 = tagged.iter().map(|f| f.duration_secs).sum();
    let mut figures = SideFigures::new(tagged.len(), audio, done.wall_secs, in_process);
    figures.skipped = done
        .stderr
        .lines()
        .filter_map(|l| l.strip_prefix("skipped "))
        .map(str::to_string)
        .collect();
    if !done.success && figures.skipped.is_empty() {
        bail!(
            "musearch tag {model} failed: {}",
            last_lines(&done.stderr, 5)
        );
    }
    Ok((tagged, figures))
}

/// musicnn's side: `musicnn_tagger.py`, fed on stdin to `python -`.
fn run_musicnn(
    python: &Path,
    model: &str,
    files: &[OsString],
) -> Result<(MusicnnRun, SideFigures)> {
    let mut cmd = Command::new(python);
    cmd.args(["-", "--model", model, "--network-patches", "0"])
        .args(files);
    let done = run_watched(
        cmd,
        Some(MUSICNN_TAGGER),
        &format!("musicnn {model}"),
        files.len(),
        false,
        |l| l.starts_with("musicnn: "),
    )?;
    if !done.success {
        bail!(
            "musicnn's tagger ({}) failed on {model}: {}",
            python.display(),
            last_lines(&done.stderr, 5)
        );
    }
    let run: MusicnnRun = serde_json::from_str(&done.stdout).with_context(|| {
        format!(
            "parsing musicnn's tagger output: {}",
            last_lines(&done.stderr, 3)
        )
    })?;
    let audio: f64 = run.files.iter().map(|f| f.duration_s).sum();
    let mut figures = SideFigures::new(run.files.len(), audio, done.wall_secs, Some(run.total_s));
    figures.skipped = run
        .skipped
        .iter()
        .map(|s| format!("{}: {}", s.path, s.reason))
        .collect();
    Ok((run, figures))
}

/// Joins both sides' tracks by path and measures their agreement.
fn compare_model(
    model: &str,
    (tagged, musearch): (Vec<MusearchFile>, SideFigures),
    (run, musicnn): (MusicnnRun, SideFigures),
) -> ModelComparison {
    let mut tracks = Vec::new();
    for m in &tagged {
        let Some(p) = run.files.iter().find(|p| p.path == m.file) else {
            continue;
        };
        let ours: Vec<String> = m.tags.iter().take(TOP).map(|(t, _)| t.clone()).collect();
        tracks.push(TrackComparison {
            file: m.file.clone(),
            duration_secs: m.duration_secs,
            agreement: agreement(&ours, &p.top5),
            musearch_top5: ours,
            musicnn_top5: p.top5.clone(),
        });
    }
    let per_track: Vec<TrackAgreement> = tracks.iter().map(|t| t.agreement).collect();
    ModelComparison {
        model: model.to_string(),
        musicnn_versions: run.versions,
        speedup: musearch.x_realtime / musicnn.x_realtime.max(1e-12),
        musearch,
        musicnn,
        agreement: summarise(&per_track),
        tracks,
    }
}

fn print_model(m: &ModelComparison) {
    let (a, b) = (&m.musearch, &m.musicnn);
    println!(
        "\n{}: musearch tagged {} tracks ({:.2} h), musicnn {} ({:.2} h)",
        m.model,
        a.tracks,
        a.audio_secs / 3600.0,
        b.tracks,
        b.audio_secs / 3600.0
    );
    println!(
        "{:<24} {:>10} {:>10} {:>8}",
        "", "musearch", "musicnn", "ratio"
    );
    println!(
        "{:<24} {:>10.1} {:>10.1} {:>7.2}×",
        "wall time (s)",
        a.wall_secs,
        b.wall_secs,
        b.wall_secs / a.wall_secs.max(1e-9)
    );
    println!(
        "{:<24} {:>10.3} {:>10.3} {:>7.2}×",
        "tracks per second",
        a.tracks_per_sec,
        b.tracks_per_sec,
        a.tracks_per_sec / b.tracks_per_sec.max(1e-12)
    );
    println!(
        "{:<24} {:>10.1} {:>10.1} {:>7.2}×",
        "× real time", a.x_realtime, b.x_realtime, m.speedup
    );
    let s = &m.agreement;
    println!(
        "top-{TOP} agreement on {} tracks: {:.2} of {TOP} tags on average ({:.0}%), fewest {}; \
         the same top tag for {} ({:.0}%)",
        s.tracks,
        s.mean_overlap,
        100.0 * s.mean_overlap_share,
        s.min_overlap,
        s.top1_matches,
        100.0 * s.top1_share
    );
    println!(
        "\n{:<32} {:>6} {:>4} {:>1}  musearch top-{TOP} | musicnn top-{TOP}",
        "track", "min", "top5", "1"
    );
    for t in &m.tracks {
        let name = Path::new(&t.file)
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        println!(
            "{:<32} {:>6.1} {:>2}/{TOP} {}  {} | {}",
            super::truncate(&name, 32),
            t.duration_secs / 60.0,
            t.agreement.overlap,
            if t.agreement.top1_match { "=" } else { "≠" },
            t.musearch_top5.join(", "),
            t.musicnn_top5.join(", ")
        );
    }
    for s in a.skipped.iter() {
        println!("  musearch skipped {s}");
    }
    for s in b.skipped.iter() {
        println!("  musicnn skipped {s}");
    }
}

/// The last `n` non-empty lines of `text`, joined by " | " (or a note that there were none).
fn last_lines(text: &str, n: usize) -> String {
    let lines: Vec<&str> = text.lines().filter(|l| !l.trim().is_empty()).collect();
    if lines.is_empty() {
        return "(no error output)".to_string();
    }
    lines[lines.len().saturating_sub(n)..].join(" | ")
}
