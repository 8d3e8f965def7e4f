//! One track: its details, its audio (with HTTP Range), its taggram picture, similar tracks.

use actix_web::http::header;
use actix_web::{web, HttpRequest, HttpResponse};

use super::{checked_id, engine_error, track_not_found, with_engine};
use crate::error::ApiError;
use crate::params::PageParams;
use crate::state::AppState;

/// `GET /api/v1/tracks/{id}`: the engine's `TrackDetail`.
pub async fn detail(
    state: web::Data<AppState>,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let id = checked_id(id.into_inner())?;
    let lookup = id.clone();
    let mut detail = with_engine(&state, move |e| e.track(&lookup))
        .await?
        .ok_or_else(|| track_not_found(&id))?;
    detail.paths = state.shown_paths(&detail.paths);
    Ok(HttpResponse::Ok().json(crate::links::detail(detail)))
}

/// `GET /api/v1/tracks/{id}/audio`: the track's file. Only files of indexed tracks are served,
/// found by the engine from the id; nothing of the request names a path. Ranges, ETags and
/// conditional requests: see [`crate::audio`].
pub async fn audio(
    req: HttpRequest,
    state: web::Data<AppState>,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let id = checked_id(id.into_inner())?;
    let lookup = id.clone();
    let (path, content_type) = with_engine(&state, move |e| {
        let file = e.audio_file(&lookup)?;
        Some((file.path.clone(), crate::links::content_type(&file)))
    })
    .await?
    .ok_or_else(|| track_not_found(&id))?;
    let unreadable = |err: std::io::Error| {
        tracing::warn!(path = %path.display(), %err, "an indexed file cannot be opened");
        ApiError::not_found(
            "audio_not_found",
            "the audio file of this track is no longer readable on the server",
        )
    };
    let file = web::block({
        let path = path.clone();
        move || std::fs::File::open(path)
    })
    .await
    .map_err(|_| ApiError::internal())?
    .map_err(unreadable)?;
    crate::audio::respond(&req, &id, file, &path, content_type).map_err(unreadable)
}

/// `GET /api/v1/tracks/{id}/taggram.png`: the stored taggram as a heat map.
pub async fn taggram_png(
    state: web::Data<AppState>,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let id = checked_id(id.into_inner())?;
    let lookup = id.clone();
    let png = with_engine(&state, move |e| {
        e.track(&lookup)
            .map(|detail| crate::taggram::render(&detail))
    })
    .await?
    .ok_or_else(|| track_not_found(&id))??;
    Ok(HttpResponse::Ok()
        .content_type("image/png")
        .insert_header((header::CACHE_CONTROL, "public, max-age=3600"))
        .body(png))
}

/// `GET /api/v1/tracks/{id}/similar?limit=&offset=`: tracks whose audio embeddings are
/// closest.
pub async fn similar(
    state: web::Data<AppState>,
    id: web::Path<String>,
    page: web::Query<PageParams>,
) -> Result<HttpResponse, ApiError> {
    let page = page.checked(&state.config)?;
    let id = checked_id(id.into_inner())?;
    let response = with_engine(&state, move |e| e.similar(&id, page.limit, page.offset))
        .await?
        .map_err(engine_error)?;
    Ok(HttpResponse::Ok().json(crate::links::similar(response)))
}
