#!/usr/bin/env python3
"""Reference outputs of musicnn's four pretrained models, computed with TensorFlow.

Writes, under fixtures/reference/musicnn/ (float32 .npy, small enough to commit):

* ``patches.npy`` (N, 187, 96): the log-mel input patches, computed exactly as musicnn's
  ``extractor.batch_data`` does (librosa mel, cast to float16, ``log10(10000 x + 1)``) from the
  committed fixture clips, plus one deterministic pseudo-random patch;
* ``<model>.probabilities.npy`` (N, 50): ``sigmoid(logits)`` of each model fed those patches;
* ``<model>.embedding.npy``: the penultimate layer (musicnn: the batch-normalised 200-unit dense
  layer ``penultimate``; VGG: ``pool5`` flattened in TensorFlow's (time, freq, channel) order);
* ``manifest.json``: versions, the patch sources, sha256 of every file, the sanity check.

Before anything is written it checks that TensorFlow really restored the weights: musicnn's own
``extractor`` swallows restore errors (bare ``except``) and then runs with random weights. Here the
restore is done directly (errors propagate), and the README clip must give MTT_musicnn's published
top-10 tags. That clip (CC BY-NC-SA) is only read, never written under fixtures/.

Environment (see docs in DESIGN.md, "Pretrained taggers"):

    python3 -m venv /work/tf-venv
    /work/tf-venv/bin/pip install "tensorflow-cpu==2.15.*" "numpy<2" "librosa==0.11.*"
    /work/tf-venv/bin/pip install --no-deps musicnn==0.1.0
    /work/tf-venv/bin/python scripts/reference/musicnn_reference.py

Options: ``--joram PATH`` (the README clip), ``--out DIR``, ``--debug-dir DIR`` (also dump every
intermediate feature musicnn exposes, not committed).
"""

import argparse
import hashlib
import json
import os
import platform
import sys

import numpy as np

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
DEFAULT_JORAM = os.path.join(
    os.path.dirname(REPO), "shared", "audio", "joram-moments_of_clarity-08-solipsism-59-88.mp3"
)
EXPECTED_TOP10 = [
    "techno", "electronic", "synth", "fast", "beat",
    "drums", "no vocals", "no vocal", "dance", "ambient",
]
MODELS = ["MTT_musicnn", "MTT_vgg", "MSD_musicnn", "MSD_vgg"]
N_FRAMES = 187
# (fixture clip, patch indices taken from musicnn's non-overlapping batching)
CLIPS = [
    ("fixtures/audio/real_16k_mono.wav", [0, 1]),  # nexuiz-music, electronic/metal
    ("fixtures/audio/real_44k_stereo.flac", [0]),  # wesnoth, orchestral
]
RANDOM_SEED = 20261121


def sha256(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        h.update(f.read())
    return h.hexdigest()


class Model:
    """One musicnn model in a TF1 graph, weights restored strictly."""

    def __init__(self, name, n_frames=N_FRAMES):
        import tensorflow as tf
        from musicnn import configuration as config
        from musicnn import models

        self.name = name
        self.labels = config.MTT_LABELS if name.startswith("MTT") else config.MSD_LABELS
        self.graph = tf.Graph()
        with self.graph.as_default():
            with tf.name_scope("model"):
                self.x = tf.compat.v1.placeholder(tf.float32, [None, n_frames, config.N_MELS])
                self.is_training = tf.compat.v1.placeholder(tf.bool)
                out = models.define_model(self.x, self.is_training, name, len(self.labels))
                logits = out[0]
                self.probabilities = tf.nn.sigmoid(logits)
                self.logits = logits
                if "vgg" in name:
                    pool5 = out[5]
                    self.embedding = tf.reshape(pool5, [-1, int(np.prod(pool5.shape[1:]))])
                    self.features = dict(zip(["pool1", "pool2", "pool3", "pool4", "pool5"], out[1:]))
                else:
                    self.embedding = out[8]
                    keys = ["timbral", "temporal", "cnn1", "cnn2", "cnn3", "mean_pool", "max_pool",
                            "penultimate"]
                    self.features = dict(zip(keys, out[1:]))
            self.session = tf.compat.v1.Session(graph=self.graph)
            saver = tf.compat.v1.train.Saver()
            import musicnn

            prefix = os.path.join(os.path.dirname(musicnn.__file__), name) + "/"
            # No try/except: a failed restore must stop the script.
            saver.restore(self.session, prefix)
            self.checkpoint = prefix

    def run(self, patches, fetch_features=False):
        fetches = {"probabilities": self.probabilities, "logits": self.logits,
                   "embedding": self.embedding}
        if fetch_features:
            fetches.update(self.features)
        return self.session.run(fetches, feed_dict={self.x: patches, self.is_training: False})


def musicnn_patches(path):
    """musicnn's own front-end (extractor.batch_data): float16 mel, log10(10000 x + 1)."""
    from musicnn.extractor import batch_data

    batch, _ = batch_data(path, N_FRAMES, N_FRAMES)
    return batch.astype(np.float32)


def sanity_check(joram):
    """MTT_musicnn's top-10 on the README clip, as musicnn's tagger.top_tags computes it."""
    model = Model("MTT_musicnn")
    patches = musicnn_patches(joram)
    taggram = model.run(patches)["probabilities"]
    means = taggram.mean(axis=0)
    top10 = [model.labels[i] for i in np.argsort(means)[::-1][:10]]
    print(f"sanity check: {os.path.basename(joram)}: {patches.shape[0]} patches, "
          f"MTT_musicnn top-10: {top10}")
    if top10 != EXPECTED_TOP10:
        sys.exit(f"SANITY CHECK FAILED: expected {EXPECTED_TOP10}; the weights did not load "
                 "(use tensorflow-cpu==2.15.* with numpy<2)")
    return top10, patches.shape[0]


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--joram", default=DEFAULT_JORAM)
    ap.add_argument("--out", default=os.path.join(REPO, "fixtures", "reference", "musicnn"))
    ap.add_argument("--debug-dir", default=None)
    args = ap.parse_args()

    import librosa
    import tensorflow as tf
    import musicnn

    top10, joram_patches = sanity_check(args.joram)

    sources = []
    patches = []
    for rel, indices in CLIPS:
        path = os.path.join(REPO, rel)
        batch = musicnn_patches(path)
        for i in indices:
            patches.append(batch[i])
            sources.append({"clip": rel, "clip_sha256": sha256(path), "patch": i,
                            "frames": [i * N_FRAMES, (i + 1) * N_FRAMES]})
    rng = np.random.default_rng(RANDOM_SEED)
    patches.append(rng.uniform(0.0, 3.0, size=(N_FRAMES, 96)).astype(np.float32))
    sources.append({"random": f"numpy default_rng({RANDOM_SEED}).uniform(0, 3, (187, 96))"})
    patches = np.stack(patches).astype(np.float32)

    os.makedirs(args.out, exist_ok=True)
    files = {}

    def save(name, array):
        path = os.path.join(args.out, name)
        np.save(path, np.ascontiguousarray(array, dtype=np.float32))
        files[name] = {"shape": list(array.shape), "sha256": sha256(path)}

    save("patches.npy", patches)
    outputs = {}
    for name in MODELS:
        model = Model(name)
        out = model.run(patches, fetch_features=args.debug_dir is not None)
        save(f"{name}.probabilities.npy", out["probabilities"])
        save(f"{name}.embedding.npy", out["embedding"])
        top = [[model.labels[j] for j in np.argsort(p)[::-1][:3]] for p in out["probabilities"]]
        outputs[name] = {"checkpoint": "musicnn/" + name + "/", "top3_per_patch": top,
                         "embedding_dim": int(out["embedding"].shape[1])}
        print(f"{name}: top-3 per patch {top}")
        if args.debug_dir:
            os.makedirs(args.debug_dir, exist_ok=True)
            for k, v in out.items():
                np.save(os.path.join(args.debug_dir, f"{name}.{k}.npy"), v)

    manifest = {
        "generator": "scripts/reference/musicnn_reference.py",
        "what": "musicnn (TensorFlow) outputs for fixed log-mel patches: sigmoid probabilities and "
                "the penultimate layer, inference mode (is_training=False), float32",
        "versions": {
            "python": platform.python_version(),
            "tensorflow": tf.__version__,
            "numpy": np.__version__,
            "librosa": librosa.__version__,
            "musicnn": "0.1.0 (PyPI wheel, ISC licence)",
        },
        "musicnn_package": os.path.dirname(musicnn.__file__),
        "sanity_check": {"clip": os.path.basename(args.joram), "patches": joram_patches,
                         "MTT_musicnn_top10": top10, "expected": EXPECTED_TOP10, "passed": True},
        "patches": {"file": "patches.npy", "n_frames": N_FRAMES, "n_mels": 96,
                    "front_end": "musicnn extractor.batch_data: librosa.load(sr=16000), "
                                 "melspectrogram(n_fft=512, hop=256, n_mels=96), astype(float16), "
                                 "log10(10000 x + 1), non-overlapping 187-frame patches",
                    "sources": sources},
        "embedding": {"musicnn": "backend 'penultimate' (batch-normalised dense, 200)",
                      "vgg": "pool5 (2, 1, 128) flattened in TF order (time, freq, channel)"},
        "models": outputs,
        "files": files,
    }
    with open(os.path.join(args.out, "manifest.json"), "w") as f:
        json.dump(manifest, f, indent=2)
        f.write("\n")
    total = sum(os.path.getsize(os.path.join(args.out, n)) for n in os.listdir(args.out))
    print(f"wrote {len(files)} arrays + manifest.json to {args.out} ({total} bytes)")


if __name__ == "__main__":
    main()
