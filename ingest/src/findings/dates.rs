//! Dates in the forms Latvian documents use — `14.03.2019.`, `2019. gada 14. martā`,
//! `2019. g. martā`, `kopš 2015. gada`, ISO — and what each date is (treatment start, issue,
//! previous decision, birth).

use std::sync::LazyLock;

use chrono::NaiveDate;
use regex::Regex;
use serde::{Deserialize, Serialize};

use super::{Finding, FindingKind, provenance};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DateRole {
    TreatmentStart,
    Issued,
    PreviousDecision,
    Birth,
    Other,
}

/// How much of the date the text gave: a month-only date stands for the month's first day.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DatePrecision {
    Day,
    Month,
    Year,
}

const MONTH_STEMS: [&str; 12] = [
    "janvār", "februār", "mart", "aprī", "maij", "jūnij", "jūlij", "august", "septembr", "oktobr",
    "novembr", "decembr",
];

static NUMERIC: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"\b(\d{1,2})\.\s?(\d{1,2})\.\s?((?:19|20)\d{2})\b\.?").expect("valid")
});
static DOTTED_YEAR_FIRST: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"\b((?:19|20)\d{2})\.(\d{1,2})\.(\d{1,2})\b\.?").expect("valid"));
static ISO: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"\b((?:19|20)\d{2})-(\d{2})-(\d{2})\b").expect("valid"));
static WORDS: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)\b((?:19|20)\d{2})\.\s*(?:gada|g\.)\s*(?:(\d{1,2})\.\s*)?(janvār|februār|mart|aprī[lļ]|maij|jūnij|jūlij|august|septembr|oktobr|novembr|decembr)\p{L}*")
        .expect("valid")
});
static YEAR_ONLY: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)\b(?:kopš|no|sākot ar)\s+((?:19|20)\d{2})\.\s*(?:gada|g\.)").expect("valid")
});

static TREATMENT: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)kopš|ārstēšan\p{L}* (?:sāk|uzsāk)|uzsākt\p{L}* ārstēšan|ārstējas|slimo|slimības sākum|saslim|pirmo reizi|diagnosticēt|darbnespēj\p{L}* no|novērojum\p{L}* (?:sāk|kopš)").expect("valid")
});
static PREVIOUS: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"(?i)vdeāvk|lēmum|invaliditāt\p{L}* (?:noteikt|piešķirt)|iepriekšēj\p{L}* ekspertīz",
    )
    .expect("valid")
});
static ISSUED: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)datums|izsniegt|izdot|aizpildīt|sastādīt|parakst|^\s*rīgā,?|,\s*$")
        .expect("valid")
});
static BIRTH: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"(?i)dzim|dz\. ?dat").expect("valid"));

/// The treatment start from several candidates: the most precise kind of date wins ("kopš
/// 2008. g." yields to "uzsākta 2008.08.22."), then the earliest of those.
pub fn best_start<I: IntoIterator<Item = (NaiveDate, DatePrecision)>>(
    candidates: I,
) -> Option<(NaiveDate, DatePrecision)> {
    let rank = |p: DatePrecision| match p {
        DatePrecision::Day => 0,
        DatePrecision::Month => 1,
        DatePrecision::Year => 2,
    };
    candidates
        .into_iter()
        .min_by_key(|(date, precision)| (rank(*precision), *date))
}

fn role_from(context: &str) -> DateRole {
    // The nearest cue wins: look at the words just before the date on its line.
    if BIRTH.is_match(context) {
        DateRole::Birth
    } else if PREVIOUS.is_match(context) {
        DateRole::PreviousDecision
    } else if TREATMENT.is_match(context) {
        DateRole::TreatmentStart
    } else if ISSUED.is_match(context) {
        DateRole::Issued
    } else {
        DateRole::Other
    }
}

fn context_before(text: &str, start: usize) -> &str {
    let line_start = text[..start].rfind('\n').map_or(0, |i| i + 1);
    let mut from = line_start.max(start.saturating_sub(80));
    while !text.is_char_boundary(from) {
        from += 1;
    }
    &text[from..start]
}

fn month_of(stem: &str) -> Option<u32> {
    let lower = stem.to_lowercase();
    MONTH_STEMS
        .iter()
        .position(|m| lower.starts_with(m))
        .map(|i| i as u32 + 1)
}

pub fn find(page: u32, text: &str) -> Vec<Finding> {
    let mut out: Vec<(std::ops::Range<usize>, NaiveDate, DatePrecision)> = Vec::new();
    for c in NUMERIC.captures_iter(text) {
        let (d, m, y) = (c[1].parse().ok(), c[2].parse().ok(), c[3].parse().ok());
        if let (Some(d), Some(m), Some(y)) = (d, m, y)
            && let Some(date) = NaiveDate::from_ymd_opt(y, m, d)
        {
            out.push((c.get(0).expect("match").range(), date, DatePrecision::Day));
        }
    }
    for c in ISO
        .captures_iter(text)
        .chain(DOTTED_YEAR_FIRST.captures_iter(text))
    {
        if let Some(date) = NaiveDate::from_ymd_opt(
            c[1].parse().unwrap_or(0),
            c[2].parse().unwrap_or(0),
            c[3].parse().unwrap_or(0),
        ) {
            out.push((c.get(0).expect("match").range(), date, DatePrecision::Day));
        }
    }
    for c in WORDS.captures_iter(text) {
        let year: i32 = c[1].parse().unwrap_or(0);
        let Some(month) = month_of(&c[3]) else {
            continue;
        };
        let (day, precision) = match c.get(2).and_then(|d| d.as_str().parse().ok()) {
            Some(day) => (day, DatePrecision::Day),
            None => (1, DatePrecision::Month),
        };
        if let Some(date) = NaiveDate::from_ymd_opt(year, month, day) {
            out.push((c.get(0).expect("match").range(), date, precision));
        }
    }
    for c in YEAR_ONLY.captures_iter(text) {
        let year = c.get(1).expect("year");
        let overlaps = out
            .iter()
            .any(|(r, _, _)| r.start < year.end() + 12 && year.start() < r.end);
        if !overlaps
            && let Some(date) = NaiveDate::from_ymd_opt(year.as_str().parse().unwrap_or(0), 1, 1)
        {
            out.push((
                year.start()..c.get(0).expect("match").end(),
                date,
                DatePrecision::Year,
            ));
        }
    }
    out.sort_by_key(|(r, _, _)| r.start);
    out.into_iter()
        .map(|(range, date, precision)| {
            let role = role_from(context_before(text, range.start));
            Finding {
                kind: FindingKind::Date {
                    date,
                    role,
                    precision,
                },
                at: provenance(page, text, range),
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dates(text: &str) -> Vec<(NaiveDate, DateRole, DatePrecision)> {
        find(1, text)
            .into_iter()
            .map(|f| match f.kind {
                FindingKind::Date {
                    date,
                    role,
                    precision,
                } => (date, role, precision),
                _ => unreachable!(),
            })
            .collect()
    }

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    #[test]
    fn latvian_date_forms_and_roles() {
        let text = "Dzimšanas datums: 02.05.1971.\nĀrstējas kopš 2018. gada 14. martā neirologa uzraudzībā.\n\
                    VDEĀVK lēmums 03.04.2020.: II grupa.\nIzsniegts 2024-11-05\nSlimo kopš 2015. gada, pasliktinājums 2019. g. martā.";
        let got = dates(text);
        assert_eq!(got[0], (d(1971, 5, 2), DateRole::Birth, DatePrecision::Day));
        assert_eq!(
            got[1],
            (d(2018, 3, 14), DateRole::TreatmentStart, DatePrecision::Day)
        );
        assert_eq!(
            got[2],
            (
                d(2020, 4, 3),
                DateRole::PreviousDecision,
                DatePrecision::Day
            )
        );
        assert_eq!(
            got[3],
            (d(2024, 11, 5), DateRole::Issued, DatePrecision::Day)
        );
        assert_eq!(
            got[4],
            (d(2015, 1, 1), DateRole::TreatmentStart, DatePrecision::Year)
        );
        assert_eq!(got[5].0, d(2019, 3, 1));
        assert_eq!(got[5].2, DatePrecision::Month);
        assert_eq!(got.len(), 6);
    }

    #[test]
    fn year_first_dots_and_the_best_start() {
        let got = dates("Slimo kopš 2008.g. Ārstēšana uzsākta 2008.08.22.");
        assert_eq!(
            got[0],
            (d(2008, 1, 1), DateRole::TreatmentStart, DatePrecision::Year)
        );
        assert_eq!(
            got[1],
            (d(2008, 8, 22), DateRole::TreatmentStart, DatePrecision::Day)
        );
        let best = best_start(got.iter().map(|(date, _, p)| (*date, *p)));
        assert_eq!(best, Some((d(2008, 8, 22), DatePrecision::Day)));
    }

    #[test]
    fn impossible_dates_are_not_dates() {
        assert!(dates("31.02.2019. un 12.13.2020 un 1.1.1850").is_empty());
    }
}
