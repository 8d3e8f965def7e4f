#!/usr/bin/env bash
# Installs the Debian packages musearch's build, tests and main job need, if any are missing.
# Run as root (or with sudo) on Debian 12. Used by .ci/run and scripts/main.sh.
#
#   build-essential  torch-sys compiles its C++ glue and links -lgomp; mimalloc compiles its C source
#   pkg-config, libopus-dev, cmake   the opus crate links the system libopus (cmake: bundled fallback)
#   libsoxr-dev      the front-end resamples with libsoxr's HQ recipe, as librosa does (linked dynamically)
#   python3, python3-venv, python3-pip   the venv that provides libtorch (scripts/setup-libtorch.sh)
#   ca-certificates  HTTPS to the package registries
#   chromium         the headless browser of the page's tests (tests/browser, driven by playwright-core)
#   fluidsynth, fluid-soundfont-gm   render the synthetic data set's MIDI with the FluidR3 General-MIDI
#                    soundfont (models/tests/synth_dataset.rs, models/tests/train_fcn.rs, tests/cli_train.rs
#                    fail without them)
#   ffmpeg           scripts/eval/build-search-catalog.sh cuts, encodes and measures the search-evaluation
#                    catalog (ffmpeg, ffprobe); the catalog's MIDI pieces are rendered with fluidsynth
#   extra packages may be named as arguments (the main job adds unzip for the demo catalog)
set -euo pipefail

packages=(build-essential pkg-config libopus-dev libsoxr-dev cmake python3 python3-venv python3-pip ca-certificates chromium fluidsynth fluid-soundfont-gm ffmpeg "$@")
missing=()
for p in "${packages[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ "${#missing[@]}" -eq 0 ]; then
    exit 0
fi
sudo=""
if [ "$(id -u)" -ne 0 ]; then
    command -v sudo >/dev/null || { echo "install-system-deps: need root to install: ${missing[*]}" >&2; exit 1; }
    sudo=sudo
fi
echo "install-system-deps: installing ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
$sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
