#!/usr/bin/env bash
# Creates the two Python environments of the reference implementations, inside the repo (ignored
# by git). Only benchmarks and the reference generators need them; the tests and CI never do.
#
#     scripts/reference/setup-venvs.sh [ref|tf|all]     (default all)
#
#   .venv-ref  librosa 0.11 and friends, pinned in scripts/reference/requirements.txt:
#              scripts/reference/frontend.py, scripts/bench/librosa_frontend.py, metrics_sklearn.py
#   .venv-tf   tensorflow-cpu 2.15 with numpy<2, librosa 0.11 and the musicnn wheel installed with
#              --no-deps (DESIGN.md: TensorFlow >= 2.16 silently runs musicnn with random weights):
#              scripts/reference/musicnn_reference.py, scripts/bench/tagger.sh
# Idempotent. PYTHON picks the interpreter (default python3; 3.11 works).
set -euo pipefail
repo="$(cd "$(dirname "$0")/../.." && pwd)"
python="${PYTHON:-python3}"
which="${1:-all}"

make_venv() {
    local dir="$1"
    [ -x "$dir/bin/python" ] || "$python" -m venv "$dir"
    "$dir/bin/pip" install --quiet --upgrade pip >/dev/null
}

if [ "$which" = ref ] || [ "$which" = all ]; then
    make_venv "$repo/.venv-ref"
    "$repo/.venv-ref/bin/pip" install --quiet -r "$repo/scripts/reference/requirements.txt"
    echo "ready: $repo/.venv-ref ($("$repo/.venv-ref/bin/python" -c 'import librosa; print("librosa", librosa.__version__)'))"
fi
if [ "$which" = tf ] || [ "$which" = all ]; then
    make_venv "$repo/.venv-tf"
    "$repo/.venv-tf/bin/pip" install --quiet "tensorflow-cpu==2.15.*" "numpy<2" "librosa==0.11.*"
    "$repo/.venv-tf/bin/pip" install --quiet --no-deps "musicnn==0.1.0"
    echo "ready: $repo/.venv-tf ($("$repo/.venv-tf/bin/python" -c 'import tensorflow as tf; print("tensorflow", tf.__version__)' 2>/dev/null))"
fi
