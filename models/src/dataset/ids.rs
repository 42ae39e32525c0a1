//! Names that become paths on disk: a case folder and a document file.
//! Rejecting separators and ".." here is what keeps an import inside its folder.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use thiserror::Error;

const CASE_ID_MAX: usize = 64;
const FILE_NAME_MAX: usize = 255;

/// A case identifier: 1–64 of `[A-Za-z0-9_-]`. It names the case folder.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct CaseId(String);

#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum CaseIdError {
    #[error("case id: empty")]
    Empty,
    #[error("case id: {0} characters is too long (at most 64)")]
    TooLong(usize),
    #[error("case id: only letters A–Z, digits, '-' and '_' are allowed (it names a folder)")]
    BadCharacter,
}

impl CaseId {
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl FromStr for CaseId {
    type Err = CaseIdError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        if s.is_empty() {
            return Err(CaseIdError::Empty);
        }
        if !s
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
        {
            return Err(CaseIdError::BadCharacter);
        }
        if s.len() > CASE_ID_MAX {
            return Err(CaseIdError::TooLong(s.len()));
        }
        Ok(CaseId(s.to_owned()))
    }
}

impl TryFrom<String> for CaseId {
    type Error = CaseIdError;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        s.parse()
    }
}

impl fmt::Display for CaseId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A plain document file name: no path separators, no "..", no control
/// characters, at most 255 bytes.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct FileName(String);

#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum FileNameError {
    #[error("file name: empty")]
    Empty,
    #[error("file name: {0} bytes is too long (at most 255)")]
    TooLong(usize),
    #[error("file name: must be a plain name without '/' or '\\'")]
    Separator,
    #[error("file name: must not contain \"..\"")]
    DotDot,
    #[error("file name: must not contain control characters or surrounding spaces")]
    BadCharacter,
}

impl FileName {
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl FromStr for FileName {
    type Err = FileNameError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        if s.is_empty() {
            return Err(FileNameError::Empty);
        }
        if s.len() > FILE_NAME_MAX {
            return Err(FileNameError::TooLong(s.len()));
        }
        if s.contains(['/', '\\']) {
            return Err(FileNameError::Separator);
        }
        // Stricter than needed (only a whole ".." component escapes), but
        // simple to state and to check.
        if s.contains("..") || s == "." {
            return Err(FileNameError::DotDot);
        }
        if s.chars().any(char::is_control) || s.trim() != s {
            return Err(FileNameError::BadCharacter);
        }
        Ok(FileName(s.to_owned()))
    }
}

impl TryFrom<String> for FileName {
    type Error = FileNameError;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        s.parse()
    }
}

impl fmt::Display for FileName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

macro_rules! string_serde {
    ($t:ty) => {
        impl Serialize for $t {
            fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_str(&self.0)
            }
        }

        impl<'de> Deserialize<'de> for $t {
            fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                String::deserialize(d)?
                    .parse()
                    .map_err(serde::de::Error::custom)
            }
        }
    };
}
string_serde!(CaseId);
string_serde!(FileName);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn case_ids() {
        assert_eq!(
            "C-2019-000123".parse::<CaseId>().unwrap().as_str(),
            "C-2019-000123"
        );
        assert!("a_b-9".parse::<CaseId>().is_ok());
        assert!("x".repeat(64).parse::<CaseId>().is_ok());
        assert_eq!("".parse::<CaseId>(), Err(CaseIdError::Empty));
        assert_eq!(
            "x".repeat(65).parse::<CaseId>(),
            Err(CaseIdError::TooLong(65))
        );
        for bad in ["..", "a/b", "a b", "C.1", "ā", "a\\b", " C1"] {
            assert_eq!(
                bad.parse::<CaseId>(),
                Err(CaseIdError::BadCharacter),
                "{bad}"
            );
        }
        let id: CaseId = serde_json::from_str("\"C-1\"").unwrap();
        assert_eq!(serde_json::to_string(&id).unwrap(), "\"C-1\"");
        assert!(serde_json::from_str::<CaseId>("\"../x\"").is_err());
    }

    #[test]
    fn file_names() {
        for ok in ["01-referral-088u.pdf", "izraksts 2019.docx", "a", ".hidden"] {
            assert!(ok.parse::<FileName>().is_ok(), "{ok}");
        }
        assert_eq!("".parse::<FileName>(), Err(FileNameError::Empty));
        assert_eq!("a/b.pdf".parse::<FileName>(), Err(FileNameError::Separator));
        assert_eq!(
            "a\\b.pdf".parse::<FileName>(),
            Err(FileNameError::Separator)
        );
        assert_eq!("..".parse::<FileName>(), Err(FileNameError::DotDot));
        assert_eq!(".".parse::<FileName>(), Err(FileNameError::DotDot));
        assert_eq!("a\nb".parse::<FileName>(), Err(FileNameError::BadCharacter));
        assert_eq!(
            " a.pdf".parse::<FileName>(),
            Err(FileNameError::BadCharacter)
        );
        assert!(matches!(
            "a".repeat(256).parse::<FileName>(),
            Err(FileNameError::TooLong(256))
        ));
        let f: FileName = serde_json::from_str("\"x.pdf\"").unwrap();
        assert_eq!(serde_json::to_string(&f).unwrap(), "\"x.pdf\"");
    }
}
