//! Section headings of clinical documents (Sūdzības, Anamnēze, Objektīvi, Diagnoze, Slēdziens,
//! Rekomendācijas) and the text span each governs.

use std::sync::LazyLock;

use regex::Regex;
use serde::{Deserialize, Serialize};

use super::{Finding, FindingKind, provenance};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SectionKind {
    Complaints,
    History,
    Objective,
    Diagnosis,
    SecondaryDiagnoses,
    Conclusion,
    Recommendations,
    Treatment,
    Functioning,
}

/// A heading and the byte range of the section it opens (to the next heading or the page end).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Section {
    pub kind: SectionKind,
    pub heading: std::ops::Range<usize>,
    pub body: std::ops::Range<usize>,
}

impl Section {
    pub fn finding(&self, page: u32, text: &str) -> Finding {
        Finding {
            kind: FindingKind::Section { section: self.kind },
            at: provenance(page, text, self.heading.clone()),
        }
    }
}

/// Heading words at a line start, optionally numbered ("3. Diagnoze:"), ending at ':' or the line end.
static HEADING: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"(?im)^[ \t]*(?:\d{1,2}[.)][ \t]*)?(sūdzības|anamn[eē]ze[^\n:]{0,30}|anamnesis[^\n:]{0,20}|slimības anamnēze|dzīves anamnēze|objektīv[a-zāēīū]*[^\n:]{0,20}|status praesens|(?:pamat|galvenā |klīniskā )?diagnoz[eēas]{1,2}[^\n:]{0,25}|blakus ?diagnoz[eēas]{1,2}|pavadoš[āa]s (?:slimības|diagnozes)|komplikācijas|slēdziens|secinājum[si]|rekomendācijas|ieteikumi|ārstēšana[^\n:]{0,20}|veiktā ārstēšana|funkcionēšan[a-zāēīū]*[^\n:]{0,30}|funkcionālais stāvoklis)[ \t]*(?::|$)",
    )
    .expect("valid heading pattern")
});

fn kind_of(heading: &str) -> Option<SectionKind> {
    let h = heading.to_lowercase();
    let kind = if h.starts_with("sūdz") {
        SectionKind::Complaints
    } else if h.starts_with("anamn") || h.contains("anamnēze") {
        SectionKind::History
    } else if h.starts_with("objekt") || h.starts_with("status") {
        SectionKind::Objective
    } else if h.starts_with("blakus") || h.starts_with("pavado") || h.starts_with("komplik") {
        SectionKind::SecondaryDiagnoses
    } else if h.contains("diagnoz") {
        SectionKind::Diagnosis
    } else if h.starts_with("slēdz") || h.starts_with("secin") {
        SectionKind::Conclusion
    } else if h.starts_with("rekom") || h.starts_with("ieteik") {
        SectionKind::Recommendations
    } else if h.contains("ārstēšan") {
        SectionKind::Treatment
    } else if h.starts_with("funkcion") {
        SectionKind::Functioning
    } else {
        return None;
    };
    Some(kind)
}

pub fn find(text: &str) -> Vec<Section> {
    let mut heads: Vec<(SectionKind, std::ops::Range<usize>)> = HEADING
        .captures_iter(text)
        .filter_map(|c| {
            let word = c.get(1)?;
            Some((kind_of(word.as_str())?, word.range()))
        })
        .collect();
    heads.dedup_by(|b, a| a.1.end >= b.1.start);
    let mut sections = Vec::with_capacity(heads.len());
    for (i, (kind, heading)) in heads.iter().enumerate() {
        let end = heads.get(i + 1).map_or(text.len(), |(_, next)| next.start);
        sections.push(Section {
            kind: *kind,
            heading: heading.clone(),
            body: heading.end..end,
        });
    }
    sections
}

/// The section a byte offset falls in, if any.
pub fn section_at(sections: &[Section], offset: usize) -> Option<SectionKind> {
    sections
        .iter()
        .rev()
        .find(|s| s.heading.start <= offset)
        .map(|s| s.kind)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_headings_in_varied_forms() {
        let text = "Sūdzības: sāpes.\nAnamnesis morbi: kopš 2018.\n3. Objektīvā atrade\nEDSS 6,0\n\
                    Pamatdiagnoze: G35\nBlakusdiagnozes: I10\nSlēdziens:\nIeteikumi: LFK";
        let kinds: Vec<_> = find(text).iter().map(|s| s.kind).collect();
        assert_eq!(
            kinds,
            [
                SectionKind::Complaints,
                SectionKind::History,
                SectionKind::Objective,
                SectionKind::Diagnosis,
                SectionKind::SecondaryDiagnoses,
                SectionKind::Conclusion,
                SectionKind::Recommendations
            ]
        );
        // "diagnoze" inside a sentence is not a heading.
        assert!(find("Pacientam noteikta diagnoze G35 pirms gada.").is_empty());
    }
}
