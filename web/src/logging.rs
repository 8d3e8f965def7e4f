//! Log output of `musearch serve`: text or JSON lines on stderr, request lines (target
//! `musearch_web::access`) at `info`.

use crate::config::LogFormat;

/// Installs the global subscriber. `verbose` is the CLI's `-v` count; `RUST_LOG` overrides it.
/// Returns false when a subscriber was already installed (it is kept).
pub fn init(verbose: u8, format: LogFormat) -> bool {
    let default = match verbose {
        0 => "warn,musearch_web=info",
        1 => "info",
        2 => "debug",
        _ => "trace",
    };
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(default));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    match format {
        LogFormat::Text => builder.try_init().is_ok(),
        LogFormat::Json => builder
            .json()
            .flatten_event(true)
            .with_current_span(false)
            .try_init()
            .is_ok(),
    }
}
