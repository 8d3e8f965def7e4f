#!/usr/bin/env bash
# Indexing throughput on a real catalog, and musicnn's Python tagger on a sample of the same
# tracks for the ratio (issue 4's target: the indexer at least 1.5x the Python tagger).
#
#     scripts/bench/index_demo.sh [MUSIC_DIR]
#
# MUSIC_DIR: default the demo catalog (scripts/fetch-demo-music.sh): $DEMO_MUSIC, else
# /tmp/mainjob/demo-music, else /work/cache/demo-music.
#
# 1. `target/release/musearch index MUSIC_DIR` into a fresh index (CPU, both default taggers
#    MTT_musicnn + MSD_musicnn, default batch and workers; models from the default store or
#    $MUSEARCH_HOME) under `/usr/bin/time -v`: tracks/min, hours of audio per minute, × real time,
#    peak RSS, index bytes per track.
# 2. scripts/bench/musicnn_tagger.py on a sample of the catalog's tracks (evenly spread over the
#    sorted list, about $SAMPLE_MIN minutes of audio, default 25), once per tagger the index ran
#    (MTT_musicnn, then MSD_musicnn), in the TensorFlow 2.15 venv ($TF_VENV, else <repo>/.venv-tf,
#    else /work/tf-venv). Its throughput for both taggers together is the sample's audio over the
#    two runs' wall time, start-up included, as the index run's is.
# SKIP_BUILD=1 uses target/release/musearch as it is; KEEP=1 keeps the index and raw outputs.
set -euo pipefail
repo="$(cd "$(dirname "$0")/../.." && pwd)"
music="${1:-}"
if [ -z "$music" ]; then
  for candidate in "${DEMO_MUSIC:-}" /tmp/mainjob/demo-music /work/cache/demo-music; do
    if [ -n "$candidate" ] && [ -d "$candidate" ]; then music="$candidate"; break; fi
  done
fi
[ -d "$music" ] || { echo "usage: $0 [MUSIC_DIR] (no demo catalog found; scripts/fetch-demo-music.sh)" >&2; exit 2; }
tf_venv=""
for candidate in "${TF_VENV:-}" "$repo/.venv-tf" /work/tf-venv; do
  if [ -n "$candidate" ] && [ -x "$candidate/bin/python" ]; then tf_venv="$candidate"; break; fi
done
[ -n "$tf_venv" ] || { echo "no TensorFlow 2.15 venv with musicnn (scripts/reference/setup-venvs.sh tf, or set TF_VENV)" >&2; exit 1; }
[ -x /usr/bin/time ] || { echo "/usr/bin/time is needed for the peak RSS (apt-get install time)" >&2; exit 1; }
sample_min="${SAMPLE_MIN:-25}"

# shellcheck source=scripts/env.sh
MUSEARCH_ENV_QUIET=1 source "$repo/scripts/env.sh"
[ -n "${SKIP_BUILD:-}" ] || (cd "$repo" && cargo build --release --bin musearch >&2)
musearch="$repo/target/release/musearch"
out="$(mktemp -d)"
[ -n "${KEEP:-}" ] || trap 'rm -rf "$out"' EXIT

echo "1/2: musearch index $music (fresh index, CPU, MTT_musicnn + MSD_musicnn)" >&2
/usr/bin/time -v -o "$out/time.txt" "$musearch" index "$music" --index "$out/index" \
  --device cpu --report "$out/report.json" >"$out/index.out" 2>"$out/index.err" || {
  tail -5 "$out/index.err" >&2; exit 1; }
"$musearch" info --index "$out/index" --json >"$out/info.json"
index_bytes=$(du -sb "$out/index" | cut -f1)

echo "2/2: musicnn's Python tagger ($tf_venv) on about $sample_min min of the same tracks" >&2
"$tf_venv/bin/python" - "$music" "$sample_min" >"$out/sample.txt" <<'PY'
import os, sys
import soundfile as sf
root, minutes = sys.argv[1], float(sys.argv[2])
files = sorted(os.path.join(d, f) for d, _, fs in os.walk(root, followlinks=True) for f in fs
               if f.lower().endswith((".ogg", ".opus", ".flac", ".wav", ".mp3")))
step = max(1, len(files) // 24)  # spread over the catalog (and its packages and codecs)
order = files[::step] + [f for i, f in enumerate(files) if i % step]
total = 0.0
for f in order:
    try:
        total += sf.info(f).duration
    except Exception:  # noqa: BLE001 - a file soundfile cannot read is left out of the sample
        continue
    print(f)
    if total >= minutes * 60:
        break
PY
mapfile -t sample <"$out/sample.txt"
now() { date +%s.%N; }
for model in MTT_musicnn MSD_musicnn; do
  t0=$(now)
  "$tf_venv/bin/python" "$repo/scripts/bench/musicnn_tagger.py" --model "$model" --network-patches 0 \
    "${sample[@]}" >"$out/musicnn-$model.json" 2>"$out/musicnn-$model.err" || {
    tail -5 "$out/musicnn-$model.err" >&2; exit 1; }
  echo "$(now) - $t0" | bc >"$out/wall-$model.txt"
done

python3 - "$out" "$index_bytes" "$music" <<'PY'
import json, re, sys
out, index_bytes, music = sys.argv[1], int(sys.argv[2]), sys.argv[3]
report = json.load(open(f"{out}/report.json"))
info = json.load(open(f"{out}/info.json"))
time_txt = open(f"{out}/time.txt").read()
def field(name):
    return re.search(rf"{re.escape(name)}: (.+)", time_txt).group(1).strip()
wall_parts = [float(p) for p in field("Elapsed (wall clock) time (h:mm:ss or m:ss)").split(":")]
wall = sum(p * 60 ** i for i, p in enumerate(reversed(wall_parts)))
rss_gib = int(field("Maximum resident set size (kbytes)")) / 1024 ** 2
tracks, audio = report["indexed"], report["audio_secs"]
print(f"catalog: {music}: {report['files_seen']} files, {tracks} tracks indexed, "
      f"{report['not_audio']} not audio, {len(report['failed'])} failed")
print(f"musearch index (MTT_musicnn + MSD_musicnn, CPU, release), fresh index:")
print(f"  wall time                 {wall:9.1f} s   (in-process {report['elapsed_secs']:.1f} s; "
      f"user {float(field('User time (seconds)')):.0f} s, system {float(field('System time (seconds)')):.0f} s, "
      f"CPU {field('Percent of CPU this job got')})")
print(f"  audio                     {audio / 3600:9.2f} h")
print(f"  tracks per minute         {tracks / wall * 60:9.2f}")
print(f"  hours of audio per minute {audio / 3600 / (wall / 60):9.3f}")
print(f"  x real time               {audio / wall:9.1f}")
print(f"  peak RSS                  {rss_gib:9.2f} GiB")
print(f"  index size                {index_bytes / 2**20:9.2f} MiB = {index_bytes / max(1, info['tracks']):.0f} bytes per track "
      f"({info['tracks']} tracks, {info['text_documents']} text documents)")
runs = {}
for model in ("MTT_musicnn", "MSD_musicnn"):
    r = json.load(open(f"{out}/musicnn-{model}.json"))
    runs[model] = (r, float(open(f"{out}/wall-{model}.txt").read()))
sample_audio = sum(f["duration_s"] for f in runs["MTT_musicnn"][0]["files"])
n = len(runs["MTT_musicnn"][0]["files"])
r0 = runs["MTT_musicnn"][0]
print(f"musicnn's Python tagger (TensorFlow {r0['versions']['tensorflow']}, librosa {r0['versions']['librosa']}), "
      f"{n} of the same tracks, {sample_audio / 60:.1f} min of audio:")
both_wall = 0.0
for model, (r, w) in runs.items():
    a = sum(f["duration_s"] for f in r["files"])
    both_wall += w
    print(f"  {model:12} wall {w:7.1f} s: {len(r['files']) / w * 60:6.2f} tracks/min, {a / w:6.1f}x real time"
          + (f" ({len(r['skipped'])} skipped)" if r["skipped"] else ""))
py_xrt = sample_audio / both_wall
py_tpm = n / both_wall * 60
print(f"  both taggers              {both_wall:7.1f} s: {py_tpm:6.2f} tracks/min, {py_xrt:6.1f}x real time")
ratio = (audio / wall) / py_xrt
print(f"ratio, both taggers, x real time: musearch index / musicnn = {ratio:.2f}x "
      f"(target >= 1.5x: {'met' if ratio >= 1.5 else 'not met'})")
PY
[ -z "${KEEP:-}" ] || echo "raw outputs and the index in $out" >&2
