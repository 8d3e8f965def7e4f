//! One module per subcommand: its clap `Args` and a `run` function.

pub mod bench;
pub mod doctor;
pub mod eval_queries;
pub mod index;
pub mod info;
pub mod mel;
pub mod models;
pub mod tag;
pub mod vectors;
