#!/usr/bin/env bash
# Schema-driven fuzzing of the HTTP API: schemathesis (from PyPI, in a venv under
# ~/.cache/musearch/) generates requests from the server's own OpenAPI document
# (/api/v1/openapi.json) and sends them to a live `musearch serve` on the fixture index
# (scripts/serve-fixture.sh). It checks that no answer is a server error and that statuses,
# content types, headers and bodies match the document.
#
#     scripts/api-fuzz.sh [--max-examples N] [--url http://HOST:PORT]
#
# --url fuzzes a server that is already running instead of starting one. Exits non-zero on any
# failure; the last line is `api-fuzz: N passed, N failed`.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
cache="${XDG_CACHE_HOME:-$HOME/.cache}/musearch"
venv="$cache/schemathesis-venv"
version="4.32.5"
max_examples=100
url=""
while [ $# -gt 0 ]; do
    case "$1" in
        --max-examples) max_examples="$2"; shift 2 ;;
        --url) url="${2%/}"; shift 2 ;;
        *) echo "usage: $0 [--max-examples N] [--url URL]" >&2; exit 2 ;;
    esac
done

if ! "$venv/bin/schemathesis" --version 2>/dev/null | grep -q "$version"; then
    echo "api-fuzz: installing schemathesis $version into $venv" >&2
    python3 -m venv "$venv"
    "$venv/bin/pip" install --quiet "schemathesis==$version"
fi

work="$(mktemp -d)"
server_pid=""
cleanup() {
    if [ -n "$server_pid" ]; then
        # serve-fixture.sh runs in its own process group (setsid): stop the group.
        kill -TERM -- "-$server_pid" 2>/dev/null || true
        wait "$server_pid" 2>/dev/null || true
    fi
    rm -rf "$work"
}
trap cleanup EXIT

if [ -z "$url" ]; then
    setsid scripts/serve-fixture.sh >"$work/server.out" 2>"$work/server.log" &
    server_pid=$!
    for _ in $(seq 1 600); do
        url="$(grep -o -m1 'http://[^ /]*' "$work/server.out" 2>/dev/null || true)"
        [ -n "$url" ] && break
        if ! kill -0 "$server_pid" 2>/dev/null; then
            cat "$work/server.log" >&2
            echo "api-fuzz: the fixture server did not start" >&2
            echo "api-fuzz: 0 passed, 1 failed"
            exit 1
        fi
        sleep 0.5
    done
    [ -n "$url" ] || { echo "api-fuzz: no URL from the fixture server" >&2; exit 1; }
fi
echo "api-fuzz: fuzzing $url" >&2

set +e
"$venv/bin/schemathesis" run "$url/api/v1/openapi.json" \
    --checks all \
    --exclude-checks ignored_auth,use_after_free,ensure_resource_availability,object_level_authorization,positive_data_acceptance \
    --phases examples,coverage,fuzzing \
    --max-examples "$max_examples" \
    --workers 2 \
    --request-timeout 30 \
    --seed 20261121 --generation-database none \
    --suppress-health-check all \
    --report junit --report-dir "$work/report" \
    --no-color 2>&1 | tee "$work/run.log"
status=${PIPESTATUS[0]}
set -e

# Server errors are what must never happen: count them from the server's own request log too.
server_errors=0
if [ -f "$work/server.log" ]; then
    server_errors=$(grep -c 'status=5[0-9][0-9]' "$work/server.log" || true)
    requests=$(grep -c 'musearch_web::access' "$work/server.log" || true)
    echo "api-fuzz: the server answered $requests requests, $server_errors with a 5xx" >&2
fi
# Operations tested and failed, from schemathesis's JUnit report (one test case per operation).
read -r operations failed < <(python3 - "$work"/report/*.xml <<'PY'
import sys, xml.etree.ElementTree as ET
cases = [c for f in sys.argv[1:] for c in ET.parse(f).iter("testcase")]
bad = [c for c in cases if c.find("failure") is not None or c.find("error") is not None]
print(len(cases), len(bad))
PY
) || { operations=0; failed=0; }
if [ "$status" -ne 0 ] && [ "$failed" -eq 0 ]; then failed=1; fi
if [ "$server_errors" -ne 0 ] && [ "$failed" -eq 0 ]; then failed=1; fi
echo "api-fuzz: $((operations - failed < 0 ? 0 : operations - failed)) passed, $failed failed"
[ "$failed" -eq 0 ]
