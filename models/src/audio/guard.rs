//! Containment of panics inside third-party decoders.
//!
//! symphonia's demuxers and decoders are written to return errors, but a crafted file can still
//! reach an arithmetic overflow or an out-of-range index in them (our fuzzer found one in the
//! Matroska reader). [`contain`] runs such a call under `catch_unwind` and turns a panic into an
//! error message, so a hostile file costs one `AudioError::Corrupt`, never the process.
//!
//! While a contained call runs, the panic hook stays silent for that thread (the message goes to
//! the debug log instead of stderr); panics anywhere else still reach the previous hook, so our
//! own bugs remain loud, also under the fuzzer.

use std::cell::Cell;
use std::panic::{self, AssertUnwindSafe};
use std::sync::Once;

thread_local! {
    static CONTAINED: Cell<bool> = const { Cell::new(false) };
}

fn install_hook() {
    static INSTALL: Once = Once::new();
    INSTALL.call_once(|| {
        let previous = panic::take_hook();
        panic::set_hook(Box::new(move |info| {
            if CONTAINED.with(Cell::get) {
                tracing::debug!("contained panic in a decoder: {info}");
            } else {
                previous(info);
            }
        }));
    });
}

/// A panic caught by [`contain`]; it displays as the panic's message.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub(crate) struct ContainedPanic {
    /// The panic's message (`unknown panic` when it carried none).
    pub(crate) message: String,
}

/// Runs `f`, returning the panic as an error if it panics.
pub(crate) fn contain<T>(f: impl FnOnce() -> T) -> Result<T, ContainedPanic> {
    install_hook();
    let was = CONTAINED.with(|c| c.replace(true));
    let result = panic::catch_unwind(AssertUnwindSafe(f));
    CONTAINED.with(|c| c.set(was));
    result.map_err(|payload| ContainedPanic {
        message: payload
            .downcast_ref::<&str>()
            .map(|s| s.to_string())
            .or_else(|| payload.downcast_ref::<String>().cloned())
            .unwrap_or_else(|| "unknown panic".to_string()),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn panics_become_errors_and_values_pass_through() {
        assert_eq!(contain(|| 7), Ok(7));
        let err = contain(|| -> u8 { panic!("boom {}", 42) }).unwrap_err();
        assert_eq!(err.to_string(), "boom 42");
        // The flag is reset: the thread is no longer in a contained call.
        assert!(!CONTAINED.with(Cell::get));
    }
}
