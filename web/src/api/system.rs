//! Health, the OpenAPI document and the Prometheus metrics.

use actix_web::http::header::ContentType;
use actix_web::{web, HttpResponse};

use super::with_engine;
use crate::error::ApiError;
use crate::state::AppState;

/// `GET /api/v1/health`:
/// `{"status":"ok","tracks":N,"version":"0.1.0","similar_index":"exact|building|graph"}`.
pub async fn health(state: web::Data<AppState>) -> Result<HttpResponse, ApiError> {
    let (stats, similar) = with_engine(&state, |e| (e.stats(), e.similar_mode())).await?;
    Ok(HttpResponse::Ok().json(serde_json::json!({
        "status": "ok",
        "tracks": stats.tracks,
        "version": env!("CARGO_PKG_VERSION"),
        "similar_index": similar,
    })))
}

/// `GET /api/v1/openapi.json`: the OpenAPI 3 description of every route.
pub async fn openapi() -> HttpResponse {
    HttpResponse::Ok()
        .content_type(ContentType::json())
        .body(crate::openapi::DOCUMENT)
}

/// `GET /metrics`: Prometheus text exposition.
pub async fn metrics(state: web::Data<AppState>) -> Result<HttpResponse, ApiError> {
    let tracks = with_engine(&state, |e| e.stats().tracks).await?;
    Ok(HttpResponse::Ok()
        .content_type("text/plain; version=0.0.4; charset=utf-8")
        .body(state.metrics.render(tracks)))
}
