#!/usr/bin/env bash
# How many FP32 FLOP per cycle one core retires: an AVX-512 FMA throughput loop (12 independent
# accumulator chains, so latency is hidden), compiled here with gcc, run $RUNS times (default 10)
# on one thread and then on every core at once. Prints GFLOP/s per run, the median and the best.
#
#     scripts/bench/fma_peak.sh
#
# Why: the FP32 peak that scripts/bench/tagger.sh and `musearch bench network` divide by assumes
# 2 AVX-512 FMA units per core (64 FLOP/cycle), which /proc/cpuinfo does not state. One FMA unit
# gives at most 32 FLOP/cycle, so a single thread above 32 × (the highest plausible clock) GFLOP/s
# can only come from two units. The loop's best is also an empirical peak to compare with the
# formula's cores × "cpu MHz" × 64 (a VM's "cpu MHz" may be the base clock, not the turbo clock).
set -euo pipefail
runs="${RUNS:-10}"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
cat > "$work/fma.c" <<'C'
#include <immintrin.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
static double now(void) { struct timespec t; clock_gettime(CLOCK_MONOTONIC, &t); return t.tv_sec + t.tv_nsec * 1e-9; }
int main(int argc, char **argv) {
    long iters = argc > 1 ? atol(argv[1]) : 200000000L;
    __m512 acc[12], b = _mm512_set1_ps(0.999999f), c = _mm512_set1_ps(1e-7f);
    for (int i = 0; i < 12; i++) acc[i] = _mm512_set1_ps((float)i);
    double t0 = now();
    for (long n = 0; n < iters; n++) {
#pragma GCC unroll 12
        for (int i = 0; i < 12; i++) acc[i] = _mm512_fmadd_ps(acc[i], b, c);
    }
    double dt = now() - t0;
    float sum = 0, v[16];
    for (int i = 0; i < 12; i++) { _mm512_storeu_ps(v, acc[i]); sum += v[0]; }
    printf("%.1f\n", (double)iters * 12 * 16 * 2 / dt / 1e9);
    return sum == 12345.f; /* keeps the result alive */
}
C
gcc -O2 -mavx512f -o "$work/fma" "$work/fma.c"
cores=$(nproc)
grep -m1 "model name" /proc/cpuinfo
grep -m1 "cpu MHz" /proc/cpuinfo
echo "load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
summary() { sort -n | awk '{ v[NR] = $1 } END { printf "%s: median %.1f, best %.1f GFLOP/s (%d runs)\n", label, (NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2), v[NR], NR }' label="$1"; }
for _ in $(seq "$runs"); do "$work/fma" || true; done | summary "one thread"
for _ in $(seq "$runs"); do
    for _ in $(seq "$cores"); do "$work/fma" & done | awk '{ s += $1 } END { printf "%.1f\n", s }'
    wait
done | summary "$cores threads, summed"
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
