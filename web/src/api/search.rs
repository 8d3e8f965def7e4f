//! `GET /api/v1/search`.

use actix_web::{web, HttpResponse};

use super::{engine_error, with_engine};
use crate::error::ApiError;
use crate::params::SearchParams;
use crate::state::AppState;

/// Free-text search: the engine's `SearchResponse` with its tracks linked
/// ([`crate::links::search`]).
pub async fn search(
    state: web::Data<AppState>,
    params: web::Query<SearchParams>,
) -> Result<HttpResponse, ApiError> {
    let request = params.to_request(&state.config)?;
    let response = with_engine(&state, move |e| e.search(&request))
        .await?
        .map_err(engine_error)?;
    Ok(HttpResponse::Ok().json(crate::links::search(response)))
}
