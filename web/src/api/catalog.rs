//! The catalog's tags and the top tracks of a tag.

use actix_web::{web, HttpResponse};

use super::{engine_error, truncate, with_engine};
use crate::error::ApiError;
use crate::params::PageParams;
use crate::state::AppState;

/// `GET /api/v1/tags`: `{"tags":[{"name","models","base_rate"}]}`.
pub async fn tags(state: web::Data<AppState>) -> Result<HttpResponse, ApiError> {
    let tags = with_engine(&state, |e| e.tags()).await?;
    Ok(HttpResponse::Ok().json(serde_json::json!({ "tags": tags })))
}

/// `GET /api/v1/tags/{tag}/tracks`: the tracks most probable for one tag, as a search response.
pub async fn tag_tracks(
    state: web::Data<AppState>,
    tag: web::Path<String>,
    page: web::Query<PageParams>,
) -> Result<HttpResponse, ApiError> {
    let page = page.checked(&state.config)?;
    let tag = tag.into_inner();
    if tag.chars().count() > state.config.max_query_chars {
        return Err(ApiError::not_found(
            "tag_not_found",
            format!("no tag {:?}", truncate(&tag, 80)),
        ));
    }
    let response = with_engine(&state, move |e| e.tag_tracks(&tag, page.limit, page.offset))
        .await?
        .map_err(engine_error)?;
    Ok(HttpResponse::Ok().json(crate::links::search(response)))
}
