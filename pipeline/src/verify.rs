//! Verify a draft before anyone sees it, and again after an expert edits it: every citation
//! must point at a document page of the case, every ICD-10 code must be a diagnosis of the case
//! file, every date must be a date the documents state, every other number must stand in a page
//! the same line cites (or be one of the decision's own proposed values), every quotation must
//! be verbatim; and the decision fields must be consistent with each other and the person's age.
//!
//! The checker reads the text, not the template: an edit that slips in an unsupported number
//! is caught the same way.

use std::collections::BTreeSet;

use atzinums_models::{DocumentKind, FunctioningProfile, MissingItem, OpinionKind, Outcome, Term};
use serde::{Deserialize, Serialize};

use crate::case::CaseInput;
use crate::draft::{Draft, date_lv, one_line};
use crate::rules::{Age, DecisionFields, RuleSet};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Problem {
    /// `citation`, `code`, `date`, `number`, `quote`, `consistency`.
    pub kind: String,
    /// The offending text (never personal data: drafts carry none).
    pub token: String,
    pub message: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Verification {
    pub problems: Vec<Problem>,
    /// How many codes, dates, numbers and citations were checked.
    pub checked: usize,
}

impl Verification {
    pub fn passed(&self) -> bool {
        self.problems.is_empty()
    }
}

/// Checks both texts of `draft` against the case, and its fields against the rules.
pub fn verify(
    case: &CaseInput,
    draft: &Draft,
    rules: &RuleSet,
    profile: &FunctioningProfile,
    age: Age,
) -> Verification {
    let ground = Ground::of(case, draft);
    let mut v = Verification {
        problems: Vec::new(),
        checked: 0,
    };
    for text in [&draft.conclusion, &draft.decision] {
        for line in text.lines() {
            check_line(case, &ground, line, &mut v);
        }
    }
    let f = &draft.fields;
    let fields = DecisionFields {
        outcome: f.outcome,
        work_capacity_loss_pct: f.work_capacity_loss_pct,
        term: f.term,
        special_care: f.opinions.get(&OpinionKind::SpecialCare).copied(),
        transport: f.opinions.get(&OpinionKind::Transport).copied(),
    };
    if !matches!(f.outcome, Outcome::Premature | Outcome::Incomplete) {
        for violation in rules.check(&fields, profile, age) {
            v.problems.push(Problem {
                kind: "consistency".into(),
                token: violation.code,
                message: violation.message,
            });
        }
    }
    v
}

/// What the case file grounds.
struct Ground {
    codes: BTreeSet<String>,
    dates: BTreeSet<String>,
    /// The decision's own proposed values and the vocabulary's fixed numbers (088/u).
    own_numbers: BTreeSet<String>,
}

impl Ground {
    fn of(case: &CaseInput, draft: &Draft) -> Ground {
        let file = &case.file;
        let codes = file
            .main_diagnosis
            .iter()
            .chain(&file.secondary_diagnoses)
            .map(|d| d.code.as_str().to_string())
            .collect();
        let mut dates: BTreeSet<String> = file
            .findings
            .iter()
            .filter_map(|(_, f)| match f.kind {
                atzinums_ingest::findings::FindingKind::Date { date, .. } => Some(date_lv(date)),
                _ => None,
            })
            .collect();
        dates.extend(
            file.documents
                .iter()
                .filter_map(|d| d.issued_at.map(date_lv)),
        );
        dates.insert(date_lv(case.submitted_at));
        let mut own = BTreeSet::new();
        let f = &draft.fields;
        if let Some(p) = f.work_capacity_loss_pct {
            own.insert(p.to_string());
        }
        if let Some(t) = f.term {
            own.extend(numbers(&t.latvian()));
            if let Term::Months(m) = t {
                own.insert(m.get().to_string());
            }
        }
        if let Some(m) = file.treatment_months {
            own.insert(m.to_string());
        }
        for label in DocumentKind::ALL.iter().map(|k| k.latvian()) {
            own.extend(numbers(label));
        }
        for label in MissingItem::ALL.iter().map(|k| k.latvian()) {
            own.extend(numbers(label));
        }
        for label in Outcome::ALL.iter().map(|k| k.latvian()) {
            own.extend(numbers(label));
        }
        Ground {
            codes,
            dates,
            own_numbers: own,
        }
    }
}

fn check_line(case: &CaseInput, ground: &Ground, line: &str, v: &mut Verification) {
    let mut rest = line.replace(&case.case_id, " ");
    // Citations first: they say which pages this line may draw numbers from.
    let mut cited: Vec<&str> = Vec::new();
    while let Some(open) = rest.find('[') {
        let Some(close) = rest[open..].find(']').map(|c| open + c) else {
            break;
        };
        let inner = rest[open + 1..close].to_string();
        v.checked += 1;
        match resolve_citation(case, &inner) {
            Ok(pages) => cited.extend(pages),
            Err(message) => v.problems.push(Problem {
                kind: "citation".into(),
                token: format!("[{inner}]"),
                message,
            }),
        }
        rest.replace_range(open..=close, " ");
    }
    // Quotations must be verbatim in a cited page.
    while let Some(open) = rest.find('„') {
        let body_start = open + '„'.len_utf8();
        let Some(close) = rest[body_start..].find('”').map(|c| body_start + c) else {
            break;
        };
        let quote = rest[body_start..close].to_string();
        v.checked += 1;
        let wanted = one_line(&quote);
        if !cited
            .iter()
            .any(|page| one_line(page).contains(wanted.as_str()))
        {
            v.problems.push(Problem {
                kind: "quote".into(),
                token: quote.clone(),
                message: "the quotation is not found verbatim in the pages this line cites".into(),
            });
        }
        rest.replace_range(open..close + '”'.len_utf8(), " ");
    }
    let cited_numbers: BTreeSet<String> = cited.iter().flat_map(|p| numbers(p)).collect();
    for token in tokens(&rest) {
        v.checked += 1;
        let problem = match &token {
            Token::Code(c) if !ground.codes.contains(c) => Some((
                "code",
                "the ICD-10 code is not a diagnosis of the case file",
            )),
            Token::Date(d) if !ground.dates.contains(d) => {
                Some(("date", "no document of the case states this date"))
            }
            Token::Number(n) if !ground.own_numbers.contains(n) && !cited_numbers.contains(n) => {
                Some((
                    "number",
                    "the number is neither in a page this line cites nor a proposed value",
                ))
            }
            _ => None,
        };
        if let Some((kind, message)) = problem {
            v.problems.push(Problem {
                kind: kind.into(),
                token: token.text().to_string(),
                message: message.into(),
            });
        }
    }
}

/// `ID, N. lpp.` or `ID` → the pages it stands for.
fn resolve_citation<'a>(case: &'a CaseInput, inner: &str) -> Result<Vec<&'a str>, String> {
    let (doc, page) = match inner.rsplit_once(", ") {
        Some((doc, page)) if page.ends_with(". lpp.") => {
            let n: u32 = page
                .trim_end_matches(". lpp.")
                .parse()
                .map_err(|_| format!("\"{page}\" is not a page number"))?;
            (doc, Some(n))
        }
        _ => (inner, None),
    };
    let Some(pages) = case.pages.get(doc) else {
        if case.file.documents.iter().any(|d| d.id == doc) {
            return Ok(Vec::new());
        }
        return Err(format!("the case has no document \"{doc}\""));
    };
    match page {
        None => Ok(pages.iter().map(|(_, t)| t.as_str()).collect()),
        Some(n) => case
            .page_text(doc, n)
            .map(|t| vec![t])
            .ok_or_else(|| format!("document \"{doc}\" has no page {n}")),
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Token {
    Code(String),
    Date(String),
    Number(String),
}

impl Token {
    fn text(&self) -> &str {
        match self {
            Token::Code(s) | Token::Date(s) | Token::Number(s) => s,
        }
    }
}

/// Codes (`G35`, `I63.5`), dates (`14.03.2019.`) and other numbers (`45`, `1,5`) in order.
fn tokens(text: &str) -> Vec<Token> {
    let chars: Vec<char> = text.chars().collect();
    let mut out = Vec::new();
    let mut i = 0;
    let digit = |k: usize| chars.get(k).is_some_and(|c| c.is_ascii_digit());
    while i < chars.len() {
        let prev_alnum = i > 0 && chars[i - 1].is_alphanumeric();
        let c = chars[i];
        if c.is_ascii_uppercase() && !prev_alnum && digit(i + 1) && digit(i + 2) && !digit(i + 3) {
            let mut end = i + 3;
            if chars.get(end) == Some(&'.') && digit(end + 1) {
                end += 2;
                if digit(end) {
                    end += 1;
                }
            }
            if !chars.get(end).is_some_and(|c| c.is_alphanumeric()) {
                out.push(Token::Code(chars[i..end].iter().collect()));
                i = end;
                continue;
            }
        }
        if c.is_ascii_digit() && !prev_alnum {
            let mut end = i;
            while digit(end) {
                end += 1;
            }
            // A date: dd.mm.yyyy.
            if end - i == 2
                && chars.get(end) == Some(&'.')
                && digit(end + 1)
                && digit(end + 2)
                && chars.get(end + 3) == Some(&'.')
                && (0..4).all(|k| digit(end + 4 + k))
                && !digit(end + 8)
            {
                let mut s: String = chars[i..end + 8].iter().collect();
                s.push('.');
                out.push(Token::Date(s));
                i = end + 8 + usize::from(chars.get(end + 8) == Some(&'.'));
                continue;
            }
            if matches!(chars.get(end), Some('.') | Some(',')) && digit(end + 1) {
                end += 1;
                while digit(end) {
                    end += 1;
                }
            }
            let s: String = chars[i..end].iter().collect();
            out.push(Token::Number(s.replace(',', ".")));
            i = end;
            continue;
        }
        i += 1;
    }
    out
}

/// The numbers in a text (codes and dates excluded), normalised (`1,5` → `1.5`).
fn numbers(text: &str) -> Vec<String> {
    tokens(text)
        .into_iter()
        .filter_map(|t| match t {
            Token::Number(n) => Some(n),
            _ => None,
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_tell_codes_dates_and_numbers_apart() {
        let t = tokens("G35 un I63.5, 14.03.2019. – 45 punkti, EF 1,5; X1 A123 ab12");
        assert_eq!(
            t,
            vec![
                Token::Code("G35".into()),
                Token::Code("I63.5".into()),
                Token::Date("14.03.2019.".into()),
                Token::Number("45".into()),
                Token::Number("1.5".into()),
            ]
        );
    }
}
