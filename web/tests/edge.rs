//! The server's edges against a real `musearch_web::serve` on loopback, spoken to in raw
//! HTTP/1.1 over TCP (so no client library normalises a target first): the API-key rule under
//! every route × encoding trick, metrics labels, strict UTF-8, Range, what the API shows of the
//! server's files, the request heads the front refuses (in JSON, counted, on every request of a
//! keep-alive connection), and the CORS refusal message.
//!
//! The index is written through the indexer's API (three synthetic tracks whose "audio" files are
//! real files in a temporary directory); the word vectors are the tiny GloVe fixture.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use musearch_index::{
    Change, CompactTaggram, Metadata, ModelSpec, ModelTags, StoredPath, TrackId, TrackRecord,
};
use musearch_indexer::Index;
use musearch_searcher::engine::{Engine, EngineOptions};
use musearch_web::ServerConfig;
use serde_json::Value;

const KEY: &str = "k-secret";

/// Bytes of the first track's audio file.
const AUDIO_LEN: usize = 1000;

fn repo_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// `café.ogg` in Latin-1: the byte 0xE9 alone is not UTF-8.
#[cfg(unix)]
fn latin1_name() -> std::ffi::OsString {
    use std::os::unix::ffi::OsStrExt;
    std::ffi::OsStr::from_bytes(b"caf\xe9.ogg").to_owned()
}

#[cfg(not(unix))]
fn latin1_name() -> std::ffi::OsString {
    "cafe.ogg".into()
}

fn track_id(i: usize) -> TrackId {
    let mut id = [0u8; 16];
    id[0] = i as u8 + 1;
    id[15] = 0xcd;
    TrackId(id)
}

fn id_hex(i: usize) -> String {
    track_id(i).0.iter().map(|b| format!("{b:02x}")).collect()
}

fn models() -> Vec<ModelSpec> {
    vec![ModelSpec {
        name: "MTT_musicnn".into(),
        version: "test".into(),
        tags: musearch_models::tags::MTT_TAGS
            .iter()
            .map(|t| t.to_string())
            .collect(),
        embedding_dim: 4,
    }]
}

/// Four tracks under `music/` (one in a sub-directory, one whose name is Latin-1 bytes, not
/// UTF-8); track `i`'s file holds `AUDIO_LEN + i` known bytes.
fn write_index(dir: &Path) -> PathBuf {
    let music = dir.join("music");
    std::fs::create_dir_all(music.join("sub")).unwrap();
    let files = [
        music.join("piano.ogg"),
        music.join("sub/guitar.mp3"),
        music.join("drums.flac"),
        music.join(latin1_name()),
    ];
    for (i, f) in files.iter().enumerate() {
        let bytes: Vec<u8> = (0..AUDIO_LEN + i).map(|b| (b % 251) as u8).collect();
        std::fs::write(f, bytes).unwrap();
    }
    let models = models();
    let records = files
        .iter()
        .enumerate()
        .map(|(i, f)| {
            let probabilities = models[0]
                .tags
                .iter()
                .enumerate()
                .map(|(t, _)| 0.05 + 0.9 * (((t + i) % 7 == 0) as u8 as f32))
                .collect();
            let mut embedding = vec![0.1; 4];
            embedding[i] = 1.0;
            TrackRecord {
                id: track_id(i),
                paths: vec![StoredPath::from_path(f).into_string()],
                size: (AUDIO_LEN + i) as u64,
                mtime_ns: 0,
                duration_secs: 60.0,
                sample_rate: 44_100,
                channels: 2,
                codec: ["vorbis", "mp3", "flac", "vorbis"][i].into(),
                metadata: Metadata {
                    title: Some(["Piano Song", "Guitar Song", "Drum Song", "Cafe Song"][i].into()),
                    artist: Some("Edge Band".into()),
                    album: None,
                    genre: None,
                    year: None,
                    track_number: None,
                },
                models: vec![ModelTags {
                    model: models[0].name.clone(),
                    version: models[0].version.clone(),
                    probabilities,
                    // Four 3-s columns of every tag.
                    taggram: CompactTaggram {
                        patches_per_column: 1,
                        tags: models[0].tags.len() as u32,
                        values: (0..4 * models[0].tags.len())
                            .map(|v| (v % 256) as u8)
                            .collect(),
                    },
                    embedding,
                }],
                indexed_at: 0,
                warnings: Vec::new(),
                signal: None,
            }
        })
        .collect();
    let index_dir = dir.join("index");
    let mut index = Index::open(&index_dir).unwrap();
    index.set_models(&models).unwrap();
    index
        .apply(&Change {
            upserts: records,
            ..Change::default()
        })
        .unwrap();
    index.commit().unwrap();
    index_dir
}

/// A server on a free loopback port, running on its own thread until the test process ends.
struct Server {
    addr: SocketAddr,
    dir: PathBuf,
}

fn start(config: &str) -> Server {
    let dir = tempfile::tempdir().unwrap().keep();
    let index_dir = write_index(&dir);
    let options = EngineOptions {
        vectors: vec![repo_root().join("fixtures/vectors/glove-50d-tiny.fifu")],
        ..EngineOptions::default()
    };
    let engine = Arc::new(Engine::open(&index_dir, &options).unwrap());
    let mut config = ServerConfig::parse(config).unwrap();
    config.bind = "127.0.0.1:0".into();
    config.workers = 2;
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        musearch_web::run(engine, config, move |addr| tx.send(addr).unwrap()).unwrap();
    });
    let addr = rx.recv_timeout(Duration::from_secs(60)).unwrap();
    Server { addr, dir }
}

/// An HTTP answer; header names in lower case.
#[derive(Debug)]
struct Reply {
    status: u16,
    headers: std::collections::HashMap<String, String>,
    body: Vec<u8>,
}

impl Reply {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).map(String::as_str)
    }

    fn json(&self) -> Value {
        let text = String::from_utf8_lossy(&self.body);
        serde_json::from_str(&text)
            .unwrap_or_else(|e| panic!("{} is not JSON ({e}): {text:?}", self.status))
    }

    fn code(&self) -> String {
        self.json()["error"]["code"]
            .as_str()
            .unwrap_or_default()
            .to_owned()
    }
}

impl Server {
    /// Sends `method target` with `headers` as raw HTTP/1.1 and reads the whole answer.
    fn raw(&self, method: &str, target: &str, headers: &[(&str, &str)]) -> Reply {
        let mut request = format!("{method} {target} HTTP/1.1\r\nHost: 127.0.0.1\r\n");
        for (k, v) in headers {
            request += &format!("{k}: {v}\r\n");
        }
        request += "Connection: close\r\n\r\n";
        self.send_bytes(request.as_bytes(), method == "HEAD")
    }

    fn send_bytes(&self, request: &[u8], head: bool) -> Reply {
        parse_reply(&self.exchange(request), head)
    }

    /// Sends `request` on a new connection and reads everything until the server closes it.
    fn exchange(&self, request: &[u8]) -> Vec<u8> {
        let mut stream = TcpStream::connect(self.addr).unwrap();
        stream
            .set_read_timeout(Some(Duration::from_secs(30)))
            .unwrap();
        // The server may answer and close before it has read everything (a refused head).
        let _ = stream.write_all(request);
        let mut bytes = Vec::new();
        let _ = stream.read_to_end(&mut bytes);
        bytes
    }

    fn get(&self, target: &str) -> Reply {
        self.raw("GET", target, &[])
    }

    fn get_with_key(&self, target: &str) -> Reply {
        self.raw("GET", target, &[("X-Api-Key", KEY)])
    }
}

fn parse_reply(bytes: &[u8], head: bool) -> Reply {
    let end = bytes
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .unwrap_or_else(|| panic!("no answer head in {:?}", String::from_utf8_lossy(bytes)));
    let text = String::from_utf8_lossy(&bytes[..end]);
    let mut lines = text.split("\r\n");
    let status = lines
        .next()
        .unwrap()
        .split(' ')
        .nth(1)
        .unwrap()
        .parse()
        .unwrap();
    let headers: std::collections::HashMap<String, String> = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_ascii_lowercase(), v.trim().to_owned()))
        .collect();
    let raw_body = &bytes[end + 4..];
    let chunked = headers
        .get("transfer-encoding")
        .is_some_and(|v| v.contains("chunked"));
    let body = if head {
        Vec::new()
    } else if chunked {
        dechunk(raw_body)
    } else {
        raw_body.to_vec()
    };
    Reply {
        status,
        headers,
        body,
    }
}

fn dechunk(mut data: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    loop {
        let Some(eol) = data.windows(2).position(|w| w == b"\r\n") else {
            return out;
        };
        let size_text = String::from_utf8_lossy(&data[..eol]);
        let size = usize::from_str_radix(size_text.split(';').next().unwrap().trim(), 16).unwrap();
        if size == 0 {
            return out;
        }
        out.extend_from_slice(&data[eol + 2..eol + 2 + size]);
        data = &data[eol + 2 + size + 2..];
    }
}

/// Every route of the API (concrete targets), public or not.
fn routes() -> Vec<(String, bool)> {
    let id = id_hex(0);
    vec![
        ("/api/v1/search?q=piano".into(), true),
        (format!("/api/v1/tracks/{id}"), true),
        (format!("/api/v1/tracks/{id}/audio"), true),
        (format!("/api/v1/tracks/{id}/taggram.png"), true),
        (format!("/api/v1/tracks/{id}/similar"), true),
        ("/api/v1/tags".into(), true),
        ("/api/v1/tags/piano/tracks".into(), true),
        ("/api/v1/map/tags".into(), true),
        ("/api/v1/map/tracks".into(), true),
        ("/metrics".into(), true),
        ("/api/v1/health".into(), false),
        ("/api/v1/openapi.json".into(), false),
        ("/".into(), false),
        ("/static/app.js".into(), false),
    ]
}

/// The spellings of `target` a hostile client might try, each with a name.
fn tricks(target: &str) -> Vec<(&'static str, String)> {
    let (path, query) = match target.split_once('?') {
        Some((p, q)) => (p.to_owned(), format!("?{q}")),
        None => (target.to_owned(), String::new()),
    };
    let encode_letters = |p: &str| -> String {
        p.chars()
            .map(|c| {
                if c.is_ascii_alphabetic() {
                    format!("%{:02X}", c as u8)
                } else {
                    c.to_string()
                }
            })
            .collect()
    };
    let first_letter = |p: &str, enc: &str| -> String {
        match p.char_indices().find(|(_, c)| c.is_ascii_alphabetic()) {
            Some((i, c)) => format!("{}{enc}{:02X}{}", &p[..i], c as u8, &p[i + 1..]),
            None => p.to_owned(),
        }
    };
    let with = |p: String| format!("{p}{query}");
    vec![
        ("plain", with(path.clone())),
        ("one letter encoded", with(first_letter(&path, "%"))),
        (
            "one letter lower-case escape",
            with(first_letter(&path, "%").to_ascii_lowercase()),
        ),
        ("every letter encoded", with(encode_letters(&path))),
        ("double encoding", with(first_letter(&path, "%25"))),
        ("slashes encoded", with(path.replace('/', "%2F"))),
        (
            "inner slashes encoded",
            with(format!("/{}", path[1..].replace('/', "%2F"))),
        ),
        ("leading //", with(format!("/{path}"))),
        ("doubled slashes", with(path.replace('/', "//"))),
        ("/./", with(format!("/.{path}"))),
        ("/x/../", with(format!("/x/..{path}"))),
        ("/static/../", with(format!("/static/..{path}"))),
        ("encoded dot segment", with(format!("/%2e{path}"))),
        ("trailing slash", with(format!("{path}/"))),
        ("upper case", with(path.to_ascii_uppercase())),
        ("mixed case", with(first_upper(&path))),
    ]
}

fn first_upper(path: &str) -> String {
    let mut out = String::new();
    let mut done = false;
    for c in path.chars() {
        if !done && c.is_ascii_lowercase() {
            out.push(c.to_ascii_uppercase());
            done = true;
        } else {
            out.push(c);
        }
    }
    out
}

#[test]
fn no_spelling_of_a_guarded_route_passes_without_a_key() {
    let server = start(&format!("[server]\napi_keys = [\"{KEY}\"]\n"));
    let mut failures = Vec::new();
    let mut tried = 0;
    for (route, guarded) in routes() {
        for (trick, target) in tricks(&route) {
            for method in ["GET", "HEAD"] {
                tried += 1;
                let without = server.raw(method, &target, &[]);
                let with_key = server.raw(method, &target, &[("X-Api-Key", KEY)]);
                if without.status >= 500 || with_key.status >= 500 {
                    failures.push(format!("{method} {target} ({trick}): a 5xx"));
                }
                // Without a key, a guarded route's content never comes back in any spelling (a
                // public one may: the router decodes `/%73tatic/app.js` to the public file).
                if (200..300).contains(&without.status) && guarded {
                    failures.push(format!(
                        "{method} {target} ({route}, {trick}): {} without a key",
                        without.status
                    ));
                }
                if trick == "plain" && !guarded && without.status != 200 {
                    failures.push(format!("{method} {target}: public but {}", without.status));
                }
                if trick == "plain" && with_key.status != 200 {
                    failures.push(format!(
                        "{method} {target}: {} with the key",
                        with_key.status
                    ));
                }
                if without.status == 401 && method == "GET" && without.code() != "unauthorized" {
                    failures.push(format!("{target}: 401 with code {}", without.code()));
                }
            }
        }
    }
    assert!(tried > 400, "{tried}");
    assert!(failures.is_empty(), "{}", failures.join("\n"));

    // The finding itself: the percent-encoded `api` of issue 15.
    for target in ["/%61pi/v1/search?q=piano", "/%6detrics"] {
        assert_eq!(server.get(target).status, 401, "{target}");
        assert_eq!(server.get_with_key(target).status, 200, "{target}");
    }
    let audio = format!("/%61pi/v1/tracks/{}/audio", id_hex(0));
    assert_eq!(server.get(&audio).status, 401);
}

#[test]
fn without_keys_every_route_answers_in_its_plain_spelling() {
    let server = start("");
    for (route, _) in routes() {
        assert_eq!(server.get(&route).status, 200, "{route}");
    }
    // A decoded spelling reaches the same route (the router decodes), still with no 5xx.
    assert_eq!(server.get("/%61pi/v1/search?q=piano").status, 200);
}

#[test]
fn junk_methods_add_no_metrics_series() {
    let server = start("");
    let lines = |server: &Server| server.get("/metrics").body.split(|b| *b == b'\n').count();
    server.get("/api/v1/health");
    server.raw("FOO", "/api/v1/health", &[]);
    let before = lines(&server);
    for i in 0..1_000 {
        let reply = server.raw(&format!("FOO{i}"), "/api/v1/health", &[]);
        assert_eq!(reply.status, 405, "FOO{i}");
    }
    let text = String::from_utf8(server.get("/metrics").body).unwrap();
    assert!(!text.contains("FOO"), "a junk method became a label");
    // The scrapes themselves add at most the `/metrics` series.
    let after = text.split('\n').count();
    assert!(after <= before + 20, "{before} → {after} lines");
    assert!(
        text.contains("method=\"other\",status=\"405\"} 1001"),
        "{text}"
    );
}

#[test]
fn query_parameters_must_be_utf8() {
    let server = start("");
    for target in [
        "/api/v1/search?q=%ff",
        "/api/v1/search?q=%ED%A0%80",
        "/api/v1/search?q=%C0%AF",
        "/api/v1/search?q=piano&artist=%FE%FF",
        "/api/v1/tags/%ff/tracks",
    ] {
        let reply = server.get(target);
        assert_eq!(reply.status, 400, "{target}: {reply:?}");
        assert_eq!(reply.code(), "invalid_utf8", "{target}");
    }
    assert_eq!(server.get("/api/v1/search?q=caf%C3%A9").status, 200);
}

#[test]
fn ranges_follow_rfc_9110() {
    let server = start("");
    let url = format!("/api/v1/tracks/{}/audio", id_hex(0));
    let file: Vec<u8> = (0..AUDIO_LEN).map(|b| (b % 251) as u8).collect();
    let range = |r: &str| server.raw("GET", &url, &[("Range", r)]);

    let whole = server.get(&url);
    assert_eq!(whole.status, 200);
    assert_eq!(whole.body, file);
    assert_eq!(whole.header("accept-ranges"), Some("bytes"));

    let one = range("bytes=10-19");
    assert_eq!(one.status, 206);
    assert_eq!(one.header("content-range"), Some("bytes 10-19/1000"));
    assert_eq!(one.body, file[10..20]);
    let open = range("bytes=0-");
    assert_eq!((open.status, open.body.len()), (206, AUDIO_LEN));
    assert_eq!(range("bytes=-10").body, file[990..]);

    // Syntactically invalid: ignored, the whole file.
    for bad in ["bytes=5-2", "items=0-5", "bytes=a-b", "bytes="] {
        let reply = range(bad);
        assert_eq!(reply.status, 200, "{bad}");
        assert_eq!(reply.body, file, "{bad}");
    }
    // Several ranges: the whole file with 200, never only the first part.
    let several = range("bytes=0-0,5-10");
    assert_eq!(several.status, 200);
    assert_eq!(several.body, file);
    assert_eq!(several.header("content-range"), None);
    // Huge numbers: a last position past u64 is "to the end", as u64::MAX is.
    for huge in [
        "bytes=0-18446744073709551615",
        "bytes=0-99999999999999999999",
    ] {
        let reply = range(huge);
        assert_eq!(reply.status, 206, "{huge}");
        assert_eq!(reply.header("content-range"), Some("bytes 0-999/1000"));
    }
    for outside in ["bytes=1000-", "bytes=99999999999999999999-"] {
        let reply = range(outside);
        assert_eq!(reply.status, 416, "{outside}");
        assert_eq!(reply.code(), "range_not_satisfiable");
        assert_eq!(reply.header("content-range"), Some("bytes */1000"));
    }
    // If-Range with another validator: the whole file.
    let stale = server.raw(
        "GET",
        &url,
        &[("Range", "bytes=0-9"), ("If-Range", "\"other\"")],
    );
    assert_eq!((stale.status, stale.body.len()), (200, AUDIO_LEN));
}

#[test]
fn the_api_shows_no_server_paths_or_inodes() {
    let server = start("");
    let detail = server.get(&format!("/api/v1/tracks/{}", id_hex(1))).json();
    assert_eq!(detail["paths"], serde_json::json!(["sub/guitar.mp3"]));
    let music = server.dir.join("music").to_string_lossy().into_owned();
    for (route, _) in routes() {
        let body = String::from_utf8_lossy(&server.get(&route).body).into_owned();
        assert!(!body.contains(&music), "{route} shows {music}");
    }
    // The ETag is the content id and the length, nothing of the file system.
    let audio = server.get(&format!("/api/v1/tracks/{}/audio", id_hex(0)));
    assert_eq!(
        audio.header("etag"),
        Some(format!("\"{}-{AUDIO_LEN}\"", id_hex(0)).as_str())
    );
    let etag = audio.header("etag").unwrap().to_owned();
    let again = server.raw(
        "GET",
        &format!("/api/v1/tracks/{}/audio", id_hex(0)),
        &[("If-None-Match", &etag)],
    );
    assert_eq!(again.status, 304);

    // A file name that is not UTF-8: shown with U+FFFD, served byte for byte.
    #[cfg(unix)]
    {
        let detail = server.get(&format!("/api/v1/tracks/{}", id_hex(3))).json();
        assert_eq!(detail["paths"], serde_json::json!(["caf\u{FFFD}.ogg"]));
        let audio = server.get(&format!("/api/v1/tracks/{}/audio", id_hex(3)));
        assert_eq!(audio.status, 200, "{audio:?}");
        let file: Vec<u8> = (0..AUDIO_LEN + 3).map(|b| (b % 251) as u8).collect();
        assert_eq!(audio.body, file);
        let part = server.raw(
            "GET",
            &format!("/api/v1/tracks/{}/audio", id_hex(3)),
            &[("Range", "bytes=0-9")],
        );
        assert_eq!((part.status, part.body.as_slice()), (206, &file[..10]));
    }

    let hidden = start("[server]\npaths = \"none\"\n");
    let detail = hidden.get(&format!("/api/v1/tracks/{}", id_hex(1))).json();
    assert_eq!(detail["paths"], serde_json::json!([]));
}

#[test]
fn refusals_are_json_with_their_status_and_a_request_id() {
    let server = start("");
    // A target over `max_uri_bytes` but within the HTTP parser's buffer: 414, JSON.
    let long = format!("/api/v1/search?q={}", "a".repeat(5000));
    let reply = server.get(&long);
    assert_eq!(reply.status, 414);
    assert_eq!(reply.code(), "uri_too_long");
    assert!(reply.header("x-request-id").is_some());
    let junk = server.raw("FOO", "/api/v1/health", &[]);
    assert_eq!(
        (junk.status, junk.code().as_str()),
        (405, "method_not_allowed")
    );
    assert!(junk.header("x-request-id").is_some());

    // A 1 MB target never reaches actix-http: the front refuses it with the same JSON 414.
    let huge = format!("/api/v1/search?q={}", "a".repeat(1 << 20));
    let reply = server.get(&huge);
    assert_eq!(reply.status, 414);
    assert_eq!(reply.code(), "uri_too_long");
    // The server is still up.
    assert_eq!(server.get("/api/v1/health").status, 200);
}

/// The `musearch_http_requests_total` count of `route="unmatched"` with `status`.
fn unmatched_count(server: &Server, status: u16) -> u64 {
    let text = String::from_utf8(server.get("/metrics").body).unwrap();
    text.lines()
        .filter(|l| {
            l.starts_with("musearch_http_requests_total{route=\"unmatched\"")
                && l.contains(&format!("status=\"{status}\""))
        })
        .filter_map(|l| l.rsplit(' ').next()?.parse::<u64>().ok())
        .sum()
}

/// The one reply on `stream`, read until the server closes it.
fn read_reply(stream: &mut TcpStream) -> Reply {
    let mut bytes = Vec::new();
    let _ = stream.read_to_end(&mut bytes);
    parse_reply(&bytes, false)
}

/// Checks a refusal from the front: status, JSON code, a request id, a closed connection.
fn assert_refused(reply: &Reply, status: u16, code: &str, case: &str) {
    assert_eq!(reply.status, status, "{case}: {reply:?}");
    assert_eq!(reply.code(), code, "{case}");
    assert!(reply.header("x-request-id").is_some(), "{case}");
    assert_eq!(
        reply.header("content-type"),
        Some("application/json"),
        "{case}"
    );
    assert_eq!(reply.header("connection"), Some("close"), "{case}");
}

#[test]
fn heads_the_parser_would_refuse_get_json_answers_and_are_counted() {
    let server = start("[server]\nclient_request_timeout_ms = 1000\n");
    let big_header = format!(
        "GET /api/v1/health HTTP/1.1\r\nHost: a\r\nX-Big: {}\r\n\r\n",
        "b".repeat(200 * 1024)
    );
    let many_headers = format!(
        "GET /api/v1/health HTTP/1.1\r\n{}\r\n",
        (0..100)
            .map(|i| format!("X-{i}: v\r\n"))
            .collect::<String>()
    );
    let long_target = format!("GET /{} HTTP/1.1\r\nHost: a\r\n\r\n", "a".repeat(1 << 20));
    let cases: Vec<(&str, Vec<u8>, u16, &str)> = vec![
        ("1 MB target", long_target.into_bytes(), 414, "uri_too_long"),
        (
            "200 KB header",
            big_header.into_bytes(),
            431,
            "headers_too_large",
        ),
        (
            "101 header fields",
            many_headers.into_bytes(),
            431,
            "headers_too_large",
        ),
        (
            "NUL in a header",
            b"GET /api/v1/health HTTP/1.1\r\nHost: a\r\nX-Nul: a\0b\r\n\r\n".to_vec(),
            400,
            "malformed_request",
        ),
        (
            "not HTTP",
            b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03\r\n\r\n".to_vec(),
            400,
            "malformed_request",
        ),
        (
            "malformed request line",
            b"GET /api/v1/health HTTP/9.9 x\r\n\r\n".to_vec(),
            400,
            "malformed_request",
        ),
        (
            "bad Content-Length",
            b"GET /api/v1/health HTTP/1.1\r\nHost: a\r\nContent-Length: -1\r\n\r\n".to_vec(),
            400,
            "malformed_request",
        ),
    ];
    for (case, request, status, code) in &cases {
        let before = unmatched_count(&server, *status);
        let reply = server.send_bytes(request, false);
        assert_refused(&reply, *status, code, case);
        assert_eq!(
            unmatched_count(&server, *status),
            before + 1,
            "{case}: not counted"
        );
    }

    // A slow client: half a head, then nothing. 408 after client_request_timeout_ms.
    let before = unmatched_count(&server, 408);
    let mut stream = TcpStream::connect(server.addr).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    stream
        .write_all(b"GET /api/v1/health HTTP/1.1\r\nHost: a\r\n")
        .unwrap();
    let started = std::time::Instant::now();
    let reply = read_reply(&mut stream);
    let waited = started.elapsed();
    assert_refused(&reply, 408, "request_timeout", "slow head");
    assert!(waited >= Duration::from_millis(800), "{waited:?}");
    assert_eq!(unmatched_count(&server, 408), before + 1);

    // Nothing at all: 408 too.
    let mut idle = TcpStream::connect(server.addr).unwrap();
    idle.set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    assert_refused(
        &read_reply(&mut idle),
        408,
        "request_timeout",
        "silent client",
    );

    // Still serving, and the refused heads added only the closed label set.
    assert_eq!(server.get("/api/v1/health").status, 200);
    let text = String::from_utf8(server.get("/metrics").body).unwrap();
    assert!(!text.contains("X-Big") && !text.contains("aaaa"), "{text}");
}

/// Every reply in `bytes`, in order (bodies by Content-Length or chunked).
fn replies(mut bytes: &[u8]) -> Vec<Reply> {
    let mut out = Vec::new();
    while let Some(end) = bytes.windows(4).position(|w| w == b"\r\n\r\n") {
        let head = parse_reply(&bytes[..end + 4], true);
        let rest = &bytes[end + 4..];
        let (body, used) = if let Some(len) = head.header("content-length") {
            let len: usize = len.parse().unwrap();
            (rest[..len].to_vec(), len)
        } else if head
            .header("transfer-encoding")
            .is_some_and(|v| v.contains("chunked"))
        {
            let end = rest.windows(5).position(|w| w == b"0\r\n\r\n").unwrap() + 5;
            (dechunk(&rest[..end]), end)
        } else {
            (rest.to_vec(), rest.len())
        };
        out.push(Reply { body, ..head });
        bytes = &bytes[end + 4 + used..];
    }
    out
}

#[test]
fn every_head_on_a_keep_alive_connection_is_checked() {
    let server = start("[server]\nmax_body_bytes = 4096\n");
    let good = "GET /api/v1/health HTTP/1.1\r\nHost: a\r\n\r\n";
    let talk = |request: &[u8]| replies(&server.exchange(request));

    // Pipelined: two good requests, then one with a NUL; the good ones are answered in order,
    // then the bad one is refused.
    let before = unmatched_count(&server, 400);
    let pipelined =
        format!("{good}{good}GET /api/v1/health HTTP/1.1\r\nHost: a\r\nX: a\0b\r\n\r\n");
    let got = talk(pipelined.as_bytes());
    let statuses: Vec<u16> = got.iter().map(|r| r.status).collect();
    assert_eq!(statuses, [200, 200, 400], "{got:?}");
    assert_eq!(got[2].code(), "malformed_request");
    assert_eq!(unmatched_count(&server, 400), before + 1);

    // A body is framed as actix-http frames it: a "head" inside it is body, not a head (this
    // one would be refused as one); the head after the body is checked (a 1 MB target: 414).
    let hidden = "GET /x HTTP/1.1\r\nHost: a\r\nX: a\0b\r\n\r\n";
    let chunked_hidden = format!("{:x}\r\n{hidden}\r\n0\r\n\r\n", hidden.len());
    let framed = format!(
        "GET /api/v1/health HTTP/1.1\r\nHost: a\r\nContent-Length: {}\r\n\r\n{hidden}{good}\
         GET /{} HTTP/1.1\r\n\r\n",
        hidden.len(),
        "a".repeat(1 << 20)
    );
    let got = talk(framed.as_bytes());
    let statuses: Vec<u16> = got.iter().map(|r| r.status).collect();
    assert_eq!(statuses, [200, 200, 414], "{got:?}");
    // A chunked body ends the connection (the gate refuses it: no route takes a body) — but
    // its "head" is still not taken for one.
    let chunked = format!(
        "GET /api/v1/health HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n{chunked_hidden}{good}"
    );
    let got = talk(chunked.as_bytes());
    assert_eq!(got[0].status, 413, "{got:?}");
    assert_eq!(got[0].code(), "payload_too_large");
    assert!(got.iter().all(|r| r.status != 400), "{got:?}");

    // Keep-alive, one request at a time: the second head is checked too.
    let mut stream = TcpStream::connect(server.addr).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(30)))
        .unwrap();
    for _ in 0..3 {
        stream.write_all(good.as_bytes()).unwrap();
        let mut buf = [0u8; 4096];
        let n = stream.read(&mut buf).unwrap();
        assert!(
            buf[..n].starts_with(b"HTTP/1.1 200"),
            "{:?}",
            String::from_utf8_lossy(&buf[..n])
        );
    }
    let huge_header = format!(
        "GET /api/v1/health HTTP/1.1\r\nHost: a\r\nX: {}\r\n\r\n",
        "h".repeat(100 * 1024)
    );
    let _ = stream.write_all(huge_header.as_bytes());
    assert_refused(
        &read_reply(&mut stream),
        431,
        "headers_too_large",
        "second head",
    );
}

#[test]
fn an_unlisted_cors_origin_is_told_so() {
    let server = start("[server]\ncors_origins = [\"https://app.example\"]\n");
    let reply = server.raw(
        "OPTIONS",
        "/api/v1/search?q=piano",
        &[
            ("Origin", "https://elsewhere.example"),
            ("Access-Control-Request-Method", "GET"),
        ],
    );
    assert_eq!(reply.status, 400);
    assert_eq!(reply.code(), "cors_origin_not_allowed");
    let message = reply.json()["error"]["message"]
        .as_str()
        .unwrap()
        .to_owned();
    assert!(message.contains("https://elsewhere.example"), "{message}");
    assert!(message.contains("cors_origins"), "{message}");
}
