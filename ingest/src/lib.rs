//! `atzinums-ingest` turns what applicants upload into faithful text: per-page extraction from
//! PDF (text layer), DOCX and plain text in Latvian encodings, OCR for scans, and normalisation
//! that keeps a map back to the original offsets. Untrusted bytes are parsed only inside a
//! sandboxed child process with time and memory limits ([`sandbox`]); every failure becomes a
//! typed [`Failure`] with a message a clerk can act on. It never calls the network.

pub mod case_file;
pub mod docx;
pub mod extract;
pub mod findings;
pub mod normalize;
pub mod ocr;
pub mod pdf;
pub mod redact;
pub mod sandbox;
pub mod text;
mod types;

pub use extract::{ExtractOptions, extract_in_process};
pub use sandbox::{Sandbox, SandboxLimits};
pub use types::{ExtractedDocument, Failure, FailureKind, Page, PageSource};
