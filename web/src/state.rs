//! What every handler shares: the engine, the settings, the keys and the metrics.

use std::sync::Arc;

use musearch_searcher::engine::Engine;

use crate::auth::ApiKeys;
use crate::config::ServerConfig;
use crate::metrics::Metrics;

/// The application state, behind `web::Data` (one `Arc`, shared by every worker).
pub struct AppState {
    /// The search engine over the index.
    pub engine: Arc<Engine>,
    /// The `[server]` settings.
    pub config: ServerConfig,
    /// The API keys of the settings.
    pub keys: ApiKeys,
    /// Request counts and latencies.
    pub metrics: Metrics,
}

impl AppState {
    /// The state for `engine` with `config`.
    pub fn new(engine: Arc<Engine>, config: ServerConfig) -> AppState {
        AppState {
            keys: ApiKeys::new(&config.api_keys),
            engine,
            config,
            metrics: Metrics::default(),
        }
    }
}
