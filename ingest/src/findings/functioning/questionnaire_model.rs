//! The learned reading of self-assessment questionnaires: from the answers to a domain's
//! questions, the level the form as a whole expresses for that domain.
//!
//! A single answer is a poor grade of a domain. Questions differ in difficulty (eating is easier
//! than cooking, so "can eat without difficulty" says less than "can cook without difficulty"),
//! answers scatter around the person's level, and people rate themselves differently from their
//! doctors. So each known question keeps a table of how often each answer comes with each level,
//! and a form's level for a domain is the most probable one given all its answers (naive Bayes
//! with a prior over levels).
//!
//! The tables are fitted on a decided archive, labelled by the signed decisions. A self-rating
//! may sit a level above or below the decision as a whole (the form is one person's view), so
//! the fit treats that per-form shift as hidden and estimates it with the tables
//! (expectation–maximisation over shifts −1, 0, +1). Questions the archive never asked fall back
//! to the answer's own step on the scale.

use std::collections::BTreeMap;

use atzinums_models::Domain;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::domains_in;

pub const QUESTIONNAIRE_MODEL: &str = "functioning-questionnaire";
const FORMAT: &str = "atzinums-questionnaire-model/1";
/// Per-form shifts of the self-rating against the decision that the fit considers.
const SHIFTS: [i8; 3] = [-1, 0, 1];
const EM_ROUNDS: usize = 10;
/// Pseudo-counts pulling a question's table toward the answer's own step (a question seen a
/// few times must not overrule the scale).
const SMOOTHING: f64 = 5.0;
/// A question needs this many answers in the archive to get a table of its own.
const MIN_ANSWERS: usize = 20;

/// A form's answers to known questions as (question index, its domain, answer), and the
/// decided levels.
type CodedForm<'f> = (Vec<(usize, Domain, u8)>, &'f BTreeMap<Domain, u8>);
/// An answer to a question and the decided levels of the form it is on.
type Seen<'f> = (u8, &'f BTreeMap<Domain, u8>);

/// One answered question of a training form.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AnsweredQuestion {
    pub question: String,
    pub answer: u8,
}

/// A decided case's questionnaire: its answers and the levels the signed decision gave.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TrainingForm {
    pub answers: Vec<AnsweredQuestion>,
    pub decided: BTreeMap<Domain, u8>,
}

/// A question the archive asked often enough to learn how its answers relate to levels.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct KnownQuestion {
    /// The question's comparison key (see [`question_key`]).
    pub key: String,
    pub domain: Domain,
    /// `counts[level][answer]`: fitted (fractional) counts.
    pub counts: [[f64; 5]; 5],
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct QuestionnaireModel {
    pub format: String,
    pub task: String,
    /// SHA-256 over the training forms as JSON.
    pub training_data_sha256: String,
    pub training_source: String,
    pub forms: usize,
    /// The fitted share of forms whose self-rating sits −1, 0, +1 level from the decision.
    pub shifts: Vec<(i8, f64)>,
    /// How often each level occurs on the forms (the prior).
    pub prior: [f64; 5],
    pub questions: Vec<KnownQuestion>,
}

/// What the model reads for one domain of a form.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FormReading {
    pub level: u8,
    /// Answers to questions the archive taught (the rest used the scale alone).
    pub known_answers: usize,
}

impl QuestionnaireModel {
    pub fn from_json(bytes: &[u8]) -> Result<Self, String> {
        let model: Self = serde_json::from_slice(bytes).map_err(|e| e.to_string())?;
        if model.format != FORMAT || model.task != QUESTIONNAIRE_MODEL {
            return Err(format!(
                "{} of format {:?} given where {QUESTIONNAIRE_MODEL} ({FORMAT}) was expected",
                model.task, model.format
            ));
        }
        Ok(model)
    }

    /// Fits the tables on `forms` (see the module's comment); `source` says where they came from.
    pub fn fit(forms: &[TrainingForm], source: &str) -> Self {
        let sha = Sha256::digest(serde_json::to_vec(forms).expect("forms serialise"));
        let questions = known_questions(forms);
        // Each form's answers as (question index, domain, answer), dropping unknown questions.
        let coded: Vec<CodedForm> = forms
            .iter()
            .map(|f| {
                let answers = f
                    .answers
                    .iter()
                    .filter_map(|a| {
                        let i = nearest(&questions, &a.question)?;
                        Some((i, questions[i].domain, a.answer))
                    })
                    .collect();
                (answers, &f.decided)
            })
            .collect();
        let mut model = Self {
            format: FORMAT.into(),
            task: QUESTIONNAIRE_MODEL.into(),
            training_data_sha256: format!("{sha:x}"),
            training_source: source.into(),
            forms: forms.len(),
            shifts: SHIFTS
                .iter()
                .map(|s| (*s, if *s == 0 { 0.5 } else { 0.25 }))
                .collect(),
            prior: [1.0; 5],
            questions,
        };
        // Start with tables of the decision's levels as they are and an open mind on shifts,
        // then alternate: how likely each shift is for each form given the tables and shares,
        // and tables and shares counted under those weights.
        let mut weights: Vec<[f64; 3]> = vec![[0.0, 1.0, 0.0]; coded.len()];
        for round in 0..EM_ROUNDS {
            let mut counts = vec![[[0.0; 5]; 5]; model.questions.len()];
            let mut prior = [1.0; 5];
            let mut shift_totals = [1.0; 3];
            for ((answers, decided), w) in coded.iter().zip(&weights) {
                for (s, weight) in SHIFTS.iter().zip(w) {
                    for (i, domain, answer) in answers {
                        if let Some(level) = decided.get(domain) {
                            counts[*i][usize::from(shifted(*level, *s))][usize::from(*answer)] +=
                                weight;
                        }
                    }
                    for level in decided.values() {
                        prior[usize::from(shifted(*level, *s))] += weight;
                    }
                }
                for (t, weight) in shift_totals.iter_mut().zip(w) {
                    *t += weight;
                }
            }
            for (q, c) in model.questions.iter_mut().zip(counts) {
                q.counts = c;
            }
            let total: f64 = prior.iter().sum();
            model.prior = prior.map(|p| p / total);
            if round > 0 {
                let total: f64 = shift_totals.iter().sum();
                model.shifts = SHIFTS
                    .iter()
                    .zip(shift_totals)
                    .map(|(s, t)| (*s, t / total))
                    .collect();
            }
            weights = coded
                .iter()
                .map(|(answers, decided)| model.shift_posterior(answers, decided))
                .collect();
        }
        model
    }

    /// The most probable level of one domain given a form's answers to its questions; `None`
    /// when the archive taught none of them (the scale alone is then the rules' reading).
    pub fn read(&self, answers: &[(&str, u8)]) -> Option<FormReading> {
        let known: Vec<Option<usize>> = answers
            .iter()
            .map(|(q, _)| nearest(&self.questions, q))
            .collect();
        let known_answers = known.iter().flatten().count();
        if known_answers == 0 {
            return None;
        }
        let level = (0..5u8)
            .map(|level| {
                let likelihood: f64 = answers
                    .iter()
                    .zip(&known)
                    .map(|((_, answer), q)| self.answer_probability(*q, level, *answer).ln())
                    .sum();
                (level, self.prior[usize::from(level)].ln() + likelihood)
            })
            .max_by(|a, b| a.1.total_cmp(&b.1))
            .map(|(level, _)| level)
            .expect("five levels");
        Some(FormReading {
            level,
            known_answers,
        })
    }

    /// SHA-256 of the model as JSON: its identity in a draft's provenance.
    pub fn sha256(&self) -> String {
        let json = serde_json::to_vec(self).expect("the model serialises");
        format!("{:x}", Sha256::digest(json))
    }

    /// The domain the archive taught for `question`, if it was known.
    pub fn domain_of(&self, question: &str) -> Option<Domain> {
        nearest(&self.questions, question).map(|i| self.questions[i].domain)
    }

    /// P(answer | level) for a known question (smoothed toward the scale), or the scale alone.
    fn answer_probability(&self, question: Option<usize>, level: u8, answer: u8) -> f64 {
        let scale = |a: u8| match level.abs_diff(a) {
            0 => 0.6,
            1 => 0.2,
            _ => 0.01,
        };
        let scale_total: f64 = (0..5).map(scale).sum();
        match question {
            Some(i) => {
                let row = &self.questions[i].counts[usize::from(level)];
                let n: f64 = row.iter().sum();
                (row[usize::from(answer)] + SMOOTHING * scale(answer))
                    / (n + SMOOTHING * scale_total)
            }
            None => scale(answer) / scale_total,
        }
    }

    /// How likely each shift is for a training form, given the current tables.
    fn shift_posterior(
        &self,
        answers: &[(usize, Domain, u8)],
        decided: &BTreeMap<Domain, u8>,
    ) -> [f64; 3] {
        let log: Vec<f64> = self
            .shifts
            .iter()
            .map(|(s, share)| {
                share.ln()
                    + answers
                        .iter()
                        .filter_map(|(i, domain, answer)| {
                            let level = shifted(*decided.get(domain)?, *s);
                            Some(self.answer_probability(Some(*i), level, *answer).ln())
                        })
                        .sum::<f64>()
            })
            .collect();
        let max = log.iter().copied().fold(f64::NEG_INFINITY, f64::max);
        let exp: Vec<f64> = log.iter().map(|l| (l - max).exp()).collect();
        let total: f64 = exp.iter().sum();
        [exp[0] / total, exp[1] / total, exp[2] / total]
    }
}

/// `level` moved by `shift`, kept on the 0..=4 scale.
fn shifted(level: u8, shift: i8) -> u8 {
    (i16::from(level) + i16::from(shift)).clamp(0, 4) as u8
}

/// Questions asked at least [`MIN_ANSWERS`] times, each with its domain: the one the lexicon
/// names, else the one whose decided levels its answers follow most closely.
fn known_questions(forms: &[TrainingForm]) -> Vec<KnownQuestion> {
    let mut by_key: BTreeMap<String, (String, Vec<Seen>)> = BTreeMap::new();
    for form in forms {
        for a in &form.answers {
            by_key
                .entry(question_key(&a.question))
                .or_insert_with(|| (a.question.to_lowercase(), Vec::new()))
                .1
                .push((a.answer, &form.decided));
        }
    }
    by_key
        .into_iter()
        .filter(|(_, (_, seen))| seen.len() >= MIN_ANSWERS)
        .filter_map(|(key, (question, seen))| {
            let named = domains_in(&question);
            let domain = match named.as_slice() {
                [d] => *d,
                _ => closest_domain(&seen)?,
            };
            Some(KnownQuestion {
                key,
                domain,
                counts: [[0.0; 5]; 5],
            })
        })
        .collect()
}

/// The domain whose decided level the answers are closest to on average (within one level).
fn closest_domain(seen: &[Seen]) -> Option<Domain> {
    Domain::ALL
        .iter()
        .filter_map(|d| {
            let gaps: Vec<f64> = seen
                .iter()
                .filter_map(|(a, decided)| Some(f64::from(a.abs_diff(*decided.get(d)?))))
                .collect();
            (!gaps.is_empty()).then(|| (*d, gaps.iter().sum::<f64>() / gaps.len() as f64))
        })
        .filter(|(_, gap)| *gap < 1.0)
        .min_by(|a, b| a.1.total_cmp(&b.1))
        .map(|(d, _)| d)
}

/// A question's comparison key: lower case, Latvian diacritics folded, letters and digits only,
/// so the same question typed with small slips or wrapped differently still matches.
pub fn question_key(question: &str) -> String {
    let folded: String = question
        .to_lowercase()
        .chars()
        .map(|c| match c {
            'ā' => 'a',
            'č' => 'c',
            'ē' => 'e',
            'ģ' => 'g',
            'ī' => 'i',
            'ķ' => 'k',
            'ļ' => 'l',
            'ņ' => 'n',
            'š' => 's',
            'ū' => 'u',
            'ž' => 'z',
            c if c.is_alphanumeric() => c,
            _ => ' ',
        })
        .collect();
    folded.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// The known question that `question` is: the same key, else the closest within a few typing
/// slips (one per twelve characters).
fn nearest(known: &[KnownQuestion], question: &str) -> Option<usize> {
    let key = question_key(question);
    if let Some(i) = known.iter().position(|q| q.key == key) {
        return Some(i);
    }
    let slack = (key.chars().count() / 12).max(1);
    known
        .iter()
        .enumerate()
        .map(|(i, q)| (edit_distance(&q.key, &key), i))
        .filter(|(d, _)| *d <= slack)
        .min_by_key(|(d, _)| *d)
        .map(|(_, i)| i)
}

fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut diagonal = row[0];
        row[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let above = row[j + 1];
            row[j + 1] = (above + 1)
                .min(row[j] + 1)
                .min(diagonal + usize::from(ca != *cb));
            diagonal = above;
        }
    }
    row[b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    const EAT: &str = "Vai Jūs varat patstāvīgi paēst?";
    const COOK: &str = "Vai Jūs varat pagatavot ēdienu un veikt mājas darbus?";

    /// Forms of people at self-care `level` who find eating a level easier and cooking a level
    /// harder than their level, with every third form rated a level worse than the decision.
    fn forms() -> Vec<TrainingForm> {
        (0..250u8)
            .map(|i| {
                let decided = i % 5;
                let rated = if i % 3 == 0 {
                    (decided + 1).min(4)
                } else {
                    decided
                };
                TrainingForm {
                    answers: vec![
                        AnsweredQuestion {
                            question: EAT.into(),
                            answer: rated.saturating_sub(1),
                        },
                        AnsweredQuestion {
                            question: COOK.into(),
                            answer: (rated + 1).min(4),
                        },
                    ],
                    decided: [(Domain::SelfCare, decided)].into(),
                }
            })
            .collect()
    }

    #[test]
    fn learns_question_difficulty_and_the_self_rating_shift() {
        let model = QuestionnaireModel::fit(&forms(), "test");
        assert_eq!(model.questions.len(), 2);
        let up = model.shifts.iter().find(|(s, _)| *s == 1).unwrap().1;
        assert!((0.25..0.45).contains(&up), "{:?}", model.shifts);
        // Eating with slight difficulty and cooking with help: the form says level 2, though
        // neither answer alone is a 2.
        let reading = model.read(&[(EAT, 1), (COOK, 3)]).unwrap();
        assert_eq!(reading.level, 2);
        assert_eq!(reading.known_answers, 2);
        // A slip of the keyboard still finds the question.
        let typo = "Vai Jūs varat patstāvīgi paēt?";
        assert_eq!(model.read(&[(typo, 2)]).unwrap().level, 3);
        // Questions the archive never asked leave the grade to the rules.
        assert_eq!(model.read(&[("Vai Jūs varat dziedāt?", 2)]), None);
        let json = serde_json::to_vec(&model).unwrap();
        assert_eq!(QuestionnaireModel::from_json(&json).unwrap(), model);
    }

    #[test]
    fn a_question_without_a_domain_word_takes_the_domain_its_answers_follow() {
        let forms: Vec<TrainingForm> = (0..60u8)
            .map(|i| TrainingForm {
                answers: vec![AnsweredQuestion {
                    question: "Vai Jūs varat strādāt savā darbā?".into(),
                    answer: i % 5,
                }],
                decided: [(Domain::Mobility, i % 5), (Domain::Learning, 4 - i % 5)].into(),
            })
            .collect();
        let model = QuestionnaireModel::fit(&forms, "test");
        assert_eq!(
            model.domain_of("Vai Jūs varat strādāt savā darbā?"),
            Some(Domain::Mobility)
        );
    }

    #[test]
    fn keys_fold_case_diacritics_and_spacing() {
        assert_eq!(
            question_key("Vai Jūs  varat\nuzkāpt pa kāpnēm?"),
            "vai jus varat uzkapt pa kapnem"
        );
        assert_eq!(edit_distance("kapnem", "kapem"), 1);
    }
}
