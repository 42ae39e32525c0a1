//! Extraction of one document, in this process. Call it only from the sandbox child
//! ([`crate::sandbox`]) for untrusted bytes: parsers can panic, hang or balloon.

use atzinums_models::MediaType;
use serde::{Deserialize, Serialize};

use crate::normalize::normalize;
use crate::ocr;
use crate::types::{ExtractedDocument, Failure, FailureKind, Page, PageSource};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ExtractOptions {
    /// Longer PDFs are refused as `TooLarge`.
    pub max_pages: u32,
    /// Run OCR on pages without a text layer.
    pub ocr: bool,
    /// Tesseract languages, e.g. "lav+eng".
    pub ocr_languages: String,
}

impl Default for ExtractOptions {
    fn default() -> Self {
        ExtractOptions {
            max_pages: 1000,
            ocr: true,
            ocr_languages: "lav+eng".into(),
        }
    }
}

/// Extracts pages of normalised text. The kind of file is decided by its content, never by its
/// name or declared type (a PNG named `.pdf` is read as a scan).
pub fn extract_in_process(
    bytes: &[u8],
    options: &ExtractOptions,
) -> Result<ExtractedDocument, Failure> {
    if bytes.is_empty() {
        return Err(Failure::new(FailureKind::Corrupt, "the file is empty"));
    }
    match MediaType::sniff(bytes) {
        Some(MediaType::Pdf) => pdf(bytes, options),
        Some(MediaType::Docx) => Ok(text_pages(crate::docx::extract_pages(bytes)?, None)),
        Some(MediaType::PlainText) => {
            let (text, encoding) = crate::text::decode(bytes)?;
            Ok(text_pages(
                crate::text::pages(&text),
                Some(encoding.to_string()),
            ))
        }
        Some(format @ (MediaType::Png | MediaType::Jpeg)) => {
            let ext = if format == MediaType::Png {
                "png"
            } else {
                "jpg"
            };
            let page = ocr_page(1, &[(ext, bytes)], options)?;
            no_text_unless_read(vec![page])
        }
        None => Err(Failure::new(
            FailureKind::Unsupported,
            "not a PDF, DOCX, text, PNG or JPEG file",
        )),
    }
}

fn text_pages(raw_pages: Vec<String>, encoding: Option<String>) -> ExtractedDocument {
    let pages = raw_pages
        .iter()
        .zip(1..)
        .map(|(raw, number)| {
            let n = normalize(raw);
            Page {
                number,
                text: n.text,
                source: PageSource::TextLayer,
                needs_human: false,
                original_offsets: n.offsets,
            }
        })
        .collect();
    ExtractedDocument { pages, encoding }
}

fn pdf(bytes: &[u8], options: &ExtractOptions) -> Result<ExtractedDocument, Failure> {
    let raw = crate::pdf::extract_pages(bytes, options.max_pages)?;
    let mut pages = Vec::with_capacity(raw.len());
    for page in raw {
        let text = page.text.as_deref().unwrap_or("");
        let visible = text.chars().filter(|c| !c.is_whitespace()).count();
        if visible >= crate::pdf::MIN_TEXT_CHARS || (page.images.is_empty() && page.text.is_some())
        {
            let n = normalize(text);
            pages.push(Page {
                number: page.number,
                text: n.text,
                source: PageSource::TextLayer,
                needs_human: false,
                original_offsets: n.offsets,
            });
        } else if page.images.is_empty() {
            // The page's content could not be interpreted at all.
            pages.push(Page {
                number: page.number,
                text: String::new(),
                source: PageSource::TextLayer,
                needs_human: true,
                original_offsets: Vec::new(),
            });
        } else {
            let images: Vec<_> = page
                .images
                .iter()
                .map(|i| (i.format, i.bytes.as_slice()))
                .collect();
            pages.push(ocr_page(page.number, &images, options)?);
        }
    }
    no_text_unless_read(pages)
}

/// A document in which no page yielded any text is a failure, not an empty success.
fn no_text_unless_read(pages: Vec<Page>) -> Result<ExtractedDocument, Failure> {
    if pages.iter().all(|p| p.text.trim().is_empty()) {
        return Err(Failure::new(
            FailureKind::NoTextLayer,
            "no page has readable text",
        ));
    }
    Ok(ExtractedDocument {
        pages,
        encoding: None,
    })
}

fn ocr_page(
    number: u32,
    images: &[(&str, &[u8])],
    options: &ExtractOptions,
) -> Result<Page, Failure> {
    let unread = |_| Page {
        number,
        text: String::new(),
        source: PageSource::Ocr { confidence: 0.0 },
        needs_human: true,
        original_offsets: Vec::new(),
    };
    if !options.ocr {
        return Ok(unread(()));
    }
    let mut texts = Vec::new();
    let mut confidences = Vec::new();
    for (format, bytes) in images {
        match ocr::recognise(bytes, format, &options.ocr_languages) {
            Ok(r) if !r.text.trim().is_empty() => {
                texts.push(r.text);
                confidences.push(r.confidence);
            }
            Ok(_) => {}
            // OCR missing or failing is a deployment problem: flag the page, do not fail the file.
            Err(_) => return Ok(unread(())),
        }
    }
    let confidence = if confidences.is_empty() {
        0.0
    } else {
        confidences.iter().sum::<f32>() / confidences.len() as f32
    };
    let n = normalize(&texts.join("\n\n"));
    Ok(Page {
        number,
        needs_human: n.text.trim().is_empty() || confidence < ocr::MIN_CONFIDENCE,
        text: n.text,
        source: PageSource::Ocr { confidence },
        original_offsets: n.offsets,
    })
}
