#!/usr/bin/env python3
"""librosa reference outputs for the musicnn-compatible audio front-end.

Run with the pinned reference environment (scripts/reference/requirements.txt):

    .venv-ref/bin/python scripts/reference/frontend.py [--audio-dir fixtures/audio] \
        [--out-dir fixtures/reference/frontend]

For every good clip in fixtures/audio it computes what musicnn's `extractor.batch_data` computes
with librosa, *before* musicnn's float16 cast (see below):

    y, _ = librosa.load(path, sr=16000, mono=True)          # float32, soxr_hq resampling
    S = librosa.feature.melspectrogram(y=y, sr=16000, n_fft=512, hop_length=256, n_mels=96)
        # periodic Hann, center=True, pad_mode="constant", power=2, Slaney mel scale + Slaney norm
    logmel = np.log10(1 + 10000 * S)

and writes, into the output directory:

    <clip file name>.logmel.npy   float32, shape (n_frames, 96): frames first, like musicnn's `.T`
    <clip file name>.y16k.npy     float32 16 kHz mono signal, only when it is under 200 KB
    mel_filters_sr16000_nfft512_nmels96.npy   librosa.filters.mel(sr=16000, n_fft=512, n_mels=96),
                                  float32, shape (96, 257)
    manifest.json                 versions, per-clip sha256 / native rate / channels / decode
                                  backend / shapes, and the parameters above

Note on musicnn itself: `musicnn/extractor.py` casts the mel spectrogram to float16 *before* the
log (`audio_rep.astype(np.float16); np.log10(10000 * audio_rep + 1)`, all in float16). The
manifest records, per clip, how far that float16 path is from the float32 reference
(`musicnn_float16_path`), so a test can pick its tolerance knowingly.

The decode backend librosa used is recorded per clip: librosa tries soundfile (libsndfile) first
and falls back to audioread (here: ffmpeg in a subprocess, 16-bit output) with a warning
"PySoundFile failed. Trying audioread instead." -- this script catches that warning.
"""
from __future__ import annotations

import argparse
import hashlib
import importlib.metadata as md
import json
import platform
import subprocess
import sys
import warnings
from pathlib import Path

import numpy as np
import soundfile as sf
import soxr
import audioread
import librosa

REPO = Path(__file__).resolve().parents[2]

SR = 16000
N_FFT = 512
HOP = 256
N_MELS = 96
Y16K_MAX_BYTES = 200_000

# The good clips (every file directly in fixtures/audio; fixtures/audio/bad/ is excluded).
CLIPS = [
    "real_16k_mono.wav",
    "real_44k_stereo.flac",
    "real_48k_stereo.ogg",
    "real_44k_stereo.mp3",
    "real_48k_stereo.opus",
    "real_44k_stereo.m4a",
    "real_22k_mono.wav",
    "pcm_u8_16k.wav",
    "pcm_s24_48k.wav",
    "pcm_f32_44k.wav",
    "surround_6ch_48k.wav",
    "short_2s_16k.wav",
    "ogg_named.mp3",
]


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def native_info(path: Path) -> dict:
    """Native sample rate / channels / frames, from libsndfile if it can open the file, else audioread."""
    try:
        i = sf.info(str(path))
        return {
            "probe": "soundfile",
            "soundfile_format": i.format,
            "soundfile_subtype": i.subtype,
            "sample_rate": i.samplerate,
            "channels": i.channels,
            "frames": i.frames,
        }
    except Exception as e:  # noqa: BLE001 -- recorded, not fatal
        sf_error = f"{type(e).__name__}: {e}".replace(str(path), path.name)  # no machine paths
    for backend in audioread.available_backends():
        try:
            with backend(str(path)) as f:
                return {
                    "probe": f"audioread.{backend.__name__}",
                    "soundfile_error": sf_error,
                    "sample_rate": f.samplerate,
                    "channels": f.channels,
                    "frames": None,
                    "duration_s": f.duration,
                }
        except Exception:  # noqa: BLE001
            continue
    return {"probe": None, "soundfile_error": sf_error}


def audioread_backend_for(path: Path) -> str | None:
    """The audioread backend class that audioread.audio_open would pick for this file."""
    for backend in audioread.available_backends():
        try:
            with backend(str(path)):
                return backend.__name__
        except Exception:  # noqa: BLE001
            continue
    return None


def load_like_librosa(path: Path) -> tuple[np.ndarray, str]:
    """librosa.load(path, sr=16000, mono=True), plus which backend librosa actually used."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        y, sr = librosa.load(str(path), sr=SR, mono=True)
    assert sr == SR
    fell_back = any("PySoundFile failed" in str(w.message) for w in caught)
    if fell_back:
        return y, f"audioread.{audioread_backend_for(path)}"
    return y, "soundfile"


def logmel_of(y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    S = librosa.feature.melspectrogram(y=y, sr=SR, n_fft=N_FFT, hop_length=HOP, n_mels=N_MELS)
    logmel = np.log10(1 + 10000 * S)
    return S, logmel.T.astype(np.float32)


def musicnn_float16_path(S: np.ndarray) -> np.ndarray:
    """Exactly musicnn's extractor.batch_data after the melspectrogram call."""
    audio_rep = S.T.astype(np.float16)
    return np.log10(10000 * audio_rep + 1)


def ffmpeg_version() -> str | None:
    try:
        out = subprocess.run(["ffmpeg", "-version"], capture_output=True, text=True, check=True).stdout
        return out.splitlines()[0]
    except Exception:  # noqa: BLE001
        return None


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--audio-dir", type=Path, default=REPO / "fixtures" / "audio")
    ap.add_argument("--out-dir", type=Path, default=REPO / "fixtures" / "reference" / "frontend")
    args = ap.parse_args()
    out = args.out_dir
    out.mkdir(parents=True, exist_ok=True)

    mel = librosa.filters.mel(sr=SR, n_fft=N_FFT, n_mels=N_MELS).astype(np.float32)
    assert mel.shape == (N_MELS, N_FFT // 2 + 1)
    mel_name = f"mel_filters_sr{SR}_nfft{N_FFT}_nmels{N_MELS}.npy"
    np.save(out / mel_name, mel)

    clips = []
    for name in CLIPS:
        path = args.audio_dir / name
        if not path.exists():
            print(f"missing {path}", file=sys.stderr)
            return 1
        info = native_info(path)
        y, backend = load_like_librosa(path)
        assert y.dtype == np.float32 and y.ndim == 1
        S, logmel = logmel_of(y)
        assert logmel.shape == (1 + len(y) // HOP, N_MELS), logmel.shape
        np.save(out / f"{name}.logmel.npy", logmel)
        y_file = None
        if y.nbytes < Y16K_MAX_BYTES:
            y_file = f"{name}.y16k.npy"
            np.save(out / y_file, y)
        else:
            (out / f"{name}.y16k.npy").unlink(missing_ok=True)

        f16 = musicnn_float16_path(S)
        finite = np.isfinite(f16)
        diff = np.abs(f16.astype(np.float32) - logmel)[finite]
        clips.append({
            "file": name,
            "sha256": sha256(path),
            "bytes": path.stat().st_size,
            "native": info,
            "decode_backend": backend,
            "resampled": info.get("sample_rate") != SR,
            "downmixed_from_channels": info.get("channels"),
            "y16k_samples": int(len(y)),
            "y16k_file": y_file,
            "y16k_peak_abs": float(np.max(np.abs(y))) if len(y) else 0.0,
            "logmel_file": f"{name}.logmel.npy",
            "logmel_shape": list(logmel.shape),
            "logmel_min": float(logmel.min()),
            "logmel_max": float(logmel.max()),
            "logmel_mean": float(logmel.mean()),
            "mel_power_max": float(S.max()),
            "musicnn_patches_187_no_overlap": int(max(0, (logmel.shape[0] - 187) // 187 + 1)),
            "musicnn_float16_path": {
                "n_inf": int((~finite).sum()),
                "max_abs_diff_finite": float(diff.max()) if diff.size else 0.0,
                "mean_abs_diff_finite": float(diff.mean()) if diff.size else 0.0,
            },
        })
        print(f"{name:24s} {backend:28s} native {info.get('sample_rate')} Hz x{info.get('channels')}"
              f" -> y {len(y)} samples, logmel {logmel.shape}")

    manifest = {
        "generator": "scripts/reference/frontend.py",
        "what": "librosa reference for the musicnn front-end: logmel = log10(1 + 10000 * melspectrogram), "
                "float32, shape (n_frames, n_mels), frames first",
        "parameters": {
            "load": {"sr": SR, "mono": True, "res_type": "soxr_hq (librosa.load default)", "dtype": "float32",
                     "mono_downmix": "mean over channels (librosa.to_mono)"},
            "melspectrogram": {"n_fft": N_FFT, "hop_length": HOP, "win_length": N_FFT, "window": "hann (periodic)",
                               "center": True, "pad_mode": "constant", "power": 2.0, "n_mels": N_MELS,
                               "fmin": 0.0, "fmax": SR / 2, "htk": False, "norm": "slaney"},
            "log": "np.log10(1 + 10000 * S)",
            "n_frames": "1 + len(y) // hop_length",
        },
        "mel_filters_file": mel_name,
        "versions": {
            "python": platform.python_version(),
            "librosa": librosa.__version__,
            "numpy": np.__version__,
            "scipy": md.version("scipy"),
            "soundfile": sf.__version__,
            "libsndfile": sf.__libsndfile_version__,
            "soxr": soxr.__version__,
            "libsoxr": soxr.__libsoxr_version__,
            "audioread": md.version("audioread"),
            "audioread_backends": [b.__name__ for b in audioread.available_backends()],
            "ffmpeg (used by audioread.FFmpegAudioFile)": ffmpeg_version(),
        },
        "y16k_saved_when_bytes_below": Y16K_MAX_BYTES,
        "clips": clips,
    }
    (out / "manifest.json").write_text(json.dumps(manifest, indent=2) + "\n")
    print(f"wrote {len(clips)} clips + {mel_name} + manifest.json to {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
