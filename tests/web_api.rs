//! End-to-end: `musearch serve` on an index of `fixtures/audio` built by the real indexer
//! (`scripts/serve-fixture.sh --index-only`), exercised over real HTTP: every endpoint, every
//! documented error, audio ranges, API keys, CORS, limits, metrics and JSON logs. Every JSON
//! answer is checked against the OpenAPI document the server serves.
//!
//! Needs the musicnn wheel (`MUSEARCH_MUSICNN_WHEEL_DIR`, fetched by the script when missing) and
//! the word vectors (`MUSEARCH_VECTORS`), as scripts/test.sh sets them up.

#![cfg(feature = "torch")]

mod common;

use std::collections::HashSet;
use std::io::Read;

use common::openapi_check::{component, response_schema, violations};
use common::server::TestServer;
use serde_json::Value;

/// An HTTP answer.
struct Reply {
    status: u16,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

impl Reply {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    fn json(&self) -> Value {
        serde_json::from_slice(&self.body).unwrap_or_else(|e| {
            panic!(
                "not JSON ({e}): {:?}",
                String::from_utf8_lossy(&self.body[..self.body.len().min(300)])
            )
        })
    }

    /// Insists on an error answer of the contract's shape with `status` and `code`.
    fn assert_error(&self, status: u16, code: &str, what: &str) {
        assert_eq!(
            self.status,
            status,
            "{what}: {}",
            String::from_utf8_lossy(&self.body)
        );
        assert!(
            self.header("content-type")
                .is_some_and(|t| t.starts_with("application/json")),
            "{what}: content type {:?}",
            self.header("content-type")
        );
        let v = self.json();
        assert_eq!(v["error"]["code"], code, "{what}: {v}");
        assert!(
            v["error"]["message"]
                .as_str()
                .is_some_and(|m| !m.is_empty()),
            "{what}: {v}"
        );
        assert_eq!(v.as_object().unwrap().len(), 1, "{what}: {v}");
    }
}

fn send(method: &str, url: &str, headers: &[(&str, &str)], body: Option<&[u8]>) -> Reply {
    let mut req = ureq::request(method, url);
    for (k, v) in headers {
        req = req.set(k, v);
    }
    let result = match body {
        Some(bytes) => req.send_bytes(bytes),
        None => req.call(),
    };
    let resp = match result {
        Ok(resp) | Err(ureq::Error::Status(_, resp)) => resp,
        Err(err) => panic!("{method} {url}: {err}"),
    };
    let status = resp.status();
    let headers = resp
        .headers_names()
        .into_iter()
        .map(|n| {
            let v = resp.header(&n).unwrap_or_default().to_string();
            (n, v)
        })
        .collect();
    let mut body = Vec::new();
    resp.into_reader().read_to_end(&mut body).unwrap();
    Reply {
        status,
        headers,
        body,
    }
}

fn get(url: &str) -> Reply {
    send("GET", url, &[], None)
}

/// GETs `path` and checks the 200 JSON answer against the OpenAPI document's schema for
/// `route` (the path pattern).
fn get_documented(server: &TestServer, doc: &Value, route: &str, path: &str) -> Value {
    let reply = get(&server.at(path));
    assert_eq!(
        reply.status,
        200,
        "{path}: {}",
        String::from_utf8_lossy(&reply.body)
    );
    let v = reply.json();
    let problems = violations(doc, response_schema(doc, route, 200), &v);
    assert!(
        problems.is_empty(),
        "{path} breaks the OpenAPI document: {problems:#?}"
    );
    v
}

fn openapi(server: &TestServer) -> Value {
    let reply = get(&server.at("/api/v1/openapi.json"));
    assert_eq!(reply.status, 200);
    reply.json()
}

fn ids(v: &Value) -> Vec<String> {
    v["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["id"].as_str().unwrap().to_string())
        .collect()
}

#[test]
fn every_json_endpoint_answers_as_documented() {
    let server = TestServer::start("", &[]);
    let doc = openapi(&server);

    let health = get_documented(&server, &doc, "/api/v1/health", "/api/v1/health");
    assert_eq!(health["status"], "ok");
    assert_eq!(health["version"], "0.1.0");
    // fixtures/audio: 13 decodable clips (the files under bad/ are refused by the indexer).
    assert_eq!(health["tracks"], 13);
    // 13 tracks are far below the size that wants a similar-track graph.
    assert_eq!(health["similar_index"], "exact");

    // Search, paging and filters.
    let all = get_documented(
        &server,
        &doc,
        "/api/v1/search",
        "/api/v1/search?q=piano&limit=13",
    );
    let every = ids(&all);
    assert!(!every.is_empty(), "{all}");
    assert!(all["total"].as_u64().unwrap() as usize >= every.len());
    // Best first within each group of results moved down for the same reasons (weak evidence,
    // short, near-silent), the diversity rule off.
    let plain = get_documented(
        &server,
        &doc,
        "/api/v1/search",
        "/api/v1/search?q=piano&limit=13&diverse=false",
    );
    let results = plain["results"].as_array().unwrap();
    for w in results.windows(2) {
        if w[0]["demoted"] == w[1]["demoted"] {
            assert!(w[0]["score"].as_f64() >= w[1]["score"].as_f64(), "{plain}");
        }
    }
    for r in results {
        assert_eq!(
            r["weak_match"].as_bool().unwrap(),
            r["demoted"]
                .as_array()
                .unwrap()
                .contains(&"weak_evidence".into())
        );
    }
    // Near-duplicates are folded: every track is a result or a version of one.
    let folded: usize = results
        .iter()
        .map(|r| r["versions"].as_array().unwrap().len())
        .sum();
    assert_eq!(results.len() + folded, 13, "{plain}");
    assert_eq!(plain["total"].as_u64().unwrap() as usize, results.len());
    for v in results
        .iter()
        .flat_map(|r| r["versions"].as_array().unwrap())
    {
        assert!(!v["path"].as_str().unwrap().starts_with('/'), "{v}");
    }
    // One evidence entry per tag name.
    for r in results {
        let names: Vec<&str> = r["explanation"]["by_tag"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["tag"].as_str().unwrap())
            .collect();
        let mut unique = names.clone();
        unique.sort_unstable();
        unique.dedup();
        assert_eq!(names.len(), unique.len(), "{r}");
    }
    // A bad diversity parameter is the client's mistake.
    let status = |path: &str| get(&server.at(path)).status;
    assert_eq!(status("/api/v1/search?q=piano&max_per_album=0"), 400);
    assert_eq!(status("/api/v1/search?q=piano&diverse=maybe"), 400);
    if every.len() >= 4 {
        let first = get_documented(
            &server,
            &doc,
            "/api/v1/search",
            "/api/v1/search?q=piano&limit=2",
        );
        let second = get_documented(
            &server,
            &doc,
            "/api/v1/search",
            "/api/v1/search?q=piano&limit=2&offset=2",
        );
        assert_eq!(ids(&first), every[..2]);
        assert_eq!(ids(&second), every[2..4]);
        assert_eq!(second["offset"], 2);
    }
    let ogg = get_documented(
        &server,
        &doc,
        "/api/v1/search",
        "/api/v1/search?q=piano&format=ogg&limit=13",
    );
    for r in ogg["results"].as_array().unwrap() {
        assert_eq!(r["format"], "ogg", "{r}");
    }
    let long = get_documented(
        &server,
        &doc,
        "/api/v1/search",
        "/api/v1/search?q=piano&min_duration=5&limit=13",
    );
    for r in long["results"].as_array().unwrap() {
        assert!(r["duration_secs"].as_f64().unwrap() >= 5.0, "{r}");
    }
    // A query of words no vector knows is text search, not an error.
    get_documented(
        &server,
        &doc,
        "/api/v1/search",
        "/api/v1/search?q=zzqxj%20vvkrw",
    );

    // One track: details, taggram picture, similar tracks.
    let id = &every[0];
    let detail = get_documented(
        &server,
        &doc,
        "/api/v1/tracks/{id}",
        &format!("/api/v1/tracks/{id}"),
    );
    assert_eq!(&detail["id"], id);
    assert_eq!(detail["audio_url"], format!("/api/v1/tracks/{id}/audio"));
    assert_eq!(detail["models"].as_array().unwrap().len(), 2);
    let png = get(&server.at(&format!("/api/v1/tracks/{id}/taggram.png")));
    assert_eq!(png.status, 200);
    assert_eq!(png.header("content-type"), Some("image/png"));
    let (w, h) = musearch_models::plot::png_size(&png.body).expect("a PNG");
    let tags = detail["taggram"]["tags"].as_array().unwrap().len() as u32;
    assert!(w >= 300 && h > tags * 12, "{w}×{h} for {tags} tags");
    let similar = get_documented(
        &server,
        &doc,
        "/api/v1/tracks/{id}/similar",
        &format!("/api/v1/tracks/{id}/similar?limit=5"),
    );
    let sims: Vec<f64> = similar["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["similarity"].as_f64().unwrap())
        .collect();
    assert!(!sims.is_empty());
    assert!(sims.windows(2).all(|w| w[0] >= w[1]), "{sims:?}");
    assert!(!ids(&similar).contains(id));

    // Tags and a tag's tracks.
    let tags = get_documented(&server, &doc, "/api/v1/tags", "/api/v1/tags");
    let names: Vec<&str> = tags["tags"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["name"].as_str().unwrap())
        .collect();
    assert!(
        names.contains(&"piano") && names.contains(&"rock"),
        "{names:?}"
    );
    let piano = get_documented(
        &server,
        &doc,
        "/api/v1/tags/{tag}/tracks",
        "/api/v1/tags/piano/tracks?limit=3",
    );
    assert_eq!(piano["results"].as_array().unwrap().len(), 3);
    let two_words = names
        .iter()
        .find(|n| n.contains(' '))
        .expect("a tag of two words");
    let spaced = get_documented(
        &server,
        &doc,
        "/api/v1/tags/{tag}/tracks",
        &format!("/api/v1/tags/{}/tracks", two_words.replace(' ', "%20")),
    );
    assert!(!ids(&spaced).is_empty());

    // The page and its files.
    let page = get(&server.url);
    assert_eq!(page.status, 200);
    assert!(page
        .header("content-type")
        .unwrap()
        .starts_with("text/html"));

    // The metrics count what was asked, by route pattern and status.
    let metrics = get(&server.at("/metrics"));
    assert_eq!(metrics.status, 200);
    let text = String::from_utf8(metrics.body).unwrap();
    for line in [
        "musearch_http_requests_total{route=\"/api/v1/search\",method=\"GET\",status=\"200\"}",
        "musearch_http_requests_total{route=\"/api/v1/tracks/{id}\",method=\"GET\",status=\"200\"}",
        "musearch_http_request_duration_seconds_bucket{route=\"/api/v1/health\",method=\"GET\",status=\"200\",le=\"+Inf\"} 1",
        "musearch_catalog_tracks 13",
        "process_resident_memory_bytes ",
    ] {
        assert!(text.contains(line), "no {line} in\n{text}");
    }
}

#[test]
fn maps_answer_as_documented() {
    let server = TestServer::start("", &[]);
    let doc = openapi(&server);
    let tags = get_documented(&server, &doc, "/api/v1/map/tags", "/api/v1/map/tags");
    assert!(tags["points"].as_array().unwrap().len() >= 50);
    let tracks = get_documented(&server, &doc, "/api/v1/map/tracks", "/api/v1/map/tracks");
    assert_eq!(tracks["total"], 13);
    assert_eq!(tracks["sampled"], false);
    assert_eq!(tracks["points"].as_array().unwrap().len(), 13);
}

/// The content type a browser needs for each fixture's format.
fn expected_content_type(format: &str) -> &'static str {
    match format {
        "mp3" => "audio/mpeg",
        "ogg" | "opus" => "audio/ogg",
        "flac" => "audio/flac",
        "wav" => "audio/wav",
        "m4a" => "audio/mp4",
        other => panic!("no fixture of format {other}"),
    }
}

#[test]
fn audio_is_served_whole_and_in_ranges() {
    let server = TestServer::start("", &[]);
    // Every track: a tag's ranking covers the whole catalog.
    let all = get(&server.at("/api/v1/tags/rock/tracks?limit=13")).json();
    let results = all["results"].as_array().unwrap();
    assert_eq!(results.len(), 13);
    let mut formats = HashSet::new();
    for r in results {
        let id = r["id"].as_str().unwrap();
        let format = r["format"].as_str().unwrap();
        formats.insert(format.to_string());
        let detail = get(&server.at(&format!("/api/v1/tracks/{id}"))).json();
        // Paths are shown relative to the indexed root (never absolute): find the fixture by name.
        let shown = std::path::Path::new(detail["paths"][0].as_str().unwrap());
        assert!(shown.is_relative(), "{shown:?}");
        let fixtures = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/audio");
        let file = std::fs::read(fixtures.join(shown.file_name().unwrap())).unwrap();
        let url = server.at(&format!("/api/v1/tracks/{id}/audio"));

        let whole = get(&url);
        assert_eq!(whole.status, 200, "{format}");
        assert_eq!(
            whole.header("content-type"),
            Some(expected_content_type(format)),
            "{format}"
        );
        assert_eq!(whole.header("accept-ranges"), Some("bytes"));
        assert!(whole.body == file, "{format}: the body is not the file");

        let head = send("HEAD", &url, &[], None);
        assert_eq!(head.status, 200);
        assert_eq!(
            head.header("content-length"),
            Some(file.len().to_string().as_str())
        );
        assert!(head.body.is_empty());

        let first = send("GET", &url, &[("Range", "bytes=0-99")], None);
        assert_eq!(first.status, 206, "{format}");
        assert_eq!(
            first.header("content-range"),
            Some(format!("bytes 0-99/{}", file.len()).as_str())
        );
        assert_eq!(first.body, file[..100]);

        // What a browser's media element asks first: the whole file, as a range.
        let open_ended = send("GET", &url, &[("Range", "bytes=0-")], None);
        assert_eq!(open_ended.status, 206, "{format}");
        assert_eq!(
            open_ended.header("content-range"),
            Some(format!("bytes 0-{}/{}", file.len() - 1, file.len()).as_str())
        );
        assert!(
            open_ended.body == file,
            "{format}: bytes=0- is not the file"
        );

        let tail = send("GET", &url, &[("Range", "bytes=-10")], None);
        assert_eq!(tail.status, 206);
        assert_eq!(tail.body, file[file.len() - 10..]);

        let middle = send("GET", &url, &[("Range", "bytes=1000-1999")], None);
        assert_eq!(middle.status, 206);
        assert_eq!(middle.body, file[1000..2000]);

        let past = format!("bytes={}-", file.len() + 10);
        let outside = send("GET", &url, &[("Range", past.as_str())], None);
        outside.assert_error(416, "range_not_satisfiable", "a range past the end");
        assert_eq!(
            outside.header("content-range"),
            Some(format!("bytes */{}", file.len()).as_str())
        );
    }
    for f in ["mp3", "ogg", "opus", "flac", "wav", "m4a"] {
        assert!(formats.contains(f), "no {f} among {formats:?}");
    }
}

#[test]
fn every_client_mistake_is_a_json_4xx() {
    let server = TestServer::start("", &[]);
    let unknown = "0123456789abcdef0123456789abcdef";
    let cases: Vec<(String, u16, &str)> = vec![
        ("/nope".into(), 404, "not_found"),
        ("/api/v1/nope".into(), 404, "not_found"),
        ("/static/nope.js".into(), 404, "not_found"),
        (format!("/api/v1/tracks/{unknown}"), 404, "track_not_found"),
        (
            format!("/api/v1/tracks/{unknown}/audio"),
            404,
            "track_not_found",
        ),
        (
            format!("/api/v1/tracks/{unknown}/taggram.png"),
            404,
            "track_not_found",
        ),
        (
            format!("/api/v1/tracks/{unknown}/similar"),
            404,
            "track_not_found",
        ),
        // Never a path from the request: a file path, indexed or not, is no id.
        (
            "/api/v1/tracks/%2Fetc%2Fpasswd/audio".into(),
            404,
            "track_not_found",
        ),
        (
            "/api/v1/tracks/..%2F..%2FCargo.toml/audio".into(),
            404,
            "track_not_found",
        ),
        (
            format!(
                "/api/v1/tracks/{}/audio",
                common::fixture("real_48k_stereo.ogg").replace('/', "%2F")
            ),
            404,
            "track_not_found",
        ),
        (
            "/api/v1/tags/no-such-tag/tracks".into(),
            404,
            "tag_not_found",
        ),
        ("/api/v1/search".into(), 400, "invalid_parameter"),
        (
            "/api/v1/search?q=piano&limit=abc".into(),
            400,
            "invalid_parameter",
        ),
        (
            "/api/v1/search?q=piano&limit=-1".into(),
            400,
            "invalid_parameter",
        ),
        (
            "/api/v1/search?q=piano&limit=0".into(),
            400,
            "invalid_parameter",
        ),
        (
            "/api/v1/search?q=piano&limit=101".into(),
            400,
            "invalid_parameter",
        ),
        (
            "/api/v1/search?q=piano&offset=10001".into(),
            400,
            "invalid_parameter",
        ),
        (
            "/api/v1/search?q=piano&offset=99999999999999999999999".into(),
            400,
            "invalid_parameter",
        ),
        (
            "/api/v1/search?q=piano&min_duration=NaN".into(),
            400,
            "invalid_parameter",
        ),
        (
            "/api/v1/search?q=piano&max_duration=-3".into(),
            400,
            "invalid_parameter",
        ),
        (
            "/api/v1/search?q=piano&min_duration=9&max_duration=3".into(),
            400,
            "invalid_parameter",
        ),
        (
            "/api/v1/tags/piano/tracks?limit=1000".into(),
            400,
            "invalid_parameter",
        ),
        (
            format!("/api/v1/tracks/{unknown}/similar?offset=x"),
            400,
            "invalid_parameter",
        ),
        (
            format!("/api/v1/search?q={}", "a".repeat(257)),
            400,
            "query_too_long",
        ),
        (
            format!("/api/v1/search?q=x&artist={}", "b".repeat(257)),
            400,
            "query_too_long",
        ),
        (
            format!("/api/v1/search?q=x&pad={}", "c".repeat(5000)),
            414,
            "uri_too_long",
        ),
    ];
    for (path, status, code) in &cases {
        get(&server.at(path)).assert_error(*status, code, path);
    }
    // The engine's own refusals keep their code: an empty query.
    let empty = get(&server.at("/api/v1/search?q=%20"));
    assert_eq!(
        empty.status,
        400,
        "{}",
        String::from_utf8_lossy(&empty.body)
    );

    for (method, path) in [
        ("POST", "/api/v1/search?q=x"),
        ("DELETE", "/api/v1/tags"),
        ("PUT", "/api/v1/health"),
        ("PATCH", "/metrics"),
        ("POST", "/"),
    ] {
        let reply = send(method, &server.at(path), &[], None);
        reply.assert_error(405, "method_not_allowed", &format!("{method} {path}"));
    }
    let allow = send("DELETE", &server.at("/api/v1/tags"), &[], None);
    assert_eq!(allow.header("allow"), Some("GET, HEAD"));

    let body = send(
        "POST",
        &server.at("/api/v1/search?q=x"),
        &[],
        Some(b"{\"q\":\"x\"}"),
    );
    body.assert_error(413, "payload_too_large", "a request body");

    // Nothing above was a server error.
    let metrics = String::from_utf8(get(&server.at("/metrics")).body).unwrap();
    assert!(!metrics.contains("status=\"5"), "{metrics}");
    assert!(metrics.contains("route=\"unmatched\",method=\"GET\",status=\"404\""));
}

#[test]
fn api_keys_cors_limits_and_json_logs_follow_the_config() {
    let config = r#"
[server]
api_keys = ["k-one", "k-two"]
cors_origins = ["https://app.example"]
max_limit = 5
default_limit = 3
log_format = "json"
"#;
    let server = TestServer::start(config, &[]);
    let search = server.at("/api/v1/search?q=piano");

    let open = get(&search);
    open.assert_error(401, "unauthorized", "no key");
    assert!(open
        .header("www-authenticate")
        .is_some_and(|v| v.starts_with("Bearer")));
    send("GET", &search, &[("Authorization", "Bearer k-none")], None).assert_error(
        401,
        "unauthorized",
        "a wrong key",
    );
    get(&server.at("/metrics")).assert_error(401, "unauthorized", "metrics without a key");
    get(&server.at("/api/v1/tracks/abc/audio")).assert_error(401, "unauthorized", "audio");
    assert_eq!(get(&server.at("/api/v1/health")).status, 200);
    assert_eq!(get(&server.at("/api/v1/openapi.json")).status, 200);
    assert_eq!(get(&server.url).status, 200);

    let bearer = send("GET", &search, &[("Authorization", "Bearer k-one")], None);
    assert_eq!(bearer.status, 200);
    assert_eq!(bearer.json()["limit"], 3, "default_limit from the config");
    let header_key = send("GET", &search, &[("X-Api-Key", "k-two")], None);
    assert_eq!(header_key.status, 200);
    send(
        "GET",
        &server.at("/api/v1/search?q=piano&limit=6"),
        &[("X-Api-Key", "k-two")],
        None,
    )
    .assert_error(400, "invalid_parameter", "limit above max_limit");

    // CORS: the configured origin is allowed (preflight included), another one is not.
    let cross = send(
        "GET",
        &search,
        &[("X-Api-Key", "k-one"), ("Origin", "https://app.example")],
        None,
    );
    assert_eq!(cross.status, 200);
    assert_eq!(
        cross.header("access-control-allow-origin"),
        Some("https://app.example")
    );
    let preflight = send(
        "OPTIONS",
        &search,
        &[
            ("Origin", "https://app.example"),
            ("Access-Control-Request-Method", "GET"),
            ("Access-Control-Request-Headers", "authorization"),
        ],
        None,
    );
    assert_eq!(preflight.status, 200);
    assert_eq!(
        preflight.header("access-control-allow-origin"),
        Some("https://app.example")
    );
    assert!(preflight
        .header("access-control-allow-headers")
        .is_some_and(|h| h.to_ascii_lowercase().contains("authorization")));
    let foreign = send(
        "GET",
        &search,
        &[
            ("X-Api-Key", "k-one"),
            ("Origin", "https://elsewhere.example"),
        ],
        None,
    );
    assert_eq!(foreign.header("access-control-allow-origin"), None);

    // One JSON object per request line, with the route and the status.
    std::thread::sleep(std::time::Duration::from_millis(200));
    let log = server.log_text();
    let lines: Vec<Value> = log
        .lines()
        .filter_map(|l| serde_json::from_str::<Value>(l).ok())
        .filter(|v| v["route"] == "/api/v1/search" && v["method"] == "GET")
        .collect();
    assert!(
        lines.iter().any(|v| v["status"] == 401) && lines.iter().any(|v| v["status"] == 200),
        "request lines missing from the log:\n{log}"
    );
    for v in &lines {
        assert!(v["latency_ms"].as_f64().is_some(), "{v}");
    }
}

#[test]
fn the_error_schema_is_the_one_every_error_uses() {
    let server = TestServer::start("", &[]);
    let doc = openapi(&server);
    let reply = get(&server.at("/api/v1/tracks/nope"));
    assert_eq!(reply.status, 404);
    let problems = violations(&doc, component(&doc, "Error"), &reply.json());
    assert!(problems.is_empty(), "{problems:?}");
}
