//! The errors of building, loading and running a network.

use std::path::PathBuf;

use crate::checkpoint::CheckpointError;
use crate::manifest::ManifestError;

/// Errors building, loading or running a network.
#[derive(Debug, thiserror::Error)]
pub enum NetError {
    /// The checkpoint could not be read.
    #[error(transparent)]
    Checkpoint(#[from] CheckpointError),
    /// Variables the network needs are absent from the checkpoint.
    #[error("{source_name}: checkpoint does not fit {model}: missing variables {names:?}")]
    MissingVariables {
        /// The checkpoint.
        source_name: String,
        /// The network it was loaded into.
        model: String,
        /// The absent variable names.
        names: Vec<String>,
    },
    /// The checkpoint holds variables the network does not have.
    #[error("{source_name}: checkpoint does not fit {model}: unexpected variables {names:?}")]
    UnexpectedVariables {
        /// The checkpoint.
        source_name: String,
        /// The network it was loaded into.
        model: String,
        /// The variable names the network does not know.
        names: Vec<String>,
    },
    /// A variable has another shape than the network's.
    #[error("{source_name}: checkpoint does not fit {model}: variable {name:?} has shape {found:?}, expected {expected:?}")]
    ShapeMismatch {
        /// The checkpoint.
        source_name: String,
        /// The network it was loaded into.
        model: String,
        /// The variable.
        name: String,
        /// Its shape in the network (checkpoint layout).
        expected: Vec<usize>,
        /// Its shape in the checkpoint.
        found: Vec<usize>,
    },
    /// A variable is not stored as 32-bit floats.
    #[error("{source_name}: variable {name:?} has dtype {dtype}, expected float32")]
    WrongDtype {
        /// The checkpoint.
        source_name: String,
        /// The variable.
        name: String,
        /// Its dtype.
        dtype: String,
    },
    /// The input batch does not have the shape the network takes.
    #[error("bad input for {model}: {what}")]
    BadInput {
        /// The network.
        model: String,
        /// What is wrong.
        what: String,
    },
    /// An error from libtorch (loading or saving a file, a failed operation).
    #[error("libtorch: {0}")]
    Torch(#[from] tch::TchError),
    /// The model has not been imported into the model store.
    #[error("{model} is not in the model store {store} (run `musearch models import-musicnn`)")]
    NotInStore {
        /// The model.
        model: String,
        /// The store directory.
        store: PathBuf,
    },
    /// The model's manifest could not be read.
    #[error(transparent)]
    Manifest(#[from] ManifestError),
    /// The model's manifest was read but does not describe a network this crate can build.
    #[error("parsing {}: {what}", path.display())]
    InvalidManifest {
        /// The manifest file.
        path: PathBuf,
        /// What is wrong.
        what: String,
    },
}
