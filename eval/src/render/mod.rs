//! Laying out and rendering documents: plain text, PDF (embedded subset
//! font with a ToUnicode map) and DOCX.

pub mod docx;
pub mod layout;
pub mod pdf;
pub mod text;
