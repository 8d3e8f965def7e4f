#!/usr/bin/env bash
# Training throughput on a CUDA GPU: FCN-4 and the short-chunk ResNet (the issue's two) and
# musicnn at MagnaTagATune size, in float32 and with bfloat16 autocast.
#
#     scripts/bench/train_gpu.sh [MUSEARCH_BINARY]
#
# Runs on the GPU machine, which has no Rust: build here, strip, and carry the binary there, e.g.
#     cargo build --release --bin musearch && strip -o target/musearch-gpu target/release/musearch
#     (device tool) carry ["target/musearch-gpu"], command "scripts/bench/train_gpu.sh target/musearch-gpu"
# libtorch comes from $TORCH_LIB, else the first torch/lib of /opt/torch/.venv (PyTorch 2.11 +
# CUDA 13 there), else this repo's .venv.
#
# For each model and precision it runs `musearch train --throughput STEPS` (random log-mel
# batches, no data set needed; 5 warm-up steps, then STEPS timed optimiser steps, CUDA
# synchronised before and after) and reports:
#   * clips/s: training examples per second (forward, backward, Adam);
#   * s/epoch: MTT_TRAIN_CLIPS / clips/s; default 15,244, the MagnaTagATune training split of
#     Won et al. 2020 (the clips with a top-50 tag in folders 0-b);
#   * GPU memory: the most `nvidia-smi --query-gpu=memory.used` showed while it ran (sampled
#     every 0.2 s; it includes libtorch's caching allocator and the CUDA context);
#   * TFLOP/s and share of peak: 3 forward passes' worth of FLOP per example (2 per counted
#     multiply-accumulate, see `macs_per_patch`) over the GPU's dense peak: bf16 tensor cores for
#     bf16, TF32 tensor cores for fp32 (libtorch lets cuDNN use TF32 for convolutions by default).
#     Peaks (dense, no sparsity) from NVIDIA's data sheets: H100 SXM / H200 989 bf16, 495 TF32;
#     H100 PCIe 756 / 378; A100 312 / 156. $PEAK_BF16_TFLOPS / $PEAK_TF32_TFLOPS override.
# Settings: STEPS (default 50), BATCH_FCN4 (default 16, Choi et al.), BATCH_SHORTRES (default 16,
# Won et al.), BATCH_MUSICNN (default 16), PRECISIONS (default "fp32 bf16"), MODELS (default
# "fcn4 shortres musicnn").
set -euo pipefail
repo="$(cd "$(dirname "$0")/../.." && pwd)"
bin="${1:-$repo/target/release/musearch}"
[ -x "$bin" ] || { echo "no musearch binary at $bin" >&2; exit 1; }
steps="${STEPS:-50}"
epoch_clips="${MTT_TRAIN_CLIPS:-15244}"

torch_lib="${TORCH_LIB:-}"
if [ -z "$torch_lib" ]; then
  for d in /opt/torch/.venv/lib/python3*/site-packages/torch/lib "$repo"/.venv/lib/python3*/site-packages/torch/lib; do
    if [ -d "$d" ]; then torch_lib="$d"; break; fi
  done
fi
[ -n "$torch_lib" ] || { echo "no libtorch found (set TORCH_LIB)" >&2; exit 1; }
export LD_LIBRARY_PATH="$torch_lib${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
command -v nvidia-smi >/dev/null || { echo "nvidia-smi not found: this needs a CUDA GPU" >&2; exit 1; }

gpu="$(nvidia-smi --query-gpu=name --format=csv,noheader | head -1)"
echo "GPU: $gpu; libtorch: $torch_lib; $steps timed steps per run" >&2
"$bin" doctor >&2 || true

out="$(mktemp -d)"
trap 'rm -rf "$out"' EXIT

# run MODEL PRECISION BATCH: one throughput run with its peak GPU memory.
run() {
  local model=$1 precision=$2 batch=$3
  nvidia-smi --query-gpu=memory.used --format=csv,noheader,nounits -lms 200 > "$out/mem.txt" &
  local smi=$!
  "$bin" train --throughput "$steps" --model "$model" --precision "$precision" \
    --batch-size "$batch" --device cuda > "$out/run.json"
  kill "$smi" 2>/dev/null || true
  wait "$smi" 2>/dev/null || true
  local mem
  mem="$(sort -n "$out/mem.txt" | tail -1)"
  python3 - "$out/run.json" "${mem:-0}" "$gpu" "$epoch_clips" <<'PY'
import json, os, sys
r = json.load(open(sys.argv[1]))
mem_mib, gpu, epoch_clips = float(sys.argv[2]), sys.argv[3], int(sys.argv[4])
peaks = [("H200", 989.0, 495.0), ("H100 PCIe", 756.0, 378.0), ("H100", 989.0, 495.0), ("A100", 312.0, 156.0)]
bf16, tf32 = next(((b, t) for name, b, t in peaks if name in gpu), (None, None))
bf16 = float(os.environ.get("PEAK_BF16_TFLOPS", bf16 or 0)) or None
tf32 = float(os.environ.get("PEAK_TF32_TFLOPS", tf32 or 0)) or None
peak = bf16 if r["precision"] == "bf16" else tf32
share = f"{100 * r['train_tflop_per_sec'] / peak:.1f} % of {peak:.0f}" if peak else "peak unknown"
print(f"{r['architecture']:<9} {r['precision']:<5} batch {r['batch_size']:>3} x {r['frames']} frames: "
      f"{r['clips_per_sec']:9.1f} clips/s, {epoch_clips / r['clips_per_sec']:7.1f} s/epoch ({epoch_clips} clips), "
      f"GPU memory {mem_mib / 1024:.2f} GiB, {r['train_tflop_per_sec']:.2f} TFLOP/s ({share} TFLOP/s), "
      f"{r['forward_macs'] / 1e9:.3f} GMAC/example forward")
PY
}

for model in ${MODELS:-fcn4 shortres musicnn}; do
  case "$model" in
    fcn4) batch="${BATCH_FCN4:-16}" ;;
    shortres) batch="${BATCH_SHORTRES:-16}" ;;
    musicnn) batch="${BATCH_MUSICNN:-16}" ;;
    *) batch=16 ;;
  esac
  for precision in ${PRECISIONS:-fp32 bf16}; do
    run "$model" "$precision" "$batch"
  done
done
