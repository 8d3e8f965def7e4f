//! `GET /api/v1/search`.

use actix_web::{web, HttpResponse};

use super::{engine_error, with_engine};
use crate::error::ApiError;
use crate::params::SearchParams;
use crate::state::AppState;

/// Free-text search: the engine's `SearchResponse` with its tracks linked
/// ([`crate::links::search`]) and its folded versions' paths shown as the configuration says.
pub async fn search(
    state: web::Data<AppState>,
    params: web::Query<SearchParams>,
) -> Result<HttpResponse, ApiError> {
    let request = params.to_request(&state.config)?;
    let mut response = with_engine(&state, move |e| e.search(&request))
        .await?
        .map_err(engine_error)?;
    // A folded version's file is shown as track details show paths: never an absolute path.
    for version in response
        .results
        .iter_mut()
        .flat_map(|h| h.versions.iter_mut())
    {
        version.path = state
            .shown_paths(std::slice::from_ref(&version.path))
            .pop()
            .unwrap_or_default();
    }
    Ok(HttpResponse::Ok().json(crate::links::search(response)))
}
