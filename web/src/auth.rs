//! API keys: `Authorization: Bearer KEY` or `X-Api-Key: KEY`, compared in constant time, and
//! the one rule of which paths need one ([`needs_key`]).

use actix_web::http::header::{HeaderMap, AUTHORIZATION};

/// The configured keys; empty means no key is needed.
#[derive(Debug, Clone, Default)]
pub struct ApiKeys {
    keys: Vec<Vec<u8>>,
}

impl ApiKeys {
    /// The keys of `[server] api_keys`.
    pub fn new(keys: &[String]) -> ApiKeys {
        ApiKeys {
            keys: keys.iter().map(|k| k.as_bytes().to_vec()).collect(),
        }
    }

    /// True when no key is configured (the API is open).
    pub fn is_empty(&self) -> bool {
        self.keys.is_empty()
    }

    /// Whether a request with these headers may pass: always when no key is configured, else
    /// when it carries one of the keys.
    pub fn accepts(&self, headers: &HeaderMap) -> bool {
        if self.is_empty() {
            return true;
        }
        presented_key(headers).is_some_and(|k| self.contains(k))
    }

    /// Compares `candidate` with every key without stopping at the first difference, so the
    /// time taken does not tell how much of a key was right.
    fn contains(&self, candidate: &[u8]) -> bool {
        self.keys
            .iter()
            .fold(false, |found, key| found | constant_time_eq(key, candidate))
    }
}

/// The key a request presents: the bearer token, else `X-Api-Key`.
fn presented_key(headers: &HeaderMap) -> Option<&[u8]> {
    if let Some(value) = headers.get(AUTHORIZATION) {
        let value = value.as_bytes();
        let scheme = b"bearer ";
        if value.len() > scheme.len() && value[..scheme.len()].eq_ignore_ascii_case(scheme) {
            return Some(value[scheme.len()..].trim_ascii());
        }
    }
    headers.get("x-api-key").map(|v| v.as_bytes().trim_ascii())
}

/// Whether a request for `router_path` needs a key when keys are configured.
///
/// `router_path` must be the path exactly as the router matches it: the percent-decoded path of
/// `ServiceRequest::match_info()` (actix decodes every escape but `%2F`, `%25` and `%2B`), never
/// the raw request target, or `/%61pi/v1/search` would pass as a page while the router answers
/// it as `/api/v1/search`. The rule is closed: only the page, its static files, the health check
/// and the API description are public, each by exact match; every other path (any API route,
/// `/metrics`, and any spelling the router might still resolve: `//`, `/./`, `/../`, a trailing
/// slash, another case, a remaining escape) needs a key.
pub fn needs_key(router_path: &str) -> bool {
    const PUBLIC: [&str; 3] = ["/", "/api/v1/health", "/api/v1/openapi.json"];
    if PUBLIC.contains(&router_path) {
        return false;
    }
    match router_path.strip_prefix("/static/") {
        // One plain file name: no separator, no escape, no dot segment.
        Some(file) => !is_plain_file_name(file),
        None => true,
    }
}

/// A file name of the page's static files: ASCII letters, digits, `-`, `_` and `.`, not
/// starting with a dot.
fn is_plain_file_name(name: &str) -> bool {
    !name.is_empty()
        && !name.starts_with('.')
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'))
}

/// Equality of two byte strings in time that depends on their lengths only.
fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

#[cfg(test)]
mod tests {
    use super::*;
    use actix_web::http::header::{HeaderName, HeaderValue};

    fn headers(pairs: &[(&str, &str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (k, v) in pairs {
            map.insert(
                HeaderName::from_bytes(k.as_bytes()).unwrap(),
                HeaderValue::from_str(v).unwrap(),
            );
        }
        map
    }

    #[test]
    fn only_the_page_health_and_description_are_public() {
        for public in [
            "/",
            "/api/v1/health",
            "/api/v1/openapi.json",
            "/static/app.js",
            "/static/favicon.svg",
        ] {
            assert!(!needs_key(public), "{public}");
        }
        for guarded in [
            "/api/v1/search",
            "/api/v1/tracks/abc/audio",
            "/api/v2/anything",
            "/metrics",
            "/Metrics",
            "/API/v1/search",
            "/api/v1/health/",
            "//api/v1/search",
            "/./api/v1/search",
            "/static/../metrics",
            "/static/..",
            "/static/.hidden",
            "/static/a%2Fb",
            "/static/",
            "/nothing",
            "",
        ] {
            assert!(needs_key(guarded), "{guarded}");
        }
    }

    #[test]
    fn no_keys_means_open() {
        assert!(ApiKeys::new(&[]).accepts(&headers(&[])));
    }

    #[test]
    fn bearer_and_x_api_key_are_both_accepted() {
        let keys = ApiKeys::new(&["s3cret".into(), "other".into()]);
        assert!(keys.accepts(&headers(&[("authorization", "Bearer s3cret")])));
        assert!(keys.accepts(&headers(&[("authorization", "bearer other")])));
        assert!(keys.accepts(&headers(&[("x-api-key", "s3cret")])));
        assert!(!keys.accepts(&headers(&[])));
        assert!(!keys.accepts(&headers(&[("authorization", "Bearer s3cre")])));
        assert!(!keys.accepts(&headers(&[("authorization", "Basic s3cret")])));
        assert!(!keys.accepts(&headers(&[("x-api-key", "S3CRET")])));
    }
}
