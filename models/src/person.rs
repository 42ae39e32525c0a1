//! Who an application is about or made by: sex, person reference, legal
//! representative, and the age rules that change the outcome.

use std::fmt;
use std::str::FromStr;

use chrono::{Datelike, NaiveDate};
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use thiserror::Error;

use crate::macros::string_enum;
use crate::person_code::{PersonCode, PersonCodeError, RedactingStr};

string_enum! {
    /// Sex as recorded in the population register (X: unspecified).
    pub enum Sex ("sex") {
        F = "F",
        M = "M",
        X = "X",
    }
}

/// The regions of declared residence the commission's branches serve; a case is examined by
/// its applicant's region's branch (`person.region` in the dataset format).
pub const REGIONS: [&str; 6] = [
    "Rīga", "Pierīga", "Kurzeme", "Zemgale", "Vidzeme", "Latgale",
];

string_enum! {
    /// The legal basis on which someone acts for the person.
    pub enum RepresentativeRole ("representative_role") {
        /// A parent of a minor.
        Parent = "parent",
        /// aizbildnis: guardian of a minor.
        Guardian = "guardian",
        /// aizgādnis: curator of an adult with restricted capacity.
        Curator = "curator",
        /// Acting under a written authorisation.
        Authorised = "authorised",
    }
}

const PSEUDONYM_PREFIX: &str = "PK-";
const PSEUDONYM_MAX: usize = 64;

/// A de-identified stand-in for a personal code: `PK-` then 1–64 of `[A-Za-z0-9]`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Pseudonym(String);

#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum PseudonymError {
    #[error("pseudonym: must start with \"PK-\"")]
    MissingPrefix,
    #[error("pseudonym: after \"PK-\" expected 1 to 64 letters or digits")]
    BadBody,
}

impl Pseudonym {
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl FromStr for Pseudonym {
    type Err = PseudonymError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let s = s.trim();
        let body = s
            .strip_prefix(PSEUDONYM_PREFIX)
            .ok_or(PseudonymError::MissingPrefix)?;
        if body.is_empty()
            || body.len() > PSEUDONYM_MAX
            || !body.chars().all(|c| c.is_ascii_alphanumeric())
        {
            return Err(PseudonymError::BadBody);
        }
        Ok(Pseudonym(s.to_owned()))
    }
}

impl Serialize for Pseudonym {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.0)
    }
}

impl<'de> Deserialize<'de> for Pseudonym {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        String::deserialize(d)?
            .parse()
            .map_err(serde::de::Error::custom)
    }
}

/// The person a case is about: a real personal code, or a pseudonym in
/// de-identified datasets. Travels as a plain string; `PK-` marks a pseudonym.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum PersonRef {
    Code(PersonCode),
    Pseudonym(Pseudonym),
}

#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum PersonRefError {
    #[error(transparent)]
    Code(#[from] PersonCodeError),
    #[error(transparent)]
    Pseudonym(#[from] PseudonymError),
}

impl PersonRef {
    pub fn as_str(&self) -> &str {
        match self {
            PersonRef::Code(c) => c.as_str(),
            PersonRef::Pseudonym(p) => p.as_str(),
        }
    }

    /// The birth date when the reference is an old-format personal code.
    pub fn birth_date(&self) -> Option<NaiveDate> {
        match self {
            PersonRef::Code(c) => c.birth_date(),
            PersonRef::Pseudonym(_) => None,
        }
    }
}

impl FromStr for PersonRef {
    type Err = PersonRefError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        if s.trim_start().starts_with(PSEUDONYM_PREFIX) {
            Ok(PersonRef::Pseudonym(s.parse()?))
        } else {
            Ok(PersonRef::Code(s.parse()?))
        }
    }
}

impl Serialize for PersonRef {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for PersonRef {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(RedactingStr("a personal code or a PK- pseudonym"))?
            .parse()
            .map_err(serde::de::Error::custom)
    }
}

/// A legal representative. The name is personal data: `Debug` hides it.
#[derive(Clone, PartialEq, Eq, Hash, Serialize)]
pub struct Representative {
    role: RepresentativeRole,
    name: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum RepresentativeError {
    #[error("representative: the name is empty")]
    EmptyName,
}

impl Representative {
    /// The name is trimmed and must not be empty.
    pub fn new(role: RepresentativeRole, name: &str) -> Result<Self, RepresentativeError> {
        let name = name.trim();
        if name.is_empty() {
            return Err(RepresentativeError::EmptyName);
        }
        Ok(Self {
            role,
            name: name.to_owned(),
        })
    }

    pub fn role(&self) -> RepresentativeRole {
        self.role
    }

    pub fn name(&self) -> &str {
        &self.name
    }
}

impl fmt::Debug for Representative {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Representative")
            .field("role", &self.role)
            .field("name", &"<redacted>")
            .finish()
    }
}

impl<'de> Deserialize<'de> for Representative {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        struct Repr {
            role: RepresentativeRole,
            name: String,
        }
        let r = Repr::deserialize(d)?;
        Representative::new(r.role, &r.name).map_err(serde::de::Error::custom)
    }
}

/// Whole years of age on `on`; 0 if `on` is before `birth`.
/// Someone born on 29 February turns a year older on 1 March in common years.
pub fn age_on(birth: NaiveDate, on: NaiveDate) -> u32 {
    if on < birth {
        return 0;
    }
    let mut years = on.year() - birth.year();
    if (on.month(), on.day()) < (birth.month(), birth.day()) {
        years -= 1;
    }
    u32::try_from(years).unwrap_or(0)
}

/// State pension age in Latvia from 2025 on.
pub const STATE_PENSION_AGE: u32 = 65;

/// Whether the person has reached state pension age on `on`.
///
/// Simplification: uses 65 years for every date. Before 2025 the age rose
/// by 3 months a year (62 y 3 m in 2014 … 64 y 9 m in 2024), so older
/// decisions may have treated someone aged 62–64 as a pensioner; callers that
/// judge historical decisions must allow for that.
pub fn state_pension_age_reached(birth: NaiveDate, on: NaiveDate) -> bool {
    age_on(birth, on) >= STATE_PENSION_AGE
}

#[cfg(test)]
mod tests {
    use super::*;

    fn date(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).unwrap()
    }

    #[test]
    fn sex_and_role_names() {
        assert_eq!("F".parse::<Sex>(), Ok(Sex::F));
        assert!("f".parse::<Sex>().is_err());
        assert_eq!(serde_json::to_string(&Sex::X).unwrap(), "\"X\"");
        assert_eq!(
            serde_json::from_str::<RepresentativeRole>("\"curator\"").unwrap(),
            RepresentativeRole::Curator
        );
        let e = serde_json::from_str::<RepresentativeRole>("\"uncle\"").unwrap_err();
        assert!(
            e.to_string()
                .contains("unknown representative role \"uncle\"")
        );
    }

    #[test]
    fn pseudonyms() {
        assert!("PK-7f3a".parse::<Pseudonym>().is_ok());
        assert_eq!("PK-".parse::<Pseudonym>(), Err(PseudonymError::BadBody));
        assert_eq!(
            "PK-7f3a...".parse::<Pseudonym>(),
            Err(PseudonymError::BadBody)
        );
        assert_eq!(
            format!("PK-{}", "a".repeat(65)).parse::<Pseudonym>(),
            Err(PseudonymError::BadBody)
        );
        assert_eq!(
            "XX-1".parse::<Pseudonym>(),
            Err(PseudonymError::MissingPrefix)
        );
    }

    #[test]
    fn person_ref_picks_by_prefix() {
        let p: PersonRef = serde_json::from_str("\"PK-abc123\"").unwrap();
        assert!(matches!(p, PersonRef::Pseudonym(_)));
        assert_eq!(serde_json::to_string(&p).unwrap(), "\"PK-abc123\"");
        let c: PersonRef = serde_json::from_str("\"16117519997\"").unwrap();
        assert_eq!(c.as_str(), "161175-19997");
        assert_eq!(c.birth_date(), Some(date(1975, 11, 16)));
        assert!(format!("{c:?}").contains("<redacted>"));
        let e = "161175-19998".parse::<PersonRef>().unwrap_err();
        assert_eq!(e, PersonRefError::Code(PersonCodeError::ChecksumMismatch));
        assert!(serde_json::from_str::<PersonRef>("\"PK-!\"").is_err());
    }

    #[test]
    fn representative_needs_a_name_and_hides_it() {
        let r = Representative::new(RepresentativeRole::Parent, " Anna Bērziņa ").unwrap();
        assert_eq!(r.name(), "Anna Bērziņa");
        assert!(!format!("{r:?}").contains("Anna"));
        assert_eq!(
            Representative::new(RepresentativeRole::Parent, "  "),
            Err(RepresentativeError::EmptyName)
        );
        let json = r#"{"role":"guardian","name":"Jānis"}"#;
        let r: Representative = serde_json::from_str(json).unwrap();
        assert_eq!(r.role(), RepresentativeRole::Guardian);
        assert_eq!(serde_json::to_string(&r).unwrap(), json);
        let e = serde_json::from_str::<Representative>(r#"{"role":"parent","name":""}"#);
        assert!(e.unwrap_err().to_string().contains("name is empty"));
    }

    #[test]
    fn ages() {
        assert_eq!(age_on(date(1960, 5, 2), date(2025, 5, 1)), 64);
        assert_eq!(age_on(date(1960, 5, 2), date(2025, 5, 2)), 65);
        assert_eq!(age_on(date(2000, 2, 29), date(2001, 2, 28)), 0);
        assert_eq!(age_on(date(2000, 2, 29), date(2001, 3, 1)), 1);
        assert_eq!(age_on(date(2020, 1, 1), date(2019, 1, 1)), 0);
        assert!(!state_pension_age_reached(
            date(1960, 5, 2),
            date(2025, 5, 1)
        ));
        assert!(state_pension_age_reached(
            date(1960, 5, 2),
            date(2025, 5, 2)
        ));
    }
}
