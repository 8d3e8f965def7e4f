#!/usr/bin/env bash
# The main job, in one command, on a fresh Debian 12 machine (as root, or with sudo):
#
#     scripts/main.sh
#
# As it stands today (see README "Status"): installs what musearch needs, builds it in release
# mode, imports the four pretrained musicnn taggers from their PyPI wheel, fetches a real demo
# catalog of about 12 hours of music from Debian's game-music packages and indexes it (sled +
# tantivy, with a progress bar). Searching it and serving the page on localhost arrive with
# issues 5, 6 and 8.
#
# Idempotent: a second run reuses the venv, the build, the models and the music, and starts in
# seconds. Everything goes under $MUSEARCH_HOME (default ~/.local/share/musearch).
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

step "demo catalog (Debian music packages) into $MUSEARCH_HOME/demo-music"
scripts/fetch-demo-music.sh "$MUSEARCH_HOME/demo-music"

step "index the demo catalog (both default taggers; incremental: a second run skips what is done)"
"$musearch" index "$MUSEARCH_HOME/demo-music" --report "$MUSEARCH_HOME/index-report.json"
"$musearch" info

step "a first look: the tags and the spectrogram of one track"
first="$(find "$MUSEARCH_HOME/demo-music" -type f -name '*.ogg' | sort | head -n 1)"
"$musearch" tag --model MSD_musicnn --top 5 --taggram "$MUSEARCH_HOME/demo-taggram.png" "$first"
"$musearch" mel "$first" --png "$MUSEARCH_HOME/demo-mel.png"

cat <<EOM

Done. Models, the demo music, the index and its report ($MUSEARCH_HOME/index-report.json) are in
$MUSEARCH_HOME; pictures of one track: demo-taggram.png and demo-mel.png there.
Searching the index and the page on 127.0.0.1 are not built yet (issues 5, 6 and 8).
EOM
