//! Statements about functioning per domain, with an estimated ICF-like qualifier 0..4 and their
//! polarity (affirmed, negated, hedged): from ticked questionnaire answers, from sentences that
//! name a domain and grade it, and from graded measurements.
//!
//! A sentence counts only when it names a domain AND grades it (a degree word, a denied
//! limitation, a ticked answer, a measurement); ungraded mentions say nothing, as a guessed
//! level would be worse than none. Text is first cut into units: lines wrapped inside a sentence
//! are joined, and a line-start label ("Pašaprūpe: …") fixes the domain of its unit.

pub mod learned;
mod lexicon;
mod questionnaire;
pub mod questionnaire_model;

use std::collections::BTreeMap;
use std::ops::Range;

use atzinums_models::{Domain, Qualifier};
use serde::{Deserialize, Serialize};

use super::measurements::MeasureKind;
use super::sections::{Section, SectionKind};
use super::{Finding, FindingKind, provenance};
use learned::{Example, FunctioningReader};
use lexicon::*;
use questionnaire_model::{AnsweredQuestion, QuestionnaireModel};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Polarity {
    Affirmed,
    /// "nav izteiktu traucējumu": a limitation is denied.
    Negated,
    /// "iespējams", "šķiet": the writer is not sure.
    Hedged,
}

/// What read the qualifier: the rules (a degree word, a denial, a ticked answer, a measurement)
/// or the trained model (an estimate, shown as such).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum GradedBy {
    #[default]
    Rules,
    Model,
}

/// A sentence of running text (outside questionnaires) and what the rules read in it.
#[derive(Debug, Clone, PartialEq)]
pub struct Statement {
    /// Byte range of the sentence in the page text.
    pub range: Range<usize>,
    /// Where its own words begin: after a line-start label ("Pašaprūpe: …"), else `range.start`.
    pub content_start: usize,
    /// The domain a line-start label gives the whole unit.
    pub label: Option<Domain>,
    /// The domains it names (the label's, or those of the lexicon).
    pub domains: Vec<Domain>,
    /// The grade the rules read, if any.
    pub grade: Option<(u8, Polarity)>,
}

impl Statement {
    /// The sentence's own words (after any label).
    pub fn content<'t>(&self, text: &'t str) -> &'t str {
        &text[self.content_start..self.range.end]
    }

    /// Whether the rules read a finding from it: a named domain and a grade.
    pub fn is_graded(&self) -> bool {
        !self.domains.is_empty() && self.grade.is_some()
    }
}

/// How sure the model must be of a level to override the rules' reading of the same sentence.
/// At 0.5 it overrode a plain "daļēja palīdzība" (partial help: 2) with 0 in a hand-written
/// sentence; wording from other hands than the training archive's needs the rules' say.
const MODEL_OVER_RULES: f32 = 0.8;

/// Functioning statements of a page: the rules' findings (`measured` are the page's measurement
/// findings, which grade domains too) and, with a `reader`, its findings for the sentences the
/// rules cannot grade (marked [`GradedBy::Model`]).
pub fn find(
    page: u32,
    text: &str,
    measured: &[Finding],
    reader: Option<&FunctioningReader>,
) -> Result<Vec<Finding>, atzinums_inference::InferenceError> {
    let (mut out, statements) = read_page(
        page,
        text,
        measured,
        reader.map(FunctioningReader::questionnaire),
    );
    let Some(reader) = reader else {
        let graded: Vec<Statement> = statements
            .into_iter()
            .filter(Statement::is_graded)
            .collect();
        out.extend(rule_findings(page, text, &graded));
        return Ok(out);
    };
    // On held-out synthetic cases the model's level is right more often than the rules' degree
    // words (0.87 against 0.77 exact), so it grades the sentences it is sure of; the rules keep
    // the rest (see MODEL_OVER_RULES).
    let texts: Vec<&str> = statements.iter().map(|s| s.content(text)).collect();
    for (s, reading) in statements.iter().zip(reader.read(&texts)?) {
        let domains = match (s.domains.is_empty(), reading.domain) {
            (false, _) => s.domains.clone(),
            (true, Some(domain)) => vec![domain],
            (true, None) => continue,
        };
        let (level, polarity, by) = match s.grade {
            Some((level, polarity)) if reading.level_probability < MODEL_OVER_RULES => {
                (level, polarity, GradedBy::Rules)
            }
            _ => (
                reading.level,
                model_polarity(&s.content(text).to_lowercase(), reading.level),
                GradedBy::Model,
            ),
        };
        out.extend(
            domains
                .into_iter()
                .map(|d| finding(page, text, s.range.clone(), d, level, polarity, by)),
        );
    }
    Ok(out)
}

fn rule_findings<'a>(
    page: u32,
    text: &'a str,
    graded: &'a [Statement],
) -> impl Iterator<Item = Finding> + 'a {
    graded.iter().flat_map(move |s| {
        let (level, polarity) = s.grade.expect("graded statements have a grade");
        s.domains.iter().map(move |d| {
            finding(
                page,
                text,
                s.range.clone(),
                *d,
                level,
                polarity,
                GradedBy::Rules,
            )
        })
    })
}

/// The polarity of a sentence the model graded: hedged if the writer hedges, negated if it
/// grades "none" with a negation in it.
fn model_polarity(lower: &str, level: u8) -> Polarity {
    let starts = word_starts(lower);
    if HEDGES.iter().any(|h| lower.contains(h)) {
        Polarity::Hedged
    } else if level == 0
        && starts
            .iter()
            .any(|&s| NEGATIONS.contains(&word_at(lower, s)))
    {
        Polarity::Negated
    } else {
        Polarity::Affirmed
    }
}

/// Whether the text at byte `at` may describe functioning: not in complaints, history,
/// diagnoses or treatment, which name conditions and symptoms rather than grade what the person
/// can do. The model reads (and learns levels) only where this holds; the rules read everywhere.
fn describes_functioning(sections: &[Section], at: usize) -> bool {
    !sections.iter().any(|s| {
        s.body.contains(&at)
            && matches!(
                s.kind,
                SectionKind::Complaints
                    | SectionKind::History
                    | SectionKind::Diagnosis
                    | SectionKind::SecondaryDiagnoses
                    | SectionKind::Treatment
            )
    })
}

/// Training sentences of a page for the learned reader, given the levels the signed decision
/// gave the case (see [`learned`]): labelled statements and statements naming exactly one
/// domain teach that domain and the decision's level where functioning is described;
/// sentences naming none in sections that do not describe it teach "none".
pub fn training_examples(
    text: &str,
    sections: &[Section],
    decided: &BTreeMap<Domain, u8>,
) -> Vec<Example> {
    let skip: Vec<Range<usize>> = questionnaire::find(text)
        .iter()
        .map(|a| a.block.clone())
        .collect();
    statements(text, &skip)
        .into_iter()
        .filter_map(|s| {
            let content = s.content(text).trim();
            if content.split_whitespace().count() < 2 {
                return None;
            }
            let domain = match (s.label, s.domains.as_slice()) {
                (Some(d), _) | (None, &[d]) => Some(d),
                (None, []) => None,
                (None, _) => return None,
            };
            // Outside sections that describe functioning, a sentence teaches only "none".
            match (describes_functioning(sections, s.range.start), domain) {
                (false, None) => {}
                (false, Some(_)) | (true, None) => return None,
                (true, Some(_)) => {}
            }
            Some(Example {
                text: content.to_string(),
                domain,
                level: domain.and_then(|d| decided.get(&d).copied()),
            })
        })
        .collect()
}

/// The answered questions of a page's questionnaires, for fitting a [`QuestionnaireModel`].
pub fn answered_questions(text: &str) -> Vec<AnsweredQuestion> {
    questionnaire::find(text)
        .into_iter()
        .map(|a| AnsweredQuestion {
            question: text[a.question].to_string(),
            answer: a.level,
        })
        .collect()
}

/// The questionnaire and measurement findings of a page, and its running-text statements.
///
/// With a questionnaire `model`, a form grades each domain once, at the level the model reads from
/// all the page's answers on that domain (marked [`GradedBy::Model`]), citing the answer closest
/// to that level: one form is one statement, however many questions it asks about a domain, so
/// it does not outvote the other documents in the case file. Without a model, or for a domain
/// none of whose questions the model knows, each answer grades its domain at its own step on the
/// scale.
fn read_page(
    page: u32,
    text: &str,
    measured: &[Finding],
    model: Option<&QuestionnaireModel>,
) -> (Vec<Finding>, Vec<Statement>) {
    let mut out = Vec::new();
    let answers = questionnaire::find(text);
    let answer_domains: Vec<Vec<Domain>> = answers
        .iter()
        .map(|a| {
            let question = text[a.question.clone()].to_lowercase();
            let named = domains_in(&question);
            match model {
                Some(m) if named.is_empty() => m.domain_of(&question).into_iter().collect(),
                _ => named,
            }
        })
        .collect();
    let form_levels: BTreeMap<Domain, u8> = model.map_or_else(BTreeMap::new, |m| {
        Domain::ALL
            .iter()
            .filter_map(|d| {
                let on_domain: Vec<(&str, u8)> = answers
                    .iter()
                    .zip(&answer_domains)
                    .filter(|(_, domains)| domains.contains(d))
                    .map(|(a, _)| (&text[a.question.clone()], a.level))
                    .collect();
                Some((*d, m.read(&on_domain)?.level))
            })
            .collect()
    });
    for (domain, level) in &form_levels {
        let cited = answers
            .iter()
            .zip(&answer_domains)
            .filter(|(_, domains)| domains.contains(domain))
            .min_by_key(|(a, _)| a.level.abs_diff(*level))
            .map(|(a, _)| a)
            .expect("a form level comes from answers on its domain");
        out.push(finding(
            page,
            text,
            cited.question.start..cited.answer.end,
            *domain,
            *level,
            Polarity::Affirmed,
            GradedBy::Model,
        ));
    }
    for (a, domains) in answers.iter().zip(&answer_domains) {
        for domain in domains.iter().filter(|d| !form_levels.contains_key(d)) {
            out.push(finding(
                page,
                text,
                a.question.start..a.answer.end,
                *domain,
                a.level,
                Polarity::Affirmed,
                GradedBy::Rules,
            ));
        }
    }
    out.extend(from_measurements(measured).into_iter().filter(|f| {
        !answers
            .iter()
            .any(|a| a.block.contains(&byte_offset(text, f.at.start)))
    }));
    let skip: Vec<Range<usize>> = answers.iter().map(|a| a.block.clone()).collect();
    (out, statements(text, &skip))
}

/// The sentences of running text outside `skip`, each with what the rules read in it.
pub fn statements(text: &str, skip: &[Range<usize>]) -> Vec<Statement> {
    let mut out = Vec::new();
    for unit in units(text, skip) {
        let label = label_domain(&text[unit.clone()]);
        for sentence in sentences(text, unit.clone()) {
            // A question states nothing (an unticked questionnaire item, say).
            if text[sentence.end..].starts_with('?') {
                continue;
            }
            let lower = text[sentence.clone()].to_lowercase();
            // Grade after the label, so "Uzvedība: …" does not read its own label as a cue.
            let content_start = label.map_or(sentence.start, |(_, end)| {
                (unit.start + end).clamp(sentence.start, sentence.end)
            });
            // Lowercasing keeps byte lengths for the letters we match, so offsets carry over;
            // where it does not, the rules read nothing (a model may still).
            let comparable = lower.len() == sentence.len();
            let domains = match label {
                Some((domain, _)) => vec![domain],
                None if comparable => domains_in(&lower),
                None => Vec::new(),
            };
            let grade = if comparable && !domains.is_empty() {
                grade(&lower[content_start - sentence.start..])
            } else {
                None
            };
            out.push(Statement {
                range: sentence,
                content_start,
                label: label.map(|(d, _)| d),
                domains,
                grade,
            });
        }
    }
    out
}

/// Byte offset of the char offset `chars` in `text`.
fn byte_offset(text: &str, chars: usize) -> usize {
    text.char_indices()
        .nth(chars)
        .map_or(text.len(), |(b, _)| b)
}

fn finding(
    page: u32,
    text: &str,
    range: Range<usize>,
    domain: Domain,
    level: u8,
    polarity: Polarity,
    by: GradedBy,
) -> Finding {
    Finding {
        kind: FindingKind::Functioning {
            domain,
            qualifier: Qualifier::new(level).expect("levels are 0..=4"),
            polarity,
            by,
        },
        at: provenance(page, text, range),
    }
}

/// Lines joined into units: a line that starts in lower case continues the one before, unless
/// that one ended a sentence. Blank lines and `skip` ranges end a unit.
fn units(text: &str, skip: &[Range<usize>]) -> Vec<Range<usize>> {
    let mut units = Vec::new();
    let mut current: Option<Range<usize>> = None;
    let mut offset = 0;
    for line in text.split_inclusive('\n') {
        let start = offset;
        offset += line.len();
        let content = line.trim_end();
        let lead = content.len() - content.trim_start().len();
        let skipped = skip.iter().any(|r| r.start <= start && start < r.end);
        if content.trim().is_empty() || skipped {
            units.extend(current.take());
            continue;
        }
        let range = start + lead..start + content.len();
        let first = content.trim_start().chars().next();
        match current.as_mut() {
            Some(unit)
                if first.is_some_and(char::is_lowercase)
                    && !text[unit.clone()].ends_with(['.', ':', '?', '!']) =>
            {
                unit.end = range.end;
            }
            _ => {
                units.extend(current.take());
                current = Some(range);
            }
        }
    }
    units.extend(current);
    units
}

/// Sentences of a unit: cut at '.', ';', '!' or '?' followed by a space or the end, but not at
/// a decimal point or an abbreviation's dot followed by a lower-case word.
fn sentences(text: &str, unit: Range<usize>) -> Vec<Range<usize>> {
    let s = &text[unit.clone()];
    let bytes = s.as_bytes();
    let mut out = Vec::new();
    let mut start = 0;
    for (i, c) in s.char_indices() {
        if !matches!(c, '.' | ';' | '!' | '?') {
            continue;
        }
        let next = s[i + 1..].chars().next();
        let after = s[i + 1..].trim_start().chars().next();
        let decimal = c == '.'
            && i > 0
            && bytes[i - 1].is_ascii_digit()
            && next.is_some_and(|n| n.is_ascii_digit());
        // "apm. 200 m": a short lower-case word's dot before a number is an abbreviation too.
        let last_word = s[..i]
            .rsplit(|c: char| !c.is_alphabetic())
            .next()
            .unwrap_or("");
        let abbreviation = c == '.'
            && (after.is_some_and(char::is_lowercase)
                || (after.is_some_and(|a| a.is_ascii_digit())
                    && (1..=4).contains(&last_word.chars().count())
                    && last_word.chars().all(char::is_lowercase)));
        if decimal || abbreviation || next.is_some_and(|n| !n.is_whitespace()) {
            continue;
        }
        push_trimmed(&mut out, text, unit.start + start..unit.start + i);
        start = i + 1;
    }
    push_trimmed(&mut out, text, unit.start + start..unit.end);
    out
}

fn push_trimmed(out: &mut Vec<Range<usize>>, text: &str, range: Range<usize>) {
    let s = &text[range.clone()];
    let start = range.start + (s.len() - s.trim_start().len());
    let end = range.end - (s.len() - s.trim_end().len());
    if end > start {
        out.push(start..end);
    }
}

/// A line-start label naming a domain, and the byte offset (in the unit) where its text begins.
fn label_domain(unit: &str) -> Option<(Domain, usize)> {
    let colon = unit.find(':')?;
    let label = unit[..colon].trim().to_lowercase();
    if label.is_empty() || label.chars().count() > 40 || label.contains(['.', ',', ';']) {
        return None;
    }
    DOMAIN_LABELS
        .iter()
        .find(|(_, stems)| {
            stems
                .iter()
                .any(|s| label.starts_with(s) || label.contains(&format!(" {s}")))
        })
        .map(|(d, _)| (*d, colon + 1))
}

fn word_starts(lower: &str) -> Vec<usize> {
    let mut starts = Vec::new();
    let mut prev_alpha = false;
    for (i, c) in lower.char_indices() {
        let alpha = c.is_alphanumeric();
        if alpha && !prev_alpha {
            starts.push(i);
        }
        prev_alpha = alpha;
    }
    starts
}

/// Byte offsets where `stem` starts a word of `lower`.
fn at_word_starts(lower: &str, starts: &[usize], stem: &str) -> Vec<usize> {
    starts
        .iter()
        .copied()
        .filter(|&s| lower[s..].starts_with(stem))
        .collect()
}

fn domains_in(lower: &str) -> Vec<Domain> {
    let starts = word_starts(lower);
    DOMAIN_STEMS
        .iter()
        .filter(|(_, stems)| {
            stems.iter().any(|s| {
                // Long stems also inside words (prefixed verbs); short ones only at word starts.
                if s.chars().count() >= 5 {
                    lower.contains(s)
                } else {
                    !at_word_starts(lower, &starts, s).is_empty()
                }
            })
        })
        .map(|(d, _)| *d)
        .collect()
}

fn word_at(lower: &str, start: usize) -> &str {
    let end = lower[start..]
        .find(|c: char| !c.is_alphanumeric())
        .map_or(lower.len(), |e| start + e);
    &lower[start..end]
}

fn preceded_by_negation(lower: &str, starts: &[usize], at: usize) -> bool {
    // A negation among the two words before the cue ("nav izteiktu", "bez būtiskiem").
    starts
        .iter()
        .rev()
        .filter(|&&s| s < at)
        .take(2)
        .any(|&s| NEGATIONS.contains(&word_at(lower, s)))
}

/// "traucējumu nav": Latvian often puts the negation after the noun.
fn followed_by_negation(lower: &str, starts: &[usize], at: usize) -> bool {
    starts.iter().filter(|&&s| s > at).take(2).any(|&s| {
        matches!(
            word_at(lower, s),
            "nav" | "netiek" | "nekonstatē" | "noliedz"
        )
    })
}

/// A degree cue found in a sentence.
#[derive(Debug, Clone, Copy)]
struct Cue {
    at: usize,
    end: usize,
    level: u8,
}

/// Degree cues in `lower`, in text order; where cues overlap, the one starting first (and, at
/// one offset, the one listed first: longer phrases and stronger levels come first) wins.
fn degree_cues(lower: &str, starts: &[usize]) -> Vec<Cue> {
    let not_degree: Vec<usize> = NOT_DEGREE
        .iter()
        .flat_map(|s| at_word_starts(lower, starts, s))
        .collect();
    let mut cues: Vec<Cue> = DEGREE_STEMS
        .iter()
        .flat_map(|(level, stems)| {
            stems.iter().flat_map(move |s| {
                at_word_starts(lower, starts, s)
                    .into_iter()
                    .map(move |at| Cue {
                        at,
                        end: at + s.len(),
                        level: *level,
                    })
            })
        })
        .filter(|c| !not_degree.contains(&c.at))
        .collect();
    cues.sort_by_key(|c| c.at);
    cues.dedup_by_key(|c| c.at);
    let mut kept: Vec<Cue> = Vec::with_capacity(cues.len());
    for cue in cues {
        if kept.last().is_none_or(|last| cue.at >= last.end) {
            kept.push(cue);
        }
    }
    kept
}

/// The qualifier and polarity a sentence expresses, if it grades something.
fn grade(lower: &str) -> Option<(u8, Polarity)> {
    let starts = word_starts(lower);
    let hedged = HEDGES.iter().any(|h| lower.contains(h));
    let affirmed = if hedged {
        Polarity::Hedged
    } else {
        Polarity::Affirmed
    };
    let cues = degree_cues(lower, &starts);
    let contrast = starts
        .iter()
        .copied()
        .find(|&s| CONTRASTS.contains(&word_at(lower, s)));
    if let Some(c) = contrast {
        // "saglabāta, bet lēnāka": the clause after the contrast qualifies; with no grade of
        // its own it still takes a "preserved" down to mild.
        if let Some(cue) = cues.iter().find(|cue| cue.at > c) {
            return Some(negated_or(lower, &starts, cue.at, cue.level, affirmed));
        }
        if cues.first().is_some_and(|cue| cue.level == 0) {
            return Some((1, affirmed));
        }
    }
    if let Some(first) = cues.first() {
        // "patstāvīgi ārpus mājas nepārvietojas": an adverb of independence yields to a stronger
        // cue later in the same clause.
        let clause_end = lower[first.end..]
            .find([',', ':'])
            .map_or(lower.len(), |i| first.end + i);
        if first.level == 0
            && let Some(next) = cues
                .iter()
                .skip(1)
                .find(|c| c.at < clause_end && c.level >= 2)
        {
            return Some(negated_or(lower, &starts, next.at, next.level, affirmed));
        }
        return Some(negated_or(lower, &starts, first.at, first.level, affirmed));
    }
    for stem in LIMITATION_STEMS {
        for at in at_word_starts(lower, &starts, stem)
            .into_iter()
            .chain(lower.match_indices(stem).map(|(i, _)| i))
        {
            if preceded_by_negation(lower, &starts, at) || followed_by_negation(lower, &starts, at)
            {
                return Some((0, Polarity::Negated));
            }
        }
    }
    None
}

fn negated_or(
    lower: &str,
    starts: &[usize],
    at: usize,
    level: u8,
    affirmed: Polarity,
) -> (u8, Polarity) {
    if level >= 2 && preceded_by_negation(lower, starts, at) {
        // "nav izteiktu traucējumu": at most mild.
        (1, Polarity::Negated)
    } else {
        (level, affirmed)
    }
}

/// Graded measurements speak for a domain by themselves (thresholds from clinical usage:
/// Barthel bands, MMSE dementia stages, EDSS ambulation steps, walking distance).
fn from_measurements(measured: &[Finding]) -> Vec<Finding> {
    measured
        .iter()
        .filter_map(|f| {
            let FindingKind::Measurement { measure, value, .. } = f.kind else {
                return None;
            };
            let (domain, level) = match measure {
                MeasureKind::Barthel => (
                    Domain::SelfCare,
                    band(value, &[(100.0, 0), (91.0, 1), (61.0, 2), (21.0, 3)], 4),
                ),
                MeasureKind::Mmse => (
                    Domain::Learning,
                    // Dementia staging: mild 21–26, moderate 11–20, severe 5–10.
                    band(value, &[(27.0, 0), (21.0, 1), (11.0, 2), (5.0, 3)], 4),
                ),
                MeasureKind::Edss => (
                    Domain::Mobility,
                    band(-value, &[(-1.5, 0), (-3.5, 1), (-5.5, 2), (-7.5, 3)], 4),
                ),
                MeasureKind::WalkingDistance => (
                    Domain::Mobility,
                    band(value, &[(1000.0, 0), (500.0, 1), (100.0, 2), (20.0, 3)], 4),
                ),
                _ => return None,
            };
            Some(Finding {
                kind: FindingKind::Functioning {
                    domain,
                    qualifier: Qualifier::new(level).expect("levels are 0..=4"),
                    polarity: Polarity::Affirmed,
                    by: GradedBy::Rules,
                },
                at: f.at.clone(),
            })
        })
        .collect()
}

/// The level of the first threshold `value` reaches, else `otherwise`.
fn band(value: f64, thresholds: &[(f64, u8)], otherwise: u8) -> u8 {
    thresholds
        .iter()
        .find(|(t, _)| value >= *t)
        .map_or(otherwise, |(_, l)| *l)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn graded(text: &str) -> Vec<(Domain, u8, Polarity)> {
        find(1, text, &crate::findings::measurements::find(1, text), None)
            .expect("the rules cannot fail")
            .into_iter()
            .map(|f| match f.kind {
                FindingKind::Functioning {
                    domain,
                    qualifier,
                    polarity,
                    ..
                } => (domain, qualifier.value(), polarity),
                _ => unreachable!(),
            })
            .collect()
    }

    #[test]
    fn degree_words_negation_and_hedges() {
        assert_eq!(
            graded("Pašaprūpē nepieciešama daļēja palīdzība."),
            vec![(Domain::SelfCare, 2, Polarity::Affirmed)]
        );
        assert_eq!(
            graded("Pārvietojas ar spieķi."),
            vec![(Domain::Mobility, 2, Polarity::Affirmed)]
        );
        assert_eq!(
            graded("Pašaprūpē pilnībā atkarīgs no citu palīdzības."),
            vec![(Domain::SelfCare, 4, Polarity::Affirmed)]
        );
        assert_eq!(
            graded("Nav izteiktu runas traucējumu."),
            vec![(Domain::Communication, 1, Polarity::Negated)]
        );
        assert_eq!(
            graded("Orientācijas traucējumu nav."),
            vec![(Domain::Orientation, 0, Polarity::Negated)]
        );
        assert_eq!(
            graded("Kustības nav ierobežotas."),
            vec![(Domain::Mobility, 0, Polarity::Affirmed)]
        );
        assert_eq!(
            graded("Iespējami viegli atmiņas traucējumi."),
            vec![(Domain::Learning, 1, Polarity::Hedged)]
        );
        assert_eq!(
            graded("Uzvedība adekvāta."),
            vec![(Domain::Behaviour, 0, Polarity::Affirmed)]
        );
        // A domain without a grade says nothing.
        assert!(graded("Gaita pārbaudīta.").is_empty());
    }

    #[test]
    fn measurements_grade_their_domain() {
        let got = graded("Bartela indekss 35. EDSS 6,5.");
        assert!(
            got.contains(&(Domain::SelfCare, 3, Polarity::Affirmed)),
            "{got:?}"
        );
        assert!(
            got.contains(&(Domain::Mobility, 3, Polarity::Affirmed)),
            "{got:?}"
        );
    }
}
