#!/usr/bin/env python3
"""librosa reference MFCCs for musearch's `--input mfcc` (models/src/nets/mfcc.rs).

Run with the pinned reference environment (scripts/reference/setup-venvs.sh ref):

    /work/ref-venv/bin/python scripts/reference/mfcc.py [--out-dir fixtures/reference/mfcc]

musearch's MFCCs are the orthonormal DCT-II of its log-mel, `log10(1 + 10000 * mel)`. librosa's
`feature.mfcc(S=..., n_mfcc=N)` with its defaults (dct_type=2, norm='ortho', lifter=0) computes
exactly that of whatever log spectrogram `S` it is given, so the reference is

    logmel = np.load("fixtures/reference/frontend/real_16k_mono.wav.logmel.npy")   # (frames, 96),
             # librosa's musicnn log-mel of fixtures/audio/real_16k_mono.wav (frontend.py)
    mfcc = librosa.feature.mfcc(S=logmel.T, n_mfcc=N).T                           # (frames, N)

for N = 20 (librosa's default) and N = 40, written as `real_16k_mono.wav.mfcc{N}.npy` (float32)
with a manifest.json of versions and shapes.
"""
from __future__ import annotations

import argparse
import importlib.metadata as md
import json
import platform
from pathlib import Path

import numpy as np
import librosa

REPO = Path(__file__).resolve().parents[2]
CLIP = "real_16k_mono.wav"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--out-dir", type=Path, default=REPO / "fixtures/reference/mfcc")
    args = ap.parse_args()
    args.out_dir.mkdir(parents=True, exist_ok=True)
    logmel = np.load(REPO / "fixtures/reference/frontend" / f"{CLIP}.logmel.npy")
    files = {}
    for n_mfcc in (20, 40):
        mfcc = librosa.feature.mfcc(S=logmel.T.astype(np.float64), n_mfcc=n_mfcc).T
        name = f"{CLIP}.mfcc{n_mfcc}.npy"
        np.save(args.out_dir / name, mfcc.astype(np.float32))
        files[name] = {"shape": list(mfcc.shape), "n_mfcc": n_mfcc}
    manifest = {
        "generator": "scripts/reference/mfcc.py",
        "input": f"fixtures/reference/frontend/{CLIP}.logmel.npy",
        "call": "librosa.feature.mfcc(S=logmel.T, n_mfcc=N).T (dct_type=2, norm='ortho', lifter=0)",
        "files": files,
        "versions": {
            "python": platform.python_version(),
            "librosa": md.version("librosa"),
            "scipy": md.version("scipy"),
            "numpy": md.version("numpy"),
        },
    }
    (args.out_dir / "manifest.json").write_text(json.dumps(manifest, indent=2) + "\n")


if __name__ == "__main__":
    main()
