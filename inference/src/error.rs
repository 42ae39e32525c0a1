//! Errors of the inference crate. Messages say what to do; none echo input text.

use std::path::PathBuf;

/// A model file that cannot be used as is. Every variant names the file and the remedy.
#[derive(Debug, thiserror::Error)]
pub enum ModelError {
    #[error("model file {path} is missing: run `atzinums setup` to fetch it")]
    Missing { path: PathBuf },
    #[error(
        "model file {path} is truncated ({actual} bytes, expected {expected}): run `atzinums setup` to fetch it again"
    )]
    Truncated {
        path: PathBuf,
        expected: u64,
        actual: u64,
    },
    #[error(
        "model file {path} does not match its checksum in the manifest (tampered or corrupt): run `atzinums setup` to fetch it again"
    )]
    Tampered { path: PathBuf },
    #[error("model file {path} is malformed ({reason}): run `atzinums setup` to fetch it again")]
    Malformed { path: PathBuf, reason: String },
    #[error(
        "cannot read model file {path}: {source}; check its permissions or run `atzinums setup`"
    )]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
}

/// A failure while embedding or loading a model.
#[derive(Debug, thiserror::Error)]
pub enum InferenceError {
    #[error(transparent)]
    Model(#[from] ModelError),
    #[error("tokenizer failure: {0}")]
    Tokenizer(String),
    #[error("tensor computation failed: {0}")]
    Candle(#[from] candle_core::Error),
    #[error("cannot train or apply a head: {0}")]
    Training(String),
    #[error("inference is shutting down or overloaded: {0}")]
    Unavailable(String),
}
