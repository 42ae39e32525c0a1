//! What extraction produces: pages of text with their source, or a typed failure.

use serde::{Deserialize, Serialize};

/// Where a page's text came from.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum PageSource {
    /// The document's own text (PDF text layer, DOCX, plain text).
    TextLayer,
    /// Optical character recognition; `confidence` is Tesseract's mean word confidence, 0–100.
    Ocr { confidence: f32 },
}

/// One page of normalised text.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Page {
    /// 1-based.
    pub number: u32,
    pub text: String,
    pub source: PageSource,
    /// The page could not be read reliably: a person must look at the original.
    pub needs_human: bool,
    /// For each char of `text`, the char offset in the page's raw extracted text.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub original_offsets: Vec<u32>,
}

/// A document's extracted content.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ExtractedDocument {
    pub pages: Vec<Page>,
    /// The text encoding detected for plain-text files (e.g. "windows-1257").
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub encoding: Option<String>,
}

impl ExtractedDocument {
    /// True when any page came from OCR (the document is, at least in part, a scan).
    pub fn is_scanned(&self) -> bool {
        self.pages
            .iter()
            .any(|p| matches!(p.source, PageSource::Ocr { .. }))
    }
}

/// Why a document could not be read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FailureKind {
    Encrypted,
    Corrupt,
    Unsupported,
    TooLarge,
    Timeout,
    NoTextLayer,
}

impl FailureKind {
    pub fn as_str(self) -> &'static str {
        match self {
            FailureKind::Encrypted => "encrypted",
            FailureKind::Corrupt => "corrupt",
            FailureKind::Unsupported => "unsupported",
            FailureKind::TooLarge => "too_large",
            FailureKind::Timeout => "timeout",
            FailureKind::NoTextLayer => "no_text_layer",
        }
    }

    /// What the applicant or clerk can do, in English.
    pub fn advice_en(self) -> &'static str {
        match self {
            FailureKind::Encrypted => {
                "The file is password-protected. Upload a copy without a password (print it to PDF again or ask the issuer)."
            }
            FailureKind::Corrupt => {
                "The file is damaged or incomplete. Upload it again, or ask the issuer for a new copy."
            }
            FailureKind::Unsupported => {
                "This file type cannot be read. Upload a PDF, DOCX, text file, or a PNG/JPEG scan."
            }
            FailureKind::TooLarge => {
                "The file is too large or too complex to read. Split it into smaller files or scan at a lower resolution."
            }
            FailureKind::Timeout => {
                "Reading the file took too long. Upload a simpler copy (e.g. print to PDF again) or split it."
            }
            FailureKind::NoTextLayer => {
                "The file holds only images and the text could not be recognised. Upload a clearer scan or the original document."
            }
        }
    }

    /// The same, in Latvian (the UI language).
    pub fn advice_lv(self) -> &'static str {
        match self {
            FailureKind::Encrypted => {
                "Datne ir aizsargāta ar paroli. Augšupielādējiet kopiju bez paroles (izdrukājiet to vēlreiz PDF formātā vai lūdziet izsniedzējam)."
            }
            FailureKind::Corrupt => {
                "Datne ir bojāta vai nepilnīga. Augšupielādējiet to vēlreiz vai lūdziet izsniedzējam jaunu kopiju."
            }
            FailureKind::Unsupported => {
                "Šo datnes veidu nevar nolasīt. Augšupielādējiet PDF, DOCX, teksta datni vai PNG/JPEG skenējumu."
            }
            FailureKind::TooLarge => {
                "Datne ir pārāk liela vai sarežģīta. Sadaliet to mazākās datnēs vai skenējiet ar mazāku izšķirtspēju."
            }
            FailureKind::Timeout => {
                "Datnes nolasīšana ilga pārāk ilgi. Augšupielādējiet vienkāršāku kopiju vai sadaliet to."
            }
            FailureKind::NoTextLayer => {
                "Datnē ir tikai attēli, un tekstu neizdevās atpazīt. Augšupielādējiet skaidrāku skenējumu vai oriģinālo dokumentu."
            }
        }
    }
}

/// A typed failure with a technical detail for admins (never document text or personal data).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
#[error("{}: {detail}", kind.as_str())]
pub struct Failure {
    pub kind: FailureKind,
    pub detail: String,
}

impl Failure {
    pub fn new(kind: FailureKind, detail: impl Into<String>) -> Self {
        Failure {
            kind,
            detail: detail.into(),
        }
    }
}
