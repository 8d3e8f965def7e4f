#!/usr/bin/env bash
# The abuse suite: a hostile client against a real `musearch serve` on the fixture index
# (scripts/serve-fixture.sh), with API keys on. Loopback only (127.0.0.1), every loop bounded.
#
#     scripts/abuse.sh [--url http://127.0.0.1:PORT --key KEY]
#
# --url attacks a server that is already running (it must have KEY among its `api_keys`);
# without it the script starts one on the fixture index with a configuration of its own.
#
# Cases: every route under every encoding trick (percent-encoded letters and slashes, double
# encoding, `//`, `/./`, `/../`, trailing slash, case), with and without the key; path
# traversal; huge, negative and NaN numbers; strings that are not UTF-8; odd and junk methods;
# Range headers RFC 9110 says to ignore, several ranges, huge positions; long targets and
# headers; a CORS preflight from an unlisted origin; 500 concurrent connections; slow
# connections (slowloris) while normal requests go on; 10,000 junk requests.
#
# Raw heads the server's front refuses before actix-http reads them (docs/API.md, "Refused
# before the application"): a 1 MB target (414), a 200 KB header and 100 header fields (431), a
# NUL, a malformed request line, bytes that are not HTTP (400), a bad head pipelined after good
# ones on a keep-alive connection, a head that never completes (408).
#
# A case fails on: any 5xx; any error answer (4xx) whose body is not the JSON error object (the
# front's refusals included: each must also carry X-Request-Id and be counted under
# route="unmatched"); an ERROR line of actix-http in the server log; any 2xx without the key
# on a route that needs one; RSS growing by more than 20 % over the 10,000 junk requests; the
# server not answering a normal request afterwards. The last line is
# `abuse: N passed, M failed`; the exit status is non-zero when M > 0.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
url=""
key="abuse-key-0123456789"
while [ $# -gt 0 ]; do
    case "$1" in
        --url) url="${2%/}"; shift 2 ;;
        --key) key="$2"; shift 2 ;;
        *) echo "usage: $0 [--url URL --key KEY]" >&2; exit 2 ;;
    esac
done

work="$(mktemp -d)"
group=""
# serve-fixture.sh runs in a process group of its own (setsid): the whole group is stopped.
trap '[ -z "$group" ] || { kill -TERM -- "-$group" 2>/dev/null; wait "$group" 2>/dev/null || true; }; rm -rf "$work"' EXIT

if [ -z "$url" ]; then
    printf '[server]\napi_keys = ["%s"]\ncors_origins = ["https://app.example"]\nclient_request_timeout_ms = 2000\nworkers = 2\n' \
        "$key" >"$work/musearch.toml"
    setsid scripts/serve-fixture.sh --config "$work/musearch.toml" >"$work/server.out" 2>"$work/server.log" &
    group=$!
    # Building the fixture index the first time takes minutes: wait up to 10 of them.
    deadline=$((SECONDS + 600))
    until url="$(grep -o -m1 'http://[^ /]*' "$work/server.out" 2>/dev/null)"; do
        if ! kill -0 "$group" 2>/dev/null || [ "$SECONDS" -ge "$deadline" ]; then
            tail -50 "$work/server.log" >&2
            printf 'abuse: the fixture server did not start\nabuse: 0 passed, 1 failed\n'
            exit 1
        fi
        sleep 0.5
    done
fi
case "$url" in
    http://127.0.0.1:*) ;;
    *) echo "abuse: only a loopback server (http://127.0.0.1:PORT) is attacked, not $url" >&2; exit 2 ;;
esac
echo "abuse: attacking $url" >&2

set +e
python3 - "$url" "$key" "$work/server.log" <<'PY'
import json, os, random, re, socket, sys, threading, time

URL, KEY, SERVER_LOG = sys.argv[1], sys.argv[2], sys.argv[3]
HOST, PORT = URL[len("http://"):].split(":")
PORT = int(PORT)
passed, failed = 0, []


def check(name, ok, detail=""):
    global passed
    if ok:
        passed += 1
    else:
        failed.append(f"{name}: {detail}")
        print(f"abuse: FAIL {name}: {detail}", file=sys.stderr)


def raw(data, timeout=30.0):
    """Sends raw bytes on a new connection and reads until the server closes it."""
    s = socket.create_connection((HOST, PORT), timeout=timeout)
    try:
        try:
            s.sendall(data)
        except OSError:
            pass  # the server may answer and close before reading everything
        chunks = []
        while True:
            try:
                b = s.recv(65536)
            except (socket.timeout, ConnectionResetError):
                break
            if not b:
                break
            chunks.append(b)
        return b"".join(chunks)
    finally:
        s.close()


def parse(resp):
    head, _, body = resp.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    try:
        status = int(lines[0].split(" ")[1])
    except (IndexError, ValueError):
        return None, {}, b""
    headers = {}
    for l in lines[1:]:
        k, _, v = l.partition(":")
        headers[k.strip().lower()] = v.strip()
    if "chunked" in headers.get("transfer-encoding", ""):
        out, rest = b"", body
        while rest:
            size_line, _, rest = rest.partition(b"\r\n")
            n = int(size_line.split(b";")[0] or b"0", 16)
            if n == 0:
                break
            out, rest = out + rest[:n], rest[n + 2:]
        body = out
    return status, headers, body


def request(method, target, headers=(), key=False, body=b""):
    lines = [f"{method} {target} HTTP/1.1", f"Host: {HOST}:{PORT}", "Connection: close"]
    if key:
        lines.append(f"X-Api-Key: {KEY}")
    lines += [f"{k}: {v}" for k, v in headers]
    if body:
        lines.append(f"Content-Length: {len(body)}")
    data = ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body
    return parse(raw(data))


def is_json_error(headers, body):
    if not headers.get("content-type", "").startswith("application/json"):
        return False
    try:
        v = json.loads(body)
        return isinstance(v["error"]["code"], str) and isinstance(v["error"]["message"], str)
    except (ValueError, KeyError, TypeError):
        return False


def answer_ok(name, status, headers, body, method="GET", target="/"):
    """No 5xx, every 4xx a JSON error; a target that is not in origin form (it does not begin
    with '/', e.g. '%2Fmetrics') is refused by the server's front with a JSON 400
    `malformed_request`, as docs/API.md documents for a head actix-http cannot read."""
    if status is None:
        check(name, False, "no HTTP answer")
        return
    check(name + " (no 5xx)", status < 500, f"status {status}")
    if not target.startswith("/"):
        check(name + " (front refusal: 400)", status == 400, f"status {status}")
    if status >= 400 and (method != "HEAD" or not target.startswith("/")):
        check(name + " (JSON error)", is_json_error(headers, body), f"{status} {body[:120]!r}")


# --- the catalog: a track id to aim at ---------------------------------------------------------
status, _, body = request("GET", "/api/v1/tags/rock/tracks?limit=1", key=True)
check("a track to aim at", status == 200, f"status {status}")
track = json.loads(body)["results"][0]["id"] if status == 200 else "0" * 32

ROUTES = [  # (target, needs a key)
    ("/api/v1/search?q=piano", True),
    (f"/api/v1/tracks/{track}", True),
    (f"/api/v1/tracks/{track}/audio", True),
    (f"/api/v1/tracks/{track}/taggram.png", True),
    (f"/api/v1/tracks/{track}/similar", True),
    ("/api/v1/tags", True),
    ("/api/v1/tags/rock/tracks", True),
    ("/api/v1/map/tags", True),
    ("/api/v1/map/tracks", True),
    ("/metrics", True),
    ("/api/v1/health", False),
    ("/api/v1/openapi.json", False),
    ("/", False),
]


def tricks(target):
    path, q, query = target.partition("?")
    query = q + query
    i = next((n for n, c in enumerate(path) if c.isalpha()), None)
    enc1 = path if i is None else f"{path[:i]}%{ord(path[i]):02X}{path[i + 1:]}"
    dbl = path if i is None else f"{path[:i]}%25{ord(path[i]):02X}{path[i + 1:]}"
    every = "".join(f"%{ord(c):02x}" if c.isalpha() else c for c in path)
    return [
        ("plain", path), ("one letter encoded", enc1), ("every letter encoded", every),
        ("double encoding", dbl), ("slashes encoded", path.replace("/", "%2F")),
        ("inner slashes encoded", "/" + path[1:].replace("/", "%2f")),
        ("leading //", "/" + path), ("doubled slashes", path.replace("/", "//")),
        ("/./", "/." + path), ("/x/../", "/x/.." + path), ("/static/../", "/static/.." + path),
        ("%2e%2e", "/x/%2e%2e" + path), ("trailing slash", path + "/"),
        ("upper case", path.upper()), ("mixed case", path[:1] + path[1:2].upper() + path[2:]),
    ], query


# --- 1. every route under every encoding trick, with and without the key -----------------------
for target, guarded in ROUTES:
    variants, query = tricks(target)
    for trick, path in variants:
        t = path + query
        for method in ("GET", "HEAD"):
            s, h, b = request(method, t)
            answer_ok(f"{method} {t} no key", s, h, b, method, t)
            # A public route (health, the OpenAPI document, the page) is public however its
            # path is spelt: the key check reads the decoded path the router matches.
            unauthorised = s is not None and 200 <= s < 300 and guarded
            check(f"{method} {t} ({trick}) no key: no unauthorised 2xx", not unauthorised, f"status {s}")
            s, h, b = request(method, t, key=True)
            answer_ok(f"{method} {t} with key", s, h, b, method, t)
            if trick == "plain":
                check(f"{method} {t} with key answers", s == 200, f"status {s}")

# --- 2. path traversal -------------------------------------------------------------------------
for t in ["/../../../../etc/passwd", "/static/..%2f..%2f..%2fetc%2fpasswd", "/static/%2e%2e%2fCargo.toml",
          "/static/..%5c..%5cCargo.toml", "/api/v1/tracks/..%2F..%2F..%2Fetc%2Fpasswd/audio",
          "/api/v1/tracks/%2e%2e/audio", "/static/....//....//etc/passwd", "/%2e%2e/%2e%2e/etc/passwd"]:
    for key in (False, True):
        s, h, b = request("GET", t, key=key)
        answer_ok(f"traversal {t}", s, h, b)
        check(f"traversal {t} serves nothing", s is not None and s >= 400 and b"root:" not in b, f"status {s}")

# --- 3. numbers: huge, negative, NaN, infinite --------------------------------------------------
for q in ["limit=99999999999999999999", "limit=-1", "limit=NaN", "offset=1e400", "offset=99999999999",
          "min_duration=NaN", "min_duration=inf", "max_duration=-inf", "min_duration=1e309",
          "max_duration=-0", "min_duration=0x10", "limit=1.5", "limit=", "offset=%00"]:
    t = f"/api/v1/search?q=piano&{q}"
    s, h, b = request("GET", t, key=True)
    answer_ok(f"numbers {q}", s, h, b)
    s, h, b = request("GET", f"/api/v1/tracks/{track}/similar?{q}", key=True)
    answer_ok(f"numbers similar {q}", s, h, b)

# --- 4. strings that are not UTF-8 ---------------------------------------------------------------
for q in ["q=%ff", "q=%ED%A0%80", "q=%C0%AF", "q=%E2%82", "q=piano&artist=%fe"]:
    s, h, b = request("GET", f"/api/v1/search?{q}", key=True)
    answer_ok(f"utf-8 {q}", s, h, b)
    check(f"utf-8 {q} is 400 invalid_utf8", s == 400 and b"invalid_utf8" in b, f"{s} {b[:80]!r}")

# --- 5. odd and junk methods ---------------------------------------------------------------------
for m in ["POST", "PUT", "DELETE", "PATCH", "OPTIONS", "TRACE", "PROPFIND", "FOO", "G3T", "X" * 200]:
    for t in ["/api/v1/search?q=piano", "/metrics", "/", "/nowhere"]:
        for key in (False, True):
            s, h, b = request(m, t, key=key, body=b"x" if m in ("POST", "PUT") else b"")
            answer_ok(f"method {m[:12]} {t}", s, h, b)

# --- 6. Range ----------------------------------------------------------------------------------------
audio = f"/api/v1/tracks/{track}/audio"
for r, want in [("bytes=5-2", 200), ("items=0-5", 200), ("bytes=a-b", 200), ("bytes=0-0,5-10", 200),
                ("bytes=0-99999999999999999999", 206), ("bytes=0-18446744073709551615", 206),
                ("bytes=99999999999999999999-", 416), ("bytes=0-9", 206), ("bytes=-0", 416)]:
    s, h, b = request("GET", audio, [("Range", r)], key=True)
    answer_ok(f"range {r}", s, h, b)
    check(f"range {r} is {want}", s == want, f"status {s}")

# --- 7. long targets, big headers, junk bytes ---------------------------------------------------
s, h, b = request("GET", "/api/v1/search?q=" + "a" * 5000, key=True)
answer_ok("5 KB target", s, h, b)
check("5 KB target is 414", s == 414, f"status {s}")
s, h, b = request("GET", "/api/v1/search?q=piano", [("X-Junk", "a" * 8000)], key=True)
answer_ok("8 KB header", s, h, b)
# Heads the front refuses before actix-http reads them (docs/API.md, "Refused before the
# application"): a JSON error with X-Request-Id, Connection: close, counted under
# route="unmatched".
def unmatched(status):
    _, _, b = request("GET", "/metrics", key=True)
    return sum(int(float(l.rsplit(" ", 1)[1])) for l in b.decode().splitlines()
               if l.startswith('musearch_http_requests_total{route="unmatched"') and f'status="{status}"' in l)


def refused_ok(name, resp, want, code):
    s, h, b = parse(resp)
    check(f"front refusal: {name} is {want}", s == want, f"status {s}, {resp[:80]!r}")
    check(f"front refusal: {name} is JSON {code}", is_json_error(h, b) and json.loads(b)["error"]["code"] == code,
          f"{h} {b[:80]!r}")
    check(f"front refusal: {name} has a request id", "x-request-id" in h, f"{h}")


GOOD = b"GET /api/v1/health HTTP/1.1\r\nHost: x\r\n\r\n"
for name, data, want, code in [
    ("1 MB target", b"GET /api/v1/search?q=" + b"a" * (1 << 20) + b" HTTP/1.1\r\nHost: x\r\n\r\n", 414, "uri_too_long"),
    ("200 KB header", b"GET / HTTP/1.1\r\nHost: x\r\nX-Big: " + b"a" * 200_000 + b"\r\n\r\n", 431, "headers_too_large"),
    ("100 header fields", b"GET / HTTP/1.1\r\nHost: x\r\n" + b"".join(b"X-%d: v\r\n" % i for i in range(100)) + b"\r\n",
     431, "headers_too_large"),
    ("NUL in a header", b"GET / HTTP/1.1\r\nHost: x\r\nX-Nul: a\x00b\r\n\r\n", 400, "malformed_request"),
    ("NUL in the target", b"GET /api\x00/v1/health HTTP/1.1\r\nHost: x\r\n\r\n", 400, "malformed_request"),
    ("malformed request line", b"GET / HTTP/1.1 extra\r\nHost: x\r\n\r\n", 400, "malformed_request"),
    ("not HTTP", b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03" + bytes(range(64)) + b"\r\n\r\n", 400, "malformed_request"),
]:
    before = unmatched(want)
    refused_ok(name, raw(data), want, code)
    check(f"front refusal: {name} is counted", unmatched(want) == before + 1, f"{before} -> {unmatched(want)}")
# A bad head pipelined after two good ones on one keep-alive connection: 200, 200, then 400.
resp = raw(GOOD + GOOD + b"GET / HTTP/1.1\r\nHost: x\r\nX-Nul: \x00\r\n\r\n")
statuses = [int(m) for m in re.findall(rb"HTTP/1\.1 (\d{3}) ", resp)]
check("pipelined bad head after good ones", statuses == [200, 200, 400], f"{statuses}")
refused_ok("pipelined bad head", resp[resp.rfind(b"HTTP/1.1 400"):], 400, "malformed_request")
s, h, b = request("GET", "/api/v1/health")
check("alive after front refusals", s == 200, f"status {s}")

# --- 8. CORS preflight from an unlisted origin -------------------------------------------------
s, h, b = request("OPTIONS", "/api/v1/search?q=piano",
                  [("Origin", "https://evil.example"), ("Access-Control-Request-Method", "GET")])
answer_ok("CORS unlisted origin", s, h, b)
check("CORS unlisted origin says so", b"cors_origin_not_allowed" in b, f"{s} {b[:100]!r}")


# --- 9. 500 concurrent connections -------------------------------------------------------------
def concurrent(n):
    results = [None] * n
    socks = []
    for i in range(n):
        try:
            socks.append(socket.create_connection((HOST, PORT), timeout=60))
        except OSError as e:
            results[i] = f"connect: {e}"
            socks.append(None)

    def one(i):
        s = socks[i]
        if s is None:
            return
        try:
            s.sendall(f"GET /api/v1/search?q=piano&limit=3 HTTP/1.1\r\nHost: x\r\nX-Api-Key: {KEY}\r\n"
                      "Connection: close\r\n\r\n".encode())
            data = b""
            while True:
                c = s.recv(65536)
                if not c:
                    break
                data += c
            results[i] = parse(data)[0]
        except OSError as e:
            results[i] = f"error: {e}"
        finally:
            s.close()

    threads = [threading.Thread(target=one, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    return results


res = concurrent(500)
bad = [r for r in res if r != 200]
check("500 concurrent connections all answered 200", not bad, f"{len(bad)} not: {sorted(set(map(str, bad)))[:5]}")

# --- 10. slow connections while normal requests go on -------------------------------------------
slow = []
for _ in range(100):
    s = socket.create_connection((HOST, PORT), timeout=30)
    s.sendall(b"GET /api/v1/health HTTP/1.1\r\nHost: x\r\n")  # never finishes the head
    slow.append(s)
started = time.time()
s, h, b = request("GET", "/api/v1/search?q=piano", key=True)
check("normal request during a slowloris", s == 200 and time.time() - started < 5, f"status {s}")
closed, timed_out, deadline = 0, 0, time.time() + 15
for s in slow:
    s.settimeout(max(0.1, deadline - time.time()))
    try:
        data = b""
        while True:
            c = s.recv(4096)
            if not c:
                break
            data += c
        closed += 1
        timed_out += parse(data)[0] == 408 and b"request_timeout" in data
    except OSError:
        pass
    s.close()
check("slow connections are closed by the server", closed == len(slow), f"{closed} of {len(slow)} closed in 15 s")
check("slow connections get a JSON 408", timed_out == len(slow), f"{timed_out} of {len(slow)}")


# --- 11. 10,000 junk requests: RSS must not grow by more than 20 % ------------------------------
def rss():
    s, _, b = request("GET", "/metrics", key=True)
    for line in b.decode().splitlines():
        if line.startswith("process_resident_memory_bytes "):
            return int(float(line.split()[1]))
    return None


rng = random.Random(20261204)


def junk_loop(n, conn_requests=100):
    statuses = {}
    sent = 0
    while sent < n:
        s = socket.create_connection((HOST, PORT), timeout=30)
        f = s.makefile("rb")
        batch = min(conn_requests, n - sent)
        for j in range(batch):
            m = rng.choice(["GET", "HEAD", "FOO%d" % rng.randrange(10**9), "DELETE", "POST"])
            p = rng.choice(["/api/v1/search?q=%d" % rng.randrange(10**9), "/junk/%d" % rng.randrange(10**9),
                            "/%61pi/v1/tags", "/metrics", "/api/v1/tracks/%032x" % rng.getrandbits(128),
                            "/static/x%d.js" % rng.randrange(10**6)])
            close = j == batch - 1
            s.sendall(f"{m} {p} HTTP/1.1\r\nHost: x\r\n{'Connection: close' if close else ''}\r\n\r\n".encode())
            line = f.readline()
            try:
                st = int(line.split()[1])
            except (IndexError, ValueError):
                statuses["broken"] = statuses.get("broken", 0) + 1
                break
            length, chunked = 0, False
            while True:
                hl = f.readline()
                if hl in (b"\r\n", b"", b"\n"):
                    break
                k, _, v = hl.decode("latin-1").partition(":")
                if k.lower() == "content-length":
                    length = int(v)
                if k.lower() == "transfer-encoding" and "chunked" in v:
                    chunked = True
            if m != "HEAD" and st not in (204, 304):
                if chunked:
                    while True:
                        size = int(f.readline().split(b";")[0], 16)
                        f.read(size + 2)
                        if size == 0:
                            break
                else:
                    f.read(length)
            statuses[st] = statuses.get(st, 0) + 1
            sent += 1
        f.close()
        s.close()
    return statuses


junk_loop(2000)  # warm-up: allocator arenas and caches settle first
before = rss()
statuses = junk_loop(10_000)
after = rss()
check("10k junk requests: no 5xx", not any(isinstance(k, int) and k >= 500 for k in statuses) and "broken" not in statuses,
      str(statuses))
check("RSS read from /metrics", before is not None and after is not None, f"{before} {after}")
if before and after:
    growth = (after - before) / before
    print(f"abuse: RSS {before / 2**20:.1f} MiB -> {after / 2**20:.1f} MiB ({growth * 100:+.1f} %) over 10k junk requests",
          file=sys.stderr)
    check("RSS grows by at most 20 % over 10k junk requests", growth <= 0.20, f"{growth * 100:+.1f} %")
s, _, b = request("GET", "/metrics", key=True)
series = sum(1 for l in b.decode().splitlines() if l.startswith("musearch_http_requests_total{"))
check("metrics series stay bounded", series < 200 and b"FOO" not in b, f"{series} series")
s, h, b = request("GET", "/api/v1/health")
check("alive at the end", s == 200, f"status {s}")

# The server's own request log (when this script started the server): no 5xx in it either.
if os.path.exists(SERVER_LOG):
    with open(SERVER_LOG, errors="replace") as f:
        fives = sum(1 for l in f if re.search(r"status=5[0-9][0-9]", l))
    check("the server log shows no 5xx", fives == 0, f"{fives} lines")
    with open(SERVER_LOG, errors="replace") as f:
        errors = [l for l in f if "ERROR" in l and "actix" in l]
    check("the server log has no ERROR line of actix", not errors, f"{len(errors)}: {errors[:2]}")

print(f"abuse: {passed} passed, {len(failed)} failed")
sys.exit(1 if failed else 0)
PY
status=$?
set -e
exit "$status"
