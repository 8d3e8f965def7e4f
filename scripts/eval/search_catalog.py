#!/usr/bin/env python3
"""Builds the labelled search-evaluation catalog (docs/EVALUATION.md, "End-to-end search").

Called by scripts/eval/build-search-catalog.sh, which downloads and unpacks the Debian packages;
this script selects, cuts, renders and labels the audio and writes the manifest:

    search_catalog.py build --sonic-pi DIR --hydrogen DIR --games DIR --out CATALOG \
        --manifest MANIFEST.tsv [--soundfont SF2]

Every label comes from where the audio came from (a Debian package, a file-name prefix, a
drum-kit name, or the parameters a MIDI piece was generated with), never from a tagger.
Deterministic: inputs are walked in sorted order and every random choice comes from a fixed seed.
Needs ffmpeg, ffprobe and fluidsynth (scripts/install-system-deps.sh); no Python packages.
"""

import argparse
import math
import os
import random
import re
import shutil
import struct
import subprocess
import sys
import tempfile
from pathlib import Path

SEED = 20261205
SAMPLE_RATE = 44100

# ---- real recordings: sonic-pi-samples ---------------------------------------------------

# File-name prefix -> labels (the categories of Sonic Pi's sample browser).
SONIC_PI_PREFIX = {
    "ambi": ["ambient_texture"],
    "bass": ["bass", "synth"],
    "bd": ["kick", "drum_hit", "electronic_drums"],
    "drum": ["drum_hit", "acoustic_drums"],
    "elec": ["electronic_drums", "synth", "drum_hit"],
    "glitch": ["glitch", "electronic_drums"],
    "guit": ["guitar", "electric_guitar"],
    "loop": ["loop", "beat"],
    "mehackit": ["sound_effect", "synth"],
    "misc": ["sound_effect"],
    "perc": ["percussion", "sound_effect"],
    "sn": ["snare", "drum_hit", "electronic_drums"],
    "tabla": ["tabla", "percussion", "indian"],
    "vinyl": ["vinyl", "sound_effect"],
}

# Extra labels from words inside Sonic Pi file names.
SONIC_PI_WORDS = {
    "snare": ["snare"],
    "kick": ["kick"],
    "bass_hard": ["kick"],
    "bass_soft": ["kick"],
    "cymbal": ["cymbal"],
    "splash": ["cymbal"],
    "tom": ["tom"],
    "cowbell": ["cowbell"],
    "amen": ["breakbeat"],
    "breakbeat": ["breakbeat"],
    "tabla": ["tabla"],
    "piano": ["piano"],
    "choir": ["choir", "vocal"],
    "dnb": ["drum_and_bass"],
    "industrial": ["industrial"],
    "drone": ["drone"],
    "bell": ["bell"],
    "scratch": ["scratch"],
}

# ---- real recordings: hydrogen-drumkits --------------------------------------------------

# Kit -> labels. From each kit's drumkit.xml <info> and its samples (kits not listed are skipped:
# BJA_Pacific has no audio; rumpf_kit_z01_h2 is neither plainly acoustic nor electronic).
HYDROGEN_KITS = {
    "Audiophob": ["acoustic_drums"],
    "ColomboAcousticDrumkit": ["acoustic_drums"],
    "ElectricEmpireKit": ["electronic_drums"],
    "ForzeeStereo": ["acoustic_drums"],
    "Gimme A Hand 1.0": ["hand_percussion", "percussion"],
    "HardElectro1": ["electronic_drums", "techno"],
    "Millo-Drums_v.1": ["acoustic_drums"],
    "Millo_MultiLayered2": ["acoustic_drums"],
    "Millo_MultiLayered3": ["acoustic_drums"],
    "The Black Pearl 1.0": ["acoustic_drums"],
    "VariBreaks": ["electronic_drums"],
    "circAfrique v4": ["hand_percussion", "percussion", "african"],
}
HYDROGEN_PER_KIT = 8

# Instrument of a drum sample from its file name (first match wins).
DRUM_WORDS = [
    (r"kick|bassdrum|bass drum|\bbd|^bd|kik", "kick"),
    (r"snare|\bsn\b|^sn|rim", "snare"),
    (r"hat|hh|chh|ohh", "hihat"),
    (r"crash|ride|cymbal|splash|china", "cymbal"),
    (r"tom", "tom"),
    (r"clap", "clap"),
    (r"cowbell", "cowbell"),
    (r"conga|bongo|djembe|agogo|shaker|tamb|clave|cabasa|guiro|dundun|talking", "hand_drum"),
]

# ---- real recordings: the game soundtracks ----------------------------------------------

# Package -> style labels (package level: every excerpt of a package gets them).
GAME_STYLES = {
    "wesnoth-1.16-music": ["orchestral", "soundtrack", "fantasy"],
    "warzone2100-music": ["electronic", "soundtrack"],
    "nexuiz-music": ["electronic", "rock", "soundtrack"],
    "hyperrogue-music": ["ambient", "soundtrack"],
    "planetblupi-music-ogg": ["electronic", "chiptune_like", "soundtrack"],
    "singularity-music": ["electronic", "ambient", "soundtrack"],
}
GAME_PER_PACKAGE = 12
GAME_EXCERPT_SECS = 60.0

# ---- generated pieces (fluidsynth + FluidR3 GM) -------------------------------------------

# Family -> (GM program 0-based, labels, polyphonic, lowest MIDI note, highest).
FAMILIES = {
    "piano": (0, ["piano", "keyboard"], True, 48, 84),
    "electric_piano": (4, ["electric_piano", "keyboard"], True, 48, 84),
    "harpsichord": (6, ["harpsichord", "keyboard", "baroque"], True, 48, 84),
    "organ": (19, ["organ", "keyboard"], True, 48, 84),
    "nylon_guitar": (24, ["guitar", "acoustic_guitar"], True, 45, 76),
    "distortion_guitar": (30, ["guitar", "electric_guitar", "distorted"], True, 40, 76),
    "violin": (40, ["violin", "strings"], False, 55, 88),
    "cello": (42, ["cello", "strings"], False, 36, 67),
    "string_ensemble": (48, ["strings", "string_ensemble", "orchestral"], True, 43, 84),
    "harp": (46, ["harp"], True, 40, 84),
    "choir": (52, ["choir", "vocal"], True, 48, 79),
    "brass": (61, ["brass", "orchestral"], True, 45, 77),
    "flute": (73, ["flute", "woodwind"], False, 60, 93),
    "clarinet": (71, ["clarinet", "woodwind"], False, 50, 84),
    "sitar": (104, ["sitar", "indian"], False, 48, 79),
    "synth_lead": (81, ["synth", "synth_lead", "electronic"], False, 48, 84),
    "synth_pad": (89, ["synth", "synth_pad", "electronic"], True, 48, 79),
    "marimba": (12, ["marimba", "mallets"], True, 48, 84),
}
PIECES_PER_FAMILY = 8
PIECE_SECS = 24.0

# Accompaniment of an ensemble piece: (chord instrument program, labels). A bass line (GM 33,
# fingered bass) is always added.
ACCOMPANIMENT = [
    (48, ["strings"]),
    (0, ["piano"]),
    (89, ["synth_pad", "synth"]),
]

TEMPI = {"slow": (60, 76), "medium": (96, 112), "fast": (140, 168)}
VELOCITY = {"soft": (34, 48), "loud": (104, 122)}

MAJOR = [0, 2, 4, 5, 7, 9, 11]
MINOR = [0, 2, 3, 5, 7, 8, 10]
# Progressions as scale degrees (0-based) of the chord roots.
PROGRESSIONS = {"major": [0, 4, 5, 3], "minor": [0, 5, 2, 6]}


def vlq(n):
    """A MIDI variable-length quantity."""
    out = [n & 0x7F]
    n >>= 7
    while n:
        out.append((n & 0x7F) | 0x80)
        n >>= 7
    return bytes(reversed(out))


class Track:
    """One MIDI track: absolute-time events, written sorted."""

    def __init__(self):
        self.events = []  # (tick, order, bytes)

    def add(self, tick, data, order=1):
        self.events.append((tick, order, bytes(data)))

    def note(self, tick, length, channel, pitch, velocity):
        self.add(tick, [0x90 | channel, pitch, velocity], order=1)
        self.add(tick + max(1, length), [0x80 | channel, pitch, 0], order=0)

    def encode(self):
        body = bytearray()
        last = 0
        for tick, _, data in sorted(self.events, key=lambda e: (e[0], e[1])):
            body += vlq(tick - last) + data
            last = tick
        body += vlq(0) + b"\xff\x2f\x00"
        return b"MTrk" + struct.pack(">I", len(body)) + bytes(body)


def write_midi(path, tracks, tpq):
    data = b"MThd" + struct.pack(">IHHH", 6, 1, len(tracks), tpq)
    for t in tracks:
        data += t.encode()
    Path(path).write_bytes(data)


def scale_pitch(tonic, scale, degree):
    octave, step = divmod(degree, len(scale))
    return tonic + 12 * octave + scale[step]


def compose(rng, family, ensemble, tempo_kind, dyn, mode, drums, density, secs):
    """Generate one piece; returns (tracks, ticks per quarter, accompaniment labels, tempo)."""
    tpq = 480
    program, _, poly, lo, hi = FAMILIES[family]
    bpm = rng.randint(*TEMPI[tempo_kind])
    vel_lo, vel_hi = VELOCITY[dyn]
    scale = MAJOR if mode == "major" else MINOR
    tonic = 60 + rng.randint(-5, 6)
    bar = 4 * tpq
    bars = max(2, int(math.ceil(secs / (4 * 60.0 / bpm))))
    prog = PROGRESSIONS[mode]

    conductor = Track()
    conductor.add(0, b"\xff\x51\x03" + struct.pack(">I", int(60_000_000 / bpm))[1:], order=0)
    lead = Track()
    lead.add(0, [0xC0, program], order=0)
    # Melody: a random walk on the scale, inside the instrument's range.
    step = {"sparse": 2 * tpq, "dense": tpq // 4}[density]
    degree = 7
    for b in range(bars):
        t = b * bar
        while t < (b + 1) * bar:
            length = step if density == "dense" else rng.choice([step, 2 * step])
            length = min(length, (b + 1) * bar - t)
            degree = max(0, min(14, degree + rng.choice([-2, -1, -1, 0, 1, 1, 2])))
            pitch = scale_pitch(tonic, scale, degree)
            while pitch < lo:
                pitch += 12
            while pitch > hi:
                pitch -= 12
            if rng.random() > 0.08:
                lead.note(t, int(length * 0.95), 0, pitch, rng.randint(vel_lo, vel_hi))
            t += length
    tracks = [conductor, lead]
    acc_labels = []

    def chord_notes(b):
        root = prog[b % len(prog)]
        return [scale_pitch(tonic - 12, scale, root + k) for k in (0, 2, 4)]

    if not ensemble and poly:
        # A solo polyphonic instrument plays its own chords too (left hand).
        for b in range(bars):
            for p in chord_notes(b):
                while p < lo:
                    p += 12
                lead.note(b * bar, bar - 20, 0, p, max(1, rng.randint(vel_lo, vel_hi) - 12))
    if ensemble:
        acc_program, acc_labels = ACCOMPANIMENT[rng.randrange(len(ACCOMPANIMENT))]
        acc = Track()
        acc.add(0, [0xC1, acc_program], order=0)
        bass = Track()
        bass.add(0, [0xC2, 33], order=0)
        for b in range(bars):
            notes = chord_notes(b)
            for p in notes:
                acc.note(b * bar, bar - 20, 1, p, max(1, rng.randint(vel_lo, vel_hi) - 15))
            root = notes[0] - 12
            for beat in range(0, 4, 2 if density == "sparse" else 1):
                bass.note(b * bar + beat * tpq, tpq - 20, 2, root, rng.randint(vel_lo, vel_hi))
        tracks += [acc, bass]
    if drums:
        kit = Track()
        style = rng.choice(["rock", "dance"])
        for b in range(bars):
            t0 = b * bar
            for eighth in range(8):
                t = t0 + eighth * tpq // 2
                v = rng.randint(vel_lo, vel_hi)
                kit.note(t, 60, 9, 42, max(1, v - 20))
                beat, off = divmod(eighth, 2)
                if off:
                    continue
                if style == "dance" or beat in (0, 2):
                    kit.note(t, 60, 9, 36, v)
                if beat in (1, 3):
                    kit.note(t, 60, 9, 38, v)
        tracks.append(kit)
    return tracks, tpq, acc_labels, bpm


def piece_labels(family, ensemble, tempo_kind, dyn, mode, drums, density, accompaniment):
    labels = list(FAMILIES[family][1])
    labels += ["ensemble" if ensemble else "solo", tempo_kind, dyn, mode]
    labels += ["drums", "beat"] if drums else ["no_drums"]
    labels.append(density)
    if ensemble:
        labels += accompaniment + ["bass"]
    return sorted(set(labels))


def run(cmd):
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)


def render(mid, wav, soundfont):
    run(["fluidsynth", "-ni", "-q", "-g", "0.7", "-r", str(SAMPLE_RATE), "-F", str(wav),
         str(soundfont), str(mid)])


def encode(src, dst, extra_filters=None, start=None, duration=None):
    """Re-encode `src` to `dst` (format by extension), bit-exact flags, no metadata."""
    dst.parent.mkdir(parents=True, exist_ok=True)
    cmd = ["ffmpeg", "-nostdin", "-y", "-v", "error"]
    if start is not None:
        cmd += ["-ss", f"{start:.3f}"]
    if duration is not None:
        cmd += ["-t", f"{duration:.3f}"]
    cmd += ["-i", str(src), "-map", "0:a:0", "-map_metadata", "-1", "-fflags", "+bitexact",
            "-flags:a", "+bitexact"]
    if extra_filters:
        cmd += ["-af", extra_filters]
    ext = dst.suffix.lower()
    if ext == ".ogg":
        cmd += ["-c:a", "libvorbis", "-q:a", "4"]
    elif ext == ".opus":
        cmd += ["-c:a", "libopus", "-b:a", "96k"]
    elif ext == ".mp3":
        cmd += ["-c:a", "libmp3lame", "-b:a", "192k"]
    elif ext == ".flac":
        cmd += ["-c:a", "flac"]
    cmd.append(str(dst))
    run(cmd)


def duration_of(path):
    """Duration (s) of a file, from ffprobe."""
    out = subprocess.run(["ffprobe", "-v", "error", "-show_entries", "format=duration", "-of",
                          "default=nw=1:nk=1", str(path)], check=True, capture_output=True,
                         text=True).stdout.strip()
    return float(out)


def probe(path):
    """Duration (s) and RMS level (dBFS) of a file, from ffprobe and ffmpeg's volumedetect."""
    duration = duration_of(path)
    err = subprocess.run(["ffmpeg", "-nostdin", "-v", "info", "-i", str(path), "-af",
                          "volumedetect", "-f", "null", "-"], capture_output=True,
                         text=True).stderr
    m = re.search(r"mean_volume:\s*(-?[0-9.]+|-inf) dB", err)
    rms = float(m.group(1)) if m and m.group(1) != "-inf" else -120.0
    return duration, rms


def spread(items, n):
    """`n` items spread evenly over a sorted list (all of them when it is shorter)."""
    if len(items) <= n:
        return list(items)
    if n <= 1:
        return list(items[:n])
    return [items[round(i * (len(items) - 1) / (n - 1))] for i in range(n)]


def build(args):
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    rows = []  # (relpath, source, album, dup_of, labels)

    # Sonic Pi: every sample, flac as shipped.
    for f in sorted(Path(args.sonic_pi).glob("*.flac")):
        prefix = f.stem.split("_")[0]
        if prefix not in SONIC_PI_PREFIX:
            continue
        labels = list(SONIC_PI_PREFIX[prefix]) + ["one_shot" if prefix != "loop" else "loop"]
        for word, extra in SONIC_PI_WORDS.items():
            if word in f.stem:
                labels += extra
        rel = Path("sonic-pi") / f.name
        (out / rel).parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(f, out / rel)
        rows.append([str(rel), "sonic-pi-samples", "sonic-pi-samples", "", sorted(set(labels))])

    # Hydrogen: up to HYDROGEN_PER_KIT samples per kit, one per instrument first.
    for kit, kit_labels in sorted(HYDROGEN_KITS.items()):
        kdir = Path(args.hydrogen) / kit
        files = sorted(p for p in kdir.iterdir() if p.suffix.lower() in (".flac", ".wav"))
        by_inst = {}
        for p in files:
            name = p.stem.lower()
            inst = next((i for pat, i in DRUM_WORDS if re.search(pat, name)), "other")
            by_inst.setdefault(inst, []).append(p)
        chosen = []
        for inst in sorted(by_inst):
            if inst != "other":
                chosen.append((inst, by_inst[inst][len(by_inst[inst]) // 2]))
        rest = [(i, p) for i in sorted(by_inst) for p in by_inst[i] if (i, p) not in chosen]
        chosen += spread(rest, max(0, HYDROGEN_PER_KIT - len(chosen)))
        for inst, p in sorted(chosen[:HYDROGEN_PER_KIT], key=lambda x: x[1].name):
            slug = re.sub(r"[^A-Za-z0-9]+", "_", kit).strip("_")
            rel = Path("hydrogen") / slug / re.sub(r"[^A-Za-z0-9._-]+", "_", p.name)
            (out / rel).parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(p, out / rel)
            labels = kit_labels + ["drum_hit", "one_shot", "drum_kit"]
            if inst != "other":
                labels.append(inst)
            rows.append([str(rel), "hydrogen-drumkits", f"hydrogen:{kit}", "",
                         sorted(set(labels))])

    # Game soundtracks: GAME_PER_PACKAGE tracks per package, a GAME_EXCERPT_SECS excerpt each
    # starting at 20 % of the track (at most 40 s in), re-encoded in the track's own format.
    for pkg, styles in sorted(GAME_STYLES.items()):
        pdir = Path(args.games) / pkg
        if not pdir.is_dir():
            print(f"search_catalog: {pdir} missing, skipping {pkg}", file=sys.stderr)
            continue
        tracks = []
        for p in sorted(pdir.rglob("*")):
            if p.suffix.lower() not in (".ogg", ".opus"):
                continue
            try:
                tracks.append((p, duration_of(p)))
            except (subprocess.CalledProcessError, ValueError):
                # ffmpeg cannot read a few of hyperrogue's Ogg files; they are left out.
                print(f"search_catalog: ffprobe cannot read {p}, left out", file=sys.stderr)
        for p, dur in spread(tracks, GAME_PER_PACKAGE):
            start = min(40.0, 0.2 * dur)
            length = min(GAME_EXCERPT_SECS, dur - start)
            slug = re.sub(r"[^A-Za-z0-9._-]+", "_", str(p.relative_to(pdir)).replace("/", "_"))
            rel = Path("games") / pkg / slug
            encode(p, out / rel, start=start, duration=length)
            rows.append([str(rel), pkg, pkg, "", sorted(set(styles + ["game_music"]))])

    # Generated pieces.
    rng = random.Random(SEED)
    sf2 = args.soundfont
    tmp = Path(tempfile.mkdtemp(prefix="search-catalog-"))
    pieces = []
    n = 0
    for family in sorted(FAMILIES):
        for k in range(PIECES_PER_FAMILY):
            # Balanced factors: each family gets both values of every binary factor.
            ensemble = k % 2 == 1
            dyn = "soft" if (k // 2) % 2 == 0 else "loud"
            mode = "major" if (k // 4) % 2 == 0 else "minor"
            tempo_kind = rng.choice(sorted(TEMPI))
            drums = rng.random() < 0.4
            density = rng.choice(["sparse", "dense"])
            prng = random.Random(rng.getrandbits(32))
            tracks, tpq, acc_labels, bpm = compose(prng, family, ensemble, tempo_kind, dyn, mode, drums,
                                          density, PIECE_SECS)
            n += 1
            name = f"{n:03d}_{family}_{'ens' if ensemble else 'solo'}_{tempo_kind}_{dyn}_{mode}"
            name += f"_{'drums' if drums else 'nodrums'}_{density}"
            mid = tmp / f"{name}.mid"
            write_midi(mid, tracks, tpq)
            wav = tmp / f"{name}.wav"
            render(mid, wav, sf2)
            rel = Path("midi") / f"{name}.ogg"
            encode(wav, out / rel, extra_filters=f"atrim=0:{PIECE_SECS + 1.5:.1f}")
            labels = piece_labels(family, ensemble, tempo_kind, dyn, mode, drums, density,
                                  acc_labels)
            labels += [f"bpm_{bpm}"]
            rows.append([str(rel), "generated", "", "", sorted(set(labels))])
            pieces.append((wav, rel, labels))

    # Jingles: short endings (a cadence of 2-3 chords, 2-5 s), brass, piano, strings, synth.
    for j, family in enumerate(["brass", "piano", "string_ensemble", "synth_lead", "harp",
                                "brass", "piano", "organ"]):
        jr = random.Random(SEED + 100 + j)
        mode = "major" if j % 2 == 0 else "minor"
        tracks, tpq, _, bpm = compose(jr, family, False, "medium", "loud", mode, False,
                                      "sparse", 3.0)
        name = f"jingle_{j + 1:02d}_{family}_{mode}"
        mid = tmp / f"{name}.mid"
        write_midi(mid, tracks, tpq)
        wav = tmp / f"{name}.wav"
        render(mid, wav, sf2)
        rel = Path("jingles") / f"{name}.ogg"
        encode(wav, out / rel)
        labels = sorted(set(FAMILIES[family][1] + ["jingle", mode, "short"]))
        rows.append([str(rel), "generated", "", "", labels])

    # Near-silent versions of a few pieces (-60 dB): nothing a listener wants.
    for wav, rel, labels in spread(pieces, 6):
        qrel = Path("near-silent") / rel.name
        encode(wav, out / qrel, extra_filters=f"atrim=0:{PIECE_SECS:.1f},volume=-60dB")
        rows.append([str(qrel), "generated", "", "", ["near_silent"]])

    # Exact duplicates: MP3 copies of some game excerpts and pieces.
    game_rows = [r for r in rows if r[0].startswith("games/")]
    midi_rows = [r for r in rows if r[0].startswith("midi/")]
    for r in spread(game_rows, 8) + spread(midi_rows, 8):
        src = out / r[0]
        drel = Path("duplicates") / (Path(r[0]).stem + ".mp3")
        encode(src, out / drel)
        rows.append([str(drel), r[1], r[2], r[0], r[4]])

    shutil.rmtree(tmp)

    # Facts and the manifest.
    with open(args.manifest, "w") as m:
        m.write("# path\tsource\talbum\tduplicate_of\tduration_s\trms_dbfs\tlabels\n")
        for rel, source, album, dup, labels in sorted(rows):
            dur, rms = probe(out / rel)
            m.write(f"{rel}\t{source}\t{album}\t{dup}\t{dur:.2f}\t{rms:.1f}\t"
                    f"{','.join(labels)}\n")
    print(f"search_catalog: {len(rows)} files -> {out}; manifest {args.manifest}")


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    sub = p.add_subparsers(dest="cmd", required=True)
    b = sub.add_parser("build")
    b.add_argument("--sonic-pi", required=True)
    b.add_argument("--hydrogen", required=True)
    b.add_argument("--games", required=True)
    b.add_argument("--out", required=True)
    b.add_argument("--manifest", required=True)
    b.add_argument("--soundfont", default="/usr/share/sounds/sf2/FluidR3_GM.sf2")
    args = p.parse_args()
    build(args)


if __name__ == "__main__":
    main()
