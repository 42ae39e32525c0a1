//! What a supplied document is (its role in the case) and what format it is in.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::UnknownValue;
use crate::macros::string_enum;

string_enum! {
    /// The role a document plays in the case.
    pub enum DocumentKind ("document_kind") {
        /// nosūtījums, form 088/u, from the GP or treating doctor.
        Referral088u = "referral_088u",
        /// izraksts no slimības vēstures.
        DischargeSummary = "discharge_summary",
        SpecialistOpinion = "specialist_opinion",
        /// funkcionālo spēju pašnovērtējuma anketa (adults, 19 questions).
        SelfAssessment = "self_assessment",
        /// Self-care/mobility/home-life score by a social worker or occupational therapist.
        FunctioningAssessment = "functioning_assessment",
        LabResult = "lab_result",
        Imaging = "imaging",
        /// individuālais rehabilitācijas plāns (predicted disability).
        RehabilitationPlan = "rehabilitation_plan",
        /// darbnespējas lapa B (predicted disability).
        SickLeaveB = "sick_leave_b",
        SocialCareAssessment = "social_care_assessment",
        Other = "other",
    }
}

/// The file formats the service accepts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum MediaType {
    Pdf,
    Docx,
    PlainText,
    Png,
    Jpeg,
}

/// How much of a file `sniff` looks at to decide whether it is text.
const TEXT_SNIFF_LEN: usize = 8 * 1024;

impl MediaType {
    pub const ALL: &'static [MediaType] = &[
        MediaType::Pdf,
        MediaType::Docx,
        MediaType::PlainText,
        MediaType::Png,
        MediaType::Jpeg,
    ];
    /// The MIME types, in the order of [`MediaType::ALL`].
    pub const NAMES: &'static [&'static str] = &[
        "application/pdf",
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        "text/plain",
        "image/png",
        "image/jpeg",
    ];

    /// The MIME type (without parameters).
    pub fn as_str(self) -> &'static str {
        match self {
            MediaType::Pdf => "application/pdf",
            MediaType::Docx => {
                "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
            }
            MediaType::PlainText => "text/plain",
            MediaType::Png => "image/png",
            MediaType::Jpeg => "image/jpeg",
        }
    }

    /// Guess from the file name's extension (case-insensitive).
    pub fn from_file_name(name: &str) -> Option<MediaType> {
        let (_, ext) = name.rsplit_once('.')?;
        match ext.to_ascii_lowercase().as_str() {
            "pdf" => Some(MediaType::Pdf),
            "docx" => Some(MediaType::Docx),
            "txt" => Some(MediaType::PlainText),
            "png" => Some(MediaType::Png),
            "jpg" | "jpeg" => Some(MediaType::Jpeg),
            _ => None,
        }
    }

    /// Recognise the format from the first bytes.
    ///
    /// Conservative: a ZIP header is taken as DOCX (the only ZIP format
    /// accepted; opening it proves it), and text must be UTF-8 without NUL
    /// bytes in the first 8 KiB, so legacy-encoded text is not recognised.
    pub fn sniff(bytes: &[u8]) -> Option<MediaType> {
        const PNG: &[u8] = b"\x89PNG\r\n\x1a\n";
        if bytes.starts_with(b"%PDF-") {
            Some(MediaType::Pdf)
        } else if bytes.starts_with(b"PK\x03\x04") {
            Some(MediaType::Docx)
        } else if bytes.starts_with(PNG) {
            Some(MediaType::Png)
        } else if bytes.starts_with(b"\xFF\xD8\xFF") {
            Some(MediaType::Jpeg)
        } else if looks_like_text(bytes) {
            Some(MediaType::PlainText)
        } else {
            None
        }
    }
}

/// Text in any encoding the clerks meet: UTF-16 with a BOM, or 8-bit text (UTF-8, Windows-1257,
/// ISO-8859-13) with no NUL bytes and almost no control characters. Which encoding it is, is
/// decided at ingestion; here we only tell text from binary.
fn looks_like_text(bytes: &[u8]) -> bool {
    if bytes.starts_with(b"\xFF\xFE") || bytes.starts_with(b"\xFE\xFF") {
        return bytes.len() > 2;
    }
    let head = &bytes[..bytes.len().min(TEXT_SNIFF_LEN)];
    if head.is_empty() || head.contains(&0) {
        return false;
    }
    let controls = head
        .iter()
        .filter(|&&b| b < 0x20 && !matches!(b, b'\t' | b'\n' | b'\r' | 0x0C))
        .count();
    controls * 100 <= head.len()
}

impl FromStr for MediaType {
    type Err = UnknownValue;

    /// Accepts parameters ("text/plain; charset=utf-8") and any letter case.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let essence = s.split(';').next().unwrap_or_default().trim();
        MediaType::ALL
            .iter()
            .copied()
            .find(|m| m.as_str().eq_ignore_ascii_case(essence))
            .ok_or_else(|| UnknownValue::new("media_type", s, Self::NAMES))
    }
}

impl fmt::Display for MediaType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Serialize for MediaType {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for MediaType {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        String::deserialize(d)?
            .parse()
            .map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn document_kind_names() {
        for k in DocumentKind::ALL {
            assert_eq!(k.as_str().parse::<DocumentKind>(), Ok(*k));
        }
        assert_eq!(DocumentKind::Referral088u.as_str(), "referral_088u");
        assert!("referral".parse::<DocumentKind>().is_err());
    }

    #[test]
    fn media_type_parse_and_serde() {
        for m in MediaType::ALL {
            assert_eq!(m.as_str().parse::<MediaType>(), Ok(*m));
            let json = serde_json::to_string(m).unwrap();
            assert_eq!(serde_json::from_str::<MediaType>(&json).unwrap(), *m);
        }
        assert_eq!(
            "Text/Plain; charset=utf-8".parse::<MediaType>(),
            Ok(MediaType::PlainText)
        );
        assert_eq!(" IMAGE/JPEG ".parse::<MediaType>(), Ok(MediaType::Jpeg));
        let e = "application/zip".parse::<MediaType>().unwrap_err();
        assert_eq!(e.field, "media_type");
        assert!(
            e.to_string()
                .starts_with("unknown media type \"application/zip\"")
        );
        assert!(serde_json::from_str::<MediaType>("\"image/gif\"").is_err());
    }

    #[test]
    fn from_file_name() {
        assert_eq!(MediaType::from_file_name("a.PDF"), Some(MediaType::Pdf));
        assert_eq!(MediaType::from_file_name("x.y.docx"), Some(MediaType::Docx));
        assert_eq!(MediaType::from_file_name("scan.jpg"), Some(MediaType::Jpeg));
        assert_eq!(
            MediaType::from_file_name("n.txt"),
            Some(MediaType::PlainText)
        );
        assert_eq!(MediaType::from_file_name("p.png"), Some(MediaType::Png));
        assert_eq!(MediaType::from_file_name("doc"), None);
        assert_eq!(MediaType::from_file_name("a.doc"), None);
    }

    #[test]
    fn sniff() {
        assert_eq!(MediaType::sniff(b"%PDF-1.7\n"), Some(MediaType::Pdf));
        assert_eq!(MediaType::sniff(b"PK\x03\x04rest"), Some(MediaType::Docx));
        assert_eq!(
            MediaType::sniff(b"\x89PNG\r\n\x1a\n\0\0"),
            Some(MediaType::Png)
        );
        assert_eq!(MediaType::sniff(b"\xFF\xD8\xFF\xE0"), Some(MediaType::Jpeg));
        assert_eq!(
            MediaType::sniff("Izraksts no slimības vēstures".as_bytes()),
            Some(MediaType::PlainText)
        );
        assert_eq!(MediaType::sniff(b""), None);
        assert_eq!(MediaType::sniff(b"ab\0cd"), None);
        // Legacy 8-bit Latvian text (Windows-1257: "slimības" with 0xE2 for ā) and UTF-16.
        assert_eq!(
            MediaType::sniff(b"slim\xEEb\xE2s v\xEBstures"),
            Some(MediaType::PlainText)
        );
        assert_eq!(
            MediaType::sniff(b"\xFF\xFEI\0z\0"),
            Some(MediaType::PlainText)
        );
        // Binary junk: control characters throughout.
        assert_eq!(MediaType::sniff(b"\x01\x02\x03\x04garbage\x05\x06"), None);
    }
}
