//! A synthetic data set in the MagnaTagATune layout whose labels are known by construction.
//!
//! Every clip is a short piece we compose ourselves (seeded, reproducible): one General-MIDI
//! instrument playing a melody over a chord progression, at a fast or slow tempo, loud or
//! quiet, with or without a drum kit on channel 10. It is written as a Standard MIDI File
//! ([`super::midi`]) and rendered by `fluidsynth` with the FluidR3 General-MIDI soundfont
//! (Debian's `fluid-soundfont-gm`), i.e. with real sampled instruments. The clip is then
//! labelled with the MTT tags it really has ([`ClipSpec::tags`]): its instrument (`piano`,
//! `harpsichord`, `guitar`, `violin`, `cello`, `strings`, `harp`, `flute`, `sitar`, `choir`,
//! `synth`), `drums` and `beat` or `no drums`, `fast` or `slow`, `loud` or `quiet`, and
//! `no vocals` unless it is the choir.
//!
//! The output follows the MTT layout ([`super::mtt`]): `annotations_final.csv` with one column
//! per tag in [`SYNTH_TAGS`], audio under the hex folders `0/ … f/` (clip `i` in folder
//! `i mod 16`, so the usual folder split gives 12 : 1 : 3), as FLAC (16 kHz, 16-bit), which the
//! front-end decodes like MTT's MP3s. The MIDI files are kept under `midi/`, and
//! `synth_clips.jsonl` records each clip's parameters.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;

use super::midi::{EventKind, MidiFile, DRUM_CHANNEL};
use super::mtt::{AnnotatedClip, Annotations, ANNOTATIONS_FILE};
use super::DatasetError;
use crate::rng::SplitMix64 as Rng;

/// Where Debian's `fluid-soundfont-gm` installs the FluidR3 General-MIDI soundfont.
pub const DEFAULT_SOUNDFONT: &str = "/usr/share/sounds/sf2/FluidR3_GM.sf2";

/// The instruments, with their General-MIDI program (0-based), key range and MTT tags.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Instrument {
    /// GM 1, Acoustic Grand Piano.
    Piano,
    /// GM 7, Harpsichord.
    Harpsichord,
    /// GM 25, Acoustic Guitar (nylon).
    Guitar,
    /// GM 41, Violin.
    Violin,
    /// GM 43, Cello.
    Cello,
    /// GM 49, String Ensemble 1.
    Strings,
    /// GM 47, Orchestral Harp.
    Harp,
    /// GM 74, Flute.
    Flute,
    /// GM 105, Sitar.
    Sitar,
    /// GM 53, Choir Aahs.
    Choir,
    /// GM 82, Lead 2 (sawtooth).
    Synth,
}

impl Instrument {
    /// Every instrument.
    pub const ALL: [Instrument; 11] = [
        Instrument::Piano,
        Instrument::Harpsichord,
        Instrument::Guitar,
        Instrument::Violin,
        Instrument::Cello,
        Instrument::Strings,
        Instrument::Harp,
        Instrument::Flute,
        Instrument::Sitar,
        Instrument::Choir,
        Instrument::Synth,
    ];

    /// The General-MIDI program, 0-based.
    pub fn program(self) -> u8 {
        match self {
            Instrument::Piano => 0,
            Instrument::Harpsichord => 6,
            Instrument::Guitar => 24,
            Instrument::Violin => 40,
            Instrument::Cello => 42,
            Instrument::Strings => 48,
            Instrument::Harp => 46,
            Instrument::Flute => 73,
            Instrument::Sitar => 104,
            Instrument::Choir => 52,
            Instrument::Synth => 81,
        }
    }

    /// The lowest and highest key the melody uses (the instrument's comfortable range).
    fn range(self) -> (u8, u8) {
        match self {
            Instrument::Piano | Instrument::Harpsichord | Instrument::Synth => (48, 84),
            Instrument::Guitar => (40, 76),
            Instrument::Violin => (55, 88),
            Instrument::Cello => (36, 64),
            Instrument::Strings => (48, 79),
            Instrument::Harp => (40, 84),
            Instrument::Flute => (60, 93),
            Instrument::Sitar | Instrument::Choir => (48, 72),
        }
    }

    /// Whether it plays chords under the melody.
    fn plays_chords(self) -> bool {
        !matches!(
            self,
            Instrument::Violin | Instrument::Cello | Instrument::Flute | Instrument::Sitar
        )
    }

    /// Its MTT tags (`violin` and `cello` are string instruments, hence `strings` too).
    pub fn tags(self) -> &'static [&'static str] {
        match self {
            Instrument::Piano => &["piano"],
            Instrument::Harpsichord => &["harpsichord"],
            Instrument::Guitar => &["guitar"],
            Instrument::Violin => &["violin", "strings"],
            Instrument::Cello => &["cello", "strings"],
            Instrument::Strings => &["strings"],
            Instrument::Harp => &["harp"],
            Instrument::Flute => &["flute"],
            Instrument::Sitar => &["sitar"],
            Instrument::Choir => &["choir"],
            Instrument::Synth => &["synth"],
        }
    }
}

/// The tag columns of the synthetic `annotations_final.csv`, all spelled as in MTT.
pub const SYNTH_TAGS: &[&str] = &[
    "piano",
    "harpsichord",
    "guitar",
    "violin",
    "cello",
    "strings",
    "harp",
    "flute",
    "sitar",
    "choir",
    "synth",
    "drums",
    "beat",
    "no drums",
    "fast",
    "slow",
    "loud",
    "quiet",
    "no vocals",
];

/// Everything that decides one clip.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct ClipSpec {
    /// Index of the clip (also its `clip_id`).
    pub index: usize,
    /// The instrument.
    pub instrument: Instrument,
    /// Tempo in beats per minute: 140–180 (`fast`) or 50–75 (`slow`).
    pub bpm: f64,
    /// Whether the tempo is fast.
    pub fast: bool,
    /// Note velocity centre: 105–120 (`loud`) or 30–50 (`quiet`).
    pub velocity: u8,
    /// Whether it is loud.
    pub loud: bool,
    /// Whether a drum kit plays.
    pub drums: bool,
    /// Length in seconds.
    pub seconds: f64,
    /// The seed of its notes.
    pub seed: u64,
}

impl ClipSpec {
    /// Draws the parameters of clip `index` from the data set's `seed` (independent of the
    /// order clips are rendered in).
    pub fn draw(seed: u64, index: usize, seconds: f64) -> Self {
        let clip_seed = seed ^ (index as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15);
        let mut rng = Rng::new(clip_seed);
        let instrument = Instrument::ALL[rng.below(Instrument::ALL.len() as u64) as usize];
        let fast = rng.below(2) == 1;
        let bpm = if fast {
            140.0 + rng.below(41) as f64
        } else {
            50.0 + rng.below(26) as f64
        };
        let loud = rng.below(2) == 1;
        let velocity = if loud {
            105 + rng.below(16) as u8
        } else {
            30 + rng.below(21) as u8
        };
        let drums = rng.below(2) == 1;
        ClipSpec {
            index,
            instrument,
            bpm,
            fast,
            velocity,
            loud,
            drums,
            seconds,
            seed: rng.next_u64(),
        }
    }

    /// The MTT tags this clip really has.
    pub fn tags(&self) -> Vec<&'static str> {
        let mut t: Vec<&'static str> = self.instrument.tags().to_vec();
        if self.drums {
            t.extend(["drums", "beat"]);
        } else {
            t.push("no drums");
        }
        t.push(if self.fast { "fast" } else { "slow" });
        t.push(if self.loud { "loud" } else { "quiet" });
        if self.instrument != Instrument::Choir {
            t.push("no vocals");
        }
        t
    }

    /// The clip's audio path inside the data set (MTT layout, hex folder `index mod 16`).
    pub fn audio_path(&self) -> String {
        format!(
            "{:x}/synth-{:06}-{}.flac",
            self.index % 16,
            self.index,
            serde_json::to_value(self.instrument)
                .ok()
                .and_then(|v| v.as_str().map(str::to_string))
                .unwrap_or_default()
        )
    }

    /// Composes the piece.
    pub fn compose(&self) -> MidiFile {
        const TPQ: u16 = 480;
        let q = u32::from(TPQ);
        let mut rng = Rng::new(self.seed);
        let mut m = MidiFile::new(TPQ);
        m.tempo_bpm(0, self.bpm);
        m.push(
            0,
            EventKind::ProgramChange {
                channel: 0,
                program: self.instrument.program(),
            },
        );
        let total = (self.seconds * self.bpm / 60.0 * f64::from(q)).round() as u32;
        let (lo, hi) = self.instrument.range();
        let root = lo + 5 + rng.below(7) as u8;
        let minor = rng.below(2) == 1;
        let scale: [u8; 7] = if minor {
            [0, 2, 3, 5, 7, 8, 10]
        } else {
            [0, 2, 4, 5, 7, 9, 11]
        };
        let degree_key = |deg: i32| -> i32 {
            let octave = deg.div_euclid(7);
            i32::from(root) + 12 * octave + i32::from(scale[deg.rem_euclid(7) as usize])
        };
        let vel = |rng: &mut Rng, centre: u8| -> u8 {
            (i32::from(centre) + rng.below(11) as i32 - 5).clamp(1, 127) as u8
        };
        // Chord progression: one chord per bar of four beats, I–vi–IV–V or i–VI–iv–v style.
        let progression = [0, 5, 3, 4];
        let bar = 4 * q;
        let mut t = 0;
        let mut bar_index = 0;
        while t < total {
            let chord = progression[bar_index % 4];
            if self.instrument.plays_chords() {
                let len = bar.min(total - t);
                for d in [0, 2, 4] {
                    let key = degree_key(chord + d - 7).clamp(i32::from(lo), i32::from(hi));
                    let v = vel(&mut rng, self.velocity.saturating_sub(15).max(1));
                    m.note(0, key as u8, v, t, len);
                }
            }
            t += bar;
            bar_index += 1;
        }
        // Melody: a random walk over the scale, eighth and quarter notes.
        let mut deg: i32 = 7;
        let mut t = 0;
        while t < total {
            let len = if rng.below(3) == 0 { q } else { q / 2 };
            let step = rng.below(5) as i32 - 2;
            deg = (deg + step).clamp(0, 14);
            let key = degree_key(deg).clamp(i32::from(lo), i32::from(hi));
            let v = vel(&mut rng, self.velocity);
            m.note(0, key as u8, v, t, (len * 9 / 10).min(total - t).max(1));
            t += len;
        }
        if self.drums {
            // Kick on beats 1 and 3, snare on 2 and 4, closed hi-hat on every eighth.
            let mut t = 0;
            let mut eighth = 0u32;
            while t < total {
                let v = vel(&mut rng, self.velocity);
                if eighth % 8 == 0 || eighth % 8 == 4 {
                    m.note(DRUM_CHANNEL, 36, v, t, q / 4);
                }
                if eighth % 8 == 2 || eighth % 8 == 6 {
                    m.note(DRUM_CHANNEL, 38, v, t, q / 4);
                }
                m.note(DRUM_CHANNEL, 42, v.saturating_sub(20).max(1), t, q / 4);
                t += q / 2;
                eighth += 1;
            }
        }
        m.end_at(total);
        m
    }
}

/// Options of [`generate`].
#[derive(Debug, Clone)]
pub struct SynthOptions {
    /// Number of clips.
    pub clips: usize,
    /// Length of each clip in seconds (MTT clips are about 29 s).
    pub seconds: f64,
    /// Seed of the whole data set.
    pub seed: u64,
    /// The General-MIDI soundfont.
    pub soundfont: PathBuf,
    /// The fluidsynth executable.
    pub fluidsynth: PathBuf,
    /// fluidsynth's master gain (`-g`).
    pub gain: f64,
    /// Parallel renderers.
    pub jobs: usize,
}

impl Default for SynthOptions {
    fn default() -> Self {
        SynthOptions {
            clips: 100,
            seconds: 29.0,
            seed: 0,
            soundfont: PathBuf::from(DEFAULT_SOUNDFONT),
            fluidsynth: PathBuf::from("fluidsynth"),
            gain: 0.5,
            jobs: std::thread::available_parallelism().map_or(2, |n| n.get()),
        }
    }
}

/// What [`generate`] did.
#[derive(Debug, Clone, PartialEq)]
pub struct SynthReport {
    /// The clips written (and listed in the CSV).
    pub written: Vec<ClipSpec>,
    /// Clips whose rendering failed, with the reason (left out of the CSV).
    pub failed: Vec<(usize, String)>,
}

/// Checks that fluidsynth runs and the soundfont exists, with an error that says how to fix it.
pub fn check_tools(opts: &SynthOptions) -> Result<(), DatasetError> {
    match Command::new(&opts.fluidsynth).arg("--version").output() {
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            return Err(DatasetError::Tool(format!(
                "fluidsynth not found ('{}'); install it (Debian: apt-get install fluidsynth)",
                opts.fluidsynth.display()
            )))
        }
        Err(e) => {
            return Err(DatasetError::Tool(format!(
                "cannot run fluidsynth ('{}'): {e}",
                opts.fluidsynth.display()
            )))
        }
        Ok(o) if !o.status.success() => {
            return Err(DatasetError::Tool(format!(
                "'{} --version' failed: {}",
                opts.fluidsynth.display(),
                o.status
            )))
        }
        Ok(_) => {}
    }
    if !opts.soundfont.is_file() {
        return Err(DatasetError::Tool(format!(
            "soundfont {} not found; install fluid-soundfont-gm (Debian) or pass another .sf2",
            opts.soundfont.display()
        )));
    }
    Ok(())
}

/// Renders one MIDI file to 16 kHz, 16-bit FLAC with fluidsynth (`-ni`: no shell, no MIDI
/// input; `-F`: fast render to a file).
pub fn render(opts: &SynthOptions, midi: &Path, out: &Path) -> Result<(), DatasetError> {
    let output = Command::new(&opts.fluidsynth)
        .args([
            "-n", "-i", "-q", "-T", "flac", "-O", "s16", "-r", "16000", "-g",
        ])
        .arg(format!("{}", opts.gain))
        .arg("-F")
        .arg(out)
        .arg(&opts.soundfont)
        .arg(midi)
        .output()
        .map_err(|e| DatasetError::Tool(format!("cannot run fluidsynth: {e}")))?;
    let size = std::fs::metadata(out).map(|m| m.len()).unwrap_or(0);
    if !output.status.success() || size == 0 {
        return Err(DatasetError::Tool(format!(
            "fluidsynth failed on {} ({}): {}",
            midi.display(),
            output.status,
            String::from_utf8_lossy(&output.stderr).trim()
        )));
    }
    Ok(())
}

/// Composes, renders and labels `opts.clips` clips into `out` (MTT layout, see the module
/// documentation). Rendering runs on `opts.jobs` threads; `progress` is called once per clip
/// finished. A clip that fails to render is reported and left out; the call fails only when
/// the tools are missing, a file cannot be written, or every clip failed.
pub fn generate(
    out: &Path,
    opts: &SynthOptions,
    progress: &(dyn Fn() + Sync),
) -> Result<SynthReport, DatasetError> {
    if opts.clips == 0 {
        return Err(DatasetError::Invalid("--clips must be at least 1".into()));
    }
    if !(opts.seconds > 0.0 && opts.seconds.is_finite()) {
        return Err(DatasetError::Invalid("--seconds must be positive".into()));
    }
    check_tools(opts)?;
    for d in 0..16 {
        for sub in [format!("{d:x}"), format!("midi/{d:x}")] {
            let p = out.join(sub);
            std::fs::create_dir_all(&p).map_err(|e| DatasetError::io(&p, e))?;
        }
    }
    let specs: Vec<ClipSpec> = (0..opts.clips)
        .map(|i| ClipSpec::draw(opts.seed, i, opts.seconds))
        .collect();
    let next = AtomicUsize::new(0);
    let results: Mutex<Vec<Option<Result<(), DatasetError>>>> =
        Mutex::new((0..specs.len()).map(|_| None).collect());
    let fatal: Mutex<Option<DatasetError>> = Mutex::new(None);
    std::thread::scope(|scope| {
        for _ in 0..opts.jobs.max(1).min(specs.len()) {
            scope.spawn(|| loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                if i >= specs.len() || fatal.lock().map(|f| f.is_some()).unwrap_or(true) {
                    break;
                }
                let spec = &specs[i];
                let audio = out.join(spec.audio_path());
                let midi = out
                    .join("midi")
                    .join(spec.audio_path())
                    .with_extension("mid");
                if let Err(e) = spec.compose().write(&midi) {
                    if let Ok(mut f) = fatal.lock() {
                        *f = Some(e);
                    }
                    break;
                }
                let r = render(opts, &midi, &audio);
                if let Ok(mut res) = results.lock() {
                    res[i] = Some(r);
                }
                progress();
            });
        }
    });
    if let Some(e) = fatal.into_inner().ok().flatten() {
        return Err(e);
    }
    let results = results.into_inner().unwrap_or_default();
    let mut report = SynthReport {
        written: Vec::new(),
        failed: Vec::new(),
    };
    for (spec, r) in specs.into_iter().zip(results) {
        match r {
            Some(Ok(())) => report.written.push(spec),
            Some(Err(e)) => {
                tracing::warn!(clip = spec.index, error = %e, "clip skipped");
                report.failed.push((spec.index, e.to_string()));
            }
            None => report.failed.push((spec.index, "not rendered".into())),
        }
    }
    if report.written.is_empty() {
        return Err(DatasetError::Tool(format!(
            "every clip failed to render; first error: {}",
            report.failed.first().map_or("", |f| f.1.as_str())
        )));
    }
    let ann = Annotations {
        columns: SYNTH_TAGS.iter().map(|s| s.to_string()).collect(),
        clips: report
            .written
            .iter()
            .map(|s| {
                let tags = s.tags();
                AnnotatedClip {
                    clip_id: s.index as u64,
                    path: s.audio_path(),
                    labels: SYNTH_TAGS.iter().map(|t| tags.contains(t)).collect(),
                }
            })
            .collect(),
    };
    ann.write(&out.join(ANNOTATIONS_FILE))?;
    let jsonl = out.join("synth_clips.jsonl");
    let mut f = std::io::BufWriter::new(
        std::fs::File::create(&jsonl).map_err(|e| DatasetError::io(&jsonl, e))?,
    );
    for s in &report.written {
        let line = serde_json::to_string(s).unwrap_or_default();
        writeln!(f, "{line}").map_err(|e| DatasetError::io(&jsonl, e))?;
    }
    f.flush().map_err(|e| DatasetError::io(&jsonl, e))?;
    Ok(report)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn specs_are_reproducible_and_labelled_consistently() {
        let a = ClipSpec::draw(7, 3, 10.0);
        assert_eq!(a, ClipSpec::draw(7, 3, 10.0));
        assert_ne!(a, ClipSpec::draw(8, 3, 10.0));
        let mut seen = std::collections::HashSet::new();
        for i in 0..200 {
            let s = ClipSpec::draw(1, i, 5.0);
            seen.insert(s.instrument);
            assert_eq!(s.fast, s.bpm >= 140.0);
            assert_eq!(s.loud, s.velocity >= 105);
            let t = s.tags();
            assert!(t.iter().all(|t| SYNTH_TAGS.contains(t)), "{t:?}");
            assert_eq!(t.contains(&"drums"), s.drums);
            assert_eq!(t.contains(&"no drums"), !s.drums);
            assert_eq!(t.contains(&"no vocals"), s.instrument != Instrument::Choir);
            assert!(s.audio_path().starts_with(&format!("{:x}/", i % 16)));
        }
        assert_eq!(seen.len(), Instrument::ALL.len());
    }

    #[test]
    fn composition_matches_its_spec() {
        let mut s = ClipSpec::draw(3, 0, 4.0);
        s.drums = true;
        s.instrument = Instrument::Flute;
        let m = s.compose();
        let ev = m.events();
        let programs: Vec<u8> = ev
            .iter()
            .filter_map(|(_, k)| match k {
                EventKind::ProgramChange { program, .. } => Some(*program),
                _ => None,
            })
            .collect();
        assert_eq!(programs, [73]);
        let drum_hits = ev
            .iter()
            .filter(|(_, k)| {
                matches!(
                    k,
                    EventKind::NoteOn {
                        channel: DRUM_CHANNEL,
                        ..
                    }
                )
            })
            .count();
        assert!(drum_hits > 0);
        let (lo, hi) = Instrument::Flute.range();
        for (_, k) in &ev {
            if let EventKind::NoteOn {
                channel: 0, key, ..
            } = k
            {
                assert!((lo..=hi).contains(key), "key {key}");
            }
        }
        s.drums = false;
        assert!(!s.compose().events().iter().any(|(_, k)| matches!(
            k,
            EventKind::NoteOn {
                channel: DRUM_CHANNEL,
                ..
            }
        )));
    }

    #[test]
    fn missing_tools_are_clear_errors() {
        let mut o = SynthOptions {
            fluidsynth: PathBuf::from("/nonexistent/fluidsynth"),
            ..SynthOptions::default()
        };
        let e = check_tools(&o).unwrap_err().to_string();
        assert!(e.contains("fluidsynth not found"), "{e}");
        o.fluidsynth = PathBuf::from("fluidsynth");
        o.soundfont = PathBuf::from("/nonexistent/x.sf2");
        if check_tools(&SynthOptions::default()).is_ok() {
            let e = check_tools(&o).unwrap_err().to_string();
            assert!(e.contains("soundfont"), "{e}");
        }
    }
}
