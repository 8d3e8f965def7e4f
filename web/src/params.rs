//! Query-string parameters and their checks against the configured limits. Anything out of range
//! is a 400, never a silent clamp.

use actix_web::http::StatusCode;
use musearch_searcher::response::{Filters, SearchRequest};
use serde::Deserialize;

use crate::config::ServerConfig;
use crate::error::ApiError;

/// Refuses a request target part (`path` or `query`) whose percent-decoded bytes are not UTF-8
/// (`%ff`, an encoded lone surrogate `%ED%A0%80`, an overlong form `%C0%AF`): 400
/// `invalid_utf8`. actix's decoders would replace such bytes by U+FFFD and go on.
pub fn check_utf8(part: &str, raw: &str) -> Result<(), ApiError> {
    let decoded = percent_decode(raw.as_bytes());
    match std::str::from_utf8(&decoded) {
        Ok(_) => Ok(()),
        Err(err) => Err(ApiError::new(
            StatusCode::BAD_REQUEST,
            "invalid_utf8",
            format!(
                "the {part} is not valid UTF-8 once percent-decoded (at byte {})",
                err.valid_up_to()
            ),
        )),
    }
}

/// What a typed query parameter must be, for [`malformed_parameter`].
#[derive(Debug, Clone, Copy)]
enum Expected {
    Whole,
    Number,
    Boolean,
}

/// The API's typed query parameters (on any route) and what each must be.
const TYPED_PARAMETERS: [(&str, Expected); 6] = [
    ("limit", Expected::Whole),
    ("offset", Expected::Whole),
    ("max_per_album", Expected::Whole),
    ("min_duration", Expected::Number),
    ("max_duration", Expected::Number),
    ("diverse", Expected::Boolean),
];

/// The first typed parameter of `query` (a raw query string) whose value is not of its type,
/// as a message that names it (`max_per_album must be a whole number, not "-1"`); `None` when
/// every typed value parses, so the caller keeps the deserialiser's own message.
pub fn malformed_parameter(query: &str) -> Option<String> {
    for pair in query.split('&') {
        let (name, value) = pair.split_once('=').unwrap_or((pair, ""));
        let decode = |s: &str| {
            let plus_as_space = s.replace('+', " ");
            String::from_utf8_lossy(&percent_decode(plus_as_space.as_bytes())).into_owned()
        };
        let name = decode(name);
        let Some(&(_, expected)) = TYPED_PARAMETERS.iter().find(|(n, _)| *n == name) else {
            continue;
        };
        let value = decode(value);
        let (ok, what) = match expected {
            Expected::Whole => (value.parse::<usize>().is_ok(), "a whole number (0 or more)"),
            Expected::Number => (value.parse::<f64>().is_ok(), "a number"),
            Expected::Boolean => (matches!(value.as_str(), "true" | "false"), "true or false"),
        };
        if !ok {
            let shown: String = value.chars().take(40).collect();
            return Some(format!("{name} must be {what}, not {shown:?}"));
        }
    }
    None
}

/// The bytes of `raw` with every `%XX` escape decoded (a `%` without two hex digits stays).
fn percent_decode(raw: &[u8]) -> Vec<u8> {
    let hex = |b: u8| (b as char).to_digit(16).map(|d| d as u8);
    let mut out = Vec::with_capacity(raw.len());
    let mut i = 0;
    while i < raw.len() {
        if raw[i] == b'%' && i + 2 < raw.len() {
            if let (Some(h), Some(l)) = (hex(raw[i + 1]), hex(raw[i + 2])) {
                out.push((h << 4) | l);
                i += 3;
                continue;
            }
        }
        out.push(raw[i]);
        i += 1;
    }
    out
}

/// `?limit=&offset=`.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct PageParams {
    /// Results per page.
    pub limit: Option<usize>,
    /// Results to skip.
    pub offset: Option<usize>,
}

/// A checked page.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Page {
    /// Results per page, 1 ..= `max_limit`.
    pub limit: usize,
    /// Results to skip, 0 ..= `max_offset`.
    pub offset: usize,
}

impl PageParams {
    /// The page, with the default size when none is given.
    pub fn checked(&self, config: &ServerConfig) -> Result<Page, ApiError> {
        let limit = self.limit.unwrap_or(config.default_limit);
        if limit == 0 || limit > config.max_limit {
            return Err(ApiError::invalid_parameter(format!(
                "limit must be between 1 and {}, not {limit}",
                config.max_limit
            )));
        }
        let offset = self.offset.unwrap_or(0);
        if offset > config.max_offset {
            return Err(ApiError::invalid_parameter(format!(
                "offset must be at most {}, not {offset}",
                config.max_offset
            )));
        }
        Ok(Page { limit, offset })
    }
}

/// `?q=&limit=&offset=&min_duration=&max_duration=&artist=&format=&diverse=&max_per_album=`.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct SearchParams {
    /// The query text.
    pub q: Option<String>,
    /// Results per page.
    pub limit: Option<usize>,
    /// Results to skip.
    pub offset: Option<usize>,
    /// Shortest duration in seconds.
    pub min_duration: Option<f64>,
    /// Longest duration in seconds.
    pub max_duration: Option<f64>,
    /// Artist contains this text.
    pub artist: Option<String>,
    /// File format (extension or codec).
    pub format: Option<String>,
    /// `false` turns the album diversity rule off for this request.
    pub diverse: Option<bool>,
    /// The most results of one album per round of the diversity rule (1 or more).
    pub max_per_album: Option<usize>,
}

impl SearchParams {
    /// The engine's request, after checking every parameter.
    pub fn to_request(&self, config: &ServerConfig) -> Result<SearchRequest, ApiError> {
        let query = self
            .q
            .as_deref()
            .ok_or_else(|| ApiError::invalid_parameter("the query parameter `q` is required"))?;
        let chars = query.chars().count();
        if chars > config.max_query_chars {
            return Err(ApiError::new(
                StatusCode::BAD_REQUEST,
                "query_too_long",
                format!(
                    "the query has {chars} characters; at most {} are allowed",
                    config.max_query_chars
                ),
            ));
        }
        let page = PageParams {
            limit: self.limit,
            offset: self.offset,
        }
        .checked(config)?;
        let min_duration = duration("min_duration", self.min_duration)?;
        let max_duration = duration("max_duration", self.max_duration)?;
        if let (Some(lo), Some(hi)) = (min_duration, max_duration) {
            if lo > hi {
                return Err(ApiError::invalid_parameter(format!(
                    "min_duration ({lo}) is larger than max_duration ({hi})"
                )));
            }
        }
        if self.max_per_album == Some(0) {
            return Err(ApiError::invalid_parameter(
                "max_per_album must be at least 1 (diverse=false turns the rule off)",
            ));
        }
        Ok(SearchRequest {
            query: query.to_owned(),
            limit: page.limit,
            offset: page.offset,
            filters: Filters {
                min_duration,
                max_duration,
                artist: text_filter("artist", &self.artist, config)?,
                format: text_filter("format", &self.format, config)?,
            },
            diverse: self.diverse,
            max_per_album: self.max_per_album,
        })
    }
}

/// A duration bound: finite and not negative.
fn duration(name: &str, value: Option<f64>) -> Result<Option<f64>, ApiError> {
    match value {
        Some(v) if !v.is_finite() || v < 0.0 => Err(ApiError::invalid_parameter(format!(
            "{name} must be a number of seconds, 0 or more, not {v}"
        ))),
        other => Ok(other),
    }
}

/// A text filter: empty means none; as long as a query at most.
fn text_filter(
    name: &str,
    value: &Option<String>,
    config: &ServerConfig,
) -> Result<Option<String>, ApiError> {
    match value.as_deref().map(str::trim) {
        None | Some("") => Ok(None),
        Some(v) if v.chars().count() > config.max_query_chars => Err(ApiError::new(
            StatusCode::BAD_REQUEST,
            "query_too_long",
            format!(
                "{name} is longer than {} characters",
                config.max_query_chars
            ),
        )),
        Some(v) => Ok(Some(v.to_owned())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn params(q: &str) -> SearchParams {
        SearchParams {
            q: Some(q.into()),
            ..SearchParams::default()
        }
    }

    #[test]
    fn malformed_typed_parameters_are_named() {
        assert_eq!(
            malformed_parameter("q=piano&max_per_album=-1").as_deref(),
            Some("max_per_album must be a whole number (0 or more), not \"-1\"")
        );
        assert_eq!(
            malformed_parameter("q=a&diverse=maybe").as_deref(),
            Some("diverse must be true or false, not \"maybe\"")
        );
        assert_eq!(
            malformed_parameter("%6Cimit=1e3").as_deref(),
            Some("limit must be a whole number (0 or more), not \"1e3\"")
        );
        assert!(malformed_parameter("min_duration=abc")
            .unwrap()
            .starts_with("min_duration must be a number"));
        // Well-typed values (and unknown names) leave the deserialiser's message in place.
        assert_eq!(
            malformed_parameter("q=x&limit=5&offset=0&diverse=true&min_duration=2.5&foo=-1"),
            None
        );
    }

    #[test]
    fn invalid_utf8_is_refused_and_valid_utf8_passes() {
        for bad in [
            "q=%ff",
            "q=%ED%A0%80",
            "q=%C0%AF",
            "q=%E2%82",
            "q=ok&artist=%FE",
            "%ff=x",
        ] {
            let err = check_utf8("query string", bad).unwrap_err();
            assert_eq!(
                (err.status.as_u16(), err.code),
                (400, "invalid_utf8"),
                "{bad}"
            );
        }
        for good in [
            "",
            "q=piano",
            "q=caf%C3%A9+bar",
            "q=%F0%9F%8E%B9",
            "q=100%",
            "q=%zz",
            "q=%4",
        ] {
            assert!(check_utf8("query string", good).is_ok(), "{good}");
        }
    }

    #[test]
    fn defaults_and_limits() {
        let config = ServerConfig::default();
        let req = params("piano").to_request(&config).unwrap();
        assert_eq!((req.limit, req.offset), (config.default_limit, 0));
        let too_many = SearchParams {
            limit: Some(config.max_limit + 1),
            ..params("piano")
        };
        assert_eq!(
            too_many.to_request(&config).unwrap_err().code,
            "invalid_parameter"
        );
        let zero = SearchParams {
            limit: Some(0),
            ..params("piano")
        };
        assert!(zero.to_request(&config).is_err());
        let deep = SearchParams {
            offset: Some(config.max_offset + 1),
            ..params("piano")
        };
        assert!(deep.to_request(&config).is_err());
    }

    #[test]
    fn missing_long_and_out_of_range_values_are_refused() {
        let config = ServerConfig::default();
        assert!(SearchParams::default().to_request(&config).is_err());
        let long = "a".repeat(config.max_query_chars + 1);
        let err = params(&long).to_request(&config).unwrap_err();
        assert_eq!(
            (err.status, err.code),
            (StatusCode::BAD_REQUEST, "query_too_long")
        );
        let nan = SearchParams {
            min_duration: Some(f64::NAN),
            ..params("x")
        };
        assert!(nan.to_request(&config).is_err());
        let crossed = SearchParams {
            min_duration: Some(60.0),
            max_duration: Some(10.0),
            ..params("x")
        };
        assert!(crossed.to_request(&config).is_err());
    }

    #[test]
    fn filters_pass_through_and_blank_ones_vanish() {
        let config = ServerConfig::default();
        let req = SearchParams {
            artist: Some("  ".into()),
            format: Some("ogg".into()),
            min_duration: Some(30.0),
            ..params("calm")
        }
        .to_request(&config)
        .unwrap();
        assert_eq!(req.filters.artist, None);
        assert_eq!(req.filters.format.as_deref(), Some("ogg"));
        assert_eq!(req.filters.min_duration, Some(30.0));
    }
}
