//! ICD-10 (SSK-10) codes: syntax and chapter only. Whether a code exists is
//! a catalogue question answered elsewhere.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use thiserror::Error;

/// A syntactically valid ICD-10 code, normalised to upper case with a dot
/// before the subdivision: "G35", "G35.0", "M54.16".
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Icd10(String);

#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum Icd10Error {
    #[error("ICD-10 code: empty")]
    Empty,
    #[error("ICD-10 code \"{0}\": must start with a letter A–Z")]
    BadLetter(String),
    #[error("ICD-10 code \"{0}\": the letter must be followed by two digits (e.g. G35)")]
    BadCategory(String),
    #[error(
        "ICD-10 code \"{0}\": after the category expected \".\" and 1–2 letters or digits (e.g. G35.0)"
    )]
    BadSubdivision(String),
}

impl Icd10 {
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The three-character category ("G35" for "G35.0").
    pub fn category(&self) -> &str {
        // Parsing guarantees three ASCII characters first.
        &self.0[..3]
    }

    /// The part after the dot, if any ("0" for "G35.0").
    pub fn subdivision(&self) -> Option<&str> {
        self.0.get(4..).filter(|s| !s.is_empty())
    }

    pub fn chapter(&self) -> IcdChapter {
        let b = self.0.as_bytes();
        IcdChapter::of_category(b[0], (b[1] - b'0') * 10 + (b[2] - b'0'))
    }
}

impl FromStr for Icd10 {
    type Err = Icd10Error;

    fn from_str(input: &str) -> Result<Self, Self::Err> {
        let s = input.trim().to_ascii_uppercase();
        // Echo at most a short prefix back: the input may be any text.
        let echo = || s.chars().take(16).collect::<String>();
        let mut chars = s.chars();
        match chars.next() {
            None => return Err(Icd10Error::Empty),
            Some(c) if c.is_ascii_uppercase() => {}
            Some(_) => return Err(Icd10Error::BadLetter(echo())),
        }
        let category_digits: String = chars.by_ref().take(2).collect();
        if category_digits.len() != 2 || !category_digits.chars().all(|c| c.is_ascii_digit()) {
            return Err(Icd10Error::BadCategory(echo()));
        }
        let rest: String = chars.collect();
        // A missing dot is common in source systems: "G350" means "G35.0".
        let sub = rest.strip_prefix('.').unwrap_or(&rest);
        if rest.starts_with('.') && sub.is_empty() {
            return Err(Icd10Error::BadSubdivision(echo()));
        }
        if sub.len() > 2 || !sub.chars().all(|c| c.is_ascii_alphanumeric()) {
            return Err(Icd10Error::BadSubdivision(echo()));
        }
        let category = &s[..3];
        Ok(Icd10(if sub.is_empty() {
            category.to_owned()
        } else {
            format!("{category}.{sub}")
        }))
    }
}

impl TryFrom<String> for Icd10 {
    type Error = Icd10Error;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        s.parse()
    }
}

impl fmt::Display for Icd10 {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl Serialize for Icd10 {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.0)
    }
}

impl<'de> Deserialize<'de> for Icd10 {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        String::deserialize(d)?
            .parse()
            .map_err(serde::de::Error::custom)
    }
}

/// An ICD-10 chapter, 1..=22 (I..XXII).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(transparent)]
pub struct IcdChapter(u8);

#[derive(Debug, Clone, Copy, PartialEq, Eq, Error)]
#[error("ICD-10 chapter: {0} is not a chapter number (1–22)")]
pub struct IcdChapterError(pub u64);

const ROMAN: [&str; 22] = [
    "I", "II", "III", "IV", "V", "VI", "VII", "VIII", "IX", "X", "XI", "XII", "XIII", "XIV", "XV",
    "XVI", "XVII", "XVIII", "XIX", "XX", "XXI", "XXII",
];

/// First category of chapters 2.. as (letter, number); WHO ICD-10 2019.
/// Codes in the gaps (D49, D90–D99, E91–E99, H96–H99, K94–K99, P97–P99,
/// T99, V00, Y99) are not WHO codes; they fall to the chapter of the
/// preceding range, which is also where ICD-10-CM puts them.
const CHAPTER_STARTS: [(u8, u8); 20] = [
    (b'C', 0),  // II
    (b'D', 50), // III
    (b'E', 0),  // IV
    (b'F', 0),  // V
    (b'G', 0),  // VI
    (b'H', 0),  // VII
    (b'H', 60), // VIII
    (b'I', 0),  // IX
    (b'J', 0),  // X
    (b'K', 0),  // XI
    (b'L', 0),  // XII
    (b'M', 0),  // XIII
    (b'N', 0),  // XIV
    (b'O', 0),  // XV
    (b'P', 0),  // XVI
    (b'Q', 0),  // XVII
    (b'R', 0),  // XVIII
    (b'S', 0),  // XIX (S00–T98)
    (b'V', 0),  // XX (V01–Y98)
    (b'Z', 0),  // XXI
];

impl IcdChapter {
    pub fn new(n: u8) -> Result<Self, IcdChapterError> {
        if (1..=22).contains(&n) {
            Ok(IcdChapter(n))
        } else {
            Err(IcdChapterError(u64::from(n)))
        }
    }

    pub fn number(self) -> u8 {
        self.0
    }

    pub fn roman(&self) -> &'static str {
        ROMAN[usize::from(self.0 - 1)]
    }

    fn of_category(letter: u8, number: u8) -> IcdChapter {
        // U (XXII) sorts between S–T and V–Y, so it cannot use the table.
        if letter == b'U' {
            return IcdChapter(22);
        }
        let mut chapter = 1;
        for (i, start) in CHAPTER_STARTS.iter().enumerate() {
            if (letter, number) >= *start {
                chapter = i as u8 + 2;
            }
        }
        IcdChapter(chapter)
    }
}

impl<'de> Deserialize<'de> for IcdChapter {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let n = u64::deserialize(d)?;
        u8::try_from(n)
            .ok()
            .and_then(|n| IcdChapter::new(n).ok())
            .ok_or_else(|| serde::de::Error::custom(IcdChapterError(n)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn icd(s: &str) -> Icd10 {
        s.parse().unwrap()
    }

    #[test]
    fn normalises() {
        assert_eq!(icd("G35").as_str(), "G35");
        assert_eq!(icd(" g35.0 ").as_str(), "G35.0");
        assert_eq!(icd("G350").as_str(), "G35.0");
        assert_eq!(icd("M5416").as_str(), "M54.16");
        assert_eq!(icd("F32.1").category(), "F32");
        assert_eq!(icd("F32.1").subdivision(), Some("1"));
        assert_eq!(icd("F32").subdivision(), None);
        assert_eq!(icd("U07.1").chapter().roman(), "XXII");
    }

    #[test]
    fn rejects_with_the_rule() {
        use Icd10Error::*;
        assert_eq!("".parse::<Icd10>(), Err(Empty));
        assert_eq!("  ".parse::<Icd10>(), Err(Empty));
        assert_eq!("135".parse::<Icd10>(), Err(BadLetter("135".into())));
        assert_eq!("Ā35".parse::<Icd10>(), Err(BadLetter("Ā35".into())));
        assert_eq!("G3".parse::<Icd10>(), Err(BadCategory("G3".into())));
        assert_eq!("GX5".parse::<Icd10>(), Err(BadCategory("GX5".into())));
        assert_eq!("G35.".parse::<Icd10>(), Err(BadSubdivision("G35.".into())));
        assert_eq!(
            "G35.123".parse::<Icd10>(),
            Err(BadSubdivision("G35.123".into()))
        );
        assert_eq!(
            "G35-0".parse::<Icd10>(),
            Err(BadSubdivision("G35-0".into()))
        );
        assert_eq!(
            "G35.0.".parse::<Icd10>(),
            Err(BadSubdivision("G35.0.".into()))
        );
        assert!("G35ā".parse::<Icd10>().is_err());
        let msg = "G3".parse::<Icd10>().unwrap_err().to_string();
        assert!(msg.contains("two digits"), "{msg}");
    }

    #[test]
    fn serde() {
        let c: Icd10 = serde_json::from_str("\"f321\"").unwrap();
        assert_eq!(serde_json::to_string(&c).unwrap(), "\"F32.1\"");
        assert!(serde_json::from_str::<Icd10>("\"G\"").is_err());
        let ch: IcdChapter = serde_json::from_str("6").unwrap();
        assert_eq!(ch.roman(), "VI");
        assert_eq!(serde_json::to_string(&ch).unwrap(), "6");
        assert!(serde_json::from_str::<IcdChapter>("0").is_err());
        assert!(serde_json::from_str::<IcdChapter>("23").is_err());
        assert!(serde_json::from_str::<IcdChapter>("300").is_err());
    }

    #[test]
    fn chapters_follow_who_ranges() {
        let cases = [
            ("A00", 1),
            ("B99", 1),
            ("C00", 2),
            ("D48", 2),
            ("D49", 2),
            ("D50", 3),
            ("D89", 3),
            ("E00", 4),
            ("E90", 4),
            ("F00", 5),
            ("F99", 5),
            ("G35", 6),
            ("H00", 7),
            ("H59", 7),
            ("H60", 8),
            ("H95", 8),
            ("I10", 9),
            ("J45", 10),
            ("K93", 11),
            ("L99", 12),
            ("M54", 13),
            ("N18", 14),
            ("O99", 15),
            ("P96", 16),
            ("Q99", 17),
            ("R99", 18),
            ("S00", 19),
            ("T98", 19),
            ("V01", 20),
            ("X59", 20),
            ("Y98", 20),
            ("Z99", 21),
            ("U00", 22),
            ("U99", 22),
        ];
        for (code, n) in cases {
            assert_eq!(icd(code).chapter().number(), n, "{code}");
        }
        for n in 1..=22 {
            assert!(IcdChapter::new(n).is_ok());
        }
        assert!(IcdChapter::new(0).is_err());
        assert!(IcdChapter::new(23).is_err());
        assert_eq!(IcdChapter::new(19).unwrap().roman(), "XIX");
    }
}
