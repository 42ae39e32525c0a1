//! Reading and writing the `atzinums-dataset/1` format (DATA-FORMAT.md).
//!
//! The reader never aborts an import for one bad case: each case that fails
//! validation becomes a [`CaseError`] naming the case (or its folder) and the
//! field, and the rest is loaded. Only a missing or malformed `manifest.json`
//! or an unreadable `cases/` folder fails the whole read.

mod reader;
mod writer;

pub use reader::{CaseError, DatasetCounts, LoadedCase, LoadedDataset, read_dataset};
pub use writer::{DatasetWriter, write_case, write_json};

use std::path::PathBuf;

use thiserror::Error;

/// The whole dataset could not be read or written (not one case: those are
/// [`CaseError`]s).
#[derive(Debug, Error)]
pub enum DatasetError {
    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("{path}: not valid JSON: {message}")]
    Json { path: PathBuf, message: String },
    #[error("manifest.json: {0}")]
    Manifest(atzinums_models::DatasetFieldError),
    #[error("{0}: the output folder already holds a dataset; choose an empty or new folder")]
    NotEmpty(PathBuf),
    /// A trained model failed on the dataset's text (scoring with a learned reader).
    #[error("model: {0}")]
    Model(String),
}

impl DatasetError {
    pub(crate) fn io(path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        DatasetError::Io {
            path: path.into(),
            source,
        }
    }
}

/// Name of the ground-truth sidecar the synthetic generator writes next to
/// `case.json`; readers ignore it (unknown files are allowed by the format).
pub const TRUTH_FILE: &str = "truth.json";
