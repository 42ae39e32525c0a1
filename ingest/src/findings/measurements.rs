//! Measurements that grade functioning: Barthel index, MMSE, EDSS, ejection fraction, FEV1,
//! eGFR and walking distance, with their units. Decimal commas are Latvian usage.

use std::sync::LazyLock;

use regex::Regex;
use serde::{Deserialize, Serialize};

use super::{Finding, FindingKind, provenance};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MeasureKind {
    Barthel,
    Mmse,
    Edss,
    EjectionFraction,
    Fev1,
    Egfr,
    WalkingDistance,
}

struct Pattern {
    kind: MeasureKind,
    regex: Regex,
    /// Unit when the text gives none or a fixed one.
    unit: &'static str,
    valid: fn(f64) -> bool,
}

const SEP: &str = r"\s*(?:[:=\-–]|ir|bija|sastāda)?\s*(?:~|ap\.\s*|aptuveni\s+|līdz\s+)?";

static PATTERNS: LazyLock<Vec<Pattern>> = LazyLock::new(|| {
    let p = |kind, re: String, unit, valid: fn(f64) -> bool| Pattern {
        kind,
        regex: Regex::new(&re).expect("valid measurement pattern"),
        unit,
        valid,
    };
    vec![
        p(MeasureKind::Barthel, format!(r"(?i)\bbart(?:h)?el\p{{L}}*(?:\s+indeks\p{{L}}*)?(?:\s+pēc\s+\p{{L}}+)?{SEP}(\d{{1,3}})(?:\s*/\s*100)?"), "points", |v| v <= 100.0),
        p(MeasureKind::Mmse, format!(r"(?i)\bMMSE(?:\s+tests?)?{SEP}(\d{{1,2}})(?:\s*/\s*30)?"), "points", |v| v <= 30.0),
        p(MeasureKind::Edss, format!(r"(?i)\bEDSS(?:\s+skalā)?{SEP}(\d{{1,2}}(?:[.,]\d)?)"), "points", |v| v <= 10.0),
        p(
            MeasureKind::EjectionFraction,
            format!(r"(?i)(?:\bLVEF|\bEF|izsviedes frakcija|kreisā kambara izsviede)(?:\s*\(?EF\)?)?{SEP}(\d{{1,2}})\s*%"),
            "%",
            |v| (5.0..=90.0).contains(&v),
        ),
        p(MeasureKind::Fev1, format!(r"(?i)\bFEV\s?1\b{SEP}(\d{{1,3}}(?:[.,]\d+)?)\s*(%|l\b)"), "", |v| v <= 200.0),
        p(
            MeasureKind::Egfr,
            format!(r"(?i)\be?GFR\b(?:\s*\(CKD-EPI\))?{SEP}(\d{{1,3}}(?:[.,]\d+)?)(?:\s*ml\s*/\s*min(?:\s*/\s*1[.,]73\s*m[2²])?)?"),
            "ml/min/1.73m²",
            |v| v <= 200.0,
        ),
        p(
            MeasureKind::WalkingDistance,
            r"(?i)\b(?:noiet|nostaigā\p{L}*|staigā\p{L}*|pārvietoj\p{L}*|iziet|noej\p{L}*|iešanas tests\p{L}*|iet)\b[^.\n\d]{0,40}?(\d{1,4}(?:,\d)?)\s*(m|metr\p{L}*|km)\b".to_string(),
            "",
            |v| v <= 20_000.0,
        ),
    ]
});

fn number(s: &str) -> Option<f64> {
    s.replace(',', ".").parse().ok()
}

pub fn find(page: u32, text: &str) -> Vec<Finding> {
    let mut out = Vec::new();
    for pattern in PATTERNS.iter() {
        for c in pattern.regex.captures_iter(text) {
            let Some(mut value) = c.get(1).and_then(|v| number(v.as_str())) else {
                continue;
            };
            let mut unit = pattern.unit.to_string();
            if let Some(u) = c.get(2) {
                let u = u.as_str().to_lowercase();
                unit = match (pattern.kind, u.as_str()) {
                    (MeasureKind::WalkingDistance, "km") => {
                        value *= 1000.0;
                        "m".into()
                    }
                    (MeasureKind::WalkingDistance, _) => "m".into(),
                    (_, "%") => "%".into(),
                    (_, _) => "l".into(),
                };
            }
            if !(pattern.valid)(value) {
                continue;
            }
            let whole = c.get(0).expect("match");
            out.push(Finding {
                kind: FindingKind::Measurement {
                    measure: pattern.kind,
                    value,
                    unit,
                },
                at: provenance(page, text, whole.range()),
            });
        }
    }
    out.sort_by_key(|f| f.at.start);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn measures(text: &str) -> Vec<(MeasureKind, f64, String)> {
        find(1, text)
            .into_iter()
            .map(|f| match f.kind {
                FindingKind::Measurement {
                    measure,
                    value,
                    unit,
                } => (measure, value, unit),
                _ => unreachable!(),
            })
            .collect()
    }

    #[test]
    fn reads_clinical_measurements_with_units() {
        let text = "Bartela indekss 45/100. MMSE – 18/30 punkti. EDSS 6,5. EhoKG: LVEF 35 %. \
                    Spirometrija: FEV1 1,2 l, FEV1 48%. eGFR 28 ml/min/1,73 m2. Spēj noiet ap 150 m ar spieķi; \
                    6 min iešanas tests 0,3 km.";
        let got = measures(text);
        assert_eq!(got[0], (MeasureKind::Barthel, 45.0, "points".into()));
        assert_eq!(got[1], (MeasureKind::Mmse, 18.0, "points".into()));
        assert_eq!(got[2], (MeasureKind::Edss, 6.5, "points".into()));
        assert_eq!(got[3], (MeasureKind::EjectionFraction, 35.0, "%".into()));
        assert_eq!(got[4], (MeasureKind::Fev1, 1.2, "l".into()));
        assert_eq!(got[5], (MeasureKind::Fev1, 48.0, "%".into()));
        assert_eq!(got[6], (MeasureKind::Egfr, 28.0, "ml/min/1.73m²".into()));
        assert_eq!(got[7], (MeasureKind::WalkingDistance, 150.0, "m".into()));
        assert_eq!(got.len(), 9, "{got:?}");
    }

    #[test]
    fn out_of_range_values_are_not_measurements() {
        assert!(measures("MMSE 45, Barthel 250, EDSS 14").is_empty());
    }
}
