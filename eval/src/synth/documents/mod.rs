//! The documents of a case, written in Latvian the way doctors write them.
//! Each builder fills a [`Doc`]: structured text plus what it states (the
//! ground truth for ingestion), which the renderers lay out as text, PDF or
//! DOCX.

pub mod application;
pub mod common;
pub mod discharge;
pub mod investigations;
pub mod opinion_text;
pub mod predicted;
pub mod referral;
pub mod self_assessment;
pub mod social_care;
pub mod specialist;

use std::collections::BTreeMap;

use atzinums_models::{ApplicationKind, DecisionJson, DocumentKind, Domain};
use chrono::{Duration, NaiveDate};

use super::lang::Subject;
use super::measures::Measurement;
use super::scenario::Scenario;
use crate::rng::Rng;

/// One block of a document body.
#[derive(Debug, Clone, PartialEq)]
pub enum Block {
    Heading(String),
    Para(String),
    /// "Label: value" on one line.
    Field(String, String),
}

/// A document before layout.
#[derive(Debug, Clone)]
pub struct Doc {
    pub kind: DocumentKind,
    /// File name stem, e.g. "referral-088u".
    pub slug: &'static str,
    pub issued: NaiveDate,
    pub header: Vec<String>,
    pub title: String,
    pub blocks: Vec<Block>,
    /// Lines after the body (doctor, date, signature).
    pub footer: Vec<String>,
    pub icd_main: Option<String>,
    pub icd_secondary: Vec<String>,
    pub functioning: BTreeMap<Domain, u8>,
    pub measurements: Vec<Measurement>,
    pub treatment_start: Option<NaiveDate>,
    pub mentions_previous: bool,
    /// This document carries the case's contradicting statement.
    pub contradicting: bool,
    /// 0 clean, 1 light, 2 heavy typing noise.
    pub noise: u8,
    /// Words may be hyphenated across line ends.
    pub hyphenate: bool,
}

impl Doc {
    pub fn new(kind: DocumentKind, slug: &'static str, issued: NaiveDate, rng: &mut Rng) -> Doc {
        Doc {
            kind,
            slug,
            issued,
            header: Vec::new(),
            title: String::new(),
            blocks: Vec::new(),
            footer: Vec::new(),
            icd_main: None,
            icd_secondary: Vec::new(),
            functioning: BTreeMap::new(),
            measurements: Vec::new(),
            treatment_start: None,
            mentions_previous: false,
            contradicting: false,
            noise: *rng.weighted(&[(0u8, 0.45), (1, 0.4), (2, 0.15)]),
            hyphenate: rng.chance(0.3),
        }
    }
    pub fn heading(&mut self, s: impl Into<String>) {
        self.blocks.push(Block::Heading(s.into()));
    }
    pub fn para(&mut self, s: impl Into<String>) {
        let s = s.into();
        if !s.trim().is_empty() {
            self.blocks.push(Block::Para(s));
        }
    }
    pub fn field(&mut self, k: impl Into<String>, v: impl Into<String>) {
        self.blocks.push(Block::Field(k.into(), v.into()));
    }
}

/// What every builder needs to know about the case.
pub struct Ctx<'a> {
    pub s: &'a Scenario,
    pub prev: Option<&'a DecisionJson>,
    pub subject: Subject,
    /// How documents name the person (pseudonym or personal code).
    pub person_label: String,
    /// The treating GP: practice, doctor.
    pub gp_practice: String,
    pub gp: String,
    pub gp_id: String,
}

/// All documents of a case, in the order they are listed, plus the
/// social-care score when an assessment was supplied.
pub fn build(ctx: &Ctx<'_>, rng: &mut Rng) -> (Vec<Doc>, Option<u8>) {
    let s = ctx.s;
    let mut docs = Vec::new();
    let mut score = None;
    if s.kind == ApplicationKind::CertificateDuplicate {
        docs.push(application::duplicate(ctx, rng));
        return (docs, None);
    }
    if s.kind == ApplicationKind::Contest {
        docs.push(application::contest(ctx, rng));
    }
    // Which document carries a contradiction: a specialist or the discharge.
    let mut want_specialists = *rng.weighted(&[(0usize, 0.25), (1, 0.55), (2, 0.2)]);
    let mut want_discharge = rng.chance(if s.diag.treat_months.0 < 8 { 0.8 } else { 0.45 });
    if s.contradiction.is_some() && want_specialists == 0 && !want_discharge {
        want_specialists = 1;
    }
    let contradict_in_discharge = want_discharge && (want_specialists == 0 || rng.chance(0.4));
    if s.contradiction.is_some() && !want_discharge && want_specialists == 0 {
        want_discharge = true;
    }

    docs.push(referral::build(ctx, rng));
    if want_discharge {
        let c = s.contradiction.is_some() && contradict_in_discharge;
        docs.push(discharge::build(ctx, c, rng));
    }
    for i in 0..want_specialists {
        let c = s.contradiction.is_some() && !contradict_in_discharge && i == 0;
        docs.push(specialist::build(ctx, i, c, rng));
    }
    if rng.chance(0.25) {
        docs.push(if investigations::by_imaging(s.diag.specialty) {
            investigations::imaging(ctx, rng)
        } else {
            investigations::lab(ctx, rng)
        });
    }
    if s.age >= 18 && !s.missing_self_assessment {
        docs.push(self_assessment::build(ctx, rng));
    }
    if s.age >= 18
        && s.requested
            .contains(&atzinums_models::OpinionKind::SpecialCare)
        && rng.chance(0.9)
    {
        let (d, sc) = social_care::build(ctx, rng);
        score = Some(sc);
        docs.push(d);
    }
    if s.kind == ApplicationKind::PredictedDisability {
        docs.push(predicted::rehabilitation_plan(ctx, rng));
        docs.push(predicted::sick_leave_b(ctx, rng));
    }
    // Nothing may be issued after the application or before birth.
    for d in &mut docs {
        if d.issued > s.submitted {
            d.issued = s.submitted;
        }
        if d.issued < s.birth {
            d.issued = s.birth + Duration::days(1);
        }
    }
    (docs, score)
}
