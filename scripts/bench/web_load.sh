#!/usr/bin/env bash
# Load test of `musearch serve`: a synthetic index of N tracks (musearch-synth-index, through
# the indexer's public API), the release server on loopback, and wrk cycling through the queries
# of ../shared/eval/queries-dev.tsv against /api/v1/search. Prints QPS, p50/p99 latency, errors
# and the server's resident memory before and after. Recorded in docs/BENCHMARKS.md
# ("Web: load test").
#
#     scripts/bench/web_load.sh [--tracks 100000] [--duration 30] [--connections 32]
#                               [--threads 1] [--workers 0] [--queries FILE.tsv]
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$root"
tracks=100000
duration=30
connections=32
threads=1
workers=0
queries="$root/../shared/eval/queries-dev.tsv"
while [ $# -gt 0 ]; do
    case "$1" in
        --tracks) tracks="$2"; shift 2 ;;
        --duration) duration="$2"; shift 2 ;;
        --connections) connections="$2"; shift 2 ;;
        --threads) threads="$2"; shift 2 ;;
        --workers) workers="$2"; shift 2 ;;
        --queries) queries="$2"; shift 2 ;;
        *) sed -n '2,9p' "$0" >&2; exit 2 ;;
    esac
done
[ -f "$queries" ] || { echo "web_load: no query file $queries" >&2; exit 1; }

if ! command -v wrk >/dev/null; then
    echo "web_load: installing wrk (Debian package)" >&2
    apt-get install -y -qq wrk >/dev/null || { apt-get update -qq && apt-get install -y -qq wrk >/dev/null; }
fi

# shellcheck source=scripts/env.sh
MUSEARCH_ENV_QUIET=1 source scripts/env.sh
echo "web_load: building release binaries" >&2
cargo build --release --quiet --bin musearch
cargo build --release --quiet -p musearch-indexer --no-default-features --bin musearch-synth-index

cache="${XDG_CACHE_HOME:-$HOME/.cache}/musearch"
index="$cache/synth-index-$tracks"
if [ ! -f "$index/.complete" ]; then
    rm -rf "$index"
    echo "web_load: writing $tracks synthetic tracks to $index" >&2
    target/release/musearch-synth-index --tracks "$tracks" --out "$index" >/dev/null
    touch "$index/.complete"
fi

work="$(mktemp -d)"
server=""
cleanup() {
    [ -n "$server" ] && kill "$server" 2>/dev/null && wait "$server" 2>/dev/null
    rm -rf "$work"
}
trap cleanup EXIT

rss_mib() { awk '/^VmRSS/ { printf "%.1f", $2 / 1024 }' "/proc/$1/status"; }

started=$(date +%s.%N)
target/release/musearch serve --db "$index" --bind 127.0.0.1:0 --workers "$workers" \
    >"$work/url" 2>"$work/server.log" &
server=$!
url=""
for _ in $(seq 1 6000); do   # up to 10 min for a large index to open
    url="$(head -n1 "$work/url" 2>/dev/null | tr -d '\n' || true)"
    [ -n "$url" ] && break
    kill -0 "$server" 2>/dev/null || { cat "$work/server.log" >&2; exit 1; }
    sleep 0.1
done
url="${url%/}"
ready=$(date +%s.%N)
echo "web_load: $url ready after $(echo "$ready - $started" | bc) s" >&2
# The similar-track graph of a large catalog is built in the background after start-up; wait for
# it so that the measured run does not share the cores with the build.
for _ in $(seq 1 1200); do   # up to 20 min
    curl -s "$url/api/v1/health" | grep -q '"similar_index":"building"' || break
    sleep 1
done
graph=$(date +%s.%N)
echo "web_load: similar-track graph ready after $(echo "$graph - $started" | bc) s" >&2
rss_before=$(rss_mib "$server")

# Warm-up (page cache, allocator, lazy structures), then the measured run.
wrk -t"$threads" -c"$connections" -d5s -s scripts/bench/web_load.lua "$url" -- "$queries" >/dev/null
wrk -t"$threads" -c"$connections" -d"${duration}s" --latency -s scripts/bench/web_load.lua \
    "$url" -- "$queries" | tee "$work/wrk.txt" >&2
rss_after=$(rss_mib "$server")
server_5xx=$(curl -s "$url/metrics" | awk '/^musearch_http_requests_total/ && /status="5/ { n += $2 } END { print n + 0 }')

result=$(grep '^RESULT' "$work/wrk.txt" | sed 's/^RESULT //')
echo "web_load: tracks=$tracks connections=$connections threads=$threads $result rss_before_mib=$rss_before rss_after_mib=$rss_after server_5xx=$server_5xx"
