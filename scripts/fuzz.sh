#!/usr/bin/env bash
# Runs the front-end fuzzer (decode + resample + log-mel on arbitrary bytes) for SECONDS
# (default 600), seeded with every fixture clip. Needs cargo-fuzz (`cargo install cargo-fuzz`);
# cargo-fuzz wants nightly features, which RUSTC_BOOTSTRAP=1 enables on the stable toolchain.
set -euo pipefail
repo="$(cd "$(dirname "$0")/.." && pwd)"
seconds="${1:-600}"
corpus="$repo/fuzz/corpus/decode_mel"
mkdir -p "$corpus"
# Seed: each fixture with a selector byte in front (the target's first byte picks an extension hint).
i=0
for f in "$repo"/fixtures/audio/*.* "$repo"/fixtures/audio/bad/*; do
  { printf "\\x$(printf %02x $((i % 8)))"; head -c 65536 "$f"; } > "$corpus/seed-$(basename "$f")"
  i=$((i + 1))
done
cd "$repo/fuzz"
RUSTC_BOOTSTRAP=1 cargo fuzz run decode_mel "$corpus" -- \
  -max_total_time="$seconds" -max_len=262144 -rss_limit_mb=2048 -timeout=20 -print_final_stats=1
