//! The layers every request passes through, outermost first:
//!
//! 1. [`observe`]: times the request, turns any error into a response, gives every error
//!    response the JSON error shape (also those of actix, actix-files and actix-cors), records
//!    the metrics and writes the request log line.
//! 2. CORS (actix-cors, configured in [`crate::server`]).
//! 3. [`gate`]: refuses oversize requests (414, 413) and, when API keys are configured, requests
//!    without a valid one (401).

use std::time::Instant;

use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{self, HeaderValue};
use actix_web::http::StatusCode;
use actix_web::middleware::Next;
use actix_web::{web, Error, HttpResponse};

use crate::error::{code_for_status, error_body, ApiError};
use crate::state::AppState;

/// Outermost layer: metrics, request logs, JSON error bodies.
pub async fn observe(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, Error> {
    let start = Instant::now();
    let state = req.app_data::<web::Data<AppState>>().cloned();
    let method = req.method().to_string();
    let path = req.path().to_owned();
    let query_len = req.query_string().len();
    let peer = req.peer_addr().map(|a| a.ip().to_string());

    // (The request must not be cloned before routing: the router needs it unshared.)
    let outcome = next.call(req).await;
    let (status, route) = match &outcome {
        Ok(res) => (
            res.status().as_u16(),
            res.request()
                .match_pattern()
                .unwrap_or_else(|| "unmatched".to_owned()),
        ),
        // An error from an inner layer; actix answers it with its own `error_response`.
        Err(err) => (
            err.as_response_error().status_code().as_u16(),
            "unmatched".to_owned(),
        ),
    };
    let latency = start.elapsed();
    if let Some(state) = &state {
        state.metrics.observe(&route, &method, status, latency);
    }
    tracing::info!(
        target: "musearch_web::access",
        method = %method,
        path = %path,
        query_bytes = query_len,
        route = %route,
        status,
        latency_ms = latency.as_secs_f64() * 1e3,
        peer = peer.as_deref().unwrap_or("-"),
        "request"
    );
    outcome.map(|res| json_error_body(res.map_into_boxed_body()))
}

/// Gives an error response that is not JSON yet the contract's `{"error":{…}}` body, keeping its
/// status and headers (a 416's `Content-Range`, a 405's `Allow`).
fn json_error_body(res: ServiceResponse<BoxBody>) -> ServiceResponse<BoxBody> {
    let status = res.status();
    if !(status.is_client_error() || status.is_server_error()) {
        return res;
    }
    let is_json = res
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/json"));
    if is_json {
        return res;
    }
    let (code, message) = code_for_status(status);
    let body = error_body(code, message).to_string();
    let (req, mut resp) = res.into_parts();
    let headers = resp.headers_mut();
    headers.remove(header::CONTENT_LENGTH);
    headers.remove(header::CONTENT_ENCODING);
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    let resp = resp.set_body(BoxBody::new(body));
    ServiceResponse::new(req, resp)
}

/// Limits and API keys, before any handler runs.
pub async fn gate(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, Error> {
    let Some(state) = req.app_data::<web::Data<AppState>>().cloned() else {
        return Ok(next.call(req).await?.map_into_boxed_body());
    };
    let config = &state.config;
    let refusal = if uri_len(&req) > config.max_uri_bytes {
        Some(ApiError::new(
            StatusCode::URI_TOO_LONG,
            "uri_too_long",
            format!(
                "the request target is longer than {} bytes",
                config.max_uri_bytes
            ),
        ))
    } else if body_len(&req).is_some_and(|n| n > config.max_body_bytes) {
        Some(ApiError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "payload_too_large",
            format!(
                "the request body is larger than {} bytes",
                config.max_body_bytes
            ),
        ))
    } else if needs_key(req.path()) && !state.keys.accepts(req.headers()) {
        Some(ApiError::new(
            StatusCode::UNAUTHORIZED,
            "unauthorized",
            "this server needs an API key: `Authorization: Bearer KEY` or `X-Api-Key: KEY`",
        ))
    } else {
        None
    };
    match refusal {
        Some(err) => {
            let mut resp = err.error_response_with_challenge();
            // The body is not read: close the connection rather than drain it.
            if err.status == StatusCode::PAYLOAD_TOO_LARGE {
                resp.head_mut()
                    .set_connection_type(actix_web::http::ConnectionType::Close);
            }
            Ok(req.into_response(resp))
        }
        None => Ok(next.call(req).await?.map_into_boxed_body()),
    }
}

impl ApiError {
    /// The error response, with `WWW-Authenticate` on a 401.
    fn error_response_with_challenge(&self) -> HttpResponse {
        let mut resp = actix_web::ResponseError::error_response(self);
        if self.status == StatusCode::UNAUTHORIZED {
            resp.headers_mut().insert(
                header::WWW_AUTHENTICATE,
                HeaderValue::from_static("Bearer realm=\"musearch\""),
            );
        }
        resp
    }
}

/// Bytes of the request target (path and query string).
fn uri_len(req: &ServiceRequest) -> usize {
    req.uri()
        .path_and_query()
        .map_or(req.path().len(), |pq| pq.as_str().len())
}

/// The declared body length: `Content-Length`, or unbounded for a chunked body.
fn body_len(req: &ServiceRequest) -> Option<u64> {
    let headers = req.headers();
    if let Some(len) = headers.get(header::CONTENT_LENGTH) {
        // An unparsable length is refused by actix before this point; treat junk as huge.
        return Some(
            len.to_str()
                .ok()
                .and_then(|v| v.trim().parse().ok())
                .unwrap_or(u64::MAX),
        );
    }
    headers
        .get(header::TRANSFER_ENCODING)
        .is_some()
        .then_some(u64::MAX)
}

/// Which paths need a key when keys are configured: the API (except its health check and its
/// description) and the metrics. The page and its static files do not.
fn needs_key(path: &str) -> bool {
    if path == "/metrics" {
        return true;
    }
    path.starts_with("/api/") && path != "/api/v1/health" && path != "/api/v1/openapi.json"
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_guard_the_api_and_metrics_only() {
        assert!(needs_key("/api/v1/search"));
        assert!(needs_key("/api/v1/tracks/abc/audio"));
        assert!(needs_key("/api/v2/anything"));
        assert!(needs_key("/metrics"));
        assert!(!needs_key("/api/v1/health"));
        assert!(!needs_key("/api/v1/openapi.json"));
        assert!(!needs_key("/"));
        assert!(!needs_key("/static/app.js"));
    }
}
