//! Latvian labels of the vocabulary, for drafts, pages and summaries. One place, so a draft, the
//! expert's page and a precedent's summary name things the same way.

use crate::{
    ApplicationKind, Cause, DocumentKind, Domain, OpinionKind, Outcome, RepresentativeRole, Term,
};

impl ApplicationKind {
    pub fn latvian(self) -> &'static str {
        match self {
            ApplicationKind::DisabilityFirst => "pirmreizēja invaliditātes ekspertīze",
            ApplicationKind::DisabilityRepeat => "atkārtota invaliditātes ekspertīze",
            ApplicationKind::PredictedDisability => "prognozējama invaliditāte",
            ApplicationKind::Contest => "lēmuma apstrīdēšana",
            ApplicationKind::CertificateDuplicate => "apliecības dublikāts",
            ApplicationKind::OpinionOnly => "atzinums",
            ApplicationKind::MyData => "savu datu pieprasījums",
        }
    }
}

impl Domain {
    pub fn latvian(self) -> &'static str {
        match self {
            Domain::Learning => "mācīšanās",
            Domain::Communication => "saziņa",
            Domain::Orientation => "orientēšanās",
            Domain::Mobility => "pārvietošanās",
            Domain::SelfCare => "pašaprūpe",
            Domain::Behaviour => "uzvedības kontrole",
        }
    }
}

impl Outcome {
    pub fn latvian(self) -> &'static str {
        match self {
            Outcome::GroupI => "I grupas invaliditāte",
            Outcome::GroupII => "II grupas invaliditāte",
            Outcome::GroupIII => "III grupas invaliditāte",
            Outcome::ChildDisability => "bērns ar invaliditāti",
            Outcome::PredictedDisability => "prognozējama invaliditāte",
            Outcome::None => "invaliditāte netiek noteikta",
            Outcome::Premature => {
                "ekspertīze vēl netiek veikta: nav 6 mēnešu nepārtrauktas ārstēšanas"
            }
            Outcome::Incomplete => "ekspertīze netiek pabeigta: trūkst dokumentu",
        }
    }
}

impl DocumentKind {
    pub fn latvian(self) -> &'static str {
        match self {
            DocumentKind::Referral088u => "nosūtījums (veidlapa 088/u)",
            DocumentKind::DischargeSummary => "izraksts no slimības vēstures",
            DocumentKind::SpecialistOpinion => "speciālista atzinums",
            DocumentKind::SelfAssessment => "funkcionālo spēju pašnovērtējuma anketa",
            DocumentKind::FunctioningAssessment => "pašaprūpes un mobilitātes novērtējums",
            DocumentKind::LabResult => "laboratorisko izmeklējumu rezultāti",
            DocumentKind::Imaging => "radioloģiskā izmeklējuma apraksts",
            DocumentKind::RehabilitationPlan => "individuālais rehabilitācijas plāns",
            DocumentKind::SickLeaveB => "darbnespējas lapa B",
            DocumentKind::SocialCareAssessment => "sociālā darbinieka izvērtējums",
            DocumentKind::Other => "cits dokuments",
        }
    }
}

impl Cause {
    pub fn latvian(self) -> &'static str {
        match self {
            Cause::GeneralIllness => "vispārēja saslimšana",
            Cause::OccupationalDisease => "arodslimība",
            Cause::WorkplaceAccident => "nelaimes gadījums darbā",
            Cause::Childhood => "invaliditāte kopš bērnības",
            Cause::Other => "cits cēlonis",
        }
    }
}

impl OpinionKind {
    pub fn latvian(self) -> &'static str {
        match self {
            OpinionKind::SpecialCare => "īpašas kopšanas nepieciešamība",
            OpinionKind::Transport => "transporta izdevumu kompensācija",
            OpinionKind::Escort => "pavadoņa nepieciešamība",
            OpinionKind::TechnicalAids => "tehniskie palīglīdzekļi",
        }
    }
}

impl RepresentativeRole {
    pub fn latvian(self) -> &'static str {
        match self {
            RepresentativeRole::Parent => "vecāks",
            RepresentativeRole::Guardian => "aizbildnis",
            RepresentativeRole::Curator => "aizgādnis",
            RepresentativeRole::Authorised => "pilnvarota persona",
        }
    }
}

impl Term {
    pub fn latvian(self) -> String {
        match self {
            Term::Lifelong => "uz mūžu".into(),
            Term::UntilEighteen => "līdz 18 gadu vecumam".into(),
            Term::Months(m) => match m.get() {
                12 => "uz 1 gadu".into(),
                24 => "uz 2 gadiem".into(),
                60 => "uz 5 gadiem".into(),
                n => format!("uz {n} mēnešiem"),
            },
        }
    }
}
