//! The JSON API under `/api/v1` and the operational routes (`/metrics`), with the JSON answers
//! for unknown routes (404) and methods (405).

mod catalog;
mod map;
mod search;
mod system;
mod tracks;

use std::panic::AssertUnwindSafe;

use actix_web::http::header::{self, HeaderValue};
use actix_web::http::StatusCode;
use actix_web::{guard, web, HttpResponse, Route};
use musearch_searcher::engine::{Engine, EngineError};

use crate::error::ApiError;
use crate::state::AppState;

/// Every path the server answers, as the OpenAPI document lists them (a test checks both agree):
/// the routes of [`configure`] and the page's ([`crate::assets`]).
pub const API_PATHS: [&str; 14] = [
    "/api/v1/health",
    "/api/v1/search",
    "/api/v1/tracks/{id}",
    "/api/v1/tracks/{id}/audio",
    "/api/v1/tracks/{id}/taggram.png",
    "/api/v1/tracks/{id}/similar",
    "/api/v1/tags",
    "/api/v1/tags/{tag}/tracks",
    "/api/v1/map/tags",
    "/api/v1/map/tracks",
    "/api/v1/openapi.json",
    "/metrics",
    "/",
    "/static/{file}",
];

/// Registers every API route (not the page: see [`crate::server`]).
pub fn configure(cfg: &mut web::ServiceConfig) {
    resource(cfg, "/api/v1/health", web::to(system::health));
    resource(cfg, "/api/v1/search", web::to(search::search));
    resource(cfg, "/api/v1/tracks/{id}", web::to(tracks::detail));
    resource(cfg, "/api/v1/tracks/{id}/audio", web::to(tracks::audio));
    resource(
        cfg,
        "/api/v1/tracks/{id}/taggram.png",
        web::to(tracks::taggram_png),
    );
    resource(cfg, "/api/v1/tracks/{id}/similar", web::to(tracks::similar));
    resource(cfg, "/api/v1/tags", web::to(catalog::tags));
    resource(
        cfg,
        "/api/v1/tags/{tag}/tracks",
        web::to(catalog::tag_tracks),
    );
    resource(cfg, "/api/v1/map/tags", web::to(map::tag_map));
    resource(cfg, "/api/v1/map/tracks", web::to(map::track_map));
    resource(cfg, "/api/v1/openapi.json", web::to(system::openapi));
    resource(cfg, "/metrics", web::to(system::metrics));
}

/// A GET (and HEAD) resource at `path`; other methods get a JSON 405 with `Allow`.
fn resource(cfg: &mut web::ServiceConfig, path: &str, handler: Route) {
    cfg.service(
        web::resource(path)
            .route(handler.guard(guard::Any(guard::Get()).or(guard::Head())))
            .default_service(web::to(method_not_allowed)),
    );
}

/// 405 for a known path with a method other than GET or HEAD.
pub async fn method_not_allowed() -> HttpResponse {
    let err = ApiError::new(
        StatusCode::METHOD_NOT_ALLOWED,
        "method_not_allowed",
        "only GET and HEAD are allowed here",
    );
    let mut resp = actix_web::ResponseError::error_response(&err);
    resp.headers_mut()
        .insert(header::ALLOW, HeaderValue::from_static("GET, HEAD"));
    resp
}

/// 404 for a path that is no route.
pub async fn not_found() -> Result<HttpResponse, ApiError> {
    Err(ApiError::not_found(
        "not_found",
        "no such route; the API is described at /api/v1/openapi.json",
    ))
}

/// Runs `f` on the engine in the blocking thread pool (searches are CPU work), turning a panic
/// inside the engine or its dependencies into a logged 500 instead of a lost worker.
pub(crate) async fn with_engine<T, F>(state: &web::Data<AppState>, f: F) -> Result<T, ApiError>
where
    T: Send + 'static,
    F: FnOnce(&Engine) -> T + Send + 'static,
{
    let engine = state.engine.clone();
    let outcome =
        web::block(move || std::panic::catch_unwind(AssertUnwindSafe(|| f(&engine)))).await;
    match outcome {
        Ok(Ok(value)) => Ok(value),
        Ok(Err(panic)) => {
            let what = panic
                .downcast_ref::<&str>()
                .map(|s| s.to_string())
                .or_else(|| panic.downcast_ref::<String>().cloned())
                .unwrap_or_else(|| "a panic".into());
            tracing::error!(panic = %what, "the engine panicked while answering a request");
            Err(ApiError::internal())
        }
        Err(err) => {
            tracing::error!(%err, "the blocking pool failed");
            Err(ApiError::internal())
        }
    }
}

/// The API error for an engine error: its kind picks the status ([`ApiError::status_for`]);
/// the client's mistakes keep their code and message, the rest are logged and answered without
/// details.
pub(crate) fn engine_error(err: EngineError) -> ApiError {
    let kind = err.kind();
    if !kind.is_client_error() {
        tracing::error!(err = %err, "the engine failed");
        return ApiError::failure(kind);
    }
    match &err {
        // The id is echoed quoted and truncated, as for ids refused before the engine.
        EngineError::TrackNotFound(id) => track_not_found(id),
        _ => ApiError::new(ApiError::status_for(kind), err.code(), err.to_string()),
    }
}

/// 404 for an id that is no visible track.
pub(crate) fn track_not_found(id: &str) -> ApiError {
    ApiError::not_found(
        "track_not_found",
        format!("no track {:?} in the index", truncate(id, 80)),
    )
}

/// The id of a track as the API names tracks: 32 hex digits. The engine would also resolve a
/// file path of an indexed track; the API never takes a path from a request, so anything else
/// is an unknown track.
pub(crate) fn checked_id(id: String) -> Result<String, ApiError> {
    if id.len() == 32 && id.bytes().all(|b| b.is_ascii_hexdigit()) {
        Ok(id.to_ascii_lowercase())
    } else {
        Err(track_not_found(&id))
    }
}

/// At most `n` characters of `text` (ids and tags are echoed in messages).
pub(crate) fn truncate(text: &str, n: usize) -> String {
    text.chars().take(n).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_hex_ids_reach_the_engine() {
        let id = "0123456789ABCDEF0123456789abcdef".to_string();
        assert_eq!(checked_id(id).unwrap(), "0123456789abcdef0123456789abcdef");
        for bad in [
            "",
            "abc",
            "/etc/passwd",
            "../../Cargo.toml",
            "0123456789abcdef0123456789abcdeg",
        ] {
            assert_eq!(
                checked_id(bad.into()).unwrap_err().code,
                "track_not_found",
                "{bad}"
            );
        }
    }

    #[test]
    fn engine_errors_keep_their_code_and_a_client_status() {
        let err = engine_error(EngineError::invalid("empty_query", "no words"));
        assert_eq!((err.status.as_u16(), err.code), (400, "empty_query"));
        let err = engine_error(EngineError::invalid("invalid_limit", "limit 0"));
        assert_eq!((err.status.as_u16(), err.code), (400, "invalid_limit"));
        let err = engine_error(EngineError::TagNotFound("x".into()));
        assert_eq!((err.status.as_u16(), err.code), (404, "tag_not_found"));
        assert_eq!(err.message, "no tag \"x\" in this catalog");
        let err = engine_error(EngineError::TrackNotFound("x".into()));
        assert_eq!((err.status.as_u16(), err.code), (404, "track_not_found"));
        assert_eq!(err.message, "no track \"x\" in the index");
        let io = std::io::Error::other("disk");
        let map = musearch_searcher::map::MapError::Io {
            path: "/x".into(),
            source: io,
        };
        let err = engine_error(EngineError::Map(map));
        assert_eq!((err.status.as_u16(), err.code), (500, "internal"));
        // Bad map input comes from the catalog, not the request: still a 500.
        let map = musearch_searcher::map::MapError::InvalidInput {
            message: "too few".into(),
        };
        let err = engine_error(EngineError::Map(map));
        assert_eq!((err.status.as_u16(), err.code), (500, "internal"));
        let err = engine_error(EngineError::NoIndex("/x".into()));
        assert_eq!((err.status.as_u16(), err.code), (503, "unavailable"));
    }
}
