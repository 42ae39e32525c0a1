//! Plain text in the encodings Latvian systems produce: UTF-8 (with or without BOM), UTF-16 with
//! a BOM, Windows-1257 and ISO-8859-13. The two 8-bit Baltic encodings agree on the Latvian
//! letters; they differ in 0x80–0x9F, where Windows-1257 has punctuation („ ” – €) and
//! ISO-8859-13 only control codes, so bytes there mean Windows-1257.

use encoding_rs::{Encoding, ISO_8859_13, UTF_8, UTF_16BE, UTF_16LE, WINDOWS_1257};

use crate::types::{Failure, FailureKind};

/// Decodes `bytes`, returning the text and the encoding's name.
pub fn decode(bytes: &[u8]) -> Result<(String, &'static str), Failure> {
    let (encoding, body): (&'static Encoding, &[u8]) =
        if let Some(rest) = bytes.strip_prefix(b"\xEF\xBB\xBF") {
            (UTF_8, rest)
        } else if let Some(rest) = bytes.strip_prefix(b"\xFF\xFE") {
            (UTF_16LE, rest)
        } else if let Some(rest) = bytes.strip_prefix(b"\xFE\xFF") {
            (UTF_16BE, rest)
        } else if std::str::from_utf8(bytes).is_ok() {
            (UTF_8, bytes)
        } else if bytes.contains(&0) {
            return Err(Failure::new(
                FailureKind::Unsupported,
                "binary data or UTF-16 without a byte-order mark",
            ));
        } else if bytes.iter().any(|b| (0x80..=0x9F).contains(b)) {
            (WINDOWS_1257, bytes)
        } else {
            (ISO_8859_13, bytes)
        };
    let (text, had_errors) = encoding.decode_without_bom_handling(body);
    if had_errors {
        return Err(Failure::new(
            FailureKind::Corrupt,
            format!("invalid {} text", encoding.name()),
        ));
    }
    Ok((text.into_owned(), encoding.name()))
}

/// Pages of a plain-text file: form feeds separate pages, as printers and old systems wrote them.
pub fn pages(text: &str) -> Vec<String> {
    text.split('\u{0C}').map(str::to_string).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    const SAMPLE: &str =
        "Izraksts no slimības vēstures: ģimenes ārsts, ķirurģija, ļoti, ņemot, šūna, žults";

    #[test]
    fn detects_every_supported_encoding() {
        let quoted = format!("{SAMPLE} „citāts”");
        let (w1257, _, _) = WINDOWS_1257.encode(&quoted);
        let (iso, _, _) = ISO_8859_13.encode(SAMPLE);
        let utf16le: Vec<u8> = [0xFF, 0xFE]
            .into_iter()
            .chain(SAMPLE.encode_utf16().flat_map(u16::to_le_bytes))
            .collect();
        let utf16be: Vec<u8> = [0xFE, 0xFF]
            .into_iter()
            .chain(SAMPLE.encode_utf16().flat_map(u16::to_be_bytes))
            .collect();
        let bom8: Vec<u8> = b"\xEF\xBB\xBF"
            .iter()
            .copied()
            .chain(SAMPLE.bytes())
            .collect();
        let cases: [(&[u8], &str, &str); 5] = [
            (&w1257, "windows-1257", "„citāts”"),
            (&iso, "ISO-8859-13", ""),
            (&utf16le, "UTF-16LE", ""),
            (&utf16be, "UTF-16BE", ""),
            (&bom8, "UTF-8", ""),
        ];
        for (bytes, name, extra) in cases {
            let (text, encoding) = decode(bytes).unwrap();
            assert_eq!(encoding, name);
            assert!(text.starts_with(SAMPLE), "{name}: {text}");
            assert!(text.contains(extra));
        }
    }

    #[test]
    fn refuses_binary() {
        assert_eq!(
            decode(b"ab\0\x9c\xff").unwrap_err().kind,
            FailureKind::Unsupported
        );
    }
}
