#!/usr/bin/env bash
# build-search-catalog.sh OUT_DIR
#
# Builds the labelled catalog of the end-to-end search benchmark (docs/EVALUATION.md,
# "End-to-end search") from Debian packages only:
#
#   sonic-pi-samples       CC0 samples; labels from the file-name prefix (ambi_, bass_, bd_ …)
#   hydrogen-drumkits      drum one-shots; acoustic / electronic / hand-percussion kit, instrument
#                          from the file name
#   the game soundtracks   scripts/fetch-demo-music.sh's six packages; package-level style labels
#   fluidsynth + fluid-soundfont-gm   generated MIDI pieces with known labels (instrument family,
#                          solo/ensemble, tempo, dynamics, major/minor, drums or none, density),
#                          short jingles, near-silent copies; MP3 copies as exact duplicates
#
# Leaves OUT_DIR/catalog/ (the audio, ~2 h) and OUT_DIR/manifest.tsv (file -> source, album,
# duplicate_of, duration, RMS level, labels). Deterministic: same packages, same catalog.
# .debs go to OUT_DIR/.debs and are unpacked under OUT_DIR/.src (nothing is installed).
# GAME_MUSIC_DIR: an existing scripts/fetch-demo-music.sh output to reuse (default: fetched
# into OUT_DIR/.src/games). Needs ffmpeg, fluidsynth, fluid-soundfont-gm (scripts/install-system-deps.sh).
set -euo pipefail

if [[ $# -ne 1 ]]; then
    echo "usage: $0 OUT_DIR" >&2
    exit 2
fi
here=$(cd "$(dirname "$0")" && pwd)
for tool in apt-get dpkg ffmpeg ffprobe fluidsynth python3; do
    command -v "$tool" >/dev/null || { echo "error: $tool not found (scripts/install-system-deps.sh)" >&2; exit 1; }
done
soundfont=/usr/share/sounds/sf2/FluidR3_GM.sf2
[[ -f $soundfont ]] || { echo "error: $soundfont missing (apt-get install fluid-soundfont-gm)" >&2; exit 1; }

mkdir -p "$1"
out=$(cd "$1" && pwd)
debs="$out/.debs"
src="$out/.src"
mkdir -p "$debs" "$src"

for pkg in sonic-pi-samples hydrogen-drumkits; do
    if [[ -f "$src/$pkg/.complete" ]]; then
        continue
    fi
    deb=$(find "$debs" -maxdepth 1 -name "${pkg}_*.deb" | sort | tail -n 1)
    if [[ -z "$deb" ]]; then
        echo "== $pkg: downloading"
        (cd "$debs" && apt-get download -q "$pkg" 2>&1 | grep -v 'unsandboxed' || true)
        deb=$(find "$debs" -maxdepth 1 -name "${pkg}_*.deb" | sort | tail -n 1)
        [[ -n "$deb" ]] || { echo "error: apt-get download $pkg produced no .deb" >&2; exit 1; }
    fi
    rm -rf "${src:?}/$pkg"
    dpkg -x "$deb" "$src/$pkg"
    date -u +%FT%TZ > "$src/$pkg/.complete"
done

games=${GAME_MUSIC_DIR:-$src/games}
"$here/../fetch-demo-music.sh" "$games" >/dev/null

rm -rf "$out/catalog"
python3 "$here/search_catalog.py" build \
    --sonic-pi "$src/sonic-pi-samples/usr/share/sonic-pi/samples" \
    --hydrogen "$src/hydrogen-drumkits/usr/share/hydrogen/data/drumkits" \
    --games "$games" \
    --out "$out/catalog" \
    --manifest "$out/manifest.tsv" \
    --soundfont "$soundfont"
# The licences of what was taken.
mkdir -p "$out/catalog/LICENSES"
cp "$src/sonic-pi-samples/usr/share/doc/sonic-pi-samples/copyright" "$out/catalog/LICENSES/sonic-pi-samples.copyright"
cp "$src/hydrogen-drumkits/usr/share/doc/hydrogen-drumkits/copyright" "$out/catalog/LICENSES/hydrogen-drumkits.copyright"
for d in "$games"/*/; do
    [[ -f "$d/COPYRIGHT.debian" ]] && cp "$d/COPYRIGHT.debian" "$out/catalog/LICENSES/$(basename "$d").copyright"
done
awk -F'\t' '!/^#/ { n++; s += $5 } END { printf "catalog: %d files, %.2f h of audio\n", n, s / 3600 }' "$out/manifest.tsv"
