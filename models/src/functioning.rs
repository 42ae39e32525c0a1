//! Functioning limitations in ICF-like domains, with the ICF qualifier scale.

use std::collections::BTreeMap;
use std::fmt;

use serde::{Deserialize, Deserializer, Serialize};
use thiserror::Error;

use crate::macros::string_enum;

string_enum! {
    /// The domains the commission judges functioning in.
    pub enum Domain ("functioning_domain") {
        Learning = "learning",
        Communication = "communication",
        Orientation = "orientation",
        Mobility = "mobility",
        SelfCare = "self_care",
        /// Control of behaviour.
        Behaviour = "behaviour",
    }
}

/// ICF qualifier 0..=4: none, mild, moderate, severe, complete. No official
/// numeric scale is published in Latvia; the ICF one is the natural choice.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(transparent)]
pub struct Qualifier(u8);

#[derive(Debug, Clone, Copy, PartialEq, Eq, Error)]
#[error("functioning qualifier: {0} is out of range; use 0 (none) to 4 (complete)")]
pub struct QualifierError(pub i64);

impl Qualifier {
    pub const NONE: Qualifier = Qualifier(0);
    pub const MILD: Qualifier = Qualifier(1);
    pub const MODERATE: Qualifier = Qualifier(2);
    pub const SEVERE: Qualifier = Qualifier(3);
    pub const COMPLETE: Qualifier = Qualifier(4);

    pub fn new(value: u8) -> Result<Self, QualifierError> {
        if value <= 4 {
            Ok(Qualifier(value))
        } else {
            Err(QualifierError(i64::from(value)))
        }
    }

    pub fn value(self) -> u8 {
        self.0
    }

    pub fn english(&self) -> &'static str {
        ["none", "mild", "moderate", "severe", "complete"][usize::from(self.0)]
    }

    /// Latvian label. "nav" (none) and "pilnīgs" (complete) are our wording;
    /// the regulation itself uses viegls / mērens / smags / ļoti smags for
    /// limitations, which does not map one-to-one onto ICF 3 and 4.
    pub fn latvian(&self) -> &'static str {
        ["nav", "viegls", "mērens", "smags", "pilnīgs"][usize::from(self.0)]
    }
}

impl TryFrom<u8> for Qualifier {
    type Error = QualifierError;
    fn try_from(v: u8) -> Result<Self, Self::Error> {
        Qualifier::new(v)
    }
}

impl fmt::Display for Qualifier {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

impl<'de> Deserialize<'de> for Qualifier {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        // Through i64 so that 5, 300 and -1 all get the same clear message.
        let v = i64::deserialize(d)?;
        u8::try_from(v)
            .ok()
            .and_then(|v| Qualifier::new(v).ok())
            .ok_or_else(|| serde::de::Error::custom(QualifierError(v)))
    }
}

/// A qualifier per judged domain; domains not judged are absent.
/// Travels as a JSON object keyed by domain name.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct FunctioningProfile(BTreeMap<Domain, Qualifier>);

impl FunctioningProfile {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn get(&self, domain: Domain) -> Option<Qualifier> {
        self.0.get(&domain).copied()
    }

    /// Sets a domain's qualifier, returning the previous one.
    pub fn set(&mut self, domain: Domain, q: Qualifier) -> Option<Qualifier> {
        self.0.insert(domain, q)
    }

    pub fn remove(&mut self, domain: Domain) -> Option<Qualifier> {
        self.0.remove(&domain)
    }

    /// The most severe limitation; `None` when no domain is judged.
    pub fn max(&self) -> Option<Qualifier> {
        self.0.values().copied().max()
    }

    pub fn iter(&self) -> impl Iterator<Item = (Domain, Qualifier)> + '_ {
        self.0.iter().map(|(d, q)| (*d, *q))
    }

    pub fn len(&self) -> usize {
        self.0.len()
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl FromIterator<(Domain, Qualifier)> for FunctioningProfile {
    fn from_iter<I: IntoIterator<Item = (Domain, Qualifier)>>(iter: I) -> Self {
        FunctioningProfile(iter.into_iter().collect())
    }
}

impl From<BTreeMap<Domain, Qualifier>> for FunctioningProfile {
    fn from(map: BTreeMap<Domain, Qualifier>) -> Self {
        FunctioningProfile(map)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn domains() {
        assert_eq!(Domain::ALL.len(), 6);
        assert_eq!(Domain::SelfCare.as_str(), "self_care");
        assert_eq!("behaviour".parse::<Domain>(), Ok(Domain::Behaviour));
        assert!("behavior".parse::<Domain>().is_err());
    }

    #[test]
    fn qualifiers() {
        assert_eq!(Qualifier::new(4), Ok(Qualifier::COMPLETE));
        assert_eq!(Qualifier::new(5), Err(QualifierError(5)));
        assert_eq!(Qualifier::MODERATE.latvian(), "mērens");
        assert_eq!(Qualifier::SEVERE.english(), "severe");
        assert_eq!(serde_json::to_string(&Qualifier::MILD).unwrap(), "1");
        assert_eq!(
            serde_json::from_str::<Qualifier>("2").unwrap(),
            Qualifier::MODERATE
        );
        for bad in ["5", "-1", "300", "1.5", "\"2\""] {
            assert!(serde_json::from_str::<Qualifier>(bad).is_err(), "{bad}");
        }
        let e = serde_json::from_str::<Qualifier>("7")
            .unwrap_err()
            .to_string();
        assert!(e.contains("0 (none) to 4"), "{e}");
    }

    #[test]
    fn profile() {
        let json = r#"{"learning":1,"communication":0,"orientation":1,"mobility":3,"self_care":2,"behaviour":0}"#;
        let p: FunctioningProfile = serde_json::from_str(json).unwrap();
        assert_eq!(p.get(Domain::Mobility), Some(Qualifier::SEVERE));
        assert_eq!(p.max(), Some(Qualifier::SEVERE));
        assert_eq!(p.len(), 6);
        let back: serde_json::Value = serde_json::to_value(&p).unwrap();
        assert_eq!(
            back,
            serde_json::from_str::<serde_json::Value>(json).unwrap()
        );

        let mut q = FunctioningProfile::new();
        assert_eq!(q.max(), None);
        assert_eq!(q.set(Domain::Learning, Qualifier::MILD), None);
        assert_eq!(
            q.set(Domain::Learning, Qualifier::COMPLETE),
            Some(Qualifier::MILD)
        );
        assert_eq!(
            q.iter().collect::<Vec<_>>(),
            [(Domain::Learning, Qualifier::COMPLETE)]
        );

        assert!(serde_json::from_str::<FunctioningProfile>(r#"{"walking":1}"#).is_err());
        assert!(serde_json::from_str::<FunctioningProfile>(r#"{"mobility":5}"#).is_err());
    }
}
