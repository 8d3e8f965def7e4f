#!/usr/bin/env bash
# Tagger throughput, musearch against musicnn's own Python tagger, side by side on the same files.
#
#     scripts/bench/tagger.sh [--model MTT_musicnn] FILE_OR_DIR...
#
# Each side gets the whole file list in ONE invocation, on all cores, one after the other, and
# this is repeated $ROUNDS times (default 3), alternating the sides (musearch, musicnn, musearch,
# musicnn, ...); every figure is the MEDIAN over the rounds, and every round is printed with the
# load average (`uptime`) before it:
#   * musearch: `target/release/musearch tag --device cpu --json --stats FILES` (built here in
#     release mode; model from the default store, see `musearch models import-musicnn`);
#   * musicnn:  scripts/bench/musicnn_tagger.py --network-patches 0 FILES in the TensorFlow 2.15
#     venv: $TF_VENV, else <repo>/.venv-tf (made by scripts/reference/setup-venvs.sh tf), else
#     /work/tf-venv; musicnn.extractor.extractor per file, as musicnn.tagger.top_tags does.
#     `--network-patches 0` leaves out the script's network-only timing, which would otherwise
#     run inside the timed process (as index_demo.sh and `musearch bench compare` also pass it).
# Wall time is the whole process (start-up, model loading, decoding, network). It prints tracks per
# second, × real time and the ratio (median musicnn wall / median musearch wall, and the median
# of the per-round ratios); the network alone (musearch: the forward passes, timed inside
# `musearch tag`, median over the rounds; musicnn: `sess.run` on $NETWORK_PATCHES patches,
# default 640, in a SEPARATE process after the rounds, `musicnn_tagger.py --network-only`, not
# part of any wall time; NETWORK_PATCHES=0 skips it); GFLOP per patch counted from the layer
# shapes; GFLOP/s and the share of the CPU's FP32 peak, with
#     peak = cores × GHz × FLOP/cycle,
# GHz from /proc/cpuinfo ("cpu MHz", or $CPU_GHZ) and FLOP/cycle = 2 FMA units × 16 FP32 lanes ×
# 2 with avx512f, 2 × 8 × 2 with avx2+fma ($FLOP_PER_CYCLE overrides). The number of FMA units
# is not in /proc/cpuinfo: it is the microarchitecture's (docs/BENCHMARKS.md says how it was
# established for the machine measured there).
# Also prints how often both sides agree on each file's top-5 tags (mean over patches, round 1).
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
rounds="${ROUNDS:-3}"
network_patches="${NETWORK_PATCHES:-640}"
echo "${#files[@]} files; $rounds rounds of musearch then musicnn (TensorFlow), each on all cores" >&2

now() { date +%s.%N; }
for r in $(seq 1 "$rounds"); do
  echo "round $r/$rounds: $(uptime)" >&2
  uptime > "$out/load-$r.txt"
  t0=$(now)
  # shellcheck disable=SC2086
  "$repo/target/release/musearch" tag --device cpu --model "$model" --json --stats \
    ${MUSEARCH_TAG_FLAGS:-} "${files[@]}" > "$out/musearch-$r.jsonl" 2> "$out/musearch-$r.err" || true
  t1=$(now)
  "$tf_venv/bin/python" "$repo/scripts/bench/musicnn_tagger.py" --model "$model" --network-patches 0 \
    "${files[@]}" > "$out/musicnn-$r.json" 2> "$out/musicnn-$r.err"
  t2=$(now)
  echo "$t1 - $t0" | bc > "$out/wall-musearch-$r.txt"
  echo "$t2 - $t1" | bc > "$out/wall-musicnn-$r.txt"
  grep '^stats: ' "$out/musearch-$r.err" | sed 's/^stats: //' > "$out/stats-$r.json" || {
    cat "$out/musearch-$r.err" >&2; exit 1; }
  echo "round $r: musearch $(cat "$out/wall-musearch-$r.txt") s, musicnn $(cat "$out/wall-musicnn-$r.txt") s" >&2
done
uptime > "$out/load-end.txt"
if [ "$network_patches" -gt 0 ]; then
  echo "musicnn network alone: sess.run on $network_patches patches (separate process, untimed for throughput)" >&2
  "$tf_venv/bin/python" "$repo/scripts/bench/musicnn_tagger.py" --model "$model" --network-only \
    --network-patches "$network_patches" "${files[@]}" > "$out/musicnn-network.json" 2> "$out/musicnn-network.err"
fi

python3 - "$out" "$rounds" "$model" <<'PY'
import json, os, statistics, sys
out, rounds, model = sys.argv[1], int(sys.argv[2]), sys.argv[3]
med = statistics.median
stats = [json.load(open(f"{out}/stats-{r}.json")) for r in range(1, rounds + 1)]
m_walls = [float(open(f"{out}/wall-musearch-{r}.txt").read()) for r in range(1, rounds + 1)]
p_walls = [float(open(f"{out}/wall-musicnn-{r}.txt").read()) for r in range(1, rounds + 1)]
loads = [open(f"{out}/load-{r}.txt").read().split("load average:")[1].strip() for r in range(1, rounds + 1)]
load_end = open(f"{out}/load-end.txt").read().split("load average:")[1].strip()
m = [json.loads(l) for l in open(f"{out}/musearch-1.jsonl")]
p = json.load(open(f"{out}/musicnn-1.json"))
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
gflop = stats[0]["gflop_per_patch"]
net = None
if os.path.exists(f"{out}/musicnn-network.json"):
    net = json.load(open(f"{out}/musicnn-network.json")).get("network_only")
print(f"machine: {cpu}, {cores} cores at {ghz:.2f} GHz; FP32 peak = {cores} x {ghz:.2f} GHz x {fpc:.0f} FLOP/cycle ({why}) = {peak:.0f} GFLOP/s")
print(f"model {model}: {gflop:.3f} GFLOP per 3 s patch (2 x multiply-accumulates of every conv and dense layer)")
print(f"musearch: libtorch threads {stats[0]['threads']}, batch {stats[0]['batch_size']}; musicnn: TensorFlow {p['versions']['tensorflow']}, librosa {p['versions']['librosa']}")
print(f"{n} tracks both sides tagged, {audio/3600:.2f} h of audio ({stats[0]['patches']} patches on musearch's side)")
print()
print(f"{'round':6} {'load average before':22} {'musearch s':>11} {'musicnn s':>10} {'ratio':>7}")
for r in range(rounds):
    print(f"{r + 1:<6} {loads[r]:22} {m_walls[r]:>11.1f} {p_walls[r]:>10.1f} {p_walls[r] / m_walls[r]:>6.2f}x")
print(f"load average after the last round: {load_end}")
print()
mw, pw = med(m_walls), med(p_walls)
print(f"median over {rounds} rounds:{'':13} {'musearch':>10} {'musicnn':>10} {'ratio':>7}")
print(f"{'wall time (s)':34} {mw:>10.1f} {pw:>10.1f} {pw/mw:>6.2f}x")
print(f"{'tracks per second':34} {n/mw:>10.3f} {n/pw:>10.3f} {pw/mw:>6.2f}x")
print(f"{'x real time':34} {audio/mw:>10.1f} {audio/pw:>10.1f} {pw/mw:>6.2f}x")
print(f"{'median of the per-round ratios':34} {'':>10} {'':>10} {med([b / a for a, b in zip(m_walls, p_walls)]):>6.2f}x")
m_net = med([s["network_gflops"] for s in stats])
row = f"{'network alone (GFLOP/s)':34} {m_net:>10.1f}"
if net:
    p_net = gflop * net["patches"] / net["seconds"]
    row += f" {p_net:>10.1f} {m_net/p_net:>6.2f}x   (musicnn: sess.run on {net['patches']} patches, batch {net['batch_size']}, separate process)"
print(row)
print(f"{'network share of FP32 peak':34} {100*m_net/peak:>9.1f}%" + (f" {100*p_net/peak:>9.1f}%" if net else ""))
net_secs, in_wall = med([s["network_secs"] for s in stats]), med([s["wall_secs"] for s in stats])
print(f"musearch network time (median): {net_secs:.1f} s of {in_wall:.1f} s in-process wall ({100*net_secs/in_wall:.0f}%)")
top_m = {r["file"]: [t for t, _ in r["tags"][:5]] for r in m}
agree = [len(set(top_m[f["path"]]) & set(f["top5"])) for f in p["files"] if f["path"] in both]
print(f"top-5 tags in common per track: mean {sum(agree)/max(1,len(agree)):.2f} of 5 (min {min(agree) if agree else 0})")
for s in p.get("skipped", []): print("  musicnn skipped:", s["path"], s["reason"])
PY
grep '^skipped' "$out/musearch-1.err" >&2 || true
echo "raw outputs in $out" >&2
