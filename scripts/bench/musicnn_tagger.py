#!/usr/bin/env python3
"""Times musicnn's own Python tagger (TensorFlow 2.15, CPU) on a list of files, in one process.

    .venv-tf/bin/python scripts/bench/musicnn_tagger.py [--model MTT_musicnn] FILE... > musicnn.json

For every file it calls `musicnn.extractor.extractor(file, model, input_length=3,
input_overlap=False, extract_features=False)`, exactly what `musicnn.tagger.top_tags` does:
librosa.load(sr=16000) + melspectrogram, a fresh TensorFlow graph and checkpoint restore, and one
`sess.run` per 3 s patch (musicnn's configuration.BATCH_SIZE is 1). The track-level score is the
mean over patches, as top_tags computes it.

Then, unless `--network-patches 0`, it builds the graph once and times `sess.run` alone on the
first --network-patches patches of the files (batches of --network-batch, default musicnn's own
1), to separate the network's speed from librosa and graph building. That phase runs inside the
same process, so a caller timing the whole process for a throughput figure must pass
`--network-patches 0` (scripts/bench/tagger.sh does, and times the network alone in a separate
process with `--network-only`, which skips the tagging).

Prints one JSON object: versions, per-file {path, duration_s, patches, seconds, top5}, totals.
Files that fail are listed under "skipped" and do not stop the run.
"""
import argparse
import contextlib
import io
import json
import os
import sys
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402
import librosa  # noqa: E402
from musicnn import configuration as config  # noqa: E402
from musicnn import extractor as ex  # noqa: E402
from musicnn import models  # noqa: E402


def network_only(files, model, max_patches, batch_size):
    """Seconds of sess.run alone over up to max_patches patches, and how many patches."""
    labels = config.MTT_LABELS if "MTT" in model else config.MSD_LABELS
    n_frames = 187
    patches = []
    for f in files:
        with contextlib.redirect_stdout(io.StringIO()):
            batch, _ = ex.batch_data(f, n_frames, n_frames)
        patches.append(batch)
        if sum(len(p) for p in patches) >= max_patches:
            break
    data = np.concatenate(patches)[:max_patches].astype(np.float32)
    tf.compat.v1.reset_default_graph()
    with tf.name_scope("model"):
        x = tf.compat.v1.placeholder(tf.float32, [None, n_frames, config.N_MELS])
        is_training = tf.compat.v1.placeholder(tf.bool)
        y = models.define_model(x, is_training, model, len(labels))[0]
        y = tf.nn.sigmoid(y)
    sess = tf.compat.v1.Session()
    sess.run(tf.compat.v1.global_variables_initializer())
    tf.compat.v1.train.Saver().restore(sess, os.path.dirname(ex.__file__) + "/" + model + "/")
    sess.run(y, feed_dict={x: data[:batch_size], is_training: False})  # warm-up
    t0 = time.perf_counter()
    for s in range(0, len(data), batch_size):
        sess.run(y, feed_dict={x: data[s : s + batch_size], is_training: False})
    return time.perf_counter() - t0, len(data)


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--model", default="MTT_musicnn")
    p.add_argument("--network-patches", type=int, default=640,
                   help="patches for the network-only timing (0: skip it)")
    p.add_argument("--network-batch", type=int, default=config.BATCH_SIZE,
                   help="batch size of the network-only timing (default: musicnn's, 1)")
    p.add_argument("--network-only", action="store_true",
                   help="skip the tagging: only the network-only timing on the files' patches")
    p.add_argument("files", nargs="+")
    a = p.parse_args()
    if a.network_only and a.network_patches <= 0:
        p.error("--network-only needs --network-patches > 0")
    out = {
        "versions": {"tensorflow": tf.__version__, "librosa": librosa.__version__, "numpy": np.__version__},
        "threads": {"intra_op": tf.config.threading.get_intra_op_parallelism_threads(),
                    "inter_op": tf.config.threading.get_inter_op_parallelism_threads()},
        "files": [], "skipped": [],
    }
    t_all = time.perf_counter()
    for f in [] if a.network_only else a.files:
        t0 = time.perf_counter()
        try:
            with contextlib.redirect_stdout(io.StringIO()):
                taggram, tags = ex.extractor(f, model=a.model, input_length=3, input_overlap=False,
                                             extract_features=False)
        except Exception as e:  # noqa: BLE001 - a bad file is reported, the run goes on
            out["skipped"].append({"path": f, "reason": repr(e)})
            continue
        dt = time.perf_counter() - t0
        mean = taggram.mean(axis=0)
        top = [tags[i] for i in np.argsort(-mean)[:5]]
        duration = librosa.get_duration(path=f)
        out["files"].append({"path": f, "duration_s": duration, "patches": int(taggram.shape[0]),
                             "seconds": dt, "top5": top})
        print(f"musicnn: {os.path.basename(f)}: {dt:.1f} s, {taggram.shape[0]} patches", file=sys.stderr)
    out["total_s"] = time.perf_counter() - t_all
    if a.network_patches > 0:
        secs, n = network_only(a.files, a.model, a.network_patches, a.network_batch)
        out["network_only"] = {"seconds": secs, "patches": n, "batch_size": a.network_batch}
    json.dump(out, sys.stdout, indent=1)
    print()


if __name__ == "__main__":
    main()
