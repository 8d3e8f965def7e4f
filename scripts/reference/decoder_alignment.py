#!/usr/bin/env python3
"""Where does sample 0 lie? Encoder delay / padding of the lossy fixtures, per decoder.

    .venv-ref/bin/python scripts/reference/decoder_alignment.py MUSIC_DIR

MUSIC_DIR is the output of scripts/fetch-demo-music.sh. For each lossy fixture this script
re-creates the exact pre-encoding excerpt (same atrim cut as make_fixtures.sh, float32 at the
native rate) and compares it with
  * libsndfile (soundfile.read: what librosa.load uses for these formats),
  * ffmpeg's decoder (`ffmpeg -i clip -f f32le -`: what audioread uses for .m4a),
  * ffprobe's reported duration,
printing for each decoder the decoded length and the lag (in native samples) of the decoded
signal against the original: lag 0 and length == original length mean "encoder delay and padding
removed exactly"; lag +d means the decoder output starts with d samples of encoder delay.
The Rust decoder (symphonia) has to agree with the libsndfile column to match librosa.
"""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import soundfile as sf
from scipy.signal import correlate

REPO = Path(__file__).resolve().parents[2]
AUDIO = REPO / "fixtures" / "audio"

# fixture -> (source relative to MUSIC_DIR, start s, duration s) as in make_fixtures.sh
LOSSY = {
    "real_44k_stereo.mp3": ("planetblupi-music-ogg/music003.ogg", 907.0, 4.0),
    "real_48k_stereo.opus": ("warzone2100-music/albums/aftermath_soundtrack/track23.opus", 266.5, 4.0),
    "real_48k_stereo.ogg": ("singularity-music/Nebula.ogg", 234.0, 4.0),
    "real_44k_stereo.m4a": ("hyperrogue-music/hr3-hell.ogg", 59.5, 4.0),
    "ogg_named.mp3": ("wesnoth-1.16-music/knalgan_theme.ogg", 187.0, 4.0),
}


def ffmpeg_f32(args: list[str], channels: int) -> np.ndarray:
    raw = subprocess.run(["ffmpeg", "-nostdin", "-v", "error", *args, "-f", "f32le", "-"],
                         capture_output=True, check=True).stdout
    return np.frombuffer(raw, dtype="<f4").reshape(-1, channels)


def lag_of(decoded: np.ndarray, original: np.ndarray, max_lag: int = 5000) -> int:
    """Lag (samples) that best aligns decoded with original: decoded[n + lag] ~ original[n]."""
    a = decoded.mean(axis=1)
    b = original.mean(axis=1)
    n = min(len(b), 2 * 48000) - max_lag
    c = correlate(a[: n + 2 * max_lag], b[max_lag:n], mode="valid")  # lags -max_lag..+max_lag
    return int(np.argmax(c)) - max_lag


def main() -> int:
    if len(sys.argv) != 2:
        print(__doc__, file=sys.stderr)
        return 2
    music = Path(sys.argv[1])
    report = {}
    for name, (src, start, dur) in LOSSY.items():
        clip = AUDIO / name
        info = sf.info(str(clip)) if name != "real_44k_stereo.m4a" else None
        probe = json.loads(subprocess.run(
            ["ffprobe", "-v", "error", "-of", "json", "-show_format", "-show_streams", str(clip)],
            capture_output=True, text=True, check=True).stdout)
        stream = [s for s in probe["streams"] if s["codec_type"] == "audio"][0]
        sr, ch = int(stream["sample_rate"]), int(stream["channels"])
        src_path = music / src
        src_sr = int(subprocess.run(["ffprobe", "-v", "error", "-select_streams", "a:0", "-show_entries",
                                     "stream=sample_rate", "-of", "csv=p=0", str(src_path)],
                                    capture_output=True, text=True, check=True).stdout)
        s0 = int(start * src_sr + 0.5)
        s1 = s0 + int(dur * src_sr + 0.5)
        original = ffmpeg_f32(["-i", str(src_path), "-af", f"atrim=start_sample={s0}:end_sample={s1}",
                               "-ar", str(sr), "-ac", str(ch)], ch)
        row = {
            "native_rate": sr,
            "original_samples": len(original),
            "ffprobe_duration_s": float(probe["format"]["duration"]),
            "ffprobe_duration_samples": round(float(probe["format"]["duration"]) * sr),
        }
        if info is not None:
            y_sf, _ = sf.read(str(clip), dtype="float32", always_2d=True)
            row["libsndfile_samples"] = len(y_sf)
            row["libsndfile_lag"] = lag_of(y_sf, original)
        else:
            row["libsndfile_samples"] = None  # libsndfile cannot open MP4
        y_ff = ffmpeg_f32(["-i", str(clip)], ch)
        row["ffmpeg_samples"] = len(y_ff)
        row["ffmpeg_lag"] = lag_of(y_ff, original)
        report[name] = row
        print(f"{name:22s} {json.dumps(row)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
