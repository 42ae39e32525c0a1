//! Latvian language helpers: grammatical forms for the person the text is
//! about, date forms, and small text utilities.

use chrono::{Datelike, NaiveDate};

use crate::rng::Rng;

/// Broad kinds of condition that decide which phrasings fit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Condition {
    Breath,
    Neuro,
    Eye,
    Ear,
    Psych,
    Other,
}

/// How the document refers to the person, with the grammatical gender that
/// adjectives and participles must agree with.
#[derive(Debug, Clone, Copy)]
pub struct Subject {
    pub masculine: bool,
    pub child: bool,
    /// Which body side is affected where a text names one (`[right|left]`).
    pub right: bool,
    /// The kind of condition, for phrasings that only fit some.
    pub condition: Condition,
    /// Nominative, capitalised: "Pacients", "Paciente", "Bērns".
    pub nom: &'static str,
    /// Genitive: "pacienta", "pacientes", "bērna".
    pub genitive: &'static str,
    /// Dative: "pacientam", "pacientei", "bērnam".
    pub dat: &'static str,
}

impl Subject {
    pub fn new(female: bool, child: bool, rng: &mut Rng) -> Subject {
        let right = rng.chance(0.5);
        if child {
            // "bērns" is masculine whatever the child's sex.
            if rng.chance(0.6) {
                return Subject {
                    masculine: true,
                    child,
                    right,
                    condition: Condition::Other,
                    nom: "Bērns",
                    genitive: "bērna",
                    dat: "bērnam",
                };
            }
            return if female {
                Subject {
                    masculine: false,
                    child,
                    right,
                    condition: Condition::Other,
                    nom: "Meitene",
                    genitive: "meitenes",
                    dat: "meitenei",
                }
            } else {
                Subject {
                    masculine: true,
                    child,
                    right,
                    condition: Condition::Other,
                    nom: "Zēns",
                    genitive: "zēna",
                    dat: "zēnam",
                }
            };
        }
        match (female, rng.chance(0.8)) {
            (false, true) => Subject {
                masculine: true,
                child,
                right,
                condition: Condition::Other,
                nom: "Pacients",
                genitive: "pacienta",
                dat: "pacientam",
            },
            (false, false) => Subject {
                masculine: true,
                child,
                right,
                condition: Condition::Other,
                nom: "Slimnieks",
                genitive: "slimnieka",
                dat: "slimniekam",
            },
            (true, true) => Subject {
                masculine: false,
                child,
                right,
                condition: Condition::Other,
                nom: "Paciente",
                genitive: "pacientes",
                dat: "pacientei",
            },
            (true, false) => Subject {
                masculine: false,
                child,
                right,
                condition: Condition::Other,
                nom: "Slimniece",
                genitive: "slimnieces",
                dat: "slimniecei",
            },
        }
    }

    /// Resolves `{S}` (nominative), `{s}` (lower-case nominative), `{G}`
    /// (genitive), `{D}` (dative) and `{masc|fem}` alternations.
    pub fn fill(&self, template: &str) -> String {
        let mut out = String::with_capacity(template.len() + 16);
        let template = self.sides(template);
        let mut rest = template.as_str();
        while let Some(start) = rest.find('{') {
            out.push_str(&rest[..start]);
            let after = &rest[start + 1..];
            let Some(end) = after.find('}') else {
                out.push_str(&rest[start..]);
                return out;
            };
            let inner = &after[..end];
            match inner {
                "S" => out.push_str(self.nom),
                "s" => out.push_str(&lower_first(self.nom)),
                "G" => out.push_str(self.genitive),
                "D" => out.push_str(self.dat),
                _ => {
                    let (m, f) = inner.split_once('|').unwrap_or((inner, inner));
                    out.push_str(if self.masculine { m } else { f });
                }
            }
            rest = &after[end + 1..];
        }
        out.push_str(rest);
        out
    }
}

impl Subject {
    /// Resolves `[right-side text|left-side text]`.
    fn sides(&self, template: &str) -> String {
        let mut out = String::with_capacity(template.len());
        let mut rest = template;
        while let Some(start) = rest.find('[') {
            out.push_str(&rest[..start]);
            let after = &rest[start + 1..];
            match (after.find(']'), after.find('|')) {
                (Some(end), Some(bar)) if bar < end => {
                    out.push_str(if self.right {
                        &after[..bar]
                    } else {
                        &after[bar + 1..end]
                    });
                    rest = &after[end + 1..];
                }
                _ => {
                    out.push('[');
                    rest = after;
                }
            }
        }
        out.push_str(rest);
        out
    }
}

pub fn lower_first(s: &str) -> String {
    let mut c = s.chars();
    match c.next() {
        Some(f) => f.to_lowercase().chain(c).collect(),
        None => String::new(),
    }
}

pub fn upper_first(s: &str) -> String {
    let mut c = s.chars();
    match c.next() {
        Some(f) => f.to_uppercase().chain(c).collect(),
        None => String::new(),
    }
}

const MONTHS_LOC: [&str; 12] = [
    "janvārī",
    "februārī",
    "martā",
    "aprīlī",
    "maijā",
    "jūnijā",
    "jūlijā",
    "augustā",
    "septembrī",
    "oktobrī",
    "novembrī",
    "decembrī",
];

/// "14.03.2019."
pub fn date_dots(d: NaiveDate) -> String {
    format!("{:02}.{:02}.{}.", d.day(), d.month(), d.year())
}

/// "2019. gada 14. martā"
pub fn date_long(d: NaiveDate) -> String {
    format!(
        "{}. gada {}. {}",
        d.year(),
        d.day(),
        MONTHS_LOC[d.month0() as usize]
    )
}

/// One of the forms Latvian documents use, chosen at random.
pub fn date_any(d: NaiveDate, rng: &mut Rng) -> String {
    match rng.below(10) {
        0..=5 => date_dots(d),
        6 => format!("{:02}.{:02}.{}", d.day(), d.month(), d.year()),
        7 => date_long(d),
        8 => format!("{:02}.{:02}.{:02}.", d.day(), d.month(), d.year() % 100),
        _ => format!("{}.{:02}.{:02}.", d.year(), d.month(), d.day()),
    }
}

/// "2019. g." or "2019. gadā".
pub fn year_any(y: i32, rng: &mut Rng) -> String {
    match rng.below(3) {
        0 => format!("{y}. g."),
        1 => format!("{y}. gadā"),
        _ => format!("{y}.g."),
    }
}

/// "kopš 2019. gada" / "kopš 2019. g." (genitive after "kopš").
pub fn year_since(y: i32, rng: &mut Rng) -> String {
    match rng.below(3) {
        0 => format!("{y}. g."),
        1 => format!("{y}. gada"),
        _ => format!("{y}.g."),
    }
}

/// Adds whole months, clamping the day.
pub fn add_months(d: NaiveDate, months: i32) -> NaiveDate {
    let total = d.year() * 12 + d.month0() as i32 + months;
    let (y, m0) = (total.div_euclid(12), total.rem_euclid(12) as u32);
    let mut day = d.day();
    loop {
        if let Some(x) = NaiveDate::from_ymd_opt(y, m0 + 1, day) {
            return x;
        }
        day -= 1;
    }
}

/// Latvian "gads / gadi" for a number of years, and months.
pub fn years_lv(n: u32) -> String {
    if n % 10 == 1 && n % 100 != 11 {
        format!("{n} gadu")
    } else {
        format!("{n} gadiem")
    }
}

pub fn months_lv(n: u32) -> String {
    if n % 10 == 1 && n % 100 != 11 {
        format!("{n} mēnesi")
    } else {
        format!("{n} mēnešiem")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn forms() {
        let d = NaiveDate::from_ymd_opt(2019, 3, 14).unwrap();
        assert_eq!(date_dots(d), "14.03.2019.");
        assert_eq!(date_long(d), "2019. gada 14. martā");
        let mut r = Rng::new(1);
        let s = Subject::new(true, false, &mut r);
        assert!(s.fill("{S} ir neatkarīg{s|a}").ends_with("neatkarīga"));
        assert_eq!(years_lv(1), "1 gadu");
        assert_eq!(years_lv(5), "5 gadiem");
        assert_eq!(
            add_months(NaiveDate::from_ymd_opt(2020, 1, 31).unwrap(), 1).day(),
            29
        );
    }
}
