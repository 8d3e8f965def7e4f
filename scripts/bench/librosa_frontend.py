#!/usr/bin/env python3
"""Single-core timing of the librosa (musicnn) audio front-end: the baseline `musearch bench` compares against.

    .venv-ref/bin/python scripts/bench/librosa_frontend.py FILE_OR_DIR... [--no-warmup] > librosa.json

Per file it times, on one pinned core with single-threaded BLAS/OpenMP:
  (a) decode only:  soundfile.read(path, dtype="float32")           (libsndfile, native rate, all channels)
  (b) front-end:    y, _ = librosa.load(path, sr=16000)              (decode + downmix + soxr_hq resample)
                    S = librosa.feature.melspectrogram(y=y, sr=16000, n_fft=512, hop_length=256, n_mels=96)
                    logmel = np.log10(1 + 10000 * S)
The first file is processed once, untimed, as a warm-up (imports, FFT plans, caches).
Directories are searched recursively for audio files. Files that soundfile cannot open
(e.g. .m4a, which librosa would hand to audioread/ffmpeg) and files that fail to decode are
reported under "skipped" and never stop the run.

Prints one JSON object on stdout: the machine and library versions, per-file
{path, duration_s, decode_s, total_s}, and totals with "x real time" = audio seconds / wall seconds
for decode-only and for the whole front-end.
"""
import os

# Must be set before numpy (and anything that imports it) is loaded.
for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "NUMBA_NUM_THREADS"):
    os.environ[_var] = "1"

import json  # noqa: E402
import platform  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
import warnings  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402
import soundfile as sf  # noqa: E402
import soxr  # noqa: E402
import librosa  # noqa: E402

SR = 16000
AUDIO_EXTS = {".wav", ".flac", ".ogg", ".oga", ".opus", ".mp3", ".m4a", ".aac", ".aiff", ".aif", ".wma", ".mka"}


def frontend(path: str) -> np.ndarray:
    y, _ = librosa.load(path, sr=SR)
    S = librosa.feature.melspectrogram(y=y, sr=SR, n_fft=512, hop_length=256, n_mels=96)
    return np.log10(1 + 10000 * S)


def expand(args):
    for a in args:
        p = Path(a)
        if p.is_dir():
            yield from sorted(str(f) for f in p.rglob("*") if f.is_file() and f.suffix.lower() in AUDIO_EXTS)
        else:
            yield str(p)


def cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def main() -> int:
    argv = sys.argv[1:]
    warmup = "--no-warmup" not in argv
    files = list(expand(a for a in argv if a != "--no-warmup"))
    if not files:
        print(__doc__, file=sys.stderr)
        return 2

    try:
        os.sched_setaffinity(0, {0})
        pinned = sorted(os.sched_getaffinity(0))
    except (AttributeError, OSError) as e:  # not Linux
        pinned = f"not pinned: {e}"

    results, skipped = [], []
    warmed = not warmup
    for path in files:
        try:
            info = sf.info(path)
        except Exception as e:  # noqa: BLE001 -- report and go on
            skipped.append({"path": path, "reason": f"soundfile cannot open: {type(e).__name__}: {e}"})
            continue
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                if not warmed:
                    sf.read(path, dtype="float32")
                    frontend(path)
                    warmed = True
                t0 = time.perf_counter()
                x, sr = sf.read(path, dtype="float32")
                t1 = time.perf_counter()
                logmel = frontend(path)
                t2 = time.perf_counter()
        except Exception as e:  # noqa: BLE001
            skipped.append({"path": path, "reason": f"decode/front-end failed: {type(e).__name__}: {e}"})
            continue
        results.append({
            "path": path,
            "duration_s": round(len(x) / sr, 6),
            "native_rate": sr,
            "channels": info.channels,
            "format": f"{info.format}/{info.subtype}",
            "decode_s": round(t1 - t0, 6),
            "total_s": round(t2 - t1, 6),
            "n_frames": int(logmel.shape[1]),
        })
        del x, logmel

    audio = sum(r["duration_s"] for r in results)
    decode = sum(r["decode_s"] for r in results)
    total = sum(r["total_s"] for r in results)
    out = {
        "benchmark": "librosa front-end (musicnn): librosa.load(sr=16000) + melspectrogram(n_fft=512, hop=256, "
                     "n_mels=96) + log10(1 + 10000 S)",
        "machine": {
            "cpu": cpu_model(),
            "pinned_cpus": pinned,
            "threads_env": {v: os.environ[v] for v in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")},
            "python": platform.python_version(),
            "platform": platform.platform(),
        },
        "versions": {
            "librosa": librosa.__version__,
            "numpy": np.__version__,
            "soundfile": sf.__version__,
            "libsndfile": sf.__libsndfile_version__,
            "soxr": soxr.__version__,
        },
        "warmup": warmup,
        "files": results,
        "skipped": skipped,
        "totals": {
            "n_files": len(results),
            "n_skipped": len(skipped),
            "audio_s": round(audio, 3),
            "decode_s": round(decode, 3),
            "total_s": round(total, 3),
            "decode_x_realtime": round(audio / decode, 1) if decode > 0 else None,
            "frontend_x_realtime": round(audio / total, 1) if total > 0 else None,
        },
    }
    json.dump(out, sys.stdout, indent=2)
    print()
    return 0


if __name__ == "__main__":
    sys.exit(main())
