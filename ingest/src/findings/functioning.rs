//! Statements about functioning per domain, with an estimated ICF-like qualifier 0..4 and their
//! polarity (affirmed, negated, hedged), from degree words and from graded measurements.
//!
//! Lexicons hold word stems of Latvian clinical usage; a statement counts when a sentence names
//! a domain AND grades it (a degree word, a negated limitation, or a measurement). Ungraded
//! mentions are left alone: guessing a level would be worse than saying nothing.

use std::sync::LazyLock;

use atzinums_models::{Domain, Qualifier};
use regex::Regex;
use serde::{Deserialize, Serialize};

use super::measurements::{self, MeasureKind};
use super::{Finding, FindingKind, provenance};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Polarity {
    Affirmed,
    /// "nav izteiktu traucējumu": a limitation is denied.
    Negated,
    /// "iespējams", "šķiet": the writer is not sure.
    Hedged,
}

/// Domain cues: stems matched at word starts.
const DOMAIN_STEMS: [(Domain, &[&str]); 6] = [
    (
        Domain::Mobility,
        &[
            "staigā",
            "staigāt",
            "pārvietoj",
            "pārvietoš",
            "kustīb",
            "kustēš",
            "gait",
            "noiet",
            "ratiņkrēsl",
            "ratiņ",
            "spieķ",
            "kruķ",
            "staigul",
            "rolator",
            "kāpņ",
            "mobilitāt",
            "balsta",
            "iešan",
            "pakustēt",
            "līdzsvar",
        ],
    ),
    (
        Domain::SelfCare,
        &[
            "pašaprūp",
            "ģērbj",
            "ģērbt",
            "apģērb",
            "mazgāj",
            "mazgāt",
            "higiēn",
            "tualet",
            "ēšan",
            "ēdien",
            "barošan",
            "kopšan",
            "sevi apkop",
            "apkalpo sevi",
            "sevis aprūp",
            "ikdienas aktivitāt",
            "ikdienas darb",
        ],
    ),
    (
        Domain::Communication,
        &[
            "runa",
            "runā",
            "runas",
            "sazinā",
            "sazināš",
            "komunik",
            "afāzij",
            "dizartrij",
            "dzird",
            "kurlum",
            "valod",
            "saziņ",
            "izteikties",
        ],
    ),
    (
        Domain::Learning,
        &[
            "mācīš",
            "mācīt",
            "atmiņ",
            "uzmanīb",
            "koncentr",
            "kognitīv",
            "domāšan",
            "intelekt",
            "apgūt",
            "apgūš",
            "izziņ",
            "garīgā attīst",
            "garīgās attīst",
        ],
    ),
    (
        Domain::Orientation,
        &[
            "orientēj",
            "orientācij",
            "orientēt",
            "apjuk",
            "dezorient",
            "redz",
            "neredz",
            "aklum",
            "vājredz",
            "laikā un vietā",
            "telpā",
        ],
    ),
    (
        Domain::Behaviour,
        &[
            "uzvedīb",
            "agresij",
            "agresīv",
            "impulsīv",
            "emocij",
            "emocionāl",
            "garastāvok",
            "pašnāvīb",
            "paškontrol",
            "konfliktē",
            "trauksm",
            "psihotisk",
            "pašsavald",
        ],
    ),
];

/// Degree cues, strongest first; the first that matches a sentence decides.
const DEGREE_STEMS: [(u8, &[&str]); 5] = [
    (
        4,
        &[
            "pilnībā atkarīg",
            "pilnīgi atkarīg",
            "nespēj",
            "nav spējīg",
            "ļoti smag",
            "guļoš",
            "gulošs",
            "pilnīg",
            "totāl",
            "neiespējam",
            "pastāvīga palīdzīb",
            "pastāvīgi nepieciešam",
            "nepārvietojas",
            "nestaigā",
            "pilnīga aprūp",
            "ļoti izteikt",
        ],
    ),
    (
        3,
        &[
            "smag",
            "izteikt",
            "ievērojam",
            "būtisk",
            "nozīmīg",
            "lielā mērā",
            "ar citas personas palīdzīb",
            "tikai ar palīdzīb",
            "ar svešu palīdzīb",
            "ratiņkrēsl",
            "stipri",
        ],
    ),
    (
        2,
        &[
            "mēren",
            "vidēj",
            "daļēj",
            "ar palīglīdzekļ",
            "ar spieķ",
            "ar kruķ",
            "ar staigul",
            "ar rolator",
            "periodiski nepieciešam",
            "mērenā",
        ],
    ),
    (
        1,
        &[
            "viegl",
            "nedaudz",
            "neliel",
            "minimāl",
            "nenozīmīg",
            "niecīg",
            "nelielā",
        ],
    ),
    (
        0,
        &[
            "bez ierobežojum",
            "nav ierobežot",
            "neierobežot",
            "patstāvīg",
            "saglabāt",
            "normā",
            "bez traucējum",
            "netraucēt",
            "bez grūtīb",
            "adekvāt",
            "neatkarīg",
            "nav traucēt",
        ],
    ),
];

/// Limitation nouns a negation can deny without a degree ("nav traucējumu").
const LIMITATION_STEMS: &[&str] = &["ierobežojum", "traucējum", "grūtīb", "problēm", "deficīt"];
/// Whole words only: a "ne-" prefix is no negation sign ("nepieciešama", "neirologs").
const NEGATIONS: &[&str] = &[
    "nav",
    "ne",
    "bez",
    "netiek",
    "nekonstatē",
    "nekonstatēti",
    "neatzīmē",
];
const HEDGES: &[&str] = &[
    "iespējam",
    "varētu",
    "šķiet",
    "domājam",
    "nevar izslēgt",
    "aizdom",
    "apšaubām",
    "iespēj",
];

static SENTENCE: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"[^.;\n!?]+(?:\.\d[^.;\n!?]*)*").expect("valid"));

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
fn stem_positions(lower: &str, starts: &[usize], stem: &str) -> Vec<usize> {
    starts
        .iter()
        .copied()
        .filter(|&s| lower[s..].starts_with(stem))
        .collect()
}

fn preceded_by_negation(lower: &str, starts: &[usize], at: usize) -> bool {
    // A negation among the two words before the cue ("nav izteiktu", "bez būtiskiem").
    let before: Vec<usize> = starts.iter().copied().filter(|&s| s < at).collect();
    before.iter().rev().take(2).any(|&s| {
        let word: String = lower[s..]
            .chars()
            .take_while(|c| c.is_alphanumeric())
            .collect();
        NEGATIONS.contains(&word.as_str())
    })
}

/// "traucējumu nav": Latvian often puts the negation after the noun.
fn followed_by_negation(lower: &str, starts: &[usize], at: usize) -> bool {
    starts.iter().copied().filter(|&s| s > at).take(2).any(|s| {
        let word: String = lower[s..]
            .chars()
            .take_while(|c| c.is_alphanumeric())
            .collect();
        matches!(word.as_str(), "nav" | "netiek" | "nekonstatē" | "neatzīmē")
    })
}

/// The qualifier and polarity a sentence expresses, if it grades something.
fn grade(lower: &str, starts: &[usize]) -> Option<(u8, Polarity)> {
    let hedged = HEDGES.iter().any(|h| lower.contains(h));
    for (level, stems) in DEGREE_STEMS {
        for stem in stems {
            if let Some(&at) = stem_positions(lower, starts, stem).first() {
                if level >= 2 && preceded_by_negation(lower, starts, at) {
                    // "nav izteiktu traucējumu": at most mild.
                    return Some((1, Polarity::Negated));
                }
                let polarity = if hedged {
                    Polarity::Hedged
                } else {
                    Polarity::Affirmed
                };
                return Some((level, polarity));
            }
        }
    }
    for stem in LIMITATION_STEMS {
        for at in stem_positions(lower, starts, stem) {
            if preceded_by_negation(lower, starts, at) || followed_by_negation(lower, starts, at) {
                return Some((0, Polarity::Negated));
            }
        }
    }
    None
}

pub fn find(page: u32, text: &str) -> Vec<Finding> {
    let mut out = Vec::new();
    for m in SENTENCE.find_iter(text) {
        let sentence = m.as_str();
        let lower = sentence.to_lowercase();
        // Lowercasing Latvian keeps byte lengths for all letters we match, so offsets carry over.
        if lower.len() != sentence.len() {
            continue;
        }
        let starts = word_starts(&lower);
        let domains: Vec<Domain> = DOMAIN_STEMS
            .iter()
            .filter(|(_, stems)| {
                stems
                    .iter()
                    .any(|s| !stem_positions(&lower, &starts, s).is_empty())
            })
            .map(|(d, _)| *d)
            .collect();
        if domains.is_empty() {
            continue;
        }
        let Some((level, polarity)) = grade(&lower, &starts) else {
            continue;
        };
        let qualifier = Qualifier::new(level).expect("levels are 0..=4");
        let trimmed = trim_range(text, m.range());
        for domain in domains {
            out.push(Finding {
                kind: FindingKind::Functioning {
                    domain,
                    qualifier,
                    polarity,
                },
                at: provenance(page, text, trimmed.clone()),
            });
        }
    }
    out.extend(from_measurements(page, text));
    out
}

fn trim_range(text: &str, range: std::ops::Range<usize>) -> std::ops::Range<usize> {
    let s = &text[range.clone()];
    let start = range.start + (s.len() - s.trim_start().len());
    let end = range.end - (s.len() - s.trim_end().len());
    start..end
}

/// Graded measurements speak for a domain by themselves (thresholds from clinical usage:
/// Barthel bands, MMSE dementia stages, EDSS ambulation steps, walking distance).
fn from_measurements(page: u32, text: &str) -> Vec<Finding> {
    measurements::find(page, text)
        .into_iter()
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
                    band(value, &[(27.0, 0), (24.0, 1), (18.0, 2), (10.0, 3)], 4),
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
                },
                at: f.at,
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
        find(1, text)
            .into_iter()
            .map(|f| match f.kind {
                FindingKind::Functioning {
                    domain,
                    qualifier,
                    polarity,
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
