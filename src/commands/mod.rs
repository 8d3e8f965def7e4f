//! One module per subcommand: its clap `Args` and a `run` function.

pub mod bench;
pub mod doctor;
pub mod mel;
pub mod models;
pub mod tag;
