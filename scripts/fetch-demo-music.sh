#!/usr/bin/env bash
# fetch-demo-music.sh DEST_DIR
#
# Downloads Debian's freely licensed game-music packages and leaves their music as plain
# audio files under DEST_DIR/<package>/..., ready for `musearch index DEST_DIR`.
#
#   wesnoth-1.16-music     orchestral, Ogg Vorbis          GPL-2+
#   warzone2100-music      electronic/orchestral, Ogg Opus  GPL-2+ (Aftermath/Legacy albums: CC-BY-SA-3.0+ or GPL-2+)
#   nexuiz-music           electronic/metal, Ogg Vorbis inside a .pk3 (zip)   GPL-2+
#   hyperrogue-music       ambient/orchestral, Ogg Vorbis   CC-BY-SA-3.0
#   planetblupi-music-ogg  Ogg Vorbis                        GPL-3+
#   singularity-music      electronic, Ogg Vorbis            CC-BY-SA-3.0
#
# The packages are fetched with `apt-get download` and unpacked with `dpkg -x`: nothing is
# installed. Run `apt-get update` first on a fresh machine. Works as root or as a normal user.
# Only the music folders are kept (hyperrogue's sound effects are left out); each package's
# Debian copyright file (and any upstream licence file shipped next to the music) is copied to
# DEST_DIR/<package>/ next to the audio, as the licences require.
#
# Idempotent: a package whose DEST_DIR/<package>/.complete marker exists is skipped.
# Set DEBS_DIR to reuse (or keep) downloaded .deb files; by default they go to DEST_DIR/.debs
# and are deleted after unpacking.
#
# Ends with a summary: files per format, and hours of audio per package when ffprobe is present.
set -euo pipefail

if [[ $# -ne 1 ]]; then
    echo "usage: $0 DEST_DIR" >&2
    exit 2
fi

PACKAGES=(
    wesnoth-1.16-music
    warzone2100-music
    nexuiz-music
    hyperrogue-music
    planetblupi-music-ogg
    singularity-music
)

# Folder inside each unpacked package that holds the music. A package not listed here, or
# whose folder moved in a later version, falls back to every audio file outside */sounds/*.
declare -A MUSIC_ROOT=(
    [wesnoth-1.16-music]=usr/share/games/wesnoth/1.16/data/core/music
    [warzone2100-music]=usr/share/games/warzone2100/music
    [nexuiz-music]=pk3/music/sound/cdtracks
    [hyperrogue-music]=usr/share/hyperrogue/music
    [planetblupi-music-ogg]=usr/share/planetblupi/music
    [singularity-music]=usr/share/games/singularity/music
)

AUDIO_FIND_EXPR=( \( -iname '*.ogg' -o -iname '*.oga' -o -iname '*.opus' -o -iname '*.mp3'
                     -o -iname '*.flac' -o -iname '*.wav' -o -iname '*.m4a' \) )

for tool in apt-get dpkg; do
    command -v "$tool" >/dev/null || { echo "error: $tool not found (this script needs Debian/Ubuntu)" >&2; exit 1; }
done

mkdir -p "$1"
DEST=$(cd "$1" && pwd)
KEEP_DEBS=1
if [[ -z "${DEBS_DIR:-}" ]]; then
    DEBS_DIR="$DEST/.debs"
    KEEP_DEBS=0
fi
mkdir -p "$DEBS_DIR"
DEBS_DIR=$(cd "$DEBS_DIR" && pwd)

# unzip_to ARCHIVE DIR: extract a zip (.pk3) with whatever tool this machine has.
unzip_to() {
    local archive=$1 dir=$2
    mkdir -p "$dir"
    if command -v unzip >/dev/null; then
        unzip -q -o "$archive" -d "$dir"
    elif command -v python3 >/dev/null; then
        python3 -m zipfile -e "$archive" "$dir"
    elif command -v bsdtar >/dev/null; then
        bsdtar -xf "$archive" -C "$dir"
    elif [[ $(id -u) -eq 0 ]]; then
        echo "   installing unzip to open $(basename "$archive")"
        DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends unzip >/dev/null
        unzip -q -o "$archive" -d "$dir"
    else
        echo "error: need unzip, python3 or bsdtar to open $archive (apt-get install unzip)" >&2
        return 1
    fi
}

skipped=()
for pkg in "${PACKAGES[@]}"; do
    out="$DEST/$pkg"
    if [[ -f "$out/.complete" ]]; then
        echo "== $pkg: already unpacked, skipping"
        continue
    fi
    if ! apt-cache show "$pkg" >/dev/null 2>&1; then
        echo "== $pkg: not known to apt (run apt-get update?), skipping" >&2
        skipped+=("$pkg")
        continue
    fi

    deb=$(find "$DEBS_DIR" -maxdepth 1 -name "${pkg}_*.deb" | sort | tail -n 1)
    if [[ -z "$deb" ]]; then
        echo "== $pkg: downloading"
        # apt-get download writes into the current directory. As root, apt warns that the
        # download is unsandboxed when _apt cannot write there; that warning is harmless.
        (cd "$DEBS_DIR" && apt-get download -q "$pkg" 2>&1 | grep -v 'unsandboxed' || true)
        deb=$(find "$DEBS_DIR" -maxdepth 1 -name "${pkg}_*.deb" | sort | tail -n 1)
        if [[ -z "$deb" ]]; then
            echo "error: apt-get download $pkg produced no .deb" >&2
            exit 1
        fi
    else
        echo "== $pkg: using $(basename "$deb")"
    fi

    staging="$DEST/.staging-$pkg"
    rm -rf "$staging" "$out"
    mkdir -p "$staging"
    dpkg -x "$deb" "$staging"

    # Quake-engine games keep their data in .pk3 zip archives: open them.
    while IFS= read -r -d '' pk3; do
        echo "   unzipping $(basename "$pk3")"
        unzip_to "$pk3" "$staging/pk3/$(basename "$pk3" .pk3)"
    done < <(find "$staging" -name '*.pk3' -print0)

    root="${MUSIC_ROOT[$pkg]:-}"
    if [[ -n "$root" && -d "$staging/$root" ]]; then
        src="$staging/$root"
        filter=()
    else
        echo "   music folder not found where expected; taking every audio file outside */sounds/*"
        src="$staging"
        filter=( -not -path '*/sounds/*' )
    fi

    mkdir -p "$out"
    n=0
    while IFS= read -r -d '' f; do
        rel=${f#"$src"/}
        mkdir -p "$out/$(dirname "$rel")"
        mv "$f" "$out/$rel"
        n=$((n + 1))
    done < <(find "$src" -type f "${AUDIO_FIND_EXPR[@]}" "${filter[@]}" -print0)

    # Licences: Debian's copyright file, plus upstream licence files shipped with the music.
    for c in "$staging"/usr/share/doc/*/copyright; do
        if [[ -f "$c" ]]; then cp "$c" "$out/COPYRIGHT.debian"; fi
    done
    while IFS= read -r -d '' lic; do
        rel=${lic#"$src"/}
        mkdir -p "$out/$(dirname "$rel")"
        cp "$lic" "$out/$rel"
    done < <(find "$src" -type f \( -iname 'license*' -o -iname 'copying*' -o -iname 'album.json' \) -print0)

    rm -rf "$staging"
    [[ $KEEP_DEBS -eq 1 ]] || rm -f "$deb"
    echo "   $n audio files -> $out"
    date -u +%FT%TZ > "$out/.complete"
done
[[ $KEEP_DEBS -eq 1 ]] || rmdir "$DEBS_DIR" 2>/dev/null || true

# ---- summary -------------------------------------------------------------------------------
echo
echo "== summary of $DEST"
echo "files per format:"
find "$DEST" -type f "${AUDIO_FIND_EXPR[@]}" -not -path '*/.*' \
    | sed -E 's/.*\.([^.\/]+)$/\1/' | tr 'A-Z' 'a-z' | sort | uniq -c | sed 's/^/  /'

if command -v ffprobe >/dev/null; then
    echo "hours per package (ffprobe):"
    total=0
    unreadable=0
    for pkg in "${PACKAGES[@]}"; do
        [[ -d "$DEST/$pkg" ]] || continue
        secs=0
        count=0
        while IFS= read -r -d '' f; do
            d=$(ffprobe -v error -show_entries format=duration -of default=nw=1:nk=1 "$f" 2>/dev/null || true)
            if [[ "$d" =~ ^[0-9.]+$ ]]; then
                secs=$(awk -v a="$secs" -v b="$d" 'BEGIN { printf "%.3f", a + b }')
            else
                unreadable=$((unreadable + 1))
                echo "  (ffprobe cannot read ${f#"$DEST"/}; not counted)"
            fi
            count=$((count + 1))
        done < <(find "$DEST/$pkg" -type f "${AUDIO_FIND_EXPR[@]}" -print0)
        awk -v p="$pkg" -v n="$count" -v s="$secs" 'BEGIN { printf "  %-24s %4d files %7.2f h\n", p, n, s / 3600 }'
        total=$(awk -v a="$total" -v b="$secs" 'BEGIN { printf "%.3f", a + b }')
    done
    awk -v s="$total" -v u="$unreadable" 'BEGIN { printf "  total %.2f h (%d files ffprobe could not read)\n", s / 3600, u }'
else
    echo "(ffprobe not found: skipping durations)"
fi

if [[ ${#skipped[@]} -gt 0 ]]; then
    echo "skipped (unknown to apt): ${skipped[*]}"
fi
