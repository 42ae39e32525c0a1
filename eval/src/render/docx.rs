//! Minimal valid WordprocessingML (DOCX) written with the `zip` crate:
//! deterministic (fixed timestamps, fixed member order).

use std::io::{Cursor, Write};

use zip::CompressionMethod;
use zip::write::{SimpleFileOptions, ZipWriter};

use super::layout::{Line, Style};

const CONTENT_TYPES: &str = r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName="/word/document.xml" ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/></Types>"#;

const RELS: &str = r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="word/document.xml"/></Relationships>"#;

fn escape(s: &str) -> String {
    let mut o = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => o.push_str("&amp;"),
            '<' => o.push_str("&lt;"),
            '>' => o.push_str("&gt;"),
            '"' => o.push_str("&quot;"),
            _ => o.push(c),
        }
    }
    o
}

/// The document XML for the paragraphs (one `w:p` per logical line).
pub fn document_xml(lines: &[Line]) -> String {
    let mut x = String::from(
        r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"><w:body>"#,
    );
    for l in lines {
        let (ppr, rpr) = match l.style {
            Style::Title => (
                "<w:pPr><w:jc w:val=\"center\"/></w:pPr>",
                "<w:rPr><w:b/><w:sz w:val=\"28\"/></w:rPr>",
            ),
            Style::Heading => ("", "<w:rPr><w:b/></w:rPr>"),
            Style::Header => ("", "<w:rPr><w:sz w:val=\"18\"/></w:rPr>"),
            _ => ("", ""),
        };
        x.push_str("<w:p>");
        x.push_str(ppr);
        if !l.text.is_empty() {
            x.push_str("<w:r>");
            x.push_str(rpr);
            x.push_str("<w:t xml:space=\"preserve\">");
            x.push_str(&escape(&l.text));
            x.push_str("</w:t></w:r>");
        }
        x.push_str("</w:p>");
    }
    x.push_str("<w:sectPr><w:pgSz w:w=\"11906\" w:h=\"16838\"/><w:pgMar w:top=\"1134\" w:right=\"850\" w:bottom=\"1134\" w:left=\"1701\" w:header=\"708\" w:footer=\"708\" w:gutter=\"0\"/></w:sectPr></w:body></w:document>");
    x
}

/// The DOCX bytes and the source text (paragraphs joined by newlines).
pub fn render(lines: &[Line]) -> std::io::Result<(Vec<u8>, String)> {
    let mut zip = ZipWriter::new(Cursor::new(Vec::new()));
    let opts = SimpleFileOptions::default()
        .compression_method(CompressionMethod::Deflated)
        .last_modified_time(zip::DateTime::default());
    let parts: [(&str, String); 3] = [
        ("[Content_Types].xml", CONTENT_TYPES.to_owned()),
        ("_rels/.rels", RELS.to_owned()),
        ("word/document.xml", document_xml(lines)),
    ];
    for (name, body) in parts {
        zip.start_file(name, opts).map_err(std::io::Error::other)?;
        zip.write_all(body.as_bytes())?;
    }
    let bytes = zip.finish().map_err(std::io::Error::other)?.into_inner();
    let text: Vec<&str> = lines.iter().map(|l| l.text.as_str()).collect();
    Ok((bytes, text.join("\n") + "\n"))
}
