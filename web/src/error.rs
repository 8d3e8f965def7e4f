//! The API's one error shape, `{"error":{"code":"snake_case","message":"human text"}}`, and the
//! JSON handlers for the errors actix itself raises (query strings and path segments that do not
//! parse).

use actix_web::http::header::{self, HeaderValue};
use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, ResponseError};
use musearch_searcher::ErrorKind;

/// An error answered to the client: an HTTP status, a stable code and a message.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{code}: {message}")]
pub struct ApiError {
    /// The HTTP status.
    pub status: StatusCode,
    /// A stable `snake_case` code that clients can match on.
    pub code: &'static str,
    /// What went wrong, for a person.
    pub message: String,
}

impl ApiError {
    /// An error with any status and code.
    pub fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> ApiError {
        ApiError {
            status,
            code,
            message: message.into(),
        }
    }

    /// 400: a query parameter or path segment is malformed or out of range.
    pub fn invalid_parameter(message: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::BAD_REQUEST, "invalid_parameter", message)
    }

    /// 404: no such route, track or tag.
    pub fn not_found(code: &'static str, message: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::NOT_FOUND, code, message)
    }

    /// 500: the server failed; the details go to the log, not to the client.
    pub fn internal() -> ApiError {
        ApiError::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal",
            "the server failed to answer this request; the failure is in its log",
        )
    }

    /// The status for an error of `kind`: 404 not found, 400 invalid, 503 unavailable, 500
    /// internal.
    pub fn status_for(kind: ErrorKind) -> StatusCode {
        match kind {
            ErrorKind::NotFound => StatusCode::NOT_FOUND,
            ErrorKind::Invalid => StatusCode::BAD_REQUEST,
            ErrorKind::Unavailable => StatusCode::SERVICE_UNAVAILABLE,
            ErrorKind::Internal => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    /// The answer to a failure the client did not cause (an [`ErrorKind::Unavailable`] or
    /// [`ErrorKind::Internal`] error): its status and code, without the details, which go to
    /// the log.
    pub fn failure(kind: ErrorKind) -> ApiError {
        match kind {
            ErrorKind::Unavailable => ApiError::new(
                StatusCode::SERVICE_UNAVAILABLE,
                "unavailable",
                "the server cannot answer this request yet; the reason is in its log",
            ),
            _ => ApiError::internal(),
        }
    }

    /// The JSON body of this error.
    pub fn body(&self) -> serde_json::Value {
        error_body(self.code, &self.message)
    }
}

/// `{"error":{"code":…,"message":…}}`.
pub fn error_body(code: &str, message: &str) -> serde_json::Value {
    serde_json::json!({ "error": { "code": code, "message": message } })
}

impl ResponseError for ApiError {
    fn status_code(&self) -> StatusCode {
        self.status
    }

    fn error_response(&self) -> HttpResponse {
        HttpResponse::build(self.status)
            .insert_header((header::CACHE_CONTROL, HeaderValue::from_static("no-store")))
            .json(self.body())
    }
}

/// The code and message for an error status that reached the client without a JSON body (from
/// actix, actix-files or actix-cors), so that every error has the same shape.
pub fn code_for_status(status: StatusCode) -> (&'static str, &'static str) {
    match status.as_u16() {
        400 => ("bad_request", "the request is malformed"),
        401 => ("unauthorized", "a valid API key is required"),
        403 => ("forbidden", "this request is not allowed"),
        404 => ("not_found", "no such resource"),
        405 => ("method_not_allowed", "this method is not allowed here"),
        406 => ("not_acceptable", "no acceptable representation"),
        408 => ("request_timeout", "the request took too long to arrive"),
        411 => ("length_required", "the request needs a Content-Length"),
        412 => (
            "precondition_failed",
            "a precondition of the request failed",
        ),
        413 => ("payload_too_large", "the request body is too large"),
        414 => ("uri_too_long", "the request target is too long"),
        415 => ("unsupported_media_type", "unsupported media type"),
        416 => (
            "range_not_satisfiable",
            "the requested byte range is outside the file",
        ),
        431 => ("headers_too_large", "the request headers are too large"),
        503 => ("unavailable", "the server is not ready"),
        s if s >= 500 => ("internal", "the server failed to answer this request"),
        _ => ("error", "the request failed"),
    }
}

/// The JSON error for a query string that does not deserialise (`limit=abc`, `limit=-1` …).
/// The message names the parameter when a typed one is malformed
/// ([`crate::params::malformed_parameter`]).
pub fn query_error(
    err: actix_web::error::QueryPayloadError,
    req: &HttpRequest,
) -> actix_web::Error {
    let message = crate::params::malformed_parameter(req.query_string())
        .unwrap_or_else(|| format!("bad query string: {err}"));
    ApiError::invalid_parameter(message).into()
}

/// The JSON error for a path segment that does not deserialise.
pub fn path_error(err: actix_web::error::PathError, _: &HttpRequest) -> actix_web::Error {
    ApiError::invalid_parameter(format!("bad path: {err}")).into()
}

#[cfg(test)]
mod tests {
    use super::*;
    use actix_web::body::MessageBody;

    #[test]
    fn errors_have_the_contract_shape() {
        let err = ApiError::not_found("track_not_found", "no track abc");
        let resp = err.error_response();
        assert_eq!(resp.status(), StatusCode::NOT_FOUND);
        let bytes = resp.into_body().try_into_bytes().unwrap();
        let v: serde_json::Value = serde_json::from_slice(&bytes).unwrap();
        assert_eq!(v["error"]["code"], "track_not_found");
        assert_eq!(v["error"]["message"], "no track abc");
    }

    #[test]
    fn every_kind_has_its_status() {
        let status = |k| ApiError::status_for(k).as_u16();
        assert_eq!(status(ErrorKind::NotFound), 404);
        assert_eq!(status(ErrorKind::Invalid), 400);
        assert_eq!(status(ErrorKind::Unavailable), 503);
        assert_eq!(status(ErrorKind::Internal), 500);
        for kind in [ErrorKind::Unavailable, ErrorKind::Internal] {
            let err = ApiError::failure(kind);
            assert_eq!(err.status, ApiError::status_for(kind));
            assert_eq!(err.code, code_for_status(err.status).0);
        }
    }

    #[test]
    fn every_error_status_has_a_snake_case_code() {
        for s in 400..600u16 {
            let Ok(status) = StatusCode::from_u16(s) else {
                continue;
            };
            let (code, message) = code_for_status(status);
            assert!(
                code.chars().all(|c| c.is_ascii_lowercase() || c == '_'),
                "{s}: {code}"
            );
            assert!(!message.is_empty());
        }
    }
}
