#!/usr/bin/env bash
# make_fixtures.sh MUSIC_DIR [OUT_DIR]
#
# Regenerates the audio fixtures in fixtures/audio/ (and fixtures/audio/bad/) from the Debian
# game-music packages, as unpacked by `scripts/fetch-demo-music.sh MUSIC_DIR`.
# OUT_DIR defaults to fixtures/audio of this repository.
#
# Needs ffmpeg (with libvorbis, libmp3lame, libopus; the native aac, ac3 and wmav2 encoders)
# and python3 (standard library only). After regenerating, refresh the librosa references:
#   .venv-ref/bin/python scripts/reference/frontend.py   (scripts/reference/setup-venvs.sh ref)
#
# Every excerpt is cut by sample index with ffmpeg's atrim filter (decoding from the start of the
# track), so every clip has exactly round(duration x rate) samples before any resampling. `-bitexact` flags and `-map_metadata -1` keep the
# outputs free of encoder-version strings, source tags and random Ogg serial numbers, so a rerun
# with the same ffmpeg gives byte-identical files. (A different ffmpeg/libvorbis/lame version may
# change the lossy files by a few LSBs: the committed files, not this script, are the reference.)
#
# Offsets were chosen as the 5 s window with the highest onset strength x loudness between
# 15 % and 85 % of each track (musically busy, no silence).
#
# | fixture                   | package / track                                           | at (s) | len | notes                         |
# |---------------------------|-----------------------------------------------------------|--------|-----|-------------------------------|
# | real_16k_mono.wav         | nexuiz-music / brainsukker.ogg                            | 325.0  | 6   | s16, the exact-path clip      |
# | real_44k_stereo.flac      | wesnoth-1.16-music / battle-epic.ogg                      | 46.5   | 4   | s16 FLAC                      |
# | real_48k_stereo.ogg       | singularity-music / Nebula.ogg                            | 234.0  | 4   | Vorbis q4                     |
# | real_44k_stereo.mp3       | planetblupi-music-ogg / music003.ogg                      | 907.0  | 4   | LAME CBR 128k, Xing/LAME tag  |
# | real_48k_stereo.opus      | warzone2100-music / albums/aftermath_soundtrack/track23.opus | 266.5 | 4 | Ogg Opus 96k                  |
# | real_44k_stereo.m4a       | hyperrogue-music / hr3-hell.ogg                           | 59.5   | 4   | AAC-LC 128k in MP4            |
# | real_22k_mono.wav         | wesnoth-1.16-music / frantic.ogg                          | 100.0  | 4   | s16                           |
# | pcm_u8_16k.wav            | nexuiz-music / infight.ogg                                | 296.0  | 4   | unsigned 8-bit, mono          |
# | pcm_s24_48k.wav           | singularity-music / Media Threat.ogg                      | 108.0  | 1.5 | signed 24-bit, mono           |
# | pcm_f32_44k.wav           | wesnoth-1.16-music / the_dangerous_symphony.ogg           | 123.5  | 1.5 | IEEE float 32-bit, mono       |
# | surround_6ch_48k.wav      | warzone2100-music / albums/aftermath_soundtrack/track25.opus | 378.0 | 1 | 5.1, s16, every channel differs |
# | short_2s_16k.wav          | nexuiz-music / digital-pursuit.ogg                        | 160.0  | 2   | shorter than one 3 s patch    |
# | ogg_named.mp3             | wesnoth-1.16-music / knalgan_theme.ogg                    | 187.0  | 4   | Ogg Vorbis, wrong extension   |
# | bad/truncated.flac        | nexuiz-music / brainsukker.ogg                            | 331.0  | 2   | 16 kHz mono FLAC, first 40 %  |
# | bad/truncated.mp3         | nexuiz-music / brainsukker.ogg                            | 331.0  | 2   | 44.1 kHz mp3, first 40 %      |
# | bad/unsupported_codec.mka | warzone2100-music / albums/aftermath_soundtrack/track23.opus | 270.0 | 1 | AC-3 in Matroska           |
# | bad/unsupported_container.wma | wesnoth-1.16-music / battle-epic.ogg                  | 50.0   | 1   | WMA v2 in ASF                 |
# The other bad inputs (empty, garbage, text, header-only, NaN/inf) are synthesised below.
set -euo pipefail

if [[ $# -lt 1 || $# -gt 2 ]]; then
    echo "usage: $0 MUSIC_DIR [OUT_DIR]" >&2
    exit 2
fi
MUSIC=$(cd "$1" && pwd)
REPO=$(cd "$(dirname "$0")/../.." && pwd)
OUT=${2:-$REPO/fixtures/audio}
PYTHON=${PYTHON:-python3}
mkdir -p "$OUT/bad"

NEXUIZ=$MUSIC/nexuiz-music
WESNOTH=$MUSIC/wesnoth-1.16-music
WZ=$MUSIC/warzone2100-music/albums/aftermath_soundtrack
SING=$MUSIC/singularity-music
BLUPI=$MUSIC/planetblupi-music-ogg
HYPER=$MUSIC/hyperrogue-music

for f in "$NEXUIZ/brainsukker.ogg" "$WESNOTH/battle-epic.ogg" "$SING/Nebula.ogg" "$BLUPI/music003.ogg" \
         "$WZ/track23.opus" "$HYPER/hr3-hell.ogg" "$WESNOTH/frantic.ogg" "$NEXUIZ/infight.ogg" \
         "$SING/Media Threat.ogg" "$WESNOTH/the_dangerous_symphony.ogg" "$WZ/track25.opus" \
         "$NEXUIZ/digital-pursuit.ogg" "$WESNOTH/knalgan_theme.ogg"; do
    [[ -f "$f" ]] || { echo "error: missing $f (run scripts/fetch-demo-music.sh $1 first)" >&2; exit 1; }
done

# excerpt SRC START DURATION OUT FILTER [ffmpeg output options...]
# Cuts [START, START+DURATION) seconds of SRC by sample index (atrim start_sample/end_sample at the
# source's own rate: exact lengths, unlike timestamp-based -ss/-t, which came out a few hundred
# samples short on some Vorbis tracks), then applies FILTER (may be empty) and the output options.
excerpt() {
    local src=$1 start=$2 dur=$3 out=$4 filter=$5
    shift 5
    local sr s0 s1 chain
    sr=$(ffprobe -v error -select_streams a:0 -show_entries stream=sample_rate -of csv=p=0 "$src")
    s0=$(awk -v t="$start" -v r="$sr" 'BEGIN { printf "%d", t * r + 0.5 }')
    s1=$(awk -v a="$s0" -v t="$dur" -v r="$sr" 'BEGIN { printf "%d", a + t * r + 0.5 }')
    chain="atrim=start_sample=$s0:end_sample=$s1,asetpts=N/SR/TB"
    [[ -z "$filter" ]] || chain="$chain,$filter"
    ffmpeg -nostdin -hide_banner -loglevel error -y -i "$src" -af "$chain" \
        -map 0:a:0 -map_metadata -1 -map_chapters -1 -fflags +bitexact -flags:a +bitexact \
        "$@" "$out"
}

echo "== good clips -> $OUT"
excerpt "$NEXUIZ/brainsukker.ogg"            325.0 6 "$OUT/real_16k_mono.wav" ""     -ar 16000 -ac 1 -c:a pcm_s16le
excerpt "$WESNOTH/battle-epic.ogg"           46.5  4 "$OUT/real_44k_stereo.flac" ""  -ar 44100 -ac 2 -c:a flac -sample_fmt s16 -compression_level 8
excerpt "$SING/Nebula.ogg"                   234.0 4 "$OUT/real_48k_stereo.ogg" ""   -ar 48000 -ac 2 -c:a libvorbis -q:a 4
excerpt "$BLUPI/music003.ogg"                907.0 4 "$OUT/real_44k_stereo.mp3" ""   -ar 44100 -ac 2 -c:a libmp3lame -b:a 128k
excerpt "$WZ/track23.opus"                   266.5 4 "$OUT/real_48k_stereo.opus" ""  -ar 48000 -ac 2 -c:a libopus -b:a 96k -f ogg
excerpt "$HYPER/hr3-hell.ogg"                59.5  4 "$OUT/real_44k_stereo.m4a" ""   -ar 44100 -ac 2 -c:a aac -profile:a aac_low -b:a 128k
excerpt "$WESNOTH/frantic.ogg"               100.0 4 "$OUT/real_22k_mono.wav" ""     -ar 22050 -ac 1 -c:a pcm_s16le
excerpt "$NEXUIZ/infight.ogg"                296.0 4 "$OUT/pcm_u8_16k.wav" ""        -ar 16000 -ac 1 -c:a pcm_u8
excerpt "$SING/Media Threat.ogg"             108.0 1.5 "$OUT/pcm_s24_48k.wav" ""       -ar 48000 -ac 1 -c:a pcm_s24le
excerpt "$WESNOTH/the_dangerous_symphony.ogg" 123.5 1.5 "$OUT/pcm_f32_44k.wav" ""      -ar 44100 -ac 1 -c:a pcm_f32le
# 5.1 with six different channels: fronts = the stereo input, centre = mid, LFE = low-passed mid,
# backs = opposite-signed side mixes.
excerpt "$WZ/track25.opus"                   378.0 0.5 "$OUT/surround_6ch_48k.wav" \
    "pan=5.1|FL=c0|FR=c1|FC=0.5*c0+0.5*c1|LFE=0.5*c0+0.5*c1|BL=0.7*c0-0.3*c1|BR=0.7*c1-0.3*c0,lowpass=f=120:c=LFE" \
    -ar 48000 -c:a pcm_s16le
excerpt "$NEXUIZ/digital-pursuit.ogg"        160.0 2 "$OUT/short_2s_16k.wav" ""      -ar 16000 -ac 1 -c:a pcm_s16le
# An Ogg Vorbis stream behind an .mp3 name: decoders must probe the content, not trust the extension.
excerpt "$WESNOTH/knalgan_theme.ogg"         187.0 4 "$OUT/ogg_named.mp3" ""         -ar 44100 -ac 2 -c:a libvorbis -q:a 2 -f ogg

echo "== bad inputs -> $OUT/bad"
BAD=$OUT/bad
: > "$BAD/empty.mp3"

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
# truncate_to_40 FULL OUT: keep the first 40 % of the bytes.
truncate_to_40() {
    local size
    size=$(stat -c %s "$1")
    head -c $((size * 40 / 100)) "$1" > "$2"
}
excerpt "$NEXUIZ/brainsukker.ogg" 331.0 2 "$tmp/full.flac" "" -ar 16000 -ac 1 -c:a flac -sample_fmt s16
truncate_to_40 "$tmp/full.flac" "$BAD/truncated.flac"
excerpt "$NEXUIZ/brainsukker.ogg" 331.0 2 "$tmp/full.mp3" "" -ar 44100 -ac 2 -c:a libmp3lame -b:a 128k
truncate_to_40 "$tmp/full.mp3" "$BAD/truncated.mp3"

# Codecs / containers symphonia 0.5 does not handle: AC-3 in Matroska, WMA in ASF.
excerpt "$WZ/track23.opus"          270.0 1 "$BAD/unsupported_codec.mka" ""     -ar 48000 -ac 2 -c:a ac3 -b:a 192k -f matroska
excerpt "$WESNOTH/battle-epic.ogg"  50.0  1 "$BAD/unsupported_container.wma" "" -ar 44100 -ac 2 -c:a wmav2 -b:a 128k -f asf

"$PYTHON" - "$BAD" <<'EOF'
import math, random, struct, sys, wave
from pathlib import Path

bad = Path(sys.argv[1])

# 4 KiB of deterministic pseudo-random bytes (Mersenne Twister, fixed seed).
(bad / "garbage.ogg").write_bytes(random.Random(20261121).randbytes(4096))

(bad / "text.wav").write_text(
    "This is a plain text file with a .wav extension.\n"
    "A decoder must report it as an error naming the file, not panic.\n")

# A valid RIFF/WAVE header (PCM s16, 16 kHz, mono) whose data chunk is empty.
with wave.open(str(bad / "header_only.wav"), "wb") as w:
    w.setnchannels(1)
    w.setsampwidth(2)
    w.setframerate(16000)
    w.writeframes(b"")

# IEEE-float WAV (format tag 3, with the fact chunk non-PCM WAVs need): 1 s of a 440 Hz sine at
# 16 kHz, amplitude 0.5, with NaN / +inf / -inf at fixed sample indices.
sr, n = 16000, 16000
x = [0.5 * math.sin(2 * math.pi * 440 * i / sr) for i in range(n)]
specials = {1000: math.nan, 2000: math.inf, 3000: -math.inf, 8000: math.nan, 8001: math.inf, 15999: -math.inf}
for i, v in specials.items():
    x[i] = v
data = struct.pack("<%df" % n, *x)
fmt = struct.pack("<HHIIHH", 3, 1, sr, sr * 4, 4, 32)
body = (b"WAVE" + b"fmt " + struct.pack("<I", len(fmt)) + fmt
        + b"fact" + struct.pack("<II", 4, n)
        + b"data" + struct.pack("<I", len(data)) + data)
(bad / "nan_inf_f32.wav").write_bytes(b"RIFF" + struct.pack("<I", len(body)) + body)
EOF

echo "== done"
ls -l "$OUT" "$BAD"
du -sh "$OUT"
