//! People and applications in realistic shares: ages, sexes, regions,
//! kinds, channels, representatives, requested opinions; institutions and
//! doctors (all synthetic).

use atzinums_models::{ApplicationKind, Channel, RepresentativeRole};

use crate::rng::Rng;

/// Regions of Latvia (`atzinums_models::REGIONS`) with shares of applications.
pub const REGIONS: &[(&str, f64)] = &[
    ("Rīga", 31.0),
    ("Pierīga", 19.0),
    ("Kurzeme", 13.0),
    ("Zemgale", 12.0),
    ("Vidzeme", 10.5),
    ("Latgale", 14.5),
];

/// Age bands at application, with shares.
pub const AGE_BANDS: &[((u32, u32), f64)] = &[
    ((1, 6), 5.0),
    ((7, 12), 5.5),
    ((13, 17), 4.5),
    ((18, 29), 4.0),
    ((30, 39), 6.0),
    ((40, 49), 11.0),
    ((50, 64), 42.0),
    ((65, 75), 15.0),
    ((76, 92), 7.0),
];

/// Kinds of application for a person of working age or a child/pensioner.
pub fn kind(rng: &mut Rng, working_age: bool) -> ApplicationKind {
    let predicted = if working_age { 3.0 } else { 0.0 };
    *rng.weighted(&[
        (ApplicationKind::DisabilityFirst, 36.0),
        (ApplicationKind::DisabilityRepeat, 57.0),
        (ApplicationKind::PredictedDisability, predicted),
        (ApplicationKind::Contest, 1.6),
        (ApplicationKind::CertificateDuplicate, 1.4),
    ])
}

pub fn channel(rng: &mut Rng, age: u32) -> Channel {
    let w = if age < 18 {
        [62.0, 23.0, 15.0]
    } else if age >= 65 {
        [28.0, 40.0, 32.0]
    } else {
        [52.0, 27.0, 21.0]
    };
    *rng.weighted(&[
        (Channel::Eservice, w[0]),
        (Channel::Assisted, w[1]),
        (Channel::Paper, w[2]),
    ])
}

const SURNAMES: &[(&str, &str)] = &[
    ("Bērziņš", "Bērziņa"),
    ("Kalniņš", "Kalniņa"),
    ("Ozoliņš", "Ozoliņa"),
    ("Jansons", "Jansone"),
    ("Ozols", "Ozola"),
    ("Liepiņš", "Liepiņa"),
    ("Krūmiņš", "Krūmiņa"),
    ("Balodis", "Balode"),
    ("Eglītis", "Eglīte"),
    ("Zariņš", "Zariņa"),
    ("Pētersons", "Pētersone"),
    ("Vītols", "Vītola"),
    ("Kļaviņš", "Kļaviņa"),
    ("Kārkliņš", "Kārkliņa"),
    ("Vanags", "Vanaga"),
    ("Siliņš", "Siliņa"),
    ("Lapiņš", "Lapiņa"),
    ("Žagars", "Žagare"),
    ("Strazdiņš", "Strazdiņa"),
    ("Ivanovs", "Ivanova"),
    ("Petrovs", "Petrova"),
    ("Grīnbergs", "Grīnberga"),
    ("Šmits", "Šmite"),
    ("Rozenbergs", "Rozenberga"),
    ("Celmiņš", "Celmiņa"),
    ("Dzenis", "Dzene"),
    ("Āboliņš", "Āboliņa"),
    ("Jēkabsons", "Jēkabsone"),
];

const INITIALS: &[&str] = &[
    "A.", "I.", "J.", "L.", "M.", "S.", "D.", "V.", "E.", "G.", "K.", "R.", "Ž.", "Ā.",
];

const GIVEN_F: &[&str] = &[
    "Ilze",
    "Inese",
    "Anna",
    "Līga",
    "Dace",
    "Kristīne",
    "Sandra",
    "Iveta",
    "Ināra",
    "Marta",
];
const GIVEN_M: &[&str] = &[
    "Jānis", "Andris", "Māris", "Edgars", "Aivars", "Juris", "Pēteris", "Artūrs", "Guntis",
    "Valdis",
];

/// "Dr. I. Kalniņa" style doctor name.
pub fn doctor(rng: &mut Rng) -> String {
    let (m, f) = *rng.pick(SURNAMES);
    let surname = if rng.chance(0.65) { f } else { m };
    format!("{} {}", rng.pick(INITIALS), surname)
}

/// A synthetic full name (for representatives in identified sets).
pub fn full_name(rng: &mut Rng) -> String {
    let (m, f) = *rng.pick(SURNAMES);
    if rng.chance(0.6) {
        format!("{} {}", rng.pick(GIVEN_F), f)
    } else {
        format!("{} {}", rng.pick(GIVEN_M), m)
    }
}

/// A synthetic doctor's professional id.
pub fn doctor_id(rng: &mut Rng) -> String {
    format!("{}", rng.range(10_000_000, 99_999_999))
}

pub const GP_PRACTICE: &[&str] = &[
    "Ģimenes ārsta prakse \"Imanta\"",
    "SIA \"Ģimenes veselības centrs Ziepniekkalns\"",
    "Ģimenes ārstu prakse \"Vita\"",
    "Doktorāts \"Saulīte\"",
    "SIA \"Ķengaraga ģimenes ārsti\"",
    "Ģimenes ārsta prakse Ogrē",
    "SIA \"Liepājas ģimenes ārstu centrs\"",
    "Ģimenes ārstu prakse \"Dzintars\"",
    "SIA \"Veselības punkts Kuldīga\"",
    "Ģimenes ārsta prakse Jelgavā",
    "SIA \"Daugavpils ģimenes ārsti\"",
    "Ģimenes ārstes prakse \"Pūpoliņš\"",
    "SIA \"Valmieras ģimenes ārsti\"",
    "Ģimenes ārsta prakse Rēzeknē",
    "SIA \"Cēsu doktorāts\"",
];

/// Latvian feminine surnames end in -a or -e.
pub fn is_female_name(name: &str) -> bool {
    name.split([' ', ','])
        .rfind(|w| !w.is_empty())
        .is_some_and(|w| w.ends_with('a') || w.ends_with('e'))
}

/// The feminine form of a doctor's title ("neirologs" → "neiroloģe").
pub fn feminine_role(role: &str) -> String {
    role.split(' ')
        .map(|w| match w {
            "ārsts" => "ārste".to_owned(),
            "ārstējošais" => "ārstējošā".to_owned(),
            "(pediatrs)" => "(pediatre)".to_owned(),
            w if w.ends_with("logs") => format!("{}loģe", &w[..w.len() - "logs".len()]),
            w if w.ends_with("ķirurgs") => format!("{}ķirurģe", &w[..w.len() - "ķirurgs".len()]),
            "psihiatrs" => "psihiatre".to_owned(),
            "ortopēds" => "ortopēde".to_owned(),
            "ķīmijterapeits" => "ķīmijterapeite".to_owned(),
            w => w.to_owned(),
        })
        .collect::<Vec<_>>()
        .join(" ")
}

pub const HOSPITALS: &[(&str, &str)] = &[
    (
        "Rīga",
        "VSIA \"Paula Stradiņa klīniskā universitātes slimnīca\"",
    ),
    (
        "Rīga",
        "SIA \"Rīgas Austrumu klīniskā universitātes slimnīca\"",
    ),
    ("Rīga", "SIA \"Rīgas 2. slimnīca\""),
    ("Pierīga", "SIA \"Jūrmalas slimnīca\""),
    ("Pierīga", "SIA \"Siguldas slimnīca\""),
    ("Kurzeme", "SIA \"Liepājas reģionālā slimnīca\""),
    ("Kurzeme", "SIA \"Ziemeļkurzemes reģionālā slimnīca\""),
    ("Zemgale", "SIA \"Jelgavas pilsētas slimnīca\""),
    ("Zemgale", "SIA \"Jēkabpils reģionālā slimnīca\""),
    ("Vidzeme", "SIA \"Vidzemes slimnīca\""),
    ("Vidzeme", "SIA \"Cēsu klīnika\""),
    ("Latgale", "SIA \"Daugavpils reģionālā slimnīca\""),
    ("Latgale", "SIA \"Rēzeknes slimnīca\""),
];

pub const CHILD_HOSPITAL: &str = "VSIA \"Bērnu klīniskā universitātes slimnīca\"";
pub const PSYCH_HOSPITALS: &[&str] = &[
    "VSIA \"Rīgas psihiatrijas un narkoloģijas centrs\"",
    "VSIA \"Daugavpils psihoneiroloģiskā slimnīca\"",
    "VSIA \"Strenču psihoneiroloģiskā slimnīca\"",
    "VSIA \"Slimnīca Ģintermuiža\"",
];
pub const OUTPATIENT: &[&str] = &[
    "SIA \"Veselības centrs 4\"",
    "SIA \"ARS\" diagnostikas klīnika",
    "SIA \"Veselības centru apvienība\"",
    "Poliklīnika \"Aura\"",
    "SIA \"Medicīnas sabiedrība OPTIMA 1\"",
    "Daugavpils poliklīnika",
    "Liepājas poliklīnika",
];

/// A hospital of the region (the big Rīga ones serve everyone).
pub fn hospital(region: &str, rng: &mut Rng) -> &'static str {
    let local: Vec<&str> = HOSPITALS
        .iter()
        .filter(|(r, _)| *r == region || (*r == "Rīga" && rng.chance(0.3)))
        .map(|(_, h)| *h)
        .collect();
    if local.is_empty() {
        HOSPITALS[0].1
    } else {
        rng.choose(&local)
    }
}

/// A representative's role for a child or an adult with the given needs.
pub fn representative_role(
    rng: &mut Rng,
    child: bool,
    needs_curator: bool,
) -> Option<RepresentativeRole> {
    if child {
        return Some(if rng.chance(0.93) {
            RepresentativeRole::Parent
        } else {
            RepresentativeRole::Guardian
        });
    }
    if needs_curator {
        return match rng.below(10) {
            0..=3 => Some(RepresentativeRole::Curator),
            4..=5 => Some(RepresentativeRole::Authorised),
            _ => None,
        };
    }
    rng.chance(0.04).then_some(RepresentativeRole::Authorised)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn synthetic_regions_are_the_branches_regions() {
        let names: Vec<&str> = REGIONS.iter().map(|(name, _)| *name).collect();
        assert_eq!(names, atzinums_models::REGIONS);
    }

    #[test]
    fn feminine_titles() {
        assert!(is_female_name("I. Kalniņa"));
        assert!(!is_female_name("J. Zariņš"));
        assert_eq!(
            feminine_role("ģimenes ārsts (pediatrs)"),
            "ģimenes ārste (pediatre)"
        );
        assert_eq!(feminine_role("neirologs"), "neiroloģe");
        assert_eq!(
            feminine_role("traumatologs ortopēds"),
            "traumatoloģe ortopēde"
        );
        assert_eq!(feminine_role("asinsvadu ķirurgs"), "asinsvadu ķirurģe");
        assert_eq!(feminine_role("ārstējošais ārsts"), "ārstējošā ārste");
    }
}
