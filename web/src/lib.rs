//! # musearch-web
//!
//! The web server of `musearch serve`: a JSON API over the searcher's
//! [`Engine`](musearch_searcher::engine::Engine), audio streaming with HTTP Range, taggram
//! pictures, Prometheus metrics and the page. No libtorch: a search box needs no CNN.
//!
//! Request flow, outermost first: [`front`] (every request head checked before actix-http reads
//! it: 414, 431, 400, 408 in the JSON error shape) → [`middleware::observe`] (metrics, request log, JSON error
//! bodies) → CORS → [`middleware::gate`] (size limits, API keys) → the routes of [`api`] and
//! [`assets`]. Handlers run engine calls in the blocking pool behind `catch_unwind`, so neither
//! a slow search nor a panic in a dependency takes a worker down.
//!
//! * [`config`]: the `[server]` table of `musearch.toml`.
//! * [`api`]: the `/api/v1` routes and `/metrics`; [`params`]: their query parameters;
//!   [`audio`] and [`range`]: audio files with ETags and byte ranges.
//! * [`error`]: the one error shape, `{"error":{"code","message"}}`, and the status of
//!   each kind of engine error.
//! * [`links`]: the URLs and MIME types of a track's resources, added to the engine's tracks.
//! * [`auth`], [`metrics`], [`logging`], [`taggram`], [`openapi`]: one job each.
//! * [`server`]: the actix application and the HTTP server.

#![warn(missing_docs)]

pub mod api;
pub mod assets;
pub mod audio;
pub mod auth;
pub mod config;
pub mod error;
pub mod front;
pub mod links;
pub mod logging;
pub mod metrics;
pub mod middleware;
pub mod openapi;
pub mod params;
pub mod range;
pub mod server;
pub mod state;
pub mod taggram;

pub use config::{ConfigError, LogFormat, PathDisplay, ServerConfig};
pub use error::ApiError;
pub use server::{app, run, serve};
pub use state::AppState;
