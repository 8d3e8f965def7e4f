#!/usr/bin/env python3
"""References for 44.1 kHz real music: librosa's default resampling and musicnn on TensorFlow.

Run in the TensorFlow environment (scripts/reference/setup-venvs.sh tf: tensorflow-cpu 2.15,
numpy<2, librosa 0.11 with soxr 1.1, musicnn 0.1.0 installed with --no-deps):

    .venv-tf/bin/python scripts/reference/music44k.py [--clips-dir fixtures/music44k] \
        [--out fixtures/reference/music44k] [--joram PATH]

Writes, under the output directory (float32 .npy):

* ``resample_<rate>_to_16000.npy``: ``librosa.resample(x, orig_sr=rate, target_sr=16000)``
  with librosa's default ``res_type`` (``soxr_hq``: python-soxr, libsoxr's HQ recipe), for
  rate 44100 and 48000 and half a second of input ``x = lcg_noise(n)`` (below: a 15-bit
  linear congruential sequence that float32 holds exactly, which the test rebuilds);
* ``<clip>.logmel.npy`` (64, 96): the first 64 frames (about 1 s) of librosa's log-mel of each clip,
  ``log10(1 + 10000 melspectrogram(librosa.load(clip, sr=16000)))`` in float32 (the front-end
  of DESIGN.md, without musicnn's float16 rounding);
* ``manifest.json``: per clip, the track-mean tag probabilities of MTT_musicnn and MSD_musicnn
  as musicnn computes them (``extractor.batch_data``: librosa load at 16 kHz, mel cast to
  float16, ``log10(10000 x + 1)``, non-overlapping 187-frame patches; the mean over patches
  of ``sigmoid(logits)``, inference mode) and their top-5 tags; the decoded length and peak
  |sample| over the channels at 44.1 kHz, before the down-mix (lossy files often overshoot ±1,
  and decoders differ in whether they clamp); versions; sha256 of every file.

The weights are restored strictly and checked on musicnn's README clip first (see
musicnn_reference.py: TensorFlow >= 2.16 would silently run with random weights).
"""

import argparse
import hashlib
import json
import os
import platform
import sys

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, HERE)

import musicnn_reference as ref  # noqa: E402  (strict restore, sanity check, musicnn patches)

MODELS = ["MTT_musicnn", "MSD_musicnn"]
SR = 16000
N_FRAMES = 187
LOGMEL_FRAMES = 64
RESAMPLE_RATES = [44100, 48000]
RESAMPLE_SECONDS = 0.5
LCG_SEED = 20261204


def sha256(path):
    with open(path, "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()


def lcg_noise(n, seed=LCG_SEED):
    """n samples in [-0.5, 0.5): state = state * 1103515245 + 12345 (mod 2^31), sample =
    ((state >> 16) & 0x7fff) / 32768 - 0.5. Exact in float32, so the test can rebuild it."""
    out = np.empty(n, dtype=np.float32)
    state = seed
    for i in range(n):
        state = (state * 1103515245 + 12345) % (1 << 31)
        out[i] = ((state >> 16) & 0x7FFF) / 32768.0 - 0.5
    return out


def librosa_logmel(path):
    import librosa

    y, _ = librosa.load(path, sr=SR)  # default res_type: soxr_hq
    mel = librosa.feature.melspectrogram(y=y, sr=SR, n_fft=512, hop_length=256, n_mels=96)
    return np.log10(1 + 10000 * mel).T.astype(np.float32), y.shape[0]


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--clips-dir", default=os.path.join(REPO, "fixtures", "music44k"))
    ap.add_argument("--out", default=os.path.join(REPO, "fixtures", "reference", "music44k"))
    ap.add_argument("--joram", default=ref.DEFAULT_JORAM)
    args = ap.parse_args()

    import librosa
    import soxr
    import tensorflow as tf

    top10, _ = ref.sanity_check(args.joram)
    os.makedirs(args.out, exist_ok=True)
    files = {}

    def save(name, array):
        path = os.path.join(args.out, name)
        np.save(path, np.ascontiguousarray(array, dtype=np.float32))
        files[name] = {"shape": list(array.shape), "sha256": sha256(path)}

    resampled = {}
    for rate in RESAMPLE_RATES:
        x = lcg_noise(int(rate * RESAMPLE_SECONDS))
        y = librosa.resample(x, orig_sr=rate, target_sr=SR)
        name = f"resample_{rate}_to_{SR}.npy"
        save(name, y)
        resampled[name] = {"input": f"lcg_noise({x.shape[0]}, seed={LCG_SEED})",
                           "orig_sr": rate, "target_sr": SR}

    clips = sorted(f for f in os.listdir(args.clips_dir) if f.endswith(".ogg"))
    if not clips:
        sys.exit(f"no .ogg clips in {args.clips_dir}")
    models = {name: ref.Model(name) for name in MODELS}
    entries = []
    for clip in clips:
        path = os.path.join(args.clips_dir, clip)
        info = librosa.get_samplerate(path)
        if info != 44100:
            sys.exit(f"{clip}: {info} Hz, expected 44100")
        native, _ = librosa.load(path, sr=None, mono=False)  # (channels, samples), before down-mix
        logmel, n16k = librosa_logmel(path)
        save(f"{clip}.logmel.npy", logmel[:LOGMEL_FRAMES])
        patches = ref.musicnn_patches(path)
        entry = {"file": clip, "sha256": sha256(path), "samples_44k": int(native.shape[-1]),
                 "peak": float(np.abs(native).max()), "samples_16k": int(n16k),
                 "mel_frames": int(logmel.shape[0]), "patches": int(patches.shape[0]),
                 "models": {}}
        for name, model in models.items():
            probs = model.run(patches)["probabilities"]
            mean = probs.mean(axis=0)
            top5 = [model.labels[j] for j in np.argsort(mean)[::-1][:5]]
            entry["models"][name] = {"track_mean": [float(v) for v in mean], "top5": top5}
            print(f"{clip} {name}: {patches.shape[0]} patches, top-5 {top5}")
        entries.append(entry)

    manifest = {
        "generator": "scripts/reference/music44k.py",
        "what": "librosa default resampling (soxr_hq) and musicnn/TensorFlow track means on "
                "44.1 kHz real music",
        "versions": {
            "python": platform.python_version(),
            "tensorflow": tf.__version__,
            "numpy": np.__version__,
            "librosa": librosa.__version__,
            "soxr": soxr.__version__,
            "libsoxr": soxr.__libsoxr_version__,
            "musicnn": "0.1.0 (PyPI wheel, ISC licence)",
        },
        "sanity_check": {"MTT_musicnn_top10": top10, "expected": ref.EXPECTED_TOP10,
                         "passed": True},
        "resample": resampled,
        "logmel": {"frames": LOGMEL_FRAMES, "what": "first 64 frames of log10(1 + 10000 mel), "
                   "float32, librosa.load(sr=16000) + melspectrogram(n_fft=512, "
                   "hop_length=256, n_mels=96)"},
        "clips": entries,
        "files": files,
    }
    with open(os.path.join(args.out, "manifest.json"), "w") as f:
        json.dump(manifest, f, indent=1)
        f.write("\n")
    print(f"wrote {len(files)} arrays and manifest.json to {args.out}")


if __name__ == "__main__":
    main()
