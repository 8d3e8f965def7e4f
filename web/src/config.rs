//! The server's settings: the `[server]` table of `musearch.toml`, with defaults that work out
//! of the box (loopback only, no keys, no cross-origin access).
//!
//! ```toml
//! [server]
//! bind = "127.0.0.1:8080"
//! api_keys = ["k1", "k2"]            # empty: no key needed
//! cors_origins = ["https://app.example"]  # or ["*"]
//! max_query_chars = 256
//! max_limit = 100
//! default_limit = 20
//! max_offset = 10000
//! max_uri_bytes = 4096
//! max_header_bytes = 32768
//! max_body_bytes = 0
//! log_format = "json"                # or "text"
//! paths = "relative"                 # or "none": file paths in track details
//! client_request_timeout_ms = 5000
//! workers = 2
//!
//! [ranking]                          # the rules applied to a ranking before it is shown
//! min_length_secs = 25.0             # shorter tracks are demoted unless the query asks for them
//! evidence_floor = 0.15              # below it for every asked tag: a weak match, demoted
//! silent_share = 0.5                 # share of near-silent 50 ms blocks of a near-silent track
//! silent_dbfs = -50.0                # or a whole level below this
//! duplicate_similarity = 0.985       # audio-embedding cosine of one recording in two files
//! diversity = true                   # at most max_per_album results of one album per round
//! max_per_album = 3
//! window = 60                        # how many of the first tracks are refined
//! ```

use std::path::{Path, PathBuf};

use musearch_searcher::refine::RefineOptions;
use serde::Deserialize;

/// How request logs are written (to stderr).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    /// Human-readable lines.
    #[default]
    Text,
    /// One JSON object per line (for log collectors).
    Json,
}

/// How the API shows the file paths of a track (`GET /api/v1/tracks/{id}`, field `paths`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum PathDisplay {
    /// Relative to the indexed root: the deepest directory that holds every indexed file.
    #[default]
    Relative,
    /// No paths at all (an empty list).
    None,
}

/// The `[server]` table.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ServerConfig {
    /// Address and port to listen on (`127.0.0.1:0` picks a free port).
    pub bind: String,
    /// API keys; when any is set, every `/api/v1` route except `health` and `openapi.json`, and
    /// `/metrics`, need `Authorization: Bearer KEY` or `X-Api-Key: KEY`.
    pub api_keys: Vec<String>,
    /// Origins allowed to call the API from a browser on another origin (`"*"` for any).
    /// Empty: no cross-origin access.
    pub cors_origins: Vec<String>,
    /// The longest search query `q`, in characters.
    pub max_query_chars: usize,
    /// The largest page (`limit`) a request may ask for.
    pub max_limit: usize,
    /// The page size when a request names none.
    pub default_limit: usize,
    /// The deepest `offset` a request may ask for.
    pub max_offset: usize,
    /// The longest request target (path and query string), in bytes.
    pub max_uri_bytes: usize,
    /// The largest header block of a request (every header line, without the request line),
    /// in bytes; a larger one is refused with 431 before the application sees it.
    pub max_header_bytes: usize,
    /// The largest request body, in bytes (the API takes none: every route is a GET).
    pub max_body_bytes: u64,
    /// Request log format.
    pub log_format: LogFormat,
    /// HTTP worker threads (0: one per core).
    pub workers: usize,
    /// File paths in track details: relative to the indexed root, or none. Never absolute.
    pub paths: PathDisplay,
    /// Milliseconds a client has to send a whole request head (then 408 and the connection
    /// is closed).
    pub client_request_timeout_ms: u64,
}

impl Default for ServerConfig {
    fn default() -> Self {
        ServerConfig {
            bind: "127.0.0.1:8080".into(),
            api_keys: Vec::new(),
            cors_origins: Vec::new(),
            max_query_chars: 256,
            max_limit: 100,
            default_limit: 20,
            max_offset: 10_000,
            max_uri_bytes: 4096,
            max_header_bytes: 32 * 1024,
            max_body_bytes: 0,
            log_format: LogFormat::Text,
            workers: 0,
            paths: PathDisplay::Relative,
            client_request_timeout_ms: 5000,
        }
    }
}

/// A configuration file that cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// The file cannot be read.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The cause.
        #[source]
        source: std::io::Error,
    },
    /// The file is not valid TOML, or `[server]` has a wrong or unknown key.
    #[error("{path}: {source}")]
    Invalid {
        /// The file.
        path: PathBuf,
        /// What is wrong.
        #[source]
        source: InvalidConfig,
    },
}

/// What is wrong with the text of a `musearch.toml`'s `[server]` table.
#[derive(Debug, thiserror::Error)]
pub enum InvalidConfig {
    /// Not valid TOML, or a wrong or unknown key in `[server]`.
    #[error(transparent)]
    Toml(#[from] toml::de::Error),
    /// A value out of its range, or limits that contradict each other.
    #[error("server.{key} {rule}")]
    Value {
        /// The key, without `server.`.
        key: &'static str,
        /// What it must be.
        rule: String,
    },
    /// A value of the `[ranking]` table out of its range.
    #[error("ranking.{key} {rule}")]
    Ranking {
        /// The key, without `ranking.`.
        key: &'static str,
        /// What it must be.
        rule: &'static str,
    },
}

/// Reads the `[ranking]` table of a `musearch.toml` (the refinement of every ranking, see
/// `musearch_searcher::refine`); a file without one gives the defaults.
pub fn load_ranking(path: &Path) -> Result<RefineOptions, ConfigError> {
    let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Io {
        path: path.to_owned(),
        source,
    })?;
    parse_ranking(&text).map_err(|source| ConfigError::Invalid {
        path: path.to_owned(),
        source,
    })
}

/// Parses the `[ranking]` table of the text of a `musearch.toml` and checks its values.
pub fn parse_ranking(text: &str) -> Result<RefineOptions, InvalidConfig> {
    #[derive(Deserialize)]
    struct File {
        #[serde(default)]
        ranking: RefineOptions,
    }
    let r = toml::from_str::<File>(text)?.ranking;
    let bad = |key, rule| Err(InvalidConfig::Ranking { key, rule });
    if !(r.min_length_secs.is_finite() && r.min_length_secs >= 0.0) {
        return bad("min_length_secs", "must be a number of seconds, 0 or more");
    }
    if !(0.0..=1.0).contains(&r.evidence_floor) {
        return bad("evidence_floor", "must be a probability, between 0 and 1");
    }
    if !(0.0..=1.0).contains(&r.silent_share) {
        return bad("silent_share", "must be a share, between 0 and 1");
    }
    if !(r.silent_dbfs.is_finite() && r.silent_dbfs <= 0.0) {
        return bad("silent_dbfs", "must be a level in dBFS, 0 or below");
    }
    if !(-1.0..=1.0).contains(&r.duplicate_similarity) {
        return bad("duplicate_similarity", "must be a cosine, between -1 and 1");
    }
    if r.max_per_album == 0 {
        return bad(
            "max_per_album",
            "must be at least 1 (diversity = false turns it off)",
        );
    }
    Ok(r)
}

/// An [`InvalidConfig::Value`].
fn invalid(key: &'static str, rule: impl Into<String>) -> InvalidConfig {
    InvalidConfig::Value {
        key,
        rule: rule.into(),
    }
}

impl ServerConfig {
    /// Reads the `[server]` table of a `musearch.toml` (other tables belong to other commands
    /// and are ignored); a file without one gives the defaults.
    pub fn load(path: &Path) -> Result<ServerConfig, ConfigError> {
        let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Io {
            path: path.to_owned(),
            source,
        })?;
        Self::parse(&text).map_err(|source| ConfigError::Invalid {
            path: path.to_owned(),
            source,
        })
    }

    /// Parses the text of a `musearch.toml` and checks the values.
    pub fn parse(text: &str) -> Result<ServerConfig, InvalidConfig> {
        #[derive(Deserialize)]
        struct File {
            #[serde(default)]
            server: ServerConfig,
        }
        let file: File = toml::from_str(text)?;
        file.server.validated()
    }

    /// Checks that the limits make sense together.
    pub fn validated(self) -> Result<ServerConfig, InvalidConfig> {
        if self.max_limit == 0 {
            return Err(invalid("max_limit", "must be at least 1"));
        }
        if self.default_limit == 0 || self.default_limit > self.max_limit {
            return Err(invalid(
                "default_limit",
                format!(
                    "must be between 1 and server.max_limit ({})",
                    self.max_limit
                ),
            ));
        }
        if self.max_query_chars == 0 {
            return Err(invalid("max_query_chars", "must be at least 1"));
        }
        if self.max_uri_bytes < 64 {
            return Err(invalid("max_uri_bytes", "must be at least 64"));
        }
        // A head must fit actix-http's 128 KiB read buffer, or actix-http would refuse it first.
        if self.max_uri_bytes > 32 * 1024 {
            return Err(invalid("max_uri_bytes", "must be at most 32768"));
        }
        if !(256..=64 * 1024).contains(&self.max_header_bytes) {
            return Err(invalid("max_header_bytes", "must be between 256 and 65536"));
        }
        if self.client_request_timeout_ms == 0 {
            return Err(invalid("client_request_timeout_ms", "must be at least 1"));
        }
        if self.api_keys.iter().any(|k| k.trim().is_empty()) {
            return Err(invalid("api_keys", "may not hold an empty key"));
        }
        Ok(self)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_file_without_a_server_table_gives_the_defaults() {
        let config = ServerConfig::parse("[index]\nfoo = 1\n").unwrap();
        assert_eq!(config, ServerConfig::default());
    }

    #[test]
    fn values_are_read_and_unknown_keys_refused() {
        let config = ServerConfig::parse(
            "[server]\napi_keys = [\"a\"]\nmax_limit = 5\ndefault_limit = 5\nlog_format = \"json\"\n",
        )
        .unwrap();
        assert_eq!(config.api_keys, vec!["a".to_string()]);
        assert_eq!(config.max_limit, 5);
        assert_eq!(config.log_format, LogFormat::Json);
        let err = ServerConfig::parse("[server]\napi_key = \"a\"\n").unwrap_err();
        assert!(err.to_string().contains("api_key"), "{err}");
    }

    #[test]
    fn inconsistent_limits_are_refused() {
        assert!(ServerConfig::parse("[server]\nmax_limit = 0\n").is_err());
        assert!(ServerConfig::parse("[server]\ndefault_limit = 500\n").is_err());
        assert!(ServerConfig::parse("[server]\napi_keys = [\" \"]\n").is_err());
        // A head must fit actix-http's read buffer; a zero timeout would refuse every head.
        assert!(ServerConfig::parse("[server]\nmax_header_bytes = 100\n").is_err());
        assert!(ServerConfig::parse("[server]\nmax_header_bytes = 1000000\n").is_err());
        assert!(ServerConfig::parse("[server]\nmax_uri_bytes = 100000\n").is_err());
        assert!(ServerConfig::parse("[server]\nclient_request_timeout_ms = 0\n").is_err());
        assert!(ServerConfig::parse("[server]\nmax_header_bytes = 8192\n").is_ok());
    }

    #[test]
    fn the_ranking_table_is_read_and_checked() {
        assert_eq!(
            parse_ranking("[server]\nworkers = 1\n").unwrap(),
            RefineOptions::default()
        );
        let r = parse_ranking("[ranking]\nmin_length_secs = 10\ndiversity = false\n").unwrap();
        assert_eq!((r.min_length_secs, r.diversity), (10.0, false));
        let err = parse_ranking("[ranking]\nmin_length = 10\n").unwrap_err();
        assert!(err.to_string().contains("min_length"), "{err}");
        let err = parse_ranking("[ranking]\nevidence_floor = 2.0\n").unwrap_err();
        assert_eq!(
            err.to_string(),
            "ranking.evidence_floor must be a probability, between 0 and 1"
        );
        assert!(parse_ranking("[ranking]\nmax_per_album = 0\n").is_err());
        // The server's own table ignores the ranking table.
        assert!(ServerConfig::parse("[ranking]\nmax_per_album = 2\n").is_ok());
    }
}
