#!/usr/bin/env bash
# Downloads the musicnn wheel from PyPI (no dependencies, no TensorFlow) and unpacks it into DEST.
#
#   scripts/fetch-musicnn-wheel.sh DEST
#   export MUSEARCH_MUSICNN_WHEEL_DIR=DEST
#
# DEST then holds musicnn/{MTT,MSD}_{musicnn,vgg}/ (TensorFlow checkpoints), musicnn/models.py and
# musicnn-0.1.0.dist-info/LICENSE.md (ISC). The checkpoint tests and the fidelity tests of
# musearch-models read the checkpoints from there.
set -euo pipefail

if [ $# -ne 1 ]; then
    echo "usage: $0 DEST" >&2
    exit 2
fi
dest=$1
version=${MUSICNN_VERSION:-0.1.0}
python=${PYTHON:-python3}

if [ -f "$dest/musicnn/MTT_musicnn/.index" ]; then
    echo "musicnn wheel already unpacked in $dest"
    exit 0
fi

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
"$python" -m pip download --quiet --no-deps --only-binary=:all: --dest "$tmp" "musicnn==$version"
wheel=$(ls "$tmp"/musicnn-*.whl)
mkdir -p "$dest"
"$python" - "$wheel" "$dest" <<'PY'
import sys, zipfile
zipfile.ZipFile(sys.argv[1]).extractall(sys.argv[2])
PY
for m in MTT_musicnn MTT_vgg MSD_musicnn MSD_vgg; do
    test -f "$dest/musicnn/$m/.index" || { echo "missing $m checkpoint in $wheel" >&2; exit 1; }
done
echo "musicnn $version unpacked in $dest"
