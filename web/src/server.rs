//! The actix application (routes and layers) and the HTTP server around it (accepting through
//! [`crate::front`], which checks every request head before actix-http reads it).

use std::net::SocketAddr;
use std::sync::Arc;

use actix_cors::Cors;
use actix_web::body::MessageBody;
use actix_web::dev::{ServiceFactory, ServiceRequest, ServiceResponse};
use actix_web::http::header::{self, HeaderName};
use actix_web::middleware::{from_fn, Condition};
use actix_web::{web, App};
use musearch_searcher::engine::Engine;

use crate::config::ServerConfig;
use crate::error::{path_error, query_error};
use crate::state::AppState;

/// The application: the API, the page, the JSON error handlers and every layer (see
/// [`crate::middleware`]).
pub fn app(
    state: web::Data<AppState>,
) -> App<
    impl ServiceFactory<
        ServiceRequest,
        Config = (),
        Response = ServiceResponse<impl MessageBody>,
        Error = actix_web::Error,
        InitError = (),
    >,
> {
    let cors = cors(&state.config);
    App::new()
        .app_data(state)
        .app_data(web::QueryConfig::default().error_handler(query_error))
        .app_data(web::PathConfig::default().error_handler(path_error))
        .configure(crate::api::configure)
        .configure(crate::assets::configure)
        .default_service(web::to(crate::api::not_found))
        .wrap(from_fn(crate::middleware::gate))
        .wrap(Condition::new(cors.is_some(), cors.unwrap_or_default()))
        .wrap(from_fn(crate::middleware::observe))
}

/// The CORS layer for `[server] cors_origins`, or none when the list is empty (then browsers
/// keep other origins out by themselves).
fn cors(config: &ServerConfig) -> Option<Cors> {
    if config.cors_origins.is_empty() {
        return None;
    }
    let mut cors = Cors::default()
        .allowed_methods(["GET", "HEAD"])
        .allowed_headers([
            header::AUTHORIZATION,
            header::RANGE,
            header::CONTENT_TYPE,
            HeaderName::from_static("x-api-key"),
        ])
        .expose_headers([
            header::CONTENT_RANGE,
            header::ACCEPT_RANGES,
            header::CONTENT_LENGTH,
        ])
        .block_on_origin_mismatch(false)
        .max_age(3600);
    if config.cors_origins.iter().any(|o| o == "*") {
        cors = cors.allow_any_origin();
    } else {
        for origin in &config.cors_origins {
            cors = cors.allowed_origin(origin);
        }
    }
    Some(cors)
}

/// Binds `config.bind` (every address it resolves to), calls `on_listen` with the bound address (its port is the real one when
/// `bind` asked for port 0), and serves until SIGINT or SIGTERM. The similar-track graph of a
/// large catalog is built on a background thread meanwhile (similar tracks are scanned exactly
/// until it is ready).
pub async fn serve(
    engine: Arc<Engine>,
    config: ServerConfig,
    on_listen: impl FnOnce(SocketAddr),
) -> std::io::Result<()> {
    let bind = config.bind.clone();
    let workers = config.workers;
    let background = Arc::clone(&engine);
    std::thread::Builder::new()
        .name("similar-graph".into())
        .spawn(move || {
            background.build_similar_graph();
        })?;
    let state = web::Data::new(AppState::new(engine, config));
    let (server, addr) = crate::front::build(state, &bind, workers)?;
    on_listen(addr);
    server.await
}

/// [`serve`] on a new actix system, blocking the calling thread until the server stops.
pub fn run(
    engine: Arc<Engine>,
    config: ServerConfig,
    on_listen: impl FnOnce(SocketAddr),
) -> std::io::Result<()> {
    actix_web::rt::System::new().block_on(serve(engine, config, on_listen))
}
