//! The accept path in front of actix-http. actix-server accepts each connection; a
//! [`stream::FrontStream`] reads and checks every request head on it ([`head`]) before actix-http's
//! HTTP/1 dispatcher (running the [`crate::server::app`]) sees one byte of it. A head that breaks
//! the contract is answered here, in the API's JSON error shape with an `X-Request-Id`, logged
//! once at WARN and counted in the metrics under `route="unmatched"`:
//!
//! | what | status | code |
//! | --- | --- | --- |
//! | a request target over `max_uri_bytes` | 414 | `uri_too_long` |
//! | a header block over `max_header_bytes`, or more than 96 header fields | 431 | `headers_too_large` |
//! | a request line or header actix-http's decoder refuses (a NUL, bytes that are not HTTP) | 400 | `malformed_request` |
//! | a head not complete within `client_request_timeout_ms` | 408 | `request_timeout` |
//!
//! Without this, actix-http answers these itself with empty bodies, before any middleware, and
//! logs an ERROR line for each.

pub mod head;
pub mod stream;

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use actix_http::KeepAlive;
use actix_web::web;

use crate::error::ApiError;
use crate::state::AppState;
use head::HeadLimits;

/// What every connection's [`stream::FrontStream`] shares: the limits, the head timeout and the
/// application state (for the metrics).
pub struct Front {
    /// The head size limits (`max_uri_bytes`, `max_header_bytes`).
    pub limits: HeadLimits,
    /// How long a request head may take to arrive (`client_request_timeout_ms`).
    pub head_timeout: Duration,
    state: web::Data<AppState>,
}

/// A refused head, for the log and the metrics.
pub(crate) struct Refusal {
    pub(crate) err: ApiError,
    /// The method token, if the request line got that far ("" otherwise).
    pub(crate) method: String,
    pub(crate) latency: Duration,
    pub(crate) peer: Option<SocketAddr>,
}

/// actix-http's keep-alive time for an idle connection (its default).
pub const KEEP_ALIVE: Duration = Duration::from_secs(5);

impl Front {
    /// The front for `state`'s settings.
    pub fn new(state: web::Data<AppState>) -> Front {
        let config = &state.config;
        Front {
            limits: HeadLimits {
                max_target_bytes: config.max_uri_bytes,
                max_header_bytes: config.max_header_bytes,
            },
            head_timeout: Duration::from_millis(config.client_request_timeout_ms),
            state,
        }
    }

    /// Logs and counts a refusal and returns its answer, bytes ready to write: the status, the
    /// JSON error body, `X-Request-Id`, and `Connection: close`.
    pub(crate) fn refuse(&self, refusal: &Refusal) -> Vec<u8> {
        let request_id = crate::middleware::next_request_id();
        let err = &refusal.err;
        let status = err.status.as_u16();
        self.state
            .metrics
            .observe("unmatched", &refusal.method, status, refusal.latency);
        let method = crate::metrics::method_label(&refusal.method);
        let peer = refusal.peer.map(|p| p.ip().to_string());
        tracing::warn!(
            target: "musearch_web::access",
            request_id = %request_id, method, route = "unmatched", status, code = err.code,
            message = %err.message, latency_ms = refusal.latency.as_secs_f64() * 1e3,
            peer = peer.as_deref().unwrap_or("-"), "request refused"
        );
        answer(err, &request_id)
    }
}

/// The bytes of an HTTP/1.1 answer to `err`: its JSON error body, `X-Request-Id`, and
/// `Connection: close`.
pub fn answer(err: &ApiError, request_id: &str) -> Vec<u8> {
    let body = err.body().to_string();
    format!(
        "HTTP/1.1 {} {}\r\ncontent-type: application/json\r\ncontent-length: {}\r\n\
         cache-control: no-store\r\nx-request-id: {request_id}\r\nconnection: close\r\n\r\n{body}",
        err.status.as_u16(),
        err.status.canonical_reason().unwrap_or("Error"),
        body.len(),
    )
    .into_bytes()
}

/// Pending connections the kernel queues for `accept` (actix-web's `HttpServer` default).
const BACKLOG: i32 = 1024;

/// A listening socket on `addr` with `SO_REUSEADDR` and a backlog of [`BACKLOG`], as actix-web's
/// `HttpServer` makes them.
fn listener(addr: SocketAddr) -> std::io::Result<std::net::TcpListener> {
    use socket2::{Domain, Protocol, Socket, Type};
    let socket = Socket::new(Domain::for_address(addr), Type::STREAM, Some(Protocol::TCP))?;
    #[cfg(not(windows))]
    socket.set_reuse_address(true)?;
    socket.bind(&addr.into())?;
    socket.listen(BACKLOG)?;
    Ok(socket.into())
}

/// Binds `bind` and builds the server: actix-server accepting, a [`stream::FrontStream`] per
/// connection, actix-http's HTTP/1 dispatcher running [`crate::server::app`]. Returns the server
/// (not yet polled) and the first bound address. SIGINT and SIGTERM stop it gracefully.
pub fn build(
    state: web::Data<AppState>,
    bind: &str,
    workers: usize,
) -> std::io::Result<(actix_server::Server, SocketAddr)> {
    use actix_http::HttpService;
    use actix_service::{fn_service, map_config, ServiceFactoryExt as _};
    use actix_web::dev::AppConfig;

    let front = Arc::new(Front::new(state.clone()));
    let mut builder = actix_server::Server::build();
    if workers > 0 {
        builder = builder.workers(workers);
    }
    let shutdown = builder.graceful_shutdown_signal();
    let mut first = None;
    let addrs = std::net::ToSocketAddrs::to_socket_addrs(bind)?;
    for addr in addrs {
        let listener = listener(addr)?;
        let local = listener.local_addr()?;
        first.get_or_insert(local);
        let state = state.clone();
        let front = Arc::clone(&front);
        let shutdown = shutdown.clone();
        builder = builder.listen(format!("musearch-{local}"), listener, move || {
            let shutdown = shutdown.clone();
            let app =
                actix_service::IntoServiceFactory::into_factory(crate::server::app(state.clone()));
            let h1 = HttpService::build()
                .keep_alive(KeepAlive::Timeout(KEEP_ALIVE))
                // The front times request heads (with a JSON 408), not actix-http.
                .client_request_timeout(Duration::ZERO)
                .client_disconnect_timeout(Duration::from_secs(1))
                .graceful_shutdown_signal(move || {
                    let shutdown = shutdown.clone();
                    async move { shutdown.notified().await }
                })
                .local_addr(local)
                .h1(map_config(app, |()| AppConfig::default()));
            let front = Arc::clone(&front);
            let codec = actix_http::ServiceConfig::default();
            fn_service(move |io: actix_rt::net::TcpStream| {
                let peer = io.peer_addr().ok();
                let stream = stream::FrontStream::new(io, Arc::clone(&front), &codec, peer);
                std::future::ready(Ok::<_, actix_http::error::DispatchError>((stream, peer)))
            })
            .and_then(h1)
        })?;
    }
    let first = first.ok_or_else(|| std::io::Error::other(format!("{bind}: bound no address")))?;
    Ok((builder.run(), first))
}
