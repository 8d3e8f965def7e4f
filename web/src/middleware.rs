//! The layers every request passes through, outermost first:
//!
//! 1. [`observe`]: gives the request an id (`X-Request-Id`), times it, turns any error into a
//!    response, gives every error response the JSON error shape (also those of actix and
//!    actix-cors), records the metrics and writes the request log line: at INFO for an answer,
//!    at WARN (once, with the request id) for a refusal or a failure.
//! 2. CORS (actix-cors, configured in [`crate::server`]).
//! 3. [`gate`]: refuses oversize requests (414, 413), targets that are not UTF-8 once
//!    percent-decoded (400 `invalid_utf8`) and, when API keys are configured, requests without a
//!    valid one (401), deciding on the path the router matches ([`crate::auth::needs_key`]).

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Instant;

use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{self, HeaderValue};
use actix_web::http::StatusCode;
use actix_web::middleware::Next;
use actix_web::{web, Error, HttpResponse};

use crate::error::{code_for_status, error_body, ApiError};
use crate::params::check_utf8;
use crate::state::AppState;

/// A new request id: this process's id and a counter, unique within a run of the server.
pub(crate) fn next_request_id() -> String {
    static NEXT: AtomicU64 = AtomicU64::new(1);
    format!(
        "{:x}-{:x}",
        std::process::id(),
        NEXT.fetch_add(1, Ordering::Relaxed)
    )
}

/// At most this many characters of a request path go into a log line.
const LOGGED_PATH_CHARS: usize = 256;

/// Outermost layer: request ids, metrics, request logs, JSON error bodies.
pub async fn observe(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, Error> {
    let start = Instant::now();
    let request_id = next_request_id();
    let state = req.app_data::<web::Data<AppState>>().cloned();
    let method = req.method().to_string();
    let path: String = req.path().chars().take(LOGGED_PATH_CHARS).collect();
    let query_len = req.query_string().len();
    let peer = req.peer_addr().map(|a| a.ip().to_string());

    // (The request must not be cloned before routing: the router needs it unshared.)
    let outcome = next.call(req).await;
    let (status, route) = match &outcome {
        Ok(res) => (
            res.status().as_u16(),
            // The template of the route the router matched, or (for a request refused before
            // routing) the one the decoded path would match.
            res.request()
                .match_pattern()
                .or_else(|| {
                    res.request()
                        .resource_map()
                        .match_pattern(res.request().match_info().as_str())
                })
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
    let method = crate::metrics::method_label(&method);
    let route = crate::metrics::route_label(&route);
    let latency_ms = latency.as_secs_f64() * 1e3;
    let peer = peer.as_deref().unwrap_or("-");
    if status >= 400 {
        tracing::warn!(
            target: "musearch_web::access",
            request_id = %request_id, method, path = %path, query_bytes = query_len,
            route, status, latency_ms, peer, "request refused"
        );
    } else {
        tracing::info!(
            target: "musearch_web::access",
            request_id = %request_id, method, path = %path, query_bytes = query_len,
            route, status, latency_ms, peer, "request"
        );
    }
    let cors_origins = state.as_ref().map(|s| s.config.cors_origins.as_slice());
    outcome.map(|res| {
        let mut res = json_error_body(res.map_into_boxed_body(), cors_origins.unwrap_or(&[]));
        if let Ok(value) = HeaderValue::from_str(&request_id) {
            res.headers_mut()
                .insert(header::HeaderName::from_static("x-request-id"), value);
        }
        res
    })
}

/// Gives an error response that is not JSON yet the contract's `{"error":{…}}` body, keeping its
/// status and headers (a 416's `Content-Range`, a 405's `Allow`). actix-cors's refusal of a
/// preflight from an origin not in `cors_origins` gets its own code, `cors_origin_not_allowed`.
fn json_error_body(
    res: ServiceResponse<BoxBody>,
    cors_origins: &[String],
) -> ServiceResponse<BoxBody> {
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
    let body = match cors_refusal(res.request(), status, cors_origins) {
        Some(message) => error_body("cors_origin_not_allowed", &message).to_string(),
        None => {
            let (code, message) = code_for_status(status);
            error_body(code, message).to_string()
        }
    };
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

/// The message for a 400 that actix-cors gave because the request's `Origin` is not one of
/// `cors_origins`; `None` for any other response.
fn cors_refusal(
    req: &actix_web::HttpRequest,
    status: StatusCode,
    cors_origins: &[String],
) -> Option<String> {
    if status != StatusCode::BAD_REQUEST || cors_origins.iter().any(|o| o == "*") {
        return None;
    }
    let origin = req.headers().get(header::ORIGIN)?.to_str().unwrap_or("?");
    if cors_origins.iter().any(|o| o == origin) {
        return None;
    }
    let shown: String = origin.chars().take(100).collect();
    Some(format!(
        "the origin {shown:?} may not call this API from a browser: it is not in the server's \
         `[server] cors_origins`"
    ))
}

/// Limits, UTF-8 and API keys, before any handler runs.
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
    } else if let Err(err) =
        check_utf8("path", req.path()).and_then(|()| check_utf8("query string", req.query_string()))
    {
        Some(err)
    } else if crate::auth::needs_key(req.match_info().as_str())
        && !state.keys.accepts(req.headers())
    {
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
