//! How long a disability status lasts (termiņš).

use std::fmt;

use serde::de::{self, MapAccess, Visitor};
use serde::ser::SerializeMap;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use thiserror::Error;

/// A term in months. Only the terms in law exist: 12, 24 and 60 months, and
/// 6 months kept for older decisions (amendment No. 788 of 2024 appears to
/// remove it). There is no 3-year term.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(transparent)]
pub struct TermMonths(u8);

#[derive(Debug, Clone, Copy, PartialEq, Eq, Error)]
#[error(
    "term: {0} months is not a term in law; use 12, 24 or 60 months \
     (6 only for older decisions; there is no 3-year term)"
)]
pub struct TermMonthsError(pub i64);

impl TermMonths {
    pub const ALLOWED: [u8; 4] = [6, 12, 24, 60];

    pub fn new(months: u8) -> Result<Self, TermMonthsError> {
        if Self::ALLOWED.contains(&months) {
            Ok(TermMonths(months))
        } else {
            Err(TermMonthsError(i64::from(months)))
        }
    }

    pub fn get(self) -> u8 {
        self.0
    }
}

impl TryFrom<u8> for TermMonths {
    type Error = TermMonthsError;
    fn try_from(v: u8) -> Result<Self, Self::Error> {
        TermMonths::new(v)
    }
}

impl<'de> Deserialize<'de> for TermMonths {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let v = i64::deserialize(d)?;
        u8::try_from(v)
            .ok()
            .and_then(|v| TermMonths::new(v).ok())
            .ok_or_else(|| de::Error::custom(TermMonthsError(v)))
    }
}

/// The term of a disability status. "No term" is `Option<Term>::None`.
///
/// JSON: `{"months": N}` | `"lifelong"` | `"until_18"`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Term {
    Months(TermMonths),
    /// uz mūžu: limitations are irreversible.
    Lifelong,
    /// Children: until the 18th birthday.
    UntilEighteen,
}

const LIFELONG: &str = "lifelong";
const UNTIL_18: &str = "until_18";

impl Serialize for Term {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            Term::Months(m) => {
                let mut map = s.serialize_map(Some(1))?;
                map.serialize_entry("months", m)?;
                map.end()
            }
            Term::Lifelong => s.serialize_str(LIFELONG),
            Term::UntilEighteen => s.serialize_str(UNTIL_18),
        }
    }
}

impl<'de> Deserialize<'de> for Term {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Term;

            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a term: {\"months\": N}, \"lifelong\" or \"until_18\"")
            }

            fn visit_str<E: de::Error>(self, v: &str) -> Result<Term, E> {
                match v {
                    LIFELONG => Ok(Term::Lifelong),
                    UNTIL_18 => Ok(Term::UntilEighteen),
                    _ => Err(E::custom(crate::UnknownValue::new(
                        "term",
                        v,
                        &["{\"months\": N}", LIFELONG, UNTIL_18],
                    ))),
                }
            }

            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Term, A::Error> {
                let mut months = None;
                while let Some(key) = map.next_key::<String>()? {
                    if key != "months" {
                        return Err(de::Error::custom(format_args!(
                            "term: unexpected key \"{}\"; expected only \"months\"",
                            key.chars().take(32).collect::<String>()
                        )));
                    }
                    if months.is_some() {
                        return Err(de::Error::duplicate_field("months"));
                    }
                    months = Some(map.next_value::<TermMonths>()?);
                }
                months
                    .map(Term::Months)
                    .ok_or_else(|| de::Error::missing_field("months"))
            }
        }
        d.deserialize_any(V)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn months() {
        for m in TermMonths::ALLOWED {
            assert_eq!(TermMonths::new(m).unwrap().get(), m);
        }
        for m in [0, 1, 3, 18, 36, 48, 120] {
            assert!(TermMonths::new(m).is_err(), "{m}");
        }
        let msg = TermMonths::new(36).unwrap_err().to_string();
        assert!(
            msg.contains("36 months") && msg.contains("12, 24 or 60"),
            "{msg}"
        );
    }

    #[test]
    fn serde_round_trip() {
        for (json, term) in [
            (
                r#"{"months":24}"#,
                Term::Months(TermMonths::new(24).unwrap()),
            ),
            (r#""lifelong""#, Term::Lifelong),
            (r#""until_18""#, Term::UntilEighteen),
        ] {
            assert_eq!(serde_json::from_str::<Term>(json).unwrap(), term);
            assert_eq!(serde_json::to_string(&term).unwrap(), json);
        }
        let none: Option<Term> = serde_json::from_str("null").unwrap();
        assert_eq!(none, None);
    }

    #[test]
    fn rejects() {
        for bad in [
            r#"{"months":36}"#,
            r#"{"months":-1}"#,
            r#"{"months":"12"}"#,
            r#"{"years":2}"#,
            r#"{}"#,
            r#""forever""#,
            r#"12"#,
        ] {
            assert!(serde_json::from_str::<Term>(bad).is_err(), "{bad}");
        }
        let e = serde_json::from_str::<Term>(r#"{"months":36}"#).unwrap_err();
        assert!(e.to_string().contains("no 3-year term"), "{e}");
    }
}
