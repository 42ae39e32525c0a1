//! PDF: the text layer per page with `pdf-extract`, and the images of pages that have none, so
//! they can be OCRed. Only ever called inside the sandbox: PDF parsers meet hostile input.

use pdf_extract::{Document, PlainTextOutput, output_doc_page};

use crate::types::{Failure, FailureKind};

/// A page as found in the file.
#[derive(Debug, Clone, PartialEq)]
pub struct PdfPage {
    pub number: u32,
    /// The text layer; `None` when the page's content could not be interpreted.
    pub text: Option<String>,
    /// Scanned images on the page, ready for OCR (JPEG as is, raw pixels as PNM).
    pub images: Vec<PageImage>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct PageImage {
    /// File extension Tesseract understands: "jpg" or "pnm".
    pub format: &'static str,
    pub bytes: Vec<u8>,
}

/// A page with fewer visible characters than this has no usable text layer.
pub const MIN_TEXT_CHARS: usize = 16;

pub fn extract_pages(bytes: &[u8], max_pages: u32) -> Result<Vec<PdfPage>, Failure> {
    if !bytes.starts_with(b"%PDF-")
        && !bytes[..bytes.len().min(1024)]
            .windows(5)
            .any(|w| w == b"%PDF-")
    {
        return Err(Failure::new(
            FailureKind::Unsupported,
            "not a PDF file (no %PDF- header)",
        ));
    }
    let mut doc = Document::load_mem(bytes)
        .map_err(|e| Failure::new(FailureKind::Corrupt, format!("cannot parse the PDF: {e}")))?;
    if doc.is_encrypted() {
        // Owner-password-only PDFs (printing or copying restricted) open with an empty user
        // password; only a real user password stops us.
        doc.decrypt("").map_err(|_| {
            Failure::new(FailureKind::Encrypted, "the PDF needs a password to open")
        })?;
    }
    let pages = doc.get_pages();
    if pages.is_empty() {
        return Err(Failure::new(FailureKind::Corrupt, "the PDF has no pages"));
    }
    if pages.len() as u64 > u64::from(max_pages) {
        return Err(Failure::new(
            FailureKind::TooLarge,
            format!("{} pages; at most {max_pages} are read", pages.len()),
        ));
    }
    let mut out = Vec::with_capacity(pages.len());
    for (&number, &page_id) in &pages {
        let mut text = String::new();
        let ok = {
            let mut output = PlainTextOutput::new(&mut text);
            output_doc_page(&doc, &mut output, number).is_ok()
        };
        let text = ok.then_some(text);
        let has_text = text
            .as_deref()
            .is_some_and(|t| t.chars().filter(|c| !c.is_whitespace()).count() >= MIN_TEXT_CHARS);
        let images = if has_text {
            Vec::new()
        } else {
            page_images(&doc, page_id)
        };
        out.push(PdfPage {
            number,
            text,
            images,
        });
    }
    Ok(out)
}

fn page_images(doc: &Document, page_id: pdf_extract::ObjectId) -> Vec<PageImage> {
    let Ok(images) = doc.get_page_images(page_id) else {
        return Vec::new();
    };
    images
        .into_iter()
        .filter_map(|image| {
            let filters = image.filters.clone().unwrap_or_default();
            if filters.iter().any(|f| f == "DCTDecode") {
                return Some(PageImage {
                    format: "jpg",
                    bytes: image.content.to_vec(),
                });
            }
            // Raw 8-bit gray or RGB pixels (possibly Flate-compressed) become a PNM file.
            let components = match image.color_space.as_deref() {
                Some("DeviceGray") => 1,
                Some("DeviceRGB") => 3,
                _ => return None,
            };
            if image.bits_per_component != Some(8) || image.width <= 0 || image.height <= 0 {
                return None;
            }
            let pixels = if filters.is_empty() {
                image.content.to_vec()
            } else if filters.iter().all(|f| f == "FlateDecode") {
                let stream = doc.get_object(image.id).ok()?.as_stream().ok()?;
                stream.decompressed_content().ok()?
            } else {
                return None;
            };
            let expected = (image.width * image.height) as usize * components;
            if pixels.len() < expected {
                return None;
            }
            let magic = if components == 1 { "P5" } else { "P6" };
            let mut bytes =
                format!("{magic}\n{} {}\n255\n", image.width, image.height).into_bytes();
            bytes.extend_from_slice(&pixels[..expected]);
            Some(PageImage {
                format: "pnm",
                bytes,
            })
        })
        .collect()
}
