#!/usr/bin/env bash
# Checks the workspace's crate graph (normal dependencies, as `cargo tree` resolves them for
# each crate alone) against the arrows docs/ARCHITECTURE.md draws, and fails on any other:
#
#   musearch (cli) → musearch-indexer, musearch-searcher, musearch-web, musearch-models
#   musearch-indexer → musearch-index, musearch-models
#   musearch-searcher → musearch-index, musearch-models (no features: no audio, no torch)
#   musearch-web → musearch-searcher
#   musearch-index, musearch-models → no workspace crate
#
# and fails when libtorch (tch, torch-sys) or the audio stack (symphonia, libopus, rubato,
# rustfft, realfft) reaches musearch-searcher or musearch-web, with any of their features.
# A new workspace crate fails too until its arrows are added here.
#
#     scripts/check-crate-graph.sh
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

declare -A allowed=(
    [musearch]="musearch-indexer musearch-searcher musearch-web musearch-models"
    [musearch-indexer]="musearch-index musearch-models"
    [musearch-searcher]="musearch-index musearch-models"
    [musearch-web]="musearch-searcher"
    [musearch-index]=""
    [musearch-models]=""
)
# Crates that must not reach the search side.
heavy='^(tch|torch-sys|symphonia|symphonia-.*|opus|audiopus_sys|rubato|rustfft|realfft)$'

status=0
fail() {
    echo "check-crate-graph: $*" >&2
    status=1
}

# The package names of `cargo tree`'s lines ("name vX.Y.Z (path)"), once each.
names() { awk '{ print $1 }' | sort -u; }

members=$(cargo metadata --no-deps --format-version 1 |
    grep -o '"name":"musearch[a-z-]*","version"' | sed 's/"name":"\([^"]*\)".*/\1/' | sort -u)
for crate in $members; do
    if [ -z "${allowed[$crate]+set}" ]; then
        fail "$crate is a workspace crate with no allowed arrows (add them to this script)"
        continue
    fi
    direct=$(cargo tree -p "$crate" -e normal --depth 1 --prefix none -f '{p}' | names |
        grep '^musearch' | grep -vx "$crate" || true)
    for dep in $direct; do
        if ! [[ " ${allowed[$crate]} " == *" $dep "* ]]; then
            fail "forbidden arrow $crate → $dep (allowed: ${allowed[$crate]:-none})"
        fi
    done
done

for crate in musearch-searcher musearch-web; do
    for features in "" "--all-features"; do
        # shellcheck disable=SC2086
        reached=$(cargo tree -p "$crate" -e normal $features --prefix none -f '{p}' | names |
            grep -E "$heavy" || true)
        if [ -n "$reached" ]; then
            fail "$crate${features:+ ($features)} reaches $(echo "$reached" | tr '\n' ' ')(libtorch or audio decoding)"
        fi
    done
done

if [ "$status" -eq 0 ]; then
    echo "check-crate-graph: ok ($(echo "$members" | wc -w) crates, no forbidden arrow)"
fi
exit "$status"
