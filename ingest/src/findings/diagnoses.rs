//! ICD-10 codes with the diagnosis words beside them, and whether each is the main diagnosis.

use std::sync::LazyLock;

use atzinums_models::Icd10;
use regex::Regex;
use serde::{Deserialize, Serialize};

use super::sections::{Section, SectionKind, section_at};
use super::{Finding, FindingKind, provenance};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DiagnosisRole {
    Main,
    Secondary,
    /// Named in passing (history, previous decision), not as a diagnosis of this document.
    Mentioned,
}

/// A letter, two digits and an optional subdivision, not glued to other letters or digits.
/// (U is excluded: Latvian text has no U-codes for disability and "U10" is rather a unit.)
static CODE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"(?:^|[^\p{L}\p{N}.])([A-TV-Z]\d{2}(?:\.\d{1,2}|\.[0-9A-Z]\d?)?)(?:[^\p{L}\p{N}]|$)",
    )
    .expect("valid")
});
static MAIN_WORDS: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)pamat\s*diagnoz|pamatslimība|galvenā diagnoz|primār").expect("valid")
});
/// A line that starts with a diagnosis label ("Dg.: …", "Nosūtītāja diagnoze: …",
/// "Klīniskā diagnoze (SSK-10) – …"), whatever follows it.
static DIAGNOSIS_LINE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)^\s*(?:\p{L}+\s+){0,2}(?:dg|diagnoz\p{L}*|pamatslimīb\p{L}*)\.?\s*(?:\([^)]*\))?\s*[.:\-–]")
        .expect("valid")
});
static SECONDARY_WORDS: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)blakus\s*diagnoz|blakusslimīb|pavadoš|komplikācij|sekundār").expect("valid")
});

pub fn find(page: u32, text: &str, sections: &[Section]) -> Vec<Finding> {
    let mut found = Vec::new();
    let mut main_seen = false;
    for caps in CODE.captures_iter(text) {
        let m = caps.get(1).expect("group 1");
        let Ok(code) = m.as_str().parse::<Icd10>() else {
            continue;
        };
        let mut line_start = text[..m.start()].rfind('\n').map_or(0, |i| i + 1);
        // A wrapped line ("…ar\nradikulopātiju (M51.1)") belongs to the label on the line before.
        if line_start > 0 && text[line_start..].starts_with(|c: char| c.is_lowercase() || c == '(')
        {
            line_start = text[..line_start - 1].rfind('\n').map_or(0, |i| i + 1);
        }
        let line_end = text[m.end()..]
            .find('\n')
            .map_or(text.len(), |i| m.end() + i);
        let before = &text[line_start..m.start()];
        let phrase = phrase_after(&text[m.end()..line_end])
            .or_else(|| phrase_before(before))
            .unwrap_or_default();
        let section = section_at(sections, m.start());
        let role = if SECONDARY_WORDS.is_match(before)
            || section == Some(SectionKind::SecondaryDiagnoses)
        {
            DiagnosisRole::Secondary
        } else if MAIN_WORDS.is_match(before) {
            DiagnosisRole::Main
        } else if matches!(
            section,
            Some(SectionKind::Diagnosis | SectionKind::Conclusion)
        ) || DIAGNOSIS_LINE.is_match(before)
        {
            // Without a word saying so, the first code of a diagnosis section is the main one.
            if main_seen {
                DiagnosisRole::Secondary
            } else {
                DiagnosisRole::Main
            }
        } else {
            DiagnosisRole::Mentioned
        };
        main_seen |= role == DiagnosisRole::Main;
        found.push(Finding {
            kind: FindingKind::Diagnosis { code, phrase, role },
            at: provenance(page, text, m.start()..m.end()),
        });
    }
    found
}

/// "G35 – Multiplā skleroze, recidivējoši remitējoša forma; I10 …" → the words up to the next code.
fn phrase_after(rest: &str) -> Option<String> {
    let rest = rest.trim_start_matches(|c: char| {
        c.is_whitespace() || matches!(c, '-' | '–' | '—' | ':' | ')' | '(')
    });
    let end = CODE.find(rest).map_or(rest.len(), |m| m.start());
    let phrase = rest[..end]
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .trim_end_matches([',', '(', '.', ' ']);
    (phrase.chars().filter(|c| c.is_alphabetic()).count() >= 3)
        .then(|| phrase.chars().take(160).collect())
}

/// "Multiplā skleroze (G35)" → the words before the code on its line.
fn phrase_before(before: &str) -> Option<String> {
    let start = before.rfind([':', ';']).map_or(0, |i| i + 1);
    let phrase = before[start..]
        .trim()
        .trim_end_matches(['(', '-', '–', ',', ' '])
        .trim();
    (phrase.chars().filter(|c| c.is_alphabetic()).count() >= 3)
        .then(|| phrase.chars().take(160).collect())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::findings::sections;

    fn diagnoses(text: &str) -> Vec<(String, String, DiagnosisRole)> {
        find(1, text, &sections::find(text))
            .into_iter()
            .map(|f| match f.kind {
                FindingKind::Diagnosis { code, phrase, role } => {
                    (code.as_str().to_string(), phrase, role)
                }
                _ => unreachable!(),
            })
            .collect()
    }

    #[test]
    fn main_and_secondary_with_phrases() {
        let text = "Diagnoze:\nPamatdiagnoze: G35.1 – Multiplā skleroze, sekundāri progresējoša forma.\n\
                    Blakusdiagnozes: I10 Esenciāla hipertensija; E11.9 2. tipa cukura diabēts\n\
                    Anamnēze: 2015. g. ārstēts ar dg. F32.1.";
        let d = diagnoses(text);
        assert_eq!(
            d[0],
            (
                "G35.1".into(),
                "Multiplā skleroze, sekundāri progresējoša forma".into(),
                DiagnosisRole::Main
            )
        );
        assert_eq!(
            d[1],
            (
                "I10".into(),
                "Esenciāla hipertensija".into(),
                DiagnosisRole::Secondary
            )
        );
        assert_eq!(
            d[2],
            (
                "E11.9".into(),
                "2. tipa cukura diabēts".into(),
                DiagnosisRole::Secondary
            )
        );
        assert_eq!(d[3].0, "F32.1");
        assert_eq!(d[3].2, DiagnosisRole::Mentioned);
    }

    #[test]
    fn phrase_before_code_and_no_false_codes() {
        let d = diagnoses(
            "Diagnoze: Multiplā skleroze (G35)\nLīmenis Th12, skriemeļi L4-L5, vitamīns D3, 12.03.2019.",
        );
        assert_eq!(d.len(), 1);
        assert_eq!(
            d[0],
            (
                "G35".into(),
                "Multiplā skleroze".into(),
                DiagnosisRole::Main
            )
        );
    }
}
