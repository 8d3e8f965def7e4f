//! One module per subcommand: its clap `Args` and a `run` function.

pub mod args;
pub mod bench;
pub mod doctor;
pub mod encoder;
#[cfg(feature = "torch")]
pub mod eval;
pub mod eval_queries;
pub mod eval_search;
pub mod index;
pub mod info;
pub mod map;
pub mod mel;
pub mod models;
pub mod search;
pub mod serve;
pub mod similar;
pub mod synth_dataset;
pub mod tag;
#[cfg(feature = "torch")]
pub mod train;
pub mod vectors;
