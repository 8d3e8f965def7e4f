#!/usr/bin/env bash
# Tagger throughput, musearch against musicnn's own Python tagger, side by side on the same files.
#
#     scripts/bench/tagger.sh [--model MTT_musicnn] FILE_OR_DIR...
#
# Each side gets the whole file list in ONE invocation, on all cores, one after the other:
#   * musearch: `target/release/musearch tag --device cpu --json --stats FILES` (built here in
#     release mode; model from the default store, see `musearch models import-musicnn`);
#   * musicnn:  scripts/bench/musicnn_tagger.py FILES in the TensorFlow 2.15 venv: $TF_VENV, else
#     <repo>/.venv-tf (made by scripts/reference/setup-venvs.sh tf), else /work/tf-venv;
#     musicnn.extractor.extractor per file, as musicnn.tagger.top_tags does.
# Wall time is the whole process (start-up, model loading, decoding, network). It prints tracks per
# second, × real time and the ratio; the network alone (musearch: the forward passes, timed inside
# `musearch tag`; musicnn: sess.run on 640 patches after the run); GFLOP per patch counted from
# the layer shapes; GFLOP/s and the share of the CPU's FP32 peak, with
#     peak = cores × GHz × FLOP/cycle,
# GHz from /proc/cpuinfo ("cpu MHz", or $CPU_GHZ) and FLOP/cycle = 2 FMA units × 16 FP32 lanes ×
# 2 with avx512f, 2 × 8 × 2 with avx2+fma ($FLOP_PER_CYCLE overrides: the number of FMA units is
# not in /proc/cpuinfo; Xeon Scalable Gold/Platinum parts have two AVX-512 FMA units).
# Also prints how often both sides agree on each file's top-5 tags (mean over patches).
# Extra flags for musearch tag: $MUSEARCH_TAG_FLAGS (e.g. "--threads 2 --batch-size 32").
# SKIP_BUILD=1 uses target/release/musearch as it is.
set -euo pipefail
repo="$(cd "$(dirname "$0")/../.." && pwd)"
model=MTT_musicnn
if [ "${1:-}" = "--model" ]; then model="$2"; shift 2; fi
[ $# -ge 1 ] || { echo "usage: $0 [--model NAME] FILE_OR_DIR..." >&2; exit 2; }
tf_venv=""
for candidate in "${TF_VENV:-}" "$repo/.venv-tf" /work/tf-venv; do
  if [ -n "$candidate" ] && [ -x "$candidate/bin/python" ]; then tf_venv="$candidate"; break; fi
done
[ -n "$tf_venv" ] || { echo "no TensorFlow 2.15 venv with musicnn (scripts/reference/setup-venvs.sh tf, or set TF_VENV)" >&2; exit 1; }

# shellcheck source=scripts/env.sh
MUSEARCH_ENV_QUIET=1 source "$repo/scripts/env.sh"
[ -n "${SKIP_BUILD:-}" ] || (cd "$repo" && cargo build --release --bin musearch >&2)
out="$(mktemp -d)"
mapfile -t files < <(for p in "$@"; do
  if [ -d "$p" ]; then find -L "$p" -type f | sort; else echo "$p"; fi
done)
echo "${#files[@]} files; musearch first, then musicnn (TensorFlow), each on all cores" >&2

now() { date +%s.%N; }
t0=$(now)
# shellcheck disable=SC2086
"$repo/target/release/musearch" tag --device cpu --model "$model" --json --stats \
  ${MUSEARCH_TAG_FLAGS:-} "${files[@]}" > "$out/musearch.jsonl" 2> "$out/musearch.err" || true
t1=$(now)
"$tf_venv/bin/python" "$repo/scripts/bench/musicnn_tagger.py" --model "$model" "${files[@]}" \
  > "$out/musicnn.json" 2> "$out/musicnn.err"
t2=$(now)
grep '^stats: ' "$out/musearch.err" | sed 's/^stats: //' > "$out/stats.json" || {
  cat "$out/musearch.err" >&2; exit 1; }

python3 - "$out" "$(echo "$t1 - $t0" | bc)" "$(echo "$t2 - $t1" | bc)" "$model" <<'PY'
import json, os, sys
out, m_wall, p_wall, model = sys.argv[1], float(sys.argv[2]), float(sys.argv[3]), sys.argv[4]
stats = json.load(open(f"{out}/stats.json"))
m = [json.loads(l) for l in open(f"{out}/musearch.jsonl")]
p = json.load(open(f"{out}/musicnn.json"))
both = {r["file"] for r in m} & {f["path"] for f in p["files"]}
audio = sum(r["duration_secs"] for r in m if r["file"] in both)
n = len(both)
cpuinfo = open("/proc/cpuinfo").read()
flags = next(l for l in cpuinfo.splitlines() if l.startswith("flags")).split()
cpu = next(l for l in cpuinfo.splitlines() if l.startswith("model name")).split(":", 1)[1].strip()
cores = os.cpu_count()
ghz = float(os.environ.get("CPU_GHZ") or float(next(l for l in cpuinfo.splitlines() if l.startswith("cpu MHz")).split(":")[1]) / 1000)
if os.environ.get("FLOP_PER_CYCLE"):
    fpc, why = float(os.environ["FLOP_PER_CYCLE"]), "$FLOP_PER_CYCLE"
elif "avx512f" in flags:
    fpc, why = 64.0, "avx512f: 2 FMA units x 16 FP32 lanes x 2 FLOP"
elif "avx2" in flags and "fma" in flags:
    fpc, why = 32.0, "avx2+fma: 2 FMA units x 8 FP32 lanes x 2 FLOP"
else:
    fpc, why = 8.0, "sse: 4 lanes x 2 units"
peak = cores * ghz * fpc
gflop = stats["gflop_per_patch"]
net = p.get("network_only")
print(f"machine: {cpu}, {cores} cores at {ghz:.2f} GHz; FP32 peak = {cores} x {ghz:.2f} GHz x {fpc:.0f} FLOP/cycle ({why}) = {peak:.0f} GFLOP/s")
print(f"model {model}: {gflop:.3f} GFLOP per 3 s patch (2 x multiply-accumulates of every conv and dense layer)")
print(f"musearch: libtorch threads {stats['threads']}, batch {stats['batch_size']}; musicnn: TensorFlow {p['versions']['tensorflow']}, librosa {p['versions']['librosa']}")
print(f"{n} tracks both sides tagged, {audio/3600:.2f} h of audio ({stats['patches']} patches on musearch's side)")
print()
print(f"{'':34} {'musearch':>10} {'musicnn':>10} {'ratio':>7}")
print(f"{'wall time (s)':34} {m_wall:>10.1f} {p_wall:>10.1f} {p_wall/m_wall:>6.2f}x")
print(f"{'tracks per second':34} {n/m_wall:>10.3f} {n/p_wall:>10.3f} {p_wall/m_wall:>6.2f}x")
print(f"{'x real time':34} {audio/m_wall:>10.1f} {audio/p_wall:>10.1f} {p_wall/m_wall:>6.2f}x")
m_net = stats["network_gflops"]
row = f"{'network alone (GFLOP/s)':34} {m_net:>10.1f}"
if net:
    p_net = gflop * net["patches"] / net["seconds"]
    row += f" {p_net:>10.1f} {m_net/p_net:>6.2f}x   (musicnn: sess.run on {net['patches']} patches, batch {net['batch_size']})"
print(row)
print(f"{'network share of FP32 peak':34} {100*m_net/peak:>9.1f}%" + (f" {100*p_net/peak:>9.1f}%" if net else ""))
print(f"musearch network time: {stats['network_secs']:.1f} s of {stats['wall_secs']:.1f} s in-process wall ({100*stats['network_secs']/stats['wall_secs']:.0f}%)")
top_m = {r["file"]: [t for t, _ in r["tags"][:5]] for r in m}
agree = [len(set(top_m[f["path"]]) & set(f["top5"])) for f in p["files"] if f["path"] in both]
print(f"top-5 tags in common per track: mean {sum(agree)/max(1,len(agree)):.2f} of 5 (min {min(agree) if agree else 0})")
for s in p.get("skipped", []): print("  musicnn skipped:", s["path"], s["reason"])
PY
grep '^skipped' "$out/musearch.err" >&2 || true
echo "raw outputs in $out" >&2
