//! The two t-SNE maps (computed and cached by the engine).

use actix_web::{web, HttpResponse};

use super::{engine_error, with_engine};
use crate::error::ApiError;
use crate::state::AppState;

/// `GET /api/v1/map/tags`: the t-SNE map of the tags.
pub async fn tag_map(state: web::Data<AppState>) -> Result<HttpResponse, ApiError> {
    let map = with_engine(&state, |e| e.tag_map())
        .await?
        .map_err(engine_error)?;
    Ok(HttpResponse::Ok().json(map))
}

/// `GET /api/v1/map/tracks`: the t-SNE map of the tracks (sampled for a large catalog).
pub async fn track_map(state: web::Data<AppState>) -> Result<HttpResponse, ApiError> {
    let map = with_engine(&state, |e| e.track_map())
        .await?
        .map_err(engine_error)?;
    Ok(HttpResponse::Ok().json(map))
}
