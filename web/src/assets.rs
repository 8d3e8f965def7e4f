//! The page: `web/static/` embedded in the binary at compile time and served at `/` and
//! `/static/{file}` with its content type, a strong ETag (a hash of the bytes, computed at compile
//! time) and `Cache-Control: no-cache`, so browsers keep a copy and revalidate it with a cheap
//! `304 Not Modified`. The page itself gets a Content-Security-Policy that allows only its own
//! origin: it loads nothing from elsewhere.

use actix_web::http::header::{self, HeaderValue};
use actix_web::{web, HttpRequest, HttpResponse};

use crate::error::ApiError;

/// One embedded file.
struct Asset {
    /// The name under `/static/`.
    name: &'static str,
    /// Its `Content-Type`.
    content_type: &'static str,
    /// Its bytes.
    bytes: &'static [u8],
    /// `"` + 16 hex digits of its FNV-1a hash + `"`.
    etag: &'static str,
}

/// 64-bit FNV-1a of `bytes`, evaluated by the compiler for every embedded file.
const fn fnv1a(bytes: &[u8]) -> u64 {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    let mut i = 0;
    while i < bytes.len() {
        hash ^= bytes[i] as u64;
        hash = hash.wrapping_mul(0x0000_0100_0000_01b3);
        i += 1;
    }
    hash
}

/// The quoted ETag of `bytes`, `"0123456789abcdef"`, as a fixed-size array of ASCII.
const fn etag_of(bytes: &[u8]) -> [u8; 18] {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let hash = fnv1a(bytes);
    let mut out = [b'"'; 18];
    let mut i = 0;
    while i < 16 {
        out[1 + i] = HEX[((hash >> (60 - 4 * i)) & 0xf) as usize];
        i += 1;
    }
    out
}

/// Declares the embedded files: `name => content type`, each read from `web/static/name`.
macro_rules! assets {
    ($($name:literal => $content_type:literal),+ $(,)?) => {
        const ASSETS: &[Asset] = &[$(
            Asset {
                name: $name,
                content_type: $content_type,
                bytes: include_bytes!(concat!("../static/", $name)),
                etag: {
                    const TAG: [u8; 18] = etag_of(include_bytes!(concat!("../static/", $name)));
                    match std::str::from_utf8(&TAG) {
                        Ok(tag) => tag,
                        Err(_) => panic!("an ETag is ASCII"),
                    }
                },
            },
        )+];
    };
}

assets! {
    "index.html" => "text/html; charset=utf-8",
    "style.css" => "text/css; charset=utf-8",
    "app.js" => "text/javascript; charset=utf-8",
    "api.js" => "text/javascript; charset=utf-8",
    "dom.js" => "text/javascript; charset=utf-8",
    "player.js" => "text/javascript; charset=utf-8",
    "search.js" => "text/javascript; charset=utf-8",
    "track.js" => "text/javascript; charset=utf-8",
    "tagmap.js" => "text/javascript; charset=utf-8",
    "scatter.js" => "text/javascript; charset=utf-8",
    "favicon.svg" => "image/svg+xml",
}

/// What the page may load: its own origin only (scripts, styles, API, audio, taggram pictures).
const PAGE_POLICY: &str = "default-src 'self'; img-src 'self' data:; media-src 'self'; \
    style-src 'self'; script-src 'self'; connect-src 'self'; object-src 'none'; \
    base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

/// The page itself (the first entry of `assets!`).
const PAGE: &Asset = &ASSETS[0];

fn find(name: &str) -> Option<&'static Asset> {
    ASSETS.iter().find(|asset| asset.name == name)
}

/// Registers `GET`/`HEAD` `/` (the page) and `/static/{file}` (its scripts, styles and icon).
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(
        web::resource("/")
            .route(web::get().to(page))
            .route(web::head().to(page)),
    )
    .service(
        web::resource("/static/{file}")
            .route(web::get().to(static_file))
            .route(web::head().to(static_file)),
    );
}

async fn page(request: HttpRequest) -> HttpResponse {
    let mut response = respond(&request, PAGE);
    response.headers_mut().insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(PAGE_POLICY),
    );
    response
}

async fn static_file(
    request: HttpRequest,
    file: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let asset = find(&file)
        .ok_or_else(|| ApiError::not_found("not_found", "no such file under /static/"))?;
    Ok(respond(&request, asset))
}

/// `200` with the bytes, or `304` when the client's `If-None-Match` names the current ETag.
fn respond(request: &HttpRequest, asset: &Asset) -> HttpResponse {
    let fresh = request
        .headers()
        .get(header::IF_NONE_MATCH)
        .and_then(|value| value.to_str().ok())
        .is_some_and(|tags| {
            tags.split(',')
                .map(|tag| tag.trim().trim_start_matches("W/"))
                .any(|tag| tag == asset.etag || tag == "*")
        });
    let mut builder = if fresh {
        HttpResponse::NotModified()
    } else {
        HttpResponse::Ok()
    };
    builder
        .insert_header((header::ETAG, HeaderValue::from_static(asset.etag)))
        .insert_header((header::CACHE_CONTROL, HeaderValue::from_static("no-cache")))
        .insert_header((
            header::X_CONTENT_TYPE_OPTIONS,
            HeaderValue::from_static("nosniff"),
        ));
    if fresh {
        builder.finish()
    } else {
        builder.content_type(asset.content_type).body(asset.bytes)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use actix_web::test::{call_service, init_service, read_body, read_body_json, TestRequest};
    use actix_web::App;

    #[test]
    fn fnv1a_matches_the_published_test_vectors() {
        // From the FNV reference test suite (Fowler, Noll, Vo).
        assert_eq!(fnv1a(b""), 0xcbf2_9ce4_8422_2325);
        assert_eq!(fnv1a(b"a"), 0xaf63_dc4c_8601_ec8c);
        assert_eq!(fnv1a(b"foobar"), 0x8594_4171_f739_67e8);
    }

    #[test]
    fn the_page_is_index_html() {
        assert_eq!(PAGE.name, "index.html");
    }

    #[test]
    fn every_asset_has_a_distinct_etag() {
        for (i, a) in ASSETS.iter().enumerate() {
            assert_eq!(a.etag.len(), 18, "{}", a.name);
            for b in &ASSETS[i + 1..] {
                assert_ne!(a.etag, b.etag, "{} and {}", a.name, b.name);
            }
        }
    }

    #[actix_web::test]
    async fn page_and_static_files_are_served_with_type_etag_and_revalidation() {
        let app = init_service(App::new().configure(configure)).await;

        let response = call_service(&app, TestRequest::get().uri("/").to_request()).await;
        assert_eq!(response.status(), 200);
        let headers = response.headers().clone();
        assert_eq!(
            headers.get(header::CONTENT_TYPE).unwrap(),
            "text/html; charset=utf-8"
        );
        assert!(headers.get(header::CONTENT_SECURITY_POLICY).is_some());
        let etag = headers.get(header::ETAG).unwrap().clone();
        let body = read_body(response).await;
        assert!(std::str::from_utf8(&body)
            .unwrap()
            .contains("/static/app.js"));

        let again = TestRequest::get()
            .uri("/")
            .insert_header((header::IF_NONE_MATCH, etag))
            .to_request();
        let response = call_service(&app, again).await;
        assert_eq!(response.status(), 304);
        assert!(read_body(response).await.is_empty());

        let response = call_service(
            &app,
            TestRequest::get().uri("/static/tagmap.js").to_request(),
        )
        .await;
        assert_eq!(response.status(), 200);
        assert_eq!(
            response.headers().get(header::CONTENT_TYPE).unwrap(),
            "text/javascript; charset=utf-8"
        );

        let stale = TestRequest::get()
            .uri("/static/style.css")
            .insert_header((header::IF_NONE_MATCH, "\"0000000000000000\""))
            .to_request();
        assert_eq!(call_service(&app, stale).await.status(), 200);
    }

    #[actix_web::test]
    async fn an_unknown_static_file_is_a_json_404() {
        let app = init_service(App::new().configure(configure)).await;
        for uri in ["/static/nope.js", "/static/..%2FCargo.toml"] {
            let response = call_service(&app, TestRequest::get().uri(uri).to_request()).await;
            assert_eq!(response.status(), 404, "{uri}");
            let body: serde_json::Value = read_body_json(response).await;
            assert_eq!(body["error"]["code"], "not_found", "{uri}");
        }
    }

    /// Every file in `web/static/` is embedded: a new script that is not listed here would be a
    /// 404 in the browser.
    #[test]
    fn every_file_in_the_static_folder_is_embedded() {
        let folder = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("static");
        for entry in std::fs::read_dir(&folder).unwrap() {
            let entry = entry.unwrap();
            if entry.file_type().unwrap().is_file() {
                let name = entry.file_name().into_string().unwrap();
                assert!(
                    find(&name).is_some(),
                    "{name} is in web/static/ but not embedded"
                );
            }
        }
    }
}
