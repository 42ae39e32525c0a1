//! DOCX: the text of `word/document.xml`, paragraph by paragraph, split into pages at explicit
//! page breaks and at the page breaks Word recorded when it last laid the document out.

use std::io::{Cursor, Read};

use quick_xml::Reader;
use quick_xml::events::Event;

use crate::types::{Failure, FailureKind};

/// Larger uncompressed XML than this is a zip bomb or not a letter from a doctor.
const MAX_XML_BYTES: u64 = 64 * 1024 * 1024;

pub fn extract_pages(bytes: &[u8]) -> Result<Vec<String>, Failure> {
    if bytes.starts_with(b"\xD0\xCF\x11\xE0") {
        // An OLE container: either a password-protected DOCX or an old binary .doc.
        let encrypted = bytes
            .windows(16)
            .any(|w| w == "EncryptedPackage".as_bytes())
            || bytes
                .windows(32)
                .any(|w| w == "E\0n\0c\0r\0y\0p\0t\0e\0d\0P\0a\0c\0k\0a\0g\0e\0".as_bytes());
        return Err(if encrypted {
            Failure::new(FailureKind::Encrypted, "password-protected Word document")
        } else {
            Failure::new(FailureKind::Unsupported, "old binary Word (.doc) format")
        });
    }
    let mut archive = zip::ZipArchive::new(Cursor::new(bytes)).map_err(|e| {
        Failure::new(
            FailureKind::Corrupt,
            format!("not a readable DOCX archive: {e}"),
        )
    })?;
    let mut entry = archive
        .by_name("word/document.xml")
        .map_err(|_| Failure::new(FailureKind::Corrupt, "the archive has no word/document.xml"))?;
    if entry.size() > MAX_XML_BYTES {
        return Err(Failure::new(
            FailureKind::TooLarge,
            "the document text is larger than 64 MB",
        ));
    }
    let mut xml = Vec::new();
    (&mut entry)
        .take(MAX_XML_BYTES + 1)
        .read_to_end(&mut xml)
        .map_err(|e| {
            Failure::new(
                FailureKind::Corrupt,
                format!("cannot decompress the document: {e}"),
            )
        })?;
    if xml.len() as u64 > MAX_XML_BYTES {
        return Err(Failure::new(
            FailureKind::TooLarge,
            "the document text is larger than 64 MB",
        ));
    }
    pages_from_xml(&xml)
}

fn pages_from_xml(xml: &[u8]) -> Result<Vec<String>, Failure> {
    let mut reader = Reader::from_reader(xml);
    let mut pages = vec![String::new()];
    let mut in_text = false;
    let mut buf = Vec::new();
    loop {
        let event = reader.read_event_into(&mut buf).map_err(|e| {
            Failure::new(FailureKind::Corrupt, format!("malformed document XML: {e}"))
        })?;
        let page = pages.last_mut().expect("at least one page");
        match event {
            Event::Start(e) if e.local_name().as_ref() == b"t" => in_text = true,
            Event::End(e) if e.local_name().as_ref() == b"t" => in_text = false,
            Event::End(e) if e.local_name().as_ref() == b"p" => page.push('\n'),
            Event::Empty(e) => match e.local_name().as_ref() {
                b"tab" => page.push('\t'),
                b"br" | b"cr" => {
                    let is_page = e.attributes().flatten().any(|a| {
                        a.key.local_name().as_ref() == b"type" && a.value.as_ref() == b"page"
                    });
                    if is_page {
                        pages.push(String::new())
                    } else {
                        page.push('\n')
                    }
                }
                b"lastRenderedPageBreak" if !page.trim().is_empty() => pages.push(String::new()),
                _ => {}
            },
            Event::Text(t) if in_text => {
                let text = t.unescape().map_err(|e| {
                    Failure::new(
                        FailureKind::Corrupt,
                        format!("malformed text in the document: {e}"),
                    )
                })?;
                page.push_str(&text);
            }
            Event::Eof => break,
            _ => {}
        }
        buf.clear();
    }
    if pages.len() > 1 && pages.last().is_some_and(|p| p.trim().is_empty()) {
        pages.pop();
    }
    Ok(pages)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    pub(crate) fn docx(body: &str) -> Vec<u8> {
        let mut out = Cursor::new(Vec::new());
        let mut zip = zip::ZipWriter::new(&mut out);
        let options = zip::write::SimpleFileOptions::default();
        zip.start_file("[Content_Types].xml", options).unwrap();
        zip.write_all(b"<?xml version=\"1.0\"?><Types/>").unwrap();
        zip.start_file("word/document.xml", options).unwrap();
        let xml = format!(
            r#"<?xml version="1.0" encoding="UTF-8"?><w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"><w:body>{body}</w:body></w:document>"#
        );
        zip.write_all(xml.as_bytes()).unwrap();
        zip.finish().unwrap();
        out.into_inner()
    }

    #[test]
    fn paragraphs_tabs_and_page_breaks() {
        let body = r#"<w:p><w:r><w:t>Diagnoze:</w:t><w:tab/><w:t xml:space="preserve">G35 </w:t><w:t>Multiplā skleroze</w:t></w:r></w:p>
            <w:p><w:r><w:t>A &amp; B</w:t><w:br w:type="page"/><w:t>Otrā lapa</w:t></w:r></w:p>"#;
        let pages = extract_pages(&docx(body)).unwrap();
        assert_eq!(
            pages,
            vec![
                "Diagnoze:\tG35 Multiplā skleroze\nA & B".to_string(),
                "Otrā lapa\n".to_string()
            ]
        );
    }

    #[test]
    fn broken_and_foreign_files() {
        assert_eq!(
            extract_pages(b"PK\x03\x04junk").unwrap_err().kind,
            FailureKind::Corrupt
        );
        let mut ole = b"\xD0\xCF\x11\xE0\xA1\xB1\x1A\xE1".to_vec();
        ole.extend_from_slice(b"....EncryptedPackage....");
        assert_eq!(
            extract_pages(&ole).unwrap_err().kind,
            FailureKind::Encrypted
        );
        assert_eq!(
            extract_pages(b"\xD0\xCF\x11\xE0 old doc").unwrap_err().kind,
            FailureKind::Unsupported
        );
    }
}
