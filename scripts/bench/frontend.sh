#!/usr/bin/env bash
# Front-end throughput, musearch against librosa, side by side on the same files in one run.
#
#     scripts/bench/frontend.sh FILE_OR_DIR... 
#
# Both sides run on one pinned core (CPU 0): musearch's `bench frontend` (decode only, then
# decode + resample + log-mel) and scripts/bench/librosa_frontend.py (soundfile decode only, then
# librosa.load(sr=16000) + feature.melspectrogram + log). Prints a table with × real time per core
# and the ratios. Needs the librosa venv: $REF_VENV, default <repo>/.venv-ref, made by
# scripts/reference/setup-venvs.sh ref.
set -euo pipefail
repo="$(cd "$(dirname "$0")/../.." && pwd)"
[ $# -ge 1 ] || { echo "usage: $0 FILE_OR_DIR..." >&2; exit 2; }
ref_venv="${REF_VENV:-}"
for candidate in "$ref_venv" "$repo/.venv-ref"; do
  if [ -n "$candidate" ] && [ -x "$candidate/bin/python" ]; then ref_venv="$candidate"; break; fi
done
[ -x "$ref_venv/bin/python" ] || { echo "no librosa venv: run scripts/reference/setup-venvs.sh ref (or set REF_VENV)" >&2; exit 1; }

(cd "$repo" && cargo build --release --no-default-features --bin musearch >&2)
out="$(mktemp -d)"
# Files both sides can open: libsndfile reads no MP4, so .m4a is left out of the comparison.
mapfile -t files < <(for p in "$@"; do
  if [ -d "$p" ]; then find -L "$p" -type f \( -iname '*.ogg' -o -iname '*.opus' -o -iname '*.flac' -o -iname '*.wav' -o -iname '*.mp3' \); else echo "$p"; fi
done | sort)
echo "${#files[@]} files; musearch first, then librosa, each on CPU 0" >&2
taskset -c 0 "$repo/target/release/musearch" bench frontend --json "${files[@]}" > "$out/musearch.json"
"$ref_venv/bin/python" "$repo/scripts/bench/librosa_frontend.py" "${files[@]}" > "$out/librosa.json"
python3 - "$out/musearch.json" "$out/librosa.json" <<'PY'
import json, sys
m = json.load(open(sys.argv[1])); l = json.load(open(sys.argv[2]))
lt = l["totals"]
# Compare on the files both sides processed.
both = {f["path"] for f in m["files"]} & {f["path"] for f in l["files"]}
def tot(files, key): return sum(f[key] for f in files if f["path"] in both)
audio = tot(m["files"], "duration_s")
mx = {k: audio / tot(m["files"], k) for k in ("decode_s", "total_s")}
lx = {k: audio / tot(l["files"], k) for k in ("decode_s", "total_s")}
print(f"machine: {l['machine']['cpu']}, one pinned core; {len(both)} files, {audio/3600:.2f} h of audio")
print(f"librosa {l['versions']['librosa']} (libsndfile {l['versions']['libsndfile']}, soxr {l['versions']['soxr']})")
print()
print(f"{'':34} {'musearch':>10} {'librosa':>10} {'ratio':>7}")
print(f"{'decode only (x real time)':34} {mx['decode_s']:>10.0f} {lx['decode_s']:>10.0f} {mx['decode_s']/lx['decode_s']:>6.2f}x")
print(f"{'decode+resample+mel (x real time)':34} {mx['total_s']:>10.0f} {lx['total_s']:>10.0f} {mx['total_s']/lx['total_s']:>6.2f}x")
md, mt = tot(m["files"], "decode_s"), tot(m["files"], "total_s")
print(f"musearch resample+mel cost: {100*(mt-md)/md:.0f}% of its decoding")
by_codec = {}
for f in m["files"]:
    if f["path"] in both:
        c = by_codec.setdefault(f["codec"], [0, 0, 0]); c[0] += f["duration_s"]; c[1] += f["decode_s"]; c[2] += f["total_s"]
lf = {f["path"]: f for f in l["files"]}
for codec, (a, d, t) in sorted(by_codec.items()):
    la = sum(lf[f["path"]]["total_s"] for f in m["files"] if f["path"] in both and f["codec"] == codec)
    print(f"  {codec:8} {a/60:6.1f} min: musearch decode {a/d:5.0f}x, total {a/t:5.0f}x; librosa total {a/la:5.0f}x; ratio {la/t:4.2f}x")
for s in l.get("skipped", []): print("  librosa skipped:", s["path"], s["reason"])
for s in m.get("failures", []): print("  musearch skipped:", s)
PY
