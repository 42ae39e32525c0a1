//! Measurements doctors quote, with values consistent with the level of
//! limitation in the domain they measure.

use atzinums_models::Domain;
use serde::Serialize;

use crate::rng::Rng;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Measure {
    /// Walking distance without rest, metres.
    Walk,
    Barthel,
    Mmse,
    Edss,
    /// Left-ventricular ejection fraction, %.
    Ef,
    /// NYHA functional class I–IV.
    Nyha,
    /// FEV1, % of predicted.
    Fev1,
    /// eGFR, ml/min/1,73 m².
    Egfr,
    /// ECOG performance status 0–4.
    Ecog,
    Iq,
    /// Best corrected visual acuity of the better eye.
    Visus,
    /// Hearing loss of the better ear, dB.
    Hearing,
}

/// One stated measurement, as the ground truth records it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Measurement {
    pub name: &'static str,
    pub value: f64,
    pub unit: &'static str,
    /// The wording used in the document.
    pub text: String,
}

impl Measure {
    /// The domain whose level drives the value.
    pub fn domain(self) -> Domain {
        match self {
            Measure::Walk | Measure::Edss | Measure::Ef | Measure::Nyha | Measure::Fev1 => {
                Domain::Mobility
            }
            Measure::Egfr | Measure::Ecog => Domain::Mobility,
            Measure::Barthel => Domain::SelfCare,
            Measure::Mmse => Domain::Orientation,
            Measure::Iq => Domain::Learning,
            Measure::Visus => Domain::Orientation,
            Measure::Hearing => Domain::Communication,
        }
    }

    /// A value consistent with qualifier `level` (0..=4), and its wording.
    pub fn generate(self, level: u8, rng: &mut Rng) -> Measurement {
        let l = usize::from(level.min(4));
        let pick = |rng: &mut Rng, ranges: [(i64, i64); 5]| {
            let (lo, hi) = ranges[l];
            rng.range(lo, hi)
        };
        match self {
            Measure::Walk => {
                let m = pick(
                    rng,
                    [(1000, 3000), (400, 900), (150, 350), (10, 100), (0, 0)],
                );
                let m = if m >= 100 { m / 50 * 50 } else { m / 10 * 10 };
                let text = if m == 0 {
                    rng.pick(&[
                        "patstāvīgi nestaigā (0 m)",
                        "noiet nespēj, 0 m",
                        "staigāt nespēj (0 m)",
                    ])
                    .to_string()
                } else {
                    let f = rng.pick(&[
                        "bez atpūtas noiet ~{} m",
                        "spēj noiet apm. {} m",
                        "iešanas distance līdz {} m",
                        "noiet {} m, tad jāapstājas",
                        "staigājot bez apstāšanās ~{} m",
                    ]);
                    f.replace("{}", &m.to_string())
                };
                Measurement {
                    name: "walking_distance",
                    value: m as f64,
                    unit: "m",
                    text,
                }
            }
            Measure::Barthel => {
                let v = pick(rng, [(95, 100), (80, 90), (60, 75), (25, 55), (0, 20)]) / 5 * 5;
                let f = rng.pick(&[
                    "Bartela indekss {} punkti",
                    "Barthel indekss - {} p.",
                    "Bartela indekss: {}/100",
                    "pēc Bartela skalas {} punkti",
                ]);
                Measurement {
                    name: "barthel_index",
                    value: v as f64,
                    unit: "points",
                    text: f.replace("{}", &v.to_string()),
                }
            }
            Measure::Mmse => {
                let v = pick(rng, [(28, 30), (24, 27), (18, 23), (10, 17), (2, 9)]);
                let f = rng.pick(&[
                    "MMSE {} punkti",
                    "MMSE - {}/30",
                    "MMSE tests: {} p.",
                    "kognitīvais skrīnings (MMSE) {} punkti no 30",
                ]);
                Measurement {
                    name: "mmse",
                    value: v as f64,
                    unit: "points",
                    text: f.replace("{}", &v.to_string()),
                }
            }
            Measure::Edss => {
                let half = pick(rng, [(2, 5), (6, 8), (9, 11), (12, 14), (15, 18)]);
                let v = half as f64 / 2.0;
                let s = format!("{:.1}", v).replace('.', ",");
                let f = rng.pick(&["EDSS {} balles", "EDSS - {}", "EDSS: {} b.", "EDSS {}"]);
                Measurement {
                    name: "edss",
                    value: v,
                    unit: "points",
                    text: f.replace("{}", &s),
                }
            }
            Measure::Ef => {
                let v = pick(rng, [(55, 65), (45, 54), (36, 44), (25, 35), (15, 24)]);
                let f = rng.pick(&[
                    "EF {}%",
                    "KK izsviedes frakcija {}%",
                    "EhoKG: EF ~{}%",
                    "EF pēc Simpsona {}%",
                ]);
                Measurement {
                    name: "ejection_fraction",
                    value: v as f64,
                    unit: "%",
                    text: f.replace("{}", &v.to_string()),
                }
            }
            Measure::Nyha => {
                let (v, roman) = [(1, "I"), (2, "II"), (2, "II"), (3, "III"), (4, "IV")][l];
                let f = rng.pick(&["NYHA {} f.k.", "NYHA {} funkc. klase", "SM NYHA {}"]);
                Measurement {
                    name: "nyha_class",
                    value: f64::from(v),
                    unit: "class",
                    text: f.replace("{}", roman),
                }
            }
            Measure::Fev1 => {
                let v = pick(rng, [(81, 95), (65, 79), (50, 64), (30, 49), (15, 29)]);
                let f = rng.pick(&[
                    "FEV1 {}% no normas",
                    "FEV1 - {}% no paredzamā",
                    "spirogrāfijā FEV1 {}%",
                    "FEV1 {}%",
                ]);
                Measurement {
                    name: "fev1_pct_predicted",
                    value: v as f64,
                    unit: "%",
                    text: f.replace("{}", &v.to_string()),
                }
            }
            Measure::Egfr => {
                let v = pick(rng, [(60, 89), (45, 59), (30, 44), (15, 29), (5, 14)]);
                let f = rng.pick(&[
                    "eGFR {} ml/min/1,73m²",
                    "GFR (CKD-EPI) {} ml/min",
                    "eGFR - {} ml/min/1,73 m2",
                ]);
                Measurement {
                    name: "egfr",
                    value: v as f64,
                    unit: "ml/min/1.73m2",
                    text: f.replace("{}", &v.to_string()),
                }
            }
            Measure::Ecog => {
                let v = l as i64;
                let f = rng.pick(&["ECOG {}", "funkcionālais stāvoklis ECOG {}", "ECOG - {}"]);
                Measurement {
                    name: "ecog",
                    value: v as f64,
                    unit: "grade",
                    text: f.replace("{}", &v.to_string()),
                }
            }
            Measure::Iq => {
                let v = pick(rng, [(85, 105), (70, 84), (50, 69), (35, 49), (20, 34)]);
                let f = rng.pick(&[
                    "IQ {} (WISC)",
                    "intelekta koeficients {}",
                    "psihologa izvērtējumā IQ {}",
                ]);
                Measurement {
                    name: "iq",
                    value: v as f64,
                    unit: "points",
                    text: f.replace("{}", &v.to_string()),
                }
            }
            Measure::Visus => {
                let hundredths = pick(rng, [(50, 100), (30, 45), (10, 25), (5, 9), (1, 4)]);
                let v = hundredths as f64 / 100.0;
                let s = format!("{v:.2}").replace('.', ",");
                let other = format!("{:.2}", (v * 0.6).max(0.01)).replace('.', ",");
                let f = rng.pick(&[
                    "Visus OU ar korekciju {} / {}",
                    "redzes asums labākajā acī {} (otrā {})",
                    "VOD {} , VOS {} ar korekciju",
                ]);
                Measurement {
                    name: "visual_acuity_better_eye",
                    value: v,
                    unit: "decimal",
                    text: f.replacen("{}", &s, 1).replacen("{}", &other, 1),
                }
            }
            Measure::Hearing => {
                let v = pick(rng, [(10, 25), (26, 40), (41, 60), (61, 80), (81, 110)]);
                let f = rng.pick(&[
                    "audiogrammā dzirdes zudums ~{} dB",
                    "dzirdes slieksnis labākajai ausij {} dB",
                    "tonālā audiometrija: {} dB",
                ]);
                Measurement {
                    name: "hearing_loss_db",
                    value: v as f64,
                    unit: "dB",
                    text: f.replace("{}", &v.to_string()),
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_follow_levels() {
        let mut rng = Rng::new(9);
        for _ in 0..50 {
            let light = Measure::Barthel.generate(0, &mut rng).value;
            let heavy = Measure::Barthel.generate(4, &mut rng).value;
            assert!(light > heavy);
            let ef_good = Measure::Ef.generate(0, &mut rng).value;
            let ef_bad = Measure::Ef.generate(3, &mut rng).value;
            assert!(ef_good > ef_bad);
            let w = Measure::Walk.generate(4, &mut rng);
            assert_eq!(w.value, 0.0);
        }
    }
}
