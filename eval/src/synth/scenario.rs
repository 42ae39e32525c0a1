//! The latent case: who applies, for what, with which condition, and how
//! the person really functions. Documents and the decision are derived from
//! this; the ground truth records it.

use atzinums_models::{ApplicationKind, Channel, Domain, OpinionKind, RepresentativeRole, Sex};
use chrono::{Datelike, Duration, NaiveDate};

use super::diagnoses::{DIAGNOSES, Diagnosis, Reversibility};
use super::lang::add_months;
use super::people;
use crate::rng::Rng;

/// Domains in the order of `Diagnosis::profile`.
pub const DOMAINS: [Domain; 6] = [
    Domain::Learning,
    Domain::Communication,
    Domain::Orientation,
    Domain::Mobility,
    Domain::SelfCare,
    Domain::Behaviour,
];

pub fn idx(d: Domain) -> usize {
    DOMAINS.iter().position(|x| *x == d).unwrap_or(0)
}

#[derive(Debug, Clone)]
pub struct Scenario {
    pub index: usize,
    pub case_id: String,
    pub kind: ApplicationKind,
    pub submitted: NaiveDate,
    pub decided: NaiveDate,
    pub channel: Channel,
    pub birth: NaiveDate,
    /// Age on the decision date.
    pub age: u32,
    pub sex: Sex,
    pub region: &'static str,
    pub diag: &'static Diagnosis,
    pub secondary: Vec<&'static str>,
    /// How the person really functions (qualifiers 0..=4).
    pub profile: [u8; 6],
    pub treatment_start: NaiveDate,
    pub requested: Vec<OpinionKind>,
    pub representative: Option<RepresentativeRole>,
    /// A domain on which two documents contradict each other, with the
    /// level the contradicting document states.
    pub contradiction: Option<(Domain, u8)>,
    /// An adult whose self-assessment was not supplied.
    pub missing_self_assessment: bool,
    /// The condition stems from an accident at work.
    pub at_work: bool,
}

impl Scenario {
    pub fn child(&self) -> bool {
        self.age < 18
    }
    pub fn pensioner(&self) -> bool {
        self.age >= 65
    }
    pub fn female(&self) -> bool {
        self.sex == Sex::F || (self.sex == Sex::X && self.index.is_multiple_of(2))
    }
    pub fn level(&self, d: Domain) -> u8 {
        self.profile[idx(d)]
    }
    pub fn max_level(&self) -> u8 {
        self.profile.iter().copied().max().unwrap_or(0)
    }
    pub fn months_treated(&self) -> i64 {
        let d = self.submitted - self.treatment_start;
        d.num_days() / 30
    }
}

/// Draws the latent case number `index`; `number` goes into its id.
pub fn draw(index: usize, number: usize, rng: &mut Rng) -> Scenario {
    let year = *rng.weighted(&[
        (2016, 6.0),
        (2017, 7.0),
        (2018, 8.0),
        (2019, 9.0),
        (2020, 9.0),
        (2021, 10.0),
        (2022, 11.0),
        (2023, 12.0),
        (2024, 13.0),
        (2025, 13.0),
        (2026, 9.0),
    ]);
    let day_of_year = rng.range(0, if year == 2026 { 300 } else { 364 });
    let submitted =
        NaiveDate::from_ymd_opt(year, 1, 1).unwrap_or_default() + Duration::days(day_of_year);
    let decided =
        submitted + Duration::days(rng.range(6, 38) + if rng.chance(0.08) { 40 } else { 0 });

    let (lo, hi) = *rng.weighted(AGE_BANDS_W);
    let age_target = rng.range(i64::from(lo), i64::from(hi)) as i32;
    let birth = NaiveDate::from_ymd_opt(decided.year() - age_target, 1, 1).unwrap_or_default()
        + Duration::days(rng.range(0, 364));
    let birth = if birth > decided - Duration::days(400) {
        decided - Duration::days(400)
    } else {
        birth
    };
    let age = atzinums_models::age_on(birth, decided);
    let sex = *rng.weighted(&[(Sex::F, 53.0), (Sex::M, 46.8), (Sex::X, 0.2)]);
    let region = *rng.weighted(people::REGIONS);
    let working_age = (18..65).contains(&age) && atzinums_models::age_on(birth, submitted) >= 18;
    let mut kind = people::kind(rng, working_age);
    if kind == ApplicationKind::DisabilityRepeat && age < 2 {
        kind = ApplicationKind::DisabilityFirst;
    }

    let female = sex == Sex::F || (sex == Sex::X && index.is_multiple_of(2));
    let diag = pick_diagnosis(rng, age, female, kind);

    // Treatment so far. Predicted disability follows 26 weeks of sick leave.
    let months = match kind {
        ApplicationKind::PredictedDisability => rng.range(6, 8),
        _ => {
            let (a, b) = diag.treat_months;
            let mut m = rng.range(i64::from(a), i64::from(b));
            if kind == ApplicationKind::DisabilityRepeat {
                m = m.max(14);
            }
            m
        }
    };
    let max_months = i64::from(age) * 12 + 2;
    let months = months.min(max_months).max(1) as i32;
    let treatment_start = add_months(submitted, -months) - Duration::days(rng.range(0, 25));
    let treatment_start = treatment_start.max(birth);

    let profile = draw_profile(diag, rng, age);
    let mut secondary: Vec<&'static str> = Vec::new();
    let n_secondary = *rng.weighted(&[(0usize, 25.0), (1, 40.0), (2, 25.0), (3, 10.0)]);
    let mut pool: Vec<&'static str> = diag.comorbid.to_vec();
    rng.shuffle(&mut pool);
    for c in pool.into_iter().take(n_secondary) {
        secondary.push(c);
    }

    let mut requested = Vec::new();
    let p = |d: Domain| profile[idx(d)];
    let child = age < 18;
    let examination = kind != ApplicationKind::CertificateDuplicate;
    if examination {
        let heavy =
            p(Domain::SelfCare) >= 3 || p(Domain::Behaviour) >= 3 || p(Domain::Mobility) == 4;
        if rng.chance(if heavy { 0.35 } else { 0.015 }) {
            requested.push(OpinionKind::SpecialCare);
        }
        let mob = p(Domain::Mobility);
        let tp = match mob {
            4 | 3 => 0.55,
            2 => 0.15,
            _ => 0.02,
        };
        if age >= 2 && rng.chance(tp) {
            requested.push(OpinionKind::Transport);
        }
        if child && (5..18).contains(&age) && profile.iter().any(|&q| q >= 2) && rng.chance(0.35) {
            requested.push(OpinionKind::Escort);
        }
        if (mob >= 2 || p(Domain::SelfCare) >= 2) && rng.chance(0.1) {
            requested.push(OpinionKind::TechnicalAids);
        }
    }
    let needs_curator =
        p(Domain::Orientation) >= 3 || p(Domain::Behaviour) >= 4 || p(Domain::Learning) >= 3;
    let representative = people::representative_role(rng, child, needs_curator);
    let channel = people::channel(rng, age);

    let contradiction = (examination && rng.chance(0.07)).then(|| {
        // A domain the condition touches, stated two levels away.
        let candidates: Vec<Domain> = DOMAINS
            .iter()
            .copied()
            .filter(|d| profile[idx(*d)] > 0 || diag.profile[idx(*d)] > 0)
            .collect();
        let d = if candidates.is_empty() {
            Domain::Mobility
        } else {
            *rng.pick(&candidates)
        };
        let q = profile[idx(d)];
        let other = if q >= 2 { q - 2 } else { q + 2 };
        (d, other)
    });
    let missing_self_assessment = !child && examination && rng.chance(0.03);
    let at_work = diag.cause == super::diagnoses::CauseHint::Trauma && !child && rng.chance(0.3);

    Scenario {
        index,
        case_id: format!("C-{}-{number:06}", submitted.year()),
        kind,
        submitted,
        decided,
        channel,
        birth,
        age,
        sex,
        region,
        diag,
        secondary,
        profile,
        treatment_start,
        requested,
        representative,
        contradiction,
        missing_self_assessment,
        at_work,
    }
}

const AGE_BANDS_W: &[((u32, u32), f64)] = people::AGE_BANDS;

fn pick_diagnosis(
    rng: &mut Rng,
    age: u32,
    female: bool,
    kind: ApplicationKind,
) -> &'static Diagnosis {
    let fits = |d: &Diagnosis| {
        let (lo, hi) = d.ages;
        (u32::from(lo)..=u32::from(hi)).contains(&age)
            && (d.sex == ' ' || (d.sex == 'F') == female)
            && (kind != ApplicationKind::PredictedDisability
                || d.reversibility != Reversibility::Irreversible
                || d.treat_months.0 < 12)
    };
    let options: Vec<(&'static Diagnosis, f64)> = DIAGNOSES
        .iter()
        .filter(|d| fits(d))
        .map(|d| {
            // Childhood conditions dominate among children.
            let boost = if age < 18 && d.ages.0 < 10 { 4.0 } else { 1.0 };
            (d, d.weight * boost)
        })
        .collect();
    if options.is_empty() {
        return &DIAGNOSES[0];
    }
    let chosen: &&'static Diagnosis = rng.weighted(&options);
    chosen
}

fn draw_profile(diag: &Diagnosis, rng: &mut Rng, age: u32) -> [u8; 6] {
    let shift = *rng.weighted(&[(-1i8, 0.32), (0, 0.45), (1, 0.23)]);
    let mut out = [0u8; 6];
    for (i, &base) in diag.profile.iter().enumerate() {
        let mut q = i16::from(base);
        if base > 0 {
            q += i16::from(shift);
            if rng.chance(0.2) {
                q += if rng.chance(0.5) { 1 } else { -1 };
            }
        } else if rng.chance(0.08) {
            q = 1;
        }
        out[i] = q.clamp(0, 4) as u8;
    }
    // Very young children are not judged on learning or communication yet.
    if age < 3 {
        out[0] = out[0].min(2);
        out[1] = out[1].min(2);
    }
    out
}

/// The level one document states for a domain: the true level, now and then
/// one step off (ordinary disagreement), or the contradiction.
pub fn stated_level(s: &Scenario, d: Domain, contradicting: bool, rng: &mut Rng) -> u8 {
    if contradicting
        && let Some((cd, q)) = s.contradiction
        && cd == d
    {
        return q;
    }
    let q = s.level(d);
    if rng.chance(0.08) {
        if q == 0 {
            1
        } else if q == 4 || rng.chance(0.5) {
            q - 1
        } else {
            q + 1
        }
    } else {
        q
    }
}
