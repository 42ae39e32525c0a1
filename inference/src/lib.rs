//! Local inference for Atzinums: model set-up from pinned packages, multilingual embeddings with
//! candle, and (next) GGUF generation and small trained heads. Case files are special-category
//! personal data: every model runs in-process, nothing is sent anywhere, and no input text is
//! logged or echoed in errors.

pub mod bench;
pub mod catalogue;
pub mod device;
pub mod embed;
pub mod error;
pub mod generate;
pub mod heads;
pub mod manifest;
pub mod setup;
mod vnni;

pub use error::{InferenceError, ModelError};

/// `$ATZINUMS_DATA_DIR`, else `$HOME/.cache/atzinums/data`: where tests and examples look for
/// `models/` and `catalogues/` (the binary passes its configured data directory instead).
pub fn default_data_dir() -> std::path::PathBuf {
    if let Some(dir) = std::env::var_os("ATZINUMS_DATA_DIR") {
        return dir.into();
    }
    let home = std::env::var_os("HOME")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|| ".".into());
    home.join(".cache/atzinums/data")
}
